/** Where each lead's card was posted: one row per (lead, conversation) with the activity id to update. */
import { odata, type TableClient } from '@azure/data-tables';
import { createIfAbsent, getOrUndefined, guard, isPreconditionFailed } from '../storage/tables';
import type { Conversation, ConversationStore } from '../storage/conversationStore';

/** The channels and group chats where a lead's card is posted and the bot still is (personal chats left out). */
export async function roomsOfLead(leadId: string, deliveries: Pick<DeliveryStore, 'forLead'>, conversations: Pick<ConversationStore, 'get'>): Promise<Conversation[]> {
  const posted = await Promise.all((await deliveries.forLead(leadId)).map((d) => conversations.get(d.conversationKey)));
  return posted.filter((c): c is Conversation => Boolean(c?.installed && c.scope !== 'personal'));
}

export interface Delivery {
  leadId: string;
  conversationKey: string;
  activityId?: string;
  /** What the posted card shows (lead version + time-dependent state); differs → update it. */
  renderKey?: string;
  /** Posted again after a crash cut the first try short: Teams may show this card twice. */
  maybeDuplicate?: boolean;
  etag: string;
}

interface DeliveryEntity {
  activityId?: string;
  renderKey?: string;
  maybeDuplicate?: boolean;
}

/**
 * A delivery's RowKey names its lead as well as its conversation: Azurite (the embedded storage)
 * looks a row up by RowKey first, and a conversation's key alone is shared by every lead posted there.
 */
export const deliveryRowKey = (leadId: string, conversationKey: string) => `${leadId}|${conversationKey}`;
const conversationOf = (leadId: string, rowKey: string) => rowKey.slice(leadId.length + 1);

export class DeliveryStore {
  constructor(private readonly table: TableClient) {}

  /** Registers that a lead's card belongs in a conversation; false if it already does. */
  add(leadId: string, conversationKey: string): Promise<boolean> {
    return createIfAbsent(this.table, { partitionKey: leadId, rowKey: deliveryRowKey(leadId, conversationKey) });
  }

  async get(leadId: string, conversationKey: string): Promise<Delivery | undefined> {
    const entity = await getOrUndefined<DeliveryEntity>(this.table, leadId, deliveryRowKey(leadId, conversationKey));
    return entity && toDelivery(leadId, conversationKey, entity);
  }

  async forLead(leadId: string): Promise<Delivery[]> {
    const found: Delivery[] = [];
    await guard(async () => {
      for await (const entity of this.table.listEntities<DeliveryEntity>({ queryOptions: { filter: odata`PartitionKey eq ${leadId}` } })) {
        found.push(toDelivery(leadId, conversationOf(leadId, entity.rowKey ?? ''), entity));
      }
    });
    return found;
  }

  /** Records what was posted; false if someone else recorded first (their post stands). */
  async record(delivery: Delivery, change: { activityId: string; renderKey: string; maybeDuplicate?: boolean }): Promise<boolean> {
    try {
      await guard(() =>
        this.table.updateEntity({ partitionKey: delivery.leadId, rowKey: deliveryRowKey(delivery.leadId, delivery.conversationKey), ...change }, 'Merge', { etag: delivery.etag }),
      );
      return true;
    } catch (error) {
      if (isPreconditionFailed(error)) return false;
      throw error;
    }
  }
}

function toDelivery(leadId: string, conversationKey: string, entity: DeliveryEntity & { etag: string }): Delivery {
  return {
    leadId,
    conversationKey,
    activityId: entity.activityId ?? undefined,
    renderKey: entity.renderKey ?? undefined,
    maybeDuplicate: entity.maybeDuplicate ?? undefined,
    etag: entity.etag,
  };
}
