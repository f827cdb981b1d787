/** A claim's status as a small coloured label (colour and words, never colour alone). */
import { CLAIM_LOOK_HINTS, CLAIM_LOOK_LABELS, type ClaimLook } from '../../claimStatus.ts';

export function StatusChip({ look }: { look: ClaimLook }) {
  return (
    <span class={`status-chip status-${look}`} title={CLAIM_LOOK_HINTS[look]}>
      <span class="status-swatch" aria-hidden="true" />
      {CLAIM_LOOK_LABELS[look]}
    </span>
  );
}
