/** The restify server: the leads API, health checks and (when given) the Teams endpoint. */
import restify, { type Server } from 'restify';
import type { Logger } from '../services/logger';
import { mountLeadsApi, type LeadsApiOptions } from './leadsApi';

export interface ServerOptions extends LeadsApiOptions {
  /** Mounts POST /api/messages. */
  mountBot?: (server: Server) => void;
}

export function createServer(options: ServerOptions): Server {
  const server = restify.createServer({ name: 'partner-leads', handleUncaughtExceptions: false });
  // restify's own errors (413, 404, 405) in our one error shape.
  server.on('restifyError', (_req, _res, err, callback) => {
    const status: number = err.statusCode ?? 500;
    const code = status === 413 ? 'payload_too_large' : status === 404 ? 'not_found' : status === 405 ? 'method_not_allowed' : 'error';
    const message = status === 413 ? 'The body is larger than 256 KB' : err.message;
    err.toJSON = () => ({ error: { code, message } });
    return callback();
  });
  mountLeadsApi(server, options);
  options.mountBot?.(server);
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
