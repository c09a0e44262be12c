/** The HTTP edge: the restify server with the leads API, health, Partner Center's webhook and (when given) the Teams endpoint. */
import restify, { type Server } from 'restify';
import type { Product } from '../services/app/product';
import type { Logger } from '../services/logger';
import { mountHealth } from './health';
import { sendError } from './httpErrors';
import { mountLeadsApi } from './leadsApi';
import { mountPartnerCenter } from './partnerCenterRoutes';
import { mountTeams, type TeamsEndpoint } from './teamsRoute';

/** The server, as start-up holds it to stop it. */
export type HttpServer = Server;

export interface ServerOptions {
  product: Product;
  /** The leads API's bearer key (required in production). */
  apiKey?: string;
  log: Logger;
  /** The Teams edge: POST /api/messages. */
  teams?: TeamsEndpoint;
  /** True once a stop began: new requests are turned away (503) so in-flight ones can finish. */
  stopping?: () => boolean;
}

const RESTIFY_ERROR_CODES: Record<number, string> = {
  400: 'bad_request',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
};

export function createServer(options: ServerOptions): Server {
  const server = restify.createServer({ name: 'partner-leads', handleUncaughtExceptions: false });
  // restify's own errors (invalid JSON, 413, 404, 405) in our one error shape.
  server.on('restifyError', (_req, _res, err, callback) => {
    const status: number = err.statusCode ?? 500;
    const code = RESTIFY_ERROR_CODES[status] ?? 'error';
    const message = status === 413 ? 'The body is too large' : err.message;
    err.toJSON = () => ({ error: { code, message } });
    return callback();
  });
  // Keep-alive connections would otherwise carry new requests into a stopping server forever.
  server.pre((_req, res, next) => {
    if (!options.stopping?.()) return next();
    sendError(res, 503, 'shutting_down', 'The service is restarting; try again shortly', undefined, { Connection: 'close', 'Retry-After': '5' });
    return next(false);
  });
  mountLeadsApi(server, options);
  mountHealth(server, options.product);
  mountPartnerCenter(server, options);
  if (options.teams) mountTeams(server, options.teams);
  return server;
}

/** Development (no authentication on /api/messages) listens on this machine only. */
export function listen(server: Server, port: number, log: Logger, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address();
      log.info({ host, port: address.port }, 'listening');
      resolve(address.port);
    });
  });
}
