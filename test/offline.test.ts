/**
 * Offline editing, after Yjs's randomized multi-peer tests: one person keeps editing with their
 * provider disconnected (thousands of keystrokes: "minutes" of work, without waiting minutes) while
 * the others edit the same paragraphs, delete what the offline person is editing, and the server
 * compacts the story; then they reconnect. Everyone, the live room and the store must converge on
 * exactly what Yjs alone makes of all their changes, with nothing anyone typed missing. A second
 * run drops and restores connections at random moments while everyone types.
 *
 * Seeds: OFFLINE_SEED=<n> replays a run (printed in assertion messages).
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { type CollabClient, connectClient, waitFor } from './helpers/collabClient.ts';
import { prng } from './helpers/prng.ts';
import { rebuildStoredDoc } from './helpers/storedDoc.ts';
import {
  api,
  createStory,
  login,
  startTestServer,
  type TestServer,
  type TestUser,
  tokenFor,
} from './helpers/testServer.ts';

const servers: TestServer[] = [];
const clients: CollabClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  for (const server of servers.splice(0)) await server.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function newsroom(options: Parameters<typeof startTestServer>[0] = {}) {
  const server = await startTestServer(options);
  servers.push(server);
  const people: TestUser[] = [];
  for (const name of ['olive', 'pete', 'quinn']) people.push(await server.addUser(name));
  const cookie = await login(server.url, 'olive', (people[0] as TestUser).password);
  const story = await createStory(server.url, cookie, 'Offline');
  for (const person of people.slice(1)) {
    await api(
      server.url,
      'PUT',
      `/api/stories/${story.id}/members/${person.user.id}`,
      { cookie },
      { role: 'reporter' },
    );
  }
  const tokens = await Promise.all(people.map((person) => tokenFor(server.url, person)));
  const open = (index: number) => {
    const client = connectClient(server.collabUrl, story.id, 'body', { token: tokens[index] as string });
    clients.push(client);
    return client;
  };
  return { server, story, open, key: { storyId: story.id, part: 'body' as const } };
}

/** The body as text: paragraphs on their own lines. */
function bodyText(doc: Y.Doc): string {
  return doc
    .getXmlFragment('body')
    .toArray()
    .map((node) => (node instanceof Y.XmlElement ? node.toArray().map(String).join('') : ''))
    .join('\n');
}

function paragraphs(doc: Y.Doc): Y.XmlText[] {
  return doc
    .getXmlFragment('body')
    .toArray()
    .flatMap((node) =>
      node instanceof Y.XmlElement && node.get(0) instanceof Y.XmlText ? [node.get(0) as Y.XmlText] : [],
    );
}

/**
 * One keystroke-sized edit, as an editor makes them: type a word somewhere, start a paragraph,
 * delete a few characters, or make a few bold. `token` makes each insertion unique.
 */
function edit(doc: Y.Doc, random: () => number, token: string, allowDeletes = true): void {
  const texts = paragraphs(doc);
  const choice = random();
  if (texts.length === 0 || choice < 0.08) {
    const paragraph = new Y.XmlElement('paragraph');
    paragraph.insert(0, [new Y.XmlText(token)]);
    const fragment = doc.getXmlFragment('body');
    fragment.insert(Math.floor(random() * (fragment.length + 1)), [paragraph]);
    return;
  }
  const text = texts[Math.floor(random() * texts.length)] as Y.XmlText;
  if (allowDeletes && choice < 0.2 && text.length > 4) {
    text.delete(Math.floor(random() * (text.length - 3)), 1 + Math.floor(random() * 3));
  } else if (choice < 0.25 && text.length > 4) {
    text.format(Math.floor(random() * (text.length - 3)), 2, { strong: true });
  } else {
    text.insert(Math.floor(random() * (text.length + 1)), token);
  }
}

/** Types `token` between two tokens of a random paragraph (never inside one), or starts a paragraph. */
function insertWhole(doc: Y.Doc, random: () => number, token: string): void {
  const texts = paragraphs(doc);
  if (texts.length === 0 || random() < 0.1) {
    const paragraph = new Y.XmlElement('paragraph');
    paragraph.insert(0, [new Y.XmlText(token)]);
    doc.getXmlFragment('body').insert(0, [paragraph]);
    return;
  }
  const text = texts[Math.floor(random() * texts.length)] as Y.XmlText;
  const content = text.toString();
  const boundaries = [0, ...[...content.matchAll(/\]/g)].map((match) => (match.index ?? 0) + 1)];
  text.insert(boundaries[Math.floor(random() * boundaries.length)] as number, token);
}

/** What Yjs alone makes of everyone's changes (no server, no network). */
function mergedAlone(docs: Y.Doc[]): Y.Doc {
  const merged = new Y.Doc({ gc: false });
  for (const doc of docs) Y.applyUpdate(merged, Y.encodeStateAsUpdate(doc));
  return merged;
}

describe('offline editing', () => {
  it('thousands of keystrokes made offline, while others edit the same text, all arrive and converge', async () => {
    const seed = Number(process.env.OFFLINE_SEED ?? 4711);
    // Compaction every 50 updates: the offline client's edits land on a story compacted meanwhile.
    const { server, open, key } = await newsroom({ compactAfterUpdates: 50 });
    const [olive, pete, quinn] = [open(0), open(1), open(2)] as [CollabClient, CollabClient, CollabClient];
    await Promise.all([olive.synced, pete.synced, quinn.synced]);
    const start = prng(seed);
    for (let i = 0; i < 20; i++) edit(olive.doc, start, `[start${i}]`, false);
    await waitFor(
      () => bodyText(pete.doc) === bodyText(olive.doc) && bodyText(quinn.doc) === bodyText(olive.doc),
      'shared start',
    );

    olive.provider.disconnect();
    const offline = prng(seed + 1);
    // "Minutes" of typing: 3000 edits, none of which reaches the server.
    for (let i = 0; i < 3000; i++) edit(olive.doc, offline, `[o${i}]`);
    const others = [pete, quinn].map(async (client, index) => {
      const random = prng(seed + 2 + index);
      for (let i = 0; i < 300; i++) {
        edit(client.doc, random, `[${index === 0 ? 'p' : 'q'}${i}]`);
        if (i % 3 === 0) await sleep(1 + Math.floor(random() * 4));
      }
    });
    await Promise.all(others);
    await waitFor(() => bodyText(pete.doc) === bodyText(quinn.doc), 'the online two converge');
    const live = server.app.rooms.peek(key);
    expect(live).toBeDefined();
    expect(bodyText(live?.doc ?? new Y.Doc())).not.toContain('[o0]');
    const stored = await server.app.storage.documents.loadDocument(key);
    expect(stored.snapshot, 'the story was compacted while olive was offline').not.toBeNull();

    const expected = mergedAlone([olive.doc, pete.doc, quinn.doc]);
    olive.provider.connect();
    for (const client of [olive, pete, quinn]) {
      await waitFor(
        () => Y.equalSnapshots(Y.snapshot(client.doc), Y.snapshot(expected)),
        `seed ${seed}: converged`,
        60_000,
      );
      expect(bodyText(client.doc)).toBe(bodyText(expected));
    }
    // Nothing anyone wrote is missing: every client's own changes are all there.
    for (const client of [olive, pete, quinn]) {
      expect(Y.getState(expected.store, client.doc.clientID)).toBe(Y.getState(client.doc.store, client.doc.clientID));
    }
    // The room and the store hold the same.
    await live?.settled();
    expect(bodyText(live?.doc ?? new Y.Doc())).toBe(bodyText(expected));
    expect(bodyText(await rebuildStoredDoc(server.app.storage.documents, key))).toBe(bodyText(expected));
  });

  it('offline insertions only: every word typed offline is in the story exactly once', async () => {
    const seed = Number(process.env.OFFLINE_SEED ?? 4711);
    const { open } = await newsroom();
    const [olive, pete] = [open(0), open(1)] as [CollabClient, CollabClient];
    await Promise.all([olive.synced, pete.synced]);
    olive.provider.disconnect();
    const random = prng(seed);
    const typed: string[] = [];
    for (let i = 0; i < 1500; i++) {
      const token = `[o${i}]`;
      typed.push(token);
      insertWhole(olive.doc, random, token);
      if (i % 10 === 0) {
        const petes = `[p${i}]`;
        typed.push(petes);
        insertWhole(pete.doc, random, petes);
      }
    }
    olive.provider.connect();
    await waitFor(() => bodyText(olive.doc) === bodyText(pete.doc), `seed ${seed}: converged`, 60_000);
    const final = bodyText(pete.doc);
    for (const token of typed) expect(final.split(token).length - 1, token).toBe(1);
  });

  it('connections dropped and restored at random moments while three people type', async () => {
    const seed = Number(process.env.OFFLINE_SEED ?? 4711);
    const { server, open, key } = await newsroom();
    const people = [open(0), open(1), open(2)];
    await Promise.all(people.map((client) => client.synced));
    const chaos = prng(seed + 10);
    let running = true;
    const typing = people.map(async (client, index) => {
      const random = prng(seed + 20 + index);
      let n = 0;
      while (running) {
        edit(client.doc, random, `[${index}.${n++}]`);
        await sleep(2 + Math.floor(random() * 6));
      }
    });
    for (let step = 0; step < 25; step++) {
      await sleep(20 + Math.floor(chaos() * 80));
      const client = people[Math.floor(chaos() * people.length)] as CollabClient;
      if (client.provider.shouldConnect) client.provider.disconnect();
      else client.provider.connect();
    }
    running = false;
    await Promise.all(typing);
    for (const client of people) if (!client.provider.shouldConnect) client.provider.connect();
    const expected = mergedAlone(people.map((client) => client.doc));
    for (const client of people) {
      await waitFor(
        () => Y.equalSnapshots(Y.snapshot(client.doc), Y.snapshot(expected)),
        `seed ${seed}: converged`,
        60_000,
      );
    }
    const live = server.app.rooms.peek(key);
    await live?.settled();
    expect(bodyText(await rebuildStoredDoc(server.app.storage.documents, key))).toBe(bodyText(expected));
  });
});
