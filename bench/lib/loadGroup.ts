/**
 * The load generator: worker threads (one per core by default) each hosting a slice of the clients,
 * driven through connect → type → drain. Reports what it cost: this process's CPU time (every thread)
 * and the worst event-loop delay of any of its threads, so a figure limited by the generator shows.
 */
import { Worker } from 'node:worker_threads';
import { loopMonitor, loopStats } from './loop.ts';
import type { ClientSpec, LoopStats, Target, WorkerCommand, WorkerEvent } from './protocol.ts';

export interface LoadResult {
  latenciesUs: Float64Array;
  expected: number;
  received: number;
  /** Whether every client of each room ended with the same text (null: no document, the relay). */
  converged: boolean | null;
  connectMs: number;
  connectFailed: number;
  typedMs: number;
  drainMs: number;
  edits: number;
  /** Load generator (this process, all threads) CPU seconds from typing start to drained. */
  generatorCpuSeconds: number;
  /** Worst thread's event-loop delay over the same span. */
  generatorLoop: LoopStats;
}

/**
 * Worker threads do not inherit tsx's loader on Node 20 (`--import` in a worker's execArgv is not
 * honoured), so each thread registers it before importing the TypeScript worker module.
 */
const WORKER_BOOT = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then(({ register }) => {
  register();
  return import(${JSON.stringify(new URL('./loadWorker.ts', import.meta.url).href)});
});`;

type EventOf<T extends WorkerEvent['type']> = Extract<WorkerEvent, { type: T }>;

export class LoadGroup {
  private readonly workers: Worker[];
  private readonly queues: WorkerEvent[][];
  private readonly waiters: ((event: WorkerEvent) => void)[][];
  private specs: ClientSpec[] = [];
  private connectMs = 0;
  private connectFailed = 0;
  private closing = false;

  constructor(threads = 2) {
    this.workers = Array.from({ length: threads }, () => new Worker(WORKER_BOOT, { eval: true }));
    this.queues = this.workers.map(() => []);
    this.waiters = this.workers.map(() => []);
    this.workers.forEach((worker, index) => {
      worker.on('message', (event: WorkerEvent) => {
        const waiter = this.waiters[index]?.shift();
        if (waiter) waiter(event);
        else this.queues[index]?.push(event);
      });
      const fail = (message: string) => {
        const waiting = this.waiters[index]?.splice(0) ?? [];
        for (const waiter of waiting) waiter({ type: 'error', message });
        if (waiting.length === 0) this.queues[index]?.push({ type: 'error', message });
      };
      worker.on('error', (error) => fail(error.stack ?? error.message));
      worker.on('exit', (code) => {
        if (!this.closing) fail(`exited with code ${code}`);
      });
    });
  }

  private next<T extends WorkerEvent['type']>(index: number, type: T): Promise<EventOf<T>> {
    return new Promise((resolve, reject) => {
      const handle = (event: WorkerEvent) => {
        if (event.type === 'error') reject(new Error(`load worker ${index}: ${event.message}`));
        else if (event.type !== type) reject(new Error(`load worker ${index}: expected ${type}, got ${event.type}`));
        else resolve(event as EventOf<T>);
      };
      const queued = this.queues[index]?.shift();
      if (queued) handle(queued);
      else this.waiters[index]?.push(handle);
    });
  }

  private all<T extends WorkerEvent['type']>(command: WorkerCommand | ((index: number) => WorkerCommand), type: T) {
    return Promise.all(
      this.workers.map((worker, index) => {
        const reply = this.next(index, type);
        worker.postMessage(typeof command === 'function' ? command(index) : command);
        return reply;
      }),
    );
  }

  /** Connects every client (spread round-robin over the threads) and waits for its first sync. */
  async connect(target: Target, specs: ClientSpec[], concurrency = 16): Promise<void> {
    this.specs = specs;
    const threads = this.workers.length;
    const events = await this.all(
      (index) => ({
        type: 'connect',
        target,
        clients: specs.filter((_spec, i) => i % threads === index),
        concurrency: Math.max(1, Math.floor(concurrency / threads)),
      }),
      'connected',
    );
    this.connectMs = Math.max(...events.map((event) => event.ms));
    this.connectFailed = events.reduce((sum, event) => sum + event.failed, 0);
    if (this.connectFailed > 0) throw new Error(`${this.connectFailed} of ${specs.length} clients failed to connect`);
  }

  /** Writers type for `durationMs`; then waits (up to `drainTimeoutMs`) until every reader has every edit. */
  async run(durationMs: number, drainTimeoutMs = 30_000): Promise<LoadResult> {
    const mainLoop = loopMonitor();
    mainLoop.enable();
    const cpuBefore = process.cpuUsage();
    const typeStart = performance.now();
    const typed = await this.all({ type: 'type', durationMs }, 'typed');
    const typedMs = performance.now() - typeStart;
    const sent = typed.flatMap((event) => event.sent);
    const sentBy = new Map(sent);
    const roomTotals = new Map<string, number>();
    for (const spec of this.specs)
      roomTotals.set(spec.room, (roomTotals.get(spec.room) ?? 0) + (sentBy.get(spec.id) ?? 0));
    const drained = await this.all(
      { type: 'drain', roomTotals: [...roomTotals], sent, timeoutMs: drainTimeoutMs },
      'drained',
    );
    const cpu = process.cpuUsage(cpuBefore);
    mainLoop.disable();
    const total = drained.reduce((sum, event) => sum + event.latenciesUs.length, 0);
    const latenciesUs = new Float64Array(total);
    let offset = 0;
    for (const event of drained) {
      latenciesUs.set(event.latenciesUs, offset);
      offset += event.latenciesUs.length;
    }
    const byRoom = new Map<string, Set<string>>();
    for (const event of drained)
      for (const [room, digest] of event.digests) {
        const set = byRoom.get(room) ?? new Set<string>();
        set.add(digest);
        byRoom.set(room, set);
      }
    const hasDocs = drained.some((event) => event.digests.some(([, digest]) => digest !== ''));
    const loops = [...drained.map((event) => event.loop), loopStats(mainLoop)];
    return {
      latenciesUs,
      expected: drained.reduce((sum, event) => sum + event.expected, 0),
      received: drained.reduce((sum, event) => sum + event.received, 0),
      converged: hasDocs ? [...byRoom.values()].every((set) => set.size === 1) : null,
      connectMs: this.connectMs,
      connectFailed: this.connectFailed,
      typedMs,
      drainMs: Math.max(...drained.map((event) => event.drainMs)),
      edits: sent.reduce((sum, [, count]) => sum + count, 0),
      generatorCpuSeconds: (cpu.user + cpu.system) / 1e6,
      generatorLoop: {
        p50Ms: Math.max(...loops.map((loop) => loop.p50Ms)),
        p99Ms: Math.max(...loops.map((loop) => loop.p99Ms)),
        maxMs: Math.max(...loops.map((loop) => loop.maxMs)),
      },
    };
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const worker of this.workers) worker.postMessage({ type: 'close' } satisfies WorkerCommand);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}
