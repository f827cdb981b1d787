/**
 * One server under test, in its own process (forked by `serverProcess.ts` with an IPC channel), so
 * that its CPU time and peak RSS are its own and the load generator runs elsewhere.
 *
 *   kind = sourcedesk   the real server (`buildServer`, as `sourcedesk serve` builds it, logger
 *                       off) on SQLite in DATA_DIR: WAL, synchronous=FULL, every update stored
 *                       before it is applied and fanned out
 *   kind = yws          @y/websocket-server's `setupWSConnection` on a `ws` server, its default
 *                       configuration (documents in memory only, no persistence)
 *   kind = hocuspocus   @hocuspocus/server's `Server`, default configuration (no extensions, so
 *                       in memory only)
 *   kind = yws-leveldb  the same with its own persistence switched on (YPERSISTENCE: every update
 *                       written to LevelDB through y-leveldb, not fsynced), for cold loads
 *   kind = relay        a raw `ws` relay: bytes from one socket go to every other socket on the same
 *                       path. No Yjs at all: the floor of what a WebSocket fan-out costs here.
 *
 * Prints nothing; talks to the parent over IPC: `ready` {port, token?} once listening, then
 * answers `request` messages (see `ChildRequest`).
 */
import { createServer } from 'node:http';
import { join } from 'node:path';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import type { WebSocket } from 'ws';
import { WebSocketServer } from 'ws';
import * as Y from 'yjs';
import type { ServerOptions } from '../../server/config.ts';
import type { Account, ChildReply, ChildRequest, DocStats, MemoryAfterGc, ServerKind } from './protocol.ts';

const kind = process.argv[2] as ServerKind;
const dataDir = process.env.DATA_DIR ?? '';

function send(message: ChildReply): void {
  process.send?.(message);
}

type Handler = (request: ChildRequest) => Promise<unknown>;

interface Started {
  port: number;
  token?: string;
  handle: Handler;
}

async function startSourcedesk(): Promise<Started> {
  const { buildServer } = await import('../../server/app.ts');
  const { openSqliteStorage } = await import('../../server/storage/SqliteStorage.ts');
  const { createUser } = await import('../../server/users.ts');
  const { hashSecret, newId, newSecret } = await import('../../server/auth/secrets.ts');
  const { colorForIndex } = await import('../../server/auth/secrets.ts');
  const storage = openSqliteStorage(join(dataDir, 'sourcedesk.db'));
  // Options the parent sets for one section (the replay raises the per-socket message rate limit).
  const overrides = JSON.parse(process.env.BENCH_SOURCEDESK_OPTIONS ?? '{}') as Partial<ServerOptions>;
  const app = await buildServer({ storage, clientDir: null, ...overrides });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  // The bench's own admin account: makes stories and members, and loads documents (made once).
  let user = await storage.users.findByUsername('bench');
  user ??= await createUser(storage, {
    username: 'bench',
    password: 'bench-password-1',
    name: 'Bench',
    isAdmin: true,
  });
  const token = newSecret('sdt');
  await storage.tokens.create(
    { id: `bench-${Date.now()}`, userId: user.id, name: 'bench', createdAt: new Date().toISOString() },
    hashSecret(token),
  );
  let accountsMade = 0;
  /** One account per simulated person, with an API token (no password: they never log in). */
  const makeAccounts = async (count: number): Promise<Account[]> => {
    const accounts: Account[] = [];
    for (let i = 0; i < count; i++) {
      const index = ++accountsMade;
      const person = {
        id: newId(),
        username: `person${index}`,
        name: `Person ${index}`,
        passwordHash: 'none',
        color: colorForIndex(index),
        isAdmin: false,
        createdAt: new Date().toISOString(),
      };
      await storage.users.create(person);
      const secret = newSecret('sdt');
      await storage.tokens.create(
        { id: newId(), userId: person.id, name: 'bench', createdAt: person.createdAt },
        hashSecret(secret),
      );
      accounts.push({ userId: person.id, token: secret });
    }
    return accounts;
  };
  const handle: Handler = async (request) => {
    if (request.op === 'accounts') return makeAccounts(request.count);
    if (request.op === 'docStats') {
      const key = { storyId: request.room.split('/')[0] ?? '', part: 'body' as const };
      await app.rooms.peek(key)?.settled();
      const stored = await storage.documents.loadDocument(key);
      const storedBytes =
        (stored.snapshot?.byteLength ?? 0) + stored.updates.reduce((sum, entry) => sum + entry.data.byteLength, 0);
      const doc = new Y.Doc({ gc: false });
      if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot);
      for (const entry of stored.updates) Y.applyUpdate(doc, entry.data);
      const encoded = Y.encodeStateAsUpdate(doc);
      const bare = bareApplyMs(encoded);
      const result: DocStats = {
        storedBytes,
        logEntries: stored.updates.length,
        encodedBytes: encoded.byteLength,
        storedText: doc.getText(request.textName).toString(),
        bareApplyFirstMs: bare.firstMs,
        bareApplyMs: bare.medianMs,
      };
      doc.destroy();
      return result;
    }
    if (request.op === 'roomCount') return app.rooms.loadedRoomCount;
    if (request.op === 'close') {
      // As `sourcedesk serve` on SIGTERM: rooms store what is pending and compact, then the store.
      await app.close();
      await storage.close();
      return null;
    }
    return null;
  };
  return { port: address.port, token, handle };
}

/** The part of y-leveldb's `LeveldbPersistence` used to wait for its writes. */
interface LeveldbLike {
  getMeta(name: string, key: string): Promise<unknown>;
  destroy(): Promise<void>;
}

async function startYws(): Promise<Started> {
  // YPERSISTENCE (set by the parent for yws-leveldb) is read when the module loads.
  const { setupWSConnection, docs, getPersistence } = await import('@y/websocket-server/utils');
  const wss = new WebSocketServer({ noServer: true });
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain' });
    response.end('okay');
  });
  wss.on('connection', (socket, request) => setupWSConnection(socket, request));
  server.on('upgrade', (request, socket, head) => {
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  });
  const port = await listen(server);
  const handle: Handler = async (request) => {
    if (request.op === 'docStats') {
      const doc = docs.get(request.room);
      return { storedBytes: 0, logEntries: 0, encodedBytes: doc ? Y.encodeStateAsUpdate(doc).byteLength : 0 };
    }
    // Without persistence y-websocket-server never drops a document; with it, once the last client left.
    if (request.op === 'roomCount') return docs.size;
    const ldb = (getPersistence() as { provider?: LeveldbLike } | null)?.provider;
    if (ldb && (request.op === 'flush' || request.op === 'close')) {
      // y-leveldb runs its reads and writes one after another on a single promise chain: a cheap
      // read queued now resolves once every update written before it is in LevelDB.
      for (const name of docs.keys()) await ldb.getMeta(name, 'bench');
      if (request.op === 'close') await ldb.destroy();
    }
    return null;
  };
  return { port, handle };
}

async function startHocuspocus(): Promise<Started> {
  const { Server } = await import('@hocuspocus/server');
  const server = new Server({ port: 0, address: '127.0.0.1', quiet: true, stopOnSignals: false });
  await server.listen();
  const handle: Handler = async (request) => {
    if (request.op === 'docStats') {
      const doc = server.hocuspocus.documents.get(request.room);
      return { storedBytes: 0, logEntries: 0, encodedBytes: doc ? Y.encodeStateAsUpdate(doc).byteLength : 0 };
    }
    if (request.op === 'roomCount') return server.hocuspocus.documents.size;
    return null;
  };
  return { port: server.address.port, handle };
}

async function startRelay(): Promise<Started> {
  const rooms = new Map<string, Set<WebSocket>>();
  const server = createServer();
  const wss = new WebSocketServer({ server });
  wss.on('connection', (socket, request) => {
    const name = request.url ?? '/';
    let room = rooms.get(name);
    if (room === undefined) {
      room = new Set();
      rooms.set(name, room);
    }
    const members = room;
    members.add(socket);
    socket.on('message', (data, isBinary) => {
      for (const other of members)
        if (other !== socket && other.readyState === other.OPEN) other.send(data, { binary: isBinary });
    });
    socket.on('close', () => {
      members.delete(socket);
      if (members.size === 0) rooms.delete(name);
    });
  });
  const port = await listen(server);
  return { port, handle: async (request) => (request.op === 'roomCount' ? rooms.size : null) };
}

function listen(server: ReturnType<typeof createServer>): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') reject(new Error('no TCP address'));
      else resolve(address.port);
    });
  });
}

/**
 * A bare `Y.applyUpdate` of `encoded` into a new document (as the body's: `gc: false`), six times:
 * the first (whatever the JIT has seen so far) and the median of the other five.
 */
function bareApplyMs(encoded: Uint8Array): { firstMs: number; medianMs: number } {
  const times: number[] = [];
  for (let run = 0; run < 6; run++) {
    const doc = new Y.Doc({ gc: false });
    const started = performance.now();
    Y.applyUpdate(doc, encoded);
    times.push(performance.now() - started);
    doc.destroy();
  }
  const rest = times.slice(1).sort((a, b) => a - b);
  return { firstMs: times[0] ?? Number.NaN, medianMs: rest[Math.floor(rest.length / 2)] ?? Number.NaN };
}

/** A heap snapshot after a full GC, written to `file`. */
async function heapSnapshot(file: string): Promise<string> {
  await memoryAfterGc();
  return writeHeapSnapshot(file);
}

/** Memory once garbage is collected (the child runs with --expose-gc), so deltas are not GC noise. */
async function memoryAfterGc(): Promise<MemoryAfterGc> {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  await new Promise((resolve) => setTimeout(resolve, 50));
  gc?.();
  const { rss, heapUsed, external } = process.memoryUsage();
  const youngBytes = getHeapSpaceStatistics()
    .filter((space) => space.space_name === 'new_space' || space.space_name === 'new_large_object_space')
    .reduce((sum, space) => sum + space.physical_space_size, 0);
  return { rss, heapUsed, external, youngBytes };
}

async function main(): Promise<void> {
  const started =
    kind === 'sourcedesk'
      ? await startSourcedesk()
      : kind === 'yws' || kind === 'yws-leveldb'
        ? await startYws()
        : kind === 'hocuspocus'
          ? await startHocuspocus()
          : kind === 'relay'
            ? await startRelay()
            : null;
  if (started === null) throw new Error(`unknown server kind ${kind}`);
  process.on('message', (message: ChildRequest) => {
    (message.op === 'memory'
      ? memoryAfterGc()
      : message.op === 'heapSnapshot'
        ? heapSnapshot(message.file)
        : started.handle(message)
    )
      .then((result) => {
        send({ type: 'reply', id: message.id, result });
        if (message.op === 'close') setTimeout(() => process.exit(0), 10);
      })
      .catch((error: unknown) => send({ type: 'reply', id: message.id, error: String(error) }));
  });
  send({ type: 'ready', port: started.port, ...(started.token === undefined ? {} : { token: started.token }) });
}

main().catch((error: unknown) => {
  process.stderr.write(`server child ${kind}: ${error instanceof Error ? (error.stack ?? error.message) : error}\n`);
  process.exit(1);
});
