/**
 * Claims as the editor draws them: each claim record of the notes document with the editor range
 * its anchor points at now. Anchors live in the body's Yjs document; the editor's document is kept
 * in step with it by y-prosemirror, so an anchor is resolved to flat-text offsets of the body and
 * those offsets to positions of the ProseMirror document (both flatten to the same text).
 */
import type { Node as ProseMirrorNode } from 'prosemirror-model';
import type { Mapping } from 'prosemirror-transform';
import type * as Y from 'yjs';
import { flattenBody, resolveAnchor } from '../../../../shared/anchors.ts';
import type { ClaimRecord, ClaimStatus } from '../../../../shared/claims.ts';
import { flattenProseMirror, offsetToPosition } from '../../../../shared/proseMirrorText.ts';

export interface DrawnClaim {
  readonly id: string;
  readonly record: ClaimRecord;
  /** Editor positions of the claimed text now; both `null` when no text is left (detached). */
  readonly from: number | null;
  readonly to: number | null;
}

/** A claim that still has text in the story. */
export type PlacedClaim = DrawnClaim & { readonly from: number; readonly to: number };

export function isPlaced(claim: DrawnClaim): claim is PlacedClaim {
  return claim.from !== null && claim.to !== null;
}

/** The status to show: `detached` when the claim's text is gone (never stored; the stored status is kept). */
export function shownStatus(claim: DrawnClaim): ClaimStatus {
  return isPlaced(claim) ? claim.record.status : 'detached';
}

/** Whether the text of a verified claim changed since (flagged by the server) and it needs a re-check. */
export function needsRecheck(claim: DrawnClaim): boolean {
  return isPlaced(claim) && claim.record.changedSinceVerified !== null;
}

/** Story order: by where the text starts (then ends); detached claims last, oldest first. */
export function inStoryOrder(claims: readonly DrawnClaim[]): DrawnClaim[] {
  return [...claims].sort((a, b) => {
    if (isPlaced(a) && isPlaced(b)) return a.from - b.from || a.to - b.to;
    if (isPlaced(a)) return -1;
    if (isPlaced(b)) return 1;
    return a.record.createdAt.localeCompare(b.record.createdAt);
  });
}

/**
 * Resolves every claim against the body as it is now. Returns `null` when the editor's document is
 * not in step with the body document (never expected; the caller tries again after the next change).
 */
export function resolveClaims(
  records: Iterable<ClaimRecord>,
  yBody: Y.XmlFragment,
  doc: ProseMirrorNode,
): DrawnClaim[] | null {
  const yDoc = yBody.doc;
  if (yDoc === null) return null;
  const flatBody = flattenBody(yBody);
  const flatEditor = flattenProseMirror(doc);
  if (flatBody.text !== flatEditor.text) return null;
  const claims: DrawnClaim[] = [];
  for (const record of records) {
    const range = resolveAnchor(yDoc, flatBody, record);
    claims.push(
      range === null
        ? { id: record.id, record, from: null, to: null }
        : {
            id: record.id,
            record,
            from: offsetToPosition(flatEditor, range.from),
            to: offsetToPosition(flatEditor, range.to),
          },
    );
  }
  return inStoryOrder(claims);
}

/**
 * Moves claims through a change of the editor's document. Like their anchors, a claim's start stays
 * before text typed at its start and its end before text typed at its end; a claim whose text is
 * all deleted becomes detached.
 */
export function mapClaims(claims: readonly DrawnClaim[], mapping: Mapping): DrawnClaim[] {
  const mapped = claims.map((claim): DrawnClaim => {
    if (!isPlaced(claim)) return claim;
    const from = mapping.map(claim.from, 1);
    const to = mapping.map(claim.to, -1);
    return from < to ? { ...claim, from, to } : { ...claim, from: null, to: null };
  });
  return inStoryOrder(mapped);
}
