/** Building blocks of the hostile tests and the long fuzz (`npm run fuzz:hostile`). */
import * as Y from 'yjs';

/** A scratch copy of a document's state whose next change is returned as one update from `clientId`. */
export function changeOf(state: Uint8Array, change: (doc: Y.Doc) => void, clientId = 9_000_001): Uint8Array {
  const doc = new Y.Doc({ gc: false });
  doc.clientID = clientId;
  Y.applyUpdate(doc, state);
  let update: Uint8Array | null = null;
  doc.on('update', (made: Uint8Array) => {
    update = made;
  });
  doc.transact(() => change(doc));
  doc.destroy();
  if (update === null) throw new Error('the change made no update');
  return update;
}

/** One random corruption: flip bits, overwrite, cut, duplicate, drop or insert bytes. */
export function mutate(bytes: Uint8Array, random: () => number): Uint8Array {
  const out = [...bytes];
  const at = () => Math.floor(random() * Math.max(1, out.length));
  const rounds = 1 + Math.floor(random() * 3);
  for (let round = 0; round < rounds; round++) {
    const kind = Math.floor(random() * 6);
    if (kind === 0 && out.length > 0) {
      const i = at();
      out[i] = (out[i] as number) ^ (1 << Math.floor(random() * 8));
    } else if (kind === 1 && out.length > 0) out[at()] = Math.floor(random() * 256);
    else if (kind === 2) out.length = at();
    else if (kind === 3) {
      const from = at();
      out.splice(from, 0, ...out.slice(from, from + 1 + Math.floor(random() * 8)));
    } else if (kind === 4) out.splice(at(), 1 + Math.floor(random() * 4));
    else out.splice(at(), 0, ...Array.from({ length: 1 + Math.floor(random() * 4) }, () => Math.floor(random() * 256)));
  }
  return new Uint8Array(out);
}
