/**
 * A load-generator thread: hosts a slice of the simulated clients (`ClientSpec`s), types for the
 * writers, and measures, for every edit every reader observes, the time from the writer's
 * transaction to the reader's observe callback.
 *
 * An edit inserts `|<writer>.<seq>.<µs>;` at the end of the document's text `bench` (for the relay,
 * the same bytes as one frame): `µs` is `process.hrtime` (one monotonic clock for every thread of
 * the process), so a reader in any thread computes the latency from the text it observes.
 */
import { createHash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import * as Y from 'yjs';
import { connectDoc, connectRelay, type DocClient, type RelayClient } from './clients.ts';
import { loopMonitor, loopStats } from './loop.ts';
import type { ClientSpec, Target, WorkerCommand, WorkerEvent } from './protocol.ts';

export const TEXT_NAME = 'bench';
const TOKEN = /\|(\d+)\.(\d+)\.(\d+);/g;

interface Sim {
  spec: ClientSpec;
  doc: Y.Doc | null;
  client: DocClient | RelayClient | null;
  sent: number;
  received: number;
}

const port = parentPort;
if (port === null) throw new Error('loadWorker runs as a worker thread');
// y-websocket's provider adds a process 'exit' listener per instance; hundreds are expected here.
process.setMaxListeners(0);
const post = (event: WorkerEvent): void => port.postMessage(event);

const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);

/** Latencies in µs, appended without copying on growth. */
class Samples {
  private chunks: Float64Array[] = [];
  private current = new Float64Array(65536);
  private length = 0;
  push(value: number): void {
    if (this.length === this.current.length) {
      this.chunks.push(this.current);
      this.current = new Float64Array(65536);
      this.length = 0;
    }
    this.current[this.length++] = value;
  }
  toArray(): Float64Array {
    const total = this.chunks.length * 65536 + this.length;
    const all = new Float64Array(total);
    let offset = 0;
    for (const chunk of this.chunks) {
      all.set(chunk, offset);
      offset += chunk.length;
    }
    all.set(this.current.subarray(0, this.length), offset);
    return all;
  }
}

let target: Target | null = null;
let sims: Sim[] = [];
const samples = new Samples();
const loop = loopMonitor();
let measuring = false;

function observeTokens(sim: Sim, text: string): void {
  const now = nowUs();
  for (const match of text.matchAll(TOKEN)) {
    if (Number(match[1]) === sim.spec.id) continue;
    sim.received++;
    if (measuring) samples.push(now - Number(match[3]));
  }
}

async function connectOne(sim: Sim): Promise<void> {
  if (target === null) throw new Error('no target');
  if (target.kind === 'relay') {
    const client = connectRelay(target, sim.spec.room, (bytes) => observeTokens(sim, bytes.toString('latin1')));
    sim.client = client;
    await client.opened;
    return;
  }
  const doc = new Y.Doc({ gc: false });
  // The bytes of an applied update carry its inserted strings verbatim: reading the tokens there is
  // far cheaper than a text event's delta (which walks the whole text on every event).
  doc.on('update', (update: Uint8Array, _origin: unknown, _doc: Y.Doc, transaction: Y.Transaction) => {
    if (!transaction.local)
      observeTokens(sim, Buffer.from(update.buffer, update.byteOffset, update.byteLength).toString('latin1'));
  });
  sim.doc = doc;
  const client = connectDoc(target, sim.spec.room, doc, { token: sim.spec.token });
  sim.client = client;
  await client.synced;
}

async function connectAll(concurrency: number): Promise<number> {
  let failed = 0;
  let next = 0;
  const runner = async () => {
    while (next < sims.length) {
      const sim = sims[next++] as Sim;
      const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 30_000).unref());
      const outcome = await Promise.race([connectOne(sim).then(() => 'ok' as const), timeout]).catch(() => 'error');
      if (outcome !== 'ok') failed++;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, runner));
  return failed;
}

function edit(sim: Sim): void {
  const token = `|${sim.spec.id}.${++sim.sent}.${nowUs()};`;
  if (sim.doc !== null) {
    const text = sim.doc.getText(TEXT_NAME);
    sim.doc.transact(() => text.insert(text.length, token));
  } else {
    (sim.client as RelayClient | null)?.send(Buffer.from(token, 'latin1'));
  }
}

/** Every writer types `rate` edits per second, at a random phase, for `durationMs`. */
function typeFor(durationMs: number): Promise<void> {
  const start = performance.now();
  const writers = sims.filter((sim) => sim.spec.rate > 0);
  return new Promise((resolve) => {
    let running = writers.length;
    if (running === 0) resolve();
    for (const sim of writers) {
      const interval = 1000 / sim.spec.rate;
      let k = 0;
      const phase = Math.random() * interval;
      const tick = () => {
        edit(sim);
        k++;
        // Done once the next edit would fall after the end (no idle wait for it).
        if (phase + k * interval >= durationMs) {
          if (--running === 0) resolve();
          return;
        }
        setTimeout(tick, Math.max(0, start + phase + k * interval - performance.now()));
      };
      setTimeout(tick, phase);
    }
  });
}

async function drain(
  roomTotalList: [string, number][],
  sent: [number, number][],
  timeoutMs: number,
): Promise<Extract<WorkerEvent, { type: 'drained' }>> {
  const started = performance.now();
  const sentBy = new Map(sent);
  const roomTotals = new Map(roomTotalList);
  const expectedOf = (sim: Sim) => (roomTotals.get(sim.spec.room) ?? 0) - (sentBy.get(sim.spec.id) ?? 0);
  while (performance.now() - started < timeoutMs && sims.some((sim) => sim.received < expectedOf(sim))) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  measuring = false;
  loop.disable();
  const digests: [string, string][] = sims.map((sim) => [
    sim.spec.room,
    sim.doc === null ? '' : createHash('sha1').update(sim.doc.getText(TEXT_NAME).toString()).digest('hex'),
  ]);
  const latenciesUs = samples.toArray();
  return {
    type: 'drained',
    latenciesUs,
    expected: sims.reduce((sum, sim) => sum + expectedOf(sim), 0),
    received: sims.reduce((sum, sim) => sum + Math.min(sim.received, expectedOf(sim)), 0),
    digests,
    loop: loopStats(loop),
    drainMs: performance.now() - started,
  };
}

port.on('message', (command: WorkerCommand) => {
  (async () => {
    switch (command.type) {
      case 'connect': {
        target = command.target;
        sims = command.clients.map((spec) => ({ spec, doc: null, client: null, sent: 0, received: 0 }));
        const started = performance.now();
        const failed = await connectAll(command.concurrency);
        post({ type: 'connected', ms: performance.now() - started, failed });
        return;
      }
      case 'type': {
        loop.reset();
        loop.enable();
        measuring = true;
        await typeFor(command.durationMs);
        post({ type: 'typed', sent: sims.filter((sim) => sim.sent > 0).map((sim) => [sim.spec.id, sim.sent]) });
        return;
      }
      case 'drain': {
        const result = await drain(command.roomTotals, command.sent, command.timeoutMs);
        port.postMessage(result, [result.latenciesUs.buffer as ArrayBuffer]);
        return;
      }
      case 'close': {
        for (const sim of sims) sim.client?.destroy();
        for (const sim of sims) sim.doc?.destroy();
        sims = [];
        return;
      }
    }
  })().catch((error: unknown) =>
    post({ type: 'error', message: error instanceof Error ? error.message : String(error) }),
  );
});
