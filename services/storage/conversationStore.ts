/**
 * Conversations the bot is installed in, with the reference needed to message them later, and
 * whether each gets new-lead cards. The reference is opaque here: bot/ builds and reads it.
 */
import { odata, type TableClient } from '@azure/data-tables';
import { z } from 'zod';
import { LEAD_KINDS, type LeadKind } from '../leads/lead';
import { createIfAbsent, deleteIfExists, getOrUndefined, guard, isPreconditionFailed, safeKey } from './tables';

export type ConversationScope = 'personal' | 'groupChat' | 'channel';


/** What a conversation gets from the bot; every proactive send honours it. */
export const conversationSettingsSchema = z.object({
  /** New-lead cards posted here, by kind. */
  leadKinds: z.array(z.enum(LEAD_KINDS)),
  flameAlerts: z.boolean(),
  /** Reminders before the deadline, and the expiry notice. */
  reminders: z.boolean(),
  /** The morning digest of leads that need an answer. */
  digest: z.boolean(),
  /** The weekly insights card. */
  insights: z.boolean(),
  /** 'auto': as the conversation speaks (its last message's locale). */
  language: z.enum(['auto', 'en', 'de']),
  /** A personal chat's person: their own events in their Teams activity feed (else in this chat). */
  activityFeed: z.boolean().default(true),
});
export type ConversationSettings = z.infer<typeof conversationSettingsSchema>;

/** Until changed: everything on, but weekly insights only in channels (a team's place, not a person's chat). */
export function defaultSettings(scope: ConversationScope): ConversationSettings {
  return { leadKinds: [...LEAD_KINDS], flameAlerts: true, reminders: true, digest: true, insights: scope === 'channel', language: 'auto', activityFeed: true };
}

export interface Conversation {
  key: string;
  conversationId: string;
  scope: ConversationScope;
  tenantId?: string;
  /** For personal chats: the user's AAD object id, so reminders can reach a favoriter. */
  userId?: string;
  /** For channels: the team's id, so that removing the app from the team stops all of its channels. */
  teamId?: string;
  /** For channels: the team's Microsoft 365 group id, for links to the channel's messages. */
  teamGroupId?: string;
  subscribed: boolean;
  /** False once the app was removed (or Teams answered 403): nothing is sent there any more. */
  installed: boolean;
  /** The locale last seen in this conversation, for proactive messages. */
  locale?: string;
  settings: ConversationSettings;
  reference: unknown;
}

interface ConversationEntity {
  conversationId: string;
  scope: ConversationScope;
  tenantId?: string;
  userId?: string;
  teamId?: string;
  teamGroupId?: string;
  subscribed: boolean;
  installed?: boolean;
  locale?: string;
  settings?: string;
  reference: string;
}

const PARTITION = 'conv';
/** Who asked to be @mentioned on new leads in a conversation: one partition per conversation, a row per person. */
const notifyPartition = (key: string) => `notify|${key}`;

/** A person who asked to be @mentioned on new leads of these kinds in a conversation. */
export interface NotifyWish {
  personId: string;
  name: string;
  teamsUserId: string;
  kinds: LeadKind[];
}
const WELCOMED = 'welcomed';

export const conversationKey = (conversationId: string): string => safeKey(conversationId);

/** How long another instance's install or removal may go unseen here (every send and fan-out asks). */
const CACHE_MS = 30_000;

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
  private readonly recentWishes = new Recent<NotifyWish[]>();

  constructor(private readonly table: TableClient) {}

  /**
   * Saves what Teams says of a conversation; its settings stay as they were (or start as the
   * defaults), and so does whether it gets new leads unless `subscribed` is given (a new one does not).
   */
  async save(conversation: Omit<Conversation, 'key' | 'settings' | 'subscribed'> & { subscribed?: boolean }): Promise<Conversation> {
    const key = conversationKey(conversation.conversationId);
    const entity: Omit<ConversationEntity, 'settings'> & { partitionKey: string; rowKey: string } = {
      partitionKey: PARTITION,
      rowKey: key,
      conversationId: conversation.conversationId,
      scope: conversation.scope,
      tenantId: conversation.tenantId,
      userId: conversation.userId,
      teamId: conversation.teamId,
      teamGroupId: conversation.teamGroupId,
      subscribed: conversation.subscribed as boolean,
      installed: conversation.installed,
      locale: conversation.locale,
      reference: JSON.stringify(conversation.reference),
    };
    const known = Object.fromEntries(Object.entries(entity).filter(([, value]) => value !== undefined));
    await guard(() => this.table.upsertEntity(known as typeof entity, 'Merge'));
    this.forget();
    return (await this.get(key)) ?? { ...conversation, subscribed: conversation.subscribed ?? false, key, settings: defaultSettings(conversation.scope) };
  }

  /**
   * Replaces a conversation's settings. With `expected` (the settings the person saw when they
   * changed them), only if they are still those: 'changed' when someone saved others meanwhile
   * (nothing is written; `current` is what they are now). 'absent' when the bot is not installed there.
   */
  async saveSettings(
    key: string,
    settings: ConversationSettings,
    expected?: ConversationSettings,
  ): Promise<{ outcome: 'saved' } | { outcome: 'changed'; current: ConversationSettings } | { outcome: 'absent' }> {
    for (;;) {
      const existing = await getOrUndefined<ConversationEntity>(this.table, PARTITION, key);
      if (!existing) return { outcome: 'absent' };
      const current = settingsOf(existing);
      if (expected && JSON.stringify(current) !== JSON.stringify(conversationSettingsSchema.parse(expected))) return { outcome: 'changed', current };
      try {
        const value = JSON.stringify(conversationSettingsSchema.parse(settings));
        await guard(() => this.table.updateEntity({ partitionKey: PARTITION, rowKey: key, settings: value }, 'Merge', { etag: existing.etag }));
        this.forget();
        return { outcome: 'saved' };
      } catch (error) {
        // The row changed since the read (settings, or Teams' own update of the conversation): read again.
        if (!isPreconditionFailed(error)) throw error;
      }
    }
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

  /** The channels of a team the bot was added to (those filed since conversations record their team). */
  channelsOfTeam(teamId: string): Promise<Conversation[]> {
    return this.list(odata`PartitionKey eq ${PARTITION} and teamId eq ${teamId}`);
  }

  /** The personal chat with a user, found by AAD object id. */
  async personalChatOf(userId: string): Promise<Conversation | undefined> {
    const found = await this.list(odata`PartitionKey eq ${PARTITION} and scope eq 'personal' and userId eq ${userId}`);
    return found[0];
  }

  /** Records which new leads a person wants to be @mentioned on here; no kinds: none. */
  async setNotify(key: string, wish: NotifyWish): Promise<void> {
    const partitionKey = notifyPartition(key);
    const rowKey = safeKey(wish.personId.toLowerCase());
    if (wish.kinds.length === 0) await deleteIfExists(this.table, partitionKey, rowKey);
    else await guard(() => this.table.upsertEntity({ partitionKey, rowKey, personId: wish.personId.toLowerCase(), name: wish.name, teamsUserId: wish.teamsUserId, kinds: JSON.stringify(wish.kinds) }, 'Replace'));
    this.forget();
  }

  /** Everyone who asked to be @mentioned on new leads in this conversation (one small partition). */
  notifyWishes(key: string): Promise<NotifyWish[]> {
    return this.recentWishes.get(key, async () => {
      const wishes: NotifyWish[] = [];
      await guard(async () => {
        const rows = this.table.listEntities<{ personId: string; name: string; teamsUserId: string; kinds: string }>({ queryOptions: { filter: odata`PartitionKey eq ${notifyPartition(key)}` } });
        for await (const row of rows) {
          const kinds = z.array(z.enum(LEAD_KINDS)).safeParse(JSON.parse(row.kinds ?? '[]'));
          if (kinds.success) wishes.push({ personId: row.personId, name: row.name, teamsUserId: row.teamsUserId, kinds: kinds.data });
        }
      });
      return wishes;
    });
  }

  /** A changed conversation is seen at once by this instance, within CACHE_MS by the others. */
  private forget(): void {
    this.recentLists.clear();
    this.recent.clear();
    this.recentWishes.clear();
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
    teamId: entity.teamId ?? undefined,
    teamGroupId: entity.teamGroupId ?? undefined,
    subscribed: Boolean(entity.subscribed),
    installed: entity.installed !== false,
    locale: entity.locale ?? undefined,
    settings: settingsOf(entity),
    reference: JSON.parse(entity.reference),
  };
}

/** Stored settings over the defaults; a value this version cannot read falls back to its default. */
function settingsOf(entity: ConversationEntity): ConversationSettings {
  const defaults = defaultSettings(entity.scope);
  if (!entity.settings) return defaults;
  try {
    const stored = JSON.parse(entity.settings) as Record<string, unknown>;
    const merged = Object.fromEntries(
      Object.entries(defaults).map(([name, fallback]) => {
        const value = conversationSettingsSchema.shape[name as keyof ConversationSettings].safeParse(stored[name]);
        return [name, value.success ? value.data : fallback];
      }),
    );
    return merged as ConversationSettings;
  } catch {
    return defaults;
  }
}
