/**
 * Where each lead's card was posted: one property per conversation on the lead's own row (its
 * activity id to update, what the card shows). The row is read with the lead anyway, so a change
 * knows where its card is without another request, and the projection's last transaction records
 * what was sent and clears the pending row together.
 */
import type { TableClient } from '@azure/data-tables';
import { getOrUndefined, guard } from '../storage/tables';
import type { Conversation, ConversationStore } from '../storage/conversationStore';
import { deliveriesOf, deliveryProperties, type Delivery, type DeliveryRecord } from '../storage/deliveryEntries';
import { leadRowKey } from '../storage/leadStore';

export type { Delivery, DeliveryRecord } from '../storage/deliveryEntries';
export { deliveriesOf, deliveryProperties } from '../storage/deliveryEntries';

export interface PostedRoom {
  delivery: Delivery;
  room: Conversation;
}

/** Of a lead's deliveries, those in channels and group chats the bot still is in (personal chats left out), with their rooms. */
export async function postedRooms(deliveries: Delivery[], conversations: Pick<ConversationStore, 'get'>): Promise<PostedRoom[]> {
  const rooms = await Promise.all(deliveries.map(async (delivery) => ({ delivery, room: await conversations.get(delivery.conversationKey) })));
  return rooms.filter((r): r is PostedRoom => Boolean(r.room?.installed && r.room.scope !== 'personal'));
}

/** The channels and group chats where a lead's card is posted and the bot still is (personal chats left out). */
export async function roomsOfLead(leadId: string, deliveries: Pick<DeliveryStore, 'forLead'>, conversations: Pick<ConversationStore, 'get'>): Promise<Conversation[]> {
  return (await postedRooms(await deliveries.forLead(leadId), conversations)).map((r) => r.room);
}

export class DeliveryStore {
  /** `table` is the Leads table: deliveries live on the lead's row. */
  constructor(private readonly table: TableClient) {}

  async get(leadId: string, conversationKey: string): Promise<Delivery | undefined> {
    return (await this.forLead(leadId)).find((d) => d.conversationKey === conversationKey);
  }

  async forLead(leadId: string): Promise<Delivery[]> {
    const row = await getOrUndefined<Record<string, unknown>>(this.table, leadId, leadRowKey(leadId));
    return row ? deliveriesOf(leadId, row) : [];
  }

  /**
   * Records what was posted (or marked) in a conversation. Only the sender writes these (one
   * instance holds its lease, and its memory and outbox sends run in one pass at a time), so no
   * ETag guards it; a person's change of the lead, which is guarded, merges its own properties and
   * keeps these.
   */
  async record(leadId: string, record: DeliveryRecord): Promise<void> {
    await guard(() => this.table.updateEntity({ partitionKey: leadId, rowKey: leadRowKey(leadId), ...deliveryProperties([record]) }, 'Merge'));
  }
}
