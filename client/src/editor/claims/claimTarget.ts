/**
 * Where a new claim goes: the selected text, or, with nothing selected, the sentence at the cursor;
 * and the anchor that pins that text in the body document (`shared/anchors.ts`).
 */
import type { Node as ProseMirrorNode } from 'prosemirror-model';
import type { EditorState } from 'prosemirror-state';
import type * as Y from 'yjs';
import { anchorRange, type EncodedAnchor, flattenBody } from '../../../../shared/anchors.ts';
import { flattenProseMirror, positionToOffset } from '../../../../shared/proseMirrorText.ts';
import { splitSentences } from '../../../../shared/sentences.ts';

export interface EditorRange {
  from: number;
  to: number;
}

/** The sentence around (or, between sentences, just after) the cursor; `null` in an empty block. */
export function sentenceAtCursor(state: EditorState): EditorRange | null {
  const { $head } = state.selection;
  const block = $head.parent;
  if (!block.isTextblock) return null;
  const start = $head.start();
  let text = '';
  block.forEach((child) => {
    text += child.isText ? (child.text ?? '') : '\n'.repeat(child.nodeSize);
  });
  const sentences = splitSentences(text);
  const offset = $head.parentOffset;
  const sentence =
    sentences.find((span) => span.start <= offset && offset <= span.end) ??
    sentences.find((span) => span.start > offset) ??
    sentences.at(-1);
  return sentence === undefined ? null : { from: start + sentence.start, to: start + sentence.end };
}

/** The text a claim made now would go on: the selection, else the sentence at the cursor. */
export function claimTarget(state: EditorState): EditorRange | null {
  const { from, to, empty } = state.selection;
  return empty ? sentenceAtCursor(state) : { from, to };
}

export type AnchorResult =
  | { ok: true; anchor: EncodedAnchor; text: string }
  | { ok: false; reason: 'no-text' | 'out-of-step' };

/**
 * Anchors the editor range `range` of `doc` in the body document `yBody`, leaving out spaces and
 * line breaks at either end of it.
 */
export function anchorEditorRange(doc: ProseMirrorNode, yBody: Y.XmlFragment, range: EditorRange): AnchorResult {
  const flatEditor = flattenProseMirror(doc);
  const flatBody = flattenBody(yBody);
  // y-prosemirror writes each transaction into the body at once; a difference means the editor is
  // in the middle of applying a change, and offsets would point at the wrong text.
  if (flatEditor.text !== flatBody.text) return { ok: false, reason: 'out-of-step' };
  let from = positionToOffset(flatEditor, range.from);
  let to = positionToOffset(flatEditor, range.to);
  const text = flatEditor.text;
  while (from < to && /\s/.test(text[from] ?? '')) from++;
  while (to > from && /\s/.test(text[to - 1] ?? '')) to--;
  const anchor = anchorRange(flatBody, from, to);
  return anchor === null ? { ok: false, reason: 'no-text' } : { ok: true, anchor, text: text.slice(from, to) };
}
