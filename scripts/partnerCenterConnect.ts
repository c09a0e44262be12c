/**
 * `npm run partner-center:connect`: a Referrals admin signs in once with a device code, and the
 * refresh token goes straight into the product's storage, where every instance of the app reads it
 * (and replaces it as it rotates). Nobody copies a token by hand. A running app picks the new
 * sign-in up at its next token refresh: a broken connection mends itself within a minute or so.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { loadConfig, partnerCenterConfigured } from '../services/app/config';
import { briefly, ConfigError } from '../services/errors';
import { secretClient } from '../services/keyVault';
import { createLogger } from '../services/logger';
import { signInWithDeviceCode } from '../services/partnerCenter/connection/deviceCodeSignIn';
import { PartnerCenterError } from '../services/partnerCenter/connection/partnerCenterErrors';
import { tokenVaultOf } from '../services/partnerCenter/connection/tokenVault';
import { digest, SyncStore } from '../services/partnerCenter/syncStore';
import { openStorage } from '../services/storage/storage';

export interface ConnectIo {
  say: (line: string) => void;
  sleep?: (ms: number) => Promise<void>;
}

/** The Key Vault secret holding the Partner Center app registration's client secret (infra/azure.bicep names it too). */
export const CLIENT_SECRET_SECRET = 'partner-center-client-secret';

/**
 * Signs in and stores the sign-in; returns the account that signed in. Against Azure (the
 * deployment's AZURE_TABLES_ENDPOINT and KEY_VAULT_URL, with the operator's own Azure sign-in), the
 * client secret is read from Key Vault when it is not set here: nobody copies it.
 */
export async function connect(env: NodeJS.ProcessEnv, io: ConnectIo): Promise<string | undefined> {
  const vaultUrl = env.KEY_VAULT_URL?.trim();
  if (vaultUrl && !env.PARTNER_CENTER_CLIENT_SECRET?.trim() && env.PARTNER_CENTER_CLIENT_ID?.trim()) {
    const secret = await secretClient(vaultUrl)
      .getSecret(CLIENT_SECRET_SECRET)
      .catch((error: unknown) => {
        throw new ConfigError([{ path: 'PARTNER_CENTER_CLIENT_SECRET', message: `is not set, and Key Vault ${vaultUrl} did not give ${CLIENT_SECRET_SECRET} (${briefly(error)})` }]);
      });
    env = { ...env, PARTNER_CENTER_CLIENT_SECRET: secret.value };
  }
  const config = loadConfig(env);
  if (!partnerCenterConfigured(config)) {
    throw new ConfigError([
      { path: 'PARTNER_CENTER_TENANT_ID', message: 'with PARTNER_CENTER_CLIENT_ID and PARTNER_CENTER_CLIENT_SECRET must be set first (README: Partner Center, step by step)' },
    ]);
  }
  const settings = {
    authorityHost: config.PARTNER_CENTER_AUTHORITY_HOST,
    tenantId: config.PARTNER_CENTER_TENANT_ID!,
    clientId: config.PARTNER_CENTER_CLIENT_ID!,
    clientSecret: config.PARTNER_CENTER_CLIENT_SECRET!,
  };
  // A key made up on this machine would seal the production sign-in where production cannot open it.
  if ((config.AZURE_TABLES_CONNECTION_STRING || config.AZURE_TABLES_ENDPOINT) && !config.PARTNER_CENTER_TOKEN_KEY && !config.KEY_VAULT_URL) {
    throw new ConfigError([
      {
        path: 'PARTNER_CENTER_TOKEN_KEY',
        message: "must be set (the app's own, from its settings) or KEY_VAULT_URL, to store a sign-in in Azure Table Storage: sealed under a key made up on this machine, the app could not open it",
      },
    ]);
  }
  // Storage first: a DATA_DIR in use by the running app is refused before anyone signs in for nothing.
  const storage = await openStorage({
    connectionString: config.AZURE_TABLES_CONNECTION_STRING,
    endpoint: config.AZURE_TABLES_ENDPOINT,
    dataDir: config.DATA_DIR,
    tablePrefix: config.TABLE_PREFIX,
    log: createLogger('warn'),
  });
  try {
    io.say(`Sign in as a Referrals admin of your Partner Center account (tenant ${settings.tenantId}).`);
    const signedIn = await signInWithDeviceCode(settings, { say: io.say, sleep: io.sleep });
    const vault = tokenVaultOf({ keyVaultUrl: config.KEY_VAULT_URL, tokenKey: config.PARTNER_CENTER_TOKEN_KEY, tablePrefix: config.TABLE_PREFIX, dataDir: config.DATA_DIR });
    // The setting's value the app last saw is recorded with the sign-in (this machine's .env may hold
    // another): only a value set after it is taken instead.
    const store = new SyncStore(storage.tables.PartnerCenter, vault);
    const known = await store.storedConnection();
    const settingDigest = known ? known.settingDigest : config.PARTNER_CENTER_REFRESH_TOKEN ? digest(config.PARTNER_CENTER_REFRESH_TOKEN) : undefined;
    await store.saveConnection(
      { refreshToken: signedIn.refreshToken, clientType: signedIn.clientType, origin: 'connect', account: signedIn.account, settingDigest },
      new Date(),
    );
    io.say(
      `Connected${signedIn.account ? ` as ${signedIn.account}` : ''}. The sign-in is stored, sealed (${vault.kind === 'keyVault' ? 'in Key Vault' : 'AES-256-GCM'}), in ${storage.kind === 'embedded' ? `the embedded storage (${config.DATA_DIR})` : 'Azure Table Storage'}; ` +
        'a running app uses it from its next token refresh, and every start from now on.',
    );
    return signedIn.account;
  } finally {
    await storage.close();
  }
}

/**
 * The settings of an Agents Toolkit environment (`-- --env dev`: env/.env.dev, where provision wrote
 * AZURE_TABLES_ENDPOINT and KEY_VAULT_URL), under what the shell sets; "none" there means not given.
 */
export function toolkitEnvironment(name: string, shell: NodeJS.ProcessEnv, root = '.'): NodeJS.ProcessEnv {
  const file = path.join(root, 'env', `.env.${name}`);
  if (!/^[\w-]+$/.test(name) || !existsSync(file)) throw new ConfigError([{ path: '--env', message: `${name}: there is no ${file}` }]);
  const values = Object.entries(parseEnv(readFileSync(file, 'utf8'))).filter((entry): entry is [string, string] => Boolean(entry[1]?.trim()) && entry[1] !== 'none');
  return { ...Object.fromEntries(values), ...shell };
}

async function main(): Promise<void> {
  const envName = process.argv[process.argv.indexOf('--env') + 1];
  if (process.argv.includes('--env') && envName) Object.assign(process.env, toolkitEnvironment(envName, process.env));
  else if (existsSync('.env')) process.loadEnvFile('.env');
  try {
    await connect(process.env, { say: (line) => process.stdout.write(`${line}\n`) });
  } catch (error) {
    if (error instanceof ConfigError || error instanceof PartnerCenterError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`partner-center:connect failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
