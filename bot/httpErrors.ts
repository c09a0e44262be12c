/** One JSON error shape for every HTTP answer: `{ error: { code, message, issues? } }`. */
import type { Next, Request, Response } from 'restify';
import type { FieldIssue } from '../services/errors';

export function sendError(res: Response, status: number, code: string, message: string, issues?: FieldIssue[], headers: Record<string, string> = {}): void {
  for (const [name, value] of Object.entries(headers)) res.header(name, value);
  res.send(status, { error: { code, message, ...(issues ? { issues } : {}) } });
}

// What restify's JSON parser parses: application/json and application/<vendor>+json.
const JSON_TYPE = /^application\/(?:[a-z.]+\+)?json$/;

/** Refuses a body that does not say it is JSON with 415, before a byte of it is read. */
export function requireJsonBody(req: Request, res: Response, next: Next): void {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (JSON_TYPE.test(type)) return next();
  sendError(res, 415, 'unsupported_media_type', 'Send the body as JSON with Content-Type: application/json');
  return next(false);
}
