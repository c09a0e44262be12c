/**
 * A loopback fake of Partner Center's Referrals API, faithful to the documented contract (README,
 * Partner Center; ../shared/reference/partner-center-api.md):
 * - `GET /v1.0/engagements/referrals` with `$orderby=updatedDateTime desc` and `$top`, paged by an
 *   `@odata.nextLink` shaped like Microsoft's sample (`http://…/v1.0/referrals?$skiptoken=…`);
 * - `GET /v1.0/engagements/referrals/{id}`, with its `eTag`;
 * - `PATCH /v1.0/engagements/referrals/{id}`: JSON Patch, `replace` and `add` only, on the paths
 *   the certified connector allows; `If-Match` → 412 on a stale eTag; the status transition table
 *   (New → New/Active/Closed, Active → Active/Closed, nothing after Closed) → 400; `Prefer:
 *   return=representation` → 200 with the referral, else 204;
 * - bearer tokens checked against the fake identity provider (401 otherwise);
 * - injectable failures (412, 429 with Retry-After, 5xx), a fixed latency, and a log of requests;
 * - signed webhook events (RSA-SHA256 over the body, a certificate of "O=Microsoft Corporation"
 *   served over https, its issuer reachable through Authority Information Access).
 * Changes "made in the portal" are made with `portalChange`.
 */
import { randomBytes, randomUUID, sign } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { FakeIdentity } from './fakeIdentity';
import { issue, rootCa, type Issued, type SharedPki } from './testPki';

export interface PcRequest {
  method: string;
  path: string;
  ifMatch?: string;
  prefer?: string;
  authorized: boolean;
  body?: any;
  status: number;
  at: number;
}

export interface PcFailure {
  status: number;
  retryAfterSeconds?: number;
  /** Only requests of this method fail (default: any). */
  method?: 'GET' | 'PATCH';
}

/** The paths the certified Power Platform connector lets a PATCH touch. */
const PATCHABLE = [
  '/campaignId',
  '/consent/consentToShareReferralWithMicrosoftSellers',
  '/customerProfile/team',
  '/customerProfile/team/-',
  '/details/closingDateTime',
  '/details/currency',
  '/details/dealValue',
  '/details/notes',
  '/details/requirements/solutions',
  '/details/requirements/solutions/-',
  '/externalReferenceId',
  '/referralProgram',
  '/salesStage',
  '/status',
  '/substatus',
  '/statusReason',
  '/team',
  '/team/-',
];
const NEXT_STATUS: Record<string, string[]> = { New: ['New', 'Active', 'Closed'], Active: ['Active', 'Closed'], Closed: ['Closed'] };
const SUBSTATUS: Record<string, string[]> = { New: ['Pending', 'Received'], Active: ['Accepted'], Closed: ['Won', 'Lost', 'Declined', 'Expired'] };

const newETag = () => `"${randomUUID()}"`;
const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

export class FakePartnerCenter {
  readonly requests: PcRequest[] = [];
  /** How long every API answer takes (the bench uses 150 ms). */
  latencyMs = 0;
  pageSize = 100;
  /** The API base, as PARTNER_CENTER_API_URL: http://127.0.0.1:<port>/v1.0 */
  url = '';
  /** Where Partner Center would fetch the signing certificate (https), once `startWebhooks` ran. */
  certificateUrl = '';
  /** The key the app under test seals its refresh token with (PARTNER_CENTER_TOKEN_KEY). */
  readonly tokenKey = randomBytes(32).toString('base64');
  private readonly referrals = new Map<string, any>();
  private readonly failures: PcFailure[] = [];
  private server?: Server;
  private certServer?: Server;
  private signer?: { leaf: Issued; intermediate: Issued };
  private clock = 0;
  /** The clock of Partner Center's timestamps (a test sets the world's clock). */
  now: () => Date = () => new Date();
  /** Called before each list page is answered, with the page's offset: a change "during a pass". */
  beforePage?: (offset: number) => void;
  /** Called after a PATCH changed a referral (the playground shows write-backs arriving). */
  onPatched?: (referral: any) => void;
  /**
   * As unkind as the documented service, not kinder (partner-center-api.md §11): list items without
   * eTag; next-page links in the sample's form (http, /v1.0/referrals, only $skiptoken) and pages
   * after the first not in the order asked; team members added only one per `add /team/-`; a closed
   * referral answering 400 before it looks at If-Match; values as people type them (a lowercase
   * country, "12,000", a closing date without a time zone) and enum values outside every list.
   */
  unkind = false;
  /** The next PATCH is applied, then answered with this status, as if the answer was lost (a crash, a timeout). */
  loseNextAnswer?: number;

  constructor(private readonly identity?: FakeIdentity) {}

  async start(): Promise<this> {
    this.server = createHttpServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1.0`;
    return this;
  }

  /**
   * Starts the https host of the webhook signing certificate and makes the signing chain: an
   * issuing CA of "O=Microsoft Corporation" under the test root, and the signing certificate.
   */
  async startWebhooks(pki: SharedPki): Promise<this> {
    this.certServer = createHttpsServer({ cert: pki.tls.cert, key: pki.tls.key }, (req, res) => this.serveCertificate(req, res));
    await new Promise<void>((resolve) => this.certServer!.listen(0, '127.0.0.1', resolve));
    const host = `https://127.0.0.1:${(this.certServer.address() as AddressInfo).port}`;
    const intermediate = await issue(pki.root, { subject: 'CN=Microsoft Azure Test Issuing CA, O=Microsoft Corporation, C=US', ca: true });
    const leaf = await issue(intermediate, {
      subject: 'CN=pcnotifications-dispatch.microsoft.com, O=Microsoft Corporation, C=US',
      issuerUrl: `${host}/pki/issuing-ca.crt`,
    });
    this.signer = { leaf, intermediate };
    this.certificateUrl = `${host}/cert/pcnotifications-dispatch.microsoft.com.cer`;
    return this;
  }

  async stop(): Promise<void> {
    for (const server of [this.server, this.certServer]) {
      server?.closeAllConnections();
      await new Promise<void>((resolve) => server?.close(() => resolve()) ?? resolve());
    }
  }

  /** A new referral in Partner Center (created by Microsoft), with an eTag and fresh timestamps. */
  create(referral: any): any {
    const at = this.tick();
    const stored = {
      status: 'New',
      substatus: 'Pending',
      type: 'Independent',
      direction: 'Incoming',
      inviteContext: { invitedBy: { organizationId: 'msft', organizationName: 'Microsoft' } },
      createdDateTime: at,
      // The documented samples carry the partner's team, empty or not.
      team: [],
      ...clone(referral),
      details: { ...(referral.details ?? {}) },
      updatedDateTime: at,
      eTag: newETag(),
    };
    this.referrals.set(stored.id, stored);
    return clone(stored);
  }

  /** A change made in the Partner Center portal: a new eTag and updatedDateTime. */
  portalChange(id: string, change: (referral: any) => void): any {
    const referral = this.referrals.get(id);
    if (!referral) throw new Error(`no referral ${id}`);
    change(referral);
    referral.updatedDateTime = this.tick();
    referral.eTag = newETag();
    return clone(referral);
  }

  referral(id: string): any {
    const referral = this.referrals.get(id);
    return referral && clone(referral);
  }

  failNext(...failures: PcFailure[]): void {
    this.failures.push(...failures);
  }

  /** While down, every API request answers 503 (an outage). */
  down = false;
  /** Whether a PATCH answers with the referral when asked (`Prefer: return=representation`); else always a bare 204, as the connector declares. */
  representation = true;

  patches(id?: string): PcRequest[] {
    return this.requests.filter((r) => r.method === 'PATCH' && r.status < 300 && (!id || r.path.endsWith(`/referrals/${id}`)));
  }

  /**
   * Posts a signed event to the app's webhook, as Partner Center does. `forge` makes it a fake one:
   * a changed body, or a signature by a certificate Microsoft did not issue.
   */
  async notify(
    webhookUrl: string,
    event: { name: 'referral-created' | 'referral-updated' | 'test-created'; referralId: string },
    options: { forge?: 'body' | 'selfSigned'; header?: 'authorization' | 'x-ms-signature'; certificateUrl?: string } = {},
  ): Promise<{ status: number; body: any }> {
    if (!this.signer) throw new Error('startWebhooks first');
    const payload = JSON.stringify({
      EventName: event.name,
      ResourceUri: `https://api.partnercenter.microsoft.com/engagements/v1/referrals/${event.referralId}`,
      ResourceName: 'referral',
      AuditUri: null,
      ResourceChangeUtcDate: new Date().toISOString(),
    });
    if (options.forge === 'selfSigned') {
      // What a forger can make: a CA that calls itself Microsoft, and a certificate from it.
      const ca = await rootCa('CN=Microsoft Azure TLS Issuing CA 05, O=Microsoft Corporation, C=US');
      this.selfSigned = await issue(ca, { subject: 'CN=pcnotifications-dispatch.microsoft.com, O=Microsoft Corporation, C=US' });
    }
    const key = options.forge === 'selfSigned' ? this.selfSigned!.keyPem : this.signer.leaf.keyPem;
    const signature = sign('sha256', Buffer.from(payload), key).toString('base64');
    const body = options.forge === 'body' ? payload.replace(event.referralId, `${event.referralId}x`) : payload;
    const res = await fetch(webhookUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [options.header ?? 'authorization']: `Signature ${signature}`,
        'x-ms-certificate-url': options.certificateUrl ?? (options.forge === 'selfSigned' ? `${this.certificateUrl}?self-signed` : this.certificateUrl),
        'x-ms-signature-algorithm': 'rsa-sha256',
      },
      body,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  private selfSigned?: Issued;

  /** Requests the certificate host answered (the app fetches a certificate once, then caches it). */
  certificateFetches = 0;

  private serveCertificate(req: IncomingMessage, res: ServerResponse): void {
    this.certificateFetches++;
    const url = new URL(req.url ?? '/', 'https://x');
    // writeHead is never chained: restify patches http.ServerResponse.prototype
    // (for every server in the process) with a writeHead that returns undefined.
    if (!this.signer) {
      res.writeHead(404);
      return void res.end();
    }
    if (url.pathname === '/pki/issuing-ca.crt') {
      res.writeHead(200, { 'content-type': 'application/pkix-cert' });
      return void res.end(Buffer.from(this.signer.intermediate.cert.rawData));
    }
    if (url.pathname.startsWith('/cert/')) {
      // The DER leaf alone, as Microsoft serves it; its issuer comes from its AIA.
      res.writeHead(200, { 'content-type': 'application/pkix-cert' });
      return void res.end(Buffer.from(url.search.includes('self-signed') && this.selfSigned ? this.selfSigned.cert.rawData : this.signer.leaf.cert.rawData));
    }
    res.writeHead(404);
    res.end();
  }

  /** Strictly increasing timestamps: list order by updatedDateTime is well defined. */
  private tick(): string {
    this.clock = Math.max(this.clock + 1, this.now().getTime());
    return new Date(this.clock).toISOString();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await new Promise<string>((resolve) => {
      let data = '';
      req.on('data', (chunk) => (data += chunk));
      req.on('end', () => resolve(data));
    });
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    const url = new URL(req.url ?? '/', 'http://x');
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const authorized = this.identity ? this.identity.validAccessToken(bearer) : bearer.length > 0;
    let body: any;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = raw;
    }
    const record: PcRequest = {
      method: req.method ?? '',
      path: `${url.pathname}${url.search}`,
      ifMatch: req.headers['if-match'] as string | undefined,
      prefer: req.headers.prefer as string | undefined,
      authorized,
      body,
      status: 0,
      at: Date.now(),
    };
    this.requests.push(record);
    const send = (status: number, payload?: object, headers: Record<string, string> = {}) => {
      record.status = status;
      res.writeHead(status, { ...(payload ? { 'content-type': 'application/json' } : {}), 'request-id': randomUUID(), ...headers });
      res.end(payload ? JSON.stringify(payload) : undefined);
    };
    const error = (status: number, code: string, message: string, headers: Record<string, string> = {}) => send(status, { error: { code, message, target: 'referral' } }, headers);

    if (!authorized) return error(401, 'unauthenticated', 'The access token is missing, invalid or expired.', { 'www-authenticate': 'Bearer' });
    if (this.down) return error(503, 'serviceNotAvailable', 'The service is temporarily unavailable.');
    const failure = this.failures[0];
    if (failure && (!failure.method || failure.method === req.method)) {
      this.failures.shift();
      if (failure.status === 429) {
        record.status = 429;
        res.writeHead(429, { 'content-type': 'application/json', ...(failure.retryAfterSeconds !== undefined ? { 'retry-after': String(failure.retryAfterSeconds) } : {}) });
        return void res.end(JSON.stringify({ statusCode: 429, message: `Rate limit is exceeded. Try again in ${failure.retryAfterSeconds ?? 1} seconds.` }));
      }
      const code = failure.status === 412 ? 'preconditionFailed' : failure.status >= 500 ? 'serviceNotAvailable' : failure.status === 403 ? 'accessDenied' : 'invalidRequest';
      return error(failure.status, code, `injected ${failure.status}`, failure.retryAfterSeconds !== undefined ? { 'retry-after': String(failure.retryAfterSeconds) } : {});
    }

    const one = /^\/v1\.0\/engagements\/referrals\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && (url.pathname === '/v1.0/engagements/referrals' || url.pathname === '/v1.0/referrals')) return send(200, this.list(url, req.headers.host ?? ''));
    if (req.method === 'GET' && one) {
      const referral = this.referrals.get(decodeURIComponent(one[1]!));
      if (!referral) return error(404, 'itemNotFound', 'The referral does not exist.');
      return send(200, { '@odata.context': 'https://api.partner.microsoft.com/v1.0/$metadata#Referrals/$entity', ...this.asTyped(clone(referral)) });
    }
    if (req.method === 'PATCH' && one) return this.patch(decodeURIComponent(one[1]!), record, body, send, error);
    return error(404, 'itemNotFound', `No route ${req.method} ${url.pathname}`);
  }

  private list(url: URL, host: string): object {
    const token = url.searchParams.get('$skiptoken');
    // The skip token carries the query it continues (a real one is opaque): the pages cover every referral once.
    const continued = token ? (JSON.parse(Buffer.from(token, 'base64url').toString()) as { skip: number; order: string; top: number }) : undefined;
    const top = continued?.top ?? Math.min(Number(url.searchParams.get('$top') ?? this.pageSize) || this.pageSize, this.pageSize);
    const skip = continued?.skip ?? 0;
    this.beforePage?.(skip);
    const order = continued?.order ?? url.searchParams.get('$orderby') ?? 'updatedDateTime desc';
    const [field = 'updatedDateTime', direction = 'asc'] = order.split(' ');
    const sorted = [...this.referrals.values()].sort((a, b) => String(a[field]).localeCompare(String(b[field])) * (direction === 'desc' ? -1 : 1));
    let page = sorted.slice(skip, skip + top).map(clone);
    const more = skip + top < sorted.length;
    const nextToken = Buffer.from(JSON.stringify({ skip: skip + top, order, top })).toString('base64url');
    let next = more ? `http://${host}/v1.0/referrals?$skiptoken=${nextToken}&$top=${top}&$orderby=${encodeURIComponent(order)}` : undefined;
    if (this.unkind) {
      // The documented sample: no $orderby, no $top; and a later page in an order of its own.
      next = more ? `http://${host}/v1.0/referrals?$skiptoken=${nextToken}` : undefined;
      if (skip > 0) page = page.reverse();
      page = page.map((referral) => {
        const { eTag: _eTag, ...listed } = this.asTyped(referral);
        return listed;
      });
    }
    return { '@odata.context': 'http://api.partner.microsoft.com/v1.0/$metadata#Referrals', value: page, ...(next ? { '@odata.nextLink': next } : {}) };
  }

  /** A referral as the unkind service sends it: values as people typed them, enum values no list has. */
  private asTyped(referral: any): any {
    if (!this.unkind) return referral;
    const typed = clone(referral);
    typed.referralSource = 'PartnerCenterNewSource';
    typed.salesStage = 'Unqualified';
    const country = typed.customerProfile?.address?.country;
    if (typeof country === 'string') typed.customerProfile.address.country = country.toLowerCase();
    const details = typed.details ?? {};
    if (typeof details.dealValue === 'number' && details.dealValue >= 1000) details.dealValue = details.dealValue.toLocaleString('en-US');
    if (typeof details.closingDateTime === 'string') details.closingDateTime = details.closingDateTime.replace(/(\.\d+)?Z$/, '');
    if (typeof typed.customerProfile?.size === 'string') typed.customerProfile.size = 'Between10and20employees';
    return typed;
  }

  private patch(id: string, record: PcRequest, ops: any, send: (status: number, payload?: object) => void, error: (status: number, code: string, message: string) => void): void {
    const referral = this.referrals.get(id);
    if (!referral) return error(404, 'itemNotFound', 'The referral does not exist.');
    const closed = () => error(400, 'invalidRequest', 'No actions are permitted after any deal reaches a terminal state, such as Declined, Expired, Won, or Lost.');
    // The unkind service refuses a closed referral before it looks at If-Match: a retried write that landed looks refused.
    if (this.unkind && referral.status === 'Closed') return closed();
    if (record.ifMatch !== undefined && record.ifMatch !== referral.eTag) return error(412, 'preconditionFailed', 'A precondition provided in the request (such as an if-match header) does not match the resource\'s current state.');
    if (!Array.isArray(ops) || ops.length === 0) return error(400, 'invalidRequest', 'The body must be a JSON Patch array.');
    if (referral.status === 'Closed') return closed();
    const next = clone(referral);
    for (const op of ops) {
      if (op?.op !== 'replace' && op?.op !== 'add') return error(400, 'invalidRequest', `Operation ${String(op?.op)} is not supported: only replace and add.`);
      if (!PATCHABLE.includes(op.path)) return error(400, 'invalidRequest', `Path ${String(op.path)} cannot be changed.`);
      if (this.unkind && op.op === 'add' && op.path === '/team') return error(400, 'invalidRequest', 'Add team members one at a time: {"op":"add","path":"/team/-","value":{…}}.');
      const problem = applyOp(next, op);
      if (problem) return error(400, 'invalidRequest', problem);
    }
    if (!(NEXT_STATUS[referral.status] ?? []).includes(next.status)) return error(400, 'invalidRequest', `Status cannot change from ${referral.status} to ${next.status}.`);
    if (!(SUBSTATUS[next.status] ?? []).includes(next.substatus)) return error(400, 'invalidRequest', `Substatus ${next.substatus} does not belong to status ${next.status}.`);
    if (next.details?.dealValue !== undefined) next.details.dealValue = Number(next.details.dealValue);
    if (next.status === 'Active' && referral.status !== 'Active') next.acceptedDateTime = this.tick();
    if (next.status === 'Closed') next.closedDateTime = this.tick();
    next.updatedDateTime = this.tick();
    next.eTag = newETag();
    this.referrals.set(id, next);
    this.onPatched?.(clone(next));
    if (this.loseNextAnswer !== undefined) {
      const status = this.loseNextAnswer;
      this.loseNextAnswer = undefined;
      return error(status, 'serviceNotAvailable', 'The answer was lost on its way back.');
    }
    if (this.representation && (record.prefer ?? '').includes('return=representation')) return send(200, this.asTyped(clone(next)));
    send(204);
  }
}

/** Applies one replace/add op by JSON pointer (RFC 6902): its parent must exist, and a replace's target too. */
function applyOp(target: any, op: { op: string; path: string; value: unknown }): string | undefined {
  const parts = op.path.split('/').slice(1);
  const last = parts.pop()!;
  let parent = target;
  for (const part of parts) {
    if (parent[part] === undefined || parent[part] === null) return `Path ${op.path} does not exist.`;
    parent = parent[part];
  }
  if (last === '-') {
    if (!Array.isArray(parent)) return `Path ${op.path} is not an array.`;
    parent.push(op.value);
    return undefined;
  }
  if (op.op === 'replace' && parent[last] === undefined) return `Path ${op.path} does not exist.`;
  parent[last] = op.value;
  return undefined;
}

/** The settings that connect an app to these fakes. */
export function syncSettings(identity: FakeIdentity, partnerCenter: FakePartnerCenter, pkiRoot: string, refreshToken?: string): Record<string, string> {
  return {
    PARTNER_CENTER_TENANT_ID: identity.tenant,
    PARTNER_CENTER_CLIENT_ID: identity.clientId,
    PARTNER_CENTER_CLIENT_SECRET: identity.clientSecret,
    ...(refreshToken ? { PARTNER_CENTER_REFRESH_TOKEN: refreshToken } : {}),
    PARTNER_CENTER_AUTHORITY_HOST: identity.url,
    PARTNER_CENTER_API_URL: partnerCenter.url,
    // Where the fake serves its signing certificate (its issuer comes from the same host).
    PARTNER_CENTER_WEBHOOK_CERT_URL_PREFIXES: partnerCenter.certificateUrl ? new URL('/cert/', partnerCenter.certificateUrl).toString() : 'https://127.0.0.1/cert/',
    PARTNER_CENTER_WEBHOOK_CA: pkiRoot,
    PARTNER_CENTER_TOKEN_KEY: partnerCenter.tokenKey,
  };
}
