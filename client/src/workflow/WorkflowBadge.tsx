/** A story's workflow state as a badge (story list), with the "changed since approval" flag. */
import type { WorkflowState } from '../../../shared/api.ts';
import { WORKFLOW_STATE_HINTS, workflowStateLabel } from './labels.ts';

export function WorkflowBadge({ state, changed }: { state: WorkflowState; changed: boolean }) {
  return (
    <>
      <span class={`badge badge-workflow workflow-${state}`} title={WORKFLOW_STATE_HINTS[state]}>
        {workflowStateLabel(state)}
      </span>
      {changed && (
        <span class="badge badge-changed" title="The text changed after it was approved: it needs a new approval">
          <span aria-hidden="true">⚠ </span>Changed since approval
        </span>
      )}
    </>
  );
}
