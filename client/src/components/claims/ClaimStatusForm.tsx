/**
 * Changing a claim's status, with an optional note that also goes into the claim's discussion.
 * Only the statuses the person's role may set are offered (verdicts — verified, disputed, false —
 * need a fact-checker or an editor); the server decides anyway.
 */
import { useState } from 'preact/hooks';
import type { Role } from '../../../../shared/api.ts';
import { CLAIM_LIMITS, SETTABLE_CLAIM_STATUSES, type SettableClaimStatus } from '../../../../shared/claims.ts';
import { canSetClaimStatus } from '../../../../shared/permissions.ts';
import { api } from '../../api.ts';
import { CLAIM_LOOK_LABELS } from '../../claimStatus.ts';
import type { DrawnClaim } from '../../editor/claims/index.ts';
import { useApiAction } from '../../hooks/useApiAction.ts';

export interface ClaimStatusFormProps {
  storyId: string;
  claim: DrawnClaim;
  role: Role;
  announce(message: string): void;
}

export function ClaimStatusForm({ storyId, claim, role, announce }: ClaimStatusFormProps) {
  const current = claim.record.status;
  const [status, setStatus] = useState<SettableClaimStatus>(current);
  const [note, setNote] = useState('');
  const action = useApiAction();
  // Someone else (or this form) changed the status: the choice starts again from the new one.
  // (Checked while rendering, not in an effect, which would run after the person's first choice.)
  const [shownFor, setShownFor] = useState(current);
  if (shownFor !== current) {
    setShownFor(current);
    setStatus(current);
  }
  const allowed = SETTABLE_CLAIM_STATUSES.filter((value) => value === current || canSetClaimStatus(role, value));
  const id = `claim-${claim.id}-status`;
  const unchanged = status === current && note.trim() === '';

  const submit = async (event: Event) => {
    event.preventDefault();
    if (unchanged) return;
    const changes = { ...(status === current ? {} : { status }), ...(note.trim() === '' ? {} : { note: note.trim() }) };
    const updated = await action.run(() => api.updateClaim(storyId, claim.id, changes));
    if (updated === undefined) return;
    setNote('');
    announce(status === current ? 'Note added' : `Status set to ${CLAIM_LOOK_LABELS[status]}`);
  };

  return (
    <form class="claim-status-form" onSubmit={(event) => void submit(event)}>
      <div class="inline-row">
        <label for={id}>Status</label>
        <select
          id={id}
          value={status}
          onChange={(event) => setStatus(event.currentTarget.value as SettableClaimStatus)}
        >
          {allowed.map((value) => (
            <option key={value} value={value} disabled={!canSetClaimStatus(role, value)}>
              {CLAIM_LOOK_LABELS[value]}
            </option>
          ))}
        </select>
      </div>
      {role === 'reporter' && (
        <p class="muted small">Verdicts (verified, disputed, false) are set by a fact-checker or an editor.</p>
      )}
      <label for={`${id}-note`}>Note (optional, added to the discussion)</label>
      <textarea
        id={`${id}-note`}
        rows={2}
        maxLength={CLAIM_LIMITS.note}
        placeholder="Why: what you checked, what is missing"
        value={note}
        onInput={(event) => setNote(event.currentTarget.value)}
        onKeyDown={(event) => {
          if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) void submit(event);
        }}
      />
      {action.error !== null && (
        <p class="form-error" role="alert">
          {action.error}
        </p>
      )}
      <button type="submit" class="button button-primary button-small" disabled={unchanged || action.busy}>
        {action.busy ? 'Saving…' : status === current ? 'Add note' : `Set to ${CLAIM_LOOK_LABELS[status]}`}
      </button>
    </form>
  );
}
