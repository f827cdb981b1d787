/**
 * Decides whether a Yjs update carries anything a document does not already have, without building
 * a snapshot of the whole document (which would cost O(document) per keystroke). Every sync step 2
 * carries the sender's whole delete set, so "nothing new" is the common answer on reconnect.
 */
import * as Y from 'yjs';

/** The Yjs client ids that wrote the structs of an update (its delete set aside). */
export function structClientIds(update: Uint8Array): number[] {
  const clients = new Set<number>();
  for (const struct of Y.decodeUpdate(update).structs) if (!(struct instanceof Y.Skip)) clients.add(struct.id.client);
  return [...clients];
}

/**
 * True when `update` adds structs past the document's state, or deletes something the document
 * still shows (or does not know yet). Throws when the update cannot be decoded.
 */
export function updateAddsToDoc(doc: Y.Doc, update: Uint8Array): boolean {
  const { structs, ds } = Y.decodeUpdate(update);
  for (const struct of structs) {
    if (struct instanceof Y.Skip) continue;
    if (struct.id.clock + struct.length > Y.getState(doc.store, struct.id.client)) return true;
  }
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
