/** The HTTP API: POST /api/leads (ingest), GET /api/leads/:id, /healthz, /readyz. */
import type { Request, Response, Server } from 'restify';
import { parseReferrals } from '../services/useCases/ingestReferrals';
import type { LeadsApp } from '../services/app/leadsApp';
import type { Logger } from '../services/logger';
import { getLeadWithHistory } from '../services/useCases/readLeads';
import { REFERRAL_ID_PATTERN } from '../services/leads/referral';
import { requireApiKey } from './apiAuth';
import { guardedHandler, jsonBody, sendError } from './httpErrors';

export const MAX_BODY_BYTES = 256 * 1024;

export interface LeadsApiOptions {
  app: LeadsApp;
  apiKey?: string;
  ready: () => Promise<void>;
  log: Logger;
}

export function mountLeadsApi(server: Server, options: LeadsApiOptions): void {
  const { app, log } = options;

  const requireKey = requireApiKey(options.apiKey);
  const guarded = guardedHandler(log);

  server.post(
    '/api/leads',
    requireKey,
    ...jsonBody(MAX_BODY_BYTES, 'a referral'),
    guarded(async (req, res) => {
      const parsed = parseReferrals(req.body);
      if (!parsed.ok) {
        return sendError(res, 400, 'validation', `The referral is invalid: ${parsed.issues.map((i) => i.path).join(', ')}`, parsed.issues);
      }
      const results = await app.ingest(parsed.referrals);
      const created = results.some((r) => !r.duplicate);
      if (!parsed.batch) {
        const only = results[0];
        return void res.send(only?.duplicate ? 200 : 201, only?.duplicate ? { id: only.id, duplicate: true } : { id: only?.id });
      }
      res.send(created ? 201 : 200, { results: results.map((r) => (r.duplicate ? { id: r.id, duplicate: true } : { id: r.id })) });
    }),
  );

  server.get(
    '/api/leads/:id',
    requireKey,
    guarded(async (req, res) => {
      const id = String(req.params.id ?? '');
      if (!REFERRAL_ID_PATTERN.test(id)) return sendError(res, 404, 'not_found', `No lead ${id}`);
      const found = await getLeadWithHistory(id, app.leads);
      if (!found) return sendError(res, 404, 'not_found', `No lead ${id}`);
      res.send(200, { ...found.lead, history: found.history });
    }),
  );

  server.get('/healthz', async (_req: Request, res: Response) => void res.send(200, { status: 'ok' }));
  server.get('/readyz', async (_req: Request, res: Response) => {
    try {
      await options.ready();
      res.send(200, { status: 'ready' });
    } catch {
      sendError(res, 503, 'storage_unavailable', 'Storage does not answer', undefined, { 'Retry-After': '5' });
    }
  });
}
