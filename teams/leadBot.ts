/**
 * The Teams bot, kept thin: check the tenant, know who is acting, hand each activity to its
 * handler (a card verb, a typed command, the message extension, an install), send what it returns.
 */
import { CardFactory, TeamsActivityHandler, type InvokeResponse, type TurnContext } from 'botbuilder';
import { resolveLocale, t } from '../cards';
import type { Product } from '../services/app/product';
import { StorageUnavailableError } from '../services/errors';
import type { Logger } from '../services/logger';
import { traced } from '../services/telemetry';
import { handleTextCommand } from './commands/textCommands';
import { conversationFrom, tenantOf } from './conversationRef';
import { submittedVerbSchema } from './activityParsers';
import { cardVerbs, errorResponse } from './invokes/cardActions';
import type { CardDeps } from './invokes/cardViews';
import type { Clicker } from './invokes/clicker';
import { extensionMessage, searchExtension, unfurlLink, type ExtensionResponse } from './invokes/messageExtension';
import { welcomeCard } from './invokes/welcomeVerbs';

/** Teams' invoke for an Action.Submit on a card a person inserted from the message extension. */
const CARD_BUTTON_CLICKED = 'composeExtension/onCardButtonClicked';

/** The message extension's invokes: a search, and a pasted link to unfurl. */
const EXTENSION_INVOKES: ReadonlyMap<string, typeof searchExtension> = new Map([
  ['composeExtension/query', searchExtension],
  ['composeExtension/queryLink', unfurlLink],
]);

export interface LeadBotOptions {
  product: Product;
  log: Logger;
  flameWindowHours: number;
  allowedTenantIds: string[];
}

export class LeadBot extends TeamsActivityHandler {
  /** What every turn's handlers share; whether anyone may change leads yet is asked per turn (turnDeps). */
  private readonly deps: Omit<CardDeps, 'adminsConfigured'>;

  constructor(private readonly options: LeadBotOptions) {
    super();
    const { product } = options;
    this.deps = { product, flameWindowHours: options.flameWindowHours, log: options.log };

    this.onMessage(async (context, next) => {
      // A button's Action.Submit fallback on a client without Universal Actions; else a typed command.
      const submitted = submittedVerbSchema.safeParse(context.activity.value);
      if (submitted.success) await this.submitted(context, submitted.data);
      else await handleTextCommand(context, await this.clicker(context), await this.turnDeps());
      await next();
    });
    // botbuilder routes an upgrade here too ('add-upgrade'): filed like an install, it changes no
    // subscription, and a conversation already welcomed is not welcomed again.
    this.onInstallationUpdateAdd(async (context, next) => {
      await this.installed(context);
      await next();
    });
    // And 'remove-upgrade' here (an upgrade that removed the bot): a removal too.
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
  protected override onInvokeActivity(context: TurnContext): Promise<InvokeResponse> {
    const verb = (context.activity.value as { action?: { verb?: unknown } } | undefined)?.action?.verb;
    return traced('teams.invoke', { 'teams.invoke': context.activity.name ?? '', ...(typeof verb === 'string' && { 'teams.verb': verb }) }, () => this.handleInvoke(context));
  }

  private async handleInvoke(context: TurnContext): Promise<InvokeResponse> {
    const extension = EXTENSION_INVOKES.get(context.activity.name ?? '');
    if (extension) return { status: 200, body: await this.extension(context, extension) };
    if (context.activity.name === CARD_BUTTON_CLICKED) {
      // An Action.Submit fallback on a card inserted from search or a link: the card is the person's, so the answer is a new message.
      const submitted = submittedVerbSchema.safeParse(context.activity.value);
      if (submitted.success) await this.submitted(context, submitted.data);
      return { status: 200, body: {} };
    }
    if (context.activity.name !== 'adaptiveCard/action') {
      // botbuilder answers invokes nobody handles with 501; for Teams that is our bad request, not an outage.
      const answer = await super.onInvokeActivity(context);
      return answer.status === 501 ? { status: 400, body: errorResponse(400, 'NotSupported', 'Partner Leads does not handle this request.') } : answer;
    }
    try {
      return { status: 200, body: await cardVerbs.handle(context.activity.value, await this.clicker(context), await this.turnDeps()) };
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

  /**
   * A click on an Action.Submit fallback: handled as the Action.Execute it stands in for, and
   * answered with a message (the card, or what went wrong), since a submit cannot replace its card.
   */
  private async submitted(context: TurnContext, value: { action: { type: 'Action.Execute'; verb: string; data: Record<string, unknown> } }): Promise<void> {
    let answer;
    const clicker = await this.clicker(context);
    try {
      answer = await cardVerbs.handle(value, clicker, await this.turnDeps());
    } catch (error) {
      this.options.log.error({ err: error, verb: value.action.verb }, 'card action (Action.Submit fallback) failed');
      answer = errorResponse(500, 'InternalError', 'Something went wrong. Please try again.');
    }
    // The answer is the clicker's own view (their ♥, an open form, "you need a role"): a card only in
    // their personal chat; where others would see it, a line saying it was done, or what went wrong.
    const said = answer.type === 'application/vnd.microsoft.activity.message' ? String(answer.value) : answer.type === 'application/vnd.microsoft.error' ? String((answer.value as { message?: unknown }).message ?? '') : undefined;
    const reply =
      answer.type === 'application/vnd.microsoft.card.adaptive' && clicker.where.scope === 'personal'
        ? { attachments: [CardFactory.adaptiveCard(answer.value as object)] }
        : { text: said || t(clicker.locale, 'fallback.done') };
    // The bot may not be in the chat a card was shared into: the change is made, only the answer is lost.
    await context.sendActivity(reply).catch((error: unknown) => this.options.log.info({ err: error, verb: value.action.verb }, 'could not answer an Action.Submit fallback in its conversation'));
  }

  /** A search or a pasted link; a failure is a message in the extension's pane, never an error. */
  private async extension(context: TurnContext, handler: typeof searchExtension): Promise<ExtensionResponse> {
    try {
      return await handler(context.activity.value, await this.clicker(context), await this.turnDeps());
    } catch (error) {
      const storage = error instanceof StorageUnavailableError;
      if (storage) this.options.log.warn({ err: error, invoke: context.activity.name }, 'message extension failed: storage unavailable');
      else this.options.log.error({ err: error, invoke: context.activity.name }, 'message extension failed');
      return extensionMessage(t(resolveLocale(context.activity.locale), storage ? 'search.unavailable' : 'search.failed'));
    }
  }

  /**
   * The app was added: the conversation is filed, and welcomed once (Teams announces an install
   * twice, installationUpdate and membersAdded). It gets no leads until a lead admin chooses so.
   */
  private async installed(context: TurnContext): Promise<void> {
    const conversation = conversationFrom(context.activity);
    if (!(await this.options.product.conversations.installed(conversation))) return;
    this.options.log.info({ scope: conversation.scope }, 'installed: welcomed (no new leads until a lead admin chooses)');
    const card = await welcomeCard(conversation, resolveLocale(context.activity.locale), await this.turnDeps());
    await context.sendActivity({ attachments: [CardFactory.adaptiveCard(card.content)] });
  }

  private async removed(context: TurnContext): Promise<void> {
    await this.options.product.conversations.removed(conversationFrom(context.activity));
  }

  /** What handlers may use this turn: whether anyone may change leads yet is asked now (an admin may have been granted since). */
  private async turnDeps(): Promise<CardDeps> {
    return { ...this.deps, adminsConfigured: await this.options.product.roles.adminsConfigured() };
  }

  private async clicker(context: TurnContext): Promise<Clicker> {
    const from = context.activity.from;
    const id = (from.aadObjectId ?? '').toLowerCase();
    const access = await this.options.product.roles.access(id || undefined);
    return {
      actor: { kind: 'user', id: id || `teams:${from.id}`, name: from.name ?? 'Someone', canManage: access.change, teamsUserId: from.id },
      access,
      teamsUserId: from.id,
      locale: resolveLocale(context.activity.locale),
      timeZone: context.activity.localTimezone ?? undefined,
      where: conversationFrom(context.activity),
    };
  }
}
