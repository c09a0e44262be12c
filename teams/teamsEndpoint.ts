/**
 * The Teams edge's one entry: an activity POSTed to /api/messages (the HTTP edge reads the body
 * and answers with what this returns). The adapter verifies the Bot Framework token, the bot
 * handles the activity, and the gateway the product sends through is connected here.
 */
import type { Activity } from 'botbuilder';
import type { Config } from '../services/app/config';
import type { Product } from '../services/app/product';
import { toFieldIssues, type FieldIssue } from '../services/errors';
import type { Logger } from '../services/logger';
import { activityEnvelopeSchema } from './activityParsers';
import { createAdapter } from './adapter';
import { BotGateway } from './botGateway';
import { LeadBot } from './leadBot';

const UNAUTHORIZED = { status: 401, error: { code: 'unauthorized', message: 'A valid Bot Framework token is required' } };

/** What an activity is answered with: an HTTP status and body, or an error in the HTTP edge's one error shape. */
type Answer = { status: number; body?: unknown; error?: { code: string; message: string; issues?: FieldIssue[] } };

export function createTeamsEndpoint(product: Product, config: Config, log: Logger) {
  const adapter = createAdapter(config, log);
  const bot = new LeadBot({ product, log, flameWindowHours: config.FLAME_WINDOW_HOURS, allowedTenantIds: config.ALLOWED_TENANT_IDS });
  product.connectTeams(
    new BotGateway(adapter, config.MicrosoftAppId ?? '', { now: product.now, flameWindowHours: config.FLAME_WINDOW_HOURS, responseDays: config.LEAD_RESPONSE_DAYS }),
  );
  return {
    /** In production, a request without a token (or with one refused on sight): refused before its body is read. */
    refusedOnSight: (authHeader: string): boolean => adapter.refusedOnSight(authHeader),
    /** One activity, as parsed JSON: what to answer. */
    async handle(body: unknown, authHeader: string): Promise<Answer> {
      // botbuilder throws (a 500) on an activity without a type, and handlers assume a sender.
      const envelope = activityEnvelopeSchema.safeParse(body);
      if (!envelope.success) {
        return { status: 400, error: { code: 'invalid_activity', message: 'This is not an activity Partner Leads can handle', issues: toFieldIssues(envelope.error.issues) } };
      }
      const activity = body as Activity;
      // The signature, issuer and service URL claim: botbuilder checks them against the activity.
      const verified = await adapter.verify(activity, authHeader);
      if (!verified) return UNAUTHORIZED;
      try {
        const answer = await adapter.runVerified(verified, activity, (context) => bot.run(context));
        return { status: answer?.status ?? 200, body: answer?.body };
      } catch (error) {
        // Turn errors are handled in onTurnError; this is the adapter itself failing.
        log.error({ err: error, activityType: activity.type }, 'activity failed');
        return { status: 500, error: { code: 'internal', message: 'Something went wrong' } };
      }
    },
  };
}
