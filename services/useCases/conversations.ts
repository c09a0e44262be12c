/**
 * Use cases of the conversations the bot is in: an install or removal Teams announces, subscribing
 * one to new leads, its settings, and who asked to be @mentioned there.
 */
import { conversationKey, type Conversation, type ConversationSettings, type ConversationStore, type NotifyWish } from '../storage/conversationStore';

export type { Conversation, ConversationScope, ConversationSettings, NotifyWish } from '../storage/conversationStore';
export { conversationKey, conversationSettingsSchema } from '../storage/conversationStore';

/** A conversation as Teams describes it in an activity, before it is stored. */
export type Where = Omit<Conversation, 'key' | 'settings'>;

export class ConversationUseCases {
  constructor(private readonly conversations: ConversationStore) {}

  /**
   * The bot was added: the conversation is filed (with the reference to message it later). True
   * the first time for this installation (Teams announces an install twice): welcome it then.
   */
  async installed(where: Where): Promise<boolean> {
    await this.conversations.save(where);
    return this.conversations.claimWelcome(conversationKey(where.conversationId));
  }

  /** The app was removed: nothing goes there any more, and a later install is welcomed again. */
  async removed(where: Pick<Where, 'conversationId'>): Promise<void> {
    const key = conversationKey(where.conversationId);
    await this.conversations.markRemoved(key);
    await this.conversations.forgetWelcome(key);
  }

  /** New-lead cards here, or not. */
  async subscribe(where: Where, subscribed: boolean): Promise<void> {
    await this.conversations.save({ ...where, subscribed });
  }

  /** The conversation as stored; filed now (without new-lead cards) if the bot never recorded its install. */
  async stored(where: Where): Promise<Conversation> {
    const found = await this.conversations.get(conversationKey(where.conversationId));
    return found ?? this.conversations.save({ ...where, subscribed: false });
  }

  saveSettings(key: string, settings: ConversationSettings, expected?: ConversationSettings): ReturnType<ConversationStore['saveSettings']> {
    return this.conversations.saveSettings(key, settings, expected);
  }

  /** Records which new leads a person wants to be @mentioned on here; no kinds: none. */
  notify(where: Pick<Where, 'conversationId'>, wish: NotifyWish): Promise<void> {
    return this.conversations.setNotify(conversationKey(where.conversationId), wish);
  }
}
