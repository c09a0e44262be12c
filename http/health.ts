/**
 * GET /healthz (the process answers) and GET /readyz (storage answers too; with who holds the
 * sending, scheduling and Partner Center leases): App Service's health check asks /readyz.
 */
import type { Request, Response, Server } from 'restify';
import type { Product } from '../services/app/product';
import { sendError } from './httpErrors';

export function mountHealth(server: Server, product: Pick<Product, 'ready'>): void {
  server.get('/healthz', async (_req: Request, res: Response) => void res.send(200, { status: 'ok' }));
  server.get('/readyz', async (_req: Request, res: Response) => {
    try {
      res.send(200, { status: 'ready', ...(await product.ready()) });
    } catch {
      sendError(res, 503, 'storage_unavailable', 'Storage does not answer', undefined, { 'Retry-After': '5' });
    }
  });
}
