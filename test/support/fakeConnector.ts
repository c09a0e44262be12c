/**
 * A loopback fake of the Bot Connector API: records every post and update per conversation, and
 * can be told to answer the next requests with 429 (Retry-After), 500 or 403.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Sent {
  method: 'POST' | 'PUT';
  conversationId: string;
  activityId: string;
  activity: any;
  at: number;
}

export interface Failure {
  status: number;
  retryAfterSeconds?: number;
}

export class FakeConnector {
  readonly sent: Sent[] = [];
  private readonly failures: Failure[] = [];
  private server?: Server;
  private counter = 0;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  /** The next requests fail like this, in order. */
  failNext(...failures: Failure[]): void {
    this.failures.push(...failures);
  }

  posts(conversationId?: string): Sent[] {
    return this.sent.filter((s) => s.method === 'POST' && (!conversationId || s.conversationId === conversationId));
  }

  updates(conversationId?: string): Sent[] {
    return this.sent.filter((s) => s.method === 'PUT' && (!conversationId || s.conversationId === conversationId));
  }

  /** The latest content of each posted message, after updates: what people now see. */
  current(conversationId: string): Map<string, any> {
    const latest = new Map<string, any>();
    for (const s of this.sent) if (s.conversationId === conversationId) latest.set(s.activityId, s.activity);
    return latest;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await new Promise<string>((resolve) => {
      let data = '';
      req.on('data', (chunk) => (data += chunk));
      req.on('end', () => resolve(data));
    });
    const match = /^\/v3\/conversations\/([^/]+)\/activities(?:\/([^/?]+))?/.exec(req.url ?? '');
    if (!match || (req.method !== 'POST' && req.method !== 'PUT')) {
      res.writeHead(404);
      res.end();
      return;
    }
    const failure = this.failures.shift();
    if (failure) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (failure.retryAfterSeconds !== undefined) headers['retry-after'] = String(failure.retryAfterSeconds);
      res.writeHead(failure.status, headers);
      res.end(JSON.stringify({ error: { code: 'Fake', message: `fake ${failure.status}` } }));
      return;
    }
    const conversationId = decodeURIComponent(match[1] ?? '');
    const activityId = req.method === 'PUT' ? decodeURIComponent(match[2] ?? '') : `activity-${++this.counter}`;
    this.sent.push({ method: req.method, conversationId, activityId, activity: JSON.parse(body || '{}'), at: Date.now() });
    // restify patches ServerResponse.writeHead so that it no longer returns the response.
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: activityId }));
  }
}
