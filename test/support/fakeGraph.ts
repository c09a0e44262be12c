/**
 * A loopback fake of the Microsoft Graph calls the bot makes, as unkind as Graph is documented
 * (and reported) to be:
 * - every call needs a bearer token the fake identity provider issued for Graph (401 otherwise);
 * - `POST /v1.0/users/{id}/teamwork/sendActivityNotification` needs TeamsActivity.Send granted to
 *   the app, or the resource-specific TeamsActivity.Send.User consented when the app was installed
 *   for the person (403 "Missing role permissions" otherwise); the app installed for the person
 *   (403 "… Ensure that the expected Teams app is installed …", or 404 where a test says so); an
 *   activity type the manifest declares, the template parameters it names, a teams.microsoft.com
 *   webUrl and a preview of at most 150 characters (400 otherwise); 429 with Retry-After on demand;
 * - `POST /v1.0/users/{id}/teamwork/installedApps` needs TeamsAppInstallation.ReadWriteAndConsentSelfForUser.All
 *   (403), an app in the catalog (404 "Failed to find the User app in App Catalog"), and answers
 *   409 when it is installed already;
 * - `GET /v1.0/appCatalogs/teamsApps?$filter=externalId eq '…'` needs AppCatalog.Read.All (403).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import manifest from '../../manifest/manifest.template.json';
import type { FakeIdentity } from './fakeIdentity';

export type GraphPermission = 'TeamsActivity.Send' | 'TeamsAppInstallation.ReadWriteAndConsentSelfForUser.All' | 'AppCatalog.Read.All';

export interface Notification {
  user: string;
  activityType: string;
  topic: { source: string; value: string; webUrl: string };
  previewText: { content: string };
  templateParameters: { name: string; value: string }[];
  teamsAppId?: string;
}

interface CatalogApp {
  id: string;
  externalId: string;
}

/** The activity types the app package declares, with the parameters each template names. */
const DECLARED = new Map(
  ((manifest as { activities?: { activityTypes?: { type: string; templateText: string }[] } }).activities?.activityTypes ?? []).map((a) => [
    a.type,
    [...a.templateText.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).filter((name) => name !== 'actor'),
  ]),
);

export class FakeGraph {
  url = '';
  /** Application permissions an admin consented to for the bot's app registration. */
  readonly granted = new Set<GraphPermission>();
  /** The organization's app catalog. */
  readonly catalog: CatalogApp[] = [];
  /** People the app is installed for (personally, or in a team or chat they are in), by AAD object id; with the RSC permissions consented then. */
  readonly installedFor = new Map<string, string[]>();
  readonly notifications: Notification[] = [];
  readonly installs: { user: string; teamsAppId: string }[] = [];
  /** What a notification to a person the app is not installed for answers: 403 (as reported) or 404. */
  notInstalledStatus: 403 | 404 = 403;
  /** Graph's documented limit: 5 activity notifications a second per app and tenant; more answer 429. */
  perSecond = 5;
  /** Whether a missing permission is refused before Graph looks at installs (the order is not documented). */
  permissionFirst = false;
  /** Called when the app is installed for a person (Teams then lets the bot open a chat with them). */
  onInstall: (user: string) => void = () => undefined;
  private server?: Server;
  private readonly throttles: number[] = [];
  private readonly recent: number[] = [];

  constructor(
    private readonly identity: FakeIdentity,
    /** The bot's app id (Graph names it in its refusals). */
    private readonly appId: string,
  ) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** The next calls answer 429 with Retry-After (seconds). */
  throttleNext(...retryAfterSeconds: number[]): void {
    this.throttles.push(...retryAfterSeconds);
  }

  /** The notifications a person got. */
  feedOf(user: string): Notification[] {
    return this.notifications.filter((n) => n.user === user.toLowerCase());
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const send = (status: number, body?: object, headers: Record<string, string> = {}) => {
      res.writeHead(status, { ...(body && { 'content-type': 'application/json' }), ...headers });
      res.end(body ? JSON.stringify(body) : undefined);
    };
    const fail = (status: number, code: string, message: string, headers?: Record<string, string>) =>
      send(status, { error: { code, message, innerError: { date: new Date().toISOString(), 'request-id': 'fake' } } }, headers);
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    if (!this.identity.validAccessToken(bearer, 'https://graph.microsoft.com')) return fail(401, 'InvalidAuthenticationToken', 'Access token validation failure. Invalid audience.');
    const throttled = this.throttles.shift();
    if (throttled !== undefined) return fail(429, 'TooManyRequests', 'Too many requests.', { 'retry-after': String(throttled) });
    const url = new URL(req.url ?? '/', this.url);
    let body: Record<string, unknown> = {};
    try {
      body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
    } catch {
      return fail(400, 'BadRequest', 'Unable to read JSON request payload.');
    }
    const user = /^\/v1\.0\/users\/([^/]+)\/teamwork\/(sendActivityNotification|installedApps)$/.exec(url.pathname);
    if (req.method === 'POST' && user?.[2] === 'sendActivityNotification') return this.notify(decodeURIComponent(user[1]!).toLowerCase(), body, send, fail);
    if (req.method === 'POST' && user?.[2] === 'installedApps') return this.install(decodeURIComponent(user[1]!).toLowerCase(), body, send, fail);
    if (req.method === 'GET' && url.pathname === '/v1.0/appCatalogs/teamsApps') {
      if (!this.granted.has('AppCatalog.Read.All')) return fail(403, 'Forbidden', 'Missing role permissions on the request. API requires one of \'AppCatalog.Read.All, AppCatalog.ReadWrite.All\'.');
      const externalId = /^externalId eq '(.*)'$/.exec(url.searchParams.get('$filter') ?? '')?.[1]?.replace(/''/g, "'");
      return send(200, { value: this.catalog.filter((a) => externalId === undefined || a.externalId === externalId).map((a) => ({ ...a, displayName: 'Partner Leads', distributionMethod: 'organization' })) });
    }
    return fail(404, 'UnknownError', `no such resource: ${req.method} ${url.pathname}`);
  }

  private notify(user: string, body: Record<string, unknown>, send: (status: number) => void, fail: (status: number, code: string, message: string, headers?: Record<string, string>) => void): void {
    const now = Date.now();
    while (this.recent.length > 0 && now - this.recent[0]! > 1_000) this.recent.shift();
    if (this.recent.length >= this.perSecond) return fail(429, 'TooManyRequests', 'Too many requests.', { 'retry-after': '1' });
    this.recent.push(now);
    const installed = this.installedFor.get(user);
    const permitted = this.granted.has('TeamsActivity.Send') || (installed ?? []).includes('TeamsActivity.Send.User');
    if (this.permissionFirst && !permitted) return fail(403, 'Forbidden', "Missing role permissions on the request. API requires one of 'TeamsActivity.Send, TeamsActivity.Send.User'. Roles on the request ''.");
    if (!installed) {
      return fail(
        this.notInstalledStatus,
        this.notInstalledStatus === 403 ? 'Forbidden' : 'NotFound',
        `Application with AAD App Id '${this.appId}' is not authorized to generate custom text notifications about '/v1.0/users/${user}/Microsoft.Teams.GraphSvc.sendActivityNotification' to the recipient. Ensure that the expected Teams app is installed in the target scope (user, team, or chat).`,
      );
    }
    if (!this.granted.has('TeamsActivity.Send') && !installed.includes('TeamsActivity.Send.User')) {
      return fail(403, 'Forbidden', "Missing role permissions on the request. API requires one of 'TeamsActivity.Send, TeamsActivity.Send.User'. Roles on the request ''.");
    }
    const notification = body as unknown as Notification;
    const declared = DECLARED.get(String(notification.activityType));
    if (!declared) return fail(400, 'BadRequest', `activityType '${String(notification.activityType)}' is not declared in the app manifest.`);
    const given = (notification.templateParameters ?? []).map((p) => p.name).sort();
    if (JSON.stringify(given) !== JSON.stringify([...declared].sort())) return fail(400, 'BadRequest', `templateParameters ${given.join(',')} do not match the template's ${declared.join(',')}.`);
    if (notification.topic?.source !== 'text' || !/^https:\/\/teams\.microsoft\.com\//.test(notification.topic.webUrl ?? '')) return fail(400, 'BadRequest', 'topic.webUrl must be a Teams deep link when topic.source is text.');
    if ((notification.previewText?.content ?? '').length > 150) return fail(400, 'BadRequest', 'previewText.content must be 150 characters or fewer.');
    this.notifications.push({ ...notification, user });
    send(204);
  }

  private install(user: string, body: Record<string, unknown>, send: (status: number, body?: object) => void, fail: (status: number, code: string, message: string) => void): void {
    if (!this.granted.has('TeamsAppInstallation.ReadWriteAndConsentSelfForUser.All')) {
      return fail(403, 'Forbidden', "Missing role permissions on the request. API requires one of 'TeamsAppInstallation.ReadWriteAndConsentSelfForUser.All, TeamsAppInstallation.ReadWriteAndConsentForUser.All'.");
    }
    const teamsAppId = /\/appCatalogs\/teamsApps\/([^/]+)$/.exec(String(body['teamsApp@odata.bind'] ?? ''))?.[1];
    if (!teamsAppId || !this.catalog.some((a) => a.id === decodeURIComponent(teamsAppId))) return fail(404, 'NotFound', 'Failed to find the User app in App Catalog.');
    if (this.installedFor.has(user)) return fail(409, 'Conflict', 'App is already installed for the user.');
    const consented = ((body.consentedPermissionSet as { resourceSpecificPermissions?: { permissionValue: string }[] } | undefined)?.resourceSpecificPermissions ?? []).map((p) => p.permissionValue);
    this.installedFor.set(user, consented);
    this.installs.push({ user, teamsAppId: decodeURIComponent(teamsAppId) });
    this.onInstall(user);
    send(201);
  }
}
