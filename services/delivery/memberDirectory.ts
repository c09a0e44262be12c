/**
 * Who is in a conversation (and which channels a team has), for the people picker's static list (the fallback where Teams' own
 * organization search does not run) and to know whom a picked id names. Asked of Teams at most
 * once per conversation every few minutes.
 */
import type { Logger } from '../logger';
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
    private readonly clock: () => number = Date.now,
  ) {}

  /** The conversation's members (the first MAX_LISTED_MEMBERS); none when Teams is not connected or will not say. */
  async list(conversationId: string, conversation: Reachable): Promise<Member[]> {
    const gateway = this.gateway();
    if (!gateway) return [];
    const cached = this.lists.get(conversationId);
    if (cached && this.clock() - cached.at < FRESH_MS) return cached.members;
    if (this.lists.size >= MAX_CACHED) this.lists.clear();
    const members = gateway.members(conversation, MAX_LISTED_MEMBERS);
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
    const found = await this.gateway()?.member(conversation, id);
    if (!found) this.log.info({ person: id }, 'a person picked is not a member of the conversation');
    return found;
  }

  /** The channels of a team (for choosing where new leads go); none when Teams is not connected or will not say. */
  async channels(teamId: string, conversation: Reachable): Promise<TeamChannel[]> {
    const gateway = this.gateway();
    if (!gateway) return [];
    return gateway.channels(conversation, teamId).catch((error: unknown) => {
      this.log.warn({ err: error }, "Teams did not list the team's channels: only the channel the app was added in is offered");
      return [];
    });
  }
}
