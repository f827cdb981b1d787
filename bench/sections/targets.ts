/**
 * Issue #8's targets, each a ratio against a peer or the raw relay measured in the same run:
 *
 * - fan-out p99 and server CPU per delivered update no worse than the reference server
 *   (@y/websocket-server) at every N; p99 within 1.5× of the raw relay; zero updates lost;
 * - a burst of single-edit updates absorbed (stored and delivered) in at most 1.5× the relay's time;
 * - memory per idle open story at least 2× smaller than the best peer's; rooms unload when empty;
 * - cold load after a restart within 2× of a bare `Y.applyUpdate` of the encoded state; stored
 *   bytes within 1.5× of the encoded state.
 */

import type { ServerKind } from '../lib/protocol.ts';
import { percentiles } from '../lib/report.ts';
import type { BurstResult } from './burst.ts';
import type { LoadRun } from './fanout.ts';
import type { IdleRun } from './idle.ts';
import type { ReplayResult } from './replay.ts';

export interface TargetInputs {
  fanout: LoadRun[];
  idle: IdleRun[];
  burst: BurstResult[];
  replay: ReplayResult[];
}

export interface TargetRow {
  target: string;
  sourcedesk: string;
  reference: string;
  ratio: string;
  verdict: string;
}

const PEERS: ServerKind[] = ['yws', 'hocuspocus'];
const NAMES: Partial<Record<ServerKind, string>> = {
  yws: 'y-websocket-server',
  hocuspocus: 'Hocuspocus',
  relay: 'relay',
};

/** "held" when `ratio` ≤ `bound`, else by how much the bound is exceeded. */
function verdict(ratio: number, bound: number): string {
  if (!Number.isFinite(ratio)) return 'n/a';
  if (ratio <= bound) return 'held';
  return `missed by ${((ratio / bound - 1) * 100).toFixed(0)}%`;
}

const times = (ratio: number) => (Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : 'n/a');

export function targetRows(inputs: TargetInputs): TargetRow[] {
  const rows: TargetRow[] = [];

  // Fan-out, per N.
  const byN = new Map<number, Map<ServerKind, LoadRun>>();
  for (const run of inputs.fanout) {
    const forN = byN.get(run.clients) ?? new Map<ServerKind, LoadRun>();
    forN.set(run.kind, run);
    byN.set(run.clients, forN);
  }
  const p99Ms = (run: LoadRun) => percentiles(run.load.latenciesUs).p99 / 1000;
  const cpuUs = (run: LoadRun) => (run.serverCpuSeconds * 1e6) / run.load.received;
  for (const [n, forN] of byN) {
    const ours = forN.get('sourcedesk');
    const yws = forN.get('yws');
    const relay = forN.get('relay');
    if (ours === undefined) continue;
    if (yws !== undefined) {
      const ratio = p99Ms(ours) / p99Ms(yws);
      rows.push({
        target: `Fan-out N=${n}: p99 ≤ reference server's`,
        sourcedesk: `${p99Ms(ours).toFixed(1)} ms`,
        reference: `y-websocket-server ${p99Ms(yws).toFixed(1)} ms`,
        ratio: times(ratio),
        verdict: verdict(ratio, 1),
      });
      const cpuRatio = cpuUs(ours) / cpuUs(yws);
      rows.push({
        target: `Fan-out N=${n}: server CPU per delivered update ≤ reference server's`,
        sourcedesk: `${cpuUs(ours).toFixed(1)} µs`,
        reference: `y-websocket-server ${cpuUs(yws).toFixed(1)} µs`,
        ratio: times(cpuRatio),
        verdict: verdict(cpuRatio, 1),
      });
    }
    if (relay !== undefined) {
      const ratio = p99Ms(ours) / p99Ms(relay);
      rows.push({
        target: `Fan-out N=${n}: p99 ≤ 1.5 × raw relay's`,
        sourcedesk: `${p99Ms(ours).toFixed(1)} ms`,
        reference: `relay ${p99Ms(relay).toFixed(1)} ms`,
        ratio: times(ratio),
        verdict: verdict(ratio, 1.5),
      });
    }
  }
  if (inputs.fanout.length > 0) {
    const lost = (kind: ServerKind) =>
      inputs.fanout
        .filter((run) => run.kind === kind)
        .reduce((sum, run) => sum + run.load.expected - run.load.received, 0);
    const others = [...new Set(inputs.fanout.map((run) => run.kind))].filter((kind) => kind !== 'sourcedesk');
    const ours = lost('sourcedesk');
    rows.push({
      target: 'Fan-out: zero updates lost (every N)',
      sourcedesk: `${ours} lost`,
      reference: others.map((kind) => `${NAMES[kind] ?? kind} ${lost(kind)}`).join(', '),
      ratio: '—',
      verdict: ours === 0 ? 'held' : `missed: ${ours} lost`,
    });
  }

  // Burst.
  const burstOurs = inputs.burst.find((run) => run.kind === 'sourcedesk');
  const burstRelay = inputs.burst.find((run) => run.kind === 'relay');
  if (burstOurs !== undefined && burstRelay !== undefined) {
    const ratio = burstOurs.absorbedMs / burstRelay.absorbedMs;
    rows.push({
      target: `Burst of ${burstOurs.edits} single-edit updates absorbed (stored and delivered) ≤ 1.5 × relay's time`,
      sourcedesk: `${(burstOurs.absorbedMs / 1000).toFixed(2)} s`,
      reference: `relay ${(burstRelay.absorbedMs / 1000).toFixed(2)} s`,
      ratio: times(ratio),
      verdict: verdict(ratio, 1.5),
    });
  }

  // Idle memory and unloading.
  const idleOurs = inputs.idle.find((run) => run.kind === 'sourcedesk');
  const idlePeers = inputs.idle.filter((run) => PEERS.includes(run.kind));
  if (idleOurs !== undefined && idlePeers.length > 0) {
    const measures: [string, (run: IdleRun) => number][] = [
      [
        "RSS outside V8's young generation",
        (run) => (run.open.rss - run.open.youngBytes - run.baseline.rss + run.baseline.youngBytes) / 1024 / run.stories,
      ],
      [
        'JS heap + external',
        (run) =>
          (run.open.heapUsed + run.open.external - run.baseline.heapUsed - run.baseline.external) / 1024 / run.stories,
      ],
    ];
    for (const [what, perStory] of measures) {
      // A figure at or below zero means the process gave back more than the stories took (noise).
      const measurable = idlePeers.filter((run) => perStory(run) > 0);
      const best = measurable.reduce<IdleRun | null>((a, b) => (a === null || perStory(b) < perStory(a) ? b : a), null);
      const ours = perStory(idleOurs);
      const ratio = best === null || ours <= 0 ? Number.NaN : ours / perStory(best);
      rows.push({
        target: `Memory per idle open story (${what}) ≤ ½ of the best peer's`,
        sourcedesk: `${ours.toFixed(1)} KiB`,
        reference:
          best === null
            ? 'no peer figure above zero'
            : `${NAMES[best.kind] ?? best.kind} ${perStory(best).toFixed(1)} KiB`,
        ratio: times(ratio),
        verdict: Number.isFinite(ratio) ? verdict(ratio, 0.5) : 'not measurable in this run (a figure ≤ 0)',
      });
    }
    rows.push({
      target: 'Rooms unload when their clients have left',
      sourcedesk: `${idleOurs.roomsOpen} → ${idleOurs.roomsAfterLeave} rooms${idleOurs.unloadMs === null ? '' : ` in ${(idleOurs.unloadMs / 1000).toFixed(1)} s`}`,
      reference: idlePeers
        .map((run) => `${NAMES[run.kind] ?? run.kind} ${run.roomsOpen} → ${run.roomsAfterLeave}`)
        .join(', '),
      ratio: '—',
      verdict: idleOurs.roomsAfterLeave === 0 ? 'held' : `missed: ${idleOurs.roomsAfterLeave} still held`,
    });
  }

  // Cold load.
  for (const result of inputs.replay) {
    const cold = result.cold;
    if (result.kind !== 'sourcedesk' || cold === null || cold.bareApplyServerMs === null) continue;
    const bare = cold.bareApplyServerMs;
    const loads: [string, number | null][] = [
      ['first client after restart', Math.max(cold.syncedMs, cold.completeMs)],
      ['reopened after unload (same process, code warm)', cold.reopenedMs],
    ];
    for (const [when, loadMs] of loads) {
      if (loadMs === null) continue;
      const ratio = loadMs / bare;
      rows.push({
        target: `Cold load of ${result.trace} (${result.transactions} edits), ${when}: connect → synced ≤ 2 × bare applyUpdate`,
        sourcedesk: `${loadMs.toFixed(0)} ms`,
        reference: `bare Y.applyUpdate ${bare.toFixed(1)} ms`,
        ratio: times(ratio),
        verdict: verdict(ratio, 2),
      });
    }
    const bytes = cold.storedBytes / cold.encodedBytes;
    rows.push({
      target: `Cold load of ${result.trace}: stored bytes ≤ 1.5 × encoded state`,
      sourcedesk: `${(cold.storedBytes / 1024).toFixed(0)} KiB`,
      reference: `encodeStateAsUpdate ${(cold.encodedBytes / 1024).toFixed(0)} KiB`,
      ratio: times(bytes),
      verdict: verdict(bytes, 1.5),
    });
  }
  return rows;
}
