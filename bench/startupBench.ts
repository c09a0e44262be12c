/**
 * Start-up: from spawning the built app (as `npm start` runs it, build excluded) until GET
 * /healthz answers 200, with embedded storage (a fresh DATA_DIR) and with the external Azurite.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePort, processMemory, spawnApp } from '../test/support/processes';
import { progress, round, sleep } from './stats';

const RUNS = 3;

export interface StartupFigures {
  embeddedMs: number[];
  externalMs: number[];
  embeddedMedianMs: number;
  externalMedianMs: number;
  /** Resident memory of an idle embedded-storage server just after start (its Azurite included). */
  embeddedIdleRssMiB: number;
  externalIdleRssMiB: number;
}

export async function benchStartup(storage: string): Promise<StartupFigures> {
  progress(`start-up: ${RUNS} × embedded storage, ${RUNS} × external Azurite, until /healthz answers`);
  const embedded: Array<{ ms: number; rssMiB: number }> = [];
  const external: Array<{ ms: number; rssMiB: number }> = [];
  for (let i = 0; i < RUNS; i++) {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'bench-start-'));
    try {
      embedded.push(await timeToHealthy({ DATA_DIR: dataDir }));
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
    external.push(await timeToHealthy({ AZURE_TABLES_CONNECTION_STRING: storage, TABLE_PREFIX: `bstart${process.pid}n${i}` }));
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
  return {
    embeddedMs: embedded.map((r) => r.ms),
    externalMs: external.map((r) => r.ms),
    embeddedMedianMs: median(embedded.map((r) => r.ms)),
    externalMedianMs: median(external.map((r) => r.ms)),
    embeddedIdleRssMiB: median(embedded.map((r) => r.rssMiB)),
    externalIdleRssMiB: median(external.map((r) => r.rssMiB)),
  };
}

async function timeToHealthy(env: Record<string, string>): Promise<{ ms: number; rssMiB: number }> {
  const port = await freePort();
  const start = performance.now();
  const { child, output, exited } = spawnApp({ ...env, PORT: String(port) });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the app exited before /healthz answered:\n${output.join('\n')}`);
      const healthy = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status === 200, () => false);
      if (healthy) break;
      if (performance.now() - start > 30_000) throw new Error('no /healthz after 30 s');
      await sleep(5);
    }
    const ms = round(performance.now() - start, 0);
    await sleep(1000); // settled, idle
    return { ms, rssMiB: processMemory(child.pid ?? 0).rssMiB };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}
