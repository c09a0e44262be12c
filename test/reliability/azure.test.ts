/**
 * The built app started the way Azure starts it: `node dist/index.js` with exactly the settings
 * infra/azure.bicep gives App Service, as a UserAssignedMSI bot (no password, no key anywhere).
 * App Service's managed identity endpoint, Key Vault and Azure Storage are loopback stand-ins
 * (Azurite over https, checking bearer tokens); Application Insights cannot be reached at all.
 */
import path from 'node:path';
import { referral } from '../fixtures/referrals';
import { appServiceSettings, BICEP_APP_SETTINGS } from '../support/appService';
import { FakeKeyVault, FakeManagedIdentity } from '../support/fakeAzure';
import { getJson, postJson } from '../support/http';
import { startApp, startAzurite, type AppProcess, type AzuriteProcess } from '../support/processes';
import { sharedPki } from '../support/testPki';


let azurite: AzuriteProcess;
const identity = new FakeManagedIdentity();
let vault: FakeKeyVault;
let app: AppProcess;
let caFile = '';

beforeAll(async () => {
  const pki = await sharedPki();
  caFile = pki.rootFile;
  vault = new FakeKeyVault(identity.tenant);
  [azurite] = await Promise.all([startAzurite({ tls: { certFile: path.join(pki.dir, 'tls.pem'), keyFile: path.join(pki.dir, 'tls-key.pem') } }), identity.start(), vault.start()]);
}, 60_000);
afterAll(async () => {
  await app?.kill().catch(() => undefined);
  await Promise.all([azurite?.stop(), identity.stop(), vault.stop()]);
});

/** What App Service sets for the app (its managed identity endpoint, its name), and the Bicep's settings with this run's stand-ins. */
function asAzureRunsIt(): Record<string, string> {
  const settings = appServiceSettings({
    identityClientId: identity.clientId,
    tenantId: identity.tenant,
    tablesEndpoint: azurite.endpoint,
    vaultUrl: vault.url,
    // Nothing listens there: the exporter must never hold the app up.
    appInsights: 'InstrumentationKey=00000000-0000-4000-8000-000000000000;IngestionEndpoint=https://127.0.0.1:9/',
  });
  // Every setting the Bicep gives, but the sync's (given once its client secret is in Key Vault).
  expect(Object.keys(settings).sort()).toEqual(Object.keys(BICEP_APP_SETTINGS).filter((name) => !name.startsWith('PARTNER_CENTER_')).sort());
  return {
    ...settings,
    IDENTITY_ENDPOINT: identity.url,
    IDENTITY_HEADER: identity.header,
    WEBSITE_SITE_NAME: 'leadstest',
    TABLE_PREFIX: `az${Date.now().toString(36)}`,
    // The stand-ins' certificate (Azure's is trusted by the system).
    NODE_EXTRA_CA_CERTS: caFile,
  };
}

describe('started the way Azure starts it', () => {
  it('runs as its managed identity: tables by endpoint, the API key made in Key Vault, ready, and stops at once on SIGTERM with telemetry unreachable', async () => {
    app = await startApp(asAzureRunsIt(), { timeoutMs: 45_000 });

    const ready = await getJson(`${app.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ready', storage: 'ok', leases: { sender: expect.any(String), scheduler: expect.any(String) } });
    expect(identity.requests.map((r) => [r.resource, r.clientId])).toContainEqual(['https://storage.azure.com', identity.clientId]);

    // The leads API key: made at this first start, kept in Key Vault only.
    const [key] = vault.secrets.get('leads-api-key') ?? [];
    expect(key?.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await postJson(`${app.url}/api/leads`, referral())).status).toBe(401);
    const input = referral({ name: 'Arrived in Azure' });
    expect((await postJson(`${app.url}/api/leads`, input, { authorization: `Bearer ${key!.value}` })).status).toBe(201);
    expect((await getJson(`${app.url}/api/leads/${input.id}`, { authorization: `Bearer ${key!.value}` })).body).toMatchObject({ name: 'Arrived in Azure' });

    const log = app.output.join('\n');
    expect(log).toContain('storage: Azure Tables at AZURE_TABLES_ENDPOINT');
    expect(log).not.toContain(key!.value);

    const started = Date.now();
    const exit = await app.stop();
    expect(exit).toEqual({ code: 0, signal: null });
    // App Service waits a few seconds after SIGTERM: the stop, telemetry's flush included, fits.
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('a second instance takes the key the first one made, and both share the storage', async () => {
    const env = asAzureRunsIt();
    const [first, second] = await Promise.all([startApp(env, { timeoutMs: 45_000 }), startApp(env, { timeoutMs: 45_000 })]);
    try {
      const versions = vault.secrets.get('leads-api-key') ?? [];
      const key = versions.at(-1)!.value;
      const input = referral({ name: 'Seen by both' });
      expect((await postJson(`${first.url}/api/leads`, input, { authorization: `Bearer ${key}` })).status).toBe(201);
      expect((await getJson(`${second.url}/api/leads/${input.id}`, { authorization: `Bearer ${key}` })).status).toBe(200);
      // Made once, in the first test: the later starts read it.
      expect(versions).toHaveLength(1);
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
  });
});
