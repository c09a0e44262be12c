/**
 * Conversations the bot is installed in, with the reference needed to message them later, and
 * whether each gets new-lead cards. The reference is opaque here: bot/ builds and reads it.
 */
import { odata, type TableClient } from '@azure/data-tables';
import { createIfAbsent, deleteIfExists, getOrUndefined, guard, safeKey } from './tables';

export type ConversationScope = 'personal' | 'groupChat' | 'channel';

export interface Conversation {
  key: string;
  conversationId: string;
  scope: ConversationScope;
  tenantId?: string;
  /** For personal chats: the user's AAD object id, so reminders can reach a favoriter. */
  userId?: string;
  subscribed: boolean;
  /** False once the app was removed (or Teams answered 403): nothing is sent there any more. */
  installed: boolean;
  /** The locale last seen in this conversation, for proactive messages. */
  locale?: string;
  reference: unknown;
}

interface ConversationEntity {
  conversationId: string;
  scope: ConversationScope;
  tenantId?: string;
  userId?: string;
  subscribed: boolean;
  installed?: boolean;
  locale?: string;
  reference: string;
}

const PARTITION = 'conv';
const WELCOMED = 'welcomed';

export const conversationKey = (conversationId: string): string => safeKey(conversationId);

/** How long another instance's install or removal may go unseen here (every send and fan-out asks). */
const CACHE_MS = 5_000;

/** Reads answered within the last CACHE_MS, by key; a failed read is not kept. */
class Recent<T> {
  private readonly entries = new Map<string, { at: number; value: Promise<T> }>();

  get(key: string, load: () => Promise<T>): Promise<T> {
    const now = Date.now();
    const entry = this.entries.get(key);
    if (entry && now - entry.at < CACHE_MS) return entry.value;
    if (this.entries.size >= 10_000) this.entries.clear();
    const value = load();
    this.entries.set(key, { at: now, value });
    value.catch(() => this.entries.delete(key));
    return value;
  }

  clear(): void {
    this.entries.clear();
  }
}

export class ConversationStore {
  private readonly recentLists = new Recent<Conversation[]>();
  private readonly recent = new Recent<Conversation | undefined>();

  constructor(private readonly table: TableClient) {}

  async save(conversation: Omit<Conversation, 'key'>): Promise<Conversation> {
    const key = conversationKey(conversation.conversationId);
    const entity: ConversationEntity & { partitionKey: string; rowKey: string } = {
      partitionKey: PARTITION,
      rowKey: key,
      conversationId: conversation.conversationId,
      scope: conversation.scope,
      tenantId: conversation.tenantId,
      userId: conversation.userId,
      subscribed: conversation.subscribed,
      installed: conversation.installed,
      locale: conversation.locale,
      reference: JSON.stringify(conversation.reference),
    };
    await guard(() => this.table.upsertEntity(entity, 'Replace'));
    this.forget();
    return { ...conversation, key };
  }

  get(key: string): Promise<Conversation | undefined> {
    return this.recent.get(key, async () => {
      const entity = await getOrUndefined<ConversationEntity>(this.table, PARTITION, key);
      return entity && toConversation(key, entity);
    });
  }

  /** True once per installation: Teams announces an install twice, at nearly the same moment. */
  claimWelcome(key: string): Promise<boolean> {
    return createIfAbsent(this.table, { partitionKey: WELCOMED, rowKey: key });
  }

  /** The app was removed: a later install is welcomed again. */
  async forgetWelcome(key: string): Promise<void> {
    await deleteIfExists(this.table, WELCOMED, key);
  }

  /** The app was removed or blocked: no new leads and no updates go there any more. */
  async markRemoved(key: string): Promise<void> {
    const existing = await getOrUndefined<ConversationEntity>(this.table, PARTITION, key);
    if (!existing) return;
    await guard(() => this.table.updateEntity({ partitionKey: PARTITION, rowKey: key, subscribed: false, installed: false }, 'Merge'));
    this.forget();
  }

  async setSubscribed(key: string, subscribed: boolean): Promise<boolean> {
    const existing = await getOrUndefined<ConversationEntity>(this.table, PARTITION, key);
    if (!existing) return false;
    await guard(() => this.table.updateEntity({ partitionKey: PARTITION, rowKey: key, subscribed }, 'Merge'));
    this.forget();
    return true;
  }

  subscribed(): Promise<Conversation[]> {
    return this.recentLists.get('subscribed', () => this.list(odata`PartitionKey eq ${PARTITION} and subscribed eq true`));
  }

  /** The personal chat with a user, found by AAD object id. */
  async personalChatOf(userId: string): Promise<Conversation | undefined> {
    const found = await this.list(odata`PartitionKey eq ${PARTITION} and scope eq 'personal' and userId eq ${userId}`);
    return found[0];
  }

  /** A changed conversation is seen at once by this instance, within CACHE_MS by the others. */
  private forget(): void {
    this.recentLists.clear();
    this.recent.clear();
  }

  private async list(filter: string): Promise<Conversation[]> {
    const found: Conversation[] = [];
    await guard(async () => {
      for await (const entity of this.table.listEntities<ConversationEntity>({ queryOptions: { filter } })) {
        found.push(toConversation(entity.rowKey ?? '', entity));
      }
    });
    return found;
  }
}

function toConversation(key: string, entity: ConversationEntity): Conversation {
  return {
    key,
    conversationId: entity.conversationId,
    scope: entity.scope,
    tenantId: entity.tenantId ?? undefined,
    userId: entity.userId ?? undefined,
    subscribed: Boolean(entity.subscribed),
    installed: entity.installed !== false,
    locale: entity.locale ?? undefined,
    reference: JSON.parse(entity.reference),
  };
}
