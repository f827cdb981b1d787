/**
 * What the workflow puts over the editor page: the history panel, the approval and confirmation
 * dialogs, and the line that says what just happened (or what went wrong, in words).
 */
import type { People } from '../hooks/useUsers.ts';
import { formatExactTime } from '../time.ts';
import { ApproveDialog } from './ApproveDialog.tsx';
import { ConfirmDialog } from './ConfirmDialog.tsx';
import { HistoryPanel } from './HistoryPanel.tsx';
import { versionLabel } from './labels.ts';
import type { WorkflowController } from './useWorkflow.ts';

export interface WorkflowLayerProps {
  workflow: WorkflowController;
  people: People;
}

export function WorkflowLayer({ workflow, people }: WorkflowLayerProps) {
  const { blocking, confirmation, notice } = workflow;
  return (
    <>
      {workflow.historyOpen && <HistoryPanel workflow={workflow} people={people} />}
      {blocking !== null && (
        <ApproveDialog
          blocking={blocking}
          busy={workflow.busy === 'approve'}
          onApproveAnyway={workflow.approveAnyway}
          onOpenClaim={workflow.jumpToClaim}
          onClose={workflow.closeApproval}
        />
      )}
      {confirmation?.kind === 'publish' && (
        <ConfirmDialog
          title="Publish this story?"
          confirmLabel="Publish"
          onConfirm={() => void workflow.confirm()}
          onCancel={workflow.cancelConfirmation}
        >
          <p>The approved version is published and kept in the history. Later changes need a new approval.</p>
        </ConfirmDialog>
      )}
      {confirmation?.kind === 'restore' && (
        <ConfirmDialog
          title="Restore this version?"
          confirmLabel="Restore"
          onConfirm={() => void workflow.confirm()}
          onCancel={workflow.cancelConfirmation}
        >
          <p>
            The text and headline go back to “{versionLabel(confirmation.version)}” of{' '}
            {formatExactTime(confirmation.version.createdAt)}, for everyone working on the story. The text as it is now
            is kept in the history first, so this can be undone by restoring that.
          </p>
        </ConfirmDialog>
      )}
      <div class="workflow-notice-area" aria-live="polite">
        {notice !== null && (
          <div
            key={notice.id}
            class={`workflow-notice workflow-notice-${notice.kind}`}
            // Done: announced by the area's polite live region; an error interrupts.
            role={notice.kind === 'error' ? 'alert' : undefined}
            data-testid="workflow-notice"
          >
            <p>{notice.text}</p>
            <button
              type="button"
              class="button button-small button-quiet"
              aria-label="Dismiss this message"
              onClick={workflow.dismissNotice}
            >
              ✕
            </button>
          </div>
        )}
      </div>
    </>
  );
}
