/**
 * Use cases of the conversations the bot is in: an install, upgrade or removal Teams announces,
 * subscribing one to new leads (which no install does by itself: who sees leads is an admin's
 * choice), a person's stream of new leads in their personal chat, its settings, and who asked to
 * be @mentioned there.
 */
import type { LeadKind } from '../leads/lead';
import { conversationKey, type Conversation, type ConversationSettings, type ConversationStore, type NotifyWish } from '../storage/conversationStore';
import type { RoleStore } from '../storage/roleStore';

export type { Conversation, ConversationScope, ConversationSettings, NotifyWish } from '../storage/conversationStore';
export { conversationKey, conversationSettingsSchema } from '../storage/conversationStore';

/** A conversation as Teams describes it in an activity, before it is stored (whether it gets new leads is not Teams' to say). */
export type Where = Omit<Conversation, 'key' | 'settings' | 'subscribed'>;

/** A channel of a team, as Teams lists them. */
export interface TeamChannel {
  id: string;
  /** Undefined for the General channel, whose id is the team's. */
  name?: string;
}

/** Who lists a team's channels: Teams, through the delivery side's member directory. */
export interface ChannelDirectory {
  channels(teamId: string, conversation: Pick<Where, 'reference' | 'tenantId'>): Promise<TeamChannel[]>;
}

export class ConversationUseCases {
  constructor(
    private readonly conversations: ConversationStore,
    private readonly roles: RoleStore,
    private readonly directory: ChannelDirectory,
  ) {}

  /**
   * The bot was added: the conversation is filed (with the reference to message it later), and
   * gets no new leads by being added. A personal chat whose person a partner admin gave the team's
   * stream gets it. True the first time for this installation (Teams announces an install twice,
   * and an upgrade once more): welcome it then.
   */
  async installed(where: Where): Promise<boolean> {
    const streams = where.scope === 'personal' && where.userId !== undefined && (await this.roles.streamsTo(where.userId));
    await this.conversations.save(streams ? { ...where, subscribed: true } : where);
    return this.conversations.claimWelcome(conversationKey(where.conversationId));
  }

  /**
   * The app was removed: nothing goes there any more, and a later install is welcomed again. From a
   * team: from every channel of it (a channel chosen for new leads stops too, and a later install
   * asks again).
   */
  async removed(where: Pick<Where, 'conversationId' | 'teamId'>): Promise<void> {
    const channels = where.teamId ? await this.conversations.channelsOfTeam(where.teamId) : [];
    const keys = new Set([conversationKey(where.conversationId), ...channels.map((c) => c.key)]);
    for (const key of keys) {
      await this.conversations.markRemoved(key);
      await this.conversations.forgetWelcome(key);
    }
  }

  /**
   * New-lead cards there, or not; with `kinds`, of these kinds only. The caller checked who may. A
   * person who stops them in their personal chat is no longer given the team's stream.
   */
  async subscribe(where: Where, subscribed: boolean, kinds?: LeadKind[]): Promise<Conversation> {
    if (!subscribed && where.scope === 'personal' && where.userId) await this.roles.setStream(where.userId, false, where.userId);
    const saved = await this.conversations.save({ ...where, subscribed });
    if (!kinds) return saved;
    await this.conversations.saveSettings(saved.key, { ...saved.settings, leadKinds: kinds });
    return { ...saved, settings: { ...saved.settings, leadKinds: kinds } };
  }

  /** The conversation as stored; filed now (without new-lead cards) if the bot never recorded its install. */
  async stored(where: Where): Promise<Conversation> {
    const found = await this.conversations.get(conversationKey(where.conversationId));
    return found ?? this.conversations.save(where);
  }

  /** The channels of the team `where` is a channel of; none when Teams will not say. */
  channels(where: Where, teamId: string): Promise<TeamChannel[]> {
    return this.directory.channels(teamId, where);
  }

  saveSettings(key: string, settings: ConversationSettings, expected?: ConversationSettings): ReturnType<ConversationStore['saveSettings']> {
    return this.conversations.saveSettings(key, settings, expected);
  }

  /** Records which new leads a person wants to be @mentioned on here; no kinds: none. */
  notify(where: Pick<Where, 'conversationId'>, wish: NotifyWish): Promise<void> {
    return this.conversations.setNotify(conversationKey(where.conversationId), wish);
  }
}
