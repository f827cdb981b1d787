/**
 * A textblock's inline content cut into runs at every mark change and every claim boundary, so
 * that the HTML and Markdown exports can wrap each run in its marks and its claims, and put a
 * citation where a claim ends.
 */
import type { Node as ProseMirrorNode } from 'prosemirror-model';
import type { ClaimView } from '../../shared/claims.ts';

export type AnchoredClaim = ClaimView & { from: number; to: number };

export interface InlineRun {
  kind: 'text' | 'break';
  text: string;
  em: boolean;
  strong: boolean;
  /** The link's href as stored (renderers check it with `safeLinkHref`). */
  href: string | null;
  /** Claims covering the whole run, outermost (earliest starting) first. */
  claims: AnchoredClaim[];
  /** Claims whose text ends with this run. */
  endingClaims: AnchoredClaim[];
  /** Claims whose text starts with this run. */
  startingClaims: AnchoredClaim[];
}

/**
 * The runs of `block`, whose first character is at flat offset `start`. `claims` are anchored
 * claims with flat ranges.
 */
export function inlineRuns(block: ProseMirrorNode, start: number, claims: readonly AnchoredClaim[]): InlineRun[] {
  const end = start + block.textContent.length + countNonText(block);
  const relevant = claims
    .filter((claim) => claim.from < end && claim.to > start)
    .sort((a, b) => a.from - b.from || b.to - a.to);
  const runs: InlineRun[] = [];
  let offset = start;
  block.forEach((child) => {
    const length = child.isText ? (child.text ?? '').length : child.nodeSize;
    const childStart = offset;
    const childEnd = offset + length;
    offset = childEnd;
    const cuts = new Set<number>([childStart, childEnd]);
    for (const claim of relevant) {
      if (claim.from > childStart && claim.from < childEnd) cuts.add(claim.from);
      if (claim.to > childStart && claim.to < childEnd) cuts.add(claim.to);
    }
    const points = [...cuts].sort((a, b) => a - b);
    const marks = child.marks;
    const link = marks.find((mark) => mark.type.name === 'link');
    for (let i = 0; i + 1 < points.length; i++) {
      const from = points[i] as number;
      const to = points[i + 1] as number;
      const covering = relevant.filter((claim) => claim.from <= from && claim.to >= to);
      runs.push({
        kind: child.isText ? 'text' : 'break',
        text: child.isText ? (child.text ?? '').slice(from - childStart, to - childStart) : '\n',
        em: marks.some((mark) => mark.type.name === 'em'),
        strong: marks.some((mark) => mark.type.name === 'strong'),
        href: link === undefined ? null : String(link.attrs.href),
        claims: covering,
        endingClaims: covering.filter((claim) => claim.to === to),
        startingClaims: covering.filter((claim) => claim.from === from),
      });
    }
  });
  return runs;
}

function countNonText(block: ProseMirrorNode): number {
  let count = 0;
  block.forEach((child) => {
    if (!child.isText) count += child.nodeSize;
  });
  return count;
}
