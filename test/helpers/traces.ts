/**
 * Real editing traces (../shared/data/editing-traces) turned into Yjs updates, one per recorded
 * transaction, each with the state it depends on, so that live clients can replay them through the
 * server in their real causal order. Used by tests and benchmarks.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import * as Y from 'yjs';

type Patch = [position: number, deleteCount: number, insert: string];

export interface Trace {
  endContent: string;
  txns: { patches: Patch[]; agent?: number; parents?: number[] }[];
}

export const TRACE_DIR = fileURLToPath(new URL('../../../shared/data/editing-traces/', import.meta.url));

export function loadTrace(name: string): Trace {
  return JSON.parse(gunzipSync(readFileSync(`${TRACE_DIR}${name}.json.gz`)).toString('utf8')) as Trace;
}

/** One recorded transaction as a Yjs update, made by the agent that typed it. */
export interface TraceStep {
  agent: number;
  update: Uint8Array;
  /** The state (client → clock) the update's positions were computed against. */
  needs: Map<number, number>;
}

/**
 * Replays a trace on one local Yjs fork per agent, starting from `base` (a document whose
 * `textOf(doc)` is the text to type into). Each fork sees exactly the transactions its next one
 * depends on (`parents`), as its author did. Sequential traces have a single agent.
 */
export function traceToSteps(trace: Trace, base: Uint8Array, textOf: (doc: Y.Doc) => Y.XmlText | Y.Text): TraceStep[] {
  const agents = Math.max(...trace.txns.map((txn) => txn.agent ?? 0)) + 1;
  const forks = Array.from({ length: agents }, () => {
    const doc = new Y.Doc({ gc: false });
    Y.applyUpdate(doc, base);
    return doc;
  });
  // Per agent, the indexes of its transactions; per fork, how many of each agent's it has applied.
  const byAgent: number[][] = Array.from({ length: agents }, () => []);
  const applied: number[][] = forks.map(() => new Array<number>(agents).fill(0));
  // version[i][b]: how many of agent b's transactions transaction i depends on (itself included).
  const version: number[][] = [];
  const steps: TraceStep[] = [];
  trace.txns.forEach((txn, index) => {
    const agent = txn.agent ?? 0;
    const parents = txn.parents ?? (index === 0 ? [] : [index - 1]);
    const needs = new Array<number>(agents).fill(0);
    for (const parent of parents) {
      const parentVersion = version[parent];
      if (!parentVersion) throw new RangeError(`transaction ${index} depends on a later one`);
      parentVersion.forEach((count, b) => {
        needs[b] = Math.max(needs[b] ?? 0, count);
      });
    }
    const fork = forks[agent] as Y.Doc;
    const forkApplied = applied[agent] as number[];
    for (let b = 0; b < agents; b++) {
      while ((forkApplied[b] ?? 0) < (needs[b] ?? 0)) {
        const other = byAgent[b]?.[forkApplied[b] ?? 0];
        const step = other === undefined ? undefined : steps[other];
        if (!step) throw new RangeError(`missing transaction of agent ${b}`);
        Y.applyUpdate(fork, step.update);
        forkApplied[b] = (forkApplied[b] ?? 0) + 1;
      }
    }
    const state = Y.decodeStateVector(Y.encodeStateVector(fork));
    let update: Uint8Array | null = null;
    const capture = (made: Uint8Array) => {
      update = made;
    };
    fork.on('update', capture);
    fork.transact(() => {
      const text = textOf(fork);
      for (const [position, deleteCount, insert] of txn.patches) {
        if (deleteCount > 0) text.delete(position, deleteCount);
        if (insert.length > 0) text.insert(position, insert);
      }
    });
    fork.off('update', capture);
    if (update === null) throw new RangeError(`transaction ${index} changed nothing`);
    forkApplied[agent] = (forkApplied[agent] ?? 0) + 1;
    needs[agent] = forkApplied[agent] ?? 0;
    version.push(needs);
    byAgent[agent]?.push(index);
    steps.push({ agent, update, needs: state });
  });
  for (const fork of forks) fork.destroy();
  return steps;
}

/** Whether `doc` holds everything `needs` describes. */
export function hasState(doc: Y.Doc, needs: Map<number, number>): boolean {
  for (const [client, clock] of needs) if (Y.getState(doc.store, client) < clock) return false;
  return true;
}
