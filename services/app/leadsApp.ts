/**
 * The composition root: every store, reaction and background job of one instance, wired once, and
 * nothing else. A lead change is published once by the projector; each reaction below subscribes
 * to it with one line. The edges get `product` (use cases only); tests may look at the stores.
 */
import { randomUUID } from 'node:crypto';
import { parkedNotice } from '../changes/failures';
import { Projector } from '../changes/projector';
import { AdminNotices } from '../delivery/adminNotices';
import { CardReaction } from '../delivery/cardReaction';
import { Sender } from '../delivery/sender/sender';
import type { TeamsGateway } from '../delivery/teamsGateway';
import { listsReaction } from '../derived/listsReaction';
import { rebuildDerived, type RebuildOutcome } from '../derived/rebuildDerived';
import { searchReaction } from '../derived/searchReaction';
import { sumsReaction } from '../derived/sumsReaction';
import type { LeadKind } from '../leads/lead';
import type { Actor } from '../leads/leadLifecycle';
import type { LeadCommand } from '../leads/leadCommands';
import type { LeadSummary } from '../leads/leadViews';
import type { Outside } from '../leads/outsideView';
import type { Logger } from '../logger';
import { ingestReferrals, type Incoming } from '../partnerCenter/referrals/intake';
import { partnerCenterView } from '../partnerCenter/referrals/referralView';
import type { Referral } from '../partnerCenter/referrals/referral';
import type { PartnerCenterSync, SyncStatus } from '../partnerCenter/partnerCenterSync';
import { scheduleReaction } from '../schedule/scheduleReaction';
import { Scheduler } from '../schedule/scheduler';
import { Lease, LEASES, leaseHolder, type LeaseHolder } from '../storage/lease';
import type { StoredLead } from '../storage/leadStore';
import { OnceMarks } from '../storage/onceMarks';
import { createIfAbsent, getOrUndefined, type Tables } from '../storage/tables';
import { fileEarlierStreams } from '../useCases/roles';
import { actOnLead, type ActResult } from '../useCases/actOnLead';
import { needsAnswer } from '../useCases/readLeads';
import { readInsights } from '../useCases/readInsights';
import type { Received } from '../useCases/receiveLeads';
import { count, gauge, traced } from '../telemetry';
import { Jobs } from './jobs';
import type { Product } from './product';
import { productOf } from './productOf';
import { dueSettings, openStores, partnerCenterSlice, senderOptions, teamsReach, type AppSettings, type Stores, type TeamsReach } from './wiring';
import type { Worker } from './worker';

export type { AppSettings } from './wiring';

/** What GET /readyz says besides "ready". */
export interface Readiness {
  storage: 'ok';
  instance: string;
  leases: Record<string, LeaseHolder>;
}

export interface LeadsAppOptions {
  tables: Tables;
  settings: AppSettings;
  log: Logger;
  now?: () => Date;
  gateway?: TeamsGateway;
  instanceId?: string;
  /** Storage answers (readiness); a no-op where the caller has no better check. */
  ready?: () => Promise<void>;
}

/** How often the outbox is polled for what no kick announced (another instance's items, retries coming due). */
const OUTBOX_POLL_MS = 5_000;
/** Marks storage whose earlier personal subscriptions were filed as streams. */
const STREAMS_FILED = { partitionKey: 'migration', rowKey: 'streams' };
/** How often the pull watchdog looks on its own (besides after every pass). */
const WATCHDOG_EVERY_MS = 60_000;
/** How often write-backs due for another try are looked for (a change queues its own at once). */
const WRITE_BACK_EVERY_MS = 5_000;

export class LeadsApp {
  readonly now: () => Date;
  readonly instanceId: string;
  readonly leads: Stores['leads'];
  readonly views: Stores['views'];
  readonly due: Stores['due'];
  readonly conversations: Stores['conversations'];
  readonly deliveries: Stores['deliveries'];
  readonly outbox: Stores['outbox'];
  readonly roles: Stores['roles'];
  readonly stats: Stores['stats'];
  readonly members: Stores['members'];
  readonly projector: Projector;
  readonly scheduler: Scheduler;
  /** Present when the Partner Center sync is configured. */
  readonly partnerCenter?: PartnerCenterSync;
  /** What the edges may ask: use cases only. */
  readonly product: Product;
  /** What the outside systems say on a lead's card. */
  readonly outside: Outside;
  readonly notices: AdminNotices;
  /** The activity feed and installing the app for people (Microsoft Graph), and whether Graph allows them. */
  readonly reach: TeamsReach;
  private sender?: Sender;
  private readonly jobs: Jobs;
  private readonly projections: Worker;
  private readonly sends: Worker;
  private readonly ticks: Worker;
  private readonly pcJobs?: { pulls: Worker; inbox: Worker; writeBacks: Worker; watchdog: Worker };
  private readonly schedulerLease: Lease;
  private gateway?: TeamsGateway;

  constructor(private readonly options: LeadsAppOptions) {
    const { tables, settings, log } = options;
    this.now = options.now ?? (() => new Date());
    this.instanceId = options.instanceId ?? randomUUID();
    const stores = openStores(tables, settings, log, () => this.gateway, () => this.sender?.slots);
    ({ leads: this.leads, views: this.views, due: this.due, conversations: this.conversations, deliveries: this.deliveries } = stores);
    ({ outbox: this.outbox, roles: this.roles, stats: this.stats, members: this.members } = stores);
    this.jobs = new Jobs(log, this.now);
    this.projections = this.jobs.add('projections', () => this.projector.pass());
    this.sends = this.jobs.add('sends', async () => this.sender?.pass());
    this.ticks = this.jobs.add('scheduler', () => this.schedulerPass());
    this.notices = new AdminNotices({ ...stores, now: this.now, queued: () => this.kickSends() });
    this.reach = teamsReach(settings, log.child({ module: 'graph' }), this.now);
    this.partnerCenter = this.partnerCenterSlice(stores);
    // Partner Center's own changes read as such on every card; with the sync on, also whether a change has reached it.
    this.outside = this.partnerCenter ? (lead) => this.partnerCenter!.outside(lead) : (lead) => [partnerCenterView(lead, false, settings.PARTNER_CENTER_LEAD_URL)];
    this.projector = new Projector({
      leads: this.leads,
      now: this.now,
      log: log.child({ module: 'projector' }),
      reportParked: (id, reason, tries, parking) => this.notices.tell(`parked|${id}|${parking}`, parkedNotice(id, reason, tries)),
    });
    this.subscribeReactions(stores);
    this.schedulerLease = new Lease(tables.Leases, LEASES.scheduler, this.instanceId);
    this.scheduler = this.buildScheduler(stores);
    if (this.partnerCenter) this.pcJobs = this.partnerCenterJobs(this.partnerCenter);
    this.product = productOf(this, settings, () => this.readiness());
    if (options.gateway) this.useGateway(options.gateway);
  }

  /** One line per reaction: each gets every lead change, once. */
  private subscribeReactions(stores: Stores): void {
    const { settings } = this.options;
    this.projector
      .subscribe(listsReaction(stores.views))
      .subscribe(searchReaction(stores.views))
      .subscribe(sumsReaction(stores.stats))
      .subscribe(scheduleReaction(stores.due, dueSettings(settings)))
      .subscribe(new CardReaction({ ...stores, flameWindowHours: settings.FLAME_WINDOW_HOURS, memory: () => this.sender?.memory, queued: () => this.projector.whenPassDone(() => this.kickSends()), now: this.now }));
    if (this.partnerCenter) this.projector.subscribe(this.partnerCenter.reaction);
  }

  private partnerCenterSlice(stores: Stores): PartnerCenterSync | undefined {
    const { tables, settings, log } = this.options;
    return partnerCenterSlice(settings, {
      ...stores,
      tables,
      instanceId: this.instanceId,
      adminRecipients: () => this.notices.recipients(),
      tellAdmins: (key, text) => this.notices.tell(key, text),
      leadChanged: (id) => this.leadChanged(id),
      messagesQueued: () => this.kickSends(),
      writeBacksQueued: () => this.pcJobs?.writeBacks.kick(),
      now: this.now,
      log: log.child({ module: 'partner-center' }),
    });
  }

  private partnerCenterJobs(sync: PartnerCenterSync) {
    const writeBacks = this.jobs.add('partner-center-write-backs', async () => {
      const drained = await sync.drainWriteBacks();
      if (drained.wakeInMs !== undefined) writeBacks.kickAfter(drained.wakeInMs);
    });
    // Before this instance's first poll: what an earlier release parked may be readable now.
    let parkedReadAgain = false;
    return {
      pulls: this.jobs.add('partner-center-poll', async () => {
        if (!parkedReadAgain) {
          parkedReadAgain = true;
          await sync.readParkedAgain().catch((error: unknown) => this.options.log.warn({ err: error }, 'parked referrals could not be read again; retry <referral id> still can'));
        }
        await sync.poll();
      }),
      inbox: this.jobs.add('partner-center-events', async () => void (await sync.drainInbox())),
      writeBacks,
      watchdog: this.jobs.add('partner-center-watchdog', () => sync.watchPulls()),
    };
  }

  private buildScheduler(stores: Stores): Scheduler {
    const { tables, settings, log } = this.options;
    const sync = this.partnerCenter;
    return new Scheduler({
      ...stores,
      ...dueSettings(settings),
      lease: this.schedulerLease,
      now: this.now,
      log: log.child({ module: 'scheduler' }),
      onLeadChanged: (id) => this.leadChanged(id),
      // A pass releases the lease when done; this only bounds how long a crashed pass blocks others.
      leaseMs: settings.LEASE_SECONDS * 4000,
      outsideDeadline: sync && ((id) => sync.followExpiry(id)),
      periodic: { digest: settings.DIGEST_SCHEDULE, insights: settings.INSIGHTS_SCHEDULE, timeZone: settings.INSIGHTS_TIME_ZONE, conversations: stores.conversations, marks: new OnceMarks(tables.Leases), stats: stores.stats },
    });
  }

  /** Connects the Teams side; until then, nothing is sent (outbox items wait). */
  useGateway(gateway: TeamsGateway): void {
    const { settings, log, tables } = this.options;
    this.gateway = gateway;
    this.sender = new Sender(
      {
        outbox: this.outbox,
        leads: this.leads,
        deliveries: this.deliveries,
        conversations: this.conversations,
        outside: this.outside,
        now: this.now,
        gateway,
        // The sender lease's row keeps its name from when the sender was called the dispatcher: instances of either release share it.
        lease: new Lease(tables.Leases, LEASES.sender, this.instanceId),
        log: log.child({ module: 'sender' }),
        adminChats: () => this.notices.personalChats(),
        streamsTo: (person) => this.roles.streamsTo(person),
        // The seven whole days before the send: sent on Mondays, last Monday to Sunday.
        reports: { insights: async () => (await readInsights('7d', this, 'yesterday')).insights, needsAnswer: (kinds) => this.needsAnswer(kinds) },
        wake: (ms) => (ms === undefined ? this.sends.kick() : this.sends.kickAfter(ms)),
        feed: this.reach.feed,
        installer: this.reach.installer,
      },
      senderOptions(settings),
    );
  }

  /** The leads waiting for an answer, of these kinds, soonest deadline first (at most a digest's worth). */
  needsAnswer(kinds: LeadKind[], limit?: number): Promise<LeadSummary[]> {
    return needsAnswer(this.views, kinds, limit);
  }

  /** A partner admin's `retry <lead id>`: a lead set aside because its projection kept failing is projected again now. */
  retryProjection(leadId: string): ReturnType<Projector['retryParked']> {
    return this.projector.retryParked(leadId);
  }

  /** A webhook event was filed: fetch its referral now. */
  kickPartnerCenterEvents(): void {
    this.pcJobs?.inbox.kick();
  }

  /**
   * Readiness: storage answers (else this throws), and who holds the background work's leases now
   * (each held by one instance at a time, taken over within its lease time when that one stops).
   */
  async readiness(): Promise<Readiness> {
    await (this.options.ready ?? (async () => undefined))();
    const now = this.now();
    const names = { sender: LEASES.sender, scheduler: LEASES.scheduler, ...(this.partnerCenter && { partnerCenterPoll: LEASES.partnerCenterPoll }) };
    const held = await Promise.all(Object.entries(names).map(async ([what, name]) => [what, await leaseHolder(this.options.tables.Leases, name, this.instanceId, now)] as const));
    return { storage: 'ok', instance: this.instanceId, leases: Object.fromEntries(held) };
  }

  /** The sync's state for the `sync` command and the status route; `{ on: false }` when it is not configured. */
  async syncStatus(): Promise<SyncStatus | { on: false }> {
    return this.partnerCenter ? this.partnerCenter.status() : { on: false };
  }

  /** Referrals in (the leads API): each lead stored once. */
  /** Referrals read (with what they sent that is kept as given), or plain ones. */
  ingest(referrals: (Referral | Incoming)[]): Promise<Received[]> {
    return traced('leads.ingest', { 'leads.count': referrals.length }, async () => {
      const results = await ingestReferrals(referrals, { leads: this.leads, now: this.now, responseDays: this.options.settings.LEAD_RESPONSE_DAYS });
      for (const r of results) if (!r.duplicate) this.leadChanged(r.id);
      count.leadsReceived(results.filter((r) => !r.duplicate).length, 'api');
      return results;
    });
  }

  async act(leadId: string, command: LeadCommand, actor: Actor, current?: StoredLead): Promise<ActResult> {
    const result = await actOnLead(leadId, command, actor, { leads: this.leads, now: this.now }, current);
    if (result.status === 'changed') this.leadChanged(leadId);
    return result;
  }

  /**
   * Before start: builds what this version derives from leads (lists, insights sums) if the
   * storage holds leads of a version that did not (once; other instances wait for it).
   */
  async prepare(): Promise<RebuildOutcome> {
    const { tables, log } = this.options;
    const lease = new Lease(tables.Leases, 'rebuild', this.instanceId);
    const outcome = await rebuildDerived({ tables, leads: this.leads, views: this.views, stats: this.stats, lease, now: this.now, log: log.child({ module: 'rebuild' }) });
    await this.fileEarlierStreams();
    // Sealing an earlier release's plain token must never keep the app from starting: Teams and the leads API do not need it.
    await this.partnerCenter?.sealStoredToken().catch((error: unknown) => log.warn({ err: error }, 'the stored Partner Center refresh token could not be sealed now; tried again at the next start'));
    return outcome;
  }

  /** Once per storage: personal chats subscribed before roles become streams a partner admin sees (fileEarlierStreams). */
  private async fileEarlierStreams(): Promise<void> {
    const { tables, log } = this.options;
    if (await getOrUndefined(tables.Meta, STREAMS_FILED.partitionKey, STREAMS_FILED.rowKey)) return;
    const filed = await fileEarlierStreams(this.conversations, this.roles);
    if (filed > 0) log.info({ filed }, "personal chats subscribed before roles keep the team's new leads: listed on the roles card, where a partner admin may remove them");
    await createIfAbsent(tables.Meta, STREAMS_FILED);
  }

  /** Starts the background loops: projection sweep, sending, the scheduler, the sync's passes; and the gauges of what waits. */
  start(): void {
    const { settings } = this.options;
    gauge('outbox.oldestWaitingSeconds', 'How long the oldest message due to Teams has waited', async () => (await this.outbox.oldestWaitingMs(this.now())) / 1000);
    const sync = this.partnerCenter;
    if (sync) gauge('writeBacks.waiting', 'Changes waiting to be written back to Partner Center', () => sync.waitingWriteBacks());
    this.projections.every(5_000);
    this.sends.every(OUTBOX_POLL_MS, () => this.sender?.poll());
    this.ticks.every(settings.SCHEDULER_INTERVAL_SECONDS * 1000);
    if (this.partnerCenter && this.pcJobs) {
      this.pcJobs.pulls.every(this.partnerCenter.pollMs);
      this.pcJobs.inbox.every(WRITE_BACK_EVERY_MS * 6);
      this.pcJobs.writeBacks.every(WRITE_BACK_EVERY_MS);
      this.pcJobs.watchdog.every(WATCHDOG_EVERY_MS);
    }
  }

  /** Resolves when every kicked job has run (tests use it instead of sleeping). */
  settle(): Promise<void> {
    return this.jobs.settle(this.sends);
  }

  /** Runs the scheduler now (tests and the playground's fast clock). */
  tick(): void {
    this.ticks.kick();
  }

  /** The sender reads the outbox on its next pass (something may have been queued). */
  kickSends(): void {
    if (this.sender) this.sender.outboxWork();
    else this.sends.kick();
  }

  /** Runs a Partner Center poll now (tests, and `sync now`). */
  pollPartnerCenter(): void {
    this.pcJobs?.pulls.kick();
  }

  kickWriteBacks(): void {
    this.pcJobs?.writeBacks.kick();
  }

  async stop(): Promise<void> {
    await this.jobs.stop();
    // Hand the leases over, so a restarted or other instance carries on without waiting them out.
    await Promise.all([this.sender?.letGo(), this.schedulerLease.letGo()]).catch((error: unknown) =>
      this.options.log.warn({ err: error }, 'could not hand over the leases; they lapse by themselves'),
    );
  }

  /** A lead changed here: projected on the next projection pass, which starts now. */
  leadChanged(id: string): void {
    this.projector.changed(id);
    this.projections.kick();
  }

  private async schedulerPass(): Promise<void> {
    await this.scheduler.runOnce();
    this.kickSends();
  }
}
