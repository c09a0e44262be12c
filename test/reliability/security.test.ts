/**
 * Security of the app as it runs in production (MicrosoftAppId set): Teams requests without a
 * valid Bot Framework token are refused with a fast 401 and change nothing, also with no network
 * to fetch signing keys; start-up refuses to run without its secrets; and no secret reaches the
 * logs, even at LOG_LEVEL=trace.
 */
import type { TableClient } from '@azure/data-tables';
import { DEV_KEY } from '../../services/storage/embeddedAzurite';
import { openTables, type TableName } from '../../services/storage/tables';
import { referral } from '../fixtures/referrals';
import { untrustedTokens } from '../support/botTokens';
import { FakeConnector } from '../support/fakeConnector';
import { getJson, postJson } from '../support/http';
import { freePort, spawnApp, startApp, startAzurite, type AppProcess, type AzuriteProcess } from '../support/processes';
import { ADMIN_ID, PARTNER_ADMIN_ID } from '../support/settings';
import { acceptForm, channel, dana, execute, installUpdate, message, pat, TENANT_ID } from '../support/teamsActivities';

// Distinctive values, so that any trace of them in the logs is found.
const APP_ID = '5ec0de00-1111-4222-8333-444455556666';
const APP_PASSWORD = 'AppPassword~Zq8-NEVER-LOGGED-7f3a9c1e';
const API_KEY = 'LeadsApiKey-NEVER-LOGGED-0c9b8a7d6e5f';
// Azurite's well-known development key: public, but as findable in a log as any other.
const ACCOUNT_KEY = DEV_KEY;

let azurite: AzuriteProcess;
let connector: FakeConnector;
let connectionString: string;

/** Production settings; `omit` leaves some out. */
function production(omit: string[] = []): Record<string, string> {
  const env: Record<string, string> = {
    MicrosoftAppId: APP_ID,
    MicrosoftAppPassword: APP_PASSWORD,
    MicrosoftAppType: 'SingleTenant',
    MicrosoftAppTenantId: TENANT_ID,
    LEADS_API_KEY: API_KEY,
    AZURE_TABLES_CONNECTION_STRING: connectionString,
    TABLE_PREFIX: `sec${Date.now().toString(36)}`,
    LEAD_ADMIN_IDS: ADMIN_ID,
    PARTNER_ADMIN_IDS: PARTNER_ADMIN_ID,
    LEASE_SECONDS: '2',
  };
  for (const key of omit) delete env[key];
  return env;
}

const table = (env: Record<string, string>, name: TableName) => openTables(connectionString, env.TABLE_PREFIX)[name];

async function rows(client: TableClient): Promise<unknown[]> {
  const found: unknown[] = [];
  for await (const row of client.listEntities()) found.push(row);
  return found;
}

beforeAll(async () => {
  azurite = await startAzurite();
  connectionString = azurite.connectionString;
  connector = await new FakeConnector().start();
});
afterAll(async () => {
  await connector?.stop();
  await azurite?.stop();
});

describe('Teams requests without a valid Bot Framework token', () => {
  let app: AppProcess;
  let env: Record<string, string>;
  const lead = referral({ name: 'Guarded lead' });
  beforeAll(async () => {
    env = production();
    app = await startApp(env);
    expect((await postJson(`${app.url}/api/leads`, lead, { authorization: `Bearer ${API_KEY}` })).status).toBe(201);
  });
  afterAll(() => app?.stop());

  it('are refused with a fast 401 and change nothing, with no network to fetch signing keys', async () => {
    const place = channel('19:security@thread.tacv2');
    const before = (await getJson(`${app.url}/api/leads/${lead.id}`, { authorization: `Bearer ${API_KEY}` })).body;
    const activities = {
      install: installUpdate(place, pat, connector.url),
      grant: message(place, pat, `grant ${dana.aadObjectId} partnerAdmin`, connector.url),
      accept: execute(place, dana, 'lead.accept', acceptForm(lead.id, 'Forged'), connector.url),
    };
    const authorizations: Record<string, string | undefined> = {
      'no Authorization header': undefined,
      'a garbage bearer token': 'Bearer garbage',
      'the leads API key': `Bearer ${API_KEY}`,
      'a Basic header': `Basic ${Buffer.from(`${APP_ID}:${APP_PASSWORD}`).toString('base64')}`,
      ...Object.fromEntries(Object.entries(untrustedTokens(APP_ID, connector.url)).map(([kind, token]) => [`a JWT ${kind}`, `Bearer ${token}`])),
    };

    const answers: { what: string; status: number; code?: string; ms: number }[] = [];
    for (const [name, activity] of Object.entries(activities)) {
      for (const [kind, authorization] of Object.entries(authorizations)) {
        const started = Date.now();
        const answer = await postJson(`${app.url}/api/messages`, activity, authorization ? { authorization } : {});
        answers.push({ what: `${name} with ${kind}`, status: answer.status, code: answer.body?.error?.code, ms: Date.now() - started });
      }
    }
    for (const answer of answers) expect({ ...answer, ms: undefined }).toEqual({ what: answer.what, status: 401, code: 'unauthorized', ms: undefined });
    // Fast: refused on sight, or within the 5 s the app allows for fetching signing keys.
    expect(answers.filter((a) => a.ms > 6_000)).toEqual([]);

    expect((await getJson(`${app.url}/api/leads/${lead.id}`, { authorization: `Bearer ${API_KEY}` })).body).toEqual(before);
    expect(await rows(table(env, 'Conversations'))).toEqual([]);
    expect(await rows(table(env, 'Roles'))).toEqual([]);
    expect(connector.sent).toEqual([]);
    expect((await getJson(`${app.url}/healthz`)).status).toBe(200);
  });
});

describe('start-up in production without a secret it needs', () => {
  it.each([['LEADS_API_KEY'], ['MicrosoftAppPassword']])('refuses to start without %s: exits non-zero, says so on stderr, listens nowhere', async (secret) => {
    const port = await freePort();
    const { child, output, exited } = spawnApp({ ...production([secret]), PORT: String(port) });
    const stderr: string[] = [];
    child.stderr?.on('data', (chunk: string) => stderr.push(chunk));

    const { code } = await exited;
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(stderr.join('')).toContain(secret);
    expect(output.some((line) => line.includes('"listening"'))).toBe(false);
    expect(output.join('\n')).not.toContain(secret === 'LEADS_API_KEY' ? APP_PASSWORD : API_KEY);
  });
});

describe('logs at LOG_LEVEL=trace', () => {
  it('never contain a secret or an Authorization header value, whatever the app was asked', async () => {
    const env = { ...production(), LOG_LEVEL: 'trace' };
    const app = await startApp(env);
    const sentAuthorizations: string[] = [];
    const leads = async (body: unknown, authorization?: string) => {
      if (authorization) sentAuthorizations.push(authorization);
      return postJson(`${app.url}/api/leads`, body, authorization ? { authorization } : {});
    };
    const teams = async (activity: object, authorization?: string) => {
      if (authorization) sentAuthorizations.push(authorization);
      return postJson(`${app.url}/api/messages`, activity, authorization ? { authorization } : {});
    };

    const good = referral();
    expect((await leads(good, `Bearer ${API_KEY}`)).status).toBe(201);
    expect((await leads(good, 'Bearer wrong-key-Secret-Looking-123456')).status).toBe(401);
    expect((await leads({ ...referral(), status: 'Lukewarm' }, `Bearer ${API_KEY}`)).status).toBe(400);
    expect((await leads('{"id": ', `Bearer ${API_KEY}`)).status).toBe(400);
    expect((await getJson(`${app.url}/api/leads/${good.id}`, { authorization: `Bearer ${API_KEY}` })).status).toBe(200);
    const place = channel('19:logs@thread.tacv2');
    expect((await teams(message(place, dana, 'help', connector.url))).status).toBe(401);
    expect((await teams(message(place, dana, 'help', connector.url), `Bearer ${API_KEY}`)).status).toBe(401);
    for (const token of Object.values(untrustedTokens(APP_ID, connector.url))) {
      expect((await teams(execute(place, dana, 'lead.open', { leadId: good.id }, connector.url), `Bearer ${token}`)).status).toBe(401);
    }
    // Storage errors carry requests and responses: the most likely way for a key into a log.
    await azurite.stop();
    expect((await leads(referral(), `Bearer ${API_KEY}`)).status).toBe(503);
    expect((await getJson(`${app.url}/readyz`)).status).toBe(503);
    await azurite.restart();
    expect((await app.stop()).code).toBe(0);

    const logs = app.output.join('\n');
    expect(logs).toContain('"level":20'); // debug lines were written (the refused tokens)
    expect(logs).toContain('storage unavailable');
    const secrets = { APP_PASSWORD, API_KEY, ACCOUNT_KEY, connectionString, ...Object.fromEntries(sentAuthorizations.map((a, i) => [`Authorization #${i + 1}`, a])) };
    const leaked = Object.entries(secrets).filter(([, secret]) => logs.includes(secret) || logs.includes(secret.replace(/^Bearer /, '')));
    expect(leaked.map(([name]) => name)).toEqual([]);
  });
});
