/**
 * Several instances of one newsroom: the machine's real PostgreSQL (a fresh schema per test) and a
 * real, private Redis server. Clients on different instances co-edit live (text and presence);
 * killing an instance with SIGKILL mid-typing loses nothing (its clients reach the other instance
 * through a load balancer); a Redis restart during editing heals from storage and converges.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { openPostgresStorage } from '../server/storage/PostgresStorage.ts';
import type { Storage } from '../server/storage/Storage.ts';
import { DATABASE_URL, dropSchema, newSchemaName } from './helpers/backends.ts';
import { type CollabClient, connectClient, waitFor } from './helpers/collabClient.ts';
import { freePort, runCli, type ServerProcess, startServerProcess } from './helpers/serverProcess.ts';
import { type LoadBalancer, type RedisServer, startLoadBalancer, startRedis } from './helpers/services.ts';
import { api, createStory, login, startTestServer, type TestServer, tokenFor } from './helpers/testServer.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

function track<T extends { destroy(): void }>(client: T): T {
  cleanups.push(async () => client.destroy());
  return client;
}

async function sharedServices(): Promise<{ schema: string; redis: RedisServer }> {
  const schema = newSchemaName();
  cleanups.push(() => dropSchema(schema));
  const redis = await startRedis();
  cleanups.push(() => redis.stop());
  return { schema, redis };
}

async function instance(
  schema: string,
  redisUrl: string,
  healIntervalMs = 300,
): Promise<{ server: TestServer; storage: Storage }> {
  const storage = await openPostgresStorage(DATABASE_URL, { schema, maxConnections: 4 });
  const server = await startTestServer({ storage, redisUrl, healIntervalMs });
  cleanups.push(async () => {
    await server.close();
    await storage.close();
  });
  return { server, storage };
}

function bodyText(doc: Y.Doc): string {
  return doc.getText('plain').toString();
}

/** Types `count` unique words into the client's text, one transaction each, a few ms apart. */
async function typeWords(client: CollabClient, prefix: string, count: number, gapMs = 5): Promise<string[]> {
  const words: string[] = [];
  for (let index = 0; index < count; index++) {
    const word = `${prefix}${index} `;
    const text = client.doc.getText('plain');
    text.insert(text.length, word);
    words.push(word.trim());
    await new Promise((resolve) => setTimeout(resolve, gapMs));
  }
  return words;
}

function containsAll(text: string, words: string[]): boolean {
  const present = new Set(text.split(/\s+/));
  return words.every((word) => present.has(word));
}

describe('several instances', () => {
  it('lets people on different instances co-edit one story live, presence included', async () => {
    const { schema, redis } = await sharedServices();
    // No healing from storage here: everything must travel live through Redis.
    const a = await instance(schema, redis.url, 3_600_000);
    const b = await instance(schema, redis.url, 3_600_000);
    const rita = await a.server.addUser('rita');
    const edna = await a.server.addUser('edna');
    // Sessions and membership live in the database: log in on A, act on B.
    const ednaCookie = await login(a.server.url, 'edna', edna.password);
    const story = await createStory(b.server.url, ednaCookie, 'Harbour budget');
    const member = await api(
      b.server.url,
      'PUT',
      `/api/stories/${story.id}/members/${rita.user.id}`,
      { cookie: ednaCookie },
      { role: 'reporter' },
    );
    expect(member.status).toBe(200);
    expect((await api(a.server.url, 'GET', '/api/me', { cookie: ednaCookie })).status).toBe(200);

    const onA = track(
      connectClient(a.server.collabUrl, story.id, 'body', { token: await tokenFor(b.server.url, rita) }),
    );
    const onB = track(
      connectClient(b.server.collabUrl, story.id, 'body', { token: await tokenFor(a.server.url, edna) }),
    );
    await Promise.all([onA.synced, onB.synced]);
    const [wordsA, wordsB] = await Promise.all([typeWords(onA, 'a', 40), typeWords(onB, 'b', 40)]);
    await waitFor(
      () => bodyText(onA.doc) === bodyText(onB.doc) && containsAll(bodyText(onA.doc), [...wordsA, ...wordsB]),
      'both instances converge',
    );

    // Presence crosses instances, stamped with the session's identity on the instance it came in.
    onA.provider.awareness.setLocalStateField('cursor', { anchor: 1 });
    await waitFor(
      () =>
        [...onB.provider.awareness.getStates().values()].some(
          (state) =>
            (state.user as { name?: string } | undefined)?.name === rita.user.name && state.cursor !== undefined,
        ),
      'Rita’s cursor reaches the client on the other instance',
    );
    // And leaves when she does.
    onA.provider.disconnect();
    await waitFor(
      () =>
        ![...onB.provider.awareness.getStates().values()].some(
          (state) => (state.user as { name?: string } | undefined)?.name === rita.user.name,
        ),
      'Rita’s presence is gone on the other instance',
    );
  });

  it('survives a Redis restart during editing: each side keeps typing, then everything converges', async () => {
    const { schema, redis } = await sharedServices();
    const a = await instance(schema, redis.url);
    const b = await instance(schema, redis.url);
    const rita = await a.server.addUser('rita');
    const story = await createStory(a.server.url, await login(a.server.url, 'rita', rita.password), 'Storm');
    const token = await tokenFor(a.server.url, rita);
    const onA = track(connectClient(a.server.collabUrl, story.id, 'body', { token }));
    const onB = track(connectClient(b.server.collabUrl, story.id, 'body', { token }));
    await Promise.all([onA.synced, onB.synced]);
    const before = await Promise.all([typeWords(onA, 'a', 10), typeWords(onB, 'b', 10)]);
    await waitFor(() => bodyText(onA.doc) === bodyText(onB.doc), 'converged before the restart');

    await redis.stop();
    const during = await Promise.all([typeWords(onA, 'x', 15), typeWords(onB, 'y', 15)]);
    // Each instance stored its side (nothing was lost), even though nothing could cross.
    expect(containsAll(bodyText(onA.doc), during[0])).toBe(true);
    await redis.start();
    const after = await Promise.all([typeWords(onA, 'p', 5), typeWords(onB, 'q', 5)]);
    const all = [...before.flat(), ...during.flat(), ...after.flat()];
    await waitFor(
      () => bodyText(onA.doc) === bodyText(onB.doc) && containsAll(bodyText(onA.doc), all),
      'both instances converge after Redis is back',
      20_000,
    );
  });

  it('survives a short PostgreSQL outage: nothing unstored is shown, clients resend, all converges', async () => {
    const { schema, redis } = await sharedServices();
    // The instance reaches PostgreSQL through a proxy that the test cuts and restores.
    const database = new URL(DATABASE_URL);
    const databasePort = Number(database.port || 5432);
    let proxy = await startLoadBalancer([databasePort]);
    const proxyPort = proxy.port;
    cleanups.push(() => proxy.close());
    database.host = `127.0.0.1:${proxyPort}`;
    const storage = await openPostgresStorage(database.toString(), { schema, maxConnections: 4 });
    const server = await startTestServer({ storage, redisUrl: redis.url });
    cleanups.push(async () => {
      await server.close();
      await storage.close();
    });
    const rita = await server.addUser('rita');
    const story = await createStory(server.url, await login(server.url, 'rita', rita.password), 'Outage');
    const token = await tokenFor(server.url, rita);
    const writer = track(connectClient(server.collabUrl, story.id, 'body', { token }));
    const reader = track(connectClient(server.collabUrl, story.id, 'body', { token }));
    await Promise.all([writer.synced, reader.synced]);
    const before = await typeWords(writer, 'a', 10);
    await waitFor(() => containsAll(bodyText(reader.doc), before), 'reader has the first words');

    await proxy.close();
    const during = await typeWords(writer, 'x', 10);
    await new Promise((resolve) => setTimeout(resolve, 500));
    // Nothing that could not be stored reached anyone else.
    expect(
      bodyText(reader.doc)
        .split(/\s+/)
        .some((word) => word.startsWith('x')),
    ).toBe(false);

    proxy = await startLoadBalancer([databasePort], proxyPort);
    const after = await typeWords(writer, 'p', 5);
    const all = [...before, ...during, ...after];
    await waitFor(() => containsAll(bodyText(reader.doc), all), 'everything reaches the reader', 30_000);
    // And all of it is stored.
    await server.app.rooms.peek({ storyId: story.id, part: 'body' })?.settled();
    const stored = await storage.documents.loadDocument({ storyId: story.id, part: 'body' });
    const rebuilt = new Y.Doc({ gc: false });
    if (stored.snapshot) Y.applyUpdate(rebuilt, stored.snapshot);
    for (const entry of stored.updates) Y.applyUpdate(rebuilt, entry.data);
    expect(containsAll(bodyText(rebuilt), all)).toBe(true);
  });

  it('loses nothing when an instance is killed mid-typing; its clients carry on through the other', async () => {
    const { schema, redis } = await sharedServices();
    const dataDir = mkdtempSync(join(tmpdir(), 'sourcedesk-multi-'));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const env = { DATABASE_URL, DATABASE_SCHEMA: schema, REDIS_URL: redis.url };
    const [portA, portB] = [await freePort(), await freePort()];
    const processes: ServerProcess[] = [];
    cleanups.push(async () => {
      for (const running of processes) if (running.child.exitCode === null) running.child.kill('SIGKILL');
    });
    processes.push(await startServerProcess(dataDir, portA, { ...env, INSTANCE_ID: 'a' }));
    processes.push(await startServerProcess(dataDir, portB, { ...env, INSTANCE_ID: 'b' }));
    const [first, second] = processes as [ServerProcess, ServerProcess];
    const balancer: LoadBalancer = await startLoadBalancer([portA, portB]);
    cleanups.push(() => balancer.close());

    // Accounts are made with the CLI against the same database.
    const added = await runCliWithEnv(['user', 'add', 'rita', '--password', 'correct horse battery'], dataDir, env);
    expect(added.code).toBe(0);
    const cookie = await login(second.url, 'rita', 'correct horse battery');
    const story = await createStory(second.url, cookie, 'Night shift');
    const token = (await api<{ token: string }>(second.url, 'POST', '/api/tokens', { cookie }, { name: 't' })).body
      .token;

    // Both writers go through the balancer (to A, the first that accepts); a reader sits on B.
    const viaBalancer = `ws://127.0.0.1:${balancer.port}/collab`;
    const writers = [
      track(connectClient(viaBalancer, story.id, 'body', { token })),
      track(connectClient(viaBalancer, story.id, 'body', { token })),
    ];
    const reader = track(connectClient(second.collabUrl, story.id, 'body', { token }));
    await Promise.all([...writers.map((writer) => writer.synced), reader.synced]);

    const closed = writers.map((writer) => writer.nextClose());
    const typing = writers.map((writer, index) => typeWords(writer, `w${index}-`, 120, 8));
    await waitFor(() => bodyText(reader.doc).split(' ').length > 40, 'the reader sees typing on the other instance');
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    // The writers were on the killed instance: their sockets dropped, and they reconnected.
    await Promise.all(closed);
    const typed = (await Promise.all(typing)).flat();
    await waitFor(
      () =>
        writers.every((writer) => bodyText(writer.doc) === bodyText(reader.doc)) &&
        containsAll(bodyText(reader.doc), typed),
      'every word typed reaches the surviving instance',
      30_000,
    );
    // And it is stored: a client that arrives now gets all of it from the survivor.
    const late = track(connectClient(second.collabUrl, story.id, 'body', { token }));
    await late.synced;
    expect(containsAll(bodyText(late.doc), typed)).toBe(true);
  });
});

async function runCliWithEnv(args: string[], dataDir: string, env: Record<string, string>) {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    return await runCli(args, dataDir);
  } finally {
    for (const key of Object.keys(env)) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  }
}
