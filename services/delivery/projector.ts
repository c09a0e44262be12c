/**
 * Carries out what a lead change owes the rest of the system (the pending row written in the
 * change's own transaction): list indexes, due times, card deliveries, one-time messages. Every
 * step is idempotent, so a crash half-way is mended by running it again.
 */
import { kindOf, type ConversationStore } from '../storage/conversationStore';
import { briefly, StorageUnavailableError } from '../errors';
import type { Delivery, DeliveryStore } from './deliveryStore';
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
  deliveries: DeliveryStore;
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
  effects: PendingEffects;
  pendingEtag: string;
  /** The hints of the changes this pending row holds. */
  hintRowKeys: string[];
  targets: Delivery[];
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
}

/** Failures in a row after which a lead's projection is set aside (parked) and reported to partner admins, once. */
export const KEEPS_FAILING = 5;
const MAX_TRACKED_FAILURES = 10_000;

export class Projector {
  /** Leads whose projection failed: failures in a row, the last one's reason, and whether it was the lead's own row. */
  private readonly failures = new Map<string, { times: number; reason: string; unreadable: boolean }>();

  constructor(private readonly deps: ProjectorDeps) {}

  /**
   * Projects every hinted lead but those `queued` here anyway; clears hints with nothing pending
   * once they are stale. Returns how many were projected.
   */
  async sweep(queued: ReadonlySet<string> = new Set()): Promise<number> {
    const hinted = (await this.deps.leads.hinted()).filter((h) => !queued.has(h.leadId));
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
    let projected = 0;
    for (let i = 0; i < leadIds.length; i += BATCH) projected += await this.projectBatch(leadIds.slice(i, i + BATCH), staleHints);
    return projected;
  }

  private async projectBatch(leadIds: string[], staleHints: ReadonlyMap<string, string[]>): Promise<number> {
    const { leads } = this.deps;
    const now = this.deps.now();
    const shared: SharedWrites = { views: [], due: [], cards: [], writeBacks: [], stats: [] };
    const settled = await Promise.allSettled(leadIds.map((id) => this.stage(id, now, shared)));
    await this.noteFailures(leadIds, settled, now);
    const ready = settled.flatMap((r) => (r.status === 'fulfilled' && r.value ? [r.value] : []));
    const nothingPending = leadIds.filter((_, i) => settled[i]?.status === 'fulfilled' && !(settled[i] as PromiseFulfilledResult<Staged | undefined>).value);

    await Promise.all([
      this.deps.views.put(shared.views),
      this.deps.due.schedule(shared.due, now),
      this.deps.outbox.enqueueSyncs(shared.cards, now),
      this.deps.stats.apply(shared.stats),
      shared.writeBacks.length > 0 ? this.deps.writeBacks?.enqueueWriteBacks(shared.writeBacks, now) : undefined,
    ]);
    await Promise.all(ready.map((s) => this.sendOneTimeMessages(s, now)));
    const outcomes = await Promise.all(ready.map((s) => leads.clearPending(s.lead.id, s.pendingEtag)));
    // A change came in since ('changed'; its hint stays and a pass projects it again) or another
    // projector cleared the row first ('gone'): either may have written list rows from a newer lead
    // before this one overwrote them with the lead it read, so they are written again if it moved on.
    await Promise.all(ready.filter((_, i) => outcomes[i] !== 'cleared').map((s) => this.catchUpViews(s)));
    // Only the hints of the changes just projected: another change's hint may be on its way.
    await leads.clearHints([
      ...nothingPending.flatMap((leadId) => staleHints.get(leadId) ?? []),
      ...ready.filter((_, i) => outcomes[i] === 'cleared').flatMap((s) => s.hintRowKeys),
    ]);
    return ready.length;
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
   * Reads what a lead is owed (the pending row first, then the lead: they commit together, so the
   * lead read is at least as new as the pending row). What the change owes that is its own (card
   * deliveries) is written now; what it shares with other leads is added to `shared`.
   */
  private async stage(id: string, now: Date, shared: SharedWrites): Promise<Staged | undefined> {
    const { leads, deliveries, conversations } = this.deps;
    const pending = await leads.pending(id);
    const stored = pending && (await leads.get(id));
    if (!pending || !stored) {
      if (pending) await leads.clearPending(id, pending.etag);
      return undefined;
    }
    const { lead } = stored;
    const { effects } = pending;
    shared.views.push({ lead, removed: effects.removed });
    let targets: Delivery[] | undefined;
    let flameChannels: string[] = [];
    if (effects.fanOut) {
      // The conversations that chose this kind of lead (a conversation's settings).
      const subscribed = (await conversations.subscribed()).filter((c) => c.settings.leadKinds.includes(kindOf(lead.type)));
      const added = await Promise.all(subscribed.map((c) => deliveries.add(lead.id, c.key)));
      shared.due.push(...dueTimesOf(lead, now, this.deps));
      // All new: nothing posted yet, no need to read them back.
      if (added.every(Boolean)) targets = subscribed.map((c) => ({ leadId: lead.id, conversationKey: c.key, etag: '' }));
      if (flamePhase(lead, now, this.deps.flameWindowHours) === 'hot') flameChannels = subscribed.filter((c) => c.scope === 'channel' && c.settings.flameAlerts).map((c) => c.key);
    }
    if (effects.reschedule && !effects.fanOut) shared.due.push(...dueTimesOf(lead, now, this.deps));
    // Someone put off their reminders: they come back then (all snoozes still ahead, filed again: the same rows).
    if (effects.snoozed) shared.due.push(...snoozeTimesOf(lead, now));
    if (this.deps.writeBacks && syncState(lead) === 'pending') shared.writeBacks.push(lead.id);
    targets ??= await deliveries.forLead(lead.id);
    shared.cards.push(...targets.map((d) => ({ leadId: lead.id, conversationKey: d.conversationKey, urgent: Boolean(effects.fanOut) && !d.activityId })));
    // Last: a lead whose staging failed above adds nothing to the sums (its pending row stays for the next pass).
    shared.stats.push(...(effects.stats ?? []).map(({ version, delta }) => ({ leadId: lead.id, version, delta })));
    return { lead, effects, pendingEtag: pending.etag, hintRowKeys: pending.hintRowKeys, targets, flameChannels };
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
  private async sendOneTimeMessages({ lead, effects, targets, flameChannels }: Staged, now: Date): Promise<void> {
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

/** When the reminders people put off come back: one due row per distinct time still ahead. */
export function snoozeTimesOf(lead: Lead, now: Date): DueTime[] {
  if (lead.stage !== 'Received') return [];
  const times = [...new Set(Object.values(lead.snoozed ?? {}))].filter((until) => Date.parse(until) > now.getTime());
  return times.map((until) => ({ kind: 'snooze' as const, leadId: lead.id, dueAt: new Date(until) }));
}

/** When a lead still needs the scheduler: its reminders, expiry, flame turn and next card refresh. */
export function dueTimesOf(lead: Lead, now: Date, settings: { reminderHours: number[]; flameWindowHours: number }): DueTime[] {
  if (!isOpen(lead)) return [];
  const expires = Date.parse(lead.expiresAt);
  const items: DueTime[] = [
    ...settings.reminderHours.map((hours) => ({ kind: 'reminder' as const, leadId: lead.id, dueAt: new Date(expires - hours * HOUR_MS), hours })),
    { kind: 'expire', leadId: lead.id, dueAt: new Date(expires) },
  ];
  if (lead.flame) items.push({ kind: 'flame', leadId: lead.id, dueAt: flameTurnsAt(lead, settings.flameWindowHours) });
  const refresh = nextCardRefresh(lead, now);
  if (refresh) items.push({ kind: 'refresh', leadId: lead.id, dueAt: refresh });
  return items.filter((i) => i.kind !== 'flame' || i.dueAt > now);
}
