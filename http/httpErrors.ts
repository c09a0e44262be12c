/** HTTP answers and bodies: one JSON error shape for every answer (`{ error: { code, message, issues? } }`), one way to read a JSON body. */
import restify, { type Next, type Request, type RequestHandler, type Response } from 'restify';
import { StorageUnavailableError, type FieldIssue } from '../services/errors';
import type { Logger } from '../services/logger';

export function sendError(res: Response, status: number, code: string, message: string, issues?: FieldIssue[], headers: Record<string, string> = {}): void {
  for (const [name, value] of Object.entries(headers)) res.header(name, value);
  res.send(status, { error: { code, message, ...(issues ? { issues } : {}) } });
}

// JSON media types: application/json and application/<vendor>+json.
const JSON_TYPE = /^application\/(?:[a-z.]+\+)?json$/;

/**
 * Reads a JSON body the same way on every route: a body that does not say it is JSON is refused
 * with 415 before a byte is read, at most `maxBytes` are read (413 beyond), and an empty or
 * malformed body gets 400 `malformed_json`; the parsed value is left in `req.body`.
 */
export function jsonBody(maxBytes: number, expected: string): RequestHandler[] {
  const requireJson = (req: Request, res: Response, next: Next) => {
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    if (JSON_TYPE.test(type)) return next();
    sendError(res, 415, 'unsupported_media_type', 'Send the body as JSON with Content-Type: application/json');
    return next(false);
  };
  const parse = (req: Request, res: Response, next: Next) => {
    const raw = req.body === undefined ? '' : Buffer.isBuffer(req.body) ? req.body.toString('utf8') : String(req.body);
    if (!raw.trim()) {
      sendError(res, 400, 'malformed_json', `The body is empty: send ${expected} as JSON`);
      return next(false);
    }
    try {
      req.body = JSON.parse(raw);
    } catch (error) {
      sendError(res, 400, 'malformed_json', `The body is not valid JSON: ${(error as Error).message}`);
      return next(false);
    }
    return next();
  };
  return [requireJson, restify.plugins.bodyReader({ maxBodySize: maxBytes }), parse];
}

/** A route handler whose failures are answered in the one error shape: 503 with Retry-After when storage is down, else 500. */
export function guardedHandler(log: Logger) {
  return (handler: (req: Request, res: Response) => Promise<void>) => async (req: Request, res: Response) => {
    try {
      await handler(req, res);
    } catch (error) {
      if (error instanceof StorageUnavailableError) {
        log.warn({ err: error }, 'storage unavailable: answered 503');
        return sendError(res, 503, 'storage_unavailable', 'Storage is unavailable; try again shortly', undefined, { 'Retry-After': '5' });
      }
      log.error({ err: error }, 'request failed');
      return sendError(res, 500, 'internal', 'Something went wrong');
    }
  };
}
