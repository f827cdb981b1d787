/**
 * Validation of updates written straight into a notes room over the socket (the API's checks do
 * not see them). The update is applied to a scratch copy of the room (notes documents are small)
 * and accepted only if the result still passes the shared schema and the sender's role rules:
 * - every claim, source and thread message parses (URLs http/https, lengths, enums);
 * - only fact-checkers and editors set verdicts; only editors delete claims;
 * - nobody but the server writes the re-check fields (`lastText`, `verifiedText`,
 *   `changedSinceVerified`);
 * - no other top-level data, and nothing that cannot be applied completely (missing dependencies).
 */
import * as Y from 'yjs';
import type { Role } from '../../shared/api.ts';
import {
  type ClaimRecord,
  notesMaps,
  readClaim,
  readSource,
  SERVER_ONLY_CLAIM_FIELDS,
  ThreadMessage,
} from '../../shared/claims.ts';
import { YName } from '../../shared/documentLayout.ts';
import { canDeleteClaim, canSetClaimStatus } from '../../shared/permissions.ts';

const NOTES_ROOTS = new Set<string>([YName.claims, YName.sources, YName.threads]);

/** Why `update` may not be applied to `current` by someone with `role`, or `null` when it may. */
export function refuseNotesUpdate(current: Y.Doc, update: Uint8Array, role: Role): string | null {
  const scratch = new Y.Doc({ gc: current.gc });
  try {
    Y.applyUpdate(scratch, Y.encodeStateAsUpdate(current));
    Y.applyUpdate(scratch, update);
    if (scratch.store.pendingStructs !== null || scratch.store.pendingDs !== null) {
      return 'the update depends on changes the server does not have';
    }
    for (const name of scratch.share.keys()) {
      if (!NOTES_ROOTS.has(name)) return `"${name}" is not part of a story's notes`;
    }
    const before = notesMaps(current);
    const after = notesMaps(scratch);

    for (const [id, map] of after.claims.entries()) {
      const claim = map instanceof Y.Map ? readClaim(map) : null;
      if (claim === null || claim.id !== id) return `claim ${id} does not pass the claim schema`;
      const previousMap = before.claims.get(id);
      const previous = previousMap instanceof Y.Map ? readClaim(previousMap) : null;
      const refusal = previous === null ? checkNewClaim(claim, role) : checkChangedClaim(previous, claim, role);
      if (refusal !== null) return refusal;
    }
    for (const id of before.claims.keys()) {
      if (!after.claims.has(id) && !canDeleteClaim(role)) return 'only an editor can delete a claim';
    }
    for (const [id, map] of after.sources.entries()) {
      const source = map instanceof Y.Map ? readSource(map) : null;
      if (source === null || source.id !== id) return `source ${id} does not pass the source schema`;
    }
    for (const [claimId, thread] of after.threads.entries()) {
      if (!(thread instanceof Y.Array)) return `thread ${claimId} is not a list of messages`;
      for (const message of thread.toArray()) {
        if (!ThreadMessage.safeParse(message).success) return `a message in thread ${claimId} does not pass the schema`;
      }
    }
    return null;
  } catch {
    return 'the update could not be applied';
  } finally {
    scratch.destroy();
  }
}

function checkNewClaim(claim: ClaimRecord, role: Role): string | null {
  if (!canSetClaimStatus(role, claim.status)) return `a ${role} cannot set a claim to "${claim.status}"`;
  if (claim.changedSinceVerified !== null || claim.verifiedText !== null || claim.lastText !== claim.quote) {
    return 'only the server sets the re-check fields of a claim';
  }
  return null;
}

function checkChangedClaim(previous: ClaimRecord, claim: ClaimRecord, role: Role): string | null {
  if (claim.status !== previous.status && !canSetClaimStatus(role, claim.status)) {
    return `a ${role} cannot set a claim to "${claim.status}"`;
  }
  for (const field of SERVER_ONLY_CLAIM_FIELDS) {
    if (JSON.stringify(claim[field]) !== JSON.stringify(previous[field])) {
      return `only the server changes a claim's ${field}`;
    }
  }
  if (claim.createdBy !== previous.createdBy || claim.createdAt !== previous.createdAt) {
    return "a claim's author and creation time do not change";
  }
  return null;
}
