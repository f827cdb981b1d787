/**
 * `kill -9` at random moments (seeded) of a run in which three people type into one story at once,
 * over several rounds of crash and restart. After every crash the store, read straight from the
 * SQLite file the dead process left, must hold every update any client had received from the
 * server; after the last restart everyone converges on one document that holds everything each of
 * them typed, including what they typed while the server was down.
 *
 * Replay a failure with CRASH_SEED=<seed> (printed in every assertion message); CRASH_ROUNDS sets
 * how many crashes (default 3).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { openSqliteStorage } from '../server/storage/SqliteStorage.ts';
import { type CollabClient, connectClient, waitFor } from './helpers/collabClient.ts';
import { prng } from './helpers/prng.ts';
import { freePort, runCli, type ServerProcess, startServerProcess } from './helpers/serverProcess.ts';
import { rebuildStoredDoc } from './helpers/storedDoc.ts';
import { api, createStory, login, makeDataDir } from './helpers/testServer.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function track(server: ServerProcess): ServerProcess {
  cleanups.push(() => {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
  });
  return server;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Writer {
  name: string;
  client: CollabClient;
  /** Every update this client received from the server (its provider is the origin). */
  received: Uint8Array[];
  typing: Promise<void> | null;
}

describe('kill -9 at random moments', () => {
  it('loses nothing any client received, over several crashes, and everyone converges', async () => {
    const seed = Number(process.env.CRASH_SEED ?? 20260915);
    const rounds = Number(process.env.CRASH_ROUNDS ?? 3);
    const random = prng(seed);
    const dataDir = makeDataDir();
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const names = ['ana', 'ben', 'cai'];
    for (const name of names) {
      expect((await runCli(['user', 'add', name, '--password', `${name}-password-1`], dataDir)).code).toBe(0);
    }
    const port = await freePort();
    let server = track(await startServerProcess(dataDir, port));
    const cookies = await Promise.all(names.map((name) => login(server.url, name, `${name}-password-1`)));
    const [anaCookie] = cookies as [string];
    const story = await createStory(server.url, anaCookie, 'Crash course');
    for (const name of names.slice(1)) {
      const cookie = cookies[names.indexOf(name)] as string;
      const id = (await api<{ id: string }>(server.url, 'GET', '/api/me', { cookie })).body.id;
      await api(
        server.url,
        'PUT',
        `/api/stories/${story.id}/members/${id}`,
        { cookie: anaCookie },
        { role: 'reporter' },
      );
    }
    const writers: Writer[] = names.map((name, index) => {
      const client = connectClient(server.collabUrl, story.id, 'body', {
        headers: { cookie: cookies[index] as string },
      });
      cleanups.push(() => client.destroy());
      const writer: Writer = { name, client, received: [], typing: null };
      client.doc.on('update', (update: Uint8Array, origin: unknown) => {
        if (origin === client.provider) writer.received.push(update);
      });
      return writer;
    });
    await Promise.all(writers.map((writer) => writer.client.synced));

    let typing = true;
    const typeInto = async (writer: Writer, choices: () => number) => {
      const text = writer.client.doc.getText('log');
      let n = 0;
      while (typing) {
        const at = Math.floor(choices() * (text.length + 1));
        text.insert(at, `${writer.name[0]}${n++}.`);
        if (choices() < 0.1 && text.length > 10) text.delete(Math.floor(choices() * (text.length - 3)), 2);
        await sleep(3 + Math.floor(choices() * 8));
      }
    };
    // Each writer draws from its own seeded stream (the shared one decides the crash moments).
    for (const [index, writer] of writers.entries()) writer.typing = typeInto(writer, prng(seed + index + 1));

    const file = join(dataDir, 'sourcedesk.db');
    const key = { storyId: story.id, part: 'body' as const };
    for (let round = 1; round <= rounds; round++) {
      // Let the writers (re)connect and get going, then crash at a random moment.
      await waitFor(
        () => writers.every((writer) => writer.client.provider.wsconnected),
        `round ${round} (seed ${seed}): writers reconnected`,
        30_000,
      );
      await sleep(200 + Math.floor(random() * 1300));
      server.child.kill('SIGKILL');
      await server.exited;
      // What a dead server left on disk must hold everything any client had received.
      const storage = openSqliteStorage(file);
      const stored = await rebuildStoredDoc(storage.documents, key);
      await storage.close();
      const snapshot = Y.snapshot(stored);
      for (const writer of writers) {
        const missing = writer.received.filter((update) => !Y.snapshotContainsUpdate(snapshot, update));
        expect(missing.length, `round ${round} (seed ${seed}): ${writer.name} received updates not on disk`).toBe(0);
      }
      // Keep typing offline a little, then restart on the same port: the providers reconnect.
      await sleep(Math.floor(random() * 400));
      server = track(await startServerProcess(dataDir, port));
    }

    typing = false;
    await Promise.all(writers.map((writer) => writer.typing));
    const reader = connectClient(server.collabUrl, story.id, 'body', { headers: { cookie: anaCookie } });
    cleanups.push(() => reader.destroy());
    await reader.synced;
    // Everyone converges on one document that holds everything each of them wrote.
    await waitFor(
      () => writers.every((writer) => Y.equalSnapshots(Y.snapshot(writer.client.doc), Y.snapshot(reader.doc))),
      `seed ${seed}: converged`,
      60_000,
    );
    const final = reader.doc.getText('log').toString();
    for (const writer of writers) {
      expect(writer.client.doc.getText('log').toString()).toBe(final);
      const own = writer.client.doc.clientID;
      expect(Y.getState(reader.doc.store, own)).toBe(Y.getState(writer.client.doc.store, own));
    }
    // And it is on disk.
    server.child.kill('SIGKILL');
    await server.exited;
    const storage = openSqliteStorage(file);
    const onDisk = await rebuildStoredDoc(storage.documents, key);
    await storage.close();
    expect(onDisk.getText('log').toString()).toBe(final);
  }, 240_000);
});
