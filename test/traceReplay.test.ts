/**
 * A real recorded editing session replayed keystroke by keystroke through the server by two live
 * clients that take turns typing (as two reporters passing a story back and forth), each waiting
 * until it has received the other's last keystroke before it continues.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { type CollabClient, connectClient, waitFor } from './helpers/collabClient.ts';
import { prng } from './helpers/prng.ts';
import { rebuildStoredDoc } from './helpers/storedDoc.ts';
import { api, createStory, login, startTestServer, type TestServer, tokenFor } from './helpers/testServer.ts';
import { hasState, loadTrace, type TraceStep, traceToSteps } from './helpers/traces.ts';

function storyText(doc: Y.Doc): Y.XmlText {
  const paragraph = doc.getXmlFragment('body').get(0);
  const text = paragraph instanceof Y.XmlElement ? paragraph.get(0) : null;
  if (!(text instanceof Y.XmlText)) throw new Error('no text node in the first paragraph');
  return text;
}

/** Sends one author's steps through its client, each once what it depends on has arrived. */
async function replayAuthor(client: CollabClient, steps: TraceStep[]): Promise<void> {
  for (const step of steps) {
    if (!hasState(client.doc, step.needs)) {
      await new Promise<void>((resolve) => {
        const check = () => {
          if (!hasState(client.doc, step.needs)) return;
          client.doc.off('update', check);
          resolve();
        };
        client.doc.on('update', check);
      });
    }
    Y.applyUpdate(client.doc, step.update);
  }
}

describe('replaying a real editing trace', () => {
  let server: TestServer;
  const clients: CollabClient[] = [];

  beforeAll(async () => {
    // The replay sends recorded keystrokes at machine speed (up to 2,000 in one burst, then 13,000
    // at once), far beyond what a person types: lift the per-socket message rate (its default is
    // tested in hostileLimits.test.ts) so that what is tested here is convergence.
    server = await startTestServer({ messagesPerSecond: 1_000_000, messageBurst: 1_000_000 });
  });
  afterAll(async () => {
    for (const client of clients) client.destroy();
    await server.close();
  });

  it('two live clients taking turns replay sequential-friendsforever_flat to its endContent', async () => {
    const trace = loadTrace('sequential-friendsforever_flat');
    const seed = Number(process.env.TRACE_SEED ?? 20261128);
    const random = prng(seed);
    const alice = await server.addUser('alice');
    const bob = await server.addUser('bob');
    const cookie = await login(server.url, 'alice', alice.password);
    const story = await createStory(server.url, cookie, 'Friends');
    await api(server.url, 'PUT', `/api/stories/${story.id}/members/${bob.user.id}`, { cookie }, { role: 'reporter' });
    const writers = [
      connectClient(server.collabUrl, story.id, 'body', { token: await tokenFor(server.url, alice) }),
      connectClient(server.collabUrl, story.id, 'body', { token: await tokenFor(server.url, bob) }),
    ] as const;
    clients.push(...writers);
    await Promise.all(writers.map((writer) => writer.synced));
    (writers[0].doc.getXmlFragment('body').get(0) as Y.XmlElement).insert(0, [new Y.XmlText()]);

    let index = 0;
    let turn = 0;
    while (index < trace.txns.length) {
      const writer = writers[turn % 2] as CollabClient;
      const previous = writers[(turn + 1) % 2] as CollabClient;
      // Wait until this writer has everything the other one typed.
      const needs = Y.decodeStateVector(Y.encodeStateVector(previous.doc));
      await waitFor(
        () => hasState(writer.doc, needs),
        `turn ${turn} (seed ${seed}) received the other's typing`,
        30_000,
      );
      const turnLength = 1 + Math.floor(random() * 2000);
      const text = storyText(writer.doc);
      for (const txn of trace.txns.slice(index, index + turnLength)) {
        // One transaction per recorded keystroke: one update message each, as a live editor sends.
        writer.doc.transact(() => {
          for (const [position, deleteCount, insert] of txn.patches) {
            if (deleteCount > 0) text.delete(position, deleteCount);
            if (insert.length > 0) text.insert(position, insert);
          }
        });
      }
      index += turnLength;
      turn++;
    }
    expect(turn).toBeGreaterThan(10);
    for (const writer of writers) {
      await waitFor(() => storyText(writer.doc).toString() === trace.endContent, `seed ${seed}: converged`, 60_000);
    }

    // What the server stored rebuilds the same text.
    const key = { storyId: story.id, part: 'body' as const };
    await server.app.rooms.peek(key)?.settled();
    const rebuilt = await rebuildStoredDoc(server.app.storage.documents, key);
    expect(storyText(rebuilt).toString()).toBe(trace.endContent);
  });

  it('two live clients replay concurrent-friendsforever concurrently and converge to the same text as Yjs alone', async () => {
    const trace = loadTrace('concurrent-friendsforever');
    const carol = await server.addUser('carol');
    const dave = await server.addUser('dave');
    const cookie = await login(server.url, 'carol', carol.password);
    const story = await createStory(server.url, cookie, 'Friends, concurrently');
    await api(server.url, 'PUT', `/api/stories/${story.id}/members/${dave.user.id}`, { cookie }, { role: 'reporter' });
    const a = connectClient(server.collabUrl, story.id, 'body', { token: await tokenFor(server.url, carol) });
    const b = connectClient(server.collabUrl, story.id, 'body', { token: await tokenFor(server.url, dave) });
    clients.push(a, b);
    await Promise.all([a.synced, b.synced]);
    (a.doc.getXmlFragment('body').get(0) as Y.XmlElement).insert(0, [new Y.XmlText()]);
    await waitFor(() => {
      const first = b.doc.getXmlFragment('body').get(0);
      return first instanceof Y.XmlElement && first.get(0) instanceof Y.XmlText;
    }, 'b has the text node');

    const base = Y.encodeStateAsUpdate(a.doc);
    const steps = traceToSteps(trace, base, storyText);
    // The same steps applied by Yjs alone, without any network: what the server must reproduce.
    // (Yjs orders concurrent inserts at one position by client id, so this can differ from the
    // recording's endContent in such places, though never in length.)
    const alone = new Y.Doc({ gc: false });
    Y.applyUpdate(alone, base);
    for (const step of steps) Y.applyUpdate(alone, step.update);
    const expected = storyText(alone).toString();
    expect(expected.length).toBe(trace.endContent.length);

    await Promise.all([
      replayAuthor(
        a,
        steps.filter((step) => step.agent === 0),
      ),
      replayAuthor(
        b,
        steps.filter((step) => step.agent === 1),
      ),
    ]);
    await waitFor(() => storyText(a.doc).toString() === expected, 'a converged', 60_000);
    await waitFor(() => storyText(b.doc).toString() === expected, 'b converged', 60_000);
    const key = { storyId: story.id, part: 'body' as const };
    await server.app.rooms.peek(key)?.settled();
    const rebuilt = await rebuildStoredDoc(server.app.storage.documents, key);
    expect(storyText(rebuilt).toString()).toBe(expected);
  });
});
