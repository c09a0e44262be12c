/**
 * Proactive sending through CloudAdapter.continueConversationAsync, awaited, with the Bot
 * Connector's HTTP status turned into a SendFailure the sender understands.
 */
import { TeamsInfo, type CloudAdapter, type ConversationParameters, type ConversationReference, type TeamsChannelAccount, type TurnContext } from 'botbuilder';
import type { Conversation } from '../services/useCases/conversations';
import { SendFailure, type Member, type OutboundMessage, type PersonalChat, type Reachable, type TeamChannel, type TeamsGateway } from '../services/delivery/teamsGateway';
import { retryAfterMs } from '../services/retryAfter';
import { count, traced } from '../services/telemetry';
import { outboundActivity, previewText, type RenderSettings } from './outboundActivity';

export class BotGateway implements TeamsGateway {
  constructor(
    private readonly adapter: CloudAdapter,
    private readonly appId: string,
    private readonly settings: RenderSettings,
  ) {}

  post(conversation: Conversation, message: OutboundMessage): Promise<string> {
    return traced('teams.send', { 'teams.message': message.kind, 'teams.operation': 'post', 'teams.scope': conversation.scope }, async () => {
      const activity = outboundActivity(message, conversation, this.settings);
      let id = '';
      await this.continue(conversation, async (context) => {
        const sent = await context.sendActivity(activity);
        id = sent?.id ?? '';
      });
      count.cardSent(message.kind, 'post');
      return id;
    });
  }

  preview(message: OutboundMessage, locale?: string): string {
    return previewText(message, locale);
  }

  update(conversation: Conversation, activityId: string, message: OutboundMessage): Promise<void> {
    return traced('teams.send', { 'teams.message': message.kind, 'teams.operation': 'update', 'teams.scope': conversation.scope }, async () => {
      const activity = outboundActivity(message, conversation, this.settings);
      await this.continue(conversation, async (context) => {
        await context.updateActivity({ ...activity, id: activityId });
      });
      count.cardSent(message.kind, 'update');
    });
  }

  async openPersonalChat(via: Reachable, user: { teamsUserId: string; aadObjectId: string }): Promise<PersonalChat> {
    const reference = via.reference as ConversationReference;
    const tenantId = via.tenantId ?? reference.conversation.tenantId;
    const parameters = {
      isGroup: false,
      bot: reference.bot,
      members: [{ id: user.teamsUserId, name: '' }],
      tenantId,
      channelData: { tenant: { id: tenantId } },
    } as ConversationParameters;
    let conversationId = '';
    try {
      // No audience: the connector then asks for the Bot Framework's own scope (typed as a string, read as `?? default`).
      const audience = undefined as unknown as string;
      await this.adapter.createConversationAsync(this.appId, 'msteams', reference.serviceUrl, audience, parameters, async (context) => {
        conversationId = context.activity.conversation.id;
      });
    } catch (error) {
      throw toSendFailure(error);
    }
    const personal: Partial<ConversationReference> = {
      channelId: 'msteams',
      serviceUrl: reference.serviceUrl,
      bot: reference.bot,
      user: { id: user.teamsUserId, name: '', aadObjectId: user.aadObjectId },
      conversation: { id: conversationId, conversationType: 'personal', isGroup: false, tenantId, name: '' },
    };
    return { conversationId, tenantId, reference: personal };
  }

  async members(conversation: Reachable, max: number): Promise<Member[]> {
    let members: Member[] = [];
    await this.continue(conversation, async (context) => {
      const page = await TeamsInfo.getPagedMembers(context, Math.min(max, 500));
      members = page.members.map(toMember).filter((m): m is Member => m !== undefined);
    });
    return members.slice(0, max);
  }

  async member(conversation: Reachable, aadObjectId: string): Promise<Member | undefined> {
    let found: Member | undefined;
    try {
      await this.continue(conversation, async (context) => {
        found = toMember(await TeamsInfo.getMember(context, aadObjectId));
      });
    } catch (error) {
      // Not a member of this conversation.
      if (error instanceof SendFailure && error.status === 404) return undefined;
      throw error;
    }
    return found;
  }

  async channels(conversation: Reachable, teamId: string): Promise<TeamChannel[]> {
    let channels: TeamChannel[] = [];
    await this.continue(conversation, async (context) => {
      channels = (await TeamsInfo.getTeamChannels(context, teamId)).flatMap((c) => (c.id ? [{ id: c.id, name: c.name || undefined }] : []));
    });
    return channels;
  }

  private async continue(conversation: Reachable, logic: (context: TurnContext) => Promise<void>): Promise<void> {
    // The adapter hands errors inside the turn to onTurnError, which logs and swallows them:
    // catch them here so the outbox learns of every failed send.
    let failed: unknown;
    try {
      // The adapter's proactive connector clients have no retry step of their own (adapter.ts).
      await this.adapter.continueConversationAsync(this.appId, conversation.reference as ConversationReference, async (context) => {
        try {
          await logic(context);
        } catch (error) {
          failed = error;
        }
      });
    } catch (error) {
      failed ??= error;
    }
    if (failed === undefined) return;
    const failure = toSendFailure(failed);
    if (failure.status === 429) count.throttled('teams');
    throw failure;
  }
}

function toMember(account: TeamsChannelAccount): Member | undefined {
  if (!account.aadObjectId || !account.id) return undefined;
  return { aadObjectId: account.aadObjectId.toLowerCase(), teamsUserId: account.id, name: account.name || account.userPrincipalName || account.id, email: account.email ?? undefined };
}

function toSendFailure(error: unknown): SendFailure {
  const e = error as { statusCode?: number; response?: { status?: number; headers?: { get?(name: string): string | undefined } }; message?: string; code?: string };
  const status = e.statusCode ?? e.response?.status;
  const retryAfter = e.response?.headers?.get?.('retry-after');
  return new SendFailure(status, `${status ?? e.code ?? 'network'}: ${e.message ?? String(error)}`.slice(0, 300), retryAfterMs(retryAfter ?? undefined));
}
