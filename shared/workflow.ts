/**
 * The editorial workflow (DESIGN.md, "Workflow"): draft → in-review → approved → published, held in
 * the story's desk document, which only the server writes (in answer to API calls). The client reads
 * the same document live and asks `allowedActions` which buttons to show; the server decides with it.
 * Also the shapes of the history API (versions and diffs), shared by server and client.
 */
import type * as Y from 'yjs';
import { z } from 'zod';
import { type Role, WorkflowState } from './api.ts';
import { YName } from './documentLayout.ts';

const Stamp = z.object({ by: z.string().max(64), at: z.string().max(40) });
const Override = z.object({ reason: z.string().max(2000) });

export const Approval = Stamp.extend({
  /** The version that pins the approved body and notes. */
  versionId: z.string().max(64),
  /** Set when an editor approved despite blocking claims: their written reason. */
  override: Override.nullable(),
});
export type Approval = z.infer<typeof Approval>;

/** The desk document's content, as one record. */
export const DeskState = z.object({
  state: WorkflowState,
  /** Who asked for review, when (kept after approval, for the record). */
  reviewRequested: Stamp.nullable(),
  /** The latest approval, kept when the story is reopened (the diff still starts there). */
  approval: Approval.nullable(),
  /** The first change to the body after the approval, while approved or published. */
  changedSinceApproval: z.object({ by: z.string().max(64).nullable(), at: z.string().max(40) }).nullable(),
  published: Stamp.extend({ versionId: z.string().max(64) }).nullable(),
  /** The last transition. */
  updated: Stamp.nullable(),
});
export type DeskState = z.infer<typeof DeskState>;

export const EMPTY_DESK: DeskState = {
  state: 'draft',
  reviewRequested: null,
  approval: null,
  changedSinceApproval: null,
  published: null,
  updated: null,
};

const DESK_KEYS = Object.keys(EMPTY_DESK) as (keyof DeskState)[];

/** Reads the desk document; fields that are missing or malformed read as their defaults. */
export function readDesk(doc: Y.Doc): DeskState {
  const map = doc.getMap<unknown>(YName.workflow);
  const raw: Record<string, unknown> = {};
  for (const key of DESK_KEYS) raw[key] = map.has(key) ? map.get(key) : EMPTY_DESK[key];
  const parsed = DeskState.safeParse(raw);
  if (parsed.success) return parsed.data;
  // One bad field must not hide the others: fall back field by field.
  const state: Record<string, unknown> = { ...EMPTY_DESK };
  for (const key of DESK_KEYS) {
    const field = DeskState.shape[key].safeParse(raw[key]);
    if (field.success) state[key] = field.data;
  }
  return state as DeskState;
}

/** Writes the fields that differ (server only). */
export function writeDesk(doc: Y.Doc, next: DeskState): void {
  const map = doc.getMap<unknown>(YName.workflow);
  const current = readDesk(doc);
  for (const key of DESK_KEYS) {
    if (!map.has(key) || JSON.stringify(current[key]) !== JSON.stringify(next[key])) map.set(key, next[key]);
  }
}

export const WORKFLOW_ACTIONS = ['review', 'approve', 'publish', 'reopen'] as const;
export type WorkflowAction = (typeof WORKFLOW_ACTIONS)[number];

/** Whether the body changed after the approval that is in force. */
export function isChangedSinceApproval(desk: DeskState): boolean {
  return (desk.state === 'approved' || desk.state === 'published') && desk.changedSinceApproval !== null;
}

/**
 * Why `role` may not take `action` in this state, or `null` when it may. The server answers with
 * this message (403 for the role, 409 for the state); the client shows only allowed actions.
 */
export function actionRefusal(
  action: WorkflowAction,
  desk: DeskState,
  role: Role,
): { status: 403 | 409; message: string } | null {
  const changed = isChangedSinceApproval(desk);
  switch (action) {
    case 'review':
      if (role !== 'reporter' && role !== 'editor')
        return { status: 403, message: 'Only reporters and editors can request review' };
      if (desk.state !== 'draft') return { status: 409, message: `The story is ${desk.state}, not a draft` };
      return null;
    case 'approve':
      if (role !== 'editor') return { status: 403, message: 'Only editors can approve' };
      if ((desk.state === 'approved' || desk.state === 'published') && !changed) {
        return { status: 409, message: `The story is already ${desk.state} and has not changed since` };
      }
      return null;
    case 'publish':
      if (role !== 'editor') return { status: 403, message: 'Only editors can publish' };
      if (desk.state === 'published' && !changed) return { status: 409, message: 'The story is already published' };
      if (desk.state !== 'approved' && desk.state !== 'published') {
        return { status: 409, message: 'Approve the story before publishing it' };
      }
      if (changed) return { status: 409, message: 'The story changed since it was approved; approve it again first' };
      return null;
    case 'reopen':
      if (desk.state === 'draft') return { status: 409, message: 'The story is already a draft' };
      if (role === 'editor') return null;
      if (role === 'reporter' && desk.state === 'in-review') return null;
      return { status: 403, message: 'Only editors can reopen an approved or published story' };
  }
}

export function allowedActions(desk: DeskState, role: Role): WorkflowAction[] {
  return WORKFLOW_ACTIONS.filter((action) => actionRefusal(action, desk, role) === null);
}

/** How a claim blocks approval (DESIGN.md: anything but verified and unchanged since). */
export function claimBlocksApproval(claim: { status: string; changedSinceVerified: unknown }): string | null {
  if (claim.status === 'verified') return claim.changedSinceVerified === null ? null : 'changed since verified';
  return claim.status;
}

// ---- History API shapes -------------------------------------------------------------------------

export const VERSION_KINDS = ['approval', 'publish', 'review', 'pause', 'named', 'restore'] as const;
export const VersionKind = z.enum(VERSION_KINDS);
export type VersionKind = z.infer<typeof VersionKind>;

export const VersionSummary = z.object({
  id: z.string(),
  kind: VersionKind,
  name: z.string().nullable(),
  createdBy: z.string().nullable(),
  createdAt: z.string(),
  /** Who changed the body since the version before it. */
  authors: z.array(z.string()),
});
export type VersionSummary = z.infer<typeof VersionSummary>;

export const VersionName = z.string().trim().min(1).max(200);

export const DIFF_RUN_KINDS = ['same', 'inserted', 'deleted'] as const;
export const DiffRun = z.object({
  kind: z.enum(DIFF_RUN_KINDS),
  text: z.string(),
  /** Who inserted or deleted it (`null`: the server, or not known); always `null` for `same`. */
  by: z.string().nullable(),
});
export type DiffRun = z.infer<typeof DiffRun>;

export const DiffBlock = z.object({
  /** The ProseMirror node name of the text block (paragraph, heading, ...). */
  type: z.string(),
  /** Heading level, when `type` is heading. */
  level: z.number().int().optional(),
  /** Whether the block itself is new, gone, or was there at both ends of the span. */
  kind: z.enum(DIFF_RUN_KINDS),
  runs: z.array(DiffRun),
});
export type DiffBlock = z.infer<typeof DiffBlock>;

export const ClaimChange = z.object({
  claimId: z.string(),
  text: z.string(),
  /** `null` when the claim did not exist at the start of the span. */
  from: z.string().nullable(),
  /** `null` when the claim was deleted. */
  to: z.string().nullable(),
  by: z.string().nullable(),
  at: z.string().nullable(),
});
export type ClaimChange = z.infer<typeof ClaimChange>;

export const DiffAnswer = z.object({
  since: VersionSummary,
  /** Title, dek and byline, when they changed. */
  meta: z.record(z.string(), z.array(DiffRun)),
  blocks: z.array(DiffBlock),
  /** Every inserted and deleted run, in document order, with its block's index. */
  changes: z.array(DiffRun.extend({ block: z.number().int() })),
  claimChanges: z.array(ClaimChange),
  /** Names and colours of everyone the diff mentions. */
  people: z.record(z.string(), z.object({ name: z.string(), color: z.string() })),
});
export type DiffAnswer = z.infer<typeof DiffAnswer>;
