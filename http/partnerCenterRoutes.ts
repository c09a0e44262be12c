/**
 * Partner Center's side of the HTTP server: POST /api/partner-center/events (its webhook, signed
 * by Partner Center, verified before anything else is done with the request) and GET
 * /api/partner-center/status (the sync's health, with the leads API key).
 */
import restify, { type Next, type Request, type Response, type Server } from 'restify';
import type { Product } from '../services/app/product';
import type { Logger } from '../services/logger';
import { requireApiKey } from './apiAuth';
import { guardedHandler, sendError } from './httpErrors';

/** Partner Center's events are a few hundred bytes. */
const MAX_EVENT_BYTES = 16 * 1024;

export function mountPartnerCenter(server: Server, options: { product: Product; apiKey?: string; log: Logger }): void {
  const { product, log } = options;
  const guarded = guardedHandler(log);
  // Connection: close — the body of a refused request is not worth reading to keep the connection.
  const refuse = (res: Response, reason: string) => {
    log.warn({ reason }, 'Partner Center event refused: not signed by Partner Center');
    sendError(res, 401, 'unauthorized', 'The event must be signed by Partner Center', undefined, { Connection: 'close' });
  };

  /** Without the sync there is nothing to receive; without a signature nothing is read. */
  const signedOnSight = (req: Request, res: Response, next: Next) => {
    if (!product.partnerCenter) {
      sendError(res, 404, 'not_found', 'The Partner Center sync is off (see README, Partner Center)');
      return next(false);
    }
    const headers = req.headers;
    // A compressed body would be inflated before its signature is checked: Partner Center sends plain JSON.
    const encoding = String(headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (encoding !== 'identity') {
      sendError(res, 415, 'unsupported_media_type', 'Send the event uncompressed (no Content-Encoding)', undefined, { Connection: 'close' });
      return next(false);
    }
    if ((headers['x-ms-signature'] || headers.authorization) && headers['x-ms-certificate-url']) return next();
    refuse(res, 'no signature or certificate URL');
    return next(false);
  };

  server.post(
    '/api/partner-center/events',
    signedOnSight,
    restify.plugins.bodyReader({ maxBodySize: MAX_EVENT_BYTES }),
    guarded(async (req, res) => {
      const sync = product.partnerCenter!;
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.from(typeof req.body === 'string' ? req.body : '', 'utf8');
      const verdict = await sync.verify(req.headers, raw);
      if (!verdict.ok) return refuse(res, verdict.reason);
      let payload: unknown;
      try {
        payload = JSON.parse(raw.toString('utf8'));
      } catch (error) {
        return sendError(res, 400, 'malformed_json', `The body is not valid JSON: ${(error as Error).message}`);
      }
      const receipt = await sync.receiveEvent(payload);
      if (receipt.status === 'invalid') return sendError(res, 400, 'validation', 'The event is not one Partner Center sends', receipt.issues.map((message) => ({ path: message.split(':')[0] ?? '', message })));
      if (receipt.status === 'ignored') return void res.send(200, { status: 'ignored', reason: receipt.reason });
      // Stored durably before the answer; fetched and applied right after it.
      res.send(200, { status: 'accepted', referralId: receipt.referralId });
    }),
  );

  server.get(
    '/api/partner-center/status',
    requireApiKey(options.apiKey),
    guarded(async (_req, res) => {
      // With how the bot reaches people in Teams (the activity feed, installing the app): what an admin checks on day one.
      res.send(200, { ...(await product.syncStatus()), teams: product.teamsReach() });
    }),
  );
}
