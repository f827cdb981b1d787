/**
 * The claims plugin's state and the one reducer that changes it (as in Guardian's typerighter):
 * state changes only through transaction meta (`ClaimsAction`) or by mapping through a change of the
 * document. Claims are resolved from their anchors when the notes document changes and after edits
 * (the follower in `claimsPlugin.ts` decides which); between those, they are mapped through each
 * edit, so they never lag behind the text being typed.
 *
 * Nothing is recomputed for the whole story on a keystroke: claims are mapped (the ones the edit
 * does not move stay the same objects), the highlights and the needs-a-source marks are mapped and
 * drawn again only where the text or a claim changed (`patchClaimDecorations`, `updateNeedsSource`).
 */
import type { Node as ProseMirrorNode } from 'prosemirror-model';
import { PluginKey, type Transaction } from 'prosemirror-state';
import { DecorationSet } from 'prosemirror-view';
import { changedRanges, isRemoteTransaction, transactionMapping } from '../remoteTransaction.ts';
import { assignLanes, claimDecorations, patchClaimDecorations, type Range } from './claimDecorations.ts';
import { type DrawnClaim, isPlaced, mapClaims } from './drawnClaims.ts';
import { needsSourceDecorations, updateNeedsSource } from './needsSource.ts';

export interface ClaimsState {
  /** Every claim of the story, in story order (detached ones last). */
  readonly claims: readonly DrawnClaim[];
  /** The claim open in the claims panel and emphasised in the text. */
  readonly activeId: string | null;
  /** The claims' highlights. */
  readonly decorations: DecorationSet;
  /** The sentences that need a source. */
  readonly needsSource: DecorationSet;
  /** The underline lane of each claim that has text (see `assignLanes`). */
  readonly lanes: ReadonlyMap<string, number>;
  /** A colleague's edit arrived since the claims were last resolved. */
  readonly stale: boolean;
  /** How many colleagues' edits arrived so far (the follower remembers up to which one it checked). */
  readonly remoteEdits: number;
  /**
   * Claims a colleague's edit came near (touched, or detached), each with the `remoteEdits` count of
   * the last such edit: the one-range mapping of such an edit may have placed them wrongly, so the
   * follower resolves them again. Emptied by a resolve.
   */
  readonly nearRemoteEdits: ReadonlyMap<string, number>;
}

export type ClaimsAction =
  /**
   * Claims freshly resolved from the notes document, with positions in the transaction's starting
   * document: all of them (those left out are gone), in story order.
   */
  | { type: 'resolved'; claims: readonly DrawnClaim[] }
  /** Open a claim (or none). */
  | { type: 'activate'; id: string | null };

export const claimsPluginKey = new PluginKey<ClaimsState>('sourcedesk-claims');

const NONE: ReadonlyMap<string, number> = new Map();

/** Before the first resolve: no claims yet, but the sentences that need a source are already known. */
export function initialClaimsState(doc: ProseMirrorNode): ClaimsState {
  return {
    claims: [],
    activeId: null,
    decorations: DecorationSet.empty,
    needsSource: needsSourceDecorations(doc, []),
    lanes: NONE,
    stale: true,
    remoteEdits: 0,
    nearRemoteEdits: NONE,
  };
}

function touches(claim: DrawnClaim, ranges: readonly Range[]): boolean {
  return isPlaced(claim) && ranges.some((range) => claim.from <= range.to && claim.to >= range.from);
}

/** Whether two versions of a claim cover as many characters (or are both detached). */
function sameLength(a: DrawnClaim, b: DrawnClaim): boolean {
  if (!isPlaced(a) || !isPlaced(b)) return !isPlaced(a) && !isPlaced(b);
  return a.to - a.from === b.to - b.from;
}

export function reduceClaims(state: ClaimsState, tr: Transaction): ClaimsState {
  const action = tr.getMeta(claimsPluginKey) as ClaimsAction | undefined;
  if (action === undefined && !tr.docChanged) return state;
  const doc = tr.doc;
  const mapping = tr.docChanged ? transactionMapping(tr) : null;
  const edited = mapping === null ? [] : changedRanges(mapping);
  // The claims as they were, where the edit moved them.
  const mapped = mapping === null ? state.claims : mapClaims(state.claims, mapping);
  let claims = mapped;
  let { activeId, stale, remoteEdits, nearRemoteEdits } = state;
  if (action?.type === 'resolved') {
    claims = mapping === null ? action.claims : mapClaims(action.claims, mapping);
    stale = false;
    nearRemoteEdits = NONE;
  } else if (action?.type === 'activate') {
    activeId = action.id;
  }
  if (mapping !== null && isRemoteTransaction(tr)) {
    stale = true;
    remoteEdits += 1;
    const near = new Map(nearRemoteEdits);
    const before = new Map(state.claims.map((claim) => [claim.id, claim]));
    for (const claim of mapped) {
      const detached = !isPlaced(claim) && isPlaced(before.get(claim.id) ?? claim);
      if (detached || touches(claim, edited)) near.set(claim.id, remoteEdits);
    }
    nearRemoteEdits = near;
  }

  // What changed, claim by claim: where to draw the highlights again, and the needs-a-source marks.
  const lanes = claims === state.claims ? state.lanes : assignLanes(claims.filter(isPlaced));
  const redraw: Range[] = [...edited];
  const replaced: Range[] = [];
  let changedClaims = 0;
  if (claims !== state.claims || activeId !== state.activeId) {
    const old = new Map(state.claims.map((claim) => [claim.id, claim]));
    const wasAt = claims === mapped ? null : new Map(mapped.map((claim) => [claim.id, claim]));
    const at = (claim: DrawnClaim) => (isPlaced(claim) ? [{ from: claim.from, to: claim.to }] : []);
    for (const claim of claims) {
      const before = old.get(claim.id);
      const moved = wasAt?.get(claim.id) ?? (wasAt === null ? claim : undefined);
      const placedAsMapped = moved !== undefined && moved.from === claim.from && moved.to === claim.to;
      const same =
        before !== undefined &&
        placedAsMapped &&
        sameLength(before, claim) &&
        before.record === claim.record &&
        state.lanes.get(claim.id) === lanes.get(claim.id) &&
        (claim.id === activeId) === (claim.id === state.activeId);
      if (same) continue;
      changedClaims++;
      const ranges = [...at(claim), ...(moved === undefined ? [] : at(moved))];
      redraw.push(...ranges);
      if (!placedAsMapped) replaced.push(...ranges);
    }
    if (wasAt !== null) {
      const kept = new Set(claims.map((claim) => claim.id));
      for (const gone of mapped) {
        if (kept.has(gone.id)) continue;
        changedClaims++;
        const ranges = at(gone);
        redraw.push(...ranges);
        replaced.push(...ranges);
      }
    }
  }
  // Most claims changed (the first resolve): drawing everything at once is quicker than patching.
  const redrawAll = changedClaims > Math.max(16, claims.length / 2);
  const decorations = redrawAll
    ? claimDecorations(doc, claims, activeId)
    : patchClaimDecorations(
        mapping === null ? state.decorations : state.decorations.map(mapping, doc),
        doc,
        claims,
        lanes,
        activeId,
        redraw,
      );
  const marked = [...edited, ...replaced];
  const needsSource = redrawAll
    ? needsSourceDecorations(doc, claims)
    : marked.length === 0
      ? mapping === null
        ? state.needsSource
        : state.needsSource.map(mapping, doc)
      : updateNeedsSource(
          mapping === null ? state.needsSource : state.needsSource.map(mapping, doc),
          doc,
          marked,
          claims,
        );
  return { claims, activeId, decorations, needsSource, lanes, stale, remoteEdits, nearRemoteEdits };
}
