import { Writable } from 'node:stream';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { configSchema, loadConfig, summarizeConfig } from '../../../services/app/config';
import { ConfigError } from '../../../services/errors';
import { createLogger } from '../../../services/logger';

const APP_ID = '11111111-2222-4333-8444-555555555555';
const TENANT = '99999999-2222-4333-8444-555555555555';

function errorOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  return 'no error';
}

/** The settings `.env.sample` documents, as written there. */
function sampleSettings(): Record<string, string> {
  const text = readFileSync(path.join(__dirname, '../../../.env.sample'), 'utf8');
  const lines = text.split('\n').map((line) => /^([A-Za-z_]+)=(.*)$/.exec(line));
  return Object.fromEntries(lines.flatMap((match) => (match ? [[match[1]!, match[2]!] as const] : [])));
}

/** Settings .env.sample documents that the app does not read: the app package's (npm run package). */
const PACKAGE_SETTINGS = ['BOT_DOMAIN', 'APP_VERSION', 'APP_DEVELOPER_NAME', 'APP_WEBSITE_URL', 'APP_PRIVACY_URL', 'APP_TERMS_URL'];

describe('settings', () => {
  it('.env.sample documents exactly what the app reads (and the package settings), and starts as written', () => {
    const sample = sampleSettings();
    expect(Object.keys(sample).filter((name) => !PACKAGE_SETTINGS.includes(name)).sort()).toEqual(
      // Two tuning knobs left to the README.
      Object.keys(configSchema.shape).filter((name) => !['SEND_PER_30_SECONDS_PER_CONVERSATION', 'LEASE_SECONDS'].includes(name)).sort(),
    );
    expect(() => loadConfig(sample)).not.toThrow();
  });

  it('names a Key Vault reference App Service could not resolve, instead of taking it as the value', () => {
    const message = errorOf({ PARTNER_CENTER_CLIENT_SECRET: '@Microsoft.KeyVault(VaultName=leads-kv;SecretName=partner-center-client-secret)' });
    expect(message).toContain('PARTNER_CENTER_CLIENT_SECRET: is a Key Vault reference App Service could not resolve (@Microsoft.KeyVault(VaultName=leads-kv;');
  });

  it('refuses the embedded storage on App Service, where instances would each have their own disk', () => {
    const onAppService = { MicrosoftAppId: APP_ID, MicrosoftAppType: 'UserAssignedMSI', MicrosoftAppTenantId: TENANT, KEY_VAULT_URL: 'https://leads-kv.vault.azure.net', WEBSITE_SITE_NAME: 'leads-web' };
    expect(errorOf(onAppService)).toContain('AZURE_TABLES_ENDPOINT: is required on App Service');
    expect(errorOf({ ...onAppService, AZURE_TABLES_ENDPOINT: 'https://leads.table.core.windows.net/' })).toBe('no error');
  });

  it('has working defaults for development', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ PORT: 3978, DATA_DIR: '.data', LEAD_RESPONSE_DAYS: 14, production: false, REMINDER_HOURS_BEFORE_EXPIRY: [72, 24], FLAME_WINDOW_HOURS: 72 });
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ LEAD_RESPONSE_DAYS: '0' }, 'LEAD_RESPONSE_DAYS'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ LEAD_ADMIN_IDS: 'dana@contoso.com' }, 'LEAD_ADMIN_IDS'],
    [{ MicrosoftAppId: 'my-bot' }, 'MicrosoftAppId'],
    [{ REMINDER_HOURS_BEFORE_EXPIRY: '72,soon' }, 'REMINDER_HOURS_BEFORE_EXPIRY'],
    [{ TABLE_PREFIX: 'bad-prefix' }, 'TABLE_PREFIX'],
    [{ LEADS_API_KEY: 'short' }, 'LEADS_API_KEY'],
  ])('stops start-up on %o, naming the variable', (env, name) => {
    expect(errorOf(env)).toContain(`${name}:`);
  });

  it('refuses production without the API key and the app password', () => {
    const message = errorOf({ MicrosoftAppId: APP_ID });
    expect(message).toContain('LEADS_API_KEY: is required in production');
    expect(message).toContain('MicrosoftAppPassword: is required');
  });

  it('needs a tenant id for a single-tenant bot', () => {
    expect(errorOf({ MicrosoftAppId: APP_ID, MicrosoftAppType: 'SingleTenant', MicrosoftAppPassword: 'pw', LEADS_API_KEY: 'k'.repeat(20), AZURE_TABLES_ENDPOINT: 'https://leads.table.core.windows.net' })).toContain('MicrosoftAppTenantId');
  });

  it('keeps a production bot to its own tenant unless others are listed', () => {
    const single = loadConfig({ MicrosoftAppId: APP_ID, MicrosoftAppType: 'SingleTenant', MicrosoftAppTenantId: TENANT, MicrosoftAppPassword: 'pw', LEADS_API_KEY: 'k'.repeat(20), AZURE_TABLES_ENDPOINT: 'https://leads.table.core.windows.net' });
    expect(single.ALLOWED_TENANT_IDS).toEqual([TENANT]);
    expect(errorOf({ MicrosoftAppId: APP_ID, MicrosoftAppPassword: 'pw', LEADS_API_KEY: 'k'.repeat(20), AZURE_TABLES_ENDPOINT: 'https://leads.table.core.windows.net' })).toContain('ALLOWED_TENANT_IDS: is required in production');
    expect(loadConfig({}).ALLOWED_TENANT_IDS).toEqual([]);
  });

  it('starts production with everything it needs', () => {
    const config = loadConfig({ MicrosoftAppId: APP_ID, MicrosoftAppType: 'SingleTenant', MicrosoftAppTenantId: TENANT, MicrosoftAppPassword: 'pw', LEADS_API_KEY: 'k'.repeat(20), AZURE_TABLES_ENDPOINT: 'https://leads.table.core.windows.net' });
    expect(config.production).toBe(true);
  });

  it('never puts a secret in the start-up summary or the log', () => {
    const secrets = { MicrosoftAppPassword: 'super-secret-password', LEADS_API_KEY: 'api-key-that-is-secret', AZURE_TABLES_CONNECTION_STRING: 'AccountKey=topsecretkey' };
    const config = loadConfig({ MicrosoftAppId: APP_ID, ALLOWED_TENANT_IDS: TENANT, ...secrets });
    let written = '';
    const sink = new Writable({ write: (chunk, _enc, done) => ((written += String(chunk)), done()) });
    createLogger('info', { destination: sink }).info({ config, summary: summarizeConfig(config) }, 'starting');
    for (const secret of Object.values(secrets)) expect(written).not.toContain(secret);
    expect(written).toContain('"leadsApiKey":"set"');
  });
});
