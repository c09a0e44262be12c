/**
 * Carries out what a lead change owes the rest of the system (the pending row written in the
 * change's own transaction): list indexes, due times, card deliveries, one-time messages. Every
 * step is idempotent, so a crash half-way is mended by running it again.
 */
import { kindOf, type ConversationStore } from '../storage/conversationStore';
import { briefly, StorageUnavailableError } from '../errors';
import type { Delivery, DeliveryRecord } from './deliveryStore';
import { isOpen, type Lead } from '../leads/lead';
import type { DueIndex, DueTime, LeadViewIndex } from '../storage/leadIndex';
import { UnreadableLeadError, type LeadStore, type PendingEffects } from '../storage/leadStore';
import { flamePhase, flameTurnsAt, nextCardRefresh } from '../leads/leadTime';
import type { Logger } from '../logger';
import { syncState } from '../leads/referralSync';
import type { StatsChange, StatsStore } from '../storage/statsStore';
import { staleRows, type RowRef } from '../storage/leadIndex';
import { personKey, type CardSync, type Outbox } from './outbox';

export interface ProjectorDeps {
  leads: LeadStore;
  views: LeadViewIndex;
  due: DueIndex;
  conversations: ConversationStore;
  outbox: Outbox;
  now: () => Date;
  reminderHours: number[];
  flameWindowHours: number;
  log: Logger;
  /** The insights sums: each change's difference is added once. */
  stats: StatsStore;
  /** With the Partner Center sync on: the queue of write-backs (a lead changed in Teams is brought to Partner Center). */
  writeBacks?: Outbox;
  /** Tells partner admins (once per parking: `parking` names it) that a lead was set aside because its rows cannot be read. */
  reportParked?: (leadId: string, reason: string, tries: number, parking: string) => Promise<void>;
  /** The sender, when this instance holds its lease: a fresh change's cards go to it from memory, not through the outbox. */
  direct?: DirectSender;
  /** Something was queued in the outbox: the sender should look. */
  queued?: () => void;
}

/** A lead's cards to send from memory, with the lead as this instance last wrote it. */
export interface CardJob {
  lead: Lead;
  /** The lead row's ETag: a first post's mark is conditional on it, and the settling transaction too. */
  etag: string;
  deliveries: Delivery[];
  /** At least one (a lead with no card to send has nothing for the sender). */
  cards: CardSync[];
}

/** What the direct sender made of a job: what to record, the lead row's ETag after its marks, what goes to the outbox. */
export interface SentCards {
  records: DeliveryRecord[];
  etag: string;
  givenBack: CardSync[];
}

export interface DirectSender {
  /** Whether cards can be sent from here now (this instance holds the sender lease, Teams is connected). */
  ready(): boolean;
  /**
   * How many more first posts for this conversation it would take now: past that, a burst goes
   * through the outbox, where it becomes a digest.
   */
  room(conversationKey: string): number;
  /**
   * Sends the job's cards within Teams' limits, then calls `done` with what was sent (to record),
   * the lead row's ETag after the marks, and the cards it gives back to the outbox (a failure, a
   * 429, a burst for one conversation that becomes a digest, the lease lost).
   */
  send(job: CardJob, done: (outcome: SentCards) => Promise<void>): void;
}

const HOUR_MS = 3_600_000;
/** Leads projected together: their list rows, due rows, queued cards and hints share partitions. */
const BATCH = 32;

/**
 * A hint with nothing pending may belong to a change still on its way to storage (the hint is
 * written before the change commits, and a commit can take a few tries of 4 s): only a hint older
 * than this is stale and cleared.
 */
const HINT_GRACE_MS = 60_000;

/** A lead read for projection, with what it is owed and where its card goes. */
interface Staged {
  lead: Lead;
  /** The lead row's ETag as read or written. */
  etag: string;
  deliveries: Delivery[];
  /** Its cards go to the direct sender (a fresh change on the sender's instance), not the outbox. */
  direct: boolean;
  cards: CardSync[];
  effects: PendingEffects;
  pendingEtag: string;
  /** The hints of the changes this pending row holds. */
  hintRowKeys: string[];
  /** Channels that get the 🔥 alert of a new hot lead. */
  flameChannels: string[];
}

/** The writes staged leads share, made together after staging: one request per partition. */
interface SharedWrites {
  views: { lead: Lead; removed?: RowRef[] }[];
  due: DueTime[];
  cards: CardSync[];
  writeBacks: string[];
  stats: StatsChange[];
  /** First posts given to the direct sender in this batch, by conversation. */
  directFirstPosts: Map<string, number>;
}

/** Failures in a row after which a lead's projection is set aside (parked) and reported to partner admins, once. */
export const KEEPS_FAILING = 5;
const MAX_TRACKED_FAILURES = 10_000;

export class Projector {
  /** Leads whose projection failed: failures in a row, the last one's reason, and whether it was the lead's own row. */
  private readonly failures = new Map<string, { times: number; reason: string; unreadable: boolean }>();
  /** Leads whose cards the direct sender has: their pending rows and hints stay until it is done, and sweeps leave them alone. */
  private readonly sending = new Set<string>();
  /** Cards sent from memory whose record storage refused (an outage), by lead: recorded on the next pass. */
  private readonly unsettled = new Map<string, { staged: Staged; sent: SentCards }>();

  constructor(private readonly deps: ProjectorDeps) {}

  /**
   * Projects every hinted lead but those `queued` here anyway (or whose cards are being sent from
   * here); clears hints with nothing pending once they are stale. Returns how many were projected.
   */
  async sweep(queued: ReadonlySet<string> = new Set(), minAgeMs = 0): Promise<number> {
    // A hint younger than `minAgeMs` is most likely a change in flight, which the instance making it projects itself.
    const youngFrom = Date.now() - minAgeMs;
    const hinted = (await this.deps.leads.hinted()).filter((h) => !queued.has(h.leadId) && !this.sending.has(h.leadId) && (minAgeMs === 0 || h.writtenAt < youngFrom));
    const staleBefore = Date.now() - HINT_GRACE_MS;
    const stale = new Map<string, string[]>();
    for (const h of hinted) if (h.writtenAt < staleBefore) stale.set(h.leadId, [...(stale.get(h.leadId) ?? []), h.rowKey]);
    return this.projectMany([...new Set(hinted.map((h) => h.leadId))], stale);
  }

  async project(leadId: string): Promise<boolean> {
    return (await this.projectMany([leadId])) === 1;
  }

  /**
   * Projects these leads, a batch at a time; returns how many had work pending. A lead that fails
   * keeps its hint (the sweep retries it) and does not hold back the others.
   */
  async projectMany(leadIds: string[], staleHints: ReadonlyMap<string, string[]> = new Map()): Promise<number> {
    if (this.unsettled.size > 0) await this.settleLeftOver();
    let projected = 0;
    for (let i = 0; i < leadIds.length; i += BATCH) projected += await this.projectBatch(leadIds.slice(i, i + BATCH), staleHints);
    return projected;
  }

  private async projectBatch(leadIds: string[], staleHints: ReadonlyMap<string, string[]>): Promise<number> {
    const { leads } = this.deps;
    const now = this.deps.now();
    const shared: SharedWrites = { views: [], due: [], cards: [], writeBacks: [], stats: [], directFirstPosts: new Map() };
    const settled = await Promise.allSettled(leadIds.map((id) => this.stage(id, now, shared)));
    await this.noteFailures(leadIds, settled, now);
    const ready = settled.flatMap((r) => (r.status === 'fulfilled' && r.value ? [r.value] : []));
    const nothingPending = leadIds.filter((_, i) => settled[i]?.status === 'fulfilled' && !(settled[i] as PromiseFulfilledResult<Staged | undefined>).value);

    const queued = shared.cards.length > 0 || shared.writeBacks.length > 0;
    await Promise.all([
      this.deps.views.put(shared.views),
      this.deps.due.schedule(shared.due, now),
      this.deps.outbox.enqueueSyncs(shared.cards, now),
      this.deps.stats.apply(shared.stats),
      shared.writeBacks.length > 0 ? this.deps.writeBacks?.enqueueWriteBacks(shared.writeBacks, now) : undefined,
    ]);
    await Promise.all(ready.map((s) => this.sendOneTimeMessages(s, now)));
    if (queued || ready.some((s) => owesMessages(s.effects, s.flameChannels))) this.deps.queued?.();
    for (const s of ready.filter((r) => r.direct)) this.handOver(s);
    const queuedHere = ready.filter((r) => !r.direct);
    const outcomes = await Promise.all(queuedHere.map((s) => leads.clearPending(s.lead.id, s.pendingEtag)));
    // A change came in since ('changed'; its hint stays and a pass projects it again) or another
    // projector cleared the row first ('gone'): either may have written list rows from a newer lead
    // before this one overwrote them with the lead it read, so they are written again if it moved on.
    await Promise.all(queuedHere.filter((_, i) => outcomes[i] !== 'cleared').map((s) => this.catchUpViews(s)));
    // Only the hints of the changes just projected: another change's hint may be on its way.
    await leads.clearHints([
      ...nothingPending.flatMap((leadId) => staleHints.get(leadId) ?? []),
      ...queuedHere.filter((_, i) => outcomes[i] === 'cleared').flatMap((s) => s.hintRowKeys),
    ]);
    return ready.length;
  }

  /**
   * The direct sender takes the lead's cards from memory: nothing is queued or read for them. Its
   * pending row and hint stay until what was sent is recorded, in the transaction that clears the
   * pending row, so a crash before then leaves the change to the sweep, like any other.
   */
  private handOver(s: Staged): void {
    this.sending.add(s.lead.id);
    this.deps.direct!.send({ lead: s.lead, etag: s.etag, deliveries: s.deliveries, cards: s.cards }, (sent) => this.settleSent(s, sent));
  }

  /**
   * Records what the direct sender sent, queues what it gave back, clears the pending row. If
   * storage fails here, it is tried again on every projection pass: the lead stays out of sweeps
   * meanwhile, so its cards are never posted a second time for want of a record.
   */
  private async settleSent(s: Staged, sent: SentCards): Promise<void> {
    const { leads, log } = this.deps;
    const id = s.lead.id;
    try {
      if (sent.givenBack.length > 0) {
        await this.deps.outbox.enqueueSyncs(sent.givenBack, this.deps.now());
        this.deps.queued?.();
      }
      // Nothing to record: the pending row alone is cleared, conditional on its own ETag (the lead's row is left as it is).
      const outcome = sent.records.length > 0 ? await leads.settle(id, sent.records, sent.etag) : await leads.clearPending(id, s.pendingEtag);
      if (outcome === 'cleared') await leads.clearHints(s.hintRowKeys);
      else await this.catchUpViews(s);
      this.sending.delete(id);
    } catch (error) {
      if (!this.unsettled.has(id)) log.warn({ err: error, leadId: id }, 'recording the cards sent from memory failed; tried again on the next projection pass');
      this.unsettled.set(id, { staged: s, sent });
    }
  }

  /** Records of cards sent from memory that storage refused: tried again. */
  private async settleLeftOver(): Promise<void> {
    const waiting = [...this.unsettled.values()];
    this.unsettled.clear();
    for (const { staged, sent } of waiting) await this.settleSent(staged, sent);
  }

  /**
   * Reports leads whose projection failed without flooding the log: a first failure once (for the
   * whole batch). A lead whose own row cannot be read KEEPS_FAILING times in a row is parked
   * (sweeps stop retrying it), logged as an error and reported to partner admins, once. Other
   * failures (an outage, a shared row, a bug) are retried on every sweep: fixing their cause heals
   * every lead at once, and parking them all would leave each to be retried by hand.
   */
  private async noteFailures(leadIds: string[], settled: PromiseSettledResult<unknown>[], now: Date): Promise<void> {
    const firstTime: unknown[] = [];
    const toPark: { id: string; error: UnreadableLeadError }[] = [];
    leadIds.forEach((id, i) => {
      const result = settled[i];
      if (result?.status !== 'rejected') return void this.failures.delete(id);
      if (result.reason instanceof StorageUnavailableError) return;
      const times = (this.failures.get(id)?.times ?? 0) + 1;
      if (this.failures.size >= MAX_TRACKED_FAILURES) this.failures.clear();
      const unreadable = result.reason instanceof UnreadableLeadError;
      this.failures.set(id, { times, reason: briefly(result.reason), unreadable });
      if (times === 1) firstTime.push(result.reason);
      if (times >= KEEPS_FAILING && unreadable) toPark.push({ id, error: result.reason as UnreadableLeadError });
      if (times === KEEPS_FAILING && !unreadable) {
        this.deps.log.error({ err: result.reason, leadId: id, times }, 'projection of a lead keeps failing; retried on every sweep, its cards and lists may be out of date');
      }
    });
    if (firstTime.length > 0) this.deps.log.warn({ err: firstTime[0], failed: firstTime.length, of: leadIds.length }, 'projection failed for some leads; they are retried');
    for (const { id, error: reason } of toPark) {
      // One lead's parking never stops the rest of the batch: a failure here is logged, and tried again next time.
      try {
        const moved = await this.deps.leads.park(id, reason.message, now);
        this.failures.delete(id);
        if (moved.length === 0) continue;
        this.deps.log.error({ err: reason, leadId: id, times: KEEPS_FAILING }, 'projection of a lead keeps failing: parked until a partner admin retries it; its cards, lists and reminders are not updated');
        await this.deps.reportParked?.(id, reason.message, KEEPS_FAILING, moved[0] ?? '');
      } catch (error) {
        this.deps.log.error({ err: error, leadId: id }, 'could not park a lead whose projection keeps failing, or tell partner admins');
      }
    }
  }

  /**
   * A partner admin's `retry`: the parked lead is projected now. If it fails again it is parked
   * again at once (the admin is answered with the reason; nobody is told a second time).
   */
  async retryParked(leadId: string): Promise<{ outcome: 'projected' } | { outcome: 'notParked' } | { outcome: 'failed'; reason: string }> {
    if (!(await this.deps.leads.unpark(leadId))) return { outcome: 'notParked' };
    this.failures.delete(leadId);
    await this.projectMany([leadId]);
    const failed = this.failures.get(leadId);
    if (!failed && !(await this.deps.leads.pending(leadId).catch(() => 'unreadable'))) return { outcome: 'projected' };
    this.failures.delete(leadId);
    const reason = failed?.reason ?? 'it is still waiting to be processed (storage may be unavailable); the next sweep tries again';
    // Its own row still cannot be read: set aside again (the admin is answered here; nobody is told twice).
    if (failed?.unreadable) await this.deps.leads.park(leadId, failed.reason, this.deps.now());
    return { outcome: 'failed', reason };
  }

  /**
   * What a lead is owed: a fresh change made here is known without a read; otherwise the pending
   * row is read first, then the lead (they commit together, so the lead read is at least as new as
   * the pending row). What it shares with other leads is added to `shared`.
   */
  private async stage(id: string, now: Date, shared: SharedWrites): Promise<Staged | undefined> {
    const { leads, conversations } = this.deps;
    const fresh = leads.takeFresh(id);
    const pending = fresh ? { effects: fresh.effects, etag: fresh.pendingEtag, hintRowKeys: fresh.hintRowKeys } : await leads.pending(id);
    const stored = fresh?.stored ?? (pending && (await leads.get(id)));
    if (!pending || !stored) {
      if (pending) await leads.clearPending(id, pending.etag);
      return undefined;
    }
    const { lead } = stored;
    const { effects } = pending;
    shared.views.push({ lead, removed: effects.removed });
    // Where the card goes: every conversation that takes this kind of lead when it is new, else where it is posted.
    let targets: CardSync[] = stored.deliveries.map((d) => ({ leadId: lead.id, conversationKey: d.conversationKey, urgent: Boolean(effects.fanOut) && !d.activityId }));
    let flameChannels: string[] = [];
    if (effects.fanOut) {
      const subscribed = (await conversations.subscribed()).filter((c) => c.settings.leadKinds.includes(kindOf(lead.type)));
      const known = new Set(targets.map((t) => t.conversationKey));
      targets = [...targets, ...subscribed.filter((c) => !known.has(c.key)).map((c) => ({ leadId: lead.id, conversationKey: c.key, urgent: true }))];
      shared.due.push(...nextDueTime(lead, now, this.deps));
      if (flamePhase(lead, now, this.deps.flameWindowHours) === 'hot') flameChannels = subscribed.filter((c) => c.scope === 'channel' && c.settings.flameAlerts).map((c) => c.key);
    }
    // Its expiry moved, or someone put off their reminders: the next due time is filed again (the
    // chain it starts meets the one already filed at their first common row).
    if ((effects.reschedule || effects.snoozed) && !effects.fanOut) shared.due.push(...nextDueTime(lead, now, this.deps));
    if (this.deps.writeBacks && syncState(lead) === 'pending') shared.writeBacks.push(lead.id);
    // A 🔥 alert, reminder or expiry notice follows its card through the outbox, which sends cards first: both go there.
    const direct = Boolean(fresh && !owesMessages(effects, flameChannels) && targets.length > 0 && this.deps.direct?.ready()) && targets.every((t) => !t.urgent || this.takeRoom(shared, t.conversationKey));
    if (!direct) shared.cards.push(...targets);
    // Last: a lead whose staging failed above adds nothing to the sums (its pending row stays for the next pass).
    shared.stats.push(...(effects.stats ?? []).map(({ version, delta }) => ({ leadId: lead.id, version, delta })));
    return { lead, etag: stored.etag, deliveries: stored.deliveries, direct, cards: targets, effects, pendingEtag: pending.etag, hintRowKeys: pending.hintRowKeys, flameChannels };
  }

  /** Counts a first post for the direct sender against its room (this batch's included); false when there is none left. */
  private takeRoom(shared: SharedWrites, conversationKey: string): boolean {
    const taken = shared.directFirstPosts.get(conversationKey) ?? 0;
    if (taken >= (this.deps.direct?.room(conversationKey) ?? 0)) return false;
    shared.directFirstPosts.set(conversationKey, taken + 1);
    return true;
  }

  /** The lead's list rows as it is now, if it changed since it was staged: in its own lists, out of every other this projection may have touched. */
  private async catchUpViews({ lead }: Staged): Promise<void> {
    const now = await this.deps.leads.get(lead.id);
    if (!now || now.lead.version === lead.version) return;
    await this.deps.views.put([{ lead: now.lead, removed: staleRows(lead, now.lead) }]);
  }

  /**
   * The 🔥 alert, reminders and expiry notices: queued after the card posts and updates they go
   * with. A lead with an owner reminds its owner (in their personal chat) instead of the room;
   * favoriters hear in their personal chats either way.
   */
  private async sendOneTimeMessages({ lead, effects, cards: targets, flameChannels }: Staged, now: Date): Promise<void> {
    const { outbox, conversations } = this.deps;
    const owner = lead.owner;
    await Promise.all(
      flameChannels.map((key) => outbox.enqueueOnce({ key: `flame|${lead.id}|${key}`, kind: 'flameAlert', conversationKey: key, leadId: lead.id }, now)),
    );
    if (effects.reminderHours !== undefined) {
      const hours = effects.reminderHours;
      const favoriters = lead.favorites.filter((f) => f.id.toLowerCase() !== owner?.id);
      const personal = await Promise.all(favoriters.map((f) => conversations.personalChatOf(f.id.toLowerCase())));
      const keys = new Set([...(owner ? [] : targets.map((d) => d.conversationKey)), ...personal.flatMap((c) => (c ? [c.key] : []))]);
      const items: Parameters<Outbox['enqueueOnce']>[0][] = [...keys].map((key) => ({ key: `reminder|${lead.id}|${hours}|${key}`, kind: 'reminder', conversationKey: key, leadId: lead.id, hours }));
      if (owner) items.push({ key: `reminder|${lead.id}|${hours}|${personKey(owner.id)}`, kind: 'reminder', conversationKey: personKey(owner.id), personId: owner.id, leadId: lead.id, hours });
      await Promise.all(items.map((item) => outbox.enqueueOnce(item, now)));
    }
    if (effects.expiredNotice) {
      const items: Parameters<Outbox['enqueueOnce']>[0][] = owner
        ? [{ key: `expired|${lead.id}|${personKey(owner.id)}`, kind: 'expiredNotice', conversationKey: personKey(owner.id), personId: owner.id, leadId: lead.id }]
        : targets.map((d) => ({ key: `expired|${lead.id}|${d.conversationKey}`, kind: 'expiredNotice', conversationKey: d.conversationKey, leadId: lead.id }));
      await Promise.all(items.map((item) => outbox.enqueueOnce(item, now)));
    }
  }
}

/** Whether a change owes one-time messages (see sendOneTimeMessages): a 🔥 alert, a reminder, an expiry notice. */
const owesMessages = (effects: PendingEffects, flameChannels: string[]): boolean =>
  flameChannels.length > 0 || effects.reminderHours !== undefined || Boolean(effects.expiredNotice);

/** When the reminders people put off come back: one due row per distinct time still ahead. */
export function snoozeTimesOf(lead: Lead, now: Date): DueTime[] {
  if (lead.stage !== 'Received') return [];
  const times = [...new Set(Object.values(lead.snoozed ?? {}))].filter((until) => Date.parse(until) > now.getTime());
  return times.map((until) => ({ kind: 'snooze' as const, leadId: lead.id, dueAt: new Date(until) }));
}

/**
 * When a lead still needs the scheduler: its flame turn while it is open; its reminders, expiry
 * and next card refresh while it waits for an answer (an answered lead has none of them).
 */
export function dueTimesOf(lead: Lead, now: Date, settings: { reminderHours: number[]; flameWindowHours: number }): DueTime[] {
  if (!isOpen(lead)) return [];
  const expires = Date.parse(lead.expiresAt);
  const items: DueTime[] =
    lead.stage === 'Received'
      ? [
          ...settings.reminderHours.map((hours) => ({ kind: 'reminder' as const, leadId: lead.id, dueAt: new Date(expires - hours * HOUR_MS), hours })),
          { kind: 'expire', leadId: lead.id, dueAt: new Date(expires) },
        ]
      : [];
  if (lead.flame) items.push({ kind: 'flame', leadId: lead.id, dueAt: flameTurnsAt(lead, settings.flameWindowHours) });
  const refresh = nextCardRefresh(lead, now);
  if (refresh) items.push({ kind: 'refresh', leadId: lead.id, dueAt: refresh });
  return items.filter((i) => i.kind !== 'flame' || i.dueAt > now);
}

/** Reminders, expiry, flame turn and snoozes from `from` on (its own instant included): what a chain must not skip. */
function fixedTimesFrom(lead: Lead, from: Date, settings: { reminderHours: number[]; flameWindowHours: number }): DueTime[] {
  const justBefore = new Date(from.getTime() - 1);
  return [...dueTimesOf(lead, justBefore, settings), ...snoozeTimesOf(lead, justBefore)].filter((t) => t.kind !== 'refresh');
}

/** A due time's place in a lead's chain: its time, then its kind and offset. */
const chainKey = (item: Pick<DueTime, 'dueAt' | 'kind' | 'hours'>) => `${item.dueAt.toISOString()}|${item.kind}|${item.hours ?? 0}`;

/**
 * The lead's next due time after `after` (its first when none): only that one is filed, and the
 * scheduler files the one after it when it handles it. A lead answered early never had rows
 * filed for its later reminders; two chains of one lead (its expiry moved, a snooze) merge at
 * their first common row, which has the same key.
 */
export function nextDueTime(lead: Lead, now: Date, settings: { reminderHours: number[]; flameWindowHours: number }, after?: Pick<DueTime, 'dueAt' | 'kind' | 'hours'>): DueTime[] {
  const from = after && chainKey(after);
  // After a handled time, everything later counts (a snooze or flame turn the scheduler is late for
  // is caught up); a new chain starts with what is still ahead of them.
  // Card refreshes only ever from now on: one the scheduler is late for changes nothing a later one would not.
  const ahead = from
    ? fixedTimesFrom(lead, after.dueAt, settings).filter((t) => chainKey(t) > from).concat(dueTimesOf(lead, now, settings).filter((t) => t.kind === 'refresh'))
    : [...dueTimesOf(lead, now, settings), ...snoozeTimesOf(lead, now)];
  const next = ahead.sort((a, b) => (chainKey(a) < chainKey(b) ? -1 : 1))[0];
  return next ? [next] : [];
}
