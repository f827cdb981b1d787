/**
 * Fan-out and many stories: the same simulated newsroom against every server.
 *
 * Fan-out: one story, N clients, 10% of them typing `rate` edits per second each for the duration.
 * Many stories: S stories with two clients each, one of them typing lightly.
 * Each run gets a fresh server process, so its CPU seconds and peak RSS are that run's alone.
 */
import { loadavg } from 'node:os';
import { LoadGroup, type LoadResult } from '../lib/loadGroup.ts';
import { type ClientSpec, type MemoryAfterGc, SERVER_LABELS, type ServerKind } from '../lib/protocol.ts';
import { makeNewsroom, type Newsroom } from '../lib/rooms.ts';
import { type ProcStats, ServerProcess } from '../lib/serverProcess.ts';

export interface LoadRun {
  kind: ServerKind;
  clients: number;
  rooms: number;
  writers: number;
  load: LoadResult;
  serverCpuSeconds: number;
  /** Server memory after a full GC: rooms made, no client yet. */
  baseline: MemoryAfterGc;
  /** The same with every client connected, before typing. */
  connected: MemoryAfterGc;
  /** The same at the end of the run, every client still connected. */
  end: MemoryAfterGc;
  peakRssBytes: number;
  /** The machine's 1-minute load average when typing started and when the run ended (shared machine). */
  loadAverage: [start: number, end: number];
}

async function runLoad(
  title: string,
  kind: ServerKind,
  threads: number,
  layout: (newsroom: Newsroom) => ClientSpec[],
  roomCount: number,
  peoplePerRoom: number,
  durationMs: number,
  concurrency: number,
  settleMs: number,
  stableBaseline = false,
): Promise<LoadRun> {
  let server = await ServerProcess.start(kind);
  const group = new LoadGroup(threads);
  try {
    const newsroom = await makeNewsroom(server, `load-${kind}`, roomCount, peoplePerRoom);
    if (kind === 'sourcedesk') {
      // Stories are made through the HTTP API; restart so the baseline is a server that has only
      // started (as after a deploy), not one still holding what a thousand API calls left behind.
      await server.stop({ keepData: true });
      server = await ServerProcess.start(kind, server.dataDir);
    }
    server.label = `${title} ${SERVER_LABELS[kind]}`;
    // Let start-up settle (module loading, JIT, V8 handing back start-up memory) before the baseline;
    // where memory per story is reported, until memory readings stop moving.
    const baseline = stableBaseline
      ? await server.settledMemory(settleMs, settleMs + 20_000)
      : await new Promise((resolve) => setTimeout(resolve, settleMs)).then(() => server.memory());
    const specs = layout(newsroom);
    await group.connect(server.target, specs, concurrency);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const connectedMemory = await server.memory();
    const connected: ProcStats = server.stats();
    server.markStart();
    const loadAtStart = loadavg()[0] ?? 0;
    const load = await group.run(durationMs);
    server.markEnd();
    const end: ProcStats = server.stats();
    const endMemory = await server.memory();
    return {
      kind,
      clients: specs.length,
      rooms: newsroom.rooms.length,
      writers: specs.filter((spec) => spec.rate > 0).length,
      load,
      serverCpuSeconds: end.cpuSeconds - connected.cpuSeconds,
      baseline,
      connected: connectedMemory,
      end: endMemory,
      peakRssBytes: end.peakRssBytes,
      loadAverage: [loadAtStart, loadavg()[0] ?? 0],
    };
  } finally {
    await group.close();
    await server.stop();
  }
}

/** One story, `clients` clients, every tenth one typing `rate` edits per second. */
export function fanout(
  kind: ServerKind,
  clients: number,
  options: { rate: number; durationMs: number; threads: number },
): Promise<LoadRun> {
  return runLoad(
    `fan-out N=${clients}`,
    kind,
    options.threads,
    ({ rooms, tokens }) =>
      Array.from({ length: clients }, (_x, id) => ({
        id,
        room: rooms[0] as string,
        rate: id % 10 === 0 ? options.rate : 0,
        token: tokens[0]?.[id],
      })),
    1,
    clients,
    options.durationMs,
    32,
    500,
  );
}

/** `stories` stories with two clients each; the first of each types `rate` edits per second. */
export function manyStories(
  kind: ServerKind,
  stories: number,
  options: { rate: number; durationMs: number; threads: number; settleMs: number },
): Promise<LoadRun> {
  return runLoad(
    `many stories S=${stories}`,
    kind,
    options.threads,
    ({ rooms, tokens }) =>
      rooms.flatMap((room, index) => [
        { id: index * 2, room, rate: options.rate, token: tokens[index]?.[0] },
        { id: index * 2 + 1, room, rate: 0, token: tokens[index]?.[1] },
      ]),
    stories,
    2,
    options.durationMs,
    32,
    options.settleMs,
    true,
  );
}
