/**
 * The convergence fuzz (issue #9), short: real clients through the real server, a seeded PRNG
 * picking edits, claims, disconnects, network cuts and server restarts; at the end every copy, the
 * live room and the store are identical and hold everything anyone wrote. See
 * `helpers/convergenceFuzz.ts` for what is checked; `npm run fuzz` is the long run.
 *
 * Replay a failing seed (printed in the failure): FUZZ_SEED=<seed> [FUZZ_STEPS=<n>] [FUZZ_CLIENTS=<n>]
 * npx vitest run test/convergenceFuzz.test.ts --project sqlite (or the same variables with `npm run fuzz`).
 */
import { rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { Room } from '../server/collab/Room.ts';
import { openSqliteStorage } from '../server/storage/SqliteStorage.ts';
import type { DocumentStore } from '../server/storage/Storage.ts';
import { anchorRange, flattenBody } from '../shared/anchors.ts';
import { readClaims, updateClaim, writeClaim } from '../shared/claims.ts';
import { MessageType, SyncMessageType } from '../shared/protocol.ts';
import { connectClient, waitFor } from './helpers/collabClient.ts';
import { runConvergenceFuzz } from './helpers/convergenceFuzz.ts';
import { openNewsroom, paragraphText, type Tracked } from './helpers/newsroom.ts';
import { createStory, login, makeDataDir, startTestServer, tokenFor } from './helpers/testServer.ts';

const STEPS = Number(process.env.FUZZ_STEPS ?? 200);
const CLIENTS = Number(process.env.FUZZ_CLIENTS ?? 4);
const REPLAY = process.env.FUZZ_SEED === undefined ? null : Number(process.env.FUZZ_SEED);
/** A fresh seed each run, printed, so that the suite keeps exploring. */
const RANDOM_SEED = Math.floor(Math.random() * 2 ** 31);

const seeds = REPLAY === null ? [1, 4711, 20250913, RANDOM_SEED] : [REPLAY];

const tracked: Tracked = { servers: [], clients: [] };
afterEach(async () => {
  for (const client of tracked.clients.splice(0)) client.destroy();
  for (const server of tracked.servers.splice(0)) await server.close();
});

describe('convergence fuzz', () => {
  // The first thing the fuzz found (seed 1, step 54): a notes-room change that builds on the same
  // client's previous change, arriving while that one was still being stored, was judged against
  // the room without it ("depends on changes the server does not have") and the socket closed 4422.
  it('a notes change right after another one it builds on is accepted, not refused', async () => {
    const { server, story, people, connect } = await openNewsroom(tracked, ['The council approved the budget.']);
    const body = await connect('fay', 'body');
    const notes = await connect('fay', 'notes');
    const closes: number[] = [];
    notes.provider.on('connection-close', (event) => {
      if (event) closes.push(event.code);
    });
    const anchor = anchorRange(flattenBody(body.doc.getXmlFragment('body')), 4, 11);
    if (anchor === null) throw new Error('no anchor');
    const now = new Date().toISOString();
    const fay = people.fay.user.id;
    // Two transactions in one tick: two update messages, the second modifying the claim the first creates.
    notes.doc.transact(() =>
      writeClaim(notes.doc, {
        id: 'claim-quick-1',
        ...anchor,
        quote: 'council',
        lastText: 'council',
        status: 'unverified',
        sourceIds: [],
        note: '',
        createdBy: fay,
        createdAt: now,
        statusBy: fay,
        statusAt: now,
        verifiedText: null,
        changedSinceVerified: null,
      }),
    );
    notes.doc.transact(() => updateClaim(notes.doc, 'claim-quick-1', { status: 'in-review' }));
    const room = () => server.app.rooms.peek({ storyId: story.id, part: 'notes' });
    await waitFor(
      () => closes.length > 0 || readClaims(room()?.doc ?? notes.doc).get('claim-quick-1')?.status === 'in-review',
      'the claim and its status reach the room, or the socket closes',
    );
    expect(closes).toEqual([]);
    expect(room()?.refusedUpdates).toBe(0);
  });

  // The second (found by the same fuzz once it wrote the moment a connection came back): the stock
  // provider sends its sync step 1 when its socket opens and a new change right away, before its
  // step 2 (the answer to the server's step 1) carries what was changed offline. A notes change
  // building on an offline one was refused (4422) and, a 44xx close, the provider gave up for good.
  // Raw frames in the provider's order, with a pause where the step 2 is on its way.
  it('a notes change sent before the sync step 2 it builds on is held for it, not refused', async () => {
    const { server, story, people } = await openNewsroom(tracked, ['The council approved the budget.']);
    const room = await server.app.rooms.withRoom({ storyId: story.id, part: 'body' }, async (body) => body);
    const anchor = anchorRange(flattenBody(room.doc.getXmlFragment('body')), 4, 11);
    if (anchor === null) throw new Error('no anchor');
    const notesRoom = () => server.app.rooms.peek({ storyId: story.id, part: 'notes' });
    // The client's copy: the notes as the server has them, plus a claim made offline (change A).
    const copy = new Y.Doc();
    Y.applyUpdate(
      copy,
      await server.app.rooms.withRoom({ storyId: story.id, part: 'notes' }, async (notes) =>
        Y.encodeStateAsUpdate(notes.doc),
      ),
    );
    const serverVector = Y.encodeStateVector(copy);
    const now = new Date().toISOString();
    const fay = people.fay.user.id;
    copy.transact(() =>
      writeClaim(copy, {
        id: 'claim-offline-1',
        ...anchor,
        quote: 'council',
        lastText: 'council',
        status: 'unverified',
        sourceIds: [],
        note: '',
        createdBy: fay,
        createdAt: now,
        statusBy: fay,
        statusAt: now,
        verifiedText: null,
        changedSinceVerified: null,
      }),
    );
    // Back online, typing at once: change B, which builds on A.
    const vectorWithA = Y.encodeStateVector(copy);
    copy.transact(() => updateClaim(copy, 'claim-offline-1', { status: 'in-review' }));
    const changeB = Y.encodeStateAsUpdate(copy, vectorWithA);
    const token = await tokenFor(server.url, people.fay);
    const ws = new WebSocket(`${server.collabUrl}/${story.id}/notes?ack=1&token=${token}`);
    const closes: number[] = [];
    let acks = 0;
    ws.on('close', (code) => closes.push(code));
    ws.on('message', (data: Buffer) => {
      if (decoding.readVarUint(decoding.createDecoder(new Uint8Array(data))) === MessageType.savedAck) acks += 1;
    });
    await new Promise((resolve) => ws.once('open', resolve));
    const sync = (type: number, payload: Uint8Array) =>
      encoding.encode((encoder) => {
        encoding.writeVarUint(encoder, MessageType.sync);
        encoding.writeVarUint(encoder, type);
        encoding.writeVarUint8Array(encoder, payload);
      });
    ws.send(sync(SyncMessageType.step1, Y.encodeStateVector(copy)));
    ws.send(sync(SyncMessageType.update, changeB));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(closes, 'still open while its step 2 is on its way').toEqual([]);
    expect(readClaims(notesRoom()?.doc ?? new Y.Doc()).has('claim-offline-1')).toBe(false);
    // The step 2: everything the server lacked (change A, and B again, as the provider sends it).
    ws.send(sync(SyncMessageType.step2, Y.encodeStateAsUpdate(copy, serverVector)));
    await waitFor(
      () =>
        closes.length > 0 ||
        (readClaims(notesRoom()?.doc ?? copy).get('claim-offline-1')?.status === 'in-review' && acks === 2),
      'the claim and its status reach the room, both messages acknowledged, or the socket closes',
    );
    expect(closes).toEqual([]);
    expect(notesRoom()?.refusedUpdates).toBe(0);
    ws.close();
  });

  // The third (seed 399421733 once, a fact-checker's body refused with "permission denied" after a
  // restart): applying a client's update, Yjs sometimes changes the server's document by itself (it
  // deletes formatting marks made redundant, e.g. when two people bold the same words at once). The
  // room sent that change to everyone but never stored it; after a restart the store lacked what
  // clients had, and a fact-checker's or viewer's sync step 2 carrying it was refused.
  it('a change Yjs makes by itself in a room (formatting cleanup) is stored, not only sent', async () => {
    const { server, story, writer: rita, connect } = await openNewsroom(tracked, ['0123456789abcdefghij']);
    const edna = await connect('edna', 'body');
    edna.provider.disconnect();
    // The same words made bold by two people at once.
    paragraphText(rita.doc, 0).format(0, 6, { strong: {} });
    paragraphText(edna.doc, 0).format(0, 6, { strong: {} });
    const room = server.app.rooms.peek({ storyId: story.id, part: 'body' });
    if (room === undefined) throw new Error('no room');
    const has = (doc: Y.Doc) => Y.getState(room.doc.store, doc.clientID) >= Y.getState(doc.store, doc.clientID);
    await waitFor(() => has(rita.doc), 'rita’s bold reaches the room');
    edna.provider.connect();
    await waitFor(() => has(edna.doc), 'edna’s bold reaches the room');
    await room.settled();
    // What a restarted server would load.
    const reloaded = await Room.load(room.key, server.app.storage.documents, server.app.log);
    const same = Y.equalSnapshots(Y.snapshot(reloaded.doc), Y.snapshot(room.doc));
    reloaded.destroy();
    expect(same, 'the store holds what the room holds').toBe(true);
  });

  // Found by the fuzz's server restarts (seed 399421733, 3000 steps, 6 clients: step 2294 hung), and
  // NOT fixed here: the fix belongs outside the collaboration core. `app.close()` runs the app's
  // `preClose` hook (server/app.ts: claim checks, workflow, rooms: compaction, 1001 to every socket)
  // before @fastify/websocket's, because the hook is added before the plugin is registered. A client
  // that reconnects meanwhile still reaches the plugin's upgrade listener; Fastify, closing, answers
  // 503 straight on the raw socket, whose end nothing handles, so the socket stays half-open and
  // `server.close()` waits for it forever (`sourcedesk serve` never exits on SIGTERM). Likely fix:
  // add that `preClose` hook after registering @fastify/websocket (its hook removes the upgrade
  // listener and Node then resets such sockets). This test asserts the bug is still there: when it
  // fails on "hung", the bug is fixed; then expect "closed", and let the fuzz's clients reconnect
  // during restarts by default (`reconnectDuringRestart`).
  it('KNOWN BUG, still open: a client reconnecting while the server shuts down makes app.close() hang', async () => {
    const dataDir = makeDataDir();
    const real = openSqliteStorage(join(dataDir, 'sourcedesk.db'));
    // A store under load: compaction on shutdown takes a while, so the server spends that long in preClose.
    const documents = new Proxy(real.documents, {
      get(target, prop) {
        if (prop === 'saveSnapshot') {
          return async (...args: Parameters<DocumentStore['saveSnapshot']>) => {
            await new Promise((resolve) => setTimeout(resolve, 300));
            return target.saveSnapshot(...args);
          };
        }
        const value = Reflect.get(target, prop);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const server = await startTestServer({ dataDir, storage: { ...real, documents } });
    const sockets = new Set<Socket>();
    server.app.server.on('connection', (socket: Socket) => sockets.add(socket));
    const owner = await server.addUser('owner');
    const story = await createStory(server.url, await login(server.url, 'owner', owner.password), 'Shutdown');
    const token = await tokenFor(server.url, owner);
    const client = connectClient(server.collabUrl, story.id, 'body', { token });
    try {
      await client.synced;
      client.doc.getXmlFragment('body').insert(0, [new Y.XmlElement('paragraph')]);
      await waitFor(() => (server.app.rooms.peek({ storyId: story.id, part: 'body' })?.logTail ?? 0) > 0, 'stored');
      client.provider.disconnect();
      const closing = server.app.close().then(() => 'closed');
      await new Promise((resolve) => setTimeout(resolve, 100));
      // Reconnecting while the room is being compacted on shutdown.
      const ws = new WebSocket(`${server.collabUrl}/${story.id}/body?token=${token}`);
      const answer = await new Promise<number>((resolve) => {
        ws.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
        ws.on('open', () => resolve(101));
        ws.on('error', () => resolve(0));
      });
      ws.terminate();
      expect(answer, 'the reconnecting client is answered 503 (the server is closing)').toBe(503);
      const outcome = await Promise.race([closing, new Promise((resolve) => setTimeout(() => resolve('hung'), 1000))]);
      expect(outcome, 'app.close() still hangs; if it closed, the bug is fixed: see the comment above').toBe('hung');
    } finally {
      client.destroy();
      // Let the hung close finish, so that nothing outlives the test.
      for (const socket of sockets) socket.destroy();
      await server.app.close();
      real.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  for (const seed of seeds) {
    it(`seed ${seed}${seed === RANDOM_SEED && REPLAY === null ? ' (random)' : ''}: every copy, the room and the store converge`, async () => {
      if (seed === RANDOM_SEED) console.log(`convergence fuzz: random seed ${seed} (replay with FUZZ_SEED=${seed})`);
      // The fuzz's own time limits end a stuck run (with the seed) before the test's does.
      const result = await runConvergenceFuzz({
        seed,
        steps: STEPS,
        clients: CLIENTS,
        stepTimeoutMs: 20_000,
        settleTimeoutMs: 30_000,
        // Only the known shutdown hang is worth a line here (it is counted, not failed).
        log: (line) => {
          if (line.includes('hung')) console.log(line);
        },
      });
      // The run really exercised what it is meant to: body edits, claims, connection trouble.
      expect(result.counts.type ?? 0, `seed ${seed}`).toBeGreaterThan(0);
      expect((result.counts.claim ?? 0) + (result.counts.claimApi ?? 0), `seed ${seed}`).toBeGreaterThan(0);
      expect(
        (result.counts.disconnect ?? 0) + (result.counts.cut ?? 0) + (result.counts.networkDown ?? 0),
        `seed ${seed}`,
      ).toBeGreaterThan(0);
      // This seed's script restarts the server (the PRNG fixes the script, whatever the timing).
      if (seed === 4711 && STEPS === 200) expect(result.restarts, `seed ${seed}`).toBeGreaterThan(0);
    }, 120_000);
  }
});
