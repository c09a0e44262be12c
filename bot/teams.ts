/** Mounts POST /api/messages: the adapter, the bot, and the gateway the dispatcher sends through. */
import restify, { type Request, type Response, type Server } from 'restify';
import type { Config } from '../services/config';
import type { LeadsApp } from '../services/leadsApp';
import type { Logger } from '../services/logger';
import { createAdapter } from './adapter';
import { BotGateway } from './botGateway';
import { LeadBot } from './leadBot';

export function mountTeams(server: Server, options: { app: LeadsApp; config: Config; log: Logger }): void {
  const { app, config, log } = options;
  const adapter = createAdapter(config, log);
  const bot = new LeadBot({ app, log, flameWindowHours: config.FLAME_WINDOW_HOURS, allowedTenantIds: config.ALLOWED_TENANT_IDS });
  app.useGateway(
    new BotGateway(adapter, config.MicrosoftAppId ?? '', { now: app.now, flameWindowHours: config.FLAME_WINDOW_HOURS, responseDays: config.LEAD_RESPONSE_DAYS }),
  );
  server.post('/api/messages', restify.plugins.bodyParser({ maxBodySize: 1024 * 1024 }), async (req: Request, res: Response) => {
    await adapter.process(req, res, (context) => bot.run(context));
  });
}
