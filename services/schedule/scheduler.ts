/**
 * Makes time work: reminders before expiry, expiry itself, the flame alert's turn after its
 * window, and the scheduled cards (the morning digest, the weekly insights). Each pass reads only due rows (hour buckets from a saved cursor), under a lease so one
 * instance runs it at a time; the ETag check on each lead is the final guard against double work.
 */
import { actOnLead } from '../useCases/actOnLead';
import type { ConversationStore } from '../storage/conversationStore';
import type { OnceMarks } from '../storage/onceMarks';
import type { StatsStore } from '../storage/statsStore';
import { latestOccurrence, type WallClock } from './calendar';
import { LeadBusyError } from '../errors';
import type { DeliveryStore } from '../delivery/deliveryStore';
import type { DueIndex, DueItem, DueTime } from '../storage/leadIndex';
import type { Lease } from '../storage/lease';
import { SYSTEM_ACTOR } from '../leads/leadLifecycle';
import type { LeadStore, StoredLead } from '../storage/leadStore';
import { flamePhase, msLeft, reminderDue } from '../leads/leadTime';
import type { Lead } from '../leads/lead';
import type { Logger } from '../logger';
import { personKey, type Outbox } from '../delivery/outbox';
import { nextDueTime } from './dueTimes';
import { bucketStart, hourBucket } from '../storage/leadIndex';

const HOUR_MS = 3_600_000;

/** A due row as the due time it was filed for (what a lead's chain continues from). */
const dueTimeOf = (item: DueItem): DueTime => ({ ...item, dueAt: new Date(item.dueAt) });

export interface SchedulerDeps {
  leads: LeadStore;
  due: DueIndex;
  deliveries: DeliveryStore;
  outbox: Outbox;
  lease: Lease;
  now: () => Date;
  log: Logger;
  reminderHours: number[];
  flameWindowHours: number;
  /** Called after leads changed, so their projections run now rather than at the next sweep. */
  onLeadChanged: (leadId: string) => void;
  /** How long a pass may hold the scheduler lease (a crashed pass blocks others this long). */
  leaseMs: number;
  /**
   * An outside system that keeps leads' deadlines itself is asked first, at a lead's deadline: it
   * takes the system's state ('settled': the lead no longer waits; 'waiting': it still does there,
   * asked again later; 'unknown': the system has no such lead, and the deadline is ours).
   */
  outsideDeadline?: (leadId: string) => Promise<'settled' | 'waiting' | 'unknown'>;
  /** The scheduled cards: the morning digest and the weekly insights, each occurrence queued once. */
  periodic?: PeriodicJobs;
}

export interface PeriodicJobs {
  digest: WallClock | 'off';
  insights: WallClock | 'off';
  timeZone: string;
  conversations: ConversationStore;
  marks: OnceMarks;
  /** Insights sums whose duplicate guards are older than a day are tidied once a day. */
  stats: StatsStore;
}

/** How late a missed occurrence (the app was down) is still sent: a digest the same morning, insights the same day. */
const LATE = { needsAnswer: 6 * HOUR_MS, insights: 24 * HOUR_MS };

/** While the outside system has not yet expired a lead past its deadline, it is asked again this often. */
export const EXPIRY_RECHECK_MS = 30 * 60_000;

const PASS_LIMIT = 500;
/** Due times of one lead handled in a row when they were missed (reminders and expiry: a handful). */
const MAX_CATCH_UP = 8;
const LOOK_BACK_MS = 10 * 60_000;
const FIRST_LOOK_BACK_MS = 31 * 24 * HOUR_MS;

export interface PassResult {
  ran: boolean;
  reminders: number;
  expired: number;
  flameTurns: number;
}

export class Scheduler {
  constructor(private readonly deps: SchedulerDeps) {}

  async runOnce(): Promise<PassResult> {
    const { lease, due, log } = this.deps;
    const now = this.deps.now();
    const held = await lease.acquire(now, this.deps.leaseMs);
    const result: PassResult = { ran: false, reminders: 0, expired: 0, flameTurns: 0 };
    if (!held) return result;
    result.ran = true;
    // A first pass looks back a month (a lead's next due row waits where it was filed until it is
    // handled, and starts the rest of its chain); after that, from where the last pass stopped.
    const from = held.state.cursorMs ?? now.getTime() - FIRST_LOOK_BACK_MS;
    const items = await due.due(from, now, PASS_LIMIT);
    // Rows filed late in an hour (or by an instance whose clock lags) sit in the bucket before
    // this one: the next pass starts a little back. Done rows are deleted, so this costs little.
    let cursorMs = Math.floor((now.getTime() - LOOK_BACK_MS) / HOUR_MS) * HOUR_MS;
    // A full pass may have left rows behind in its last bucket: start there next time.
    const last = items[items.length - 1];
    if (items.length >= PASS_LIMIT && last) cursorMs = Math.min(cursorMs, bucketStart(last.partitionKey));
    for (const item of items) {
      try {
        const lead = await this.handle(item, now, result);
        if (lead) await this.fileNext(lead, dueTimeOf(item), now, result);
        await due.remove(item);
      } catch (error) {
        // Filed again a little later, so one stubborn row never holds the cursor back.
        try {
          if (await due.retry(item, now)) log.warn({ err: error, item: item.rowKey }, 'due item failed; retried later');
          else {
            log.error({ err: error, item: item.rowKey }, 'due item failed too often: dropped');
            // The row carried the rest of its lead's chain: the next due time is filed all the same.
            const stored = await this.deps.leads.get(item.leadId).catch(() => undefined);
            if (stored) await due.schedule(nextDueTime(stored.lead, now, this.deps, dueTimeOf(item)), now);
          }
        } catch {
          // Storage is down: come back to this bucket next pass.
          cursorMs = Math.min(cursorMs, bucketStart(item.partitionKey));
          log.warn({ err: error, item: item.rowKey }, 'due item failed; storage unavailable, retried next pass');
        }
      }
    }
    if (this.deps.periodic) await this.runPeriodic(this.deps.periodic, now).catch((error: unknown) => log.warn({ err: error }, 'scheduled cards failed; tried again next pass'));
    await lease.release(held.etag, { cursorMs });
    if (result.reminders + result.expired + result.flameTurns > 0) log.info({ ...result, bucket: hourBucket(now.getTime()) }, 'scheduler pass');
    return result;
  }

  /**
   * Only a lead's next due time is filed (nextDueTime): the one after `handled` is filed now. One
   * that is due already (this pass runs late, or the scheduler was down) is handled at once, so a
   * lead never lags a pass per missed time.
   */
  private async fileNext(lead: Lead, handled: DueTime, now: Date, result: PassResult): Promise<void> {
    let current: Lead | undefined = lead;
    let after = handled;
    for (let step = 0; current && step < MAX_CATCH_UP; step++) {
      const [next] = nextDueTime(current, now, this.deps, after);
      if (!next) return;
      if (next.dueAt > now || step === MAX_CATCH_UP - 1) return this.deps.due.schedule([next], now);
      current = await this.handle({ ...next, hours: next.hours ?? 0, dueAt: next.dueAt.toISOString(), partitionKey: '', rowKey: '' }, now, result);
      after = next;
    }
  }

  /** Does what the due row says; returns the lead as read (its next due time follows from it), if it is still open. */
  private async handle(item: DueItem, now: Date, result: PassResult): Promise<Lead | undefined> {
    const stored = await this.deps.leads.get(item.leadId);
    if (!stored || stored.lead.stage === 'Archived') return undefined;
    await this.act(item, stored, now, result);
    return stored.lead;
  }

  private async act(item: DueItem, stored: StoredLead, now: Date, result: PassResult): Promise<void> {
    const { leads } = this.deps;
    const lead = stored.lead;

    if (item.kind === 'expire') {
      if (Date.parse(lead.expiresAt) > now.getTime() || lead.stage !== 'Received') return;
      const followed = this.deps.outsideDeadline && (await this.deps.outsideDeadline(lead.id));
      if (followed === 'settled') {
        result.expired++;
        return;
      }
      if (followed === 'waiting') {
        await this.deps.due.schedule([{ kind: 'expire', leadId: lead.id, dueAt: new Date(now.getTime() + EXPIRY_RECHECK_MS) }], now);
        return;
      }
      // No outside system, or a lead it does not know: the deadline is ours.
      const acted = await actOnLead(lead.id, { kind: 'expire' }, { kind: 'system' }, { leads, now: () => now }, stored);
      if (acted.status === 'changed') {
        result.expired++;
        this.deps.onLeadChanged(lead.id);
        return;
      }
      // Lost every race (or someone answered it meanwhile): keep the row unless it is settled.
      if (acted.status === 'conflict' && acted.lead.stage === 'Received') throw new LeadBusyError(lead.id);
      return;
    }

    if (item.kind === 'reminder') {
      if (await this.remind(stored, now)) result.reminders++;
      return;
    }

    if (item.kind === 'snooze') {
      result.reminders += await this.snoozesEnded(lead, now);
      return;
    }

    if (item.kind === 'refresh') {
      // "Time left" moves on: bring every posted card up to date (the next refresh is in the lead's chain).
      await this.updateCards(lead.id, now);
      return;
    }

    // The flame turns from 🔥 to ⏳: no change to the lead, but every copy of its card changes.
    if (flamePhase(lead, now, this.deps.flameWindowHours) !== 'waiting') return;
    await this.updateCards(lead.id, now);
    result.flameTurns++;
  }

  /**
   * Queues this occurrence of the digest and of the weekly insights for every conversation that
   * takes them (each message is queued once however often this runs), then marks the occurrence
   * done; and tidies old duplicate guards of the insights sums once a day.
   */
  private async runPeriodic(jobs: PeriodicJobs, now: Date): Promise<void> {
    const { outbox } = this.deps;
    for (const [kind, clock] of [['needsAnswer', jobs.digest], ['insights', jobs.insights]] as const) {
      if (clock === 'off') continue;
      const occurrence = latestOccurrence(clock, jobs.timeZone, now);
      if (now.getTime() - occurrence.at.getTime() > LATE[kind]) continue;
      const name = `${kind}|${occurrence.name}`;
      if (await jobs.marks.has(name)) continue;
      // The digest lists the kinds a conversation takes: one that takes none gets none.
      const takers = (await jobs.conversations.subscribed()).filter((c) => (kind === 'insights' ? c.settings.insights : c.settings.digest && c.settings.leadKinds.length > 0));
      await Promise.all(takers.map((c) => outbox.enqueueOnce({ key: `${name}|${c.key}`, kind, conversationKey: c.key }, now)));
      await jobs.marks.mark(name);
      this.deps.log.info({ kind, occurrence: occurrence.name, conversations: takers.length }, 'scheduled cards queued');
    }
    const tidy = `tidyStats|${now.toISOString().slice(0, 10)}`;
    if (!(await jobs.marks.has(tidy))) {
      await jobs.stats.forgetMarkers(new Date(now.getTime() - 24 * HOUR_MS), async (leadId) => ((await this.deps.leads.pending(leadId))?.effects.stats ?? []).map((s) => s.version));
      await jobs.marks.mark(tidy);
    }
  }

  /** Reminders people put off come back, each once however often this runs (its key is the person and the time). */
  private async snoozesEnded(lead: Lead, now: Date): Promise<number> {
    if (lead.stage !== 'Received' || msLeft(lead, now) <= 0) return 0;
    const ended = Object.entries(lead.snoozed ?? {}).filter(([, until]) => Date.parse(until) <= now.getTime());
    const queued = await Promise.all(
      ended.map(([person, until]) =>
        this.deps.outbox.enqueueOnce(
          { key: `snoozed|${lead.id}|${person}|${until}`, kind: 'reminder', conversationKey: personKey(person), personId: person, leadId: lead.id, hours: 0, snoozed: true },
          now,
        ),
      ),
    );
    return queued.filter(Boolean).length;
  }

  private async updateCards(leadId: string, now: Date): Promise<void> {
    const deliveries = await this.deps.deliveries.forLead(leadId);
    await this.deps.outbox.enqueueCardUpdates(deliveries.map((d) => ({ leadId, conversationKey: d.conversationKey })), now);
  }

  /** Records the reminder on the lead (ETag-conditional, retried on a race); true if this pass sent it. */
  private async remind(first: StoredLead, now: Date): Promise<boolean> {
    const { leads } = this.deps;
    const leadId = first.lead.id;
    for (let attempt = 0; attempt < 5; attempt++) {
      // The lead as the pass read it first; after a lost race, as it is now.
      const stored = attempt === 0 ? first : await leads.get(leadId);
      if (!stored) return false;
      const lead = stored.lead;
      const hours = reminderDue(lead, this.deps.reminderHours, now);
      if (hours === undefined) return false;
      // Mark every offset down to this one as done: one reminder, not a burst.
      const remindersSent = [...new Set([...lead.remindersSent, ...this.deps.reminderHours.filter((h) => h >= hours)])];
      const next = { ...lead, remindersSent, version: lead.version + 1 };
      const event = { seq: next.version, type: 'remind' as const, actor: SYSTEM_ACTOR, at: now.toISOString(), before: {}, after: { reminderHours: hours } };
      const written = await leads.update(next, stored, [event], { reminderHours: hours });
      if (written.ok) {
        this.deps.onLeadChanged(leadId);
        return true;
      }
    }
    throw new LeadBusyError(leadId);
  }
}
