/**
 * Draws claims over the story text. Each claim is underlined in its status colour; claims that
 * overlap are given separate lanes (stacked underlines, the first lane closest to the text), so each
 * stays readable. The text is cut into segments at every claim boundary and each segment gets one
 * decoration listing the lanes that cover it (ProseMirror merges the attributes of overlapping
 * inline decorations, so per-claim decorations could not stack). The active claim is tinted
 * strongly; a verified claim whose text changed since gets a striped warning background.
 *
 * After an edit the decorations are not drawn again from scratch: the previous set is mapped
 * through the edit and only the regions that changed are drawn again (`patchClaimDecorations`), so
 * a keystroke costs the claims around it, not all of them, and ProseMirror's view finds the rest of
 * the set unchanged (the same objects) instead of comparing every decoration.
 */
import type { Node as ProseMirrorNode } from 'prosemirror-model';
import { Decoration, DecorationSet } from 'prosemirror-view';
import { CLAIM_LOOK_LABELS, type ClaimLook } from '../../claimStatus.ts';
import { type DrawnClaim, isPlaced, needsRecheck, type PlacedClaim, shownStatus } from './drawnClaims.ts';

/** Underline lanes drawn; deeper overlaps share the last lane (the line spacing leaves room for three). */
export const MAX_LANES = 3;

/** How a claim is coloured. */
export function claimLook(claim: DrawnClaim): ClaimLook {
  return needsRecheck(claim) ? 'changed' : shownStatus(claim);
}

/** Lane of each claim: the first lane free where the claim starts (outer claims before inner ones). */
export function assignLanes(claims: readonly PlacedClaim[]): Map<string, number> {
  const ordered = [...claims].sort((a, b) => a.from - b.from || b.to - a.to);
  const laneEnds: number[] = [];
  const lanes = new Map<string, number>();
  for (const claim of ordered) {
    let lane = laneEnds.findIndex((end) => end <= claim.from);
    if (lane < 0) lane = laneEnds.length;
    laneEnds[lane] = claim.to;
    lanes.set(claim.id, Math.min(lane, MAX_LANES - 1));
  }
  return lanes;
}

function segmentAttrs(covering: readonly PlacedClaim[], lanes: ReadonlyMap<string, number>, activeId: string | null) {
  const colours: (ClaimLook | null)[] = [];
  for (const claim of covering) colours[lanes.get(claim.id) ?? 0] = claimLook(claim);
  const style: string[] = [];
  for (let lane = 0; lane < colours.length; lane++) {
    const look = colours[lane];
    style.push(`--claim-lane-${lane}: ${look ? `var(--claim-${look})` : 'var(--paper)'}`);
  }
  const active = covering.find((claim) => claim.id === activeId);
  // The tint is the active claim's, else the innermost claim's (the shortest: the most specific).
  const tinted =
    active ?? covering.reduce((best, claim) => (claim.to - claim.from < best.to - best.from ? claim : best));
  const tint = claimLook(tinted);
  style.push(`--claim-tint: var(--claim-${tint}-tint)`, `--claim-strong: var(--claim-${tint}-strong)`);
  const classes = ['claim-mark', `claim-lanes-${colours.length}`];
  if (active) classes.push('is-active');
  if (covering.some(needsRecheck)) classes.push('is-changed');
  const looks = covering.map(claimLook);
  const title =
    covering.length === 1
      ? `Claim: ${CLAIM_LOOK_LABELS[looks[0] ?? 'unverified']} — click to open it in the claims panel`
      : `${covering.length} claims: ${looks.map((look) => CLAIM_LOOK_LABELS[look]).join(', ')} — click to open them in turn`;
  return {
    class: classes.join(' '),
    style: style.join('; '),
    title,
    'data-claims': covering.map((claim) => claim.id).join(' '),
    'data-looks': looks.join(' '),
  };
}

/** The segments of `placed` (in story order), each a decoration with the lanes that cover it. */
function segments(placed: readonly PlacedClaim[], lanes: ReadonlyMap<string, number>, activeId: string | null) {
  const boundaries = [...new Set(placed.flatMap((claim) => [claim.from, claim.to]))].sort((a, b) => a - b);
  const decorations: Decoration[] = [];
  let active: PlacedClaim[] = [];
  let next = 0;
  for (let i = 0; i < boundaries.length - 1; i++) {
    const from = boundaries[i] as number;
    const to = boundaries[i + 1] as number;
    active = active.filter((claim) => claim.to > from);
    while (next < placed.length && (placed[next] as PlacedClaim).from <= from)
      active.push(placed[next++] as PlacedClaim);
    if (active.length === 0) continue;
    decorations.push(
      Decoration.inline(from, to, segmentAttrs(active, lanes, activeId), { claimIds: active.map((c) => c.id) }),
    );
  }
  return decorations;
}

/** The decorations of every claim that still has text. */
export function claimDecorations(
  doc: ProseMirrorNode,
  claims: readonly DrawnClaim[],
  activeId: string | null,
): DecorationSet {
  const placed = claims.filter(isPlaced).sort((a, b) => a.from - b.from);
  if (placed.length === 0) return DecorationSet.empty;
  return DecorationSet.create(doc, segments(placed, assignLanes(placed), activeId));
}

export interface Range {
  from: number;
  to: number;
}

/**
 * `set` (the previous decorations, already mapped to `doc`) drawn again in the ranges `dirty`: where
 * the text changed and where claims changed (their place, length, lane, record or whether they are
 * the active one). Each range is first widened until no claim and no old segment crosses its ends,
 * so that the segments drawn in it are exactly those a full redraw gives there; everywhere else the
 * mapped segments already are. Equals `claimDecorations(doc, claims, activeId)` (a seeded random
 * test checks it).
 */
export function patchClaimDecorations(
  set: DecorationSet,
  doc: ProseMirrorNode,
  claims: readonly DrawnClaim[],
  lanes: ReadonlyMap<string, number>,
  activeId: string | null,
  dirty: readonly Range[],
): DecorationSet {
  if (dirty.length === 0) return set;
  const placed = claims.filter(isPlaced);
  const size = doc.content.size;
  let regions = dirty
    .map((range) => ({
      from: Math.max(0, Math.min(range.from, range.to, size)),
      to: Math.min(size, Math.max(range.from, range.to, 0)),
    }))
    .sort((a, b) => a.from - b.from);
  for (let widened = true; widened; ) {
    widened = false;
    const merged: Range[] = [];
    for (const region of regions) {
      const last = merged.at(-1);
      if (last !== undefined && region.from <= last.to) last.to = Math.max(last.to, region.to);
      else merged.push({ ...region });
    }
    const widen = (region: Range, item: Range, end: number) => {
      if (!(item.from < end && end < item.to)) return;
      if (item.from < region.from || item.to > region.to) widened = true;
      region.from = Math.min(region.from, item.from);
      region.to = Math.max(region.to, item.to);
    };
    for (const region of merged) {
      for (const end of [region.from, region.to]) {
        for (const claim of placed) widen(region, claim, end);
        for (const old of set.find(end, end)) widen(region, old, end);
      }
    }
    regions = merged;
  }
  const removed: Decoration[] = [];
  const added: Decoration[] = [];
  for (const region of regions) {
    removed.push(...set.find(region.from, region.to).filter((old) => old.from < region.to && old.to > region.from));
    const inside = placed.filter((claim) => claim.from >= region.from && claim.to <= region.to);
    added.push(...segments(inside, lanes, activeId));
  }
  return set.remove(removed).add(doc, added);
}
