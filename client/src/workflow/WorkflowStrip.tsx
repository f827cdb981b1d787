/**
 * The workflow on the story itself, above the text: who asked for review, who approved (and the
 * written reason when the approval went over open claims), who published, and, once the text has
 * changed since the approval, who changed it first with the way to see every change. Nothing for a
 * draft that was never approved.
 */
import { ariaKeyShortcut, Shortcut, shortcutLabel } from '../editor/shortcuts.ts';
import { type People, personName } from '../hooks/useUsers.ts';
import { formatExactTime, formatRelativeTime } from '../time.ts';
import type { WorkflowController } from './useWorkflow.ts';

export interface WorkflowStripProps {
  workflow: WorkflowController;
  people: People;
}

function When({ at }: { at: string }) {
  return (
    <time dateTime={at} title={formatExactTime(at)}>
      {formatRelativeTime(at)}
    </time>
  );
}

export function WorkflowStrip({ workflow, people }: WorkflowStripProps) {
  const { desk, known, changedSinceApproval, user, role } = workflow;
  if (!known) return null;
  const { approval, reviewRequested, published } = desk;
  const name = (id: string) => (id === user.id ? 'you' : personName(people, id));
  const lines = [];
  if (desk.state === 'in-review' && reviewRequested !== null) {
    lines.push(
      <p key="review">
        <strong>In review</strong> — requested by {name(reviewRequested.by)} <When at={reviewRequested.at} />.
      </p>,
    );
  }
  if (approval !== null) {
    const still = desk.state === 'approved' || desk.state === 'published';
    lines.push(
      <p key="approval">
        <strong>{still ? 'Approved' : 'Last approved'}</strong> by {name(approval.by)} <When at={approval.at} />
        {desk.state === 'published' && published !== null && (
          <>
            ; <strong>published</strong> by {name(published.by)} <When at={published.at} />
          </>
        )}
        {desk.state === 'draft' && desk.updated !== null && (
          <>
            ; reopened by {name(desk.updated.by)} <When at={desk.updated.at} />
          </>
        )}
        .
      </p>,
    );
  }
  if (lines.length === 0) return null;
  const changed = changedSinceApproval ? desk.changedSinceApproval : null;
  const mine = approval?.by === user.id;
  const showChanges = workflow.review?.kind === 'changes';
  // Editors are the ones who approve again: for them the way to the changes is the main button.
  // (While the changes are shown, the view's own "Back to editing" closes them.)
  const prominent = changed !== null && role === 'editor';
  const changesLabel = mine ? 'Changes since my approval' : 'Changes since the approval';
  return (
    <section
      class={`workflow-strip${changed !== null ? ' is-changed' : ''}`}
      aria-label="Workflow of this story"
      data-testid="workflow-strip"
    >
      <div class="workflow-strip-text">
        {lines}
        {workflow.overrideLine !== null && (
          <p class="workflow-override" data-testid="approval-override">
            {workflow.overrideLine}
          </p>
        )}
        {changed !== null && (
          <p class="workflow-changed-line">
            <strong>
              <span aria-hidden="true">⚠ </span>Changed since approval
            </strong>{' '}
            — first change by {changed.by === null ? 'someone' : name(changed.by)} <When at={changed.at} />.
          </p>
        )}
      </div>
      {approval !== null && !showChanges && (
        <button
          type="button"
          class={`button button-small${prominent ? ' button-primary' : ''}`}
          aria-keyshortcuts={ariaKeyShortcut(Shortcut.changes)}
          title={`Show what changed since ${mine ? 'your' : 'the'} approval (${shortcutLabel(Shortcut.changes)})`}
          onClick={workflow.toggleChanges}
        >
          {changesLabel} <kbd>{shortcutLabel(Shortcut.changes)}</kbd>
        </button>
      )}
    </section>
  );
}
