/**
 * The `text` export: the headline, a blank line, then each textblock of the body, blocks separated
 * by a blank line (a line break inside a block stays a single newline). The W3C selectors of the
 * `annotations` export count characters in exactly this text, so it also maps the body's flat
 * offsets (blocks joined by one "\n") to offsets here.
 */
import type { ExportModel } from './exportModel.ts';

export interface TextExport {
  text: string;
  /** Where a flat-text offset of the body is in `text`. */
  offsetOf(flatOffset: number): number;
}

export const BLOCK_GAP = '\n\n';

export function renderText(model: ExportModel): TextExport {
  const header = `${model.title}${BLOCK_GAP}`;
  const blocks = model.flat.blocks;
  const text = `${header}${blocks.map((block) => block.text).join(BLOCK_GAP)}\n`;
  return {
    text,
    offsetOf(flatOffset) {
      // Each block boundary before the offset is one character longer here ("\n\n" for "\n").
      let index = blocks.findIndex((block) => flatOffset <= block.end);
      if (index < 0) index = Math.max(0, blocks.length - 1);
      return header.length + flatOffset + index * (BLOCK_GAP.length - 1);
    },
  };
}
