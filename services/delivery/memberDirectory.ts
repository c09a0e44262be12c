/**
 * Who is in a conversation (and which channels a team has), for the people picker's static list (the fallback where Teams' own
 * organization search does not run) and to know whom a picked id names. Asked of Teams at most
 * once per conversation every few minutes, within the same rate limits as the sends (a busy
 * conversation's roster waits for a slot like a message would).
 */
import type { Logger } from '../logger';
import { conversationKey } from '../storage/conversationStore';
import type { SendSlots } from './sender/sendSlots';
import type { Member, Reachable, TeamChannel, TeamsGateway } from './teamsGateway';

/** How long a conversation's member list is reused. */
const FRESH_MS = 10 * 60_000;
/** Members offered on the static list (Teams' people search covers larger teams). */
export const MAX_LISTED_MEMBERS = 100;
const MAX_CACHED = 1_000;

export class MemberDirectory {
  private readonly lists = new Map<string, { at: number; members: Promise<Member[]> }>();

  constructor(
    private readonly gateway: () => TeamsGateway | undefined,
    private readonly log: Logger,
    /** The sender's rate limits, once Teams is connected. */
    private readonly slots: () => SendSlots | undefined = () => undefined,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Waits for a slot in the conversation's (and the bot's) rate limits; throws when none comes free. */
  private async slot(id: string): Promise<void> {
    const slots = this.slots();
    if (slots && !(await slots.take(conversationKey(id), this.clock))) throw new Error('Teams is busy: no request slot came free within its rate limits');
  }

  /** The conversation's members (the first MAX_LISTED_MEMBERS); none when Teams is not connected or will not say. */
  async list(conversationId: string, conversation: Reachable): Promise<Member[]> {
    const gateway = this.gateway();
    if (!gateway) return [];
    const cached = this.lists.get(conversationId);
    if (cached && this.clock() - cached.at < FRESH_MS) return cached.members;
    if (this.lists.size >= MAX_CACHED) this.lists.clear();
    const members = this.slot(conversationId).then(() => gateway.members(conversation, MAX_LISTED_MEMBERS));
    this.lists.set(conversationId, { at: this.clock(), members });
    return members.catch((error: unknown) => {
      this.lists.delete(conversationId);
      this.log.warn({ err: error }, "Teams did not list the conversation's members: the people picker offers only its search");
      return [];
    });
  }

  /**
   * One member by AAD object id (what Teams' people picker sends; a Teams user id is matched too, as
   * the Agents Playground's picker sends that): from the cached list if it is there, else asked of Teams.
   */
  async find(conversationId: string, conversation: Reachable, aadObjectId: string): Promise<Member | undefined> {
    const id = aadObjectId.toLowerCase();
    const listed = (await this.list(conversationId, conversation)).find((m) => m.aadObjectId === id || m.teamsUserId.toLowerCase() === id);
    if (listed) return listed;
    const gateway = this.gateway();
    const found = gateway && (await this.slot(conversationId).then(() => gateway.member(conversation, id)));
    if (!found) this.log.info({ person: id }, 'a person picked is not a member of the conversation');
    return found;
  }

  /** The channels of a team (for choosing where new leads go); none when Teams is not connected or will not say. */
  async channels(teamId: string, conversation: Reachable): Promise<TeamChannel[]> {
    const gateway = this.gateway();
    if (!gateway) return [];
    return this.slot(teamId).then(() => gateway.channels(conversation, teamId)).catch((error: unknown) => {
      this.log.warn({ err: error }, "Teams did not list the team's channels: only the channel the app was added in is offered");
      return [];
    });
  }
}
