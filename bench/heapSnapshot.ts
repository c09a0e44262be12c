/**
 * What the server holds in its heap: a V8 heap snapshot (written by `node --heapsnapshot-signal`
 * on SIGUSR2) summed by constructor (self size), beside the process's memory figures.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { round } from './stats';

export interface HeapSummary {
  file: string;
  totalMiB: number;
  nodes: number;
  byConstructor: Array<{ name: string; count: number; MiB: number }>;
}

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

/** Sends SIGUSR2 and waits for the snapshot the process writes into `dir` (its working directory). */
export async function takeHeapSnapshot(pid: number, dir: string, timeoutMs = 120_000): Promise<string> {
  const before = new Set(readdirSync(dir).filter((f) => f.endsWith('.heapsnapshot')));
  process.kill(pid, 'SIGUSR2');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const fresh = readdirSync(dir).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    // Written whole when it parses (a snapshot is one JSON document).
    if (fresh && complete(path.join(dir, fresh))) return path.join(dir, fresh);
    if (Date.now() > deadline) throw new Error('no heap snapshot was written');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

function complete(file: string): boolean {
  if (!existsSync(file) || statSync(file).size === 0) return false;
  try {
    JSON.parse(readFileSync(file, 'utf8'));
    return true;
  } catch {
    return false;
  }
}

/** Self sizes summed by what V8 calls each node (the constructor, or the kind for strings, code, arrays). */
export function summarizeHeap(file: string, top = 25): HeapSummary {
  const heap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = heap.snapshot.meta.node_fields;
  const types = heap.snapshot.meta.node_types[0];
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [number, number, number];
  const sums = new Map<string, { count: number; bytes: number }>();
  let total = 0;
  for (let i = 0; i < heap.nodes.length; i += width) {
    const type = types[heap.nodes[i + typeAt]!] ?? 'unknown';
    const bytes = heap.nodes[i + sizeAt]!;
    const name = type === 'object' || type === 'closure' ? heap.strings[heap.nodes[i + nameAt]!] ?? '?' : `(${type})`;
    const key = type === 'closure' ? `${name}()` : name;
    const sum = sums.get(key) ?? { count: 0, bytes: 0 };
    sum.count++;
    sum.bytes += bytes;
    sums.set(key, sum);
    total += bytes;
  }
  const byConstructor = [...sums.entries()]
    .sort((a, b) => b[1].bytes - a[1].bytes)
    .slice(0, top)
    .map(([name, { count, bytes }]) => ({ name, count, MiB: round(bytes / 2 ** 20, 2) }));
  return { file, totalMiB: round(total / 2 ** 20, 1), nodes: heap.nodes.length / width, byConstructor };
}
