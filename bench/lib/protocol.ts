/** Messages between the bench's main thread, its server child processes and its load workers. */

export const SERVER_KINDS = ['sourcedesk', 'yws', 'hocuspocus', 'relay', 'yws-leveldb'] as const;
export type ServerKind = (typeof SERVER_KINDS)[number];

export const SERVER_LABELS: Record<ServerKind, string> = {
  sourcedesk: 'Sourcedesk',
  yws: 'y-websocket-server',
  hocuspocus: 'Hocuspocus',
  relay: 'raw ws relay',
  'yws-leveldb': 'y-websocket-server + LevelDB',
};

/** Parent → server child. */
export type ChildRequest =
  | { id: number; op: 'docStats'; room: string; textName: string }
  | { id: number; op: 'memory' }
  | { id: number; op: 'flush' }
  | { id: number; op: 'accounts'; count: number }
  | { id: number; op: 'roomCount' }
  | { id: number; op: 'heapSnapshot'; file: string }
  | { id: number; op: 'close' };

/** `process.memoryUsage()` of a server child right after a full garbage collection. */
export interface MemoryAfterGc {
  rss: number;
  heapUsed: number;
  external: number;
  /**
   * Resident bytes of V8's young generation (new space): empty after a full GC, but V8 grows it
   * with the allocation rate and gives it back seconds later, so RSS swings by tens of MiB with it.
   */
  youngBytes: number;
}

/** Server child → parent. */
export type ChildReply =
  | { type: 'ready'; port: number; token?: string }
  | { type: 'reply'; id: number; result?: unknown; error?: string };

export interface DocStats {
  storedBytes: number;
  logEntries: number;
  encodedBytes: number;
  storedText?: string;
  /**
   * A bare `Y.applyUpdate` of the document's encoded state into a new `Y.Doc` (same `gc` as the
   * server's), timed in the server process: the first run, and the median of the five after it.
   * Only where the server keeps documents (Sourcedesk).
   */
  bareApplyFirstMs?: number;
  bareApplyMs?: number;
}

/** Where load clients connect. */
export interface Target {
  kind: ServerKind;
  port: number;
  token?: string | undefined;
}

/** A Sourcedesk account made for one simulated person, with its API token. */
export interface Account {
  userId: string;
  token: string;
}

/**
 * One simulated person: a client in `room`, typing `rate` edits per second (0: only reads). On
 * Sourcedesk, `token` is the person's own account's (one account per person, as in a newsroom).
 */
export interface ClientSpec {
  id: number;
  room: string;
  rate: number;
  token?: string | undefined;
}

/** Main → load worker. */
export type WorkerCommand =
  | { type: 'connect'; target: Target; clients: ClientSpec[]; concurrency: number }
  | { type: 'type'; durationMs: number }
  | {
      type: 'drain';
      roomTotals: [room: string, edits: number][];
      sent: [id: number, count: number][];
      timeoutMs: number;
    }
  | { type: 'close' };

export interface LoopStats {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Load worker → main. */
export type WorkerEvent =
  | { type: 'connected'; ms: number; failed: number }
  | { type: 'typed'; sent: [id: number, count: number][] }
  | {
      type: 'drained';
      /** Writer transaction → reader observe, in microseconds, every observation. */
      latenciesUs: Float64Array;
      expected: number;
      received: number;
      /** Per room, a digest of each client's text (equal digests: converged). */
      digests: [room: string, digest: string][];
      loop: LoopStats;
      drainMs: number;
    }
  | { type: 'error'; message: string };
