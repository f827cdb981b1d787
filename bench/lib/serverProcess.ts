/**
 * Starts a server under test as a child process (`serverChild.ts`) and reads its CPU time and
 * memory from /proc, so neither the load generator nor the bench itself is counted.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerOptions } from '../../server/config.ts';
import type { Account, ChildReply, ChildRequest, DocStats, MemoryAfterGc, ServerKind, Target } from './protocol.ts';

const CHILD = fileURLToPath(new URL('./serverChild.ts', import.meta.url));
/** Linux clock ticks per second (`getconf CLK_TCK`), the unit of /proc/<pid>/stat times. */
const CLOCK_TICKS = 100;

export interface ProcStats {
  /** User + system CPU seconds since the process started. */
  cpuSeconds: number;
  rssBytes: number;
  /** Peak resident set size (VmHWM). */
  peakRssBytes: number;
}

export function procStats(pid: number): ProcStats {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces), starting with field 3 (state).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { cpuSeconds: ticks / CLOCK_TICKS, rssBytes: kib('VmRSS') * 1024, peakRssBytes: kib('VmHWM') * 1024 };
}

/** `Omit` applied to each member of a union. */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** Bytes of every file under `dir` (what the server keeps on disk). */
export function dirBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += statSync(join(entry.parentPath, entry.name)).size;
  }
  return total;
}

export class ServerProcess {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private exited: Promise<void>;

  private constructor(
    readonly kind: ServerKind,
    readonly child: ChildProcess,
    readonly target: Target,
    readonly dataDir: string,
  ) {
    child.on('message', (message: ChildReply) => {
      if (message.type !== 'reply') return;
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error !== undefined) waiter?.reject(new Error(message.error));
      else waiter?.resolve(message.result);
    });
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /**
   * Starts `kind` (in `dataDir`, kept across restarts, or a new temp dir) and waits until it listens.
   * `sourcedesk` options are passed to Sourcedesk's `buildServer`.
   */
  static async start(
    kind: ServerKind,
    dataDir?: string,
    options: { sourcedesk?: Partial<ServerOptions> } = {},
  ): Promise<ServerProcess> {
    const dir = dataDir ?? mkdtempSync(join(tmpdir(), `sourcedesk-bench-${kind}-`));
    const child = fork(CHILD, [kind], {
      execArgv: [
        '--import',
        'tsx',
        '--expose-gc',
        ...(process.env.BENCH_SERVER_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_SERVER_PROF}`] : []),
      ],
      env: {
        ...process.env,
        DATA_DIR: dir,
        NODE_ENV: 'production',
        ...(kind === 'yws-leveldb' ? { YPERSISTENCE: join(dir, 'leveldb') } : {}),
        BENCH_SOURCEDESK_OPTIONS: JSON.stringify(options.sourcedesk ?? {}),
      },
      // stdout ignored: y-websocket-server announces its persistence there.
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const ready = await new Promise<Extract<ChildReply, { type: 'ready' }>>((resolve, reject) => {
      const onExit = (code: number | null) =>
        reject(new Error(`${kind} server exited with ${code} before it was ready`));
      child.once('exit', onExit);
      child.on('message', (message: ChildReply) => {
        if (message.type !== 'ready') return;
        child.off('exit', onExit);
        resolve(message);
      });
    });
    const pid = child.pid;
    if (pid === undefined) throw new Error('server child has no pid');
    return new ServerProcess(
      kind,
      child,
      { kind, port: ready.port, ...(ready.token === undefined ? {} : { token: ready.token }) },
      dir,
    );
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  stats(): ProcStats {
    return procStats(this.pid);
  }

  private request(message: DistributiveOmit<ChildRequest, 'id'>): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ ...message, id } as ChildRequest);
    });
  }

  /** Sourcedesk: `count` new accounts with API tokens. */
  accounts(count: number): Promise<Account[]> {
    return this.request({ op: 'accounts', count }) as Promise<Account[]>;
  }

  /** y-websocket-server + LevelDB: resolves once every update it has received is written. */
  async flush(): Promise<void> {
    await this.request({ op: 'flush' });
  }

  memory(): Promise<MemoryAfterGc> {
    return this.request({ op: 'memory' }) as Promise<MemoryAfterGc>;
  }

  docStats(room: string, textName: string): Promise<DocStats> {
    return this.request({ op: 'docStats', room, textName }) as Promise<DocStats>;
  }

  /** Graceful stop (Sourcedesk stores what is pending and compacts); `keepData` for a restart. */
  async stop(options: { keepData?: boolean } = {}): Promise<void> {
    if (this.child.exitCode === null) {
      const graceful = this.request({ op: 'close' }).catch(() => undefined);
      // LevelDB may still be writing a long replay's updates: give it time, but not forever.
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise((resolve) => {
        timer = setTimeout(resolve, 300_000);
      });
      await Promise.race([graceful.then(() => this.exited), timeout]);
      clearTimeout(timer);
      if (this.child.exitCode === null) {
        this.child.kill('SIGKILL');
        await this.exited;
      }
    }
    if (!options.keepData) rmSync(this.dataDir, { recursive: true, force: true });
  }
}
