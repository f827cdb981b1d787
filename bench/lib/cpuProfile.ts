/**
 * A text summary of a V8 `.cpuprofile` (written by `node --cpu-prof`): self time per function and
 * per file, optionally only over a window of the process's life (the measured part of a row, not
 * start-up). Timestamps in a profile are µs of the monotonic clock, the same clock as
 * `process.hrtime` in any process of this machine, so the bench marks windows with `nowUs()`.
 *
 *   npx tsx bench/lib/cpuProfile.ts FILE.cpuprofile [--top=20]     summary of a whole profile
 *
 * `npm run bench -- --profile=DIR` profiles every server child and prints these summaries, each
 * over its row's measured span.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

/** The parts of the `.cpuprofile` format (Chrome DevTools protocol `Profiler.Profile`) used here. */
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  name: string;
  selfMs: number;
  /** Share of the busy (non-idle) time in the window. */
  share: number;
}

export interface ProfileSummary {
  /** Sampled span, ms. */
  windowMs: number;
  /** Time the thread was busy (not `(idle)`), ms. */
  busyMs: number;
  functions: ProfileEntry[];
  files: ProfileEntry[];
  /** Self time by package (`node_modules/<name>`), project folder, Node internals or V8's own. */
  groups: ProfileEntry[];
  /** The project's own functions (server/, shared/) by total time: their own and what they call. */
  projectTotals: ProfileEntry[];
}

/** Monotonic µs, the clock of `.cpuprofile` timestamps. */
export const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

/** A short name for a script URL: project-relative, or from `node_modules/`, or `node:...`. */
function shortUrl(url: string): string {
  if (url === '') return '';
  let path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const modules = path.lastIndexOf('node_modules/');
  if (modules >= 0) return path.slice(modules);
  if (path.startsWith(projectRoot)) path = path.slice(projectRoot.length);
  return path;
}

/** What a file belongs to: a package, a folder of the project, Node itself or V8's bookkeeping. */
function groupOf(frame: CallFrame): string {
  const url = shortUrl(frame.url);
  if (url === '') {
    // V8's pseudo-frames ((garbage collector), (program)) and native functions without a script.
    return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  }
  if (url.startsWith('node:')) return 'node: internals';
  const modules = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules) return modules[1] as string;
  const [first, second] = url.split('/');
  return second === undefined ? (first ?? url) : `${first}/${second.includes('.') ? '' : second}`.replace(/\/$/, '');
}

function top(map: Map<string, number>, busyMs: number, count: number): ProfileEntry[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, us]) => ({ name, selfMs: us / 1000, share: busyMs > 0 ? us / 1000 / busyMs : 0 }));
}

/** Self time per function, file and group, over samples taken in `[fromUs, toUs]` (default: all). */
export function summarizeProfile(
  profile: CpuProfile,
  options: { fromUs?: number; toUs?: number; top?: number } = {},
): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, ProfileNode>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node);
  /** An anonymous function is named after the nearest named function that called it. */
  const nameOf = (node: ProfileNode): string => {
    if (node.callFrame.functionName !== '') return node.callFrame.functionName;
    for (let up = parentOf.get(node.id); up !== undefined; up = parentOf.get(up.id)) {
      const name = up.callFrame.functionName;
      if (name !== '' && !name.startsWith('(')) return `(anonymous in ${name})`;
    }
    return '(anonymous)';
  };
  const from = options.fromUs ?? Number.NEGATIVE_INFINITY;
  const to = options.toUs ?? Number.POSITIVE_INFINITY;
  const count = options.top ?? 15;
  const functions = new Map<string, number>();
  const files = new Map<string, number>();
  const groups = new Map<string, number>();
  const projectTotals = new Map<string, number>();
  /** Per node: the project functions on its stack (each once), computed on first use. */
  const projectStack = new Map<number, string[]>();
  const projectFunctionsOn = (node: ProfileNode): string[] => {
    const known = projectStack.get(node.id);
    if (known !== undefined) return known;
    const parent = parentOf.get(node.id);
    const above = parent === undefined ? [] : projectFunctionsOn(parent);
    const url = shortUrl(node.callFrame.url);
    const own = /^(server|shared)\//.test(url) ? `${nameOf(node)} ${url}` : null;
    const list = own === null || above.includes(own) ? above : [...above, own];
    projectStack.set(node.id, list);
    return list;
  };
  let windowUs = 0;
  let idleUs = 0;
  let time = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    time += profile.timeDeltas[i] ?? 0;
    // A sample stands for the time until the next one.
    const span = profile.timeDeltas[i + 1] ?? 0;
    if (time < from || time > to) continue;
    const node = byId.get(profile.samples[i] as number);
    if (node === undefined) continue;
    windowUs += span;
    const frame = node.callFrame;
    if (frame.functionName === '(idle)') {
      idleUs += span;
      continue;
    }
    const url = shortUrl(frame.url);
    const where = url === '' ? '' : ` ${url}:${frame.lineNumber + 1}`;
    const fn = `${nameOf(node)}${where}`;
    functions.set(fn, (functions.get(fn) ?? 0) + span);
    const file = url === '' ? frame.functionName || '(native)' : url;
    files.set(file, (files.get(file) ?? 0) + span);
    const group = groupOf(frame);
    groups.set(group, (groups.get(group) ?? 0) + span);
    for (const fn of projectFunctionsOn(node)) projectTotals.set(fn, (projectTotals.get(fn) ?? 0) + span);
  }
  const busyMs = (windowUs - idleUs) / 1000;
  return {
    windowMs: windowUs / 1000,
    busyMs,
    functions: top(functions, busyMs, count),
    files: top(files, busyMs, count),
    groups: top(groups, busyMs, count),
    projectTotals: top(projectTotals, busyMs, count),
  };
}

/** The summary as plain text (a fenced block in the Markdown report). */
export function formatSummary(title: string, summary: ProfileSummary): string {
  const rows = (entries: ProfileEntry[]) =>
    entries.map(
      (entry) =>
        `  ${entry.selfMs.toFixed(0).padStart(7)} ms ${(entry.share * 100).toFixed(1).padStart(5)}%  ${entry.name}`,
    );
  return [
    `${title}: ${summary.windowMs.toFixed(0)} ms sampled, ${summary.busyMs.toFixed(0)} ms busy (self time; % of busy)`,
    'by package or folder:',
    ...rows(summary.groups),
    'by file:',
    ...rows(summary.files),
    'by function:',
    ...rows(summary.functions),
    "the project's functions by total time (their own and what they call):",
    ...rows(summary.projectTotals),
  ].join('\n');
}

export function readProfile(file: string): CpuProfile {
  return JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2];
  if (file === undefined) {
    process.stderr.write('usage: tsx bench/lib/cpuProfile.ts FILE.cpuprofile [--top=20]\n');
    process.exit(2);
  }
  const topArg = process.argv.find((arg) => arg.startsWith('--top='));
  const summary = summarizeProfile(readProfile(file), { top: topArg ? Number(topArg.slice(6)) : 20 });
  process.stdout.write(`${formatSummary(file, summary)}\n`);
}
