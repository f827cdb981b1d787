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
}

/** Decodes an update once; throws when it cannot be decoded. */
export function inspectUpdate(doc: Y.Doc, update: Uint8Array): UpdateInspection {
  const { structs, ds } = Y.decodeUpdate(update);
  const clientIds = new Set<number>();
  let adds = false;
  for (const struct of structs) {
    if (struct instanceof Y.Skip) continue;
    clientIds.add(struct.id.client);
    if (struct.id.clock + struct.length > Y.getState(doc.store, struct.id.client)) adds = true;
  }
  return { adds: adds || deletesSomethingNew(doc, ds), clientIds: [...clientIds] };
}

/**
 * True when `update` adds structs past the document's state, or deletes something the document
 * still shows (or does not know yet). Throws when the update cannot be decoded.
 */
export function updateAddsToDoc(doc: Y.Doc, update: Uint8Array): boolean {
  return inspectUpdate(doc, update).adds;
}

function deletesSomethingNew(doc: Y.Doc, ds: ReturnType<typeof Y.decodeUpdate>['ds']): boolean {
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
