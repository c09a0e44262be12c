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
import { flamePhase, flameTurnsAt, nextCardRefresh } from './leadTime';
import type { Logger } from './logger';
import type { Outbox } from './outbox';
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

export class Projector {
  constructor(private readonly deps: ProjectorDeps) {}

  /** Projects every lead with pending work; returns how many were projected. */
  async sweep(): Promise<number> {
    let projected = 0;
    for (const id of await this.deps.leads.hintedIds()) {
      if (await this.project(id)) projected++;
    }
    return projected;
  }

  async project(leadId: string): Promise<boolean> {
    const { leads } = this.deps;
    const [pending, stored] = await Promise.all([leads.pending(leadId), leads.get(leadId)]);
    if (!pending || !stored) {
      if (pending) await leads.clearPending(leadId, pending.etag);
      await leads.clearHint(leadId);
      return false;
    }
    await this.apply(stored.lead, pending.effects);
    if (await leads.clearPending(leadId, pending.etag)) await leads.clearHint(leadId);
    return true;
  }

  private async apply(lead: Lead, effects: PendingEffects): Promise<void> {
    const { views, deliveries, outbox, conversations } = this.deps;
    const now = this.deps.now();
    let targets: Delivery[] | undefined;
    if (effects.fanOut) {
      const subscribed = await conversations.subscribed();
      const [added] = await Promise.all([
        Promise.all(subscribed.map((c) => deliveries.add(lead.id, c.key))),
        views.put(lead, effects.unfavoritedBy ?? []),
        this.scheduleDueTimes(lead, now),
      ]);
      // All new: nothing posted yet, no need to read them back.
      if (added.every(Boolean)) targets = subscribed.map((c) => ({ leadId: lead.id, conversationKey: c.key, etag: '' }));
      if (flamePhase(lead, now, this.deps.flameWindowHours) === 'hot') {
        const channels = subscribed.filter((c) => c.scope === 'channel');
        await Promise.all(
          channels.map((c) => outbox.enqueueOnce({ key: `flame|${lead.id}|${c.key}`, kind: 'flameAlert', conversationKey: c.key, leadId: lead.id }, now)),
        );
      }
    } else {
      await views.put(lead, effects.unfavoritedBy ?? []);
    }
    targets ??= await deliveries.forLead(lead.id);
    await Promise.all(targets.map((d) => outbox.enqueueSync(lead.id, d.conversationKey, now, Boolean(effects.fanOut) && !d.activityId)));

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

  /** Files the lead's reminders, expiry, flame turn and next card refresh in the due index. */
  private async scheduleDueTimes(lead: Lead, now: Date): Promise<void> {
    await this.deps.due.schedule(dueTimesOf(lead, now, this.deps), now);
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
