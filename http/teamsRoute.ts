/** POST /api/messages: the body read and bounded here, the activity handled by the Teams edge. */
import type { Next, Request, Response, Server } from 'restify';
import type { FieldIssue } from '../services/errors';
import { jsonBody, sendError } from './httpErrors';

/** What the Teams edge answers for an activity: a status and body, or an error in the one error shape. */
export interface TeamsAnswer {
  status: number;
  body?: unknown;
  error?: { code: string; message: string; issues?: FieldIssue[] };
}

/** The Teams edge, as the HTTP edge sees it. */
export interface TeamsEndpoint {
  /** In production, a request without a token (or with one refused on sight): refused before its body is read. */
  refusedOnSight(authHeader: string): boolean;
  /** One activity, as parsed JSON: what to answer. */
  handle(body: unknown, authHeader: string): Promise<TeamsAnswer>;
}

const MAX_ACTIVITY_BYTES = 1024 * 1024;

export function mountTeams(server: Server, teams: TeamsEndpoint): void {
  // Connection: close — the body of a refused request is not worth reading to keep the connection.
  const unauthorized = (res: Response) =>
    sendError(res, 401, 'unauthorized', 'A valid Bot Framework token is required', undefined, { 'WWW-Authenticate': 'Bearer', Connection: 'close' });
  // The token first: a caller without one learns nothing about what the bot accepts, and no body is read.
  const tokenOnSight = (req: Request, res: Response, next: Next) => {
    if (!teams.refusedOnSight(req.headers.authorization ?? '')) return next();
    unauthorized(res);
    return next(false);
  };
  server.post('/api/messages', tokenOnSight, ...jsonBody(MAX_ACTIVITY_BYTES, 'an activity'), async (req: Request, res: Response) => {
    const answer = await teams.handle(req.body, req.headers.authorization ?? '');
    if (!answer.error) return void res.send(answer.status, answer.body);
    if (answer.status === 401) return unauthorized(res);
    sendError(res, answer.status, answer.error.code, answer.error.message, answer.error.issues);
  });
}
