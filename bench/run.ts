/**
 * Sourcedesk against the servers a newsroom would otherwise deploy, side by side in one run:
 * @y/websocket-server (the reference y-websocket backend), Hocuspocus, and a raw `ws` relay with
 * no Yjs at all as the floor. Every server runs in its own child process; the load generator is
 * this process (worker threads), and its CPU time and event-loop delay are reported beside every
 * figure so a number limited by the generator shows as such.
 *
 *   npm run bench                      full run (about 15 minutes on 2 cores)
 *   npm run bench -- --quick           smaller N and shorter runs (about 2 minutes)
 *   npm run bench -- --only=fanout,stories,idle,burst,replay --servers=sourcedesk,yws,hocuspocus,relay,yws-leveldb
 *   npm run bench -- --out=results.md  also write the Markdown to a file
 *   npm run bench -- --profile=DIR     every server child under `node --cpu-prof` (profiles in DIR),
 *                                      with a summary of each over its row's measured span (and,
 *                                      for idle stories, heap snapshots); BENCH_SERVER_PROF_INTERVAL
 *                                      sets the sampling interval in µs (default 1000)
 *   npm run bench -- --only=replay --traces=sequential-automerge-paper   chosen traces only
 *
 * Sections (issue #8's measures):
 *   fanout   one story, N clients, 10% typing 5 edits/s each: writer transaction → reader observe
 *            latency, updates lost, convergence, server CPU (also per delivered update), peak RSS
 *   stories  many stories with two clients each, light typing: server memory per open story, p99
 *   idle     many stories with two clients each, nobody typing: memory per idle open story; then
 *            every client leaves: open rooms and memory after the unload grace
 *   burst    one writer sends 50,000 single-character edits as fast as it can, one reader: time
 *            until the reader has them all (and Sourcedesk has acknowledged them all as stored)
 *   replay   real editing traces through each server as fast as it takes them; then a new client's
 *            load time, warm, and cold after a restart for servers that keep documents, against a
 *            bare `Y.applyUpdate` of the same encoded state
 * At the end, issue #8's targets as ratios against the peers and the relay measured in this run.
 * Results go to docs/benchmarks.md by hand, with the command and the machine.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type MemoryAfterGc, SERVER_KINDS, SERVER_LABELS, type ServerKind } from './lib/protocol.ts';
import { fixed, machineDescription, mib, percentiles, table } from './lib/report.ts';
import { profileReports } from './lib/serverProcess.ts';
import { type BurstResult, burst } from './sections/burst.ts';
import { fanout, type LoadRun, manyStories } from './sections/fanout.ts';
import { type IdleRun, idleStories } from './sections/idle.ts';
import { type ReplayResult, replay } from './sections/replay.ts';
import { type TargetInputs, targetRows } from './sections/targets.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    servers: { type: 'string' },
    out: { type: 'string' },
    threads: { type: 'string', default: '2' },
    profile: { type: 'string' },
    traces: { type: 'string' },
  },
});
// Read by serverProcess.ts when it forks a server child.
if (values.profile !== undefined) {
  mkdirSync(values.profile, { recursive: true });
  process.env.BENCH_SERVER_PROF = resolve(values.profile);
}
const quick = values.quick;
const threads = Number(values.threads);
const sections = new Set((values.only ?? 'fanout,stories,idle,burst,replay').split(','));
const chosen = values.servers?.split(',') as ServerKind[] | undefined;
for (const kind of chosen ?? []) if (!SERVER_KINDS.includes(kind)) throw new Error(`unknown server ${kind}`);
const servers = (wanted: ServerKind[]): ServerKind[] =>
  chosen === undefined ? wanted : wanted.filter((kind) => chosen.includes(kind));

const config = quick
  ? {
      fanoutClients: [10, 50],
      fanoutSeconds: 4,
      stories: 100,
      storyRate: 0.5,
      storySeconds: 4,
      storySettleMs: 1000,
      idleStories: 100,
      idleHoldMs: 2000,
      burstEdits: 10_000,
      traces: ['sequential-friendsforever_flat'],
    }
  : {
      fanoutClients: [10, 50, 100, 200],
      fanoutSeconds: 20,
      stories: 1000,
      storyRate: 0.2,
      storySeconds: 20,
      storySettleMs: 3000,
      idleStories: 1000,
      idleHoldMs: 5000,
      burstEdits: 50_000,
      traces: [
        'sequential-seph-blog1',
        'sequential-automerge-paper',
        'concurrent-clownschool',
        'concurrent-friendsforever',
      ],
    };

if (values.traces !== undefined) config.traces = values.traces.split(',');

const out: string[] = [];
function print(text = ''): void {
  out.push(text);
  process.stdout.write(`${text}\n`);
}
function progress(text: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${text}\n`);
}
const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
let failures = 0;
/** Everything measured, for the targets at the end. */
const measured: TargetInputs = { fanout: [], idle: [], burst: [], replay: [] };

async function attempt<T>(what: string, run: () => Promise<T>): Promise<T | null> {
  progress(`${what} (load average ${load()})`);
  try {
    return await run();
  } catch (error) {
    failures++;
    progress(`${what} FAILED: ${error instanceof Error ? (error.stack ?? error.message) : error}`);
    return null;
  }
}

const ms = (us: number) => fixed(us / 1000, 1);
/**
 * RSS outside V8's young generation (RSS*): after a full GC the young generation holds nothing, but
 * V8 sizes it by the recent allocation rate and hands it back seconds later, which moves RSS by
 * 10–30 MiB either way, whatever the process holds.
 */
const held = (memory: MemoryAfterGc) => memory.rss - memory.youngBytes;
const label = (kind: ServerKind) => SERVER_LABELS[kind];
const generator = (run: { generatorCpuSeconds: number; generatorLoop: { p99Ms: number; maxMs: number } }) =>
  `${fixed(run.generatorCpuSeconds, 1)} s · ${fixed(run.generatorLoop.p99Ms, 0)} / ${fixed(run.generatorLoop.maxMs, 0)} ms`;

/** The machine's 1-minute load average at a run's start → end: above ~2 others were busy too. */
const loadAverage = ([start, end]: [number, number]) => `${fixed(start, 1)} → ${fixed(end, 1)}`;

const started = new Date();
print(`Command: \`npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}\``);
print(`Date: ${started.toISOString()}. Load generator: this process, ${threads} worker threads.`);
print(machineDescription());
print(`Load average at start: ${load()}.`);

// ---------------------------------------------------------------------------------------------
if (sections.has('fanout')) {
  const kinds = servers(['sourcedesk', 'yws', 'hocuspocus', 'relay']);
  const runs: LoadRun[] = [];
  for (const clients of config.fanoutClients) {
    for (const kind of kinds) {
      const run = await attempt(`fan-out ${label(kind)} N=${clients}`, () =>
        fanout(kind, clients, { rate: 5, durationMs: config.fanoutSeconds * 1000, threads }),
      );
      if (run) runs.push(run);
    }
  }
  print();
  print(
    `### Fan-out: one story, N clients, 10% typing 5 edits/s for ${config.fanoutSeconds} s (latency: writer transaction → reader observe)`,
  );
  print();
  print(
    table(
      [
        'N',
        'server',
        'edits',
        'observations',
        'lost',
        'p50 ms',
        'p95 ms',
        'p99 ms',
        'max ms',
        'converged',
        'server CPU s',
        'server CPU µs per delivered update',
        'server peak RSS MiB',
        'generator CPU s · loop p99 / max',
        'load avg',
      ],
      runs.map((run) => {
        const p = percentiles(run.load.latenciesUs);
        return [
          run.clients,
          label(run.kind),
          run.load.edits,
          p.count,
          run.load.expected - run.load.received,
          ms(p.p50),
          ms(p.p95),
          ms(p.p99),
          ms(p.max),
          run.load.converged === null ? 'n/a' : String(run.load.converged),
          fixed(run.serverCpuSeconds, 2),
          fixed((run.serverCpuSeconds * 1e6) / run.load.received, 1),
          mib(run.peakRssBytes),
          generator(run.load),
          loadAverage(run.loadAverage),
        ];
      }),
    ),
  );
  print();
  print(
    'Server CPU per delivered update: server CPU seconds of the row ÷ observations (one update arriving at one reader); /proc counts CPU in 10 ms ticks.',
  );
  measured.fanout = runs;
  for (const run of runs) if (run.load.expected !== run.load.received || run.load.converged === false) failures++;
}

// ---------------------------------------------------------------------------------------------
if (sections.has('stories')) {
  const kinds = servers(['sourcedesk', 'yws', 'hocuspocus', 'relay']);
  const runs: LoadRun[] = [];
  for (const kind of kinds) {
    const run = await attempt(`many stories ${label(kind)} S=${config.stories}`, () =>
      manyStories(kind, config.stories, {
        rate: config.storyRate,
        durationMs: config.storySeconds * 1000,
        threads,
        settleMs: config.storySettleMs,
      }),
    );
    if (run) runs.push(run);
  }
  print();
  print(
    `### Many stories: ${config.stories} stories × 2 clients, one typing ${config.storyRate} edits/s each for ${config.storySeconds} s`,
  );
  print();
  print(
    table(
      [
        'server',
        'clients',
        'edits',
        'lost',
        'p50 ms',
        'p99 ms',
        'max ms',
        'converged',
        'RSS* MiB idle → connected → end',
        'RSS* KiB per open story',
        'JS heap + external KiB per story',
        'server peak RSS MiB',
        'server CPU s',
        'generator CPU s · loop p99 / max',
        'load avg',
      ],
      runs.map((run) => {
        const p = percentiles(run.load.latenciesUs);
        const perStory = (bytes: number) => fixed(bytes / 1024 / run.rooms, 1);
        return [
          label(run.kind),
          run.clients,
          run.load.edits,
          run.load.expected - run.load.received,
          ms(p.p50),
          ms(p.p99),
          ms(p.max),
          run.load.converged === null ? 'n/a' : String(run.load.converged),
          `${mib(held(run.baseline))} → ${mib(held(run.connected))} → ${mib(held(run.end))}`,
          perStory(held(run.end) - held(run.baseline)),
          perStory(run.end.heapUsed + run.end.external - run.baseline.heapUsed - run.baseline.external),
          mib(run.peakRssBytes),
          fixed(run.serverCpuSeconds, 2),
          generator(run.load),
          loadAverage(run.loadAverage),
        ];
      }),
    ),
  );
  for (const run of runs) if (run.load.expected !== run.load.received || run.load.converged === false) failures++;
}

// ---------------------------------------------------------------------------------------------
if (sections.has('idle')) {
  const kinds = servers(['sourcedesk', 'yws', 'hocuspocus', 'relay']);
  const runs: IdleRun[] = [];
  for (const kind of kinds) {
    const run = await attempt(`idle stories ${label(kind)} S=${config.idleStories}`, () =>
      idleStories(kind, config.idleStories, {
        threads,
        settleMs: config.storySettleMs,
        holdMs: config.idleHoldMs,
        leaveWaitMs: 20_000,
      }),
    );
    if (run) runs.push(run);
  }
  print();
  print(
    `### Idle stories: ${config.idleStories} stories × 2 clients, synced, nobody typing (${config.idleHoldMs / 1000} s); then every client leaves`,
  );
  print();
  const perStory = (run: IdleRun, bytes: number) => fixed(bytes / 1024 / run.stories, 1);
  const heap = (memory: { heapUsed: number; external: number }) => memory.heapUsed + memory.external;
  print(
    table(
      [
        'server',
        'clients',
        'RSS* MiB idle → open → after leaving',
        'RSS* KiB per idle open story',
        'JS heap + external KiB per idle open story',
        'server CPU s while idle',
        'rooms open → after leaving',
        'last client gone → no room held, s',
        'RSS* KiB per story still held after leaving',
        'JS heap + external KiB per story still held after leaving',
        'server peak RSS MiB',
        'load avg',
      ],
      runs.map((run) => [
        label(run.kind),
        run.clients,
        `${mib(held(run.baseline))} → ${mib(held(run.open))} → ${mib(held(run.afterLeave))}`,
        perStory(run, held(run.open) - held(run.baseline)),
        perStory(run, heap(run.open) - heap(run.baseline)),
        fixed(run.idleCpuSeconds, 2),
        `${run.roomsOpen} → ${run.roomsAfterLeave}`,
        run.unloadMs === null ? `not within ${fixed(run.waitedMs / 1000, 0)}` : fixed(run.unloadMs / 1000, 1),
        perStory(run, held(run.afterLeave) - held(run.baseline)),
        perStory(run, heap(run.afterLeave) - heap(run.baseline)),
        mib(run.peakRssBytes),
        loadAverage(run.loadAverage),
      ]),
    ),
  );
  print();
  print(
    `Memory after a full GC (\`--expose-gc\`), relative to the same server with the stories made and no client; RSS* is RSS outside V8's young generation (which V8 resizes with the allocation rate, moving RSS by tens of MiB whatever is held). "After leaving": every client disconnected, then the bench waits until the server holds no room (at most 20 s). Every figure is taken once three readings a second apart agree within 0.5 MiB (a process that has just started hands memory back for several seconds).`,
  );
  measured.idle = runs;
}

// ---------------------------------------------------------------------------------------------
if (sections.has('burst')) {
  const kinds = servers(['sourcedesk', 'yws', 'hocuspocus', 'relay']);
  const runs: BurstResult[] = [];
  for (const kind of kinds) {
    const run = await attempt(`burst ${config.burstEdits} ${label(kind)}`, () => burst(kind, config.burstEdits));
    if (run) runs.push(run);
  }
  print();
  print(
    `### Burst: one writer sends ${config.burstEdits} single-character edits as fast as it can, one reader (Sourcedesk's per-socket message limit lifted)`,
  );
  print();
  print(
    table(
      [
        'server',
        'edits',
        'writer done sending s',
        'reader has all s',
        'all acknowledged as stored s',
        'absorbed s',
        'absorbed edits/s',
        'reader = writer',
        'server CPU s',
        'server peak RSS MiB',
        'generator CPU s · loop p99 / max',
        'load avg',
      ],
      runs.map((run) => [
        label(run.kind),
        run.edits,
        fixed(run.sentMs / 1000, 2),
        fixed(run.deliveredMs / 1000, 2),
        run.storedMs === null ? '—' : fixed(run.storedMs / 1000, 2),
        fixed(run.absorbedMs / 1000, 2),
        Math.round(run.edits / (run.absorbedMs / 1000)),
        String(run.converged),
        fixed(run.serverCpuSeconds, 2),
        mib(run.peakRssBytes),
        generator(run),
        loadAverage(run.loadAverage),
      ]),
    ),
  );
  measured.burst = runs;
  for (const run of runs) if (!run.converged) failures++;
}

// ---------------------------------------------------------------------------------------------
if (sections.has('replay')) {
  const kinds = servers(['sourcedesk', 'yws', 'hocuspocus', 'yws-leveldb']);
  const results: ReplayResult[] = [];
  for (const trace of config.traces) {
    for (const kind of kinds) {
      const result = await attempt(`replay ${trace} on ${label(kind)}`, () =>
        replay(kind, trace, { cold: trace.startsWith('sequential-') }),
      );
      if (result) results.push(result);
    }
  }
  print();
  print('### Real typing: editing traces replayed as fast as each server takes them');
  print();
  print(
    table(
      [
        'trace',
        'server',
        'clients',
        'updates',
        'stored/s',
        'all clients have it, updates/s',
        's',
        'server CPU s',
        'server peak RSS MiB',
        'generator CPU s · loop p99 / max',
        'text = endContent',
        'text = Yjs alone',
        'warm load ms',
        'load avg',
      ],
      results.map((r) => [
        r.trace,
        label(r.kind),
        r.clients,
        r.transactions,
        r.storedSeconds === null ? '—' : Math.round(r.transactions / r.storedSeconds),
        Math.round(r.transactions / r.convergedSeconds),
        fixed(r.convergedSeconds, 2),
        fixed(r.serverCpuSeconds, 2),
        mib(r.peakRssBytes),
        generator(r),
        String(r.equalsEndContent),
        String(r.equalsYjsAlone),
        fixed(r.warmLoadMs, 0),
        loadAverage(r.loadAverage),
      ]),
    ),
  );
  const cold = results.filter((r) => r.cold !== null);
  if (cold.length > 0) {
    print();
    print('### Cold load: a new client after a server restart (servers that keep documents)');
    print();
    print(
      table(
        [
          'trace',
          'server',
          'stored KiB',
          'encodeStateAsUpdate KiB',
          'data dir KiB',
          'stored ÷ encoded',
          'first client after restart: connect → synced ms',
          'first client after restart: connect → whole text ms',
          'reopened after unload: connect → whole text ms',
          'bare applyUpdate ms: server process (first run) / bench process',
          'whole text ÷ bare applyUpdate (server process): first client / reopened',
          'text matches',
        ],
        cold.map((r) => {
          const c = r.cold;
          if (c === null) return [];
          return [
            r.trace,
            label(r.kind),
            fixed(c.storedBytes / 1024, 0),
            fixed(c.encodedBytes / 1024, 0),
            fixed(c.diskBytes / 1024, 0),
            fixed(c.storedBytes / c.encodedBytes, 2),
            fixed(c.syncedMs, 0),
            fixed(c.completeMs, 0),
            c.reopenedMs === null ? '—' : fixed(c.reopenedMs, 0),
            `${c.bareApplyServerMs === null ? '—' : `${fixed(c.bareApplyServerMs, 1)} (${fixed(c.bareApplyServerFirstMs ?? Number.NaN, 1)})`} / ${fixed(c.bareApplyBenchMs, 1)}`,
            c.bareApplyServerMs === null
              ? '—'
              : `${fixed(c.completeMs / c.bareApplyServerMs, 1)} / ${c.reopenedMs === null ? '—' : fixed(c.reopenedMs / c.bareApplyServerMs, 1)}`,
            String(c.textMatches),
          ];
        }),
      ),
    );
  }
  measured.replay = results;
  for (const r of results) if (!r.equalsYjsAlone || r.cold?.textMatches === false) failures++;
}

const targets = targetRows(measured);
if (targets.length > 0) {
  print();
  print("### Issue #8's targets in this run (ratios against the peers and the raw relay of the same run)");
  print();
  print(
    table(
      ['target', 'Sourcedesk', 'peer / floor', 'ratio', 'held?'],
      targets.map((row) => [row.target, row.sourcedesk, row.reference, row.ratio, row.verdict]),
    ),
  );
}

if (profileReports.length > 0) {
  print();
  print("### Server CPU profiles (`node --cpu-prof`, self time over each row's measured span)");
  for (const report of profileReports) {
    print();
    print(`Profile: \`${report.file}\``);
    print();
    print('```text');
    print(report.text);
    print('```');
  }
}

print();
print(
  `Finished in ${((Date.now() - started.getTime()) / 60_000).toFixed(1)} min; load average at end: ${load()}; failures: ${failures}.`,
);
if (values.out !== undefined) writeFileSync(values.out, `${out.join('\n')}\n`);
// Exit even if a failed run left a handle behind (a client of a server that was stopped).
process.exit(failures > 0 ? 1 : 0);
