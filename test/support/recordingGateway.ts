/** A recording TeamsGateway: what services/ asked to send, when (by the test clock), and where. */
import type { Conversation } from '../../services/storage/conversationStore';
import { SendFailure, type Member, type OutboundMessage, type PersonalChat, type Reachable, type TeamChannel, type TeamsGateway } from '../../services/delivery/teamsGateway';

export interface Recorded {
  op: 'post' | 'update';
  conversationId: string;
  activityId: string;
  message: OutboundMessage;
  at: number;
}

/**
 * Plays Teams for services/: records posts and updates; knows the members of conversations the
 * test names (by the conversation id in their reference, or every conversation under '*'); opens
 * personal chats for members, and refuses (403) people the test says Teams will not reach.
 */
export class RecordingGateway implements TeamsGateway {
  readonly sent: Recorded[] = [];
  /** Personal chats opened, by Teams user id (Teams answers the same chat each time). */
  readonly opened: string[] = [];
  readonly memberLists = new Map<string, Member[]>();
  readonly unreachable = new Set<string>();
  /** The channels of each team, by team id. */
  readonly teamChannels = new Map<string, TeamChannel[]>();
  private readonly failures: SendFailure[] = [];
  private counter = 0;

  constructor(private readonly now: () => Date) {}

  failNext(...failures: SendFailure[]): void {
    this.failures.push(...failures);
  }

  async post(conversation: Conversation, message: OutboundMessage): Promise<string> {
    this.maybeFail();
    const activityId = `a${++this.counter}`;
    this.sent.push({ op: 'post', conversationId: conversation.conversationId, activityId, message, at: this.now().getTime() });
    return activityId;
  }

  preview(message: OutboundMessage, locale?: string): string {
    return `${locale ?? 'en'}: ${message.kind}${'lead' in message ? ` of ${message.lead.name}` : ''}`;
  }

  async update(conversation: Conversation, activityId: string, message: OutboundMessage): Promise<void> {
    this.maybeFail();
    this.sent.push({ op: 'update', conversationId: conversation.conversationId, activityId, message, at: this.now().getTime() });
  }

  async openPersonalChat(_via: Reachable, user: { teamsUserId: string; aadObjectId: string }): Promise<PersonalChat> {
    if (this.unreachable.has(user.teamsUserId)) throw new SendFailure(403, '403: the bot cannot start a chat with this user');
    this.opened.push(user.teamsUserId);
    const conversationId = `a:personal-${user.teamsUserId}`;
    return { conversationId, reference: { conversation: { id: conversationId } } };
  }

  async members(conversation: Reachable, max: number): Promise<Member[]> {
    const id = (conversation.reference as { conversation?: { id?: string } } | undefined)?.conversation?.id ?? '';
    return (this.memberLists.get(id) ?? this.memberLists.get('*') ?? []).slice(0, max);
  }

  async member(conversation: Reachable, aadObjectId: string): Promise<Member | undefined> {
    return (await this.members(conversation, 1000)).find((m) => m.aadObjectId === aadObjectId.toLowerCase());
  }

  async channels(_conversation: Reachable, teamId: string): Promise<TeamChannel[]> {
    const channels = this.teamChannels.get(teamId);
    if (!channels) throw new SendFailure(404, '404: not a team the bot is in');
    return channels;
  }

  of(kind: OutboundMessage['kind'], op?: 'post' | 'update'): Recorded[] {
    return this.sent.filter((s) => s.message.kind === kind && (!op || s.op === op));
  }

  private maybeFail(): void {
    const failure = this.failures.shift();
    if (failure) throw failure;
  }
}
