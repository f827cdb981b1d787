/**
 * The editorial workflow in words: what states, actions, versions and claim changes are called on
 * screen. Pure functions (no DOM), tested in `test/workflowLabels.test.ts`.
 */
import type { WorkflowState } from '../../../shared/api.ts';
import type { ClaimChange, DeskState, DiffAnswer, VersionSummary, WorkflowAction } from '../../../shared/workflow.ts';
import { CLAIM_LOOK_LABELS, type ClaimLook } from '../claimStatus.ts';

export const WORKFLOW_STATE_LABELS: Record<WorkflowState, string> = {
  draft: 'Draft',
  'in-review': 'In review',
  approved: 'Approved',
  published: 'Published',
};

export const WORKFLOW_STATE_HINTS: Record<WorkflowState, string> = {
  draft: 'Being written; nobody has asked for review yet',
  'in-review': 'Waiting for an editor to approve it',
  approved: 'Approved by an editor; ready to publish',
  published: 'Published',
};

export function workflowStateLabel(state: WorkflowState): string {
  return WORKFLOW_STATE_LABELS[state];
}

/** The words on an action's button (the state it is taken from can change them). */
export function actionLabel(action: WorkflowAction, desk: DeskState): string {
  switch (action) {
    case 'review':
      return 'Request review';
    case 'approve':
      return desk.approval !== null && (desk.state === 'approved' || desk.state === 'published')
        ? 'Approve changes'
        : 'Approve';
    case 'publish':
      return 'Publish';
    case 'reopen':
      return desk.state === 'in-review' ? 'Back to draft' : 'Reopen';
  }
}

/** What an action does, for its tooltip. */
export function actionHint(action: WorkflowAction, desk: DeskState): string {
  switch (action) {
    case 'review':
      return 'Ask an editor to review and approve the story';
    case 'approve':
      return desk.state === 'published'
        ? 'Approve the changes made since the last approval (the story stays published)'
        : 'Approve the story as it reads now (all claims must be verified, or give a reason)';
    case 'publish':
      return 'Publish the approved story';
    case 'reopen':
      return desk.state === 'in-review' ? 'Withdraw the review request: back to draft' : 'Reopen the story as a draft';
  }
}

/** What the status line says once an action is done. */
export function actionDone(action: WorkflowAction): string {
  switch (action) {
    case 'review':
      return 'Review requested';
    case 'approve':
      return 'Approved';
    case 'publish':
      return 'Published';
    case 'reopen':
      return 'Back to draft';
  }
}

/** How a version is named in the history: its kind in words, or the name someone gave it. */
export function versionLabel(version: Pick<VersionSummary, 'kind' | 'name'>): string {
  switch (version.kind) {
    case 'approval':
      return 'Approved';
    case 'publish':
      return 'Published';
    case 'review':
      return 'Review requested';
    case 'pause':
      return 'Autosave';
    case 'named':
      return version.name?.trim() || 'Named version';
    case 'restore':
      return 'Restore';
  }
}

/** A second line for a version whose label does not say it all (named versions, restores). */
export function versionDetail(version: Pick<VersionSummary, 'kind' | 'name'>): string | null {
  if (version.kind === 'named') return 'Named version';
  if (version.kind === 'restore') return version.name;
  if (version.kind === 'pause') return 'Taken after a pause in editing';
  return null;
}

/** "Rita", "Rita and Edna", "Rita, Edna and Fay". */
export function joinNames(names: readonly string[]): string {
  if (names.length <= 1) return names[0] ?? '';
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/**
 * The line shown on a story approved over blocking claims: "Approved over 2 open claims: <reason>".
 * `count` is `null` when the number is not known.
 */
export function overrideText(count: number | null, reason: string): string {
  const claims = count === null ? 'open claims' : plural(count, 'open claim');
  return `Approved over ${claims}: ${reason}`;
}

/** How a claim status of a diff reads (`changed-since-verified` is the "changed" look). */
export function claimStatusLabel(status: string): string {
  const look: string = status === 'changed-since-verified' ? 'changed' : status;
  return look in CLAIM_LOOK_LABELS ? CLAIM_LOOK_LABELS[look as ClaimLook] : status;
}

/** Why a claim blocks an approval, in words (the server says a status, or "changed since verified"). */
export function blockingReasonLabel(reason: string): string {
  return reason === 'changed since verified' ? CLAIM_LOOK_LABELS.changed : claimStatusLabel(reason);
}

/** "verified → disputed", "new claim, unverified", "deleted (was verified)". */
export function claimChangeText(change: Pick<ClaimChange, 'from' | 'to'>): string {
  if (change.from === null && change.to === null) return 'unchanged';
  if (change.from === null) return `new claim, ${claimStatusLabel(change.to ?? '').toLowerCase()}`;
  if (change.to === null) return `deleted (was ${claimStatusLabel(change.from).toLowerCase()})`;
  return `${claimStatusLabel(change.from).toLowerCase()} → ${claimStatusLabel(change.to).toLowerCase()}`;
}

/** "2 insertions and 1 deletion", "No changes to the text". */
export function changeCountText(diff: Pick<DiffAnswer, 'changes' | 'meta'>): string {
  const runs = [...diff.changes, ...Object.values(diff.meta).flat()];
  const inserted = runs.filter((run) => run.kind === 'inserted').length;
  const deleted = runs.filter((run) => run.kind === 'deleted').length;
  if (inserted === 0 && deleted === 0) return 'No changes to the text';
  const parts = [];
  if (inserted > 0) parts.push(plural(inserted, 'insertion'));
  if (deleted > 0) parts.push(plural(deleted, 'deletion'));
  return parts.join(' and ');
}

const META_FIELD_LABELS: Record<string, string> = { title: 'Headline', dek: 'Dek', byline: 'Byline' };

/** "Headline", "Dek", "Byline" for the diff's `meta` keys. */
export function metaFieldLabel(field: string): string {
  return META_FIELD_LABELS[field] ?? field;
}

/** A person's colour when it is a plain CSS hex colour, else a neutral grey (never raw CSS from data). */
export function safeColor(color: string | undefined): string {
  return color !== undefined && /^#(?:[0-9a-f]{3}|[0-9a-f]{4}|[0-9a-f]{6}|[0-9a-f]{8})$/i.test(color)
    ? color
    : '#6b7280';
}
