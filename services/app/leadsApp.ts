/**
 * The product without its edges: every store, use case and background worker, wired once.
 * bot/ calls into this; tests build it over an in-memory Azurite.
 */
import { randomUUID } from 'node:crypto';
import { actOnLead, type ActResult } from '../useCases/actOnLead';
import type { Config } from './config';
import { ConversationStore } from '../storage/conversationStore';
import { DeliveryStore } from '../delivery/deliveryStore';
import { Dispatcher } from '../delivery/dispatcher';
import { MemberDirectory } from '../delivery/memberDirectory';
import { ingestReferrals, type IngestResult } from '../useCases/ingestReferrals';
import type { Actor } from '../leads/leadLifecycle';
import type { LeadCommand } from '../leads/leadCommands';
import { DueIndex, LeadViewIndex } from '../storage/leadIndex';
import { LeadStore, type StoredLead } from '../storage/leadStore';
import { Lease } from '../storage/lease';
import type { Logger } from '../logger';
import { Outbox } from '../delivery/outbox';
import { Projector } from '../delivery/projector';
import type { Referral } from '../leads/referral';
import { RoleStore } from '../storage/roleStore';
import { StatsStore } from '../storage/statsStore';
import { OnceMarks } from '../storage/onceMarks';
import { readInsights } from '../useCases/readInsights';
import { rebuildDerived, type RebuildOutcome } from '../useCases/rebuildDerived';
import type { LeadKind } from '../storage/conversationStore';
import type { LeadSummary } from '../leads/leadViews';
import { Scheduler } from '../schedule/scheduler';
import type { Tables } from '../storage/tables';
import type { TeamsGateway } from '../delivery/teamsGateway';
import { Worker } from '../schedule/worker';
import { PartnerCenterSync, type SyncStatus } from '../partnerCenter/partnerCenterSync';
import { SyncStore } from '../partnerCenter/syncStore';
import { PARTNER_CENTER_QUEUE } from '../delivery/outbox';

export type AppSettings = Pick<
  Config,
  | 'LEAD_RESPONSE_DAYS'
  | 'LEAD_ADMIN_IDS'
  | 'PARTNER_ADMIN_IDS'
  | 'REMINDER_HOURS_BEFORE_EXPIRY'
  | 'FLAME_WINDOW_HOURS'
  | 'SCHEDULER_INTERVAL_SECONDS'
  | 'SEND_PER_SECOND_PER_CONVERSATION'
  | 'SEND_PER_30_SECONDS_PER_CONVERSATION'
  | 'SEND_PER_SECOND_GLOBAL'
  | 'SEND_MAX_ATTEMPTS'
  | 'DIGEST_THRESHOLD'
  | 'LEASE_SECONDS'
  | 'PARTNER_CENTER_TENANT_ID'
  | 'PARTNER_CENTER_CLIENT_ID'
  | 'PARTNER_CENTER_CLIENT_SECRET'
  | 'PARTNER_CENTER_REFRESH_TOKEN'
  | 'PARTNER_CENTER_AUTHORITY_HOST'
  | 'PARTNER_CENTER_API_URL'
  | 'PARTNER_CENTER_POLL_SECONDS'
  | 'PARTNER_CENTER_WEBHOOK_CERT_HOSTS'
  | 'PARTNER_CENTER_WEBHOOK_CA'
  | 'INSIGHTS_SCHEDULE'
  | 'DIGEST_SCHEDULE'
  | 'INSIGHTS_TIME_ZONE'
>;

export interface LeadsAppOptions {
  tables: Tables;
  settings: AppSettings;
  log: Logger;
  now?: () => Date;
  gateway?: TeamsGateway;
  instanceId?: string;
}

/** How often the projector looks for changes whose projection a crash interrupted. */
const SWEEP_EVERY_MS = 5_000;
/** A hint younger than this is left to the change in flight that wrote it (the instance making a change projects it). */
const SWEEP_GRACE_MS = 10_000;
/** How often the outbox is polled for what no kick announced (another instance's items, retries coming due). */
const OUTBOX_POLL_MS = 5_000;
/** How long `settle` waits for cards that wait for a send slot (a burst for one conversation goes out at 7 a second). */
const SETTLE_WAIT_MS = 30_000;
/** Leads on one morning digest card. */
const NEEDS_ANSWER_LINES = 20;
/** How often write-backs due for another try are looked for (a change queues its own at once). */
const WRITE_BACK_EVERY_MS = 5_000;

/** The sync's settings, when it is configured (all of tenant, client id and secret). */
function partnerCenterSettings(settings: AppSettings) {
  const { PARTNER_CENTER_TENANT_ID: tenantId, PARTNER_CENTER_CLIENT_ID: clientId, PARTNER_CENTER_CLIENT_SECRET: clientSecret } = settings;
  if (!tenantId || !clientId || !clientSecret) return undefined;
  return {
    tenantId,
    clientId,
    clientSecret,
    refreshToken: settings.PARTNER_CENTER_REFRESH_TOKEN,
    authorityHost: settings.PARTNER_CENTER_AUTHORITY_HOST,
    apiUrl: settings.PARTNER_CENTER_API_URL,
    pollSeconds: settings.PARTNER_CENTER_POLL_SECONDS,
    webhookCertHosts: settings.PARTNER_CENTER_WEBHOOK_CERT_HOSTS,
    webhookCa: settings.PARTNER_CENTER_WEBHOOK_CA,
  };
}

export class LeadsApp {
  readonly leads: LeadStore;
  readonly views: LeadViewIndex;
  readonly due: DueIndex;
  readonly conversations: ConversationStore;
  readonly deliveries: DeliveryStore;
  readonly outbox: Outbox;
  readonly roles: RoleStore;
  readonly stats: StatsStore;
  readonly projector: Projector;
  readonly scheduler: Scheduler;
  readonly now: () => Date;
  readonly instanceId: string;
  /** Present when the Partner Center sync is configured. */
  readonly partnerCenter?: PartnerCenterSync;
  /** Conversations' members, for the people picker (through the Teams gateway, once connected). */
  readonly members: MemberDirectory;
  private dispatcher?: Dispatcher;
  private gateway?: TeamsGateway;
  private readonly schedulerLease: Lease;
  private readonly projections: Worker;
  private readonly sends: Worker;
  private readonly ticks: Worker;
  private readonly pulls: Worker;
  private readonly inbox: Worker;
  private readonly writeBacks: Worker;
  private readonly pendingLeads = new Set<string>();
  /** The projector queued something in the outbox during this projection pass. */
  private outboxQueued = false;
  /** Something may have been queued in the outbox since the sender last read it. */
  private outboxChanged = true;
  private lastSweep = 0;

  constructor(private readonly options: LeadsAppOptions) {
    const { tables, settings, log } = options;
    this.now = options.now ?? (() => new Date());
    this.instanceId = options.instanceId ?? randomUUID();
    this.leads = new LeadStore(tables.Leads, tables.Projections);
    this.views = new LeadViewIndex(tables.LeadIndex, tables.SearchIndex);
    this.due = new DueIndex(tables.DueIndex);
    this.conversations = new ConversationStore(tables.Conversations);
    this.deliveries = new DeliveryStore(tables.Leads);
    this.outbox = new Outbox(tables.Outbox, tables.DeadLetters);
    this.roles = new RoleStore(tables.Roles, { leadAdmins: settings.LEAD_ADMIN_IDS, partnerAdmins: settings.PARTNER_ADMIN_IDS });
    this.stats = new StatsStore(tables.Stats);
    this.members = new MemberDirectory(() => this.gateway, log.child({ module: 'members' }));
    const writeBackQueue = new Outbox(tables.Outbox, tables.DeadLetters, PARTNER_CENTER_QUEUE);
    const pc = partnerCenterSettings(settings);
    if (pc) {
      this.partnerCenter = new PartnerCenterSync({
        settings: pc,
        store: new SyncStore(tables.PartnerCenter),
        leads: this.leads,
        conversations: this.conversations,
        deliveries: this.deliveries,
        outbox: this.outbox,
        writeBacks: writeBackQueue,
        pollLease: new Lease(tables.Leases, 'partnerCenterPoll', this.instanceId),
        leaseMs: settings.LEASE_SECONDS * 4000,
        adminRecipients: () => this.adminRecipients(),
        leadChanged: (id) => this.leadChanged(id),
        messagesQueued: () => this.kickOutbox(),
        now: this.now,
        responseDays: settings.LEAD_RESPONSE_DAYS,
        log: log.child({ module: 'partner-center' }),
      });
    }
    this.projector = new Projector({
      leads: this.leads,
      views: this.views,
      due: this.due,
      conversations: this.conversations,
      outbox: this.outbox,
      now: this.now,
      reminderHours: settings.REMINDER_HOURS_BEFORE_EXPIRY,
      flameWindowHours: settings.FLAME_WINDOW_HOURS,
      log: log.child({ module: 'projector' }),
      stats: this.stats,
      writeBacks: this.partnerCenter ? writeBackQueue : undefined,
      reportParked: (leadId, reason, tries, parking) => this.reportParked(leadId, reason, tries, parking),
      direct: {
        ready: () => this.dispatcher?.directReady() ?? false,
        room: (conversationKey) => this.dispatcher?.directRoom(conversationKey) ?? 0,
        send: (job, done) => this.dispatcher!.sendDirect(job, done),
      },
      // During a projection pass, looked at once the pass is done: a burst queued by its batches is seen whole (and digested).
      queued: () => {
        if (this.projections.quiet) this.kickOutbox();
        else this.outboxQueued = true;
      },
    });
    this.schedulerLease = new Lease(tables.Leases, 'scheduler', this.instanceId);
    this.scheduler = new Scheduler({
      leads: this.leads,
      due: this.due,
      deliveries: this.deliveries,
      outbox: this.outbox,
      lease: this.schedulerLease,
      now: this.now,
      log: log.child({ module: 'scheduler' }),
      reminderHours: settings.REMINDER_HOURS_BEFORE_EXPIRY,
      flameWindowHours: settings.FLAME_WINDOW_HOURS,
      onLeadChanged: (id) => this.leadChanged(id),
      // A pass releases the lease when done; this only bounds how long a crashed pass blocks others.
      leaseMs: settings.LEASE_SECONDS * 4000,
      followExpiry: this.partnerCenter && ((id) => this.partnerCenter!.followExpiry(id)),
      periodic: {
        digest: settings.DIGEST_SCHEDULE,
        insights: settings.INSIGHTS_SCHEDULE,
        timeZone: settings.INSIGHTS_TIME_ZONE,
        conversations: this.conversations,
        marks: new OnceMarks(tables.Leases),
        stats: this.stats,
      },
    });
    if (options.gateway) this.useGateway(options.gateway);

    this.projections = new Worker('projections', log, async () => {
      const ids = [...this.pendingLeads];
      this.pendingLeads.clear();
      if (ids.length > 0) {
        try {
          await this.projector.projectMany(ids);
        } catch (error) {
          // Tried again on the next pass (the sweep would find them too, but only later).
          for (const id of ids) this.pendingLeads.add(id);
          throw error;
        }
      }
      // Changes whose projection a crash (or another instance's) interrupted: on its own clock,
      // so a steady stream of changes here cannot hold it off (a little early rather than a tick late).
      if (Date.now() - this.lastSweep >= SWEEP_EVERY_MS - 500) {
        // The first sweep takes every hint (this process has no change in flight yet); later ones leave young hints to the changes writing them.
        const grace = this.lastSweep === 0 ? 0 : SWEEP_GRACE_MS;
        this.lastSweep = Date.now();
        await this.projector.sweep(this.pendingLeads, grace);
      }
      if (this.outboxQueued) {
        this.outboxQueued = false;
        this.kickOutbox();
      }
      this.writeBacks.kick();
    });
    // One sender, one pass at a time: the cards of fresh changes, sent from memory (see
    // Dispatcher.sendDirect: no storage while they wait for a slot), then the outbox. One worker,
    // so the two never send the same card at once.
    this.sends = new Worker('sends', log, async () => {
      if (!this.dispatcher) return;
      const direct = await this.dispatcher.drainDirect();
      // Only a pass woken for items that wait for a slot may skip reading the outbox again.
      const reuse = !this.outboxChanged;
      this.outboxChanged = false;
      const queued = await this.dispatcher.drain({ reuse });
      const wakeInMs = Math.min(direct.wakeInMs ?? Infinity, queued.wakeInMs ?? Infinity);
      if (queued.more) this.kickOutbox();
      else if (wakeInMs !== Infinity) this.sends.kickAfter(wakeInMs);
    });
    this.ticks = new Worker('scheduler', log, async () => {
      await this.scheduler.runOnce();
      this.kickOutbox();
    });
    const sync = this.partnerCenter;
    this.pulls = new Worker('partner-center-poll', log, async () => {
      await sync?.poll();
    });
    this.inbox = new Worker('partner-center-events', log, async () => {
      await sync?.drainInbox();
    });
    this.writeBacks = new Worker('partner-center-write-backs', log, async () => {
      const drained = await sync?.drainWriteBacks();
      if (drained?.wakeInMs !== undefined) this.writeBacks.kickAfter(drained.wakeInMs);
    });
  }

  /** Connects the Teams side; until then, nothing is sent (outbox items wait). */
  useGateway(gateway: TeamsGateway): void {
    const { settings, log } = this.options;
    this.gateway = gateway;
    this.dispatcher = new Dispatcher(
      {
        outbox: this.outbox,
        lease: new Lease(this.options.tables.Leases, 'dispatcher', this.instanceId),
        leads: this.leads,
        deliveries: this.deliveries,
        conversations: this.conversations,
        gateway,
        now: this.now,
        log: log.child({ module: 'dispatcher' }),
        reports: {
          // The seven whole days before the send: sent on Mondays, last Monday to Sunday.
          insights: async () => (await readInsights('7d', { stats: this.stats, now: this.now }, 'yesterday')).insights,
          needsAnswer: (kinds) => this.needsAnswer(kinds),
        },
      },
      {
        perSecondPerConversation: settings.SEND_PER_SECOND_PER_CONVERSATION,
        per30SecondsPerConversation: settings.SEND_PER_30_SECONDS_PER_CONVERSATION,
        perSecondGlobal: settings.SEND_PER_SECOND_GLOBAL,
        maxAttempts: settings.SEND_MAX_ATTEMPTS,
        digestThreshold: settings.DIGEST_THRESHOLD,
        leaseMs: settings.LEASE_SECONDS * 1000,
        flameWindowHours: settings.FLAME_WINDOW_HOURS,
        adminConversationKeys: () => this.adminConversationKeys(),
      },
    );
    this.dispatcher.onDirectWork = () => this.sends.kick();
    this.dispatcher.onOutboxWork = () => this.kickOutbox();
  }

  /** The leads waiting for an answer, of these kinds, soonest deadline first (at most a digest's worth). */
  async needsAnswer(kinds: LeadKind[], limit = NEEDS_ANSWER_LINES): Promise<LeadSummary[]> {
    // One list per kind, each already in deadline order: the first `limit` of each, merged.
    const pages = await Promise.all(kinds.map((kind) => this.views.waiting(kind, { size: limit })));
    const byDeadline = (a: LeadSummary, b: LeadSummary) => a.expiresAt.localeCompare(b.expiresAt) || a.id.localeCompare(b.id);
    return pages.flatMap((page) => page.items).sort(byDeadline).slice(0, limit);
  }

  /** A partner admin's `retry <lead id>`: a lead set aside because its projection kept failing is projected again now. */
  retryProjection(leadId: string): ReturnType<Projector['retryParked']> {
    return this.projector.retryParked(leadId);
  }

  /** A webhook event was filed: fetch its referral now. */
  kickPartnerCenterEvents(): void {
    this.inbox.kick();
  }

  /** The sync's state for the `sync` command and the status route; `{ on: false }` when it is not configured. */
  async syncStatus(): Promise<SyncStatus | { on: false }> {
    return this.partnerCenter ? this.partnerCenter.status() : { on: false };
  }

  async ingest(referrals: Referral[]): Promise<IngestResult[]> {
    const results = await ingestReferrals(referrals, { leads: this.leads, now: this.now, responseDays: this.options.settings.LEAD_RESPONSE_DAYS });
    for (const r of results) if (!r.duplicate) this.leadChanged(r.id);
    return results;
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
    return rebuildDerived({
      tables,
      leads: this.leads,
      views: this.views,
      stats: this.stats,
      lease: new Lease(tables.Leases, 'rebuild', this.instanceId),
      now: this.now,
      log: log.child({ module: 'rebuild' }),
    });
  }

  /** Starts the background loops: projection sweep, sending, the scheduler. */
  start(): void {
    const { settings } = this.options;
    this.projections.every(SWEEP_EVERY_MS);
    // The outbox is looked at when this instance queues something; this finds what other instances queued and what is due again.
    this.sends.every(OUTBOX_POLL_MS, () => (this.outboxChanged = true));
    this.ticks.every(settings.SCHEDULER_INTERVAL_SECONDS * 1000);
    if (this.partnerCenter) {
      this.pulls.every(this.partnerCenter.pollMs);
      this.inbox.every(WRITE_BACK_EVERY_MS * 6);
      this.writeBacks.every(WRITE_BACK_EVERY_MS);
    }
  }

  /** Resolves when every kicked job has run (tests use it instead of sleeping). */
  async settle(): Promise<void> {
    const workers = [this.projections, this.sends, this.ticks, this.pulls, this.inbox, this.writeBacks];
    const began = Date.now();
    for (let i = 0; i < 10 || Date.now() - began < SETTLE_WAIT_MS; i++) {
      for (const worker of workers) await worker.idle();
      if (!workers.every((w) => w.quiet)) continue;
      // Cards waiting for a send slot: on a real clock the slot comes, so wait for it; a test's
      // clock moves only when the test moves it, so this returns and the test moves it.
      if (!this.sends.deferred) return;
      const before = this.now().getTime();
      await new Promise((resolve) => setTimeout(resolve, 25));
      if (this.now().getTime() === before) return;
    }
  }

  /** Runs the scheduler now (tests and the playground's fast clock). */
  tick(): void {
    this.ticks.kick();
  }

  kickSends(): void {
    this.kickOutbox();
  }

  /** The sender reads the outbox on its next pass (something may have been queued). */
  private kickOutbox(): void {
    this.outboxChanged = true;
    this.sends.kick();
  }

  /** Runs a Partner Center poll now (tests, and `sync now`). */
  pollPartnerCenter(): void {
    this.pulls.kick();
  }

  kickWriteBacks(): void {
    this.writeBacks.kick();
  }

  async stop(): Promise<void> {
    await Promise.all([this.projections, this.sends, this.ticks, this.pulls, this.inbox, this.writeBacks].map((w) => w.stop()));
    // Hand the leases over, so a restarted or other instance carries on without waiting them out.
    await Promise.all([this.dispatcher?.letGo(), this.schedulerLease.letGo()]).catch((error: unknown) =>
      this.options.log.warn({ err: error }, 'could not hand over the leases; they lapse by themselves'),
    );
  }

  private leadChanged(id: string): void {
    this.pendingLeads.add(id);
    this.projections.kick();
  }

  private async adminConversationKeys(): Promise<string[]> {
    const admins = await this.roles.list();
    const chats = await Promise.all(admins.filter((a) => a.role === 'partnerAdmin').map((a) => this.conversations.personalChatOf(a.id)));
    return chats.flatMap((c) => (c ? [c.key] : []));
  }

  /**
   * Where partner admins are told what concerns them all (the Partner Center connection): each
   * admin's personal chat with the bot, and the subscribed channels when some admin has none.
   */
  /** Partner admins hear once per parking that a lead's projection was set aside, and how to retry it. */
  private async reportParked(leadId: string, reason: string, tries: number, parking: string): Promise<void> {
    // The reason is one short line (UnreadableLeadError): this may reach a channel when an admin has no personal chat with the bot.
    const text = `Lead ${leadId} could not be processed ${tries} times in a row (${reason}), so Partner Leads set it aside: its cards, lists and reminders are not updated. A partner admin can fix the cause, then type: retry ${leadId}`;
    const now = this.now();
    await Promise.all(
      (await this.adminRecipients()).map((key) => this.outbox.enqueueOnce({ key: `parked|${leadId}|${parking}|${key}`, kind: 'adminNotice', conversationKey: key, text }, now)),
    );
  }

  private async adminRecipients(): Promise<string[]> {
    const admins = (await this.roles.list()).filter((a) => a.role === 'partnerAdmin');
    const chats = await Promise.all(admins.map((a) => this.conversations.personalChatOf(a.id)));
    const keys = chats.flatMap((c) => (c ? [c.key] : []));
    if (admins.length > 0 && keys.length === admins.length) return keys;
    const channels = (await this.conversations.subscribed()).filter((c) => c.scope === 'channel').map((c) => c.key);
    return [...new Set([...keys, ...channels])];
  }
}
