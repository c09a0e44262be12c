/**
 * Teams cards follow every change: a new lead's card goes to every conversation that takes its
 * kind, a changed lead's cards are brought up to date where they are posted, and what the change
 * owes people (a 🔥 alert, a reminder, an expiry notice) follows its card. A fresh change made on
 * the sender's instance is sent from memory (no queue item, no read); everything else waits in the
 * outbox.
 */
import { kindOf, type Lead } from '../leads/lead';
import { flamePhase } from '../leads/leadTime';
import type { ChangeBatch, LeadChange, Reaction } from '../changes/reaction';
import type { ConversationStore } from '../storage/conversationStore';
import type { PendingEffects } from '../storage/leadStore';
import { deliveryProperties, type Delivery, type DeliveryRecord } from './deliveryStore';
import { personKey, type CardUpdate, type NewItem, type Outbox } from './outbox';

/** A lead's cards to send from memory, with the lead as this instance last wrote it. */
export interface CardJob {
  lead: Lead;
  /** The lead row's ETag: a first post's mark is conditional on it, and the finishing transaction too. */
  etag: string;
  deliveries: Delivery[];
  /** At least one (a lead with no card to send has nothing for the sender). */
  cards: CardUpdate[];
}

/** What the sender made of a job: what to record, the lead row's ETag after its marks, what goes to the outbox. */
export interface SentCards {
  records: DeliveryRecord[];
  etag: string;
  givenBack: CardUpdate[];
}

export interface MemorySender {
  /** Whether cards can be sent from here now (this instance holds the sender lease, Teams is connected). */
  ready(): boolean;
  /** How many more first posts for this conversation it would take now: past that, a burst goes through the outbox, where it becomes a digest. */
  room(conversationKey: string): number;
  /** Sends the job's cards within Teams' limits, then calls `done` with what was sent and what it gives back to the outbox. */
  send(job: CardJob, done: (outcome: SentCards) => Promise<void>): void;
}

export interface CardReactionDeps {
  conversations: ConversationStore;
  outbox: Outbox;
  flameWindowHours: number;
  /** The sender, once Teams is connected: cards may go from memory while this instance holds its lease. */
  memory: () => MemorySender | undefined;
  /** Something was queued in the outbox: the sender should look (once the projection pass is done). */
  queued: () => void;
  now: () => Date;
}

/** What one change means for Teams. */
interface Plan {
  change: LeadChange;
  /** Every card to bring up to date (a new lead's first posts are urgent). */
  cards: CardUpdate[];
  /** Channels that get the 🔥 alert of a new hot lead. */
  flameChannels: string[];
  /** The sender its cards go to from memory, if they do. */
  fromMemory?: MemorySender;
}

/** Whether a change owes one-time messages: a 🔥 alert, a reminder, an expiry notice. */
const owesMessages = (owed: PendingEffects, flameChannels: string[]): boolean =>
  flameChannels.length > 0 || owed.reminderHours !== undefined || Boolean(owed.expiredNotice) || owed.assignedTo !== undefined;

export class CardReaction implements Reaction {
  constructor(private readonly deps: CardReactionDeps) {}

  async react(batch: ChangeBatch): Promise<() => void> {
    const { outbox } = this.deps;
    const firstPosts = new Map<string, number>();
    const plans: Plan[] = [];
    for (const change of batch.changes) plans.push(await this.plan(change, batch.now, firstPosts));
    const queued = plans.filter((p) => !p.fromMemory).flatMap((p) => p.cards);
    await outbox.enqueueCardUpdates(queued, batch.now);
    // Queued after the card posts and updates they go with.
    await Promise.all(plans.map((p) => this.queueMessages(p, batch.now)));
    if (queued.length > 0 || plans.some((p) => owesMessages(p.change.owed, p.flameChannels))) this.deps.queued();
    const fromMemory = plans.flatMap((plan) => (plan.fromMemory ? [{ plan, sender: plan.fromMemory, held: batch.hold(plan.change) }] : []));
    return () => {
      for (const { plan, sender, held } of fromMemory) this.handOver(plan, sender, held);
    };
  }

  /** Where the change's cards go: every conversation that takes this kind of lead when it is new, else where it is posted. */
  private async plan(change: LeadChange, now: Date, firstPosts: Map<string, number>): Promise<Plan> {
    const { stored, owed, fresh } = change;
    const { lead } = stored;
    let cards: CardUpdate[] = stored.deliveries.map((d) => ({ leadId: lead.id, conversationKey: d.conversationKey, urgent: Boolean(owed.fanOut) && !d.activityId }));
    let flameChannels: string[] = [];
    if (owed.fanOut) {
      const subscribed = (await this.deps.conversations.subscribed()).filter((c) => c.settings.leadKinds.includes(kindOf(lead.type)));
      const known = new Set(cards.map((t) => t.conversationKey));
      cards = [...cards, ...subscribed.filter((c) => !known.has(c.key)).map((c) => ({ leadId: lead.id, conversationKey: c.key, urgent: true }))];
      if (flamePhase(lead, now, this.deps.flameWindowHours) === 'hot') flameChannels = subscribed.filter((c) => c.scope === 'channel' && c.settings.flameAlerts).map((c) => c.key);
    }
    // A 🔥 alert, reminder or expiry notice follows its card through the outbox, which sends cards first: both go there.
    const memory = this.deps.memory();
    const fromMemory =
      memory && fresh && !owesMessages(owed, flameChannels) && cards.length > 0 && memory.ready() && cards.every((t) => !t.urgent || this.takeRoom(memory, firstPosts, t.conversationKey));
    return { change, cards, flameChannels, fromMemory: fromMemory ? memory : undefined };
  }

  /** Counts a first post from memory against the sender's room (this batch's included); false when there is none left. */
  private takeRoom(memory: MemorySender, firstPosts: Map<string, number>, conversationKey: string): boolean {
    const taken = firstPosts.get(conversationKey) ?? 0;
    if (taken >= memory.room(conversationKey)) return false;
    firstPosts.set(conversationKey, taken + 1);
    return true;
  }

  /**
   * The sender takes the lead's cards from memory: nothing is queued or read for them. The
   * change's pending row and hint stay until what was sent is recorded, in the transaction that
   * clears the pending row, so a crash before then leaves the change to the sweep, like any other.
   */
  private handOver({ change, cards }: Plan, sender: MemorySender, held: ReturnType<ChangeBatch['hold']>): void {
    const { stored } = change;
    sender.send({ lead: stored.lead, etag: stored.etag, deliveries: stored.deliveries, cards }, (sent) =>
      held.finish({
        properties: deliveryProperties(sent.records),
        etag: sent.etag,
        first:
          sent.givenBack.length > 0
            ? async () => {
                await this.deps.outbox.enqueueCardUpdates(sent.givenBack, this.deps.now());
                this.deps.queued();
              }
            : undefined,
      }),
    );
  }

  /**
   * The rooms a lead's reminder or expiry notice goes to when nobody owns it: where its card is
   * posted, and every conversation that takes its kind of lead. Its first posts may still be on
   * their way (waiting in the outbox or in another instance's memory), and a reminder that counted
   * only the cards already recorded would reach no one.
   */
  private async rooms(lead: Lead, cards: CardUpdate[]): Promise<string[]> {
    const takers = (await this.deps.conversations.subscribed()).filter((c) => c.settings.leadKinds.includes(kindOf(lead.type)));
    return [...new Set([...cards.map((c) => c.conversationKey), ...takers.map((c) => c.key)])];
  }

  /**
   * The 🔥 alert, reminders and expiry notices, and "you are its owner now" to a person someone
   * else made its owner. A lead with an owner reminds its owner (in their personal chat) instead
   * of the room; favoriters hear in their personal chats either way.
   */
  private async queueMessages({ change, cards, flameChannels }: Plan, now: Date): Promise<void> {
    const { outbox, conversations } = this.deps;
    const { lead } = change.stored;
    const { owed } = change;
    const owner = lead.owner;
    await Promise.all(flameChannels.map((key) => outbox.enqueueOnce({ key: `flame|${lead.id}|${key}`, kind: 'flameAlert', conversationKey: key, leadId: lead.id }, now)));
    if (owed.assignedTo && owner?.id === owed.assignedTo) {
      // Keyed by the assignment itself (who, since when), which later changes keep: projected again, it is not told twice.
      const to = personKey(owner.id);
      await outbox.enqueueOnce({ key: `assigned|${lead.id}|${to}|${owner.since}`, kind: 'assigned', conversationKey: to, personId: owner.id, leadId: lead.id }, now);
    }
    const rooms = !owner && (owed.reminderHours !== undefined || owed.expiredNotice) ? await this.rooms(lead, cards) : [];
    if (owed.reminderHours !== undefined) {
      const hours = owed.reminderHours;
      const favoriters = lead.favorites.filter((f) => f.id.toLowerCase() !== owner?.id);
      const personal = await Promise.all(favoriters.map((f) => conversations.personalChatOf(f.id.toLowerCase())));
      const keys = new Set([...rooms, ...personal.flatMap((c) => (c ? [c.key] : []))]);
      const items: NewItem[] = [...keys].map((key) => ({ key: `reminder|${lead.id}|${hours}|${key}`, kind: 'reminder', conversationKey: key, leadId: lead.id, hours }));
      if (owner) items.push({ key: `reminder|${lead.id}|${hours}|${personKey(owner.id)}`, kind: 'reminder', conversationKey: personKey(owner.id), personId: owner.id, leadId: lead.id, hours });
      await Promise.all(items.map((item) => outbox.enqueueOnce(item, now)));
    }
    if (owed.expiredNotice) {
      const items: NewItem[] = owner
        ? [{ key: `expired|${lead.id}|${personKey(owner.id)}`, kind: 'expiredNotice', conversationKey: personKey(owner.id), personId: owner.id, leadId: lead.id }]
        : rooms.map((key) => ({ key: `expired|${lead.id}|${key}`, kind: 'expiredNotice', conversationKey: key, leadId: lead.id }));
      await Promise.all(items.map((item) => outbox.enqueueOnce(item, now)));
    }
  }
}
