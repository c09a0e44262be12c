/**
 * A lead's card in one conversation, brought up to date: the posted message is updated, or the
 * card is posted once, behind a mark on the lead's row that is conditional on its ETag (a change
 * since then is either on this card or sees the mark; a mark left by an earlier try says Teams may
 * have the card already). Both senders (from memory and from the outbox) use it.
 */
import { kindOf } from '../../leads/lead';
import { renderKey } from '../../leads/leadTime';
import type { Outside } from '../../leads/outsideView';
import type { Conversation, ConversationStore } from '../../storage/conversationStore';
import type { LeadStore, StoredLead } from '../../storage/leadStore';
import type { Delivery, DeliveryRecord, DeliveryStore } from '../deliveryStore';
import type { OutboxItem } from '../outbox';
import { SendFailure, type TeamsGateway } from '../teamsGateway';
import { isDigestMark, type Digests } from './digests';
import type { SendSlots } from './sendSlots';

/** A card's delivery and lead as read, and whether the posted card already shows the lead. */
export interface CardState {
  upToDate: boolean;
  delivery?: Delivery;
  stored?: StoredLead;
}

export type BroughtUpToDate = { record?: DeliveryRecord; posted: boolean } | 'changed';

export interface CardUpdaterDeps {
  leads: LeadStore;
  deliveries: DeliveryStore;
  conversations: ConversationStore;
  gateway: TeamsGateway;
  slots: SendSlots;
  digests: Digests;
  /** What outside systems say on the card (it shows on it, so it is part of what a card shows). */
  outside: Outside;
  flameWindowHours: number;
  now: () => Date;
}

/** Tries at a card whose lead keeps changing while it is about to be posted. */
const MAX_REREADS = 3;

export class CardUpdater {
  constructor(private readonly deps: CardUpdaterDeps) {}

  /** What a posted card shows now: when it changes, the card is updated. */
  shows(lead: StoredLead['lead']): string {
    return renderKey(lead, this.deps.now(), this.deps.flameWindowHours, this.deps.outside(lead));
  }

  /** The card's delivery and lead (one read: deliveries are on the lead's row), and whether the posted card already shows what it should. */
  async state(item: OutboxItem): Promise<CardState> {
    if (!item.leadId) return { upToDate: false };
    const stored = await this.deps.leads.get(item.leadId);
    if (!stored) return { upToDate: true };
    const delivery = stored.deliveries.find((d) => d.conversationKey === item.conversationKey);
    if (isDigestMark(delivery?.activityId)) return { upToDate: await this.deps.digests.covers(delivery!), delivery, stored };
    const upToDate = Boolean(delivery?.activityId) && delivery?.renderKey === this.shows(stored.lead);
    return { upToDate, delivery, stored };
  }

  /** An outbox item's card: posted once, then kept in step with the lead. True when a post may show twice (a crash cut an earlier try short). */
  async update(item: OutboxItem, conversation: Conversation, read: StoredLead, known?: Delivery): Promise<boolean> {
    let stored = read;
    let delivery: Delivery | undefined = known && { ...known };
    if (delivery && isDigestMark(delivery.activityId)) {
      if (await this.deps.digests.covers(delivery)) return false;
      delivery.activityId = undefined; // its digest was never queued: the card goes out on its own
    }
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.bringUpToDate(conversation, stored, delivery, { interrupted: item.interrupted });
      if (outcome !== 'changed') {
        if (outcome.record) await this.deps.deliveries.record(stored.lead.id, outcome.record);
        return outcome.posted && Boolean(outcome.record?.maybeDuplicate);
      }
      // The lead changed since it was read: its card goes out as it is now (posted meanwhile after all: updated).
      const again = attempt < MAX_REREADS ? await this.deps.leads.get(stored.lead.id) : undefined;
      if (!again) throw new Error(`lead ${stored.lead.id} kept changing while its card was about to be posted`);
      stored = again;
      delivery = again.deliveries.find((d) => d.conversationKey === item.conversationKey);
    }
  }

  /**
   * Brings the card up to date with the lead as read (`stored`). Returns what to record (nothing
   * when the card already shows it) and whether it was a post, or 'changed' when the lead changed
   * since it was read.
   */
  async bringUpToDate(
    conversation: Conversation,
    stored: Pick<StoredLead, 'lead' | 'etag'>,
    delivery: Delivery | undefined,
    options: { interrupted?: boolean; onMarked?: (etag: string) => void },
  ): Promise<BroughtUpToDate> {
    const { gateway, leads, conversations, slots } = this.deps;
    const { lead } = stored;
    const conversationKey = conversation.key;
    const outside = this.deps.outside(lead);
    const shows = renderKey(lead, this.deps.now(), this.deps.flameWindowHours, outside);
    if (delivery?.activityId) {
      if (delivery.renderKey === shows) return { posted: false };
      try {
        slots.leaving(conversationKey, this.deps.now().getTime());
        await gateway.update(conversation, delivery.activityId, { kind: 'leadCard', lead, outside });
        return { record: { conversationKey, activityId: delivery.activityId, renderKey: shows, maybeDuplicate: delivery.maybeDuplicate }, posted: false };
      } catch (error) {
        // The message was deleted in Teams: post the card again rather than lose it.
        if (!(error instanceof SendFailure && error.status === 404)) throw error;
      }
    }
    const etag = await leads.markPosting(lead.id, stored.etag, conversationKey, this.deps.now().getTime());
    if (!etag) return 'changed';
    options.onMarked?.(etag);
    // What the card shows is taken after the mark: a 🔥 turn or refresh the scheduler handled before
    // the mark found no card here to update, so the card posted now must already show it.
    const posting = renderKey(lead, this.deps.now(), this.deps.flameWindowHours, outside);
    // No activity id was recorded, yet an earlier try was cut short (its lease lapsed, or its mark stayed): it may have reached Teams.
    const maybeDuplicate = Boolean(options.interrupted || delivery?.postingSince) && !delivery?.activityId;
    // The first post @mentions whoever here asked to hear of this kind of lead (an update notifies nobody).
    const mentions = conversation.scope === 'personal' ? [] : (await conversations.notifyWishes(conversationKey)).filter((w) => w.kinds.includes(kindOf(lead.type)));
    slots.leaving(conversationKey, this.deps.now().getTime());
    const activityId = await gateway.post(conversation, {
      kind: 'leadCard',
      lead,
      outside,
      ...(mentions.length > 0 && { mentions: mentions.map(({ teamsUserId, name }) => ({ teamsUserId, name })) }),
    });
    return { record: { conversationKey, activityId, renderKey: posting, ...(maybeDuplicate && { maybeDuplicate }) }, posted: true };
  }
}
