/**
 * Live co-editing through the real server with stock `WebsocketProvider` clients over `ws`:
 * convergence, late joiners, persistence across restarts, presence, and refused upgrades.
 */
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { readMetaField } from '../shared/metaText.ts';
import { CloseCode, MessageType } from '../shared/protocol.ts';
import { type CollabClient, connectClient, waitFor } from './helpers/collabClient.ts';
import { rebuildStoredDoc } from './helpers/storedDoc.ts';
import { api, createStory, login, startTestServer, type TestServer, tokenFor } from './helpers/testServer.ts';

const servers: TestServer[] = [];
const clients: CollabClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  for (const server of servers.splice(0)) await server.close();
});

async function setup(options: Parameters<typeof startTestServer>[0] = {}) {
  const server = await startTestServer(options);
  servers.push(server);
  const alice = await server.addUser('alice', { name: 'Alice Reporter' });
  const bob = await server.addUser('bob', { name: 'Bob Editor' });
  const aliceCookie = await login(server.url, 'alice', alice.password);
  const story = await createStory(server.url, aliceCookie, 'Council vote');
  await api(
    server.url,
    'PUT',
    `/api/stories/${story.id}/members/${bob.user.id}`,
    { cookie: aliceCookie },
    { role: 'reporter' },
  );
  const aliceToken = await tokenFor(server.url, alice);
  const bobToken = await tokenFor(server.url, bob);
  return { server, alice, bob, story, aliceToken, bobToken, aliceCookie };
}

function open(server: TestServer, storyId: string, token: string, doc?: Y.Doc): CollabClient {
  const client = connectClient(server.collabUrl, storyId, 'body', { token }, doc ? { doc } : {});
  clients.push(client);
  return client;
}

/** The text of the story's first paragraph (creating its text node if needed). */
function paragraphText(doc: Y.Doc): Y.XmlText {
  const paragraph = doc.getXmlFragment('body').get(0);
  if (!(paragraph instanceof Y.XmlElement)) throw new Error('story has no first paragraph');
  const first = paragraph.get(0);
  if (first instanceof Y.XmlText) return first;
  const text = new Y.XmlText();
  paragraph.insert(0, [text]);
  return text;
}

function bodyText(doc: Y.Doc): string {
  return doc
    .getXmlFragment('body')
    .toArray()
    .map((node) =>
      node instanceof Y.XmlElement
        ? node
            .toArray()
            .map((child) => child.toString())
            .join('')
        : '',
    )
    .join('\n');
}

describe('live co-editing', () => {
  it('two clients co-edit the same story and converge; a late joiner gets the full state', async () => {
    const { server, story, aliceToken, bobToken } = await setup();
    const a = open(server, story.id, aliceToken);
    const b = open(server, story.id, bobToken);
    await Promise.all([a.synced, b.synced]);
    expect(readMetaField(a.doc.getMap('meta'), 'title')).toBe('Council vote');

    paragraphText(a.doc).insert(0, 'The council voted 7-2.');
    await waitFor(() => bodyText(b.doc) === 'The council voted 7-2.', 'bob sees alice');
    // Concurrent edits from both sides.
    paragraphText(b.doc).insert(0, 'BREAKING: ');
    paragraphText(a.doc).insert(paragraphText(a.doc).length, ' The mayor objected.');
    await waitFor(() => bodyText(a.doc) === bodyText(b.doc) && bodyText(a.doc).length > 40, 'converged');
    expect(bodyText(a.doc)).toBe('BREAKING: The council voted 7-2. The mayor objected.');

    const late = open(server, story.id, aliceToken);
    await late.synced;
    await waitFor(() => bodyText(late.doc) === bodyText(a.doc), 'late joiner has everything');
    expect(Y.encodeStateVector(late.doc)).toEqual(Y.encodeStateVector(a.doc));
  });

  it('unloads a room a grace period after its last client leaves, and loads it again on demand', async () => {
    const { server, story, aliceToken } = await setup();
    const key = { storyId: story.id, part: 'body' as const };
    const a = open(server, story.id, aliceToken);
    await a.synced;
    paragraphText(a.doc).insert(0, 'Kept after unload.');
    await waitFor(() => {
      const room = server.app.rooms.peek(key);
      return room !== undefined && bodyText(room.doc) === 'Kept after unload.';
    }, 'server has the text');
    a.destroy();
    await waitFor(() => server.app.rooms.peek(key) === undefined, 'room unloaded');
    const b = open(server, story.id, aliceToken);
    await b.synced;
    expect(bodyText(b.doc)).toBe('Kept after unload.');
    expect(server.app.rooms.peek(key)).toBeDefined();
  });

  it('keeps the text across a server restart on the same data dir', async () => {
    const { server, story, aliceToken } = await setup();
    const a = open(server, story.id, aliceToken);
    await a.synced;
    paragraphText(a.doc).insert(0, 'Survives restarts.');
    await waitFor(() => server.app.rooms.peek({ storyId: story.id, part: 'body' })?.lastSeq !== undefined, 'room');
    const room = server.app.rooms.peek({ storyId: story.id, part: 'body' });
    await waitFor(() => room !== undefined && bodyText(room.doc) === 'Survives restarts.', 'server has it');
    a.destroy();
    await server.close({ keepData: true });
    servers.splice(servers.indexOf(server), 1);

    const again = await startTestServer({ dataDir: server.dataDir });
    servers.push(again);
    const b = open(again, story.id, aliceToken);
    await b.synced;
    expect(bodyText(b.doc)).toBe('Survives restarts.');
    expect(readMetaField(b.doc.getMap('meta'), 'title')).toBe('Council vote');
  });

  it('compacts a long log into a snapshot and loads the same document from snapshot plus tail', async () => {
    const { server, story, aliceToken } = await setup({ compactAfterUpdates: 50 });
    const a = open(server, story.id, aliceToken);
    await a.synced;
    const text = paragraphText(a.doc);
    for (let i = 0; i < 180; i++) {
      text.insert(text.length, String.fromCharCode(97 + (i % 26)));
      if (i % 7 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const expected = bodyText(a.doc);
    const key = { storyId: story.id, part: 'body' as const };
    await waitFor(() => {
      const room = server.app.rooms.peek(key);
      return room !== undefined && bodyText(room.doc) === expected;
    }, 'server caught up');
    await server.app.rooms.peek(key)?.settled();
    // Compaction runs in the background: wait until it has folded the log into a snapshot (a
    // snapshot alone is not enough: one may exist from before the typing).
    let stored = await server.app.storage.documents.loadDocument(key);
    for (let tries = 0; (stored.snapshot === null || stored.updates.length >= 180) && tries < 200; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      stored = await server.app.storage.documents.loadDocument(key);
    }
    expect(stored.snapshot).not.toBeNull();
    expect(stored.updates.length).toBeLessThan(180);
    const rebuilt = await rebuildStoredDoc(server.app.storage.documents, key);
    expect(bodyText(rebuilt)).toBe(expected);
  });

  it('acknowledges each update once it is stored, for clients that ask', async () => {
    const { server, story, aliceToken } = await setup();
    const ws = new WebSocket(`${server.collabUrl}/${story.id}/body?ack=1&token=${aliceToken}`);
    const received: number[] = [];
    ws.on('message', (data: Buffer) =>
      received.push(decoding.readVarUint(decoding.createDecoder(new Uint8Array(data)))),
    );
    await new Promise((resolve) => ws.once('open', resolve));
    const key = { storyId: story.id, part: 'body' as const };
    await waitFor(() => server.app.rooms.peek(key)?.connectionCount === 1, 'joined');
    // The room is held open by this socket now, so nothing compacts the log under the test.
    const logBefore = (await server.app.storage.documents.loadDocument(key)).updates.length;
    const doc = new Y.Doc({ gc: false });
    const updates: Uint8Array[] = [];
    doc.on('update', (update: Uint8Array) => updates.push(update));
    doc.getMap('meta').set('dek', 'First');
    doc.getMap('meta').set('dek', 'Second');
    for (const update of updates) {
      const encoder = encoding.createEncoder();
      encoding.writeVarUint(encoder, MessageType.sync);
      encoding.writeVarUint(encoder, 2);
      encoding.writeVarUint8Array(encoder, update);
      ws.send(encoding.toUint8Array(encoder));
    }
    await waitFor(() => received.filter((type) => type === MessageType.savedAck).length === 2, 'two acks');
    // The same update again holds nothing new: acknowledged without being stored twice.
    ws.send(
      encoding.encode((encoder) => {
        encoding.writeVarUint(encoder, MessageType.sync);
        encoding.writeVarUint(encoder, 2);
        encoding.writeVarUint8Array(encoder, updates[0] ?? new Uint8Array());
      }),
    );
    await waitFor(() => received.filter((type) => type === MessageType.savedAck).length === 3, 'three acks');
    const stored = await server.app.storage.documents.loadDocument(key);
    // The two changes were appended; the duplicate was not.
    expect(stored.updates.length).toBe(logBefore + 2);
    ws.close();
  });
});

describe('presence', () => {
  it("stamps every awareness state with the sender's session identity and removes it when the socket closes", async () => {
    const { server, story, aliceToken, bobToken } = await setup();
    const a = open(server, story.id, aliceToken);
    const b = open(server, story.id, bobToken);
    await Promise.all([a.synced, b.synced]);
    // Bob claims to be someone else; the server overrides it.
    b.provider.awareness.setLocalStateField('user', { name: 'Alice Reporter', color: '#000000', id: 'x' });
    b.provider.awareness.setLocalStateField('cursor', { anchor: 1 });
    const bobId = b.doc.clientID;
    await waitFor(() => a.provider.awareness.getStates().get(bobId)?.cursor !== undefined, 'alice sees bob');
    const seen = a.provider.awareness.getStates().get(bobId) as { user: { name: string; id: string } };
    expect(seen.user.name).toBe('Bob Editor');
    expect(seen.user.id).not.toBe('x');

    b.destroy();
    await waitFor(() => !a.provider.awareness.getStates().has(bobId), 'no ghost cursor');
  });
});

describe('awareness ownership', () => {
  it("ignores awareness a connection sends for another connection's client id", async () => {
    const { server, story, aliceToken, bobToken } = await setup();
    const a = open(server, story.id, aliceToken);
    const observer = open(server, story.id, aliceToken);
    await Promise.all([a.synced, observer.synced]);
    a.provider.awareness.setLocalStateField('cursor', { anchor: 3 });
    const aliceId = a.doc.clientID;
    await waitFor(
      () => observer.provider.awareness.getStates().get(aliceId)?.cursor !== undefined,
      'observer sees alice',
    );

    // Bob's raw socket tries to take over Alice's presence (her client id, a newer clock).
    const ws = new WebSocket(`${server.collabUrl}/${story.id}/body?token=${bobToken}`);
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send(
      encoding.encode((encoder) => {
        encoding.writeVarUint(encoder, MessageType.awareness);
        encoding.writeVarUint8Array(
          encoder,
          encoding.encode((inner) => {
            encoding.writeVarUint(inner, 1);
            encoding.writeVarUint(inner, aliceId);
            encoding.writeVarUint(inner, 1000);
            encoding.writeVarString(inner, JSON.stringify({ cursor: { anchor: 99 } }));
          }),
        );
      }),
    );
    // A later change of Bob's own arrives, so everything he sent before has been handled.
    const bob = open(server, story.id, bobToken);
    await bob.synced;
    bob.provider.awareness.setLocalStateField('cursor', { anchor: 1 });
    await waitFor(() => observer.provider.awareness.getStates().get(bob.doc.clientID) !== undefined, 'bob visible');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(observer.provider.awareness.getStates().get(aliceId)).toMatchObject({ cursor: { anchor: 3 } });
    ws.close();
  });
});

describe('refused connections', () => {
  async function closeOf(url: string, headers: Record<string, string> = {}): Promise<{ code: number; reason: string }> {
    const ws = new WebSocket(url, { headers });
    ws.on('error', () => undefined);
    return new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  it('closes an unauthenticated upgrade with 4401 before loading anything', async () => {
    const { server, story } = await setup();
    // Creating the story loaded its body briefly; wait until it has unloaded.
    await waitFor(() => server.app.rooms.loadedRoomCount === 0, 'rooms unloaded');
    const closed = await closeOf(`${server.collabUrl}/${story.id}/body`);
    expect(closed.code).toBe(CloseCode.notAuthenticated);
    expect(server.app.rooms.loadedRoomCount).toBe(0);
    const badToken = await closeOf(`${server.collabUrl}/${story.id}/body?token=sdt_nope`);
    expect(badToken.code).toBe(CloseCode.notAuthenticated);
  });

  it('the stock provider stops retrying after 4401', async () => {
    const { server, story } = await setup();
    const client = connectClient(server.collabUrl, story.id, 'body', { token: 'sdt_invalid' });
    clients.push(client);
    let attempts = 0;
    client.provider.on('status', ({ status }) => {
      if (status === 'connecting') attempts++;
    });
    const closed = await new Promise<{ code: number }>((resolve) => client.provider.once('closed', resolve));
    expect(closed.code).toBe(CloseCode.notAuthenticated);
    const attemptsAtClose = attempts;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(attempts).toBe(attemptsAtClose);
    expect(client.provider.wsconnected || client.provider.wsconnecting).toBe(false);
  });

  it('answers 4404 for unknown stories, unknown parts and stories the user is not on', async () => {
    const { server, story, aliceToken } = await setup();
    expect((await closeOf(`${server.collabUrl}/NoSuchStory123/body?token=${aliceToken}`)).code).toBe(
      CloseCode.notFound,
    );
    expect((await closeOf(`${server.collabUrl}/${story.id}/secrets?token=${aliceToken}`)).code).toBe(
      CloseCode.notFound,
    );
    expect((await closeOf(`${server.collabUrl}/${story.id}?token=${aliceToken}`)).code).toBe(CloseCode.notFound);
    const carol = await server.addUser('carol');
    const carolToken = await tokenFor(server.url, carol);
    expect((await closeOf(`${server.collabUrl}/${story.id}/body?token=${carolToken}`)).code).toBe(CloseCode.notFound);
  });

  it('refuses a foreign Origin with 4403 and accepts the same origin with a session cookie', async () => {
    const { server, story, aliceCookie } = await setup();
    const foreign = await closeOf(`${server.collabUrl}/${story.id}/body`, {
      cookie: aliceCookie,
      origin: 'https://evil.example',
    });
    expect(foreign.code).toBe(CloseCode.forbidden);
    const client = connectClient(server.collabUrl, story.id, 'body', {
      headers: { cookie: aliceCookie, origin: server.url },
    });
    clients.push(client);
    await client.synced;
    expect(readMetaField(client.doc.getMap('meta'), 'title')).toBe('Council vote');
  });

  it('closes a socket that sends garbage with 4400 and leaves the room and other clients alone', async () => {
    const { server, story, aliceToken, bobToken } = await setup();
    const a = open(server, story.id, aliceToken);
    await a.synced;
    paragraphText(a.doc).insert(0, 'Intact.');
    const ws = new WebSocket(`${server.collabUrl}/${story.id}/body?token=${bobToken}`);
    await new Promise((resolve) => ws.once('open', resolve));
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    ws.send(new Uint8Array([0, 2, 200, 1, 2, 3]));
    expect(await closed).toBe(CloseCode.badMessage);
    const text = new WebSocket(`${server.collabUrl}/${story.id}/body?token=${bobToken}`);
    await new Promise((resolve) => text.once('open', resolve));
    const textClosed = new Promise<number>((resolve) => text.on('close', (code) => resolve(code)));
    text.send('hello');
    expect(await textClosed).toBe(CloseCode.badMessage);

    paragraphText(a.doc).insert(7, ' Still live.');
    const late = open(server, story.id, bobToken);
    await late.synced;
    await waitFor(() => bodyText(late.doc) === 'Intact. Still live.', 'room unchanged and live');
  });
});
