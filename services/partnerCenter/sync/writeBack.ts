/**
 * Decisions out: every change made in Teams that Partner Center knows about is written back from
 * its own durable queue (writeBackQueue.ts: one coalescing item per lead, as card updates are). A write-back sends only what the lead changed since Partner Center last had it
 * (its base), as JSON Patch with If-Match carrying the base's eTag; Partner Center's answer becomes
 * the new base. So a retry after a crash finds nothing left to send, or a 412, never a double.
 *
 * - 412: the referral is read, taken (Partner Center's own changes, or its state overruling ours)
 *   and the rest is sent again with the new eTag.
 * - 429, 5xx, network: wait for Retry-After (as long as it says), else back off with jitter; never given up.
 * - refused sign-in, 401 after a fresh token, 403 on the list: wait a minute; the health record tells admins.
 * - 400, 403 on the referral, 404, or an answer this version cannot read: the referral is read
 *   first, and if Partner Center already has what was sent (a retried write that landed before a
 *   crash: a closed referral answers 400 before looking at If-Match), it is done. Only a real
 *   refusal becomes a dead letter with Partner Center's words, and the card says so.
 */
import type { Logger } from '../../logger';
import { partnerCenterOf } from '../referrals/referralState';
import { pendingFields, patchFor, syncState } from '../referrals/referralSync';
import type { LeadStore } from '../../storage/leadStore';
import type { TakeResult } from '../referrals/takeReferral';
import type { WriteBackItem, WriteBackQueue } from './writeBackQueue';
import type { PartnerCenterClient } from '../connection/partnerCenterClient';
import { PartnerCenterError } from '../connection/partnerCenterErrors';
import { inParallel } from '../../inParallel';
import type { SyncHealth } from './syncHealth';

export interface WriteBackDeps {
  queue: WriteBackQueue;
  client: PartnerCenterClient;
  leads: LeadStore;
  health: SyncHealth;
  /** Takes a referral as Partner Center answered (takeReferral, and what follows from its result). */
  take: (raw: unknown) => Promise<TakeResult>;
  /** Records Partner Center's refusal on the lead. */
  reject: (leadId: string, message: string, revision: number | undefined) => Promise<void>;
  now: () => Date;
  log: Logger;
  random?: () => number;
}

/**
 * A claimed write-back is this instance's for this long; a crash frees it after. Short, because
 * two instances writing the same lead back is safe (If-Match lets one through, the other merges).
 */
const CLAIM_MS = 20_000;
/** Write-backs in flight at once. */
const CONCURRENT = 8;
/** Rounds (a 412 merged, or one step of several) before the item waits for its next try. */
const MERGES = 6;
const WAIT_FOR_CONNECTION_MS = 60_000;
const MAX_BACKOFF_MS = 5 * 60_000;
const MAX_RETRY_AFTER_MS = 24 * 3_600_000;

export class WriteBackSender {
  constructor(private readonly deps: WriteBackDeps) {}

  /** One pass over the write-backs due; how soon to come back when some wait. */
  async drain(): Promise<{ handled: number; wakeInMs?: number }> {
    const now = this.deps.now();
    const due = await this.deps.queue.due(now, 100);
    const handled = await inParallel(due, CONCURRENT, async (item) => {
      const claimed = await this.deps.queue.claim(item, this.deps.now(), CLAIM_MS);
      if (claimed) await this.handle(claimed);
      return Boolean(claimed);
    });
    return { handled: handled.filter(Boolean).length, wakeInMs: due.length > 0 ? 1_000 : undefined };
  }

  private async handle(item: WriteBackItem): Promise<void> {
    const { queue, log } = this.deps;
    const leadId = item.leadId;
    try {
      await this.writeBack(leadId);
      await queue.complete(item, this.deps.now());
    } catch (error) {
      if (!(error instanceof PartnerCenterError)) {
        log.warn({ err: error, leadId }, 'write-back failed; retried');
        await queue.retryLater(item, this.backoff(item.attempts), String(error));
        return;
      }
      const reason = error.message;
      switch (error.problem) {
        case 'unavailable':
          // Throttled or down: not a failed try; it waits as long as Partner Center needs.
          await queue.retryLater(item, this.retryAfter(error) ?? this.backoff(item.throttles ?? 0), reason, 'throttled');
          await this.deps.health.failed(error);
          return;
        case 'refused':
        case 'unauthorized':
          await queue.retryLater(item, this.deps.now().getTime() + WAIT_FOR_CONNECTION_MS, reason, 'throttled');
          await this.deps.health.failed(error);
          return;
        case 'conflict':
          await queue.retryLater(item, this.backoff(item.attempts), reason);
          return;
        case 'rejected':
        case 'notFound': {
          const check = await this.reconcile(leadId, reason).catch((readError: unknown) => this.unreadable(readError, reason));
          if (check === 'later') {
            // Partner Center did not answer the read: the write is tried again later (backing off), never lost.
            await queue.retryLater(item, this.backoff(item.attempts), reason);
            return;
          }
          if (check.done) {
            log.info({ leadId, status: error.status }, 'Partner Center answered as if refusing a write-back, yet already has it: done');
            await queue.complete(item, this.deps.now());
            return;
          }
          log.error({ leadId, status: error.status, reason: check.reason }, 'Partner Center refused a write-back: dead-lettered, the card says so');
          await this.deps.reject(leadId, check.reason, error.details.revision);
          await queue.deadLetter(item, check.reason, this.deps.now());
          return;
        }
      }
    }
  }

  /** Brings the referral in line with the lead: PATCH what is pending, merging Partner Center's own changes on 412. */
  private async writeBack(leadId: string): Promise<void> {
    const { client, leads } = this.deps;
    for (let merge = 0; merge < MERGES; merge++) {
      const stored = await leads.get(leadId);
      if (!stored) return;
      const lead = stored.lead;
      const base = partnerCenterOf(lead).synced;
      // Nothing to send, or what is left was refused and has not changed since.
      if (syncState(lead) !== 'pending' || !base) return;
      const fields = pendingFields(lead);
      // A lead that did not come from Partner Center's API (the leads API) has no eTag yet: read the referral first.
      if (!base.eTag) {
        await this.refresh(leadId);
        continue;
      }
      let answer: unknown;
      try {
        answer = await client.patch(leadId, patchFor(fields, lead, base), base.eTag);
      } catch (error) {
        if (error instanceof PartnerCenterError && error.problem === 'conflict') {
          await this.refresh(leadId);
          continue;
        }
        // A refusal concerns what was sent: a change made since is not refused with it.
        if (error instanceof PartnerCenterError) throw new PartnerCenterError(error.problem, error.message, { ...error.details, revision: lead.revision });
        throw error;
      }
      // A bare 204 says nothing of the new eTag: read it.
      if (answer === undefined) await this.refresh(leadId);
      else await this.takeAnswer(answer);
      await this.deps.health.succeeded('push');
      // Around again: an Accept sent before its Won leaves the Won to send.
    }
    throw new PartnerCenterError('conflict', `the referral ${leadId} kept changing in Partner Center during ${MERGES} tries`);
  }

  /**
   * Before a write is called refused: the referral as Partner Center has it now, taken. Done when
   * the lead then has nothing left to send (Partner Center has it, or overruled it); otherwise the
   * refusal stands, in Partner Center's words. A failure to read is thrown (tried again later).
   */
  private async reconcile(leadId: string, refusal: string): Promise<{ done: boolean; reason: string }> {
    const raw = await this.deps.client.get(leadId);
    if (raw === undefined) return { done: false, reason: refusal };
    const taken = await this.deps.take(raw);
    if (taken.status === 'unreadable') return { done: false, reason: `${refusal}; and the referral as Partner Center has it cannot be read by this version (${taken.reason})` };
    const stored = await this.deps.leads.get(leadId);
    return { done: !stored || syncState(stored.lead) !== 'pending', reason: refusal };
  }

  /**
   * The read after a refusal failed: a refusal of the read too (403, 404…) leaves the write's refusal
   * standing; Partner Center not answering means trying again later.
   */
  private unreadable(error: unknown, refusal: string): { done: false; reason: string } | 'later' {
    if (error instanceof PartnerCenterError && (error.problem === 'rejected' || error.problem === 'notFound' || error.problem === 'unauthorized')) {
      return { done: false, reason: `${refusal}; reading the referral was refused too (${error.message})` };
    }
    this.deps.log.warn({ err: error }, 'Partner Center refused a write-back, and the referral could not be read to check it: tried again later');
    return 'later';
  }

  private async refresh(leadId: string): Promise<void> {
    const raw = await this.deps.client.get(leadId);
    if (raw === undefined) throw new PartnerCenterError('notFound', `Partner Center has no referral ${leadId}`, { status: 404 });
    await this.takeAnswer(raw);
  }

  /** Partner Center's referral becomes the lead's base; one this version cannot read would leave the base stale for ever. */
  private async takeAnswer(raw: unknown): Promise<void> {
    const taken = await this.deps.take(raw);
    if (taken.status === 'unreadable') throw new PartnerCenterError('rejected', `Partner Center answered with a referral this version cannot read (${taken.reason})`);
  }

  /** Partner Center's Retry-After, honoured as given (it may well be more than five minutes), up to a day. */
  private retryAfter(error: PartnerCenterError): number | undefined {
    const wait = error.details.retryAfterMs;
    return wait === undefined ? undefined : this.deps.now().getTime() + Math.min(wait, MAX_RETRY_AFTER_MS);
  }

  /** Exponential with jitter: 2 s, 4 s … up to 5 minutes. */
  private backoff(tries: number): number {
    const base = Math.min(MAX_BACKOFF_MS, 2000 * 2 ** tries);
    return this.deps.now().getTime() + base + (this.deps.random ?? Math.random)() * base * 0.5;
  }
}
