/**
 * The story's headline, dek and byline live in the body document's `meta` map as `Y.Text`s, so two
 * people editing the headline at once merge character by character instead of overwriting each
 * other's whole string.
 */
import * as Y from 'yjs';
import type { META_LIMITS } from './documentLayout.ts';

export type MetaField = keyof typeof META_LIMITS;

/** The field's current text ('' when absent). A plain string value is read too. */
export function readMetaField(meta: Y.Map<unknown>, field: MetaField): string {
  const value = meta.get(field);
  if (value instanceof Y.Text) return value.toString();
  return typeof value === 'string' ? value : '';
}

/** The field's `Y.Text`, created (inside the caller's transaction, if any) when it is missing. */
export function metaText(meta: Y.Map<unknown>, field: MetaField): Y.Text {
  const value = meta.get(field);
  if (value instanceof Y.Text) return value;
  const text = new Y.Text(typeof value === 'string' ? value : '');
  meta.set(field, text);
  return text;
}

/**
 * Turns `text` into `next` with the smallest single replacement (common prefix and suffix kept),
 * so that concurrent edits elsewhere in the field survive.
 */
export function replaceText(text: Y.Text, next: string): void {
  const current = text.toString();
  if (current === next) return;
  let start = 0;
  const shortest = Math.min(current.length, next.length);
  while (start < shortest && current.charCodeAt(start) === next.charCodeAt(start)) start++;
  let endCurrent = current.length;
  let endNext = next.length;
  while (endCurrent > start && endNext > start && current.charCodeAt(endCurrent - 1) === next.charCodeAt(endNext - 1)) {
    endCurrent--;
    endNext--;
  }
  const apply = () => {
    if (endCurrent > start) text.delete(start, endCurrent - start);
    if (endNext > start) text.insert(start, next.slice(start, endNext));
  };
  // One transaction (joining the caller's, if any): observers see a single change.
  if (text.doc) text.doc.transact(apply);
  else apply();
}

/** Where a caret at `index` moves when `delta` (a `Y.Text` change) is applied. */
export function mapIndexThroughDelta(index: number, delta: Y.YTextEvent['delta']): number {
  let oldPosition = 0;
  let mapped = index;
  for (const op of delta) {
    if (op.retain !== undefined) {
      oldPosition += op.retain;
    } else if (op.insert !== undefined) {
      const length = typeof op.insert === 'string' ? op.insert.length : 1;
      if (oldPosition < index) mapped += length;
    } else if (op.delete !== undefined) {
      if (oldPosition < index) mapped -= Math.min(op.delete, index - oldPosition);
      oldPosition += op.delete;
    }
  }
  return mapped;
}
