/** Bearer-key check for the leads API: constant-time; without a key (dev only) loopback callers only. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Next, Request, Response } from 'restify';
import { sendError } from './httpErrors';

export type AuthVerdict = 'ok' | 'missing' | 'wrong' | 'not_loopback';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

export function createApiAuth(apiKey: string | undefined): (req: Request) => AuthVerdict {
  const expected = apiKey ? digest(apiKey) : undefined;
  return (req) => {
    if (!expected) return isLoopback(req.socket.remoteAddress) ? 'ok' : 'not_loopback';
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match?.[1]) return 'missing';
    // Comparing digests keeps the comparison constant-time whatever the lengths.
    return timingSafeEqual(digest(match[1].trim()), expected) ? 'ok' : 'wrong';
  };
}

function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1' || Boolean(address?.startsWith('127.'));
}

/** Middleware: the key is checked before anything else is looked at, so a caller without it learns nothing. */
export function requireApiKey(apiKey: string | undefined): (req: Request, res: Response, next: Next) => void {
  const authorize = createApiAuth(apiKey);
  return (req, res, next) => {
    const verdict = authorize(req);
    if (verdict === 'ok') return next();
    const message =
      verdict === 'not_loopback' ? 'LEADS_API_KEY is not set: only callers on this machine may use the API' : 'Send Authorization: Bearer <LEADS_API_KEY>';
    if (verdict !== 'not_loopback') res.header('WWW-Authenticate', 'Bearer');
    sendError(res, 401, 'unauthorized', message);
    return next(false);
  };
}
