/** Small measuring helpers for the bench: latency percentiles, a worker pool, progress lines. */
import { performance } from 'node:perf_hooks';

export interface Latency {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentiles of millisecond samples, rounded to 0.1 ms. */
export function latency(samples: number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  const at = (p: number) => round(sorted[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))] ?? 0);
  return { n, p50: at(50), p95: at(95), p99: at(99), max: round(sorted[n - 1] ?? 0), mean: round(sorted.reduce((a, b) => a + b, 0) / Math.max(1, n)) };
}

export const round = (value: number, digits = 1): number => Number(value.toFixed(digits));

/** Times one async call in milliseconds. */
export async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await work();
  return { ms: performance.now() - start, value };
}

/** Runs `work` over `items` with at most `concurrency` calls in flight, in order of the items. */
export async function pool<T, R>(items: T[], concurrency: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i] as T, i);
    }
  });
  await Promise.all(lanes);
  return results;
}

/** `lanes` callers, each doing `perLane` calls one after another; wall time and every call's latency. */
export async function closedLoop(lanes: number, perLane: number, call: (lane: number, i: number) => Promise<void>): Promise<{ wallMs: number; samples: number[] }> {
  const samples: number[] = [];
  const start = performance.now();
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      for (let i = 0; i < perLane; i++) samples.push((await timed(() => call(lane, i))).ms);
    }),
  );
  return { wallMs: performance.now() - start, samples };
}

const started = performance.now();
/** Progress goes to stderr; the table alone goes to stdout. */
export function progress(message: string): void {
  process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${message}\n`);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The process's monotonic clock in µs: the same clock V8 stamps CPU-profile samples with. */
export const monotonicMicros = (): number => Number(process.hrtime.bigint() / 1000n);

