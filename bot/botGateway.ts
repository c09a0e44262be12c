/**
 * Proactive sending through CloudAdapter.continueConversationAsync, awaited, with the Bot
 * Connector's HTTP status turned into a SendFailure the dispatcher understands.
 */
import type { CloudAdapter, ConversationReference, TurnContext } from 'botbuilder';
import type { Conversation } from '../services/storage/conversationStore';
import { SendFailure, type OutboundMessage, type TeamsGateway } from '../services/delivery/teamsGateway';
import { retryAfterMs } from '../services/retryAfter';
import { outboundActivity, type RenderSettings } from './outboundActivity';

export class BotGateway implements TeamsGateway {
  constructor(
    private readonly adapter: CloudAdapter,
    private readonly appId: string,
    private readonly settings: RenderSettings,
  ) {}

  async post(conversation: Conversation, message: OutboundMessage): Promise<string> {
    const activity = outboundActivity(message, conversation, this.settings);
    let id = '';
    await this.continue(conversation, async (context) => {
      const sent = await context.sendActivity(activity);
      id = sent?.id ?? '';
    });
    return id;
  }

  async update(conversation: Conversation, activityId: string, message: OutboundMessage): Promise<void> {
    const activity = outboundActivity(message, conversation, this.settings);
    await this.continue(conversation, async (context) => {
      await context.updateActivity({ ...activity, id: activityId });
    });
  }

  private async continue(conversation: Conversation, logic: (context: TurnContext) => Promise<void>): Promise<void> {
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
    if (failed !== undefined) throw toSendFailure(failed);
  }
}

function toSendFailure(error: unknown): SendFailure {
  const e = error as { statusCode?: number; response?: { status?: number; headers?: { get?(name: string): string | undefined } }; message?: string; code?: string };
  const status = e.statusCode ?? e.response?.status;
  const retryAfter = e.response?.headers?.get?.('retry-after');
  return new SendFailure(status, `${status ?? e.code ?? 'network'}: ${e.message ?? String(error)}`.slice(0, 300), retryAfterMs(retryAfter ?? undefined));
}
