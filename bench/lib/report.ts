/** Percentiles, Markdown tables and the machine description for benchmark output. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, totalmem } from 'node:os';

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  count: number;
}

/** Percentiles of `values` (sorted in place), in the values' unit. */
export function percentiles(values: Float64Array): Percentiles {
  values.sort();
  const at = (q: number) =>
    values.length === 0
      ? Number.NaN
      : (values[Math.min(values.length - 1, Math.floor(q * values.length))] ?? Number.NaN);
  return {
    p50: at(0.5),
    p95: at(0.95),
    p99: at(0.99),
    max: values[values.length - 1] ?? Number.NaN,
    count: values.length,
  };
}

export function table(headers: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

export function fixed(value: number, digits = 1): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

export function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}

const require = createRequire(import.meta.url);

function versionOf(name: string): string {
  try {
    const file = new URL(`../../node_modules/${name}/package.json`, import.meta.url);
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

/** What the results were measured on and with. */
export function machineDescription(): string {
  const model = cpus()[0]?.model ?? '?';
  let nproc = String(cpus().length);
  try {
    nproc = execFileSync('nproc', { encoding: 'utf8' }).trim();
  } catch {
    // cpus() is close enough
  }
  let sqlite = '?';
  try {
    const Database = require('better-sqlite3') as new (
      file: string,
    ) => {
      prepare(sql: string): { pluck(): { get(): string } };
      close(): void;
    };
    const db = new Database(':memory:');
    sqlite = db.prepare('select sqlite_version()').pluck().get();
    db.close();
  } catch {
    // not needed for the peers
  }
  let kernel = '?';
  try {
    kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  } catch {
    // not Linux
  }
  const packages = [
    'yjs',
    'y-websocket',
    '@y/websocket-server',
    '@hocuspocus/server',
    '@hocuspocus/provider',
    'ws',
    'fastify',
    'better-sqlite3',
  ];
  return [
    `Machine: ${nproc} cores (${model}), ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, Linux ${kernel}, Node ${process.version}, SQLite ${sqlite}.`,
    `Packages: ${packages.map((name) => `${name} ${versionOf(name)}`).join(', ')}.`,
  ].join('\n');
}
