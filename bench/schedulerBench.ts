/**
 * Stored leads: the server's memory with 10,000 leads stored, and a scheduler pass (run in this
 * process, with a clock the bench sets) over 10,000 and over 1,000 stored leads of which exactly
 * 50 are due, counting what the pass reads with a pipeline policy on its TableClients.
 *
 * How exactly 50 fall due: an open lead has due rows at its reminders (72 h and 24 h before expiry),
 * its expiry, and its next "time left" refresh, which falls at its expiry's time of day within the
 * next 24 hours. The 50 expire at T0 + 10 days 30 minutes, so their refresh row is at T0 + 30 min.
 * The others expire over days 3 to 13, at times of day 1 to 23 hours after T0's: none of their
 * rows comes within an hour of T0 (and their rows spread over many hour buckets, as leads that
 * arrive over two weeks do). A first pass at T0 settles everything up to T0; the measured pass
 * runs at T0 + 45 min.
 */
import { referral } from '../test/fixtures/referrals';
import { FakeClock } from '../test/support/app';
import { testConfig } from '../test/support/settings';
import { ingestReferrals } from '../services/partnerCenter/referrals/intake';
import { LeadsApp } from '../services/app/leadsApp';
import { silentLogger } from '../services/logger';
import type { Referral } from '../services/partnerCenter/referrals/referral';
import { checkLayout, ensureTables, openTables } from '../services/storage/tables';
import { message, channel } from '../test/support/teamsActivities';
import { admins } from '../test/support/liveWorld';
import { startLiveApp } from '../test/support/liveApp';
import { seedLeads } from './seedLeads';
import { StorageCounter, type StorageCount } from './storageCounter';
import { latency, pool, progress, round, timed, type Latency } from './stats';
import { StatsStore } from '../services/storage/statsStore';
import { readInsights } from '../services/useCases/readInsights';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
export const DUE = 50;

/** `n` referrals of which the last DUE have a due row between T0 and T0 + 45 min, and no others do. */
export function schedulerReferrals(n: number, t0: number, tag: string): Referral[] {
  return Array.from({ length: n }, (_, i) => {
    const expires = i >= n - DUE ? t0 + 10 * DAY_MS + 30 * 60_000 : t0 + (3 + (i % 11)) * DAY_MS + (1 + ((i * 7) % 22)) * HOUR_MS + (i % 60) * 60_000;
    return referral({
      id: `${tag}-${i}`,
      name: `Stored lead ${i}`,
      createdDateTime: new Date(expires - 14 * DAY_MS).toISOString(),
      expirationDateTime: new Date(expires).toISOString(),
    });
  });
}

export interface StoredFigures {
  leads: number;
  seedSeconds: number;
  /** What the server did with them before its memory was read. */
  served: string;
  rssMiB: number;
  peakRssMiB: number;
}

/** Stores `n` leads under a new prefix (seedLeads.ts); the 50 due ones through the product's own path. */
export async function seedSchedulerLeads(storage: string, n: number, t0: number, tag: string): Promise<{ prefix: string; ids: string[] }> {
  const prefix = `${tag}${process.pid}`;
  const tables = openTables(storage, prefix);
  await ensureTables(tables);
  // Marked as the server would mark new storage, which it is then started on (benchStoredLeads).
  await checkLayout(tables, 'TABLE_PREFIX');
  const now = new Date(t0 - 5 * 60_000);
  const referrals = schedulerReferrals(n, t0, tag);
  const app = new LeadsApp({ tables, settings: testConfig(), log: silentLogger, now: () => now });
  const due = referrals.slice(n - DUE);
  await ingestReferrals(due, { leads: app.leads, now: () => now, responseDays: testConfig().LEAD_RESPONSE_DAYS });
  await pool(due, 8, (r) => app.projector.project(r.id));
  await seedLeads(tables, referrals.slice(0, n - DUE), now);
  return { prefix, ids: referrals.map((r) => r.id) };
}

/** The server over 10,000 stored leads: it reads 1,000 of them and lists a few pages, then its memory is read. */
export async function benchStoredLeads(storage: string, stored: { prefix: string; ids: string[] }, seedSeconds: number): Promise<StoredFigures> {
  const { prefix, ids } = stored;
  const n = ids.length;
  const user = admins(1)[0]!;
  const server = await startLiveApp({ storage, prefix, env: { SCHEDULER_INTERVAL_SECONDS: '3600', LEAD_ADMIN_IDS: user.aadObjectId } });
  try {
    progress(`memory: the server over ${n} stored leads reads 1,000 of them (with history) and lists 20 pages`);
    const place = channel('19:bench-memory@thread.tacv2');
    await server.install([place], user);
    await pool(ids.filter((_, i) => i % Math.floor(n / 1000) === 0).slice(0, 1000), 8, async (id) => {
      const answer = await server.lead(id);
      if (answer.status !== 200) throw new Error(`GET /api/leads/${id} answered ${answer.status}`);
    });
    for (let i = 0; i < 20; i++) await server.teams(message(place, user, 'marketplace', server.connector.url));
    await server.settled();
    const memory = server.memory();
    return { leads: n, seedSeconds, served: '1,000 GETs with history, 20 list pages', rssMiB: memory.rssMiB, peakRssMiB: memory.peakMiB };
  } finally {
    // Gracefully: the scheduler lease is handed over for the pass below.
    await server.stop();
  }
}

export interface PassFigures {
  stored: number;
  due: number;
  handled: number;
  ms: number;
  requests: number;
  entitiesRead: number;
  byTable: StorageCount['byTable'];
}

/** The first pass at T0 (settles everything before), then the measured pass at T0 + 45 min. */
export async function schedulerPass(storage: string, prefix: string, stored: number, t0: number): Promise<PassFigures> {
  const counter = new StorageCounter(prefix);
  const tables = openTables(storage, prefix, { additionalPolicies: [counter.policy()] });
  const clock = new FakeClock(t0);
  const app = new LeadsApp({ tables, settings: testConfig(), log: silentLogger, now: clock.now });
  const first = await app.scheduler.runOnce();
  if (!first.ran) throw new Error('the scheduler lease was not free');
  clock.set(new Date(t0 + 45 * 60_000));
  counter.reset();
  const { ms, value } = await timed(() => app.scheduler.runOnce());
  const count = counter.snapshot();
  if (!value.ran) throw new Error('the measured scheduler pass did not run');
  const dueRows = count.byTable.DueIndex?.entitiesRead ?? 0;
  return { stored, due: DUE, handled: dueRows, ms: round(ms, 0), requests: count.requests, entitiesRead: count.entitiesRead, byTable: count.byTable };
}

export interface InsightsFigures {
  stored: number;
  rowsRead: number;
  requests: number;
  latency: Latency;
}

/** `insights 90d` over the stored leads, as the command reads it: rows read and latency, 50 times. */
export async function insightsRead(storage: string, prefix: string, stored: number, t0: number): Promise<InsightsFigures> {
  const counter = new StorageCounter(prefix);
  const tables = openTables(storage, prefix, { additionalPolicies: [counter.policy()] });
  const stats = new StatsStore(tables.Stats);
  const now = () => new Date(t0);
  await readInsights('90d', { stats, now });
  counter.reset();
  await readInsights('90d', { stats, now });
  const one = counter.snapshot();
  const samples: number[] = [];
  for (let i = 0; i < 50; i++) samples.push((await timed(() => readInsights('90d', { stats, now }))).ms);
  return { stored, rowsRead: one.entitiesRead, requests: one.requests, latency: latency(samples) };
}
