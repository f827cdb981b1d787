/** Event-loop delay of the calling thread, as `perf_hooks` measures it. */
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import type { LoopStats } from './protocol.ts';

const RESOLUTION_MS = 5;

/** A histogram of this thread's event-loop delay (enable it to start). */
export function loopMonitor(): IntervalHistogram {
  return monitorEventLoopDelay({ resolution: RESOLUTION_MS });
}

/**
 * The histogram records the time between its timer's firings, which is the sampling interval plus
 * the delay; the interval is taken off so an idle loop reads ~0.
 */
export function loopStats(histogram: IntervalHistogram): LoopStats {
  const ms = (ns: number) => Math.max(0, ns / 1e6 - RESOLUTION_MS);
  return { p50Ms: ms(histogram.percentile(50)), p99Ms: ms(histogram.percentile(99)), maxMs: ms(histogram.max) };
}
