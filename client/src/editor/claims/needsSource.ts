/**
 * Marks the sentences that need a source: those that attribute information to someone (see
 * `shared/sentences.ts`) and have no claim on them. Sentences are computed per textblock, like the
 * server's `GET /sentences`; after an edit only the textblocks it touched are computed again.
 */
import type { Node as ProseMirrorNode } from 'prosemirror-model';
import { Decoration, DecorationSet } from 'prosemirror-view';
import { isAttributed, splitSentences } from '../../../../shared/sentences.ts';
import { type DrawnClaim, isPlaced, type PlacedClaim } from './drawnClaims.ts';

/** What a needs-a-source decoration carries (its spec). */
export interface NeedsSourceSpec {
  needsSource: true;
  /** The sentence, as it was when marked. */
  text: string;
}

const ATTRS = {
  class: 'needs-source',
  title: 'This sentence attributes information to someone but has no claim yet — it needs a source',
};

/** A textblock's text as `flattenProseMirror` reads it (a hard break is "\n"): offset i is position `start + i`. */
function blockText(block: ProseMirrorNode): string {
  let text = '';
  block.forEach((child) => {
    text += child.isText ? (child.text ?? '') : '\n'.repeat(child.nodeSize);
  });
  return text;
}

function blockDecorations(block: ProseMirrorNode, start: number, claims: readonly PlacedClaim[]): Decoration[] {
  const end = start + block.content.size;
  const inBlock = claims.filter((claim) => claim.from < end && claim.to > start);
  const decorations: Decoration[] = [];
  for (const sentence of splitSentences(blockText(block))) {
    const from = start + sentence.start;
    const to = start + sentence.end;
    if (!isAttributed(sentence.text)) continue;
    if (inBlock.some((claim) => claim.from < to && claim.to > from)) continue;
    const spec: NeedsSourceSpec = { needsSource: true, text: sentence.text };
    decorations.push(Decoration.inline(from, to, ATTRS, spec));
  }
  return decorations;
}

/** Every sentence of `doc` that needs a source. */
export function needsSourceDecorations(doc: ProseMirrorNode, claims: readonly DrawnClaim[]): DecorationSet {
  const placed = claims.filter(isPlaced);
  const decorations: Decoration[] = [];
  doc.descendants((node, pos) => {
    if (!node.isTextblock) return true;
    decorations.push(...blockDecorations(node, pos + 1, placed));
    return false;
  });
  return DecorationSet.create(doc, decorations);
}

/**
 * `set` (already mapped to `doc`) with the textblocks around `ranges` marked again: the sentences
 * there may have changed, and so may the claims on them.
 */
export function updateNeedsSource(
  set: DecorationSet,
  doc: ProseMirrorNode,
  ranges: readonly { from: number; to: number }[],
  claims: readonly DrawnClaim[],
): DecorationSet {
  const blocks = new Map<number, ProseMirrorNode>();
  for (const range of ranges) {
    const from = Math.max(0, Math.min(range.from, range.to) - 1);
    const to = Math.min(doc.content.size, Math.max(range.from, range.to) + 1);
    doc.nodesBetween(from, to, (node, pos) => {
      if (!node.isTextblock) return true;
      blocks.set(pos, node);
      return false;
    });
  }
  if (blocks.size === 0) return set;
  const placed = claims.filter(isPlaced);
  let next = set;
  const added: Decoration[] = [];
  for (const [pos, block] of blocks) {
    const start = pos + 1;
    next = next.remove(next.find(start, start + block.content.size));
    added.push(...blockDecorations(block, start, placed));
  }
  return next.add(doc, added);
}

/** The sentences marked in `set`, in story order. */
export function sentencesNeedingSource(set: DecorationSet): { from: number; to: number; text: string }[] {
  return set
    .find()
    .map((decoration) => ({
      from: decoration.from,
      to: decoration.to,
      text: (decoration.spec as NeedsSourceSpec).text,
    }))
    .sort((a, b) => a.from - b.from);
}
