/**
 * Loopback fakes of the Azure endpoints the app reaches with its managed identity, as unkind as
 * the real ones: App Service's managed identity endpoint (IDENTITY_ENDPOINT / IDENTITY_HEADER,
 * api-version 2019-08-01: it refuses a request without the header) and an Azure Key Vault that
 * answers a request without a bearer token with 401 and its challenge, as the real one does, and
 * keeps every version of a secret.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

async function listen(handler: (req: IncomingMessage, body: string, res: ServerResponse) => void): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => handler(req, body, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const send = (res: ServerResponse, status: number, body?: object, headers: Record<string, string> = {}) => {
  res.writeHead(status, { ...(body ? { 'content-type': 'application/json' } : {}), ...headers });
  res.end(body ? JSON.stringify(body) : undefined);
};

/** An unsigned JWT shaped as Entra issues them (Azurite checks only these claims). */
export function unsignedJwt(audience: string, tenant: string, lifetimeSeconds = 3600): string {
  const now = Math.floor(Date.now() / 1000);
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ aud: audience, iss: `https://sts.windows.net/${tenant}/`, iat: now, nbf: now - 60, exp: now + lifetimeSeconds, oid: randomUUID() })}.`;
}

/** App Service's managed identity endpoint: a token for the resource asked, to whoever presents the header. */
export class FakeManagedIdentity {
  readonly header = randomBytes(16).toString('hex');
  readonly tenant = randomUUID();
  readonly clientId = randomUUID();
  /** Resources tokens were asked for. */
  readonly requests: { resource: string; clientId?: string }[] = [];
  url = '';
  private server?: Server;

  async start(): Promise<this> {
    const { server, url } = await listen((req, _body, res) => {
      const query = new URL(req.url ?? '/', 'http://x').searchParams;
      if (req.headers['x-identity-header'] !== this.header) return send(res, 401, { statusCode: 401, message: 'Missing or wrong X-IDENTITY-HEADER.' });
      if (query.get('api-version') !== '2019-08-01') return send(res, 400, { statusCode: 400, message: 'Unsupported api-version.' });
      const resource = query.get('resource') ?? '';
      this.requests.push({ resource, clientId: query.get('client_id') ?? undefined });
      send(res, 200, { access_token: unsignedJwt(resource, this.tenant), expires_on: String(Math.floor(Date.now() / 1000) + 3600), resource, token_type: 'Bearer', client_id: this.clientId });
    });
    this.server = server;
    this.url = `${url}/msi/token`;
    return this;
  }

  /** The settings App Service gives the app. */
  env(): Record<string, string> {
    return { IDENTITY_ENDPOINT: this.url, IDENTITY_HEADER: this.header, AZURE_CLIENT_ID: this.clientId };
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

/** Azure Key Vault's secrets API, for one vault: every version kept; a bearer token required (a 401 challenge first). */
export class FakeKeyVault {
  /** Secret name → versions, oldest first. */
  readonly secrets = new Map<string, { version: string; value: string }[]>();
  readonly requests: { method: string; path: string; authorized: boolean }[] = [];
  url = '';
  private server?: Server;

  constructor(private readonly tenant = randomUUID()) {}

  async start(): Promise<this> {
    const { server, url } = await listen((req, body, res) => this.handle(req, body, res));
    this.server = server;
    this.url = url;
    return this;
  }

  private handle(req: IncomingMessage, body: string, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    const authorized = /^Bearer \S+\.\S+\./.test(req.headers.authorization ?? '');
    this.requests.push({ method: req.method ?? '', path: url.pathname, authorized });
    if (!authorized) {
      return send(res, 401, { error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' } }, {
        'www-authenticate': `Bearer authorization="https://login.microsoftonline.com/${this.tenant}", resource="https://vault.azure.net"`,
      });
    }
    if (!url.searchParams.get('api-version')) return send(res, 400, { error: { code: 'BadParameter', message: 'api-version is required.' } });
    const match = /^\/secrets\/([0-9a-zA-Z-]{1,127})(?:\/([0-9a-f]*))?$/.exec(url.pathname);
    if (!match) return send(res, 404, { error: { code: 'NotFound', message: 'No such operation.' } });
    const [, name = '', version] = match;
    if (req.method === 'PUT' && version === undefined) {
      const value = (JSON.parse(body || '{}') as { value?: unknown }).value;
      if (typeof value !== 'string') return send(res, 400, { error: { code: 'BadParameter', message: 'The secret value is required.' } });
      const created = { version: randomBytes(16).toString('hex'), value };
      this.secrets.set(name, [...(this.secrets.get(name) ?? []), created]);
      return send(res, 200, this.bundle(name, created));
    }
    if (req.method === 'GET') {
      const versions = this.secrets.get(name) ?? [];
      const found = version ? versions.find((v) => v.version === version) : versions.at(-1);
      return found ? send(res, 200, this.bundle(name, found)) : send(res, 404, { error: { code: 'SecretNotFound', message: `A secret with (name/id) ${name}/${version ?? ''} was not found in this key vault.` } });
    }
    send(res, 405, { error: { code: 'MethodNotAllowed', message: `${req.method ?? ''} is not allowed here.` } });
  }

  private bundle(name: string, secret: { version: string; value: string }) {
    const now = Math.floor(Date.now() / 1000);
    return { value: secret.value, id: `${this.url}/secrets/${name}/${secret.version}`, attributes: { enabled: true, created: now, updated: now, recoveryLevel: 'Recoverable+Purgeable' } };
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}
