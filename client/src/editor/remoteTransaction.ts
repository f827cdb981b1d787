/**
 * What the editor's own plugins need to know about the collaboration binding, in one place (as
 * Outline does): whether a transaction carries a colleague's change, and how positions move
 * through it.
 */
import type { Node as ProseMirrorNode } from 'prosemirror-model';
import type { Transaction } from 'prosemirror-state';
import { Mapping, StepMap } from 'prosemirror-transform';
import { ySyncPluginKey } from 'y-prosemirror';

/** Whether `tr` is y-prosemirror applying changes that came from the shared document (other people, undo). */
export function isRemoteTransaction(tr: Transaction): boolean {
  const meta = tr.getMeta(ySyncPluginKey) as { isChangeOrigin?: boolean } | undefined;
  return meta?.isChangeOrigin === true;
}

/**
 * How positions of `tr.before` move to `tr.doc`. y-prosemirror applies a remote change by replacing
 * the whole document, whose mapping would collapse every position; for those, the mapping is the
 * one replaced range that differs between the two documents (as if the change had been typed here).
 */
export function transactionMapping(tr: Transaction): Mapping {
  if (!isRemoteTransaction(tr)) return tr.mapping;
  return new Mapping([diffStepMap(tr.before, tr.doc)]);
}

/** The smallest single replacement that turns `before` into `after`. */
export function diffStepMap(before: ProseMirrorNode, after: ProseMirrorNode): StepMap {
  const start = before.content.findDiffStart(after.content);
  if (start === null) return StepMap.empty;
  const end = before.content.findDiffEnd(after.content);
  if (end === null) return StepMap.empty;
  let { a: endA, b: endB } = end;
  // When the changed text repeats what is around it, the two scans overlap; widen both ends.
  const overlap = start - Math.min(endA, endB);
  if (overlap > 0) {
    endA += overlap;
    endB += overlap;
  }
  return new StepMap([start, endA - start, endB - start]);
}

/** The ranges of `mapping`'s final document that its steps changed (inserted or touched). */
export function changedRanges(mapping: Mapping): { from: number; to: number }[] {
  const ranges: { from: number; to: number }[] = [];
  mapping.maps.forEach((map, index) => {
    const rest = mapping.slice(index + 1);
    map.forEach((_oldStart, _oldEnd, newStart, newEnd) => {
      ranges.push({ from: rest.map(newStart, -1), to: rest.map(newEnd, 1) });
    });
  });
  return ranges;
}
