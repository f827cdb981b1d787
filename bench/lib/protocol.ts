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
  | { id: number; op: 'close' };

/** `process.memoryUsage()` of a server child right after a full garbage collection. */
export interface MemoryAfterGc {
  rss: number;
  heapUsed: number;
  external: number;
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
