/**
 * The Partner Center sync, one slice: the token source, the API client, the poll and webhook inbox
 * (referrals in), the write-back queue, its reaction and its sender (decisions out), the expiry
 * that follows Partner Center, the health record, the webhook signature check, and what its cards
 * and the leads API say of it. LeadsApp subscribes its reaction and runs its passes; the HTTP edge
 * hands it webhook events.
 */
import type { Reaction } from '../changes/reaction';
import type { DeliveryStore } from '../delivery/deliveryStore';
import type { Outbox } from '../delivery/outbox';
import type { Lead } from '../leads/lead';
import type { OutsideView } from '../leads/outsideView';
import type { Logger } from '../logger';
import type { ConversationStore } from '../storage/conversationStore';
import type { LeadStore } from '../storage/leadStore';
import { Lease } from '../storage/lease';
import type { Tables } from '../storage/tables';
import { PartnerCenterClient } from './connection/partnerCenterClient';
import { PartnerCenterError } from './connection/partnerCenterErrors';
import { RefreshTokenSource, type IdentitySettings } from './connection/tokenProvider';
import { partnerCenterView } from './referrals/referralView';
import { markRejected, takeReferral, type TakeResult } from './referrals/takeReferral';
import { ReferralPull, type PullResult } from './sync/referralPull';
import { SyncHealth } from './sync/syncHealth';
import { WriteBackSender } from './sync/writeBack';
import { WriteBackQueue, writeBackReaction } from './sync/writeBackQueue';
import { SyncStore, type Health } from './syncStore';
import { readEvent, type EventReceipt } from './webhook/webhookEvents';
import { WebhookVerifier, type Verdict } from './webhook/webhookSignature';

export interface PartnerCenterSettings extends IdentitySettings {
  refreshToken?: string;
  apiUrl: string;
  pollSeconds: number;
  webhookCertHosts: string[];
  webhookCa?: string;
}

export interface PartnerCenterSyncDeps {
  settings: PartnerCenterSettings;
  /** Its own rows (PartnerCenter), its queue's partition (Outbox, DeadLetters), its poll lease (Leases). */
  tables: Pick<Tables, 'PartnerCenter' | 'Outbox' | 'DeadLetters' | 'Leases'>;
  instanceId: string;
  leads: LeadStore;
  conversations: ConversationStore;
  deliveries: DeliveryStore;
  /** Teams' outbox: messages to people. */
  outbox: Outbox;
  leaseMs: number;
  /** Partner admins' conversations for health messages. */
  adminRecipients: () => Promise<string[]>;
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
}

export type { EventReceipt };

export class PartnerCenterSync {
  readonly client: PartnerCenterClient;
  readonly health: SyncHealth;
  readonly pull: ReferralPull;
  readonly verifier: WebhookVerifier;
  readonly tokens: RefreshTokenSource;
  readonly writeBack: WriteBackSender;
  readonly store: SyncStore;
  /** Every change whose lead says something Partner Center does not have yet is queued for writing back. */
  readonly reaction: Reaction;
  private readonly writeBacks: WriteBackQueue;

  constructor(private readonly deps: PartnerCenterSyncDeps) {
    const { settings, tables, now, log } = deps;
    const store = (this.store = new SyncStore(tables.PartnerCenter));
    this.writeBacks = new WriteBackQueue(tables.Outbox, tables.DeadLetters);
    this.reaction = writeBackReaction(this.writeBacks, deps.writeBacksQueued);
    this.tokens = new RefreshTokenSource(settings, store, { bootstrap: settings.refreshToken, now, log });
    this.client = new PartnerCenterClient(settings.apiUrl, this.tokens);
    this.health = new SyncHealth({ store, outbox: deps.outbox, recipients: deps.adminRecipients, queued: deps.messagesQueued, freshTokenAt: () => this.tokens.refreshedAt, now, log });
    const lease = new Lease(tables.Leases, 'partnerCenterPoll', deps.instanceId);
    this.pull = new ReferralPull({ client: this.client, store, health: this.health, lease, leaseMs: deps.leaseMs, take: (raw) => this.take(raw), now, log });
    this.verifier = new WebhookVerifier({ allowedHosts: settings.webhookCertHosts, caFile: settings.webhookCa, now });
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

  drainInbox(): Promise<number> {
    return this.pull.drainInbox();
  }

  drainWriteBacks(): Promise<{ handled: number; wakeInMs?: number }> {
    return this.writeBack.drain();
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
    return [partnerCenterView(lead, true)];
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

  async status(): Promise<SyncStatus> {
    const [health, waiting] = await Promise.all([this.health.status(), this.writeBacks.pendingCount()]);
    const { etag: _etag, failingSince: _since, ...shown } = health;
    return { on: true, waiting, ...shown };
  }

  /** The referral as Partner Center sent it, taken; then what follows from the result. */
  async take(raw: unknown): Promise<TakeResult> {
    const { leads, now, responseDays } = this.deps;
    const taken = await takeReferral(raw, { leads, now, responseDays });
    if (taken.status === 'created') this.deps.leadChanged(taken.leadId);
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
   * One message to the person whose change Partner Center overruled: in their personal chat with
   * the bot, else where the lead's card is.
   */
  private async tellOverruled(before: Lead, after: Lead): Promise<void> {
    const by = before.lastAction?.by;
    if (!by || by.id === 'system' || by.id === 'partner-center') return;
    const personal = await this.deps.conversations.personalChatOf(by.id);
    const keys = personal ? [personal.key] : (await this.deps.deliveries.forLead(after.id)).map((d) => d.conversationKey);
    await Promise.all(
      keys.map((conversationKey) =>
        this.deps.outbox.enqueueOnce(
          { key: `overruled|${after.id}|${after.version}|${conversationKey}`, kind: 'overruled', conversationKey, leadId: after.id, text: before.lastAction?.kind ?? '' },
          this.deps.now(),
        ),
      ),
    );
    this.deps.messagesQueued();
  }
}
