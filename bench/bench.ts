/**
 * `npm run bench`: speed and memory of the hot paths — card rendering, the lifecycle, ingestion
 * and an Accept against a real (in-process, in-memory) Azurite. Prints a table; bounded in time.
 */
import { performance } from 'node:perf_hooks';
import { renderLeadCard } from '../cards';
import { loadConfig } from '../services/config';
import { startEmbeddedAzurite } from '../services/embeddedAzurite';
import { leadFromReferral } from '../services/leadFromReferral';
import { transition } from '../services/leadLifecycle';
import { LeadsApp } from '../services/leadsApp';
import { silentLogger } from '../services/logger';
import { ensureTables, openTables } from '../services/tables';
import { demoReferrals } from '../scripts/demoSeed';

const rows: Array<[string, string]> = [];
const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))] ?? 0;

function timeSync(label: string, n: number, work: (i: number) => void): void {
  for (let i = 0; i < Math.min(200, n); i++) work(i); // warm up
  const start = performance.now();
  for (let i = 0; i < n; i++) work(i);
  rows.push([label, `${(((performance.now() - start) / n) * 1000).toFixed(1)} µs/op (n=${n})`]);
}

async function main(): Promise<void> {
  const now = new Date();
  const referral = demoReferrals(now).referrals[0]!;
  const lead = leadFromReferral(referral, { now, responseDays: 14 });
  const admin = { kind: 'user' as const, id: 'bench-admin', name: 'Bench Admin', canManage: true };
  const deal = { name: 'Bench deal', value: 1000, currency: 'USD', purchaseDate: '2027-01-01' };

  timeSync('render lead card (view)', 5000, () => renderLeadCard(lead, { locale: 'en', now, flameWindowHours: 72 }));
  timeSync('render lead card (Accept form, de)', 5000, () => renderLeadCard(lead, { locale: 'de', now, flameWindowHours: 72, mode: 'accept' }));
  timeSync('lifecycle transition (accept)', 20000, () => transition(lead, { kind: 'accept', deal }, admin, now));

  const azurite = await startEmbeddedAzurite({ inMemory: true });
  const tables = openTables(azurite.connectionString, 'bench');
  await ensureTables(tables);
  const app = new LeadsApp({ tables, settings: loadConfig({ LOG_LEVEL: 'silent' }), log: silentLogger });
  // With --expose-gc (npm run bench passes it) the heap figures are live data, not GC timing.
  const settledHeap = () => {
    (globalThis as { gc?: () => void }).gc?.();
    return process.memoryUsage().heapUsed;
  };
  const heapBefore = settledHeap();

  const batches = 10;
  const perBatch = 50;
  const batchTimes: number[] = [];
  const start = performance.now();
  for (let b = 0; b < batches; b++) {
    const batch = Array.from({ length: perBatch }, (_, i) => ({ ...referral, id: `bench-${b}-${i}` }));
    const t = performance.now();
    await app.ingest(batch);
    batchTimes.push(performance.now() - t);
  }
  const total = batches * perBatch;
  rows.push(['ingest (Azurite, batches of 50)', `${((total / (performance.now() - start)) * 1000).toFixed(0)} leads/s; batch p50 ${percentile(batchTimes, 50).toFixed(0)} ms, p95 ${percentile(batchTimes, 95).toFixed(0)} ms`]);
  await app.settle();

  const acceptTimes: number[] = [];
  for (let i = 0; i < 100; i++) {
    const t = performance.now();
    await app.act(`bench-${Math.floor(i / perBatch)}-${i % perBatch}`, { kind: 'accept', deal }, admin);
    acceptTimes.push(performance.now() - t);
  }
  rows.push(['accept (read + ETag transaction)', `p50 ${percentile(acceptTimes, 50).toFixed(1)} ms, p95 ${percentile(acceptTimes, 95).toFixed(1)} ms (n=100)`]);

  const pageTimes: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t = performance.now();
    await app.views.page('marketplace', { size: 10 });
    pageTimes.push(performance.now() - t);
  }
  rows.push(['list page of 10 (500 leads stored)', `p50 ${percentile(pageTimes, 50).toFixed(1)} ms, p95 ${percentile(pageTimes, 95).toFixed(1)} ms`]);
  rows.push(['live heap growth after 500 leads', `${((settledHeap() - heapBefore) / 1024 / 1024).toFixed(1)} MiB (rss ${(process.memoryUsage().rss / 1024 / 1024).toFixed(0)} MiB)`]);
  await app.stop();
  await azurite.close();

  const width = Math.max(...rows.map(([label]) => label.length));
  for (const [label, value] of rows) console.log(`${label.padEnd(width)}  ${value}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
