/**
 * The outbox of Teams sends: every proactive post and card update waits here (its own partition of
 * the Outbox table, see storage/queue.ts) until the sender sends it. Card updates coalesce into
 * one item per card; messages are sent once each.
 */
import type { TableClient } from '@azure/data-tables';
import { Queue, type QueueItem } from '../storage/queue';

export type OutboundKind = 'cardUpdate' | 'reminder' | 'flameAlert' | 'expiredNotice' | 'assigned' | 'digest' | 'adminNotice' | 'syncHealth' | 'overruled' | 'insights' | 'needsAnswer';

export interface OutboxItem extends QueueItem {
  kind: OutboundKind;
  conversationKey: string;
  leadId?: string;
  hours?: number;
  /**
   * A person's AAD object id: with a `person|…` conversation key, the message goes to their
   * personal chat; with a conversation's key, it @mentions them there.
   */
  personId?: string;
  /** A reminder someone put off, now due: the reminders they put off do not hold it back. */
  snoozed?: boolean;
  /** A digest's leads, as JSON (one line each on the card). */
  leadIds?: string;
  text?: string;
  /** A new lead's first post: it goes before routine updates. */
  urgent?: boolean;
}

/** A card to bring up to date in a conversation. */
export interface CardUpdate {
  leadId: string;
  conversationKey: string;
  urgent?: boolean;
}

export type NewItem = Pick<OutboxItem, 'kind' | 'conversationKey' | 'leadId' | 'hours' | 'leadIds' | 'text' | 'personId' | 'snoozed'> & { key: string };

/** The outbox's address of a person (not a conversation): their personal chat, found or opened when the message is sent. */
export const personKey = (personId: string) => `person|${personId.toLowerCase()}`;
export const isPersonKey = (conversationKey: string) => conversationKey.startsWith('person|');

/** The partition of Teams sends. */
export const TEAMS_QUEUE = 'pending';
/** What releases before this one called a card update. */
const LEGACY_CARD_UPDATE = 'syncCard';

export class Outbox extends Queue<OutboxItem> {
  constructor(table: TableClient, dead: TableClient) {
    super(table, dead, TEAMS_QUEUE, {
      coalescing: new Set(['cardUpdate']),
      read: (row) => ((row.kind as string) === LEGACY_CARD_UPDATE ? { ...row, kind: 'cardUpdate' } : row),
      // New cards, reminders and alerts first; routine card updates after them.
      rank: (item) => (item.kind === 'cardUpdate' && !item.urgent ? 1 : 0),
    });
  }

  /**
   * Queues card updates; repeated calls coalesce into one pending item per card. `urgent` (a new
   * lead's first post) goes before routine updates such as time-left refreshes. New items are
   * created together, in one request.
   */
  async enqueueCardUpdates(cards: CardUpdate[], now: Date): Promise<void> {
    await this.enqueueCoalescing(
      cards.map((c) => ({ rowKey: `card|${c.leadId}|${c.conversationKey}`, kind: 'cardUpdate', conversationKey: c.conversationKey, leadId: c.leadId, urgent: c.urgent ?? false })),
      now,
    );
  }

  /** Queues a message once; false when it was queued (or sent) before. */
  override enqueueOnce(item: NewItem, now: Date): Promise<boolean> {
    return super.enqueueOnce(item, now);
  }
}
