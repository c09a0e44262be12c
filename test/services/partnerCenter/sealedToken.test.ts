/**
 * The Referrals admin's refresh token, sealed at rest: AES-256-GCM under PARTNER_CENTER_TOKEN_KEY,
 * or in Azure Key Vault (KEY_VAULT_URL, reached with the app's managed identity), never in plain
 * text in storage; a token an earlier release stored in plain text is sealed at the next start; a
 * new PARTNER_CENTER_REFRESH_TOKEN is taken, even over an earlier connect sign-in.
 */
import { loadConfig } from '../../../services/app/config';
import { digest } from '../../../services/partnerCenter/syncStore';
import { connect } from '../../../scripts/partnerCenterConnect';
import { referral } from '../../fixtures/referrals';
import { makeApp } from '../../support/app';
import { FakeKeyVault, FakeManagedIdentity } from '../../support/fakeAzure';
import { syncWorldsOnOneStorage, type syncWorld } from '../../support/partnerCenterWorld';

type World = Awaited<ReturnType<typeof syncWorld>>;
const worlds = syncWorldsOnOneStorage();

/** The connection row exactly as storage holds it. */
const storedRow = async (world: World) => JSON.stringify(await world.tables.PartnerCenter.getEntity('connection', 'refreshToken'));

// The managed identity endpoint is read once per process by the Azure SDK: set before any token is asked for.
const identity = new FakeManagedIdentity();
const vault = new FakeKeyVault();
const saved: Record<string, string | undefined> = {};
beforeAll(async () => {
  await Promise.all([identity.start(), vault.start()]);
  for (const [name, value] of Object.entries(identity.env())) {
    saved[name] = process.env[name];
    process.env[name] = value;
  }
});
afterAll(async () => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await Promise.all([identity.stop(), vault.stop()]);
});

describe('the refresh token at rest', () => {
  it('is sealed with AES-256-GCM under PARTNER_CENTER_TOKEN_KEY: storage holds no token, every rotation sealed anew', async () => {
    const world = await worlds.world();
    world.partnerCenter.create(referral());
    await world.pull();
    const stored = await world.syncStore().connection();
    expect(stored?.refreshToken).toBeDefined();
    const row = await storedRow(world);
    for (const token of [world.bootstrap!, stored!.refreshToken, ...world.identity.issued()]) expect(row).not.toContain(token);
    expect(row).toMatch(/"sealed":"aes256gcm:v1:/);
    // Another key cannot open it: the app says which setting, without the token.
    const other = makeApp(world.tables, { env: { ...world.env, PARTNER_CENTER_REFRESH_TOKEN: '', PARTNER_CENTER_TOKEN_KEY: Buffer.alloc(32, 7).toString('base64') }, clock: world.clock, gateway: world.gateway });
    // It still starts: Teams and the leads API do not need the token, and the sync says what to set.
    await expect(other.prepare()).resolves.toBeDefined();
    expect(await other.partnerCenter!.connected()).toBe(true);
    await other.partnerCenter!.poll();
    expect(await other.syncStatus()).toMatchObject({ broken: 'refused', lastError: expect.stringContaining('PARTNER_CENTER_TOKEN_KEY') });
    await other.stop();
    // A new PARTNER_CENTER_REFRESH_TOKEN mends it without the old key: the token that cannot be opened is not needed.
    const fresh = world.identity.issueRefreshToken();
    world.clock.advance(60_000);
    const mended = makeApp(world.tables, { env: { ...world.env, PARTNER_CENTER_REFRESH_TOKEN: fresh, PARTNER_CENTER_TOKEN_KEY: Buffer.alloc(32, 7).toString('base64') }, clock: world.clock, gateway: world.gateway });
    await mended.partnerCenter!.poll();
    expect(world.identity.grants('refresh_token').at(-1)?.refreshToken).toBe(fresh);
    expect(await mended.syncStatus()).not.toHaveProperty('broken');
    await mended.stop();
  });

  it('seals a token an earlier release stored in plain text, at the next start, and goes on with it', async () => {
    const world = await worlds.world({ bootstrap: 'none' });
    const token = world.identity.issueRefreshToken();
    await world.tables.PartnerCenter.createEntity({ partitionKey: 'connection', rowKey: 'refreshToken', refreshToken: token, clientType: 'confidential', origin: 'connect', savedAt: new Date().toISOString() });
    await world.app.prepare();
    const row = await storedRow(world);
    expect(row).not.toContain(token);
    expect(Object.keys(JSON.parse(row) as object)).not.toContain('refreshToken');
    world.partnerCenter.create(referral({ name: 'After sealing' }));
    await world.pull();
    expect(await world.app.syncStatus()).toMatchObject({ lastPullAt: expect.any(String) });
    expect(await world.app.syncStatus()).not.toHaveProperty('broken');
  });

  it('takes a new PARTNER_CENTER_REFRESH_TOKEN even over an earlier connect sign-in, and not the value it held then', async () => {
    const world = await worlds.world();
    const env = { ...world.env, AZURE_TABLES_CONNECTION_STRING: worlds.storage().connectionString, TABLE_PREFIX: world.tablePrefix };
    await connect(env, { say: () => undefined, sleep: async () => undefined });
    expect(await world.syncStore().connection()).toMatchObject({ origin: 'connect', settingDigest: digest(world.bootstrap!) });
    // The setting still holds the value it held at connect: the sign-in stands.
    const same = makeApp(world.tables, { env: world.env, clock: world.clock, gateway: world.gateway, instanceId: 'same' });
    await same.partnerCenter!.poll();
    expect(world.identity.grants('refresh_token').at(-1)?.refreshToken).not.toBe(world.bootstrap);
    await same.stop();
    // The operator puts a new one there: it is taken.
    const fresh = world.identity.issueRefreshToken();
    const changed = makeApp(world.tables, { env: { ...world.env, PARTNER_CENTER_REFRESH_TOKEN: fresh }, clock: world.clock, gateway: world.gateway, instanceId: 'changed' });
    await changed.partnerCenter!.poll();
    expect(world.identity.grants('refresh_token').at(-1)?.refreshToken).toBe(fresh);
    expect(await world.syncStore().connection()).toMatchObject({ origin: 'setting', settingDigest: digest(fresh) });
    await changed.stop();
  });

  it('connect refuses to seal a sign-in into Azure Table Storage under a key made up on this machine, and keeps the setting the app last saw', async () => {
    const world = await worlds.world();
    const azure: Record<string, string> = { ...world.env, AZURE_TABLES_CONNECTION_STRING: worlds.storage().connectionString, TABLE_PREFIX: world.tablePrefix };
    const { PARTNER_CENTER_TOKEN_KEY: _key, ...keyless } = azure;
    await expect(connect(keyless, { say: () => undefined, sleep: async () => undefined })).rejects.toThrow(/PARTNER_CENTER_TOKEN_KEY: must be set/);

    // The app's sign-in was stored from its setting; the operator's .env holds another, older value.
    world.partnerCenter.create(referral());
    await world.pull();
    await connect({ ...azure, PARTNER_CENTER_REFRESH_TOKEN: 'an-old-value-in-a-local-env' }, { say: () => undefined, sleep: async () => undefined });
    expect(await world.syncStore().connection()).toMatchObject({ origin: 'connect', settingDigest: digest(world.bootstrap!) });
    // The app, with its own setting, keeps the fresh sign-in.
    const app = makeApp(world.tables, { env: world.env, clock: world.clock, gateway: world.gateway, instanceId: 'after-connect' });
    await app.partnerCenter!.poll();
    expect(world.identity.grants('refresh_token').at(-1)?.refreshToken).not.toBe(world.bootstrap);
    expect(await world.syncStore().connection()).toMatchObject({ origin: 'connect' });
    await app.stop();
  });

  it('is kept in Azure Key Vault with KEY_VAULT_URL, reached with the managed identity: storage names only the secret version', async () => {
    const world = await worlds.world({ env: { KEY_VAULT_URL: vault.url } });
    world.partnerCenter.create(referral());
    await world.pull();
    const [name, versions = []] = [...vault.secrets.entries()][0] ?? [];
    expect(name).toMatch(/^partner-center-refresh-token/);
    expect(versions.length).toBeGreaterThan(0);
    const row = await storedRow(world);
    expect(row).toContain(`"sealed":"keyvault:v1:${name}/${versions.at(-1)?.version}"`);
    for (const version of versions) expect(row).not.toContain(version.value);
    // The vault asked for a token first (its challenge), which the managed identity gave, for Key Vault.
    expect(vault.requests.some((r) => !r.authorized)).toBe(true);
    expect(identity.requests.map((r) => r.resource)).toContain('https://vault.azure.net');
    // A rotation writes a new secret version; a restarted app opens the newest.
    const restarted = makeApp(world.tables, { env: world.env, clock: world.clock, gateway: world.gateway, instanceId: 'restarted' });
    world.partnerCenter.create(referral());
    await restarted.partnerCenter!.poll();
    expect(await restarted.syncStatus()).not.toHaveProperty('broken');
    expect(vault.secrets.get(name!)!.length).toBeGreaterThan(versions.length);
    await restarted.stop();
  });
});

describe('production', () => {
  const production = { MicrosoftAppId: '11111111-2222-4333-8444-555555555555', MicrosoftAppType: 'SingleTenant', MicrosoftAppTenantId: '11111111-2222-4333-8444-555555555555', MicrosoftAppPassword: 'x', LEADS_API_KEY: 'k'.repeat(32), AZURE_TABLES_ENDPOINT: 'https://leads.table.core.windows.net' };
  const sync = { PARTNER_CENTER_TENANT_ID: 'contoso.onmicrosoft.com', PARTNER_CENTER_CLIENT_ID: '11111111-2222-4333-8444-555555555556', PARTNER_CENTER_CLIENT_SECRET: 's' };

  it('refuses to start with the sync on and nowhere to seal its token, naming the setting', () => {
    expect(() => loadConfig({ ...production, ...sync })).toThrow(/PARTNER_CENTER_TOKEN_KEY: is required in production with the Partner Center sync on/);
    expect(() => loadConfig({ ...production, ...sync, PARTNER_CENTER_TOKEN_KEY: Buffer.alloc(32, 1).toString('base64') })).not.toThrow();
    expect(() => loadConfig({ ...production, ...sync, KEY_VAULT_URL: 'https://leads.vault.azure.net' })).not.toThrow();
    expect(() => loadConfig(production)).not.toThrow();
  });
});
