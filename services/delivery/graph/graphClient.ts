/**
 * Microsoft Graph, as the bot itself (its app id and client secret, or its managed identity): the
 * few calls that reach people where a chat message cannot — a notification in their activity feed,
 * and installing the app for them. A token is asked for once and reused until shortly before it
 * expires. A refusal is a GraphError with Graph's status, code and words.
 */
import { count } from '../../telemetry';
import { postTokenRequest, refusalDescription, tokenEndpoint } from '../../identityProvider';
import { parseJson } from '../../json';
import type { TokenCredential } from '@azure/identity';
import { retryAfterMs } from '../../retryAfter';

export type GraphCredentials =
  /** The bot's app registration: the client-credentials grant at {authorityHost}/{tenantId}/oauth2/v2.0/token. */
  | { kind: 'secret'; authorityHost: string; tenantId: string; clientId: string; clientSecret: string }
  /** The bot's managed identity (UserAssignedMSI). */
  | { kind: 'managedIdentity'; credential: TokenCredential };

export class GraphError extends Error {
  constructor(
    readonly status: number | undefined,
    message: string,
    readonly code?: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'GraphError';
  }
}

const SCOPE = 'https://graph.microsoft.com/.default';
/** Graph's limit for activity notifications is 5 a second per app and tenant: one every 250 ms at most. */
const MIN_INTERVAL_MS = 250;
/** A request whose turn is further away than this is not waited for: the caller tries it later. */
const MAX_WAIT_MS = 1_000;
/** Asked for again this long before the token expires. */
const EARLY_MS = 5 * 60_000;
const TIMEOUT_MS = 10_000;

export class GraphClient {
  private cached?: { token: string; expiresAt: number };
  private inflight?: Promise<string>;
  /** When the next request may leave (requests are spaced, and all wait after a 429). */
  private nextAt = 0;

  constructor(
    private readonly graphUrl: string,
    private readonly credentials: GraphCredentials,
    /** The product's clock, for spacing requests and honouring Retry-After. */
    private readonly clock: () => number = Date.now,
  ) {}

  /** The URL of a Graph resource (`/v1.0/…`). */
  url(path: string): string {
    return `${this.graphUrl}${path}`;
  }

  async request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    await this.turn();
    const token = await this.token();
    let res: Response;
    try {
      res = await fetch(this.url(path), {
        method,
        headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        redirect: 'error',
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      throw new GraphError(undefined, `Microsoft Graph did not answer (${(error as Error).message})`);
    }
    const text = await res.text();
    const parsed = parseJson(text);
    if (res.ok) return { status: res.status, body: parsed };
    if (res.status === 401) this.cached = undefined;
    const retryAfter = retryAfterMs(res.headers.get('retry-after'));
    if (res.status === 429) {
      count.throttled('graph');
      // Every request waits as long as Graph asked, not only this one.
      this.nextAt = Math.max(this.nextAt, this.clock() + (retryAfter ?? 5_000));
    }
    const error = (parsed as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    const code = typeof error?.code === 'string' ? error.code : undefined;
    const said = typeof error?.message === 'string' ? error.message : text.slice(0, 300);
    throw new GraphError(res.status, `Microsoft Graph answered ${res.status}${code ? ` ${code}` : ''}${said ? `: ${said.slice(0, 500)}` : ''}`, code, retryAfter);
  }

  /** This request's turn: spaced MIN_INTERVAL_MS apart; a 429 (as if Graph said so) when it is more than a second away. */
  private async turn(): Promise<void> {
    const now = this.clock();
    const wait = this.nextAt - now;
    if (wait > MAX_WAIT_MS) throw new GraphError(429, 'Microsoft Graph asked to wait (429): the request is tried again later', 'TooManyRequests', wait);
    this.nextAt = Math.max(now, this.nextAt) + MIN_INTERVAL_MS;
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }

  private token(): Promise<string> {
    if (this.cached && this.cached.expiresAt - EARLY_MS > Date.now()) return Promise.resolve(this.cached.token);
    this.inflight ??= this.fetchToken().finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  private async fetchToken(): Promise<string> {
    const { credentials } = this;
    if (credentials.kind === 'managedIdentity') {
      const token = await credentials.credential.getToken(SCOPE).catch((error: unknown) => {
        throw new GraphError(undefined, `the managed identity gave no token for Microsoft Graph (${(error as Error).message})`);
      });
      if (!token) throw new GraphError(undefined, 'the managed identity gave no token for Microsoft Graph');
      this.cached = { token: token.token, expiresAt: token.expiresOnTimestamp };
      return token.token;
    }
    const { status, body } = await postTokenRequest(tokenEndpoint(credentials), {
      grant_type: 'client_credentials',
      client_id: credentials.clientId,
      client_secret: credentials.clientSecret,
      scope: SCOPE,
    }).catch((error: unknown) => {
      throw new GraphError(undefined, `the identity provider did not answer (${(error as Error).message})`);
    });
    if (status >= 400 || !body.access_token) {
      const said = refusalDescription(body);
      throw new GraphError(status, `the identity provider refused the bot a token for Microsoft Graph (${body.error ?? status}${said ? `: ${said}` : ''})`, body.error);
    }
    this.cached = { token: body.access_token, expiresAt: Date.now() + Number(body.expires_in ?? 3600) * 1000 };
    return body.access_token;
  }
}
