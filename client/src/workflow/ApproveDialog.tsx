/**
 * The approval refused because of the claims: which claims stand in the way and why (each one opens
 * in the claims panel, its text selected), and "Approve anyway", which needs a written reason that
 * is kept in the story's record and shown on the story.
 */
import { useRef, useState } from 'preact/hooks';
import { blockingReasonLabel } from './labels.ts';
import { Modal } from './Modal.tsx';
import type { BlockingClaim } from './workflowApi.ts';

export interface ApproveDialogProps {
  blocking: BlockingClaim[];
  busy: boolean;
  /** Resolves to an error message, or `null` once approved. */
  onApproveAnyway(reason: string): Promise<string | null>;
  onOpenClaim(id: string): void;
  onClose(): void;
}

/** Claim statuses as the claims panel colours them (`status-<look>` classes). */
function lookOf(reason: string): string {
  return reason === 'changed since verified' ? 'changed' : reason;
}

export function ApproveDialog({ blocking, busy, onApproveAnyway, onOpenClaim, onClose }: ApproveDialogProps) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const field = useRef<HTMLTextAreaElement>(null);
  const count = blocking.length;
  const claims = count === 1 ? '1 claim is' : `${count} claims are`;

  const submit = async (event: Event) => {
    event.preventDefault();
    const problem = await onApproveAnyway(reason);
    setError(problem);
    if (problem !== null) field.current?.focus();
  };

  return (
    <Modal
      labelledBy="approve-dialog-title"
      describedBy="approve-dialog-intro"
      onClose={onClose}
      class="approve-dialog"
      testId="approve-dialog"
    >
      <h2 id="approve-dialog-title">Not every claim is verified</h2>
      <p id="approve-dialog-intro">
        {claims} still open. A story is approved when every claim is verified and unchanged since. Open a claim to check
        it, or approve anyway with a reason.
      </p>
      <ul class="blocking-list" aria-label="Claims that block the approval">
        {blocking.map((claim) => (
          <li key={claim.id}>
            <button
              type="button"
              class={`blocking-claim status-${lookOf(claim.reason)}`}
              onClick={() => onOpenClaim(claim.id)}
              title="Show this claim in the story and the claims panel"
            >
              <span class="status-chip">
                <span class="status-swatch" aria-hidden="true" />
                {blockingReasonLabel(claim.reason)}
              </span>
              <span class="blocking-text">{claim.text || '(no text left)'}</span>
            </button>
          </li>
        ))}
      </ul>
      <form class="approve-anyway" onSubmit={(event) => void submit(event)}>
        <label for="approve-reason">Approve anyway: why can it run with these claims open?</label>
        <textarea
          id="approve-reason"
          ref={field}
          rows={3}
          maxLength={2000}
          value={reason}
          aria-required="true"
          aria-invalid={error === null ? undefined : 'true'}
          aria-describedby="approve-reason-hint"
          placeholder="e.g. The figure was confirmed by phone with the finance office."
          onInput={(event) => {
            setReason(event.currentTarget.value);
            setError(null);
          }}
        />
        <p id="approve-reason-hint" class="field-hint">
          Kept in the story's record and shown on the story to everyone working on it.
        </p>
        {error !== null && (
          <p class="field-error" role="alert">
            {error}
          </p>
        )}
        <div class="dialog-actions">
          <button type="button" class="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="button button-danger" disabled={busy}>
            {busy ? 'Approving…' : 'Approve anyway'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
