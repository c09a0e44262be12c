/**
 * A loopback fake of the Bot Connector API: records every post and update per conversation, and
 * can be told to answer the next requests with 429 (Retry-After), 500 or 403. It also lists a
 * conversation's members (`pagedmembers`, `members/{id}`), a team's channels (`teams/{id}/conversations`) and opens personal chats
 * (`POST /v3/conversations`), refusing (403) the users it is told the bot cannot reach.
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

/** A member as the Bot Connector returns them (TeamsChannelAccount). */
export interface FakeMember {
  id: string;
  aadObjectId: string;
  name: string;
  email?: string;
  userPrincipalName?: string;
}

export class FakeConnector {
  readonly sent: Sent[] = [];
  /** Members by conversation id (a channel's are its team's). */
  readonly members = new Map<string, FakeMember[]>();
  /** The channels of each team the bot is in, by team id (`name` absent for General); any other team answers 404. */
  readonly teamChannels = new Map<string, { id: string; name?: string }[]>();
  /** Teams user ids the bot may not start a chat with: POST /v3/conversations answers 403. */
  readonly unreachable = new Set<string>();
  /** Every create-conversation request's body. */
  readonly created: any[] = [];
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
    if (this.answerDirectory(req, res, body)) return;
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

  /** Members and new conversations, as the Bot Connector answers them; false for any other request. */
  private answerDirectory(req: IncomingMessage, res: ServerResponse, body: string): boolean {
    const url = new URL(req.url ?? '/', 'http://fake');
    const json = (status: number, value: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
      return true;
    };
    if (req.method === 'POST' && url.pathname === '/v3/conversations') {
      const request = JSON.parse(body || '{}');
      this.created.push(request);
      const user = request.members?.[0]?.id as string | undefined;
      if (!user || this.unreachable.has(user)) return json(403, { error: { code: 'Forbidden', message: 'The bot is not part of the conversation roster.' } });
      return json(201, { id: `a:personal-${user}` });
    }
    const paged = /^\/v3\/conversations\/([^/]+)\/pagedmembers$/.exec(url.pathname);
    if (req.method === 'GET' && paged) {
      const members = this.members.get(decodeURIComponent(paged[1] ?? '')) ?? [];
      const size = Number(url.searchParams.get('pageSize') ?? 200);
      return json(200, { members: members.slice(0, size) });
    }
    const team = /^\/v3\/teams\/([^/]+)\/conversations$/.exec(url.pathname);
    if (req.method === 'GET' && team) {
      const channels = this.teamChannels.get(decodeURIComponent(team[1] ?? ''));
      return channels ? json(200, { conversations: channels }) : json(404, { error: { code: 'NotFound', message: 'The bot is not part of this team.' } });
    }
    const one = /^\/v3\/conversations\/([^/]+)\/members\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && one) {
      const id = decodeURIComponent(one[2] ?? '').toLowerCase();
      const member = (this.members.get(decodeURIComponent(one[1] ?? '')) ?? []).find((m) => m.aadObjectId.toLowerCase() === id || m.id.toLowerCase() === id);
      return member ? json(200, member) : json(404, { error: { code: 'MemberNotFoundInConversation', message: 'The member was not found.' } });
    }
    return false;
  }
}
