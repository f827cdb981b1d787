/**
 * Real typing and cold load: recorded editing traces replayed through each server as fast as it
 * takes them, one update message per recorded transaction, then a new client's load time.
 *
 * Sequential traces: one writer client types every transaction; a second client reads. Concurrent
 * traces: one client per agent, each sending its next transaction as soon as it has received what
 * that transaction was typed against (the trace's `parents`), so the server's relaying is in the
 * critical path. The clock stops when every client holds the final text and, on Sourcedesk (whose
 * clients ask for saved-acknowledgements), when the server has acknowledged every update as stored.
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import * as Y from 'yjs';
import type { ServerOptions } from '../../server/config.ts';
import { hasState, loadTrace, type Trace, type TraceStep, traceToSteps } from '../../test/helpers/traces.ts';
import { connectDoc, type DocClient } from '../lib/clients.ts';
import { loopMonitor, loopStats } from '../lib/loop.ts';
import { type LoopStats, SERVER_LABELS, type ServerKind } from '../lib/protocol.ts';
import { makeNewsroom } from '../lib/rooms.ts';
import { dirBytes, ServerProcess } from '../lib/serverProcess.ts';

const TEXT = 'trace';

export interface ReplayResult {
  kind: ServerKind;
  trace: string;
  clients: number;
  transactions: number;
  /**
   * Until every update was stored: Sourcedesk, acknowledged as stored (fsynced) by the server;
   * y-websocket-server + LevelDB, written to LevelDB (not fsynced); null for in-memory servers.
   */
  storedSeconds: number | null;
  /** Until every client held the final text. */
  convergedSeconds: number;
  serverCpuSeconds: number;
  peakRssBytes: number;
  generatorCpuSeconds: number;
  generatorLoop: LoopStats;
  /** Final text equals the trace's `endContent`. */
  equalsEndContent: boolean;
  /** Final text equals the same updates applied by Yjs alone (concurrent ties are ordered by client id). */
  equalsYjsAlone: boolean;
  /** A new client joining the live document: connect → synced. */
  warmLoadMs: number;
  /** The machine's 1-minute load average when the replay started and when it ended (shared machine). */
  loadAverage: [start: number, end: number];
  /** After a server restart (servers that keep documents: Sourcedesk, y-websocket-server + LevelDB). */
  cold: ColdLoad | null;
}

export interface ColdLoad {
  /** The first client after a restart: connect → the provider's first sync. */
  syncedMs: number;
  /** The same: connect → the whole text present (a server may sync before its store has loaded). */
  completeMs: number;
  /**
   * The same server process once that client has left and the server has let the document go
   * (unloaded after its grace period): the story is read from storage again, but by code that has
   * run (JIT-compiled), as on a server that has been up a while. Connect → the whole text present;
   * null where the server keeps the document in memory.
   */
  reopenedMs: number | null;
  textMatches: boolean;
  /** What the server keeps for the document (Sourcedesk: snapshot + log rows; LevelDB: its files). */
  storedBytes: number;
  /** Every file of the server's data directory. */
  diskBytes: number;
  /** `Y.encodeStateAsUpdate` of the final document. */
  encodedBytes: number;
  /**
   * A bare `Y.applyUpdate` of the stored document's encoded state into a new `Y.Doc`, in the server
   * process after the load (median of five after a first run; Sourcedesk only) and in the bench
   * process (the encoded state of the writer's document, same way).
   */
  bareApplyServerMs: number | null;
  bareApplyServerFirstMs: number | null;
  bareApplyBenchMs: number;
}

/**
 * Sourcedesk's per-socket message limit (default 200/s sustained, burst 2000) is there to stop one
 * socket flooding the server; a replay "as fast as the server takes it" is exactly such a flood, so
 * it is lifted here to measure what the pipeline (check, store, apply, fan out) can carry. A person
 * typing sends a few messages per second; the other sections run with the defaults.
 */
const REPLAY_OPTIONS = {
  sourcedesk: { messagesPerSecond: 1_000_000_000, messageBurst: 1_000_000_000 } satisfies Partial<ServerOptions>,
};

/** Kinds that keep documents across a restart. */
const PERSISTENT: ServerKind[] = ['sourcedesk', 'yws-leveldb'];

interface PreparedTrace {
  trace: Trace;
  steps: TraceStep[] | null;
  expected: string;
}

const prepared = new Map<string, PreparedTrace>();

/** Loads a trace and, for a concurrent one, turns it into per-agent updates (once per run). */
function prepare(name: string): PreparedTrace {
  const cached = prepared.get(name);
  if (cached) return cached;
  const trace = loadTrace(name);
  const concurrent = trace.txns.some((txn) => txn.agent !== undefined);
  const steps = concurrent
    ? traceToSteps(trace, Y.encodeStateAsUpdate(new Y.Doc({ gc: false })), (doc) => doc.getText(TEXT))
    : null;
  let expected = trace.endContent;
  if (steps !== null) {
    const alone = new Y.Doc({ gc: false });
    for (const step of steps) Y.applyUpdate(alone, step.update);
    expected = alone.getText(TEXT).toString();
    alone.destroy();
  }
  const result = { trace, steps, expected };
  prepared.set(name, result);
  return result;
}

interface Participant {
  doc: Y.Doc;
  client: DocClient;
  sent: number;
}

function join(server: ServerProcess, room: string, token: string | undefined, acks: boolean): Participant {
  const doc = new Y.Doc({ gc: false });
  const participant: Participant = { doc, client: connectDoc(server.target, room, doc, { acks, token }), sent: 0 };
  doc.on('update', (_update: Uint8Array, _origin: unknown, _doc: Y.Doc, transaction: Y.Transaction) => {
    if (transaction.local) participant.sent++;
  });
  return participant;
}

function waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const poll = () => {
      if (check()) resolve();
      else if (performance.now() - started > timeoutMs) reject(new Error(`timed out: ${what}`));
      else setTimeout(poll, 2);
    };
    poll();
  });
}

/** Sends one agent's steps, each once what it depends on has arrived. */
async function replayAgent(participant: Participant, steps: TraceStep[]): Promise<void> {
  let index = 0;
  for (const step of steps) {
    if (!hasState(participant.doc, step.needs)) {
      await new Promise<void>((resolve) => {
        const check = () => {
          if (!hasState(participant.doc, step.needs)) return;
          participant.doc.off('update', check);
          resolve();
        };
        participant.doc.on('update', check);
      });
    }
    Y.applyUpdate(participant.doc, step.update);
    // Let the socket drain now and then, as a typist's client would between keystrokes.
    if (++index % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Waits (up to `timeoutMs`) until the server holds no document; false if it still does. */
async function roomsGone(server: ServerProcess, timeoutMs: number): Promise<boolean> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    if ((await server.roomCount()) === 0) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/** A bare `Y.applyUpdate` of `encoded` into a new document in this process: median of five after a first run. */
function bareApplyMs(encoded: Uint8Array): number {
  const times: number[] = [];
  for (let run = 0; run < 6; run++) {
    const doc = new Y.Doc({ gc: false });
    const started = performance.now();
    Y.applyUpdate(doc, encoded);
    times.push(performance.now() - started);
    doc.destroy();
  }
  const rest = times.slice(1).sort((a, b) => a - b);
  return rest[Math.floor(rest.length / 2)] ?? Number.NaN;
}

async function loadTime(
  server: ServerProcess,
  room: string,
  expectedLength: number,
): Promise<{ syncedMs: number; completeMs: number; text: string }> {
  const doc = new Y.Doc({ gc: false });
  const started = performance.now();
  const client = connectDoc(server.target, room, doc);
  try {
    await client.synced;
    const syncedMs = performance.now() - started;
    await waitUntil(() => doc.getText(TEXT).length >= expectedLength, 300_000, 'the loaded text');
    const completeMs = performance.now() - started;
    return { syncedMs, completeMs, text: doc.getText(TEXT).toString() };
  } finally {
    // Also on failure: a provider left behind would keep reconnecting to a stopped server.
    client.destroy();
    doc.destroy();
  }
}

export async function replay(kind: ServerKind, traceName: string, options: { cold: boolean }): Promise<ReplayResult> {
  const { trace, steps, expected } = prepare(traceName);
  const acks = kind === 'sourcedesk';
  let server = await ServerProcess.start(kind, undefined, REPLAY_OPTIONS);
  server.label = `replay ${traceName} ${SERVER_LABELS[kind]}`;
  const participants: Participant[] = [];
  try {
    const agents = steps === null ? 1 : Math.max(...steps.map((step) => step.agent)) + 1;
    const people = steps === null ? 2 : agents;
    const newsroom = await makeNewsroom(server, `replay-${traceName}`, 1, people);
    const room = newsroom.rooms[0];
    if (room === undefined) throw new Error('no room');
    for (let person = 0; person < people; person++) {
      participants.push(join(server, room, newsroom.tokens[0]?.[person], acks));
    }
    await Promise.all(participants.map((participant) => participant.client.synced));

    const loadAtStart = loadavg()[0] ?? 0;
    const loop = loopMonitor();
    loop.enable();
    const cpuBefore = process.cpuUsage();
    const serverBefore = server.stats();
    server.markStart();
    const started = performance.now();
    if (steps === null) {
      const writer = participants[0] as Participant;
      const text = writer.doc.getText(TEXT);
      let index = 0;
      for (const txn of trace.txns) {
        writer.doc.transact(() => {
          for (const [position, deleteCount, insert] of txn.patches) {
            if (deleteCount > 0) text.delete(position, deleteCount);
            if (insert.length > 0) text.insert(position, insert);
          }
        });
        if (++index % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
    } else {
      await Promise.all(
        participants.map((participant, agent) =>
          replayAgent(
            participant,
            steps.filter((step) => step.agent === agent),
          ),
        ),
      );
    }
    let storedSeconds: number | null = null;
    const everyoneHas = () => participants.every((p) => p.doc.getText(TEXT).length === expected.length);
    if (acks) {
      await waitUntil(() => participants.every((p) => p.client.acks() >= p.sent), 300_000, 'saved-acknowledgements');
      storedSeconds = (performance.now() - started) / 1000;
    }
    await waitUntil(everyoneHas, 300_000, 'every client has the final text');
    const convergedSeconds = (performance.now() - started) / 1000;
    if (kind === 'yws-leveldb') {
      // Its writes trail the fan-out: stored is when LevelDB has every update (not fsynced).
      await server.flush();
      storedSeconds = (performance.now() - started) / 1000;
    }
    server.markEnd();
    const serverAfter = server.stats();
    const cpu = process.cpuUsage(cpuBefore);
    loop.disable();
    const loadAtEnd = loadavg()[0] ?? 0;
    const finals = participants.map((p) => p.doc.getText(TEXT).toString());
    const clients = participants.length;

    const encoded = Y.encodeStateAsUpdate(participants[0]?.doc ?? new Y.Doc());
    const encodedBytes = encoded.byteLength;
    const warm = await loadTime(server, room, expected.length);
    for (const participant of participants.splice(0)) {
      participant.client.destroy();
      participant.doc.destroy();
    }
    let cold: ColdLoad | null = null;
    if (options.cold && PERSISTENT.includes(kind)) {
      const dataDir = server.dataDir;
      await server.stop({ keepData: true });
      const diskBytes = dirBytes(dataDir);
      server = await ServerProcess.start(kind, dataDir, REPLAY_OPTIONS);
      server.label = `cold load ${traceName} ${SERVER_LABELS[kind]}`;
      server.markStart('first client after restart');
      const loaded = await loadTime(server, room, expected.length);
      server.markEnd();
      // The client has left: once the server has let the document go, it is read from storage again.
      let reopened: { completeMs: number; text: string } | null = null;
      if (await roomsGone(server, 30_000)) {
        server.markStart('reopened after unload');
        reopened = await loadTime(server, room, expected.length);
        server.markEnd();
      }
      const stats = await server.docStats(room, TEXT);
      cold = {
        syncedMs: loaded.syncedMs,
        completeMs: loaded.completeMs,
        reopenedMs: reopened?.completeMs ?? null,
        textMatches:
          loaded.text === expected &&
          (reopened?.text ?? expected) === expected &&
          (stats.storedText ?? expected) === expected,
        storedBytes: kind === 'sourcedesk' ? stats.storedBytes : diskBytes,
        diskBytes,
        encodedBytes,
        bareApplyServerMs: stats.bareApplyMs ?? null,
        bareApplyServerFirstMs: stats.bareApplyFirstMs ?? null,
        bareApplyBenchMs: bareApplyMs(encoded),
      };
    }
    return {
      kind,
      trace: traceName,
      clients,
      transactions: trace.txns.length,
      storedSeconds,
      convergedSeconds,
      serverCpuSeconds: serverAfter.cpuSeconds - serverBefore.cpuSeconds,
      peakRssBytes: serverAfter.peakRssBytes,
      generatorCpuSeconds: (cpu.user + cpu.system) / 1e6,
      generatorLoop: loopStats(loop),
      equalsEndContent: finals.every((text) => text === trace.endContent),
      equalsYjsAlone: finals.every((text) => text === expected),
      warmLoadMs: warm.syncedMs,
      loadAverage: [loadAtStart, loadAtEnd],
      cold,
    };
  } finally {
    for (const participant of participants) {
      participant.client.destroy();
      participant.doc.destroy();
    }
    await server.stop();
  }
}
