/**
 * Referrals in: the catch-up poll (at start and every PARTNER_CENTER_POLL_SECONDS, one instance at a
 * time under a lease) and the inbox of webhook events. The poll asks for the newest changes first
 * and stops after a page holding nothing the last pass did not see (less an overlap), so a referral
 * changed during a pass is read by the next one; it does not count on later pages keeping the order
 * (Partner Center's documented next-page links drop it), and once a day it reads every page. A
 * webhook event names one referral, which is fetched by id. Either way the referral goes through
 * takeReferral: a new lead once, a known lead brought in line, nothing twice; one this version cannot
 * read is parked (partner admins told once per batch). Every tick, on every instance, the pull
 * watchdog checks that some pull succeeded recently (SyncHealth.watchPulls).
 */
import type { Logger } from '../../logger';
import type { Lease } from '../../storage/lease';
import { takenLeadId, type TakeResult } from '../referrals/takeReferral';
import type { PartnerCenterClient } from '../connection/partnerCenterClient';
import { PartnerCenterError } from '../connection/partnerCenterErrors';
import { briefly } from '../../errors';
import { inParallel } from '../../inParallel';
import type { SyncHealth } from './syncHealth';
import type { ParkedReferrals } from './parkedReferrals';
import type { InboxEvent, SyncStore } from '../syncStore';

/** A referral changed this long before the newest one the last pass saw is read again (clock skew, equal times). */
export const CURSOR_OVERLAP_MS = 5 * 60_000;
/** A first import reads at most this many pages (100 referrals each). */
const MAX_PAGES = 2_000;
/** Every page is read once this often, whatever the cursor says: nothing a page out of order hid stays unread. */
export const FULL_PASS_EVERY_MS = 24 * 3_600_000;
/** A full pass that did not finish (a failing page, the page limit) is begun again this much later, not on every poll. */
const FULL_PASS_RETRY_MS = 3_600_000;
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
  /** Parks a referral this version cannot read; `isNew` when it was not parked already. */
  park: (raw: unknown, taken: Extract<TakeResult, { status: 'unreadable' }>) => Promise<{ id: string; isNew: boolean }>;
  /** What is parked (listed once a pass), and taking one out once it reads. */
  parked: Pick<ParkedReferrals, 'list' | 'remove'>;
  /** Tells partner admins of a batch of newly parked referrals (once per batch). */
  tellParked: (parked: { id: string; name?: string; reason: string }[]) => Promise<void>;
  /** No successful pull for this long breaks the sync as stalled. */
  alertAfterMs: number;
  now: () => Date;
  log: Logger;
}

export interface PullResult {
  ran: boolean;
  read: number;
  created: number;
  updated: number;
  skipped: number;
  parked: number;
}

export class ReferralPull {
  /** Partner Center asked for a pause (429/503 with Retry-After): no pass before then. */
  private pausedUntil = 0;
  /** Referrals parked, as this pass knows them. */
  private parkedIds = new Set<string>();

  constructor(private readonly deps: ReferralPullDeps) {}

  /** One catch-up pass; false `ran` when another instance holds the poll. Then the watchdog looks, whoever ran. */
  async poll(): Promise<PullResult> {
    const result: PullResult = { ran: false, read: 0, created: 0, updated: 0, skipped: 0, parked: 0 };
    try {
      if (this.deps.now().getTime() >= this.pausedUntil) await this.pass(result);
    } finally {
      await this.deps.health.watchPulls(this.deps.alertAfterMs).catch((error: unknown) => this.deps.log.warn({ err: error }, 'the pull watchdog could not look'));
    }
    return result;
  }

  private async pass(result: PullResult): Promise<void> {
    const { client, store, lease, log } = this.deps;
    const held = await lease.acquire(this.deps.now(), this.deps.leaseMs);
    if (!held) return;
    result.ran = true;
    const parked: { id: string; name?: string; reason: string }[] = [];
    try {
      const [cursor, fullPass] = await Promise.all([store.cursor(), store.fullPass()]);
      await this.knowParked();
      const now = this.deps.now().getTime();
      const since = (at: string | undefined) => (at ? now - Date.parse(at) : Number.POSITIVE_INFINITY);
      const full = since(fullPass.at) >= FULL_PASS_EVERY_MS && since(fullPass.triedAt) >= FULL_PASS_RETRY_MS;
      if (full) await store.fullPassTried(this.deps.now().toISOString());
      const stopBefore = cursor && !full ? Date.parse(cursor) - CURSOR_OVERLAP_MS : Number.NEGATIVE_INFINITY;
      let newest = cursor;
      let next: string | undefined;
      let pages = 0;
      let done = false;
      do {
        const page = await client.list(next);
        // The first page is in the order asked for: it ends the pass at its first referral the last pass saw. Later
        // pages come by Partner Center's next-page links, whose order is not assumed: a page of nothing new ends it.
        const seen = (raw: unknown) => Date.parse(updatedAt(raw) ?? '') < stopBefore;
        const firstSeen = next === undefined ? page.referrals.findIndex(seen) : -1;
        const fresh = firstSeen >= 0 ? page.referrals.slice(0, firstSeen) : page.referrals.filter((raw) => !seen(raw));
        done = firstSeen >= 0 || (fresh.length === 0 && page.referrals.length > 0);
        for (const raw of fresh) {
          const updated = updatedAt(raw);
          if (updated && (!newest || Date.parse(updated) > Date.parse(newest))) newest = updated;
        }
        result.read += fresh.length;
        for (const taken of await inParallel(fresh, TAKE_CONCURRENCY, (raw) => this.takeOne(raw, parked))) this.count(result, taken);
        next = page.next;
      } while (!done && next && ++pages < MAX_PAGES);
      if (!done && next) log.warn({ pages }, 'Partner Center: the import stopped at the page limit; older referrals were not read');
      if (newest && newest !== cursor) await store.saveCursor(newest);
      if (full && !(next && !done)) await store.saveFullPass(this.deps.now().toISOString());
      await this.deps.health.succeeded('pull');
      if (result.created + result.updated + result.parked > 0) log.info(result, 'Partner Center: referrals pulled');
    } catch (error) {
      await this.reportFailure(error, 'pull');
    } finally {
      await this.tellParked(parked);
      await lease.release(held.etag, {}).catch(() => undefined);
    }
  }

  /** Fetches and takes the referral of each webhook event waiting in the inbox. */
  async drainInbox(): Promise<number> {
    const { store, client } = this.deps;
    if (this.deps.now().getTime() < this.pausedUntil) return 0;
    const events = await store.events(this.deps.now());
    if (events.length > 0) await this.knowParked();
    const parked: { id: string; name?: string; reason: string }[] = [];
    let handled = 0;
    try {
      for (const event of events) {
        try {
          const raw = await client.get(event.referralId);
          if (raw === undefined) this.deps.log.warn({ referralId: event.referralId, event: event.eventName }, 'Partner Center event for a referral it does not have: dropped');
          else await this.takeOne(raw, parked);
          await store.settleEvent(event);
          handled++;
        } catch (error) {
          await this.reportFailure(error, 'event');
          await store.deferEvent(event, Math.max(this.retryAt(event), this.pausedUntil));
          if (this.deps.now().getTime() < this.pausedUntil) break;
        }
      }
    } finally {
      await this.tellParked(parked);
    }
    return handled;
  }

  /** The ids parked when this pass began (one read of a small partition): one read now is unparked as it is taken. */
  private async knowParked(): Promise<void> {
    this.parkedIds = new Set((await this.deps.parked.list()).map((p) => p.id));
  }

  /**
   * Takes one referral; one this version cannot read is parked (and listed in `parked` when it is
   * new there), one parked before that reads now (Partner Center mended it) is parked no longer.
   */
  private async takeOne(raw: unknown, parked: { id: string; name?: string; reason: string }[]): Promise<TakeResult> {
    const taken = await this.deps.take(raw);
    if (taken.status === 'unreadable') {
      const kept = await this.deps.park(raw, taken);
      this.deps.log.warn({ referralId: kept.id, reason: taken.reason }, 'Partner Center sent a referral this version cannot read: parked');
      if (kept.isNew) parked.push({ id: kept.id, name: taken.name, reason: taken.reason });
      this.parkedIds.add(kept.id);
    } else {
      const id = takenLeadId(taken);
      if (id && this.parkedIds.delete(id)) {
        await this.deps.parked.remove(id);
        this.deps.log.info({ referralId: id }, 'a parked referral reads now (Partner Center changed it): imported, and parked no longer');
      }
    }
    return taken;
  }

  /** Partner admins hear once of the referrals a batch parked; a failure to tell them is logged, the referrals stay parked. */
  private async tellParked(parked: { id: string; name?: string; reason: string }[]): Promise<void> {
    if (parked.length === 0) return;
    await this.deps.tellParked(parked).catch((error: unknown) => this.deps.log.warn({ err: error }, 'could not tell partner admins of parked referrals'));
  }

  private count(result: PullResult, taken: TakeResult): void {
    if (taken.status === 'created') result.created++;
    else if (taken.status === 'updated') result.updated++;
    else if (taken.status === 'ignored') result.skipped++;
    else if (taken.status === 'unreadable') result.parked++;
  }

  private retryAt(event: InboxEvent): number {
    return this.deps.now().getTime() + (INBOX_BACKOFF_MS[Math.min(event.attempts, INBOX_BACKOFF_MS.length - 1)] ?? 600_000);
  }

  /** Every failure is recorded (the sync card shows it; the watchdog tells admins when pulls keep failing). */
  private async reportFailure(error: unknown, what: 'pull' | 'event'): Promise<void> {
    if (!(error instanceof PartnerCenterError)) {
      this.deps.log.warn({ err: error, what }, 'Partner Center pull failed; tried again on the next pass');
      await this.deps.health.failed(new PartnerCenterError('unavailable', `the ${what === 'pull' ? 'pull' : 'webhook event'} failed: ${briefly(error)}`, { cause: error })).catch(() => undefined);
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
