/**
 * `updateAddsToDoc` decides whether an incoming update is stored at all; a wrong "nothing new"
 * would lose typing, so it is checked against Yjs itself on random edit sequences.
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { updateAddsToDoc } from '../server/collab/updateNovelty.ts';
import { prng } from './helpers/prng.ts';

/** Whether applying `update` to a copy of `doc` changes what the copy holds (pending parts included). */
function reallyAdds(doc: Y.Doc, update: Uint8Array): boolean {
  const copy = new Y.Doc({ gc: doc.gc });
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc));
  const before = Y.encodeStateAsUpdate(copy);
  Y.applyUpdate(copy, update);
  return !Buffer.from(before).equals(Buffer.from(Y.encodeStateAsUpdate(copy)));
}

describe('updateAddsToDoc', () => {
  it('agrees with Yjs on random inserts, deletes, duplicates and stale updates', () => {
    let checked = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const random = prng(seed);
      const server = new Y.Doc({ gc: seed % 2 === 0 });
      const peers = [new Y.Doc(), new Y.Doc(), new Y.Doc()];
      const history: Uint8Array[] = [];
      for (const peer of peers) peer.on('update', (update: Uint8Array) => history.push(update));
      for (let step = 0; step < 60; step++) {
        const peer = peers[Math.floor(random() * peers.length)] as Y.Doc;
        const text = peer.getText('t');
        if (text.length > 0 && random() < 0.35) {
          const at = Math.floor(random() * text.length);
          text.delete(at, 1 + Math.floor(random() * Math.min(3, text.length - at)));
        } else {
          text.insert(Math.floor(random() * (text.length + 1)), 'abc'.slice(0, 1 + Math.floor(random() * 3)));
        }
        // The server sees a random earlier update, a whole-state sync, or the latest one.
        const choice = random();
        const candidate =
          choice < 0.2
            ? Y.encodeStateAsUpdate(peer)
            : choice < 0.4
              ? (history[Math.floor(random() * history.length)] as Uint8Array)
              : (history.at(-1) as Uint8Array);
        const said = updateAddsToDoc(server, candidate);
        const truth = reallyAdds(server, candidate);
        const where = `seed ${seed} step ${step}`;
        // Never "nothing new" for an update that adds something: that would lose typing.
        if (!said) expect(truth, where).toBe(false);
        // Exact unless the server holds structs it cannot integrate yet (those may be sent and
        // stored again: harmless).
        if (server.store.pendingStructs === null && server.store.pendingDs === null) expect(said, where).toBe(truth);
        checked += 1;
        if (random() < 0.7) Y.applyUpdate(server, candidate);
        // Peers occasionally sync with each other.
        if (random() < 0.2) {
          const [x, y] = [peers[0] as Y.Doc, peers[1] as Y.Doc];
          Y.applyUpdate(x, Y.encodeStateAsUpdate(y));
        }
      }
    }
    expect(checked).toBe(30 * 60);
  });

  it('throws on bytes that are not an update', () => {
    expect(() => updateAddsToDoc(new Y.Doc(), new Uint8Array([255, 255, 255, 255, 255, 255]))).toThrow();
  });
});
