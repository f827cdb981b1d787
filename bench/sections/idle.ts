/**
 * Idle stories: S stories opened by two clients each, synced, nobody typing. Server memory per open
 * story after a full GC, then every client leaves: does the server let the rooms go (open-room
 * count, memory after its unload grace)? Each run gets a fresh server process.
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { heapByConstructor, heapGrowth, retainedByClass } from '../lib/heapSnapshot.ts';
import { LoadGroup } from '../lib/loadGroup.ts';
import { type ClientSpec, type MemoryAfterGc, SERVER_LABELS, type ServerKind } from '../lib/protocol.ts';
import { makeNewsroom } from '../lib/rooms.ts';
import { profileDir, profileReports, ServerProcess } from '../lib/serverProcess.ts';

export interface IdleRun {
  kind: ServerKind;
  stories: number;
  clients: number;
  /** After a full GC: stories made, no client yet. */
  baseline: MemoryAfterGc;
  /** Every client connected and synced, then `holdMs` idle, then a full GC (readings settled). */
  open: MemoryAfterGc;
  /** Rooms the server held with every client connected. */
  roomsOpen: number;
  /** Server CPU seconds over the idle hold (nobody typing). */
  idleCpuSeconds: number;
  holdMs: number;
  /** After every client left and the wait below, then a full GC (readings settled). */
  afterLeave: MemoryAfterGc;
  /** Rooms still held after the wait. */
  roomsAfterLeave: number;
  /** Last client gone → no room held (null: some were still held when the wait ended). */
  unloadMs: number | null;
  /** How long the bench waited for rooms to go. */
  waitedMs: number;
  peakRssBytes: number;
  /** The machine's 1-minute load average when the clients had connected and at the end. */
  loadAverage: [start: number, end: number];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function idleStories(
  kind: ServerKind,
  stories: number,
  options: { threads: number; settleMs: number; holdMs: number; leaveWaitMs: number },
): Promise<IdleRun> {
  let server = await ServerProcess.start(kind);
  const group = new LoadGroup(options.threads);
  let closed = false;
  try {
    const newsroom = await makeNewsroom(server, `idle-${kind}`, stories, 2);
    if (kind === 'sourcedesk') {
      // As in the many-stories run: the baseline is a server that has only started.
      await server.stop({ keepData: true });
      server = await ServerProcess.start(kind, server.dataDir);
    }
    server.label = `idle stories S=${stories} ${SERVER_LABELS[kind]}`;
    const baseline = await server.settledMemory(options.settleMs, options.settleMs + 20_000);
    // With --profile: heap snapshots before any client and with every story open, compared below.
    const profiles = profileDir();
    const snapshot = (when: string) =>
      profiles === undefined ? null : server.heapSnapshot(join(profiles, `idle-${kind}-${when}.heapsnapshot`));
    const baselineSnapshot = await snapshot('baseline');
    const specs: ClientSpec[] = newsroom.rooms.flatMap((room, index) => [
      { id: index * 2, room, rate: 0, token: newsroom.tokens[index]?.[0] },
      { id: index * 2 + 1, room, rate: 0, token: newsroom.tokens[index]?.[1] },
    ]);
    await group.connect(server.target, specs, 32);
    const loadAtStart = loadavg()[0] ?? 0;
    const before = server.stats();
    server.markStart();
    await sleep(options.holdMs);
    server.markEnd();
    const idleCpuSeconds = server.stats().cpuSeconds - before.cpuSeconds;
    const open = await server.settledMemory(0, 15_000);
    const roomsOpen = await server.roomCount();
    const openSnapshot = await snapshot('open');
    if (baselineSnapshot !== null && openSnapshot !== null) {
      profileReports.push({
        title: `${server.label}: heap`,
        file: openSnapshot,
        text: [
          heapGrowth(
            `${server.label}, heap snapshots (open − before any client)`,
            heapByConstructor(baselineSnapshot),
            heapByConstructor(openSnapshot),
            stories,
          ),
          retainedByClass(openSnapshot, stories),
        ].join('\n'),
      });
    }

    // Every client leaves (the worker threads close their sockets and end).
    await group.close();
    closed = true;
    const left = performance.now();
    let unloadMs: number | null = null;
    while (performance.now() - left < options.leaveWaitMs) {
      if ((await server.roomCount()) === 0) {
        unloadMs = performance.now() - left;
        break;
      }
      await sleep(100);
    }
    const waitedMs = performance.now() - left;
    // From 1 s on: an unload's last writes (Sourcedesk compacts a room as it unloads) are done.
    const afterLeave = await server.settledMemory(1000, 15_000);
    const roomsAfterLeave = await server.roomCount();
    return {
      kind,
      stories,
      clients: specs.length,
      baseline,
      open,
      roomsOpen,
      idleCpuSeconds,
      holdMs: options.holdMs,
      afterLeave,
      roomsAfterLeave,
      unloadMs,
      waitedMs,
      peakRssBytes: server.stats().peakRssBytes,
      loadAverage: [loadAtStart, loadavg()[0] ?? 0],
    };
  } finally {
    if (!closed) await group.close();
    await server.stop();
  }
}
