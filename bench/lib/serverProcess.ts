/**
 * Starts a server under test as a child process (`serverChild.ts`) and reads its CPU time and
 * memory from /proc, so neither the load generator nor the bench itself is counted.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerOptions } from '../../server/config.ts';
import { formatSummary, nowUs, readProfile, summarizeProfile } from './cpuProfile.ts';
import {
  type Account,
  type ChildReply,
  type ChildRequest,
  type DocStats,
  type MemoryAfterGc,
  SERVER_LABELS,
  type ServerKind,
  type Target,
} from './protocol.ts';

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

/**
 * `--profile=DIR` (run.ts) sets these: every server child then runs with `node --cpu-prof` into
 * DIR (sampling every BENCH_SERVER_PROF_INTERVAL µs, default 1000), and each one's profile is
 * summarised over its row's measured span when it stops.
 */
export const profileDir = (): string | undefined => process.env.BENCH_SERVER_PROF;

/** Summaries of the server profiles taken so far (with `--profile`), in the order the rows ran. */
export const profileReports: { title: string; file: string; text: string }[] = [];

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
    const profiles = profileDir();
    const interval = process.env.BENCH_SERVER_PROF_INTERVAL;
    const child = fork(CHILD, [kind], {
      execArgv: [
        '--import',
        'tsx',
        '--expose-gc',
        ...(profiles === undefined
          ? []
          : [
              '--cpu-prof',
              `--cpu-prof-dir=${profiles}`,
              ...(interval === undefined ? [] : [`--cpu-prof-interval=${interval}`]),
            ]),
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

  /** What the row calls this process (the title of its profile summary). */
  label = '';
  /** The measured spans of the row, monotonic µs (each gets its own profile summary). */
  private readonly windows: { name: string; fromUs: number; toUs?: number }[] = [];

  /** A measured part of the row starts (for the profile summary); `name` tells spans apart. */
  markStart(name = ''): void {
    this.windows.push({ name, fromUs: nowUs() });
  }

  /** The measured part of the row that started last ends. */
  markEnd(): void {
    const last = this.windows.at(-1);
    if (last !== undefined) last.toUs = nowUs();
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

  /** Writes a heap snapshot of the server (after a full GC) to `file`. */
  async heapSnapshot(file: string): Promise<string> {
    return (await this.request({ op: 'heapSnapshot', file })) as string;
  }

  /** Documents (rooms) the server holds in memory now. */
  roomCount(): Promise<number> {
    return this.request({ op: 'roomCount' }) as Promise<number>;
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

  /**
   * Memory after a full GC once it has stopped moving: a process that has just started keeps
   * handing start-up memory back to the system for several seconds (Sourcedesk's RSS falls by
   * 30–50 MiB some 5–10 s after it listens, whatever is collected), which would swamp a per-story
   * figure. Readings every second from `minMs` on; returns once three in a row agree within
   * 0.5 MiB (RSS outside V8's young generation, and heap + external), or the last one at `maxMs`.
   */
  async settledMemory(minMs: number, maxMs: number): Promise<MemoryAfterGc> {
    const started = performance.now();
    const readings: MemoryAfterGc[] = [];
    const close = (a: number, b: number) => Math.abs(a - b) < 512 * 1024;
    for (;;) {
      const elapsed = performance.now() - started;
      if (elapsed >= minMs) {
        const reading = await this.memory();
        readings.push(reading);
        const last = readings.slice(-3);
        const steady =
          last.length === 3 &&
          last.every(
            (other) =>
              close(other.rss - other.youngBytes, reading.rss - reading.youngBytes) &&
              close(other.heapUsed + other.external, reading.heapUsed + reading.external),
          );
        if (steady || elapsed >= maxMs) return reading;
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
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
      this.reportProfile();
    }
    if (!options.keepData) rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** With `--profile`: names the child's `.cpuprofile` after its row and summarises its measured span. */
  private reportProfile(): void {
    const dir = profileDir();
    // A process without a measured span (one that only made the stories) is not summarised.
    if (dir === undefined || this.windows.length === 0) return;
    // `--cpu-prof` writes one profile per thread (`CPU.<date>.<time>.<pid>.<thread>.<n>.cpuprofile`);
    // the main thread is thread 0 (tsx's module loader runs on another).
    const name = readdirSync(dir).find((file) => file.includes(`.${this.pid}.0.`) && file.endsWith('.cpuprofile'));
    // None after a SIGKILL: the profile is written at exit.
    if (name === undefined) return;
    const title = this.label || SERVER_LABELS[this.kind];
    const slug = title.replace(/[^A-Za-z0-9=.-]+/g, '-').replace(/^-|-$/g, '');
    const file = join(dir, `${slug}.${this.pid}.cpuprofile`);
    renameSync(join(dir, name), file);
    const profile = readProfile(file);
    for (const span of this.windows) {
      const summary = summarizeProfile(profile, {
        fromUs: span.fromUs,
        ...(span.toUs === undefined ? {} : { toUs: span.toUs }),
        top: 15,
      });
      // An idle span (nobody typing) has nothing to show.
      if (summary.busyMs < 5) continue;
      const what = span.name === '' ? title : `${title}, ${span.name}`;
      profileReports.push({ title: what, file, text: formatSummary(what, summary) });
    }
  }
}
