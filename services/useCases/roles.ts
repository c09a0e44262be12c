/**
 * Use cases of roles: who may read leads (Lead viewers, and everyone when the partner chose
 * LEADS_VISIBLE_TO=everyone), who may change them (Referrals admins and MPN partner admins), and
 * partner admins granting and revoking roles and a person's stream of new leads.
 */
import type { ConversationStore } from '../storage/conversationStore';
import type { Role, RoleEntry, RoleStore, StreamEntry } from '../storage/roleStore';

export { ROLES, type Role, type RoleEntry, type StreamEntry } from '../storage/roleStore';

/** What a person may do with leads. */
export interface Access {
  role?: Role;
  /** Read leads: lists, find, search, unfurl, `lead <id>`. */
  read: boolean;
  /** Change leads (a lead role): Accept, Decline, owners…, and choose where new leads go. */
  change: boolean;
  /** Grant roles, retry, change any conversation's settings. */
  admin: boolean;
}

export type Visibility = 'roles' | 'everyone';

export class RoleUseCases {
  constructor(
    private readonly roles: RoleStore,
    private readonly conversations: ConversationStore,
    private readonly visibleTo: Visibility = 'roles',
  ) {}

  /** Whether everyone may read leads (LEADS_VISIBLE_TO=everyone), not only people with a role. */
  get everyone(): boolean {
    return this.visibleTo === 'everyone';
  }

  /** Whether any admin is configured in the settings or granted (else nobody can change leads yet). */
  adminsConfigured(): Promise<boolean> {
    return this.roles.adminsConfigured();
  }

  /** What this person may do. */
  async access(userId: string | undefined): Promise<Access> {
    return accessOf(await this.roles.roleOf(userId), this.visibleTo);
  }

  list(): Promise<RoleEntry[]> {
    return this.roles.list();
  }

  /** A partner admin (`by`) grants `role` to a person; anyone else is refused. */
  async grant(by: string, userId: string, role: Role, name?: string): Promise<'granted' | 'forbidden'> {
    if ((await this.roles.roleOf(by)) !== 'partnerAdmin') return 'forbidden';
    await this.roles.grant(userId, role, by, name);
    return 'granted';
  }

  /** A partner admin (`by`) takes a granted role back. */
  async revoke(by: string, userId: string): Promise<'revoked' | 'absent' | 'forbidden'> {
    if ((await this.roles.roleOf(by)) !== 'partnerAdmin') return 'forbidden';
    const revoked = await this.roles.revoke(userId);
    if (revoked && (await this.roles.streamsTo(userId))) await this.applyStream(by, { id: userId }, false);
    return revoked ? 'revoked' : 'absent';
  }

  /**
   * A partner admin (`by`) gives a person the team's new leads in their personal chat, or takes
   * them away: their personal chat is subscribed now if the bot has one, else when they install it.
   */
  async stream(by: string, person: { id: string; name?: string }, on: boolean): Promise<'changed' | 'forbidden'> {
    if ((await this.roles.roleOf(by)) !== 'partnerAdmin') return 'forbidden';
    await this.applyStream(by, person, on);
    return 'changed';
  }

  private async applyStream(by: string, person: { id: string; name?: string }, on: boolean): Promise<void> {
    const id = person.id.toLowerCase();
    await this.roles.setStream(id, on, by, person.name);
    const chat = await this.conversations.personalChatOf(id);
    if (chat) await this.conversations.setSubscribed(chat.key, on);
  }

  /** Who a partner admin gave the team's new leads in their personal chat. */
  streams(): Promise<StreamEntry[]> {
    return this.roles.streams();
  }

  streamsTo(userId: string): Promise<boolean> {
    return this.roles.streamsTo(userId);
  }
}

function accessOf(role: Role | undefined, visibleTo: Visibility): Access {
  const change = role === 'leadAdmin' || role === 'partnerAdmin';
  return { role, read: role !== undefined || visibleTo === 'everyone', change, admin: role === 'partnerAdmin' };
}

/**
 * Personal chats a release before roles subscribed (every personal install did) keep the team's
 * stream, as every subscription made before stays: filed as streams, so the roles card shows them
 * and a partner admin can take any away. Idempotent; `LeadsApp.prepare` runs it once per storage.
 */
export async function fileEarlierStreams(conversations: ConversationStore, roles: RoleStore): Promise<number> {
  let filed = 0;
  for (const chat of await conversations.subscribed()) {
    if (chat.scope !== 'personal' || !chat.userId || (await roles.streamsTo(chat.userId))) continue;
    await roles.setStream(chat.userId, true, EARLIER_RELEASE);
    filed++;
  }
  return filed;
}

/** Who "granted" a stream filed from a subscription made before roles. */
export const EARLIER_RELEASE = 'an earlier release';
