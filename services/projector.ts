/**
 * Carries out what a lead change owes the rest of the system (the pending row written in the
 * change's own transaction): list indexes, due times, card deliveries, one-time messages. Every
 * step is idempotent, so a crash half-way is mended by running it again.
 */
import type { ConversationStore } from './conversationStore';
import type { Delivery, DeliveryStore } from './deliveryStore';
import { isOpen, type Lead } from './lead';
import type { DueIndex, DueTime, LeadViewIndex } from './leadIndex';
import type { LeadStore, PendingEffects } from './leadStore';
import type { SharedView } from './leadViews';
import { flamePhase, flameTurnsAt, nextCardRefresh } from './leadTime';
import type { Logger } from './logger';
import type { CardSync, Outbox } from './outbox';
import type { SenderNotifier } from './senderNotifier';

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
  senderNotifier: SenderNotifier;
}

const HOUR_MS = 3_600_000;
/** Leads projected together: their list rows, due rows, queued cards and hints share partitions. */
const BATCH = 32;

/** A lead read for projection, with what it is owed and where its card goes. */
interface Staged {
  lead: Lead;
  effects: PendingEffects;
  pendingEtag: string;
  targets: Delivery[];
}

/** The writes staged leads share, made together after staging: one request per partition. */
interface SharedWrites {
  views: { lead: Lead; previousFavoriteIds: string[]; leftViews: SharedView[] }[];
  due: DueTime[];
  cards: CardSync[];
}

export class Projector {
  constructor(private readonly deps: ProjectorDeps) {}

  /** Projects every lead with pending work; returns how many were projected. */
  async sweep(): Promise<number> {
    return this.projectMany(await this.deps.leads.hintedIds());
  }

  async project(leadId: string): Promise<boolean> {
    return (await this.projectMany([leadId])) === 1;
  }

  /** Projects these leads, a batch at a time; returns how many had work pending. */
  async projectMany(leadIds: string[]): Promise<number> {
    let projected = 0;
    for (let i = 0; i < leadIds.length; i += BATCH) projected += await this.projectBatch(leadIds.slice(i, i + BATCH));
    return projected;
  }

  private async projectBatch(leadIds: string[]): Promise<number> {
    const { leads } = this.deps;
    const now = this.deps.now();
    const shared: SharedWrites = { views: [], due: [], cards: [] };
    const nothingPending: string[] = [];
    const staged = await Promise.all(
      leadIds.map(async (id): Promise<Staged | undefined> => {
        const [pending, stored] = await Promise.all([leads.pending(id), leads.get(id)]);
        if (!pending || !stored) {
          if (pending) await leads.clearPending(id, pending.etag);
          nothingPending.push(id);
          return undefined;
        }
        const targets = await this.stage(stored.lead, pending.effects, now, shared);
        return { lead: stored.lead, effects: pending.effects, pendingEtag: pending.etag, targets };
      }),
    );
    const ready = staged.filter((s): s is Staged => s !== undefined);
    await Promise.all([this.deps.views.put(shared.views), this.deps.due.schedule(shared.due, now), this.deps.outbox.enqueueSyncs(shared.cards, now)]);
    await Promise.all(ready.map((s) => this.sendOneTimeMessages(s, now)));
    // A pending row changed since it was read keeps its hint: the next pass projects it again.
    const cleared = await Promise.all(ready.map((s) => leads.clearPending(s.lead.id, s.pendingEtag)));
    await leads.clearHints([...nothingPending, ...ready.filter((_, i) => cleared[i]).map((s) => s.lead.id)]);
    return ready.length;
  }

  /**
   * What a lead's change owes that is its own (card deliveries, the 🔥 alert) is written now;
   * what it shares with other leads is added to `shared`. Returns where its card is.
   */
  private async stage(lead: Lead, effects: PendingEffects, now: Date, shared: SharedWrites): Promise<Delivery[]> {
    const { deliveries, outbox, conversations } = this.deps;
    shared.views.push({ lead, previousFavoriteIds: effects.unfavoritedBy ?? [], leftViews: effects.leftViews ?? [] });
    let targets: Delivery[] | undefined;
    if (effects.fanOut) {
      const subscribed = await conversations.subscribed();
      const added = await Promise.all(subscribed.map((c) => deliveries.add(lead.id, c.key)));
      shared.due.push(...dueTimesOf(lead, now, this.deps));
      // All new: nothing posted yet, no need to read them back.
      if (added.every(Boolean)) targets = subscribed.map((c) => ({ leadId: lead.id, conversationKey: c.key, etag: '' }));
      if (flamePhase(lead, now, this.deps.flameWindowHours) === 'hot') {
        const channels = subscribed.filter((c) => c.scope === 'channel');
        await Promise.all(
          channels.map((c) => outbox.enqueueOnce({ key: `flame|${lead.id}|${c.key}`, kind: 'flameAlert', conversationKey: c.key, leadId: lead.id }, now)),
        );
      }
    }
    targets ??= await deliveries.forLead(lead.id);
    shared.cards.push(...targets.map((d) => ({ leadId: lead.id, conversationKey: d.conversationKey, urgent: Boolean(effects.fanOut) && !d.activityId })));
    return targets;
  }

  /** Reminders and expiry notices: queued after the card updates they go with. */
  private async sendOneTimeMessages({ lead, effects, targets }: Staged, now: Date): Promise<void> {
    const { outbox, conversations } = this.deps;
    if (effects.reminderHours !== undefined) {
      const hours = effects.reminderHours;
      const personal = await Promise.all(lead.favorites.map((f) => conversations.personalChatOf(f.id)));
      const keys = new Set([...targets.map((d) => d.conversationKey), ...personal.flatMap((c) => (c ? [c.key] : []))]);
      await Promise.all(
        [...keys].map((key) =>
          outbox.enqueueOnce({ key: `reminder|${lead.id}|${hours}|${key}`, kind: 'reminder', conversationKey: key, leadId: lead.id, hours }, now),
        ),
      );
    }
    if (effects.expiredNotice) {
      await this.deps.senderNotifier.leadExpired(lead);
      await Promise.all(
        targets.map((d) =>
          outbox.enqueueOnce({ key: `expired|${lead.id}|${d.conversationKey}`, kind: 'expiredNotice', conversationKey: d.conversationKey, leadId: lead.id }, now),
        ),
      );
    }
  }
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
