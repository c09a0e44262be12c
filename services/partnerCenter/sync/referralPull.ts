/**
 * Referrals in: the catch-up poll (at start and every PARTNER_CENTER_POLL_SECONDS, one instance at a
 * time under a lease) and the inbox of webhook events. The poll reads the newest changes first and
 * stops at what the last pass saw, less an overlap, so a referral changed during a pass is read by
 * the next one; a webhook event names one referral, which is fetched by id. Either way the referral
 * goes through takeReferral: a new lead once, a known lead brought in line, nothing twice.
 */
import type { Logger } from '../../logger';
import type { Lease } from '../../storage/lease';
import type { TakeResult } from '../referrals/takeReferral';
import type { PartnerCenterClient } from '../connection/partnerCenterClient';
import { PartnerCenterError } from '../connection/partnerCenterErrors';
import { inParallel } from '../../inParallel';
import type { SyncHealth } from './syncHealth';
import type { InboxEvent, SyncStore } from '../syncStore';

/** A referral changed this long before the newest one the last pass saw is read again (clock skew, equal times). */
export const CURSOR_OVERLAP_MS = 5 * 60_000;
/** A first import reads at most this many pages (100 referrals each). */
const MAX_PAGES = 2_000;
const INBOX_BACKOFF_MS = [5_000, 30_000, 120_000, 600_000];
/** Referrals of one page taken at once (each is its own lead: they do not race each other). */
const TAKE_CONCURRENCY = 8;

export interface ReferralPullDeps {
  client: PartnerCenterClient;
  store: SyncStore;
  health: SyncHealth;
  lease: Lease;
  leaseMs: number;
  /** Takes one referral as Partner Center sent it (takeReferral, and what follows from its result). */
  take: (raw: unknown) => Promise<TakeResult>;
  now: () => Date;
  log: Logger;
}

export interface PullResult {
  ran: boolean;
  read: number;
  created: number;
  updated: number;
  skipped: number;
}

export class ReferralPull {
  /** Partner Center asked for a pause (429/503 with Retry-After): no pass before then. */
  private pausedUntil = 0;

  constructor(private readonly deps: ReferralPullDeps) {}

  /** One catch-up pass; false `ran` when another instance holds the poll. */
  async poll(): Promise<PullResult> {
    const { client, store, lease, log } = this.deps;
    const result: PullResult = { ran: false, read: 0, created: 0, updated: 0, skipped: 0 };
    if (this.deps.now().getTime() < this.pausedUntil) return result;
    const held = await lease.acquire(this.deps.now(), this.deps.leaseMs);
    if (!held) return result;
    result.ran = true;
    try {
      const cursor = await store.cursor();
      const stopBefore = cursor ? Date.parse(cursor) - CURSOR_OVERLAP_MS : Number.NEGATIVE_INFINITY;
      let newest = cursor;
      let next: string | undefined;
      let pages = 0;
      let done = false;
      do {
        const page = await client.list(next);
        // Newest first: the page's referrals up to the first one the last pass already saw.
        const stop = page.referrals.findIndex((raw) => Date.parse(updatedAt(raw) ?? '') < stopBefore);
        const fresh = stop < 0 ? page.referrals : page.referrals.slice(0, stop);
        done = stop >= 0;
        for (const raw of fresh) {
          const updated = updatedAt(raw);
          if (updated && (!newest || Date.parse(updated) > Date.parse(newest))) newest = updated;
        }
        result.read += fresh.length;
        for (const taken of await inParallel(fresh, TAKE_CONCURRENCY, (raw) => this.takeOne(raw))) this.count(result, taken);
        next = page.next;
      } while (!done && next && ++pages < MAX_PAGES);
      if (!done && next) log.warn({ pages }, 'Partner Center: the first import stopped at the page limit; older referrals were not read');
      if (newest && newest !== cursor) await store.saveCursor(newest);
      await this.deps.health.succeeded('pull');
      if (result.created + result.updated > 0) log.info(result, 'Partner Center: referrals pulled');
    } catch (error) {
      await this.reportFailure(error, 'pull');
    } finally {
      await lease.release(held.etag, {}).catch(() => undefined);
    }
    return result;
  }

  /** Fetches and takes the referral of each webhook event waiting in the inbox. */
  async drainInbox(): Promise<number> {
    const { store, client } = this.deps;
    if (this.deps.now().getTime() < this.pausedUntil) return 0;
    const events = await store.events(this.deps.now());
    let handled = 0;
    for (const event of events) {
      try {
        const raw = await client.get(event.referralId);
        if (raw === undefined) this.deps.log.warn({ referralId: event.referralId, event: event.eventName }, 'Partner Center event for a referral it does not have: dropped');
        else await this.takeOne(raw);
        await store.settleEvent(event);
        handled++;
      } catch (error) {
        await this.reportFailure(error, 'event');
        await store.deferEvent(event, Math.max(this.retryAt(event), this.pausedUntil));
        if (this.deps.now().getTime() < this.pausedUntil) break;
      }
    }
    return handled;
  }

  private async takeOne(raw: unknown): Promise<TakeResult> {
    const taken = await this.deps.take(raw);
    if (taken.status === 'ignored' && taken.reason === 'invalid') {
      this.deps.log.warn({ referralId: taken.leadId, issues: taken.issues?.slice(0, 5) }, 'Partner Center sent a referral this version cannot read: skipped');
    }
    return taken;
  }

  private count(result: PullResult, taken: TakeResult): void {
    if (taken.status === 'created') result.created++;
    else if (taken.status === 'updated') result.updated++;
    else if (taken.status === 'ignored') result.skipped++;
  }

  private retryAt(event: InboxEvent): number {
    return this.deps.now().getTime() + (INBOX_BACKOFF_MS[Math.min(event.attempts, INBOX_BACKOFF_MS.length - 1)] ?? 600_000);
  }

  private async reportFailure(error: unknown, what: 'pull' | 'event'): Promise<void> {
    if (!(error instanceof PartnerCenterError)) {
      this.deps.log.warn({ err: error, what }, 'Partner Center pull failed; tried again on the next pass');
      return;
    }
    this.deps.log.warn({ problem: error.problem, status: error.status, reason: error.message, what }, 'Partner Center pull failed; tried again later');
    if (error.details.retryAfterMs !== undefined) this.pausedUntil = this.deps.now().getTime() + error.details.retryAfterMs;
    await this.deps.health.failed(error);
  }
}

function updatedAt(raw: unknown): string | undefined {
  const value = (raw as { updatedDateTime?: unknown } | null)?.updatedDateTime;
  return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? value : undefined;
}
