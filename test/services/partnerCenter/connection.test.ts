/** The connection: refresh tokens from the identity provider (https, loopback), stored and rotated; the connect command. */
import { loadConfig } from '../../../services/app/config';
import { ConfigError } from '../../../services/errors';
import { createLogger } from '../../../services/logger';
import { connect } from '../../../scripts/partnerCenterConnect';
import { referral } from '../../fixtures/referrals';
import { makeApp } from '../../support/app';
import { startServer } from '../../support/http';
import { syncWorldsOnOneStorage, type syncWorld } from '../../support/partnerCenterWorld';

const worlds = syncWorldsOnOneStorage();

const storedToken = async (world: Awaited<ReturnType<typeof syncWorld>>) => (await world.syncStore().connection())?.refreshToken;

describe('settings', () => {
  it('is off without any PARTNER_CENTER_ connection setting, and says so', async () => {
    const app = makeApp(await worlds.storage().freshTables());
    expect(app.partnerCenter).toBeUndefined();
    expect(await app.syncStatus()).toEqual({ on: false });
  });

  it.each([
    [{ PARTNER_CENTER_TENANT_ID: 'contoso.onmicrosoft.com' }, ['PARTNER_CENTER_CLIENT_ID', 'PARTNER_CENTER_CLIENT_SECRET']],
    [{ PARTNER_CENTER_REFRESH_TOKEN: 'rt' }, ['PARTNER_CENTER_TENANT_ID', 'PARTNER_CENTER_CLIENT_ID', 'PARTNER_CENTER_CLIENT_SECRET']],
  ])('stops start-up when only some are set, naming the missing ones (%o)', (env, missing) => {
    let message = '';
    try {
      loadConfig(env);
    } catch (error) {
      message = (error as ConfigError).message;
    }
    for (const name of missing) expect(message).toContain(`${name}: is required`);
  });

  it.each([
    ['PARTNER_CENTER_API_URL', 'http://api.partner.microsoft.com/v1.0'],
    ['PARTNER_CENTER_AUTHORITY_HOST', 'http://login.microsoftonline.com'],
    ['PARTNER_CENTER_POLL_SECONDS', '0'],
    ['PARTNER_CENTER_WEBHOOK_CERT_URL_PREFIXES', 'http://evil.example/cert/'],
    ['PARTNER_CENTER_WEBHOOK_CERT_URL_PREFIXES', 'https://3psostorageacct.blob.core.windows.net/ce'],
    ['PARTNER_CENTER_ALERT_AFTER_MINUTES', '0'],
    ['PARTNER_CENTER_TOKEN_KEY', Buffer.alloc(16).toString('base64')],
    ['KEY_VAULT_URL', 'http://vault.example'],
  ])('refuses %s=%s', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`${name}:`));
  });

  it('accepts http only for this machine', () => {
    expect(loadConfig({ PARTNER_CENTER_API_URL: 'http://127.0.0.1:8080/v1.0/' }).PARTNER_CENTER_API_URL).toBe('http://127.0.0.1:8080/v1.0');
  });
});

describe('access tokens', () => {
  it('stores every refresh token the identity provider issues, and uses the newest after a restart', async () => {
    const world = await worlds.world();
    world.partnerCenter.create(referral());
    await world.pull();
    const rotated = await storedToken(world);
    expect(rotated).toBeDefined();
    expect(rotated).not.toBe(world.bootstrap);
    // The bootstrap value in the setting ages out; the app lives on what it stored.
    world.identity.revoke(world.bootstrap!);
    await world.app.stop();
    const restarted = makeApp(world.tables, { env: world.env, clock: world.clock, gateway: world.gateway, instanceId: 'after-restart' });
    world.partnerCenter.create(referral());
    await restarted.partnerCenter!.poll();
    expect((await restarted.syncStatus()) as { broken?: string }).not.toHaveProperty('broken');
    expect(world.identity.grants('refresh_token').at(-1)).toMatchObject({ withSecret: true });
    await restarted.stop();
  });

  it('never logs a token or the client secret', async () => {
    const lines: string[] = [];
    const log = createLogger('trace', { destination: { write: (line: string) => void lines.push(line) } });
    const world = await worlds.world();
    const app = makeApp(world.tables, { env: world.env, clock: world.clock, gateway: world.gateway, log });
    world.identity.failNext({ status: 400, error: 'invalid_grant', description: 'AADSTS70000: expired' });
    world.partnerCenter.create(referral());
    await app.partnerCenter!.poll();
    await app.partnerCenter!.poll();
    const text = lines.join('\n');
    expect(text).toContain('invalid_grant');
    for (const secret of [world.bootstrap!, world.identity.clientSecret, ...world.identity.issued()]) expect(text).not.toContain(secret);
    await app.stop();
  });

  it('takes a new refresh token from the setting when the operator puts one there', async () => {
    const world = await worlds.world();
    await world.pull();
    world.identity.revokeAll();
    const fresh = world.identity.issueRefreshToken();
    const app = makeApp(world.tables, { env: { ...world.env, PARTNER_CENTER_REFRESH_TOKEN: fresh }, clock: world.clock, gateway: world.gateway });
    const read = await app.partnerCenter!.poll();
    expect(read.ran).toBe(true);
    expect(await app.syncStatus()).not.toHaveProperty('broken');
    await app.stop();
  });
});

describe('npm run partner-center:connect', () => {
  it('signs a Referrals admin in with a device code and stores the sign-in where the app reads it', async () => {
    const world = await worlds.world({ bootstrap: 'none' });
    const said: string[] = [];
    const env = { ...world.env, AZURE_TABLES_CONNECTION_STRING: worlds.storage().connectionString, TABLE_PREFIX: world.tablePrefix };
    const account = await connect(env, { say: (line) => said.push(line), sleep: async () => undefined });
    expect(account).toBe('ada@partner.example');
    expect(said.join('\n')).toContain('https://microsoft.com/devicelogin');
    expect(said.join('\n')).toContain('FAKE-CODE');
    // The app, started with no PARTNER_CENTER_REFRESH_TOKEN, works on the stored sign-in.
    world.partnerCenter.create(referral({ name: 'After connect' }));
    await world.pull();
    expect(world.gateway.of('leadCard', 'post')).toHaveLength(2);
    // Redeemed as it was issued: with the client secret.
    expect(world.identity.grants('refresh_token').every((g) => g.withSecret)).toBe(true);
  });

  it('redeems a sign-in the identity provider made as a public client without the secret', async () => {
    const world = await worlds.world({ bootstrap: 'none' });
    // This registration allows public client flows: a secret on a device sign-in is refused (AADSTS700025).
    world.identity.deviceCodeClient = 'public';
    const env = { ...world.env, AZURE_TABLES_CONNECTION_STRING: worlds.storage().connectionString, TABLE_PREFIX: world.tablePrefix };
    await connect(env, { say: () => undefined, sleep: async () => undefined });
    expect((await world.syncStore().connection())?.clientType).toBe('public');
    world.partnerCenter.create(referral());
    await world.pull();
    expect(world.identity.grants('refresh_token').at(-1)).toMatchObject({ withSecret: false });
    expect(world.gateway.of('leadCard', 'post')).toHaveLength(2);
  });

  it('stops start-up when the sync is configured but no sign-in is set or stored, saying what to run', async () => {
    const world = await worlds.world({ bootstrap: 'none' });
    await expect(startServer(worlds.storage(), world.env)).rejects.toThrow(/PARTNER_CENTER_REFRESH_TOKEN: is not set, and no Partner Center sign-in is stored: run npm run partner-center:connect/);
  });
});
