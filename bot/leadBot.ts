/**
 * The Teams bot, kept thin: check the tenant, know who is acting, hand each activity to one
 * handler (card action, typed command, install/uninstall), send what it returns.
 */
import { CardFactory, TeamsActivityHandler, type InvokeResponse, type TurnContext } from 'botbuilder';
import { renderWelcomeCard, resolveLocale, t } from '../cards';
import { conversationKey } from '../services/storage/conversationStore';
import { StorageUnavailableError } from '../services/errors';
import type { LeadsApp } from '../services/app/leadsApp';
import type { Logger } from '../services/logger';
import { errorResponse, handleCardAction, type Clicker } from './cardActions';
import { conversationFrom, tenantOf } from './conversationRef';
import { handleTextCommand } from './textCommands';
import { extensionMessage, searchExtension, unfurlLink, type ExtensionResponse } from './messageExtension';

/** The message extension's invokes: a search, and a pasted link to unfurl. */
const EXTENSION_INVOKES: ReadonlyMap<string, typeof searchExtension> = new Map([
  ['composeExtension/query', searchExtension],
  ['composeExtension/queryLink', unfurlLink],
]);

export interface LeadBotOptions {
  app: LeadsApp;
  log: Logger;
  flameWindowHours: number;
  allowedTenantIds: string[];
}

export class LeadBot extends TeamsActivityHandler {
  constructor(private readonly options: LeadBotOptions) {
    super();

    this.onMessage(async (context, next) => {
      await handleTextCommand(context, await this.clicker(context), this.deps());
      await next();
    });

    this.onInstallationUpdateAdd(async (context, next) => {
      await this.installed(context);
      await next();
    });
    this.onInstallationUpdateRemove(async (context, next) => {
      await this.removed(context);
      await next();
    });
    this.onMembersAdded(async (context, next) => {
      const botAdded = context.activity.membersAdded?.some((m) => m.id === context.activity.recipient.id);
      if (botAdded) await this.installed(context);
      await next();
    });
    this.onMembersRemoved(async (context, next) => {
      const botRemoved = context.activity.membersRemoved?.some((m) => m.id === context.activity.recipient.id);
      if (botRemoved) await this.removed(context);
      await next();
    });
  }

  /** Refuses every activity from a tenant that is not allowed, before any handler runs. */
  override async run(context: TurnContext): Promise<void> {
    const allowed = this.options.allowedTenantIds;
    const tenant = tenantOf(context.activity)?.toLowerCase();
    if (allowed.length > 0 && (!tenant || !allowed.includes(tenant))) {
      this.options.log.warn({ tenant }, 'activity from a tenant that is not allowed: refused');
      if (context.activity.type === 'invoke') {
        const body = EXTENSION_INVOKES.has(context.activity.name ?? '')
          ? extensionMessage(t(resolveLocale(context.activity.locale), 'search.refused'))
          : errorResponse(400, 'Forbidden', 'This organization may not use this app.');
        await context.sendActivity({ type: 'invokeResponse', value: { status: 200, body } });
      }
      return;
    }
    await super.run(context);
  }

  /** Universal Actions and the message extension are answered here, always with HTTP 200 (Teams expects it). */
  protected override async onInvokeActivity(context: TurnContext): Promise<InvokeResponse> {
    const extension = EXTENSION_INVOKES.get(context.activity.name ?? '');
    if (extension) return { status: 200, body: await this.extension(context, extension) };
    if (context.activity.name !== 'adaptiveCard/action') {
      // botbuilder answers invokes nobody handles with 501; for Teams that is our bad request, not an outage.
      const answer = await super.onInvokeActivity(context);
      return answer.status === 501 ? { status: 400, body: errorResponse(400, 'NotSupported', 'Partner Leads does not handle this request.') } : answer;
    }
    try {
      const body = await handleCardAction(context.activity.value, await this.clicker(context), this.deps());
      return { status: 200, body };
    } catch (error) {
      // Storage down or a bug: Teams still gets its HTTP 200 with an error body, never a 5xx.
      const verb = (context.activity.value as { action?: { verb?: string } })?.action?.verb;
      const storage = error instanceof StorageUnavailableError;
      if (storage) this.options.log.warn({ err: error, verb }, 'card action failed: storage unavailable');
      else this.options.log.error({ err: error, verb }, 'card action failed');
      return {
        status: 200,
        body: errorResponse(500, storage ? 'ServiceUnavailable' : 'InternalError', storage ? 'Partner Leads cannot reach its storage right now. Please try again in a minute.' : 'Something went wrong. Please try again.'),
      };
    }
  }

  /** A search or a pasted link; a failure is a message in the extension's pane, never an error. */
  private async extension(context: TurnContext, handler: typeof searchExtension): Promise<ExtensionResponse> {
    try {
      return await handler(context.activity.value, await this.clicker(context), this.deps());
    } catch (error) {
      const storage = error instanceof StorageUnavailableError;
      if (storage) this.options.log.warn({ err: error, invoke: context.activity.name }, 'message extension failed: storage unavailable');
      else this.options.log.error({ err: error, invoke: context.activity.name }, 'message extension failed');
      return extensionMessage(t(resolveLocale(context.activity.locale), storage ? 'search.unavailable' : 'search.failed'));
    }
  }

  private async installed(context: TurnContext): Promise<void> {
    const conversation = conversationFrom(context.activity, true);
    await this.options.app.conversations.save(conversation);
    // Teams announces an install twice (installationUpdate and membersAdded): welcome once.
    if (!(await this.options.app.conversations.claimWelcome(conversationKey(conversation.conversationId)))) return;
    this.options.log.info({ scope: conversation.scope }, 'installed: conversation subscribed to new leads');
    const card = renderWelcomeCard({ locale: resolveLocale(context.activity.locale), adminsConfigured: this.options.app.roles.adminsConfigured });
    await context.sendActivity({ attachments: [CardFactory.adaptiveCard(card.content)] });
  }

  private async removed(context: TurnContext): Promise<void> {
    const key = conversationKey(conversationFrom(context.activity, false).conversationId);
    await this.options.app.conversations.markRemoved(key);
    await this.options.app.conversations.forgetWelcome(key);
  }

  private async clicker(context: TurnContext): Promise<Clicker> {
    const from = context.activity.from;
    const id = (from.aadObjectId ?? '').toLowerCase();
    const role = await this.options.app.roles.roleOf(id || undefined);
    return {
      actor: { kind: 'user', id: id || `teams:${from.id}`, name: from.name ?? 'Someone', canManage: Boolean(role), teamsUserId: from.id },
      role,
      teamsUserId: from.id,
      locale: resolveLocale(context.activity.locale),
      timeZone: context.activity.localTimezone ?? undefined,
      where: conversationFrom(context.activity, true),
    };
  }

  private deps() {
    return { app: this.options.app, flameWindowHours: this.options.flameWindowHours, adminsConfigured: this.options.app.roles.adminsConfigured };
  }
}
