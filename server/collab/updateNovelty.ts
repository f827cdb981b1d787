/**
 * Decides whether a Yjs update carries anything a document does not already have, without building
 * a snapshot of the whole document (which would cost O(document) per keystroke). Every sync step 2
 * carries the sender's whole delete set, so "nothing new" is the common answer on reconnect.
 */
import * as Y from 'yjs';

/** What the server needs to know of an incoming update, from one decoding of it. */
export interface UpdateInspection {
  /** Whether it adds anything the document lacks (see `updateAddsToDoc`). */
  adds: boolean;
  /** The Yjs client ids that wrote its structs (its delete set aside), for ownership checks. */
  clientIds: number[];
  /**
   * With `withDeletions`: the part of its delete set that removes content the document still
   * shows or does not know yet, encoded by `encodeDeletions`; `null` when there is none.
   */
  deletes: Uint8Array | null;
}

/** Decodes an update once; throws when it cannot be decoded. */
export function inspectUpdate(doc: Y.Doc, update: Uint8Array, withDeletions = false): UpdateInspection {
  const { structs, ds } = Y.decodeUpdate(update);
  const clientIds = new Set<number>();
  let adds = false;
  for (const struct of structs) {
    if (struct instanceof Y.Skip) continue;
    clientIds.add(struct.id.client);
    if (struct.id.clock + struct.length > Y.getState(doc.store, struct.id.client)) adds = true;
  }
  const fresh = withDeletions ? newDeletions(doc, ds) : null;
  return {
    adds: adds || (fresh ?? deletesSomethingNew(doc, ds)) !== false,
    clientIds: [...clientIds],
    deletes: fresh === null || fresh === false ? null : encodeDeletions(fresh),
  };
}

type DeleteSet = ReturnType<typeof Y.createDeleteSet>;

/** Encodes a delete set as a snapshot with an empty state vector (Yjs's own encoding). */
export function encodeDeletions(ds: DeleteSet): Uint8Array {
  return Y.encodeSnapshot(Y.createSnapshot(ds, new Map()));
}

export function decodeDeletions(data: Uint8Array): DeleteSet {
  return Y.decodeSnapshot(data).ds;
}

/**
 * The ranges of `ds` that delete something the document still shows (or does not know yet), or
 * `false` when there are none: the deletions an update really makes, for "who deleted this".
 */
function newDeletions(doc: Y.Doc, ds: DeleteSet): DeleteSet | false {
  const fresh = Y.createDeleteSet();
  for (const [client, ranges] of ds.clients) {
    const known = doc.store.clients.get(client);
    const state = Y.getState(doc.store, client);
    const kept: { clock: number; len: number }[] = [];
    for (const range of ranges) {
      if (range.len === 0) continue;
      const end = range.clock + range.len;
      // What the document does not have yet is recorded as it is.
      if (end > state) kept.push({ clock: Math.max(range.clock, state), len: end - Math.max(range.clock, state) });
      if (known === undefined || range.clock >= state) continue;
      let index = Y.findIndexSS(known, range.clock);
      while (index < known.length) {
        const struct = known[index];
        if (struct === undefined || struct.id.clock >= end) break;
        if (!struct.deleted) {
          const from = Math.max(range.clock, struct.id.clock);
          const to = Math.min(end, struct.id.clock + struct.length);
          const last = kept.at(-1);
          if (last !== undefined && last.clock + last.len === from) last.len += to - from;
          else kept.push({ clock: from, len: to - from });
        }
        index++;
      }
    }
    if (kept.length > 0) {
      kept.sort((a, b) => a.clock - b.clock);
      // DeleteItem is not exported by Yjs; its encoder reads only clock and len.
      fresh.clients.set(client, kept as unknown as DeleteSet['clients'] extends Map<number, infer T> ? T : never);
    }
  }
  return fresh.clients.size > 0 ? fresh : false;
}

/**
 * True when `update` adds structs past the document's state, or deletes something the document
 * still shows (or does not know yet). Throws when the update cannot be decoded.
 */
export function updateAddsToDoc(doc: Y.Doc, update: Uint8Array): boolean {
  return inspectUpdate(doc, update).adds;
}

function deletesSomethingNew(doc: Y.Doc, ds: DeleteSet): boolean {
  for (const [client, ranges] of ds.clients) {
    const known = doc.store.clients.get(client);
    for (const range of ranges) {
      if (range.len === 0) continue;
      const end = range.clock + range.len;
      if (known === undefined || end > Y.getState(doc.store, client)) return true;
      let index = Y.findIndexSS(known, range.clock);
      while (index < known.length) {
        const struct = known[index];
        if (struct === undefined || struct.id.clock >= end) break;
        if (!struct.deleted) return true;
        index++;
      }
    }
  }
  return false;
}
