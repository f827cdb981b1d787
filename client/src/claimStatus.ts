/**
 * How claim statuses are called and explained on screen. Colours live in `styles.css` under the
 * same keys (`--claim-<key>`); "changed" is the warning shown for a verified claim whose text
 * changed since it was verified.
 */
import type { ClaimStatus } from '../../shared/claims.ts';

/** A status as drawn: one of the claim statuses, or `changed` (verified, then its text changed). */
export type ClaimLook = ClaimStatus | 'changed';

export const CLAIM_LOOK_LABELS: Record<ClaimLook, string> = {
  unverified: 'Unverified',
  'in-review': 'In review',
  verified: 'Verified',
  disputed: 'Disputed',
  false: 'False',
  detached: 'Detached',
  changed: 'Changed since verified',
};

export const CLAIM_LOOK_HINTS: Record<ClaimLook, string> = {
  unverified: 'Nobody has checked this claim yet',
  'in-review': 'A fact-checker is looking into this claim',
  verified: 'Checked against its sources and confirmed',
  disputed: 'The sources disagree or the claim is contested',
  false: 'Checked and found to be false',
  detached: 'The text of this claim was deleted from the story',
  changed: 'Verified, but the text changed afterwards: it needs a re-check',
};

/** Order of the statuses in filters and legends. */
export const CLAIM_LOOKS: readonly ClaimLook[] = [
  'unverified',
  'in-review',
  'verified',
  'changed',
  'disputed',
  'false',
  'detached',
];
