/**
 * Leads in and cards out. Ingest: 16 callers each POSTing one referral at a time, counted until
 * every lead is stored, indexed and queued for delivery (the projector is done). Delivery: cards
 * reaching the fake connector, spread over many conversations (against 50/s overall) and all in
 * one conversation (against the per-conversation windows).
 */
import { referral } from '../test/fixtures/referrals';
import type { Sent } from '../test/support/fakeConnector';
import { eventually } from '../test/support/processes';
import { channel } from '../test/support/teamsActivities';
import { odata } from '@azure/data-tables';
import { performance } from 'node:perf_hooks';
import { admins } from '../test/support/liveWorld';
import { startLiveApp } from '../test/support/liveApp';
import { cpuMeter, type CpuCost } from './cpuMeter';
import { closedLoop, latency, monotonicMicros, progress, round, type Latency } from './stats';
import { leadFromReferral } from '../services/partnerCenter/referrals/leadFromReferral';
import { eventEntity, leadEntity } from '../services/storage/leadStore';
import { openTables } from '../services/storage/tables';
import { receiveEvent } from '../services/useCases/receiveLeads';

const INGEST_CALLERS = 16;
const INGEST_LEADS = 1_600;
const SPREAD_CONVERSATIONS = 100;
const SPREAD_LEADS = 5; // ≤ DIGEST_THRESHOLD (5): every card goes out on its own
const ONE_CONVERSATION_LEADS = 30;

export interface IngestFigures {
  leads: number;
  /** Every lead the server ingested, warm-up included (for the memory figure). */
  leadsMade: number;
  callers: number;
  /** Referrals in each POST (the API takes one or an array, as a Partner Center poller sends a page). */
  perPost: number;
  /** Leads per second answered 201 by POST /api/leads. */
  answeredPerSecond: number;
  /** Leads per second stored, indexed and queued for delivery (first request → projector idle). */
  perSecond: number;
  request: Latency;
  /**
   * The storage floor of the same work, in leads per second: the same callers each storing a lead
   * the same size (its row and its first event) with one transaction, straight with
   * @azure/data-tables, into the server's own Leads table.
   */
  floorPerSecond: number;
  /** CPU per lead by process, from the first POST until every lead was projected. */
  cpu: CpuCost;
  serverRssMiB: number;
  /** Monotonic µs window from the first POST until every lead was projected (to cut a CPU profile to it). */
  window: { from: number; to: number };
}

/** One lead-sized transaction per lead (its row and first event), from the given callers: leads per second. */
async function ingestFloor(storage: string, prefix: string, callers: number, leads: number): Promise<number> {
  const table = openTables(storage, prefix).Leads;
  const now = new Date();
  const made = Array.from({ length: leads }, (_, i) => leadFromReferral(referral({ name: `Floor ${i}` }), { now, responseDays: 14 }));
  let next = 0;
  const run = await closedLoop(callers, leads / callers, async () => {
    const lead = made[next++]!;
    await table.submitTransaction([
      ['create', leadEntity(lead)],
      ['create', eventEntity(lead.id, receiveEvent(lead, now))],
    ]);
  });
  return round((leads / run.wallMs) * 1000, 0);
}

export async function benchIngest(storage: string, options: { azuritePid: number; nodeArgs?: string[]; perPost?: number }): Promise<IngestFigures> {
  const perPost = options.perPost ?? 1;
  const posts = INGEST_LEADS / INGEST_CALLERS / perPost;
  const installer = admins(1)[0]!;
  const server = await startLiveApp({ storage, nodeArgs: options.nodeArgs, env: { LEAD_ADMIN_IDS: installer.aadObjectId } });
  try {
    await server.install([channel('19:bench-ingest@thread.tacv2')], installer);
    const hints = server.table('Projections');
    const projected = async () => {
      const page = await hints.listEntities({ queryOptions: { filter: odata`PartitionKey eq 'lead'`, select: ['RowKey'] } }).byPage({ maxPageSize: 1 }).next();
      return page.done || page.value.length === 0;
    };
    // A short warm-up, not counted.
    const warmUp = await closedLoop(4, 10, async () => void (await server.ingest(referral())));
    await eventually('the warm-up to be projected', projected, 30_000, 50);
    progress(`ingest: the storage floor, ${INGEST_CALLERS} callers × one lead-sized transaction per lead`);
    const floorPerSecond = await ingestFloor(storage, server.prefix, INGEST_CALLERS, INGEST_LEADS);

    progress(`ingest: ${INGEST_CALLERS} callers × ${posts} POSTs of ${perPost} referral(s) (one subscribed channel)`);
    let created = 0;
    const from = monotonicMicros();
    const start = performance.now();
    // The CPU of the whole pipeline (answer, projection, queueing the card), by process.
    const cpu = cpuMeter({ server: server.app.pid, azurite: options.azuritePid });
    const run = await closedLoop(INGEST_CALLERS, posts, async (lane, i) => {
      const batch = Array.from({ length: perPost }, (_, j) => referral({ name: `Ingest ${lane}-${i}-${j}` }));
      const answer = await server.ingest(perPost === 1 ? batch[0] : batch);
      if (answer.status === 201) created += perPost;
    });
    const answered = performance.now();
    await eventually('every ingested lead to be projected', projected, 120_000, 25);
    const done = performance.now();
    const cpuPerLead = cpu.stop(INGEST_LEADS);
    const to = monotonicMicros();
    const leads = INGEST_LEADS;
    if (created !== leads) throw new Error(`ingest: ${leads - created} of ${leads} POSTs were not answered 201`);
    return {
      leads,
      leadsMade: leads + warmUp.samples.length,
      callers: INGEST_CALLERS,
      perPost,
      answeredPerSecond: round((leads / (answered - start)) * 1000, 0),
      perSecond: round((leads / (done - start)) * 1000, 0),
      request: latency(run.samples),
      floorPerSecond,
      cpu: cpuPerLead,
      serverRssMiB: server.memory().rssMiB,
      window: { from, to },
    };
  } finally {
    // The queued cards would take a minute to trickle out within Teams' limits: not waited for
    // (a graceful stop when profiling, so that the profile is written).
    if (options.nodeArgs) await server.app.stop();
    else await server.app.kill();
    await server.connector.stop();
  }
}

export interface DeliveryFigures {
  spread: {
    conversations: number;
    leadsPerConversation: number;
    cards: number;
    /** Cards per second from the first card to the last. */
    perSecond: number;
    /** Cards per second from the ingest request to the last card. */
    endToEndPerSecond: number;
    /** The most cards seen in any one-second window: overall, and in one conversation. */
    maxInOneSecond: number;
    maxInOneSecondPerConversation: number;
    limitPerSecond: number;
  };
  oneConversation: {
    cards: number;
    perSecond: number;
    maxInOneSecond: number;
    maxInTwoSeconds: number;
  };
}

export async function benchDelivery(storage: string): Promise<DeliveryFigures> {
  const installer = admins(1)[0]!;
  const isCard = (s: Sent) => s.method === 'POST' && JSON.stringify(s.activity).includes('lead.acceptForm');

  const spread = await startLiveApp({ storage, env: { LEAD_ADMIN_IDS: installer.aadObjectId } });
  let spreadFigures: DeliveryFigures['spread'];
  try {
    const places = Array.from({ length: SPREAD_CONVERSATIONS }, (_, i) => channel(`19:bench-delivery-${i}@thread.tacv2`));
    progress(`delivery: installing in ${SPREAD_CONVERSATIONS} channels, then ${SPREAD_LEADS} new leads (${SPREAD_CONVERSATIONS * SPREAD_LEADS} cards)`);
    await spread.install(places, installer);
    await spread.settled();
    const start = Date.now();
    const answer = await spread.ingest(Array.from({ length: SPREAD_LEADS }, (_, i) => referral({ name: `Delivery ${i}` })));
    if (answer.status !== 201) throw new Error(`delivery ingest answered ${answer.status}`);
    const expected = SPREAD_CONVERSATIONS * SPREAD_LEADS;
    const cards = await eventually('every card to arrive', async () => {
      const sent = spread.connector.sent.filter((s) => s.at >= start && isCard(s));
      return sent.length >= expected && sent;
    }, 120_000, 50);
    const times = cards.map((c) => c.at).sort((a, b) => a - b);
    const first = times[0] ?? start;
    const last = times[times.length - 1] ?? start;
    const byConversation = new Map<string, number[]>();
    for (const c of cards) byConversation.set(c.conversationId, [...(byConversation.get(c.conversationId) ?? []), c.at]);
    spreadFigures = {
      conversations: SPREAD_CONVERSATIONS,
      leadsPerConversation: SPREAD_LEADS,
      cards: cards.length,
      perSecond: round(((cards.length - 1) / Math.max(1, last - first)) * 1000, 1),
      endToEndPerSecond: round((cards.length / Math.max(1, last - start)) * 1000, 1),
      maxInOneSecond: maxInWindow(times, 1000),
      maxInOneSecondPerConversation: Math.max(...[...byConversation.values()].map((t) => maxInWindow(t.sort((a, b) => a - b), 1000))),
      limitPerSecond: 50,
    };
  } finally {
    await spread.stop();
  }

  // One conversation, with the digest threshold raised so every lead is a card of its own.
  const single = await startLiveApp({ storage, env: { DIGEST_THRESHOLD: '100', LEAD_ADMIN_IDS: installer.aadObjectId } });
  try {
    progress(`delivery: ${ONE_CONVERSATION_LEADS} new leads into one channel (DIGEST_THRESHOLD=100)`);
    await single.install([channel('19:bench-one-conversation@thread.tacv2')], installer);
    await single.settled();
    const start = Date.now();
    await single.ingest(Array.from({ length: ONE_CONVERSATION_LEADS }, (_, i) => referral({ name: `One conversation ${i}` })));
    const cards = await eventually('every card to arrive', async () => {
      const sent = single.connector.sent.filter((s) => s.at >= start && isCard(s));
      return sent.length >= ONE_CONVERSATION_LEADS && sent;
    }, 120_000, 50);
    const times = cards.map((c) => c.at).sort((a, b) => a - b);
    return {
      spread: spreadFigures,
      oneConversation: {
        cards: cards.length,
        perSecond: round(((cards.length - 1) / Math.max(1, (times[times.length - 1] ?? 0) - (times[0] ?? 0))) * 1000, 1),
        maxInOneSecond: maxInWindow(times, 1000),
        maxInTwoSeconds: maxInWindow(times, 2000),
      },
    };
  } finally {
    await single.stop();
  }
}

/** The most timestamps (sorted, ms) inside any window of `ms`. */
function maxInWindow(times: number[], ms: number): number {
  let best = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while ((times[i] ?? 0) - (times[j] ?? 0) >= ms) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}
