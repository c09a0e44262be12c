/** Mounts POST /api/messages: the adapter, the bot, and the gateway the dispatcher sends through. */
import type { Activity } from 'botbuilder';
import type { Next, Request, Response, Server } from 'restify';
import type { Config } from '../services/app/config';
import type { LeadsApp } from '../services/app/leadsApp';
import type { Logger } from '../services/logger';
import { toFieldIssues } from '../services/errors';
import { activityEnvelopeSchema } from './activityParsers';
import { createAdapter } from './adapter';
import { BotGateway } from './botGateway';
import { jsonBody, sendError } from './httpErrors';
import { LeadBot } from './leadBot';

const MAX_ACTIVITY_BYTES = 1024 * 1024;

export function mountTeams(server: Server, options: { app: LeadsApp; config: Config; log: Logger }): void {
  const { app, config, log } = options;
  const adapter = createAdapter(config, log);
  const bot = new LeadBot({ app, log, flameWindowHours: config.FLAME_WINDOW_HOURS, allowedTenantIds: config.ALLOWED_TENANT_IDS });
  app.useGateway(
    new BotGateway(adapter, config.MicrosoftAppId ?? '', {
      now: app.now,
      flameWindowHours: config.FLAME_WINDOW_HOURS,
      responseDays: config.LEAD_RESPONSE_DAYS,
      partnerCenterSync: app.partnerCenter !== undefined,
    }),
  );
  // Connection: close — the body of a refused request is not worth reading to keep the connection.
  const unauthorized = (res: Response) =>
    sendError(res, 401, 'unauthorized', 'A valid Bot Framework token is required', undefined, { 'WWW-Authenticate': 'Bearer', Connection: 'close' });
  // The token first: a caller without one learns nothing about what the bot accepts, and no body is read.
  const tokenOnSight = (req: Request, res: Response, next: Next) => {
    if (!adapter.refusedOnSight(req.headers.authorization ?? '')) return next();
    unauthorized(res);
    return next(false);
  };
  server.post('/api/messages', tokenOnSight, ...jsonBody(MAX_ACTIVITY_BYTES, 'an activity'), async (req: Request, res: Response) => {
    const authHeader = req.headers.authorization ?? '';
    // botbuilder throws (a 500) on an activity without a type, and handlers assume a sender.
    const envelope = activityEnvelopeSchema.safeParse(req.body);
    if (!envelope.success) {
      return sendError(res, 400, 'invalid_activity', 'This is not an activity Partner Leads can handle', toFieldIssues(envelope.error.issues));
    }
    const activity = req.body as Activity;
    // The signature, issuer and service URL claim: botbuilder checks them against the activity.
    const verified = await adapter.verify(activity, authHeader);
    if (!verified) return unauthorized(res);
    try {
      const answer = await adapter.runVerified(verified, activity, (context) => bot.run(context));
      res.send(answer?.status ?? 200, answer?.body);
    } catch (error) {
      // Turn errors are handled in onTurnError; this is the adapter itself failing.
      log.error({ err: error, activityType: activity.type }, 'activity failed');
      sendError(res, 500, 'internal', 'Something went wrong');
    }
  });
}
