/**
 * The Partner Center sync, one slice: the token source, the API client, the poll and webhook inbox
 * (referrals in), the write-back queue, its reaction and its sender (decisions out), the expiry
 * that follows Partner Center, the health record, the webhook signature check, and what its cards
 * and the leads API say of it. LeadsApp subscribes its reaction and runs its passes; the HTTP edge
 * hands it webhook events.
 */
import { count } from '../telemetry';
import type { Reaction } from '../changes/reaction';
import { personKey, type Outbox } from '../delivery/outbox';
import type { Lead } from '../leads/lead';
import type { OutsideView } from '../leads/outsideView';
import type { Logger } from '../logger';
import type { LeadStore } from '../storage/leadStore';
import { Lease, LEASES } from '../storage/lease';
import type { Tables } from '../storage/tables';
import { PartnerCenterClient } from './connection/partnerCenterClient';
import { PartnerCenterError } from './connection/partnerCenterErrors';
import { RefreshTokenSource, type IdentitySettings } from './connection/tokenProvider';
import { tokenVaultOf } from './connection/tokenVault';
import { partnerCenterView } from './referrals/referralView';
import { markRejected, takenLeadId, takeReferral, type TakeResult } from './referrals/takeReferral';
import { ReferralPull, type PullResult } from './sync/referralPull';
import { SyncHealth } from './sync/syncHealth';
import { WriteBackSender } from './sync/writeBack';
import { WriteBackQueue, writeBackReaction } from './sync/writeBackQueue';
import { SyncStore, type Health } from './syncStore';
import { readEvent, type EventReceipt } from './webhook/webhookEvents';
import { WebhookVerifier, type Verdict } from './webhook/webhookSignature';
import { ParkedReferrals, parkedBatchKey, parkedReferralsNotice, type ParkedReferral } from './sync/parkedReferrals';
import { REFERRAL_ID_PATTERN } from './referrals/referral';

export interface PartnerCenterSettings extends IdentitySettings {
  refreshToken?: string;
  /** A lead's page in the Partner Center portal ({id}: the referral id), for "Open in Partner Center". */
  leadUrl?: string;
  apiUrl: string;
  pollSeconds: number;
  webhookCertUrlPrefixes: string[];
  webhookCa?: string;
  /** No successful pull for this long tells partner admins (the pull watchdog). */
  alertAfterMs: number;
  /** Seals the refresh token at rest (base64, 32 bytes), when Key Vault does not keep it. */
  tokenKey?: string;
  /** Azure Key Vault keeping the refresh token, reached with the app's managed identity. */
  keyVaultUrl?: string;
  /** This storage's table prefix (names its Key Vault secret) and data folder (a development key's home). */
  tablePrefix?: string;
  dataDir: string;
}

export interface PartnerCenterSyncDeps {
  settings: PartnerCenterSettings;
  /** Its own rows (PartnerCenter), its queue's partition (Outbox, DeadLetters), its poll lease (Leases). */
  tables: Pick<Tables, 'PartnerCenter' | 'Outbox' | 'DeadLetters' | 'Leases'>;
  instanceId: string;
  leads: LeadStore;
  /** Teams' outbox: messages to people. */
  outbox: Outbox;
  leaseMs: number;
  /** Partner admins' conversations for health messages. */
  adminRecipients: () => Promise<string[]>;
  /** Tells partner admins once (`key` names the notice). */
  tellAdmins: (key: string, text: string) => Promise<void>;
  /** A lead changed (created, taken from Partner Center, refused): project it now. */
  leadChanged: (leadId: string) => void;
  /** Messages to people were queued: send them now. */
  messagesQueued: () => void;
  /** Write-backs were queued: send them now. */
  writeBacksQueued: () => void;
  now: () => Date;
  responseDays: number;
  log: Logger;
}

export interface SyncStatus {
  on: true;
  lastPullAt?: string;
  lastPushAt?: string;
  waiting: number;
  lastError?: string;
  lastErrorAt?: string;
  broken?: Health['broken'];
  brokenSince?: string;
  /** Referrals this version could not read, set aside: how many, and the first ones. */
  parked: { count: number; first: ParkedReferral[] };
}

/** What `retry <referral id>` made of a parked referral. */
export type ReferralRetry =
  | { outcome: 'notParked' }
  | { outcome: 'imported'; leadId: string }
  | { outcome: 'stillUnreadable'; reason: string }
  /** Readable now, and not a lead (a co-sell opportunity, an outgoing referral): set aside no longer, and no card. */
  | { outcome: 'notALead' };

export type { EventReceipt };

export class PartnerCenterSync {
  readonly client: PartnerCenterClient;
  readonly health: SyncHealth;
  readonly pull: ReferralPull;
  readonly verifier: WebhookVerifier;
  readonly tokens: RefreshTokenSource;
  readonly writeBack: WriteBackSender;
  readonly store: SyncStore;
  readonly parked: ParkedReferrals;
  /** Every change whose lead says something Partner Center does not have yet is queued for writing back. */
  readonly reaction: Reaction;
  private readonly writeBacks: WriteBackQueue;

  constructor(private readonly deps: PartnerCenterSyncDeps) {
    const { settings, tables, now, log } = deps;
    const store = (this.store = new SyncStore(tables.PartnerCenter, tokenVaultOf(settings)));
    this.parked = new ParkedReferrals(tables.PartnerCenter);
    this.writeBacks = new WriteBackQueue(tables.Outbox, tables.DeadLetters);
    this.reaction = writeBackReaction(this.writeBacks, deps.writeBacksQueued);
    this.tokens = new RefreshTokenSource(settings, store, { bootstrap: settings.refreshToken, now, log });
    this.client = new PartnerCenterClient(settings.apiUrl, this.tokens);
    this.health = new SyncHealth({ store, outbox: deps.outbox, recipients: deps.adminRecipients, queued: deps.messagesQueued, freshTokenAt: () => this.tokens.refreshedAt, now, log });
    const lease = new Lease(tables.Leases, LEASES.partnerCenterPoll, deps.instanceId);
    this.pull = new ReferralPull({
      client: this.client,
      store,
      health: this.health,
      lease,
      leaseMs: deps.leaseMs,
      take: (raw) => this.take(raw),
      park: (raw, taken) => this.parked.park(raw, taken, this.deps.now()),
      parked: this.parked,
      tellParked: (parked) => deps.tellAdmins(parkedBatchKey(parked.map((p) => p.id)), parkedReferralsNotice(parked)),
      alertAfterMs: settings.alertAfterMs,
      now,
      log,
    });
    this.verifier = new WebhookVerifier({ allowedPrefixes: settings.webhookCertUrlPrefixes, caFile: settings.webhookCa, now });
    this.writeBack = new WriteBackSender({
      queue: this.writeBacks,
      client: this.client,
      leads: deps.leads,
      health: this.health,
      take: (raw) => this.take(raw),
      reject: (leadId, message, revision) => this.reject(leadId, message, revision),
      now,
      log,
    });
  }

  get pollMs(): number {
    return this.deps.settings.pollSeconds * 1000;
  }

  poll(): Promise<PullResult> {
    return this.pull.poll();
  }

  /** The pull watchdog on its own: a pass that hangs (storage or Partner Center never answering) is noticed too. */
  watchPulls(): Promise<void> {
    return this.health.watchPulls(this.deps.settings.alertAfterMs);
  }

  drainInbox(): Promise<number> {
    return this.pull.drainInbox();
  }

  drainWriteBacks(): Promise<{ handled: number; wakeInMs?: number }> {
    return this.writeBack.drain();
  }

  /** Before start: a refresh token an earlier release stored in plain text is sealed now. */
  async sealStoredToken(): Promise<void> {
    if (await this.store.sealStoredToken(this.deps.now())) this.deps.log.info('the stored Partner Center refresh token was sealed (an earlier release kept it in plain text)');
  }

  /** Whether a refresh token is configured or stored. */
  connected(): Promise<boolean> {
    return this.tokens.available();
  }

  verify(headers: Record<string, string | string[] | undefined>, body: Buffer): Promise<Verdict> {
    return this.verifier.verify(headers, body);
  }

  /** Files a verified webhook event (durably) for the inbox to fetch its referral. */
  async receiveEvent(payload: unknown): Promise<EventReceipt> {
    const event = readEvent(payload);
    if ('status' in event) return event;
    await this.store.fileEvent(event.referralId, event.eventName, event.changedAt, this.deps.now());
    return { status: 'filed', referralId: event.referralId };
  }

  /** What the card says of Partner Center (a change on its way, one it refused; its own changes). */
  outside(lead: Lead): OutsideView[] {
    return [partnerCenterView(lead, true, this.deps.settings.leadUrl)];
  }

  /**
   * At a lead's deadline, Partner Center decides: the referral is read and taken (it may have been
   * accepted in the portal, extended, or expired there). `settled` when the lead no longer waits,
   * `waiting` while Partner Center still has it open (or cannot be asked), `unknown` when Partner
   * Center has no such referral (a lead from the leads API): then the deadline is ours to keep.
   */
  async followExpiry(leadId: string): Promise<'settled' | 'waiting' | 'unknown'> {
    let raw: unknown;
    try {
      raw = await this.client.get(leadId);
    } catch (error) {
      if (!(error instanceof PartnerCenterError)) throw error;
      // Asked again later; the poll catches up meanwhile.
      await this.health.failed(error);
      return 'waiting';
    }
    if (raw === undefined) return 'unknown';
    await this.take(raw);
    const stored = await this.deps.leads.get(leadId);
    const settled = !stored || stored.lead.stage !== 'Received' || Date.parse(stored.lead.expiresAt) > this.deps.now().getTime();
    return settled ? 'settled' : 'waiting';
  }

  /** Changes waiting to be written back (a gauge). */
  waitingWriteBacks(): Promise<number> {
    return this.writeBacks.pendingCount();
  }

  async status(): Promise<SyncStatus> {
    const [health, waiting, parked] = await Promise.all([this.health.status(), this.writeBacks.pendingCount(), this.parked.list()]);
    const { etag: _etag, failingSince: _since, watchingSince: _watching, ...shown } = health;
    return { on: true, waiting, ...shown, parked: { count: parked.length, first: parked.slice(0, 5) } };
  }

  /**
   * A partner admin's `retry <referral id>`: a parked referral is read again, as Partner Center has
   * it now when it can be asked (else as it was sent), and imported once this version can read it.
   */
  async retryReferral(id: string): Promise<ReferralRetry> {
    const parked = await this.parked.get(id);
    if (!parked) return { outcome: 'notParked' };
    const fresh = REFERRAL_ID_PATTERN.test(id) ? await this.client.get(id).catch(() => undefined) : undefined;
    const taken = await this.take(fresh ?? parked.raw);
    if (taken.status === 'unreadable') {
      await this.parked.park(fresh ?? parked.raw, taken, this.deps.now());
      return { outcome: 'stillUnreadable', reason: taken.reason };
    }
    await this.parked.remove(id);
    if (taken.status === 'ignored') return { outcome: 'notALead' };
    return { outcome: 'imported', leadId: takenLeadId(taken) ?? id };
  }

  /**
   * What a release parked is read again by this one (it may read more): those it can read are
   * imported and unparked, quietly; the rest stay parked. Run once per start, before the first poll.
   */
  async readParkedAgain(): Promise<number> {
    let imported = 0;
    for (const parked of await this.parked.list(500)) {
      const full = await this.parked.get(parked.id);
      if (!full) continue;
      const taken = await this.take(full.raw);
      if (taken.status === 'unreadable') continue;
      await this.parked.remove(parked.id);
      imported++;
    }
    if (imported > 0) this.deps.log.info({ imported }, 'referrals parked by an earlier release were read and imported');
    return imported;
  }

  /** The referral as Partner Center sent it, taken; then what follows from the result. */
  async take(raw: unknown): Promise<TakeResult> {
    const { leads, now, responseDays } = this.deps;
    const taken = await takeReferral(raw, { leads, now, responseDays });
    if (taken.status === 'created') {
      this.deps.leadChanged(taken.leadId);
      count.leadsReceived(1, 'partnerCenter');
    }
    if (taken.status === 'updated') {
      this.deps.leadChanged(taken.lead.id);
      if (taken.overruled.length > 0) await this.tellOverruled(taken.before, taken.lead);
    }
    return taken;
  }

  /** Records Partner Center's refusal of a write-back on the lead (its card says so). */
  async reject(leadId: string, message: string, revision: number | undefined): Promise<void> {
    const lead = await markRejected(leadId, message, revision, { leads: this.deps.leads, now: this.deps.now });
    if (lead) this.deps.leadChanged(leadId);
  }

  /**
   * One message to the person whose change Partner Center overruled: in their activity feed or
   * personal chat (opened if need be), else where the lead's card is.
   */
  private async tellOverruled(before: Lead, after: Lead): Promise<void> {
    const by = before.lastAction?.by;
    if (!by || by.id === 'system' || by.id === 'partner-center') return;
    const item = { key: `overruled|${after.id}|${after.version}`, kind: 'overruled' as const, conversationKey: personKey(by.id), personId: by.id, leadId: after.id, text: before.lastAction?.kind ?? '' };
    await this.deps.outbox.enqueueOnce(item, this.deps.now());
    this.deps.messagesQueued();
  }
}
