/**
 * Benchmark: replay a real editing trace keystroke by keystroke through a live Sourcedesk server
 * (one stock WebsocketProvider client, one update message per recorded transaction, as fast as the
 * server accepts them), then restart the server and time a cold load of the long story.
 *
 *   npm run bench                 # seph-blog1 and automerge-paper
 *   npm run bench -- --quick      # friendsforever_flat only
 *
 * Reports keystrokes per second accepted *and durably stored* (the client waits for the server's
 * saved-acknowledgement of the last one), the load generator's CPU and event-loop delay, the
 * server's log size vs the document's encoded size, and cold-load time. Results go to
 * docs/benchmarks.md by hand, with the command and the machine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { buildServer } from '../server/app.ts';
import { createUser } from '../server/users.ts';
import { MessageType } from '../shared/protocol.ts';
import { loadTrace } from '../test/helpers/traces.ts';

interface Result {
  trace: string;
  keystrokes: number;
  seconds: number;
  perSecond: number;
  loadGenCpuSeconds: number;
  loopDelayP99Ms: number;
  storedBytes: number;
  encodedBytes: number;
  coldLoadMs: number;
  matches: boolean;
}

async function startServer(dataDir: string) {
  const app = await buildServer({ dataDir, clientDir: null, unloadGraceMs: 60_000, compactAfterUpdates: 5000 });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return { app, port: address.port };
}

function frame(type: number, sub: number, payload: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, type);
  encoding.writeVarUint(encoder, sub);
  encoding.writeVarUint8Array(encoder, payload);
  return encoding.toUint8Array(encoder);
}

async function replay(name: string): Promise<Result> {
  const trace = loadTrace(name);
  const dataDir = mkdtempSync(join(tmpdir(), 'sourcedesk-bench-'));
  let { app, port } = await startServer(dataDir);
  const user = await createUser(app.storage, { username: 'bench', password: 'bench-password-1' });
  const token = 'sdt_bench';
  await app.storage.tokens.create(
    { id: 'bench', userId: user.id, name: 'bench', createdAt: new Date().toISOString() },
    (await import('../server/auth/secrets.ts')).hashSecret(token),
  );
  const storyId = 'benchstory1';
  await app.storage.stories.create({ id: storyId, title: name, createdBy: user.id, createdAt: '', updatedAt: '' });

  // A raw y-websocket client with acknowledgements: counts what the server has stored.
  const ws = new WebSocket(`ws://127.0.0.1:${port}/collab/${storyId}/body?ack=1&token=${token}`);
  let acks = 0;
  ws.on('message', (data: Buffer) => {
    if (decoding.readVarUint(decoding.createDecoder(new Uint8Array(data))) === MessageType.savedAck) acks++;
  });
  await new Promise((resolve) => ws.once('open', resolve));
  const doc = new Y.Doc({ gc: false });
  const text = doc.getText('trace');
  let sent = 0;
  doc.on('update', (update: Uint8Array) => {
    ws.send(frame(MessageType.sync, 2, update));
    sent++;
  });

  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  let index = 0;
  for (const txn of trace.txns) {
    doc.transact(() => {
      for (const [position, deleteCount, insert] of txn.patches) {
        if (deleteCount > 0) text.delete(position, deleteCount);
        if (insert.length > 0) text.insert(position, insert);
      }
    });
    // Let the socket drain now and then, as a typist's client would between keystrokes.
    if (++index % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  while (acks < sent) await new Promise((resolve) => setTimeout(resolve, 1));
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  loop.disable();
  ws.close();

  // Server and load generator share this process: CPU is both. Restart for a cold load.
  const room = app.rooms.peek({ storyId, part: 'body' });
  const encodedBytes = room ? Y.encodeStateAsUpdate(room.doc).byteLength : 0;
  await app.close();
  ({ app, port } = await startServer(dataDir));
  const stored = await app.storage.documents.loadDocument({ storyId, part: 'body' });
  const storedBytes =
    (stored.snapshot?.byteLength ?? 0) + stored.updates.reduce((sum, update) => sum + update.data.byteLength, 0);
  const loadStart = performance.now();
  const reader = new WebSocket(`ws://127.0.0.1:${port}/collab/${storyId}/body?token=${token}`);
  const readerDoc = new Y.Doc({ gc: false });
  await new Promise<void>((resolve) => {
    reader.on('open', () => reader.send(frame(MessageType.sync, 0, Y.encodeStateVector(readerDoc))));
    reader.on('message', (data: Buffer) => {
      const decoder = decoding.createDecoder(new Uint8Array(data));
      if (decoding.readVarUint(decoder) !== MessageType.sync) return;
      if (decoding.readVarUint(decoder) !== 1) return;
      Y.applyUpdate(readerDoc, decoding.readVarUint8Array(decoder));
      resolve();
    });
  });
  const coldLoadMs = performance.now() - loadStart;
  reader.close();
  await app.close();
  rmSync(dataDir, { recursive: true, force: true });
  return {
    trace: name,
    keystrokes: trace.txns.length,
    seconds,
    perSecond: trace.txns.length / seconds,
    loadGenCpuSeconds: (cpu.user + cpu.system) / 1e6,
    loopDelayP99Ms: loop.percentile(99) / 1e6,
    storedBytes,
    encodedBytes,
    coldLoadMs,
    matches: readerDoc.getText('trace').toString() === trace.endContent,
  };
}

const quick = process.argv.includes('--quick');
const traces = quick ? ['sequential-friendsforever_flat'] : ['sequential-seph-blog1', 'sequential-automerge-paper'];
const results: Result[] = [];
for (const name of traces) results.push(await replay(name));
console.log(
  '| trace | keystrokes | stored/s | s | process CPU s | loop p99 ms | stored KiB | encoded KiB | cold load ms | text = endContent |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const r of results) {
  console.log(
    `| ${r.trace} | ${r.keystrokes} | ${Math.round(r.perSecond)} | ${r.seconds.toFixed(2)} | ${r.loadGenCpuSeconds.toFixed(2)} | ${r.loopDelayP99Ms.toFixed(1)} | ${Math.round(r.storedBytes / 1024)} | ${Math.round(r.encodedBytes / 1024)} | ${r.coldLoadMs.toFixed(0)} | ${r.matches} |`,
  );
}
if (results.some((r) => !r.matches)) process.exitCode = 1;
