/**
 * Claim anchors: a claim points at a range of the body by two `Y.RelativePosition`s (start, end),
 * which follow the text through concurrent edits anywhere else. This module flattens the body into
 * one string (textblocks joined by "\n") so that the server, the API and tests can turn text offsets
 * into anchors and back, and find quoted text.
 */
import * as Y from 'yjs';

/** Nodes whose children are the story's inline text. */
/** Textblock elements of the body (the editor's textblocks), as the flattening reads them. */
export const TEXTBLOCKS: ReadonlySet<string> = new Set(['paragraph', 'heading']);
/** Between two textblocks in the flat text. */
export const BLOCK_SEPARATOR = '\n';
/** A character standing for a non-text inline node (a hard break) in the flat text. */
const INLINE_NODE = '\n';

export interface TextSegment {
  node: Y.XmlText;
  /** Offset of the node's first character in the flat text. */
  start: number;
  length: number;
}

export interface BodyBlock {
  /** Position among the story's textblocks (paragraphs and headings, in reading order). */
  index: number;
  /** `paragraph` or `heading`. */
  type: string;
  element: Y.XmlElement;
  start: number;
  end: number;
  text: string;
}

export interface FlatBody {
  text: string;
  blocks: BodyBlock[];
  segments: TextSegment[];
  segmentOf: Map<Y.XmlText, TextSegment>;
}

function xmlTextString(node: Y.XmlText): string {
  let text = '';
  for (const op of node.toDelta() as { insert: unknown }[]) {
    text += typeof op.insert === 'string' ? op.insert : '\uFFFC';
  }
  return text;
}

/** The body's text, blocks and the offset of every text node. */
export function flattenBody(fragment: Y.XmlFragment): FlatBody {
  const flat: FlatBody = { text: '', blocks: [], segments: [], segmentOf: new Map() };
  const visit = (element: Y.XmlElement | Y.XmlFragment) => {
    for (const child of element.toArray()) {
      if (!(child instanceof Y.XmlElement)) continue;
      if (!TEXTBLOCKS.has(child.nodeName)) {
        visit(child);
        continue;
      }
      if (flat.blocks.length > 0) flat.text += BLOCK_SEPARATOR;
      const start = flat.text.length;
      for (const inline of child.toArray()) {
        if (inline instanceof Y.XmlText) {
          const content = xmlTextString(inline);
          const segment = { node: inline, start: flat.text.length, length: content.length };
          flat.segments.push(segment);
          flat.segmentOf.set(inline, segment);
          flat.text += content;
        } else {
          flat.text += INLINE_NODE;
        }
      }
      flat.blocks.push({
        index: flat.blocks.length,
        type: child.nodeName,
        element: child,
        start,
        end: flat.text.length,
        text: flat.text.slice(start),
      });
    }
  };
  visit(fragment);
  return flat;
}

export interface EncodedAnchor {
  start: string;
  end: string;
}

function encodePosition(position: Y.RelativePosition): string {
  let binary = '';
  for (const byte of Y.encodeRelativePosition(position)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** An encoded anchor end, decoded; `null` when it is not one. */
export function decodePosition(encoded: string): Y.RelativePosition | null {
  try {
    const binary = atob(encoded);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return Y.decodeRelativePosition(bytes);
  } catch {
    return null;
  }
}

/**
 * Anchors the flat-text range [from, to). The start sticks to the first character, the end to
 * the last, so text typed just outside the range stays outside. Returns `null` for a range with no
 * story text in it.
 */
export function anchorRange(flat: FlatBody, from: number, to: number): EncodedAnchor | null {
  if (!(from < to)) return null;
  const first = flat.segments.find(
    (segment) => segment.length > 0 && segment.start + segment.length > from && segment.start < to,
  );
  const last = flat.segments.findLast(
    (segment) => segment.length > 0 && segment.start < to && segment.start + segment.length > from,
  );
  if (first === undefined || last === undefined) return null;
  const startIndex = Math.max(0, from - first.start);
  const endIndex = Math.min(last.length, to - last.start);
  return {
    start: encodePosition(Y.createRelativePositionFromTypeIndex(first.node, startIndex, 0)),
    end: encodePosition(Y.createRelativePositionFromTypeIndex(last.node, endIndex, -1)),
  };
}

/** Where one encoded anchor end is now, as a flat-text offset; `null` when its text node is gone. */
export function resolvePosition(doc: Y.Doc, flat: FlatBody, encoded: string): number | null {
  const relative = decodePosition(encoded);
  if (relative === null) return null;
  const absolute = Y.createAbsolutePositionFromRelativePosition(relative, doc);
  if (absolute === null || !(absolute.type instanceof Y.XmlText)) return null;
  const segment = flat.segmentOf.get(absolute.type);
  // A text node that is no longer in the story (its paragraph was deleted) anchors nothing.
  if (segment === undefined) return null;
  return segment.start + Math.min(absolute.index, segment.length);
}

/**
 * Like `resolvePosition`, but for an anchor end whose text node was removed (its paragraph was
 * deleted or merged into another): the end of the nearest live textblock before where it stood.
 * Used to look for moved text near its old place.
 */
export function approximatePosition(doc: Y.Doc, flat: FlatBody, encoded: string): number | null {
  const exact = resolvePosition(doc, flat, encoded);
  if (exact !== null) return exact;
  const relative = decodePosition(encoded);
  const absolute = relative === null ? null : Y.createAbsolutePositionFromRelativePosition(relative, doc);
  if (absolute === null) return null;
  // Climb to the story-level block that held the text, then look left for a live one.
  let item = absolute.type._item;
  while (item !== null && item.parent instanceof Y.AbstractType && item.parent._item !== null) item = item.parent._item;
  for (let left = item?.left ?? null; left !== null; left = left.left) {
    if (left.deleted || !(left.content instanceof Y.ContentType)) continue;
    const element = left.content.type;
    const inside = flat.blocks.filter(
      (block) =>
        block.element === element || (block.element._item !== null && Y.isParentOf(element, block.element._item)),
    );
    const last = inside.at(-1);
    if (last !== undefined) return last.end;
  }
  return 0;
}

/**
 * Where an anchor is now, as a flat-text range; `null` when no text is left between its ends (the
 * claim is detached) or it cannot be resolved.
 */
export function resolveAnchor(doc: Y.Doc, flat: FlatBody, anchor: EncodedAnchor): { from: number; to: number } | null {
  const from = resolvePosition(doc, flat, anchor.start);
  const to = resolvePosition(doc, flat, anchor.end);
  if (from === null || to === null || !(from < to)) return null;
  return { from, to };
}

/** Offsets of every occurrence of `quote` in `text`. */
export function occurrences(text: string, quote: string): number[] {
  const found: number[] = [];
  if (quote.length === 0) return found;
  for (let at = text.indexOf(quote); at >= 0; at = text.indexOf(quote, at + 1)) found.push(at);
  return found;
}

/** The occurrence of `quote` nearest to `near` (for re-finding text that an edit moved), or `null`. */
export function nearestOccurrence(text: string, quote: string, near: number): number | null {
  let best: number | null = null;
  for (const at of occurrences(text, quote)) {
    if (best === null || Math.abs(at - near) < Math.abs(best - near)) best = at;
  }
  return best;
}
