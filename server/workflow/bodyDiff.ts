/**
 * "What changed since": the body document (kept without garbage collection) compared with a Yjs
 * snapshot of itself, as runs of same, inserted and deleted text per text block, with who made each.
 *
 * Every character of the document is an item, alive or deleted, with the id its author's client
 * gave it. A character existed at the snapshot when its clock is below the snapshot's state vector
 * and the snapshot's delete set does not hold it; it exists now when its item is not deleted.
 * Insertions are attributed through the server's client-id ownership table; deletions, which Yjs
 * does not attribute, through the deletion records the server stores beside each update.
 */
import * as Y from 'yjs';
import { YName } from '../../shared/documentLayout.ts';
import type { MetaField } from '../../shared/metaText.ts';
import { storySchema } from '../../shared/schema.ts';
import type { DiffBlock, DiffRun } from '../../shared/workflow.ts';
import { decodeDeletions } from '../collab/updateNovelty.ts';
import type { DeletionRecord } from '../storage/Storage.ts';

type RunKind = DiffRun['kind'];
type DeleteItems = { clock: number; len: number }[];
/** Any Yjs type, seen as its list of items. */
type ItemList = { _start: Y.Item | null };

/** Who wrote and who deleted each character. */
export interface Attribution {
  insertedBy(client: number): string | null;
  deletedBy(client: number, clock: number): string | null;
}

interface Interval {
  clock: number;
  end: number;
  order: number;
  userId: string | null;
}

/** Builds the attribution from the client-id owners and the stored deletion records (oldest first). */
export function attribution(owners: Map<number, string>, deletions: DeletionRecord[]): Attribution {
  const byClient = new Map<number, Interval[]>();
  deletions.forEach((record, order) => {
    let ds: ReturnType<typeof decodeDeletions>;
    try {
      ds = decodeDeletions(record.data);
    } catch {
      return;
    }
    for (const [client, ranges] of ds.clients) {
      let list = byClient.get(client);
      if (list === undefined) {
        list = [];
        byClient.set(client, list);
      }
      for (const range of ranges)
        list.push({ clock: range.clock, end: range.clock + range.len, order, userId: record.userId });
    }
  });
  for (const list of byClient.values()) list.sort((a, b) => a.clock - b.clock || a.order - b.order);
  return {
    insertedBy: (client) => owners.get(client) ?? null,
    deletedBy(client, clock) {
      const list = byClient.get(client);
      if (list === undefined) return null;
      // The rightmost interval starting at or before `clock`, then a short look back for overlaps
      // (rare: only updates stored in the same batch record the same deletion twice).
      let low = 0;
      let high = list.length - 1;
      let found = -1;
      while (low <= high) {
        const mid = (low + high) >> 1;
        if ((list[mid] as Interval).clock <= clock) {
          found = mid;
          low = mid + 1;
        } else high = mid - 1;
      }
      let best: Interval | null = null;
      for (let index = found; index >= 0 && index > found - 64; index--) {
        const interval = list[index] as Interval;
        if (interval.end > clock && (best === null || interval.order < best.order)) best = interval;
      }
      return best?.userId ?? null;
    },
  };
}

/** Whether the character `clock` of `client` existed at `snapshot`. */
function existedAt(snapshot: Y.Snapshot, client: number, clock: number): boolean {
  if (clock >= (snapshot.sv.get(client) ?? 0)) return false;
  return !Y.isDeleted(snapshot.ds, Y.createID(client, clock));
}

/** The clocks inside `[start, end)` where "existed at the snapshot" may change. */
function cutsWithin(snapshot: Y.Snapshot, client: number, start: number, end: number): number[] {
  const cuts = [start];
  const state = snapshot.sv.get(client) ?? 0;
  if (state > start && state < end) cuts.push(state);
  const ranges = snapshot.ds.clients.get(client) as DeleteItems | undefined;
  if (ranges !== undefined) {
    for (const range of ranges) {
      if (range.clock > start && range.clock < end) cuts.push(range.clock);
      const rangeEnd = range.clock + range.len;
      if (rangeEnd > start && rangeEnd < end) cuts.push(rangeEnd);
    }
  }
  return [...new Set(cuts)].sort((a, b) => a - b);
}

class RunBuilder {
  readonly runs: DiffRun[] = [];

  push(kind: RunKind, text: string, by: string | null): void {
    if (text.length === 0) return;
    const author = kind === 'same' ? null : by;
    const last = this.runs.at(-1);
    if (last !== undefined && last.kind === kind && last.by === author) last.text += text;
    else this.runs.push({ kind, text, by: author });
  }
}

function classify(existedBefore: boolean, existsNow: boolean): RunKind | null {
  if (existedBefore && existsNow) return 'same';
  if (existsNow) return 'inserted';
  if (existedBefore) return 'deleted';
  return null;
}

/** Appends one item's text, split where its characters' fate or deleter changes. */
function pushItemText(out: RunBuilder, item: Y.Item, text: string, since: Y.Snapshot, who: Attribution): void {
  const { client, clock } = item.id;
  const cuts = cutsWithin(since, client, clock, clock + item.length);
  cuts.forEach((cut, index) => {
    const next = cuts[index + 1] ?? clock + item.length;
    const kind = classify(existedAt(since, client, cut), !item.deleted);
    if (kind === null) return;
    const slice = text.slice(cut - clock, next - clock);
    if (kind === 'inserted') out.push(kind, slice, who.insertedBy(client));
    else if (kind === 'same') out.push(kind, slice, null);
    else {
      // Deleted characters of one item may have been removed by different people.
      let runStart = cut;
      let runBy = who.deletedBy(client, cut);
      for (let at = cut + 1; at <= next; at++) {
        const by = at < next ? who.deletedBy(client, at) : Symbol.for('end');
        if (by !== runBy) {
          out.push('deleted', text.slice(runStart - clock, at - clock), runBy);
          runStart = at;
          runBy = typeof by === 'symbol' ? null : by;
        }
      }
    }
  });
}

/** The runs of one text type (a Y.XmlText or a Y.Text). */
function textRuns(out: RunBuilder, type: ItemList, since: Y.Snapshot, who: Attribution): void {
  for (let item = type._start; item !== null; item = item.right) {
    if (item.content instanceof Y.ContentString) pushItemText(out, item, item.content.str, since, who);
    else if (item.content instanceof Y.ContentEmbed) pushItemText(out, item, '\uFFFC', since, who);
  }
}

function itemKind(item: Y.Item, since: Y.Snapshot): RunKind | null {
  return classify(existedAt(since, item.id.client, item.id.clock), !item.deleted);
}

/** The text blocks of a fragment or element, in document order, alive or deleted. */
function collectBlocks(
  parent: ItemList,
  since: Y.Snapshot,
  who: Attribution,
  blocks: DiffBlock[],
  parentKind: RunKind,
): void {
  for (let item = parent._start; item !== null; item = item.right) {
    if (!(item.content instanceof Y.ContentType)) continue;
    const child = item.content.type;
    if (!(child instanceof Y.XmlElement)) continue;
    const kind = parentKind === 'same' ? itemKind(item, since) : parentKind;
    if (kind === null) continue;
    const nodeType = storySchema.nodes[child.nodeName];
    if (nodeType?.isTextblock) {
      const out = new RunBuilder();
      inlineRuns(out, child, since, who);
      const block: DiffBlock = { type: child.nodeName, kind, runs: out.runs };
      const level = Number(child.getAttribute('level'));
      if (child.nodeName === 'heading' && Number.isInteger(level)) block.level = level;
      blocks.push(block);
    } else {
      collectBlocks(child, since, who, blocks, kind);
    }
  }
}

/** The inline content of a text block: its texts, and inline nodes (hard breaks) as a newline. */
function inlineRuns(out: RunBuilder, element: Y.XmlElement, since: Y.Snapshot, who: Attribution): void {
  for (let item = element._start; item !== null; item = item.right) {
    if (!(item.content instanceof Y.ContentType)) continue;
    const child = item.content.type;
    if (child instanceof Y.XmlText) textRuns(out, child, since, who);
    else if (child instanceof Y.XmlElement) {
      const kind = itemKind(item, since);
      if (kind !== null)
        out.push(
          kind,
          '\n',
          kind === 'deleted' ? who.deletedBy(item.id.client, item.id.clock) : who.insertedBy(item.id.client),
        );
    }
  }
}

/** The runs of one headline field, across every Y.Text that has held it. */
function metaRuns(doc: Y.Doc, field: MetaField, since: Y.Snapshot, who: Attribution): DiffRun[] {
  const meta = doc.getMap(YName.meta);
  const texts: Y.Item[] = [];
  // A map key's earlier values are its current item's left neighbours.
  for (let item = meta._map.get(field) ?? null; item !== null; item = item.left as Y.Item | null) texts.unshift(item);
  const out = new RunBuilder();
  for (const item of texts) {
    if (!(item.content instanceof Y.ContentType) || !(item.content.type instanceof Y.Text)) continue;
    if (itemKind(item, since) === null) continue;
    textRuns(out, item.content.type, since, who);
  }
  return out.runs;
}

/**
 * A run of text that ProseMirror moved into a neighbouring block when a paragraph was split or two
 * were joined is recreated as new items: shown as that text deleted in one block and inserted in
 * the next. The reader sees no change there, so such pairs read as unchanged.
 */
function foldMovedText(blocks: DiffBlock[]): DiffBlock[] {
  for (let index = 0; index + 1 < blocks.length; index++) {
    const first = blocks[index] as DiffBlock;
    const second = blocks[index + 1] as DiffBlock;
    // Split: the end of the first block deleted, the same text (or its end: the split point's space
    // may go too) inserted at the start of the next, by the same person.
    const tail = first.runs.at(-1);
    const head = second.runs[0];
    if (
      tail?.kind === 'deleted' &&
      head?.kind === 'inserted' &&
      tail.by === head.by &&
      head.text.length > 0 &&
      tail.text.endsWith(head.text)
    ) {
      const gone = tail.text.slice(0, tail.text.length - head.text.length);
      if (gone.length > 0) tail.text = gone;
      else first.runs.pop();
      head.kind = 'same';
      head.by = null;
      if (second.kind === 'inserted' && second.runs.every((run) => run.kind === 'same')) second.kind = 'same';
      continue;
    }
    // Join: the next block deleted whole, its text inserted at the end of the first.
    const secondText = second.runs.map((run) => run.text).join('');
    if (
      second.kind === 'deleted' &&
      tail?.kind === 'inserted' &&
      secondText.length > 0 &&
      tail.text.endsWith(secondText) &&
      second.runs.every((run) => run.kind === 'deleted' && run.by === tail.by)
    ) {
      const kept = tail.text.slice(0, tail.text.length - secondText.length);
      first.runs.pop();
      if (kept.length > 0) first.runs.push({ kind: 'inserted', text: kept, by: tail.by });
      first.runs.push({ kind: 'same', text: secondText, by: null });
      blocks.splice(index + 1, 1);
      index--;
    }
  }
  return blocks;
}

export interface BodyDiff {
  meta: Partial<Record<MetaField, DiffRun[]>>;
  blocks: DiffBlock[];
}

/** The body now against `since`. Touches nothing in `doc`. */
export function diffBody(doc: Y.Doc, since: Y.Snapshot, who: Attribution): BodyDiff {
  const blocks: DiffBlock[] = [];
  collectBlocks(doc.getXmlFragment(YName.body), since, who, blocks, 'same');
  const meta: Partial<Record<MetaField, DiffRun[]>> = {};
  for (const field of ['title', 'dek', 'byline'] as const) {
    const runs = metaRuns(doc, field, since, who);
    if (runs.some((run) => run.kind !== 'same')) meta[field] = runs;
  }
  return { meta, blocks: foldMovedText(blocks) };
}

/** Every Yjs client id that wrote into the document (to look their owners up). */
export function clientIdsOf(doc: Y.Doc): number[] {
  return [...doc.store.clients.keys()];
}
