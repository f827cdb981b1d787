/**
 * The same flat text as `flattenBody` (textblocks joined by "\n", a hard break as "\n"), computed
 * from a ProseMirror document, with conversions between flat offsets and ProseMirror positions.
 * The editor uses it to anchor a selection (`anchorRange`) and to draw resolved anchors.
 */
import type { Node as ProseMirrorNode } from 'prosemirror-model';
import { BLOCK_SEPARATOR } from './anchors.ts';

export interface ProseMirrorBlock {
  /** Flat offset of the block's first character. */
  start: number;
  end: number;
  /** ProseMirror position of the block's first character. */
  pos: number;
  text: string;
  type: string;
}

export interface ProseMirrorFlat {
  text: string;
  blocks: ProseMirrorBlock[];
}

export function flattenProseMirror(doc: ProseMirrorNode): ProseMirrorFlat {
  const flat: ProseMirrorFlat = { text: '', blocks: [] };
  doc.descendants((node, pos) => {
    if (!node.isTextblock) return true;
    if (flat.blocks.length > 0) flat.text += BLOCK_SEPARATOR;
    const start = flat.text.length;
    let text = '';
    node.forEach((child) => {
      text += child.isText ? (child.text ?? '') : '\n'.repeat(child.nodeSize);
    });
    flat.text += text;
    flat.blocks.push({ start, end: flat.text.length, pos: pos + 1, text, type: node.type.name });
    return false;
  });
  return flat;
}

/** The flat offset of a ProseMirror position (positions between blocks snap to the nearest block). */
export function positionToOffset(flat: ProseMirrorFlat, pos: number): number {
  let offset = 0;
  for (const block of flat.blocks) {
    if (pos < block.pos) return block.start;
    const length = block.end - block.start;
    if (pos <= block.pos + length) return block.start + (pos - block.pos);
    offset = block.end;
  }
  return offset;
}

/** The ProseMirror position of a flat offset. */
export function offsetToPosition(flat: ProseMirrorFlat, offset: number): number {
  for (const block of flat.blocks) {
    if (offset <= block.end) return block.pos + Math.max(0, offset - block.start);
  }
  const last = flat.blocks.at(-1);
  return last ? last.pos + (last.end - last.start) : 0;
}
