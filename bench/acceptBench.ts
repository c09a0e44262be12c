/**
 * Accept as Teams sends it (an Action.Execute invoke to /api/messages, answered with the new
 * card), at 1 user and at 32 users, side by side with the storage floor of one state change:
 * read the lead, then one transaction with the ETag-conditional update and the audit insert,
 * done directly with @azure/data-tables against the same Azurite.
 */
import type { TableClient } from '@azure/data-tables';
import { referral } from '../test/fixtures/referrals';
import { acceptForm, channel, execute, type Place, type TeamsUser } from '../test/support/teamsActivities';
import { conversationKey } from '../services/storage/conversationStore';
import { openTables, unchunkJson } from '../services/storage/tables';
import { eventEntity, leadEntity, leadRowKey } from '../services/storage/leadStore';
import type { Lead } from '../services/leads/lead';
import type { LeadEvent } from '../services/leads/leadLifecycle';
import { startLiveApp, type LiveApp } from '../test/support/liveApp';
import { cpuMeter, type CpuCost } from './cpuMeter';
import { seedLeads } from './seedLeads';
import { admins, cardText } from '../test/support/liveWorld';
import { getJson } from '../test/support/http';
import { closedLoop, latency, monotonicMicros, progress, round, type Latency } from './stats';
import { summarizeHeap, takeHeapSnapshot, type HeapSummary } from './heapSnapshot';

const USERS = 32;
const PER_USER = 15;
const WARM_UP = 30;
const ROUNDS = 4;
const PER_ROUND = 50;
const APART = 100;
const CHANNELS = 32;

export interface AcceptFigures {
  /** One user: each Accept after the server finished the work the previous one caused (card updates), as a person clicks. */
  oneUser: Latency;
  floorOneCaller: Latency;
  /** One caller, Accept after Accept with no pause: each also competes with the previous ones' card updates. */
  oneUserBackToBack: Latency;
  floorBackToBack: Latency;
  /** An empty request to the same server (GET /healthz), made the same way: what any HTTP call costs here. */
  httpRoundTrip: Latency;
  users32: Latency & { perSecond: number; /** CPU per Accept by process, until the server was idle again */ cpu: CpuCost };
  floor32: Latency & { perSecond: number };
  /** Accept p50 / floor p50 at one user (clicks apart), and back to back. */
  ratioP50: number;
  ratioBackToBackP50: number;
  failures: number;
  /** Monotonic µs windows in which Accepts ran (to cut a CPU profile to them), and how many ran. */
  windows: Array<{ from: number; to: number }>;
  accepts: number;
  /** Every Accept the server handled, warm-up included (for the memory figure). */
  acceptsMade: number;
  serverRssMiB: number;
  logLinesPerAccept: number;
  /** With `heapSnapshot`: what the server's heap holds after the runs. */
  heap?: HeapSummary;
}

export async function benchAccept(storage: string, options: { azuritePid: number; nodeArgs?: string[]; heapSnapshotDir?: string }): Promise<AcceptFigures> {
  const users = admins(USERS);
  const nodeArgs = [...(options.nodeArgs ?? []), ...(options.heapSnapshotDir ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${options.heapSnapshotDir}`] : [])];
  const server = await startLiveApp({ storage, env: { LEAD_ADMIN_IDS: users.map((u) => u.aadObjectId).join(',') }, nodeArgs });
  try {
    // Cards spread over several channels, as leads are: one channel alone would hold every card
    // update to Teams' 60 per 30 s per conversation, and the updates would pile up.
    const places = Array.from({ length: CHANNELS }, (_, i) => channel(`19:bench-accept-${i}@thread.tacv2`));
    await server.install(places, users[0]!);
    const total = WARM_UP + ROUNDS * PER_ROUND + APART + USERS * PER_USER;
    progress(`accept: storing ${total} leads to act on, each with its card posted in one of ${CHANNELS} channels`);
    // Stored directly (seedLeads.ts): ingest is measured on its own below.
    const referrals = Array.from({ length: total }, (_, i) => referral({ name: `Accept lead ${i}` }));
    const placeOf = (i: number) => places[i % CHANNELS]!;
    await seedLeads(openTables(storage, server.prefix), referrals, new Date(), { deliveredTo: (i) => [conversationKey(placeOf(i).conversation.id)] });
    const leadIds = referrals.map((r) => r.id);
    const placeByLead = new Map(referrals.map((r, i) => [r.id, placeOf(i)]));

    // The floor's leads live in the server's own Leads table, so both pay for the same table size.
    const floor = await floorTables(storage, server.prefix, USERS);
    const accept = acceptCaller(server, (leadId) => placeByLead.get(leadId) ?? places[0]!);
    let next = 0;
    const take = () => leadIds[next++] ?? '';

    // Warm both paths (JIT, connections) before anything counts.
    for (let i = 0; i < WARM_UP; i++) {
      await accept.click(users[0]!, take());
      await floor.change(0);
    }
    await server.settled();

    progress(`accept: 1 caller, ${ROUNDS} rounds of ${PER_ROUND} Accepts back to back, each next to ${PER_ROUND} floor changes`);
    const windows: AcceptFigures['windows'] = [];
    const oneUser: number[] = [];
    const floorOne: number[] = [];
    const logLinesBefore = server.app.output.length;
    for (let round = 0; round < ROUNDS; round++) {
      floorOne.push(...(await closedLoop(1, PER_ROUND, () => floor.change(0))).samples);
      const from = monotonicMicros();
      oneUser.push(...(await closedLoop(1, PER_ROUND, () => accept.click(users[0]!, take()))).samples);
      windows.push({ from, to: monotonicMicros() });
      await server.settled();
    }
    const logLinesPerAccept = (server.app.output.length - logLinesBefore) / (ROUNDS * PER_ROUND);

    progress(`accept: 1 user, ${APART} Accepts apart (each once the server is idle again), each next to a floor change`);
    const apart: number[] = [];
    const floorApart: number[] = [];
    const health: number[] = [];
    for (let i = 0; i < APART; i++) {
      await server.settled();
      floorApart.push(...(await closedLoop(1, 1, () => floor.change(0))).samples);
      health.push(...(await closedLoop(1, 1, async () => void (await getJson(`${server.app.url}/healthz`)))).samples);
      apart.push(...(await closedLoop(1, 1, () => accept.click(users[0]!, take()))).samples);
    }

    progress(`accept: ${USERS} users at once, ${PER_USER} Accepts each; floor at ${USERS} callers`);
    await server.settled();
    const floorMany = await closedLoop(USERS, PER_USER, (lane) => floor.change(lane));
    const laneLeads = users.map(() => Array.from({ length: PER_USER }, take));
    const from = monotonicMicros();
    // The CPU of everything the Accepts cause (their card updates too), by process.
    const cpu = cpuMeter({ server: server.app.pid, azurite: options.azuritePid });
    const many = await closedLoop(USERS, PER_USER, (lane, i) => accept.click(users[lane]!, laneLeads[lane]![i]!));
    windows.push({ from, to: monotonicMicros() });
    await server.settled();
    const cpu32 = cpu.stop(many.samples.length);
    const heap = options.heapSnapshotDir ? summarizeHeap(await takeHeapSnapshot(server.app.pid, options.heapSnapshotDir)) : undefined;

    const oneUserLatency = latency(apart);
    const floorOneLatency = latency(floorApart);
    const backToBack = latency(oneUser);
    const floorBackToBack = latency(floorOne);
    return {
      oneUser: oneUserLatency,
      floorOneCaller: floorOneLatency,
      oneUserBackToBack: backToBack,
      floorBackToBack,
      httpRoundTrip: latency(health),
      users32: { ...latency(many.samples), perSecond: round((many.samples.length / many.wallMs) * 1000, 0), cpu: cpu32 },
      floor32: { ...latency(floorMany.samples), perSecond: round((floorMany.samples.length / floorMany.wallMs) * 1000, 0) },
      ratioP50: round(oneUserLatency.p50 / floorOneLatency.p50, 2),
      ratioBackToBackP50: round(backToBack.p50 / floorBackToBack.p50, 2),
      failures: accept.failures,
      windows,
      accepts: oneUser.length + many.samples.length,
      acceptsMade: next,
      serverRssMiB: server.memory().rssMiB,
      logLinesPerAccept: round(logLinesPerAccept, 1),
      heap,
    };
  } finally {
    await server.stop();
  }
}


/** Sends Accept as Teams does and checks the answer is the accepted card. */
function acceptCaller(server: LiveApp, placeOf: (leadId: string) => Place) {
  const caller = {
    failures: 0,
    async click(user: TeamsUser, leadId: string): Promise<void> {
      const answer = await server.teams(execute(placeOf(leadId), user, 'lead.accept', acceptForm(leadId), server.connector.url));
      const text = cardText(answer.body);
      const ok = answer.status === 200 && answer.body?.statusCode === 200 && text.includes(`Deal ${leadId}`) && !text.includes('Already');
      if (!ok) caller.failures++;
    },
  };
  return caller;
}

/**
 * The floor: one state change's storage work and nothing else. Each caller changes its own lead
 * again and again (so no two race), with an entity the size of a real lead and audit event.
 */
async function floorTables(storage: string, prefix: string, callers: number): Promise<{ change(lane: number): Promise<void> }> {
  const tables = openTables(storage, prefix);
  const referrals = Array.from({ length: callers }, (_, i) => referral({ id: `floor-${i}` }));
  await seedLeads(tables, referrals, new Date());
  const ids = referrals.map((r) => r.id);
  const leads: TableClient = tables.Leads;
  return {
    async change(lane: number) {
      const id = ids[lane] ?? '';
      const entity = await leads.getEntity<Record<string, unknown>>(id, leadRowKey(id));
      const lead = unchunkJson(entity) as Lead;
      const deal = { name: `Deal ${id}`, value: 5000, currency: 'EUR', purchaseDate: '2027-01-15' };
      const next = { ...lead, version: lead.version + 1, deal };
      const event: LeadEvent = { seq: next.version, type: 'accept', actor: { id: 'bench', name: 'Bench User' }, at: new Date().toISOString(), before: { stage: 'Received' }, after: { stage: 'Accepted', deal } };
      await leads.submitTransaction([
        ['update', leadEntity(next), 'Merge', { etag: entity.etag }],
        ['create', eventEntity(id, event)],
      ]);
    },
  };
}
