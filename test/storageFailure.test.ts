/**
 * When the store cannot take an update, the update is not acknowledged and nobody sees it; the
 * sender keeps it and delivers it once the store works again.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStorage } from '../server/storage/SqliteStorage.ts';
import { CloseCode } from '../shared/protocol.ts';
import { type CollabClient, connectClient, waitFor } from './helpers/collabClient.ts';
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

describe('storage failures', () => {
  it('a write that cannot be stored is neither applied nor sent; the client resends it later', async () => {
    const dataDir = makeDataDir();
    const file = join(dataDir, 'sourcedesk.db');
    const storage = openSqliteStorage(file, { busyTimeoutMs: 50 });
    const server: TestServer = await startTestServer({ dataDir, storage });
    cleanups.push(async () => {
      await server.close();
      await storage.close();
    });
    const alice = await server.addUser('alice');
    const bob = await server.addUser('bob');
    const cookie = await login(server.url, 'alice', alice.password);
    const story = await createStory(server.url, cookie, 'Locked');
    await api(server.url, 'PUT', `/api/stories/${story.id}/members/${bob.user.id}`, { cookie }, { role: 'reporter' });
    const writer: CollabClient = connectClient(server.collabUrl, story.id, 'body', {
      token: await tokenFor(server.url, alice),
    });
    const reader: CollabClient = connectClient(server.collabUrl, story.id, 'body', {
      token: await tokenFor(server.url, bob),
    });
    cleanups.push(
      () => writer.destroy(),
      () => reader.destroy(),
    );
    await Promise.all([writer.synced, reader.synced]);
    writer.doc.getText('t').insert(0, 'stored. ');
    await waitFor(() => reader.doc.getText('t').toString() === 'stored. ', 'first edit arrives');

    // Another process holds the database's write lock: our writes fail with SQLITE_BUSY.
    const other = new Database(file);
    other.exec('BEGIN EXCLUSIVE');
    const closed = writer.nextClose();
    writer.doc.getText('t').insert(8, 'pending.');
    expect((await closed).code).toBe(CloseCode.storageUnavailable);
    const room = server.app.rooms.peek({ storyId: story.id, part: 'body' });
    expect(room?.doc.getText('t').toString()).toBe('stored. ');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(reader.doc.getText('t').toString()).toBe('stored. ');
    expect(writer.doc.getText('t').toString()).toBe('stored. pending.');

    other.exec('ROLLBACK');
    other.close();
    // The provider reconnects (4503 is transient) and its sync step 2 carries the pending edit.
    await waitFor(() => reader.doc.getText('t').toString() === 'stored. pending.', 'delivered after recovery', 20_000);
    const rebuilt = await rebuildStoredDoc(storage.documents, { storyId: story.id, part: 'body' });
    expect(rebuilt.getText('t').toString()).toBe('stored. pending.');
  });
});
