/**
 * Sourcedesk against the servers a newsroom would otherwise deploy, side by side in one run:
 * @y/websocket-server (the reference y-websocket backend), Hocuspocus, and a raw `ws` relay with
 * no Yjs at all as the floor. Every server runs in its own child process; the load generator is
 * this process (worker threads), and its CPU time and event-loop delay are reported beside every
 * figure so a number limited by the generator shows as such.
 *
 *   npm run bench                      full run (about 15 minutes on 2 cores)
 *   npm run bench -- --quick           smaller N and shorter runs (about 2 minutes)
 *   npm run bench -- --only=fanout,stories,replay --servers=sourcedesk,yws,hocuspocus,relay,yws-leveldb
 *   npm run bench -- --out=results.md  also write the Markdown to a file
 *
 * Sections:
 *   fanout   one story, N clients, 10% typing 5 edits/s each: writer transaction → reader observe
 *            latency, updates lost, convergence, server CPU and peak RSS
 *   stories  many stories with two clients each, light typing: server memory per open story, p99
 *   replay   real editing traces through each server as fast as it takes them; then a new client's
 *            load time, warm, and cold after a restart for servers that keep documents
 * Results go to docs/benchmarks.md by hand, with the command and the machine.
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { SERVER_KINDS, SERVER_LABELS, type ServerKind } from './lib/protocol.ts';
import { fixed, machineDescription, mib, percentiles, table } from './lib/report.ts';
import { fanout, type LoadRun, manyStories } from './sections/fanout.ts';
import { type ReplayResult, replay } from './sections/replay.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    servers: { type: 'string' },
    out: { type: 'string' },
    threads: { type: 'string', default: '2' },
  },
});
const quick = values.quick;
const threads = Number(values.threads);
const sections = new Set((values.only ?? 'fanout,stories,replay').split(','));
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
      traces: ['sequential-friendsforever_flat'],
    }
  : {
      fanoutClients: [10, 50, 100, 200],
      fanoutSeconds: 20,
      stories: 1000,
      storyRate: 0.2,
      storySeconds: 20,
      storySettleMs: 3000,
      traces: [
        'sequential-seph-blog1',
        'sequential-automerge-paper',
        'concurrent-clownschool',
        'concurrent-friendsforever',
      ],
    };

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
          mib(run.peakRssBytes),
          generator(run.load),
          loadAverage(run.loadAverage),
        ];
      }),
    ),
  );
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
        'RSS MiB idle → connected → end',
        'RSS KiB per open story',
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
          `${mib(run.baseline.rss)} → ${mib(run.connected.rss)} → ${mib(run.end.rss)}`,
          perStory(run.end.rss - run.baseline.rss),
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
          'connect → synced ms',
          'connect → whole text ms',
          'text matches',
        ],
        cold.map((r) => [
          r.trace,
          label(r.kind),
          fixed((r.cold?.storedBytes ?? 0) / 1024, 0),
          fixed((r.cold?.encodedBytes ?? 0) / 1024, 0),
          fixed((r.cold?.diskBytes ?? 0) / 1024, 0),
          fixed(r.cold?.syncedMs ?? Number.NaN, 0),
          fixed(r.cold?.completeMs ?? Number.NaN, 0),
          String(r.cold?.textMatches),
        ]),
      ),
    );
  }
  for (const r of results) if (!r.equalsYjsAlone || r.cold?.textMatches === false) failures++;
}

print();
print(
  `Finished in ${((Date.now() - started.getTime()) / 60_000).toFixed(1)} min; load average at end: ${load()}; failures: ${failures}.`,
);
if (values.out !== undefined) writeFileSync(values.out, `${out.join('\n')}\n`);
// Exit even if a failed run left a handle behind (a client of a server that was stopped).
process.exit(failures > 0 ? 1 : 0);
