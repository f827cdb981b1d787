/**
 * The workflow's part of the status bar: the state (Draft, In review, Approved, Published), the
 * "Changed since approval" flag (a button that shows the changes), the actions this person may take,
 * and the history panel's toggle. Each button says its shortcut in its tooltip and
 * `aria-keyshortcuts`. State changes are announced to screen readers.
 */
import type { WorkflowAction } from '../../../shared/workflow.ts';
import { ariaKeyShortcut, Shortcut, shortcutLabel } from '../editor/shortcuts.ts';
import { type People, personName } from '../hooks/useUsers.ts';
import { formatExactTime, formatRelativeTime } from '../time.ts';
import { actionHint, actionLabel, WORKFLOW_STATE_HINTS, workflowStateLabel } from './labels.ts';
import type { WorkflowController } from './useWorkflow.ts';

export const ACTION_SHORTCUTS: Record<WorkflowAction, string> = {
  review: Shortcut.requestReview,
  approve: Shortcut.approve,
  publish: Shortcut.publish,
  reopen: Shortcut.reopen,
};

export interface WorkflowStatusProps {
  workflow: WorkflowController;
  people: People;
}

export function WorkflowStatus({ workflow, people }: WorkflowStatusProps) {
  const { desk, known, actions, busy, changedSinceApproval } = workflow;
  const changed = desk.changedSinceApproval;
  const changedBy = changed?.by ? personName(people, changed.by) : null;
  const changedHint =
    changed === null
      ? ''
      : `First changed ${changedBy === null ? '' : `by ${changedBy} `}${formatRelativeTime(changed.at)} (${formatExactTime(changed.at)}). Show what changed (${shortcutLabel(Shortcut.changes)})`;
  // One main button: the furthest step forward this person may take.
  const primaryAction = (['publish', 'approve', 'review'] as const).find((action) => actions.includes(action));
  const historyLabel = `${workflow.historyOpen ? 'Close' : 'Open'} the story's history (${shortcutLabel(Shortcut.history)})`;
  return (
    <fieldset class="workflow-status">
      <legend class="visually-hidden">Workflow</legend>
      {/* A live region without the status role: the page's one status region is the connection's. */}
      <span class="workflow-live" aria-live="polite">
        <span
          class={`workflow-state workflow-${desk.state}${known ? '' : ' is-unknown'}`}
          title={known ? WORKFLOW_STATE_HINTS[desk.state] : 'Loading the workflow state'}
          data-testid="workflow-state"
        >
          {known ? workflowStateLabel(desk.state) : '…'}
        </span>
        {changedSinceApproval && (
          <span class="visually-hidden">, changed since approval{changedBy === null ? '' : ` by ${changedBy}`}</span>
        )}
      </span>
      {changedSinceApproval && changed !== null && (
        <button
          type="button"
          class="workflow-changed"
          title={changedHint}
          aria-keyshortcuts={ariaKeyShortcut(Shortcut.changes)}
          aria-pressed={workflow.review?.kind === 'changes'}
          data-testid="changed-since-approval"
          onClick={workflow.toggleChanges}
        >
          <span aria-hidden="true">⚠ </span>Changed since approval
        </button>
      )}
      {actions.length > 0 && (
        <span class="workflow-actions">
          {actions.map((action) => {
            const keys = ACTION_SHORTCUTS[action];
            const label = actionLabel(action, desk);
            const primary = action === primaryAction;
            return (
              <button
                key={action}
                type="button"
                class={`button button-small${primary ? ' button-primary' : ''}`}
                title={`${actionHint(action, desk)} (${shortcutLabel(keys)})`}
                aria-keyshortcuts={ariaKeyShortcut(keys)}
                data-action={action}
                disabled={busy !== null}
                onClick={() => workflow.run(action)}
              >
                {busy === action ? `${label}…` : label}
              </button>
            );
          })}
        </span>
      )}
      <button
        type="button"
        class="button button-small button-quiet workflow-history-toggle"
        aria-pressed={workflow.historyOpen}
        aria-controls={workflow.historyOpen ? 'history-panel' : undefined}
        aria-keyshortcuts={ariaKeyShortcut(Shortcut.history)}
        title={historyLabel}
        onClick={workflow.toggleHistory}
      >
        History <kbd>{shortcutLabel(Shortcut.history)}</kbd>
      </button>
    </fieldset>
  );
}
