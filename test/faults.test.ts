/**
 * Storage faults: a full disk while appending updates or compacting, a store that cannot be read,
 * and one too slow to open a room in time. Nothing that could not be stored is acknowledged,
 * applied or sent to anyone; the room always holds exactly what the store holds (so unloading it
 * can never lose anything); the clients keep their work and deliver it once the store recovers; and
 * no snapshot of an empty document is ever written over a story. The faults are injected around the
 * real SQLite store (`helpers/faultyStorage.ts` says why).
 */
import { join } from 'node:path';
import * as decoding from 'lib0/decoding';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { openSqliteStorage } from '../server/storage/SqliteStorage.ts';
import { CloseCode, CloseReason, MessageType, SyncMessageType } from '../shared/protocol.ts';
import { sameDocument } from './helpers/attackedRoom.ts';
import { type CollabClient, connectClient, waitFor } from './helpers/collabClient.ts';
import { diskFull, type FaultyStorage, ioError, withFaults } from './helpers/faultyStorage.ts';
import { openRaw, syncMessage, updateMessage } from './helpers/hostileClient.ts';
import { rebuildStoredDoc } from './helpers/storedDoc.ts';
import {
  api,
  createStory,
  login,
  makeDataDir,
  startTestServer,
  type TestServer,
  tokenFor,
} from './helpers/testServer.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Setup {
  server: TestServer;
  faulty: FaultyStorage;
  storyId: string;
  aliceToken: string;
  bobToken: string;
  key: { storyId: string; part: 'body' };
  open(token: string): CollabClient;
  /** The room's document (it must be loaded). */
  live(): Y.Doc;
  /** The store's document, rebuilt as a restart would. */
  stored(): Promise<Y.Doc>;
}

async function setup(options: Parameters<typeof startTestServer>[0] = {}): Promise<Setup> {
  const dataDir = makeDataDir();
  const real = openSqliteStorage(join(dataDir, 'sourcedesk.db'));
  const faulty = withFaults(real);
  const server = await startTestServer({ ...options, dataDir, storage: faulty.storage });
  cleanups.push(async () => {
    await server.close();
    await real.close();
  });
  const alice = await server.addUser('alice');
  const bob = await server.addUser('bob');
  const cookie = await login(server.url, 'alice', alice.password);
  const story = await createStory(server.url, cookie, 'Storm');
  await api(server.url, 'PUT', `/api/stories/${story.id}/members/${bob.user.id}`, { cookie }, { role: 'reporter' });
  const key = { storyId: story.id, part: 'body' as const };
  return {
    server,
    faulty,
    storyId: story.id,
    aliceToken: await tokenFor(server.url, alice),
    bobToken: await tokenFor(server.url, bob),
    key,
    open(token) {
      const client = connectClient(server.collabUrl, story.id, 'body', { token });
      cleanups.push(() => client.destroy());
      return client;
    },
    live() {
      const room = server.app.rooms.peek(key);
      if (room === undefined) throw new Error('room not loaded');
      return room.doc;
    },
    stored: () => rebuildStoredDoc(server.app.storage.documents, key),
  };
}

const text = (doc: Y.Doc) => doc.getText('t').toString();

/** The codes of the closes a provider sees, as they happen. */
function closeCodes(client: CollabClient): number[] {
  const codes: number[] = [];
  client.provider.on('connection-close', (event) => codes.push(event?.code ?? 0));
  return codes;
}

/** The same room state plus one change, as an update from client `clientId`. */
function changeOf(state: Uint8Array, change: (doc: Y.Doc) => void, clientId: number): Uint8Array {
  const doc = new Y.Doc({ gc: false });
  doc.clientID = clientId;
  Y.applyUpdate(doc, state);
  let update: Uint8Array = new Uint8Array();
  doc.on('update', (made: Uint8Array) => {
    update = made;
  });
  doc.transact(() => change(doc));
  return update;
}

const messageTypes = (messages: Uint8Array[]) =>
  messages.map((message) => decoding.readVarUint(decoding.createDecoder(message)));

describe('a full disk while appending', () => {
  it('nothing is acknowledged, applied or sent; the writer keeps its work and delivers it when space is back', async () => {
    const s = await setup();
    const writer = s.open(s.aliceToken);
    const reader = s.open(s.bobToken);
    await Promise.all([writer.synced, reader.synced]);
    writer.doc.getText('t').insert(0, 'stored. ');
    await waitFor(() => text(reader.doc) === 'stored. ', 'the first edit arrives');
    const logBefore = (await s.server.app.storage.documents.loadDocument(s.key)).updates.length;

    s.faulty.faults.append = diskFull;
    // A client that asks for acknowledgements gets none for an update that was not stored.
    const acker = await openRaw(s.server.collabUrl, `${s.storyId}/body`, s.aliceToken, { query: '&ack=1' });
    cleanups.push(() => acker.ws.terminate());
    acker.ws.send(syncMessage(SyncMessageType.step1, new Uint8Array([0])));
    await waitFor(() => acker.received.length > 0, 'the acking client joined');
    const never = changeOf(
      Y.encodeStateAsUpdate(s.live()),
      (doc) => doc.getText('t').insert(0, 'never acknowledged. '),
      writer.doc.clientID,
    );
    acker.ws.send(updateMessage(never));
    expect(await acker.closed).toEqual({ code: CloseCode.storageUnavailable, reason: CloseReason.storageUnavailable });
    expect(messageTypes(acker.received)).not.toContain(MessageType.savedAck);

    // The writer's typing is refused the same way; its provider reconnects and resends it, again
    // and again, while the disk stays full.
    const codes = closeCodes(writer);
    writer.doc.getText('t').insert(8, 'pending.');
    await waitFor(() => s.faulty.failed.append >= 4, 'the writer keeps retrying', 30_000);
    expect(codes).toContain(CloseCode.storageUnavailable);
    expect(codes.every((code) => code === CloseCode.storageUnavailable)).toBe(true);
    // The room holds exactly what the store holds: nothing unstored to lose if it unloaded now.
    expect(text(s.live())).toBe('stored. ');
    expect(sameDocument(await s.stored(), s.live())).toBe(true);
    expect((await s.server.app.storage.documents.loadDocument(s.key)).updates.length).toBe(logBefore);
    expect(text(reader.doc)).toBe('stored. ');
    expect(text(writer.doc)).toBe('stored. pending.');

    s.faulty.faults.append = null;
    await waitFor(() => text(reader.doc) === 'stored. pending.', 'delivered once space is back', 30_000);
    expect(text(await s.stored())).toBe('stored. pending.');
    expect(text(s.live())).not.toContain('never acknowledged');
  });

  it('a store that cannot record a new client id refuses the update the same way', async () => {
    const s = await setup();
    const reader = s.open(s.bobToken);
    await reader.synced;
    s.faulty.faults.claim = diskFull;
    const writer = s.open(s.aliceToken);
    await writer.synced;
    const codes = closeCodes(writer);
    writer.doc.getText('t').insert(0, 'first words');
    await waitFor(() => codes.includes(CloseCode.storageUnavailable), 'refused');
    expect(text(s.live())).toBe('');
    expect(text(reader.doc)).toBe('');
    s.faulty.faults.claim = null;
    await waitFor(() => text(reader.doc) === 'first words', 'delivered after recovery', 30_000);
    expect(text(await s.stored())).toBe('first words');
  });
});

describe('a full disk while compacting', () => {
  it('keeps the log, keeps serving, retries later, and never writes an empty snapshot', async () => {
    const s = await setup({ compactAfterUpdates: 20 });
    s.faulty.faults.snapshot = diskFull;
    const writer = s.open(s.aliceToken);
    const reader = s.open(s.bobToken);
    await Promise.all([writer.synced, reader.synced]);
    const typed = writer.doc.getText('t');
    for (let i = 0; i < 50; i++) {
      typed.insert(typed.length, String.fromCharCode(97 + (i % 26)));
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await waitFor(() => text(reader.doc) === typed.toString(), 'the reader has everything');
    await waitFor(() => s.faulty.failed.snapshot >= 1, 'a compaction was attempted and failed');
    const stored = await s.server.app.storage.documents.loadDocument(s.key);
    expect(stored.snapshot).toBeNull();
    expect(sameDocument(await s.stored(), s.live())).toBe(true);

    // Everyone leaves: compaction on unload fails too; the log still holds everything.
    const failedBefore = s.faulty.failed.snapshot;
    writer.destroy();
    reader.destroy();
    await waitFor(() => s.server.app.rooms.peek(s.key) === undefined, 'the room unloaded');
    expect(s.faulty.failed.snapshot).toBeGreaterThan(failedBefore);
    const back = s.open(s.bobToken);
    await back.synced;
    expect(text(back.doc)).toBe(typed.toString());

    // Space again: the next compaction succeeds and the story loads from snapshot plus tail.
    s.faulty.faults.snapshot = null;
    const more = back.doc.getText('t');
    for (let i = 0; i < 30; i++) {
      more.insert(more.length, 'z');
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await waitFor(() => text(s.live()) === more.toString(), 'the room has the new typing');
    await waitFor(() => s.faulty.snapshots.length > 0, 'a snapshot was written', 30_000);
    expect((await s.server.app.storage.documents.loadDocument(s.key)).snapshot).not.toBeNull();
    expect(text(await s.stored())).toBe(more.toString());
    for (const snapshot of s.faulty.snapshots) expect(text(snapshot.doc).length).toBeGreaterThan(50);
  });
});

describe('a store that cannot be read', () => {
  it('refuses the socket (1011, retried), opens no empty room and writes nothing over the story', async () => {
    const s = await setup();
    const writer = s.open(s.aliceToken);
    await writer.synced;
    writer.doc.getText('t').insert(0, 'Kept through a bad disk.');
    await waitFor(() => text(s.live()) === 'Kept through a bad disk.', 'stored');
    writer.destroy();
    await waitFor(() => s.server.app.rooms.peek(s.key) === undefined, 'unloaded');
    const snapshotsBefore = s.faulty.snapshots.length;

    s.faulty.faults.load = ioError;
    const reader = s.open(s.bobToken);
    const codes = closeCodes(reader);
    await waitFor(() => s.faulty.failed.load >= 3, 'the reader keeps retrying', 30_000);
    expect(codes.length).toBeGreaterThan(0);
    expect(codes.every((code) => code === CloseCode.serverError)).toBe(true);
    expect(s.server.app.rooms.peek(s.key)).toBeUndefined();
    expect(text(reader.doc)).toBe('');
    expect(s.faulty.snapshots.length).toBe(snapshotsBefore);

    s.faulty.faults.load = null;
    await waitFor(() => text(reader.doc) === 'Kept through a bad disk.', 'loaded after recovery', 30_000);
    expect(text(await s.stored())).toBe('Kept through a bad disk.');
    for (const snapshot of s.faulty.snapshots) expect(text(snapshot.doc)).toBe('Kept through a bad disk.');
  });

  it('a store too slow to open the room within the handshake time: 1013, and the retry gets in', async () => {
    const s = await setup({ handshakeTimeoutMs: 400 });
    const writer = s.open(s.aliceToken);
    await writer.synced;
    writer.doc.getText('t').insert(0, 'Slow but safe.');
    await waitFor(() => text(s.live()) === 'Slow but safe.', 'stored');
    writer.destroy();
    await waitFor(() => s.server.app.rooms.peek(s.key) === undefined, 'unloaded');

    s.faulty.faults.loadDelayMs = 1200;
    const reader = s.open(s.bobToken);
    const codes = closeCodes(reader);
    await waitFor(() => text(reader.doc) === 'Slow but safe.', 'the reader got in', 30_000);
    expect(codes[0]).toBe(CloseCode.tryAgainLater);
  });
});
