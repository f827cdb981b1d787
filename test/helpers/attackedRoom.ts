/**
 * A story under attack: two honest reporters (alice, bob) editing its body through stock
 * `WebsocketProvider`s, and mallory, a member with write access whose raw sockets misbehave.
 * Offers the checks every hostile test makes: the document as the room and the store hold it, and a
 * round trip between the honest clients (through the same room) that must still complete.
 */
import * as Y from 'yjs';
import type { ServerOptions } from '../../server/app.ts';
import type { DocKey } from '../../server/storage/Storage.ts';
import { type CollabClient, connectClient, waitFor } from './collabClient.ts';
import { openRaw, type RawClient } from './hostileClient.ts';
import { rebuildStoredDoc } from './storedDoc.ts';
import { api, createStory, login, startTestServer, type TestServer, tokenFor } from './testServer.ts';

export interface AttackedRoom {
  server: TestServer;
  storyId: string;
  key: DocKey;
  alice: CollabClient;
  bob: CollabClient;
  /** Mallory's API token. */
  malloryToken: string;
  /** Opens one of mallory's raw sockets on the story's body (or another part). */
  attack(options?: { part?: string; query?: string }): Promise<RawClient>;
  /** The room's whole state (`encodeStateAsUpdate`) and state vector, and the stored log's length. */
  state(): Promise<{ update: Uint8Array; stateVector: Uint8Array; logLength: number }>;
  /**
   * Alice changes her presence and waits until bob sees it: a full trip through the room's fan-out.
   * Resolves with nothing; it rejects (times out generously) only if the room stopped serving them.
   */
  roundTrip(): Promise<void>;
  /** Closes clients (the caller closes the server through `tracked`). */
  close(): void;
}

export async function openAttackedRoom(
  servers: TestServer[],
  options: ServerOptions = {},
  text = 'The harbour budget passed.',
): Promise<AttackedRoom> {
  const server = await startTestServer(options);
  servers.push(server);
  const alice = await server.addUser('alice', { name: 'Alice' });
  const bob = await server.addUser('bob', { name: 'Bob' });
  const mallory = await server.addUser('mallory', { name: 'Mallory' });
  const cookie = await login(server.url, 'alice', alice.password);
  const story = await createStory(server.url, cookie, 'Harbour budget');
  for (const member of [bob, mallory]) {
    await api(
      server.url,
      'PUT',
      `/api/stories/${story.id}/members/${member.user.id}`,
      { cookie },
      { role: 'reporter' },
    );
  }
  const aliceClient = connectClient(server.collabUrl, story.id, 'body', { token: await tokenFor(server.url, alice) });
  const bobClient = connectClient(server.collabUrl, story.id, 'body', { token: await tokenFor(server.url, bob) });
  await Promise.all([aliceClient.synced, bobClient.synced]);
  const paragraph = new Y.XmlElement('paragraph');
  paragraph.insert(0, [new Y.XmlText(text)]);
  const fragment = aliceClient.doc.getXmlFragment('body');
  aliceClient.doc.transact(() => {
    fragment.delete(0, fragment.length);
    fragment.insert(0, [paragraph]);
  });
  const key = { storyId: story.id, part: 'body' as const };
  const aliceState = () => Y.encodeStateVector(aliceClient.doc);
  await waitFor(() => {
    const room = server.app.rooms.peek(key);
    return room !== undefined && equalBytes(Y.encodeStateVector(room.doc), aliceState());
  }, 'the room has alice text');
  await waitFor(() => equalBytes(Y.encodeStateVector(bobClient.doc), aliceState()), 'bob has alice text');
  const malloryToken = await tokenFor(server.url, mallory);
  let probe = 0;
  return {
    server,
    storyId: story.id,
    key,
    alice: aliceClient,
    bob: bobClient,
    malloryToken,
    attack: (attackOptions = {}) =>
      openRaw(server.collabUrl, `${story.id}/${attackOptions.part ?? 'body'}`, malloryToken, {
        ...(attackOptions.query === undefined ? {} : { query: attackOptions.query }),
      }),
    async state() {
      const room = server.app.rooms.peek(key);
      if (room === undefined) throw new Error('room not loaded');
      await room.settled();
      const stored = await server.app.storage.documents.loadDocument(key);
      return {
        update: Y.encodeStateAsUpdate(room.doc),
        stateVector: Y.encodeStateVector(room.doc),
        logLength: stored.updates.length,
      };
    },
    async roundTrip() {
      probe += 1;
      const wanted = probe;
      aliceClient.provider.awareness.setLocalStateField('probe', wanted);
      const aliceId = aliceClient.doc.clientID;
      await waitFor(
        () =>
          (bobClient.provider.awareness.getStates().get(aliceId) as { probe?: number } | undefined)?.probe === wanted,
        `bob sees alice's presence change ${wanted}`,
        30_000,
      );
    },
    close() {
      aliceClient.destroy();
      bobClient.destroy();
    },
  };
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, index) => byte === b[index]);
}

/** Same state vector, same deletions, same content: `a` and `b` hold the same document. */
export function sameDocument(a: Y.Doc, b: Y.Doc): boolean {
  return (
    Y.equalSnapshots(Y.snapshot(a), Y.snapshot(b)) &&
    JSON.stringify(a.getXmlFragment('body').toJSON()) === JSON.stringify(b.getXmlFragment('body').toJSON()) &&
    JSON.stringify(a.getMap('meta').toJSON()) === JSON.stringify(b.getMap('meta').toJSON())
  );
}

/** The stored document rebuilt (as a restart would) is the room's document. */
export async function storedEqualsRoom(room: AttackedRoom): Promise<boolean> {
  const live = room.server.app.rooms.peek(room.key);
  if (live === undefined) throw new Error('room not loaded');
  await live.settled();
  const stored = await rebuildStoredDoc(room.server.app.storage.documents, room.key);
  return sameDocument(stored, live.doc);
}
