/**
 * What the server asks of storage for one ingested lead and for one Accept: every request through
 * a recording proxy, split into those made while the HTTP request was open and those made after
 * (projection, sending), until the server is idle again. Not timed.
 */
import { performance } from 'node:perf_hooks';
import { referral } from '../test/fixtures/referrals';
import { acceptForm, channel, execute } from '../test/support/teamsActivities';
import { admins } from '../test/support/liveWorld';
import { startLiveApp } from '../test/support/liveApp';
import { pool, progress, round, sleep } from './stats';
import { StorageTrace } from './storageTrace';

/** Long enough to see each background timer (5 s sweep and poll, a lease renewed every 7.5 s) twice or so. */
const IDLE_SECONDS = 15;

export interface RoundTrips {
  during: string[];
  after: string[];
  /**
   * Requests in the same window that the idle server makes on its own too (its timers: the
   * outbox poll, the projection sweep, the sender lease's renewal), listed apart: they are not
   * the lead's, and land in its window or not by chance.
   */
  background: string[];
}

/** A burst counted at the storage endpoint until the server was idle again, its idle rate subtracted. */
export interface BurstCount {
  items: number;
  requests: number;
  perItem: number;
  seconds: number;
  /** The most frequent requests of the burst, "op × n". */
  top: string[];
}

export interface TraceFigures {
  ingest: RoundTrips;
  accept: RoundTrips;
  /** 50 new leads for one channel (8 callers), then 30 Accepts in a row: as issue 15 counts them. */
  burst: { ingest: BurstCount; accept: BurstCount };
  /** Requests an idle server makes on its own in IDLE_SECONDS (the sender's poll, the projector's sweep, the lease: timers of a few seconds). */
  idle: string[];
  idleSeconds: number;
}

export async function traceRoundTrips(storage: string, azuritePort: number): Promise<TraceFigures> {
  progress('trace: storage requests of one ingested lead and of one Accept (through a recording proxy)');
  const user = admins(1)[0]!;
  const prefix = `btrace${process.pid}`;
  const trace = await new StorageTrace(azuritePort, prefix).start();
  // Digests off: the burst's 50 cards go out one by one, as issue 15 counts them.
  const server = await startLiveApp({ storage, appStorage: trace.connectionString, prefix, env: { LEAD_ADMIN_IDS: user.aadObjectId, DIGEST_THRESHOLD: '100' } });
  try {
    const place = channel('19:bench-trace@thread.tacv2');
    await server.install([place], user);
    await server.settled();
    // One lead first, so that the traced one meets warm code and an existing partition layout.
    await server.ingest(referral({ name: 'Trace warm-up' }));
    await server.settled();
    await sleep(1200);

    const idleFrom = performance.now();
    await sleep(IDLE_SECONDS * 1000);
    const idle = trace.between(idleFrom, performance.now());

    const input = referral({ name: 'Traced lead' });
    const ingest = await observe(trace, idle, () => server.ingest(input), () => server.settled());
    const card = server.connector.posts().find((p) => JSON.stringify(p.activity).includes(`"leadId":"${input.id}"`));
    const data = acceptForm(input.id, 'Traced deal');
    const accept = await observe(
      trace,
      idle,
      () => server.teams(execute(place, user, 'lead.accept', data, server.connector.url, { replyToId: card?.activityId })),
      () => server.settled(),
    );
    const idlePerSecond = idle.length / IDLE_SECONDS;
    const leads = Array.from({ length: 50 }, (_, i) => referral({ name: `Burst lead ${i}` }));
    const ingestBurst = await burst(trace, idlePerSecond, leads.length, () => pool(leads, 8, (r) => server.ingest(r)), () => server.settled());
    const acceptBurst = await burst(
      trace,
      idlePerSecond,
      30,
      async () => {
        for (const lead of leads.slice(0, 30)) {
          const posted = server.connector.posts().find((p) => JSON.stringify(p.activity).includes(`"leadId":"${lead.id}"`));
          const answer = await server.teams(execute(place, user, 'lead.accept', acceptForm(lead.id, `Burst deal ${lead.id}`), server.connector.url, { replyToId: posted?.activityId }));
          if (answer.status !== 200) throw new Error(`a burst Accept answered ${answer.status}`);
        }
      },
      () => server.settled(),
    );
    return { ingest, accept, burst: { ingest: ingestBurst, accept: acceptBurst }, idle, idleSeconds: IDLE_SECONDS };
  } finally {
    await server.stop();
    await trace.stop();
  }
}

async function burst(trace: StorageTrace, idlePerSecond: number, items: number, work: () => Promise<unknown>, settle: () => Promise<void>): Promise<BurstCount> {
  const from = performance.now();
  await work();
  await settle();
  await sleep(300);
  const to = performance.now();
  const ops = trace.between(from, to);
  const seconds = (to - from) / 1000;
  const requests = Math.max(0, Math.round(ops.length - idlePerSecond * seconds));
  const counts = new Map<string, number>();
  for (const op of ops) {
    const kind = op.replace(/\(.*?\)/g, '').replace(/ where .*/, '').replace(/\[.*\]/, '[…]');
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  const top = [...counts].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([op, n]) => `${op} × ${n}`);
  return { items, requests, perItem: round(requests / items), seconds: round(seconds), top };
}

async function observe(trace: StorageTrace, idle: string[], request: () => Promise<unknown>, settle: () => Promise<void>): Promise<RoundTrips> {
  const from = performance.now();
  await request();
  const answered = performance.now();
  await settle();
  await sleep(300);
  const timers = new Set(idle);
  const own = (ops: string[]) => ops.filter((op) => !timers.has(op));
  const all = trace.between(from, performance.now());
  return { during: own(trace.between(from, answered)), after: own(trace.between(answered, performance.now())), background: all.filter((op) => timers.has(op)) };
}
