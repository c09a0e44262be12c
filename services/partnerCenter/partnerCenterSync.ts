/**
 * The Partner Center sync, wired: the token source, the API client, the poll and webhook inbox
 * (referrals in), the write-back sender (decisions out), the health record and the webhook
 * signature check. LeadsApp runs its passes in background jobs; bot/ hands it webhook events.
 */
import { z } from 'zod';
import type { ConversationStore } from '../storage/conversationStore';
import type { DeliveryStore } from '../delivery/deliveryStore';
import type { Outbox } from '../delivery/outbox';
import type { Logger } from '../logger';
import type { Lead } from '../leads/lead';
import { REFERRAL_ID_PATTERN } from '../leads/referral';
import type { LeadStore } from '../storage/leadStore';
import type { Lease } from '../storage/lease';
import { markRejected, takeReferral, type TakeResult } from '../useCases/takeReferral';
import { PartnerCenterClient } from './partnerCenterClient';
import { PartnerCenterError } from './partnerCenterErrors';
import { ReferralPull, type PullResult } from './referralPull';
import { SyncHealth } from './syncHealth';
import type { Health, SyncStore } from './syncStore';
import { RefreshTokenSource, type IdentitySettings } from './tokenProvider';
import { WebhookVerifier, type Verdict } from './webhookSignature';
import { WriteBackSender } from './writeBack';

export interface PartnerCenterSettings extends IdentitySettings {
  refreshToken?: string;
  apiUrl: string;
  pollSeconds: number;
  webhookCertHosts: string[];
  webhookCa?: string;
}

export interface PartnerCenterSyncDeps {
  settings: PartnerCenterSettings;
  store: SyncStore;
  leads: LeadStore;
  conversations: ConversationStore;
  deliveries: DeliveryStore;
  /** Teams' outbox (messages to people) and the write-back queue. */
  outbox: Outbox;
  writeBacks: Outbox;
  pollLease: Lease;
  leaseMs: number;
  /** Partner admins' conversations for health messages. */
  adminRecipients: () => Promise<string[]>;
  /** A lead changed (created, taken from Partner Center, refused): project it now. */
  leadChanged: (leadId: string) => void;
  /** Messages to people were queued: send them now. */
  messagesQueued: () => void;
  now: () => Date;
  responseDays: number;
  log: Logger;
}

/** What Partner Center POSTs to the webhook (after the signature was checked). */
const eventSchema = z.object({
  EventName: z.string().min(1).max(100),
  ResourceUri: z.string().max(2048).optional(),
  ResourceName: z.string().max(100).nullish(),
  AuditUri: z.string().max(2048).nullish(),
  ResourceChangeUtcDate: z.string().max(64).nullish(),
});

/** The events that concern referrals we may hold; others (test-created, co-sell's related-referral-*) are acknowledged and ignored. */
const REFERRAL_EVENTS = new Set(['referral-created', 'referral-updated']);

export type EventReceipt = { status: 'filed'; referralId: string } | { status: 'ignored'; reason: string } | { status: 'invalid'; issues: string[] };

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

export class PartnerCenterSync {
  readonly client: PartnerCenterClient;
  readonly health: SyncHealth;
  readonly pull: ReferralPull;
  readonly verifier: WebhookVerifier;
  readonly tokens: RefreshTokenSource;
  readonly writeBack: WriteBackSender;

  constructor(private readonly deps: PartnerCenterSyncDeps) {
    const { settings, store, now, log } = deps;
    this.tokens = new RefreshTokenSource(settings, store, { bootstrap: settings.refreshToken, now, log });
    this.client = new PartnerCenterClient(settings.apiUrl, this.tokens);
    this.health = new SyncHealth({ store, outbox: deps.outbox, recipients: deps.adminRecipients, queued: deps.messagesQueued, freshTokenAt: () => this.tokens.refreshedAt, now, log });
    this.pull = new ReferralPull({ client: this.client, store, health: this.health, lease: deps.pollLease, leaseMs: deps.leaseMs, take: (raw) => this.take(raw), now, log });
    this.verifier = new WebhookVerifier({ allowedHosts: settings.webhookCertHosts, caFile: settings.webhookCa, now });
    this.writeBack = new WriteBackSender({
      queue: deps.writeBacks,
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
    const parsed = eventSchema.safeParse(payload);
    if (!parsed.success) return { status: 'invalid', issues: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`) };
    const event = parsed.data;
    if (!REFERRAL_EVENTS.has(event.EventName)) return { status: 'ignored', reason: `${event.EventName} is not a referral event` };
    const referralId = referralIdOf(event.ResourceUri ?? '');
    if (!referralId) return { status: 'invalid', issues: ['ResourceUri: names no referral'] };
    await this.deps.store.fileEvent(referralId, event.EventName, event.ResourceChangeUtcDate ?? undefined, this.deps.now());
    return { status: 'filed', referralId };
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
    const [health, waiting] = await Promise.all([this.health.status(), this.deps.writeBacks.pendingCount()]);
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

/** The referral id at the end of a webhook's ResourceUri (…/engagements/v1/referrals/{id}). */
export function referralIdOf(resourceUri: string): string | undefined {
  let path: string;
  try {
    path = new URL(resourceUri).pathname;
  } catch {
    return undefined;
  }
  const id = decodeURIComponent(path.split('/').filter(Boolean).pop() ?? '');
  return /\/referrals\/[^/]+\/?$/i.test(path) && REFERRAL_ID_PATTERN.test(id) ? id : undefined;
}
