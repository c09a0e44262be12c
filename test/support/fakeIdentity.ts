/**
 * A loopback fake of the Microsoft identity platform's v2.0 endpoints the Partner Center sync uses,
 * behaving as Entra ID does where it matters:
 * - `POST /{tenant}/oauth2/v2.0/token`, refresh-token grant: each redemption issues a new refresh
 *   token (the old one stays valid unless revoked); `invalid_grant` for an unknown or revoked one;
 *   a token issued to a public client may not be redeemed with a secret (AADSTS700025), a
 *   confidential one only with the right secret (AADSTS7000218, AADSTS7000215).
 * - `POST /{tenant}/oauth2/v2.0/devicecode` and the device-code grant, approved after a few polls.
 * - The client-credentials grant for apps registered with `registerApp` (the bot, for Microsoft
 *   Graph): only in the app's own tenant, only with its secret (AADSTS7000215), only for a
 *   `/.default` scope (AADSTS1002012); the token's audience is the scope's resource.
 * Serves https with the test PKI's certificate (trusted through NODE_EXTRA_CA_CERTS), or plain http
 * for the playground. Never logs a token.
 */
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface IdentityRequest {
  path: string;
  grantType?: string;
  withSecret: boolean;
  scope?: string;
  /** The refresh token presented (refresh_token grants). */
  refreshToken?: string;
  at: number;
}

interface RefreshTokenState {
  clientType: 'confidential' | 'public';
  user: string;
  revoked: boolean;
}

interface DeviceCode {
  polls: number;
  approveAfter: number;
  user: string;
  denied?: boolean;
}

export interface IdentityFailure {
  status: number;
  error?: string;
  description?: string;
}

const token = (prefix: string) => `${prefix}.${randomBytes(24).toString('base64url')}`;

export class FakeIdentity {
  readonly clientId = '6f5a3c1e-0000-4000-8000-0000000000c1';
  readonly clientSecret = 'fake-client-secret-000000000000';
  readonly tenant = 'contoso-partner.onmicrosoft.com';
  readonly requests: IdentityRequest[] = [];
  /**
   * How the app registration treats a device-code sign-in: as the confidential client (the secret
   * is required, AADSTS7000218 without it) or, with "Allow public client flows", as a public client
   * (a secret is refused, AADSTS700025).
   */
  deviceCodeClient: 'confidential' | 'public' = 'confidential';
  /** Polls before a device-code sign-in is approved. */
  approveAfterPolls = 2;
  url = '';
  private server?: Server;
  private readonly refreshTokens = new Map<string, RefreshTokenState>();
  private readonly accessTokens = new Map<string, { expiresAt: number; user: string; audience: string }>();
  /** Confidential apps that may use the client-credentials grant, by client id. */
  private readonly apps = new Map<string, { secret: string; tenant: string }>();
  private readonly deviceCodes = new Map<string, DeviceCode>();
  private readonly failures: IdentityFailure[] = [];

  /** Starts on a free loopback port: https with `tls`, else http. */
  async start(tls?: { cert: string; key: string }): Promise<this> {
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    this.server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }, handler) : createHttpServer(handler);
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `${tls ? 'https' : 'http'}://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** A refresh token as an earlier sign-in issued it (what PARTNER_CENTER_REFRESH_TOKEN holds). */
  issueRefreshToken(clientType: 'confidential' | 'public' = 'confidential', user = 'ada@partner.example'): string {
    const value = token('rt');
    this.refreshTokens.set(value, { clientType, user, revoked: false });
    return value;
  }

  /** The refresh token stops working, as when it expires, is revoked or its user's password changes. */
  revoke(refreshToken: string): void {
    const state = this.refreshTokens.get(refreshToken);
    if (state) state.revoked = true;
  }

  revokeAll(): void {
    for (const state of this.refreshTokens.values()) state.revoked = true;
  }

  /** Every access token issued so far expires now (the next API call gets 401). */
  expireAccessTokens(): void {
    for (const entry of this.accessTokens.values()) entry.expiresAt = 0;
  }

  /** An app registration in `tenant` that may get app-only tokens with its secret (the bot's, for Microsoft Graph). */
  registerApp(clientId: string, secret: string, tenant: string): void {
    this.apps.set(clientId, { secret, tenant });
  }

  /** Is this bearer token one we issued, still valid, for this API (Partner Center's by default)? */
  validAccessToken(value: string, audience = 'https://api.partner.microsoft.com'): boolean {
    const entry = this.accessTokens.get(value);
    return Boolean(entry && entry.expiresAt > Date.now() && entry.audience === audience);
  }

  /** Refresh tokens issued so far, newest last (a test checks which one the app used). */
  issued(): string[] {
    return [...this.refreshTokens.keys()];
  }

  isRevoked(refreshToken: string): boolean {
    return this.refreshTokens.get(refreshToken)?.revoked ?? true;
  }

  failNext(...failures: IdentityFailure[]): void {
    this.failures.push(...failures);
  }

  /** Token requests of this grant type so far. */
  grants(grantType: string): IdentityRequest[] {
    return this.requests.filter((r) => r.grantType === grantType);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await new Promise<string>((resolve) => {
      let data = '';
      req.on('data', (chunk) => (data += chunk));
      req.on('end', () => resolve(data));
    });
    const form = new URLSearchParams(body);
    const url = new URL(req.url ?? '/', 'http://x');
    this.requests.push({
      path: url.pathname,
      grantType: form.get('grant_type') ?? undefined,
      withSecret: form.has('client_secret'),
      scope: form.get('scope') ?? undefined,
      refreshToken: form.get('refresh_token') ?? undefined,
      at: Date.now(),
    });
    const send = (status: number, payload: object) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    const error = (status: number, code: string, description: string) => send(status, { error: code, error_description: description, error_codes: [] });
    if (form.get('grant_type') === 'client_credentials') return this.clientCredentials(url.pathname, form, send, error);
    const tenantPath = `/${this.tenant}/oauth2/v2.0/`;
    if (req.method !== 'POST' || !url.pathname.startsWith(tenantPath)) return error(404, 'not_found', `AADSTS90002: no such endpoint ${url.pathname}`);
    const failure = this.failures.shift();
    if (failure) return error(failure.status, failure.error ?? 'temporarily_unavailable', failure.description ?? 'AADSTS50058: injected failure');
    if (form.get('client_id') !== this.clientId) return error(400, 'unauthorized_client', 'AADSTS700016: Application not found in the directory');

    const endpoint = url.pathname.slice(tenantPath.length);
    if (endpoint === 'devicecode') {
      if (!(form.get('scope') ?? '').includes('https://api.partner.microsoft.com/.default')) return error(400, 'invalid_scope', 'AADSTS70011: the scope must name the Partner API');
      const deviceCode = token('dc');
      this.deviceCodes.set(deviceCode, { polls: 0, approveAfter: this.approveAfterPolls, user: 'ada@partner.example' });
      return send(200, {
        device_code: deviceCode,
        user_code: 'FAKE-CODE',
        verification_uri: 'https://microsoft.com/devicelogin',
        expires_in: 900,
        interval: 0,
        message: 'To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code FAKE-CODE to authenticate.',
      });
    }
    if (endpoint !== 'token') return error(404, 'not_found', `AADSTS90002: no such endpoint ${url.pathname}`);

    const secret = form.get('client_secret');
    const checkClient = (clientType: 'confidential' | 'public'): string | undefined => {
      if (clientType === 'public' && secret !== null) return "AADSTS700025: Client is public so neither 'client_assertion' nor 'client_secret' should be presented.";
      if (clientType === 'confidential' && secret === null) return "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.";
      if (clientType === 'confidential' && secret !== this.clientSecret) return 'AADSTS7000215: Invalid client secret provided.';
      return undefined;
    };

    const grant = form.get('grant_type');
    if (grant === 'refresh_token') {
      if (!(form.get('scope') ?? '').includes('https://api.partner.microsoft.com/.default')) return error(400, 'invalid_scope', 'AADSTS70011: the scope must name the Partner API');
      const presented = form.get('refresh_token') ?? '';
      const state = this.refreshTokens.get(presented);
      if (!state || state.revoked) return error(400, 'invalid_grant', 'AADSTS70000: The provided value for the refresh token is invalid or expired.');
      const clientProblem = checkClient(state.clientType);
      if (clientProblem) return error(state.clientType === 'public' ? 400 : 401, 'invalid_client', clientProblem);
      return send(200, this.tokens(state.clientType, state.user));
    }
    if (grant === 'urn:ietf:params:oauth:grant-type:device_code') {
      const code = this.deviceCodes.get(form.get('device_code') ?? '');
      if (!code) return error(400, 'expired_token', 'AADSTS70019: Verification code expired.');
      const clientType = this.deviceCodeClient;
      const clientProblem = checkClient(clientType);
      if (clientProblem) return error(clientType === 'public' ? 400 : 401, 'invalid_client', clientProblem);
      if (code.denied) return error(400, 'access_denied', 'AADSTS70020: The user declined the sign-in.');
      if (++code.polls <= code.approveAfter) return error(400, 'authorization_pending', 'AADSTS70016: OAuth 2.0 device flow error. Authorization is pending.');
      this.deviceCodes.delete(form.get('device_code') ?? '');
      return send(200, this.tokens(clientType, code.user));
    }
    return error(400, 'unsupported_grant_type', `AADSTS70003: grant type ${grant ?? '(none)'} is not supported here`);
  }

  /** An app-only token, as Entra ID gives one: for the app's own tenant, its secret, and a `/.default` scope. */
  private clientCredentials(path: string, form: URLSearchParams, send: (status: number, payload: object) => void, error: (status: number, code: string, description: string) => void): void {
    const failure = this.failures.shift();
    if (failure) return error(failure.status, failure.error ?? 'temporarily_unavailable', failure.description ?? 'AADSTS50058: injected failure');
    const clientId = form.get('client_id') ?? '';
    const app = this.apps.get(clientId);
    const tenant = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(path)?.[1];
    if (!tenant) return error(404, 'not_found', `AADSTS90002: no such endpoint ${path}`);
    if (!app || app.tenant !== tenant) return error(400, 'unauthorized_client', `AADSTS700016: Application with identifier '${clientId}' was not found in the directory '${tenant}'.`);
    if (!form.has('client_secret')) return error(401, 'invalid_client', "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
    if (form.get('client_secret') !== app.secret) return error(401, 'invalid_client', 'AADSTS7000215: Invalid client secret provided.');
    const scope = form.get('scope') ?? '';
    if (!/^https:\/\/[^ ]+\/\.default$/.test(scope)) return error(400, 'invalid_scope', `AADSTS1002012: The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`);
    const accessToken = token('at');
    this.accessTokens.set(accessToken, { expiresAt: Date.now() + 3600_000, user: clientId, audience: scope.slice(0, -'/.default'.length) });
    send(200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: accessToken });
  }

  private tokens(clientType: 'confidential' | 'public', user: string) {
    const accessToken = token('at');
    this.accessTokens.set(accessToken, { expiresAt: Date.now() + 3600_000, user, audience: 'https://api.partner.microsoft.com' });
    const refreshToken = this.issueRefreshToken(clientType, user);
    const idToken = [{ alg: 'none' }, { preferred_username: user, name: 'Ada Lovelace', tid: this.tenant }, {}].map((part) => Buffer.from(JSON.stringify(part)).toString('base64url')).join('.');
    return { token_type: 'Bearer', scope: 'https://api.partner.microsoft.com/user_impersonation', expires_in: 3600, access_token: accessToken, refresh_token: refreshToken, id_token: idToken };
  }
}
