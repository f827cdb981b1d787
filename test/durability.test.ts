/**
 * The real `sourcedesk` process: first start, the CLI, `kill -9` mid-typing, and SIGTERM.
 * Nothing any client had received from the server may be missing after a restart.
 */
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type * as Y from 'yjs';
import { readMetaField } from '../shared/metaText.ts';
import { CloseCode } from '../shared/protocol.ts';
import { type CollabClient, connectClient, waitFor } from './helpers/collabClient.ts';
import { freePort, runCli, type ServerProcess, startServerProcess } from './helpers/serverProcess.ts';
import { api, createStory, login, makeDataDir } from './helpers/testServer.ts';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function track(server: ServerProcess): ServerProcess {
  cleanups.push(() => {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
  });
  return server;
}

function tracked(client: CollabClient): CollabClient {
  cleanups.push(() => client.destroy());
  return client;
}

function text(doc: Y.Doc): Y.Text {
  return doc.getText('log');
}

async function newsroom() {
  const dataDir = makeDataDir();
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const added = await runCli(
    ['user', 'add', 'writer', '--password', 'writer-password-1', '--name', 'Wren Writer'],
    dataDir,
  );
  expect(added.code).toBe(0);
  expect(added.stdout).toMatch(/Added writer \(Wren Writer\)/);
  const reader = await runCli(['user', 'add', 'reader', '--password', 'reader-password-1'], dataDir);
  expect(reader.code).toBe(0);
  const port = await freePort();
  const server = track(await startServerProcess(dataDir, port));
  const writerCookie = await login(server.url, 'writer', 'writer-password-1');
  const readerCookie = await login(server.url, 'reader', 'reader-password-1');
  const story = await createStory(server.url, writerCookie, 'Live blog');
  const readerId = (await api<{ id: string }>(server.url, 'GET', '/api/me', { cookie: readerCookie })).body.id;
  await api(
    server.url,
    'PUT',
    `/api/stories/${story.id}/members/${readerId}`,
    { cookie: writerCookie },
    { role: 'viewer' },
  );
  return { dataDir, port, server, story, writerCookie, readerCookie };
}

describe('the sourcedesk command', () => {
  it('creates an admin with a random password on first start and prints it once', async () => {
    const dataDir = makeDataDir();
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const port = await freePort();
    const first = track(await startServerProcess(dataDir, port));
    const printed = /Log in as "admin" with password: (\S+)/.exec(first.output());
    expect(printed).not.toBeNull();
    const password = printed?.[1] ?? '';
    expect(password.length).toBeGreaterThanOrEqual(16);
    expect(first.output()).toContain(`http://127.0.0.1:${port}`);
    const cookie = await login(first.url, 'admin', password);
    expect((await api<{ isAdmin: boolean }>(first.url, 'GET', '/api/me', { cookie })).body.isAdmin).toBe(true);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const second = track(await startServerProcess(dataDir, port));
    expect(second.output()).not.toMatch(/password:/);
    await login(second.url, 'admin', password);
  });

  it('refuses bad user input with a message and exit code 2', async () => {
    const dataDir = makeDataDir();
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const short = await runCli(['user', 'add', 'kim', '--password', 'short'], dataDir);
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/password/);
    const badName = await runCli(['user', 'add', 'Bad Name!', '--password', 'long-enough-pw'], dataDir);
    expect(badName.code).toBe(2);
    expect((await runCli(['user', 'add', 'kim', '--password', 'long-enough-pw', '--admin'], dataDir)).code).toBe(0);
    const again = await runCli(['user', 'add', 'kim', '--password', 'long-enough-pw'], dataDir);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists/);
  });
});

describe('crashes and restarts', () => {
  it('kill -9 mid-typing loses nothing that another client had received', async () => {
    const { dataDir, port, server, story, writerCookie, readerCookie } = await newsroom();
    const writer = tracked(connectClient(server.collabUrl, story.id, 'body', { headers: { cookie: writerCookie } }));
    const reader = tracked(connectClient(server.collabUrl, story.id, 'body', { headers: { cookie: readerCookie } }));
    await Promise.all([writer.synced, reader.synced]);

    // The writer types steadily; the server is killed while keystrokes are in flight.
    let typing = true;
    const typed = (async () => {
      let i = 0;
      while (typing) {
        text(writer.doc).insert(text(writer.doc).length, String.fromCharCode(97 + (i++ % 26)));
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    await waitFor(() => text(reader.doc).length >= 300, 'reader received some typing', 30_000);
    server.child.kill('SIGKILL');
    await server.exited;
    const seenByReader = text(reader.doc).toString();
    typing = false;
    await typed;
    expect(seenByReader.length).toBeGreaterThanOrEqual(300);

    const restarted = track(await startServerProcess(dataDir, port));
    const fresh = tracked(connectClient(restarted.collabUrl, story.id, 'body', { headers: { cookie: readerCookie } }));
    await fresh.synced;
    // Everything the reader saw was durable before it was sent.
    expect(text(fresh.doc).toString().startsWith(seenByReader)).toBe(true);
    // And the writer's provider reconnects and delivers what it typed while the server was down.
    const writerText = text(writer.doc).toString();
    await waitFor(() => text(fresh.doc).toString() === writerText, 'writer resynced', 30_000);
    await waitFor(() => text(reader.doc).toString() === writerText, 'reader converged', 30_000);
  });

  it('SIGTERM stores everything, closes sockets with 1001 and exits 0', async () => {
    const { dataDir, port, server, story, writerCookie } = await newsroom();
    const writer = tracked(connectClient(server.collabUrl, story.id, 'body', { headers: { cookie: writerCookie } }));
    await writer.synced;
    writer.doc.getMap('meta').set('dek', 'Filed before shutdown');
    const room = () => writer.doc.getMap('meta').get('dek');
    expect(room()).toBe('Filed before shutdown');
    // Make sure the change has reached the server before stopping it.
    const probe = tracked(connectClient(server.collabUrl, story.id, 'body', { headers: { cookie: writerCookie } }));
    await probe.synced;
    await waitFor(() => probe.doc.getMap('meta').get('dek') === 'Filed before shutdown', 'server has the dek');

    const closed = writer.nextClose();
    server.child.kill('SIGTERM');
    expect((await closed).code).toBe(CloseCode.goingAway);
    expect(await server.exited).toBe(0);
    writer.provider.disconnect();
    probe.provider.disconnect();

    const restarted = track(await startServerProcess(dataDir, port));
    const reader = tracked(connectClient(restarted.collabUrl, story.id, 'body', { headers: { cookie: writerCookie } }));
    await reader.synced;
    expect(reader.doc.getMap('meta').get('dek')).toBe('Filed before shutdown');
    expect(readMetaField(reader.doc.getMap('meta'), 'title')).toBe('Live blog');
  });
});
