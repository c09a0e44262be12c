/**
 * What concerns partner admins (a lead set aside, an outside system's connection broken, a send
 * given up on) reaches them in their personal chats with the bot, and, when some admin has none,
 * in the subscribed channels too: once per notice and conversation, however many instances see it.
 */
import type { ConversationStore } from '../storage/conversationStore';
import type { RoleStore } from '../storage/roleStore';
import type { Outbox } from './outbox';

export class AdminNotices {
  constructor(private readonly deps: { roles: RoleStore; conversations: ConversationStore; outbox: Outbox; now: () => Date; queued: () => void }) {}

  /** Partner admins' personal chats with the bot (those that have one). */
  async personalChats(): Promise<string[]> {
    const chats = await this.chatsOfAdmins();
    return chats.keys;
  }

  /** Where partner admins are told: their personal chats, and the subscribed channels when some admin has none. */
  async recipients(): Promise<string[]> {
    const { admins, keys } = await this.chatsOfAdmins();
    if (admins > 0 && keys.length === admins) return keys;
    const channels = (await this.deps.conversations.subscribed()).filter((c) => c.scope === 'channel').map((c) => c.key);
    return [...new Set([...keys, ...channels])];
  }

  /** Tells every recipient once: `key` names the notice (a second call with it queues nothing). */
  async tell(key: string, text: string): Promise<void> {
    const now = this.deps.now();
    await Promise.all((await this.recipients()).map((to) => this.deps.outbox.enqueueOnce({ key: `${key}|${to}`, kind: 'adminNotice', conversationKey: to, text }, now)));
    this.deps.queued();
  }

  private async chatsOfAdmins(): Promise<{ admins: number; keys: string[] }> {
    const admins = (await this.deps.roles.list()).filter((a) => a.role === 'partnerAdmin');
    const chats = await Promise.all(admins.map((a) => this.deps.conversations.personalChatOf(a.id)));
    return { admins: admins.length, keys: chats.flatMap((c) => (c ? [c.key] : [])) };
  }
}
