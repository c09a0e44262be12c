/** The leads API: POST /api/leads (referrals in) and GET /api/leads/:id (a lead with its history). */
import type { Server } from 'restify';
import type { Product } from '../services/app/product';
import { LEAD_ID_PATTERN } from '../services/leads/lead';
import type { Logger } from '../services/logger';
import { requireApiKey } from './apiAuth';
import { guardedHandler, jsonBody, sendError } from './httpErrors';

export const MAX_BODY_BYTES = 256 * 1024;

export function mountLeadsApi(server: Server, options: { product: Product; apiKey?: string; log: Logger }): void {
  const { product, log } = options;
  const requireKey = requireApiKey(options.apiKey);
  const guarded = guardedHandler(log);

  server.post(
    '/api/leads',
    requireKey,
    ...jsonBody(MAX_BODY_BYTES, 'a referral'),
    guarded(async (req, res) => {
      const parsed = product.referrals.parse(req.body);
      if (!parsed.ok) {
        return sendError(res, 400, 'validation', `The referral is invalid: ${parsed.issues.map((i) => i.path).join(', ')}`, parsed.issues);
      }
      const results = await product.referrals.ingest(parsed.referrals);
      const created = results.some((r) => !r.duplicate);
      // Values that did not fit are kept as given (shown on the card): the caller hears which.
      const asGiven = new Map(parsed.referrals.map((r) => [r.referral.id, r.asGiven ?? []]));
      const answer = (r: (typeof results)[number]) => {
        const kept = asGiven.get(r.id) ?? [];
        return { id: r.id, ...(r.duplicate && { duplicate: true }), ...(!r.duplicate && kept.length > 0 && { asGiven: kept }) };
      };
      if (!parsed.batch) {
        const only = results[0];
        return void res.send(only?.duplicate ? 200 : 201, only ? answer(only) : {});
      }
      res.send(created ? 201 : 200, { results: results.map(answer) });
    }),
  );

  server.get(
    '/api/leads/:id',
    requireKey,
    guarded(async (req, res) => {
      const id = String(req.params.id ?? '');
      if (!LEAD_ID_PATTERN.test(id)) return sendError(res, 404, 'not_found', `No lead ${id}`);
      const found = await product.leads.described(id);
      if (!found) return sendError(res, 404, 'not_found', `No lead ${id}`);
      res.send(200, found);
    }),
  );
}
