/** Start-up: settings → storage → the product → its two edges (HTTP, Teams), and a graceful stop. */
import { createServer, listen, type HttpServer } from './http/server';
import { loadConfig, summarizeConfig, type Config } from './services/app/config';
import { briefly, ConfigError } from './services/errors';
import { LeadsApp } from './services/app/leadsApp';
import { createLogger, type Logger } from './services/logger';
import { openStorage, type Storage } from './services/storage/storage';
import { leadsApiKeyFromVault } from './services/app/leadsApiKey';
import { secretClient } from './services/keyVault';
import { createTeamsEndpoint } from './teams/teamsEndpoint';
import { stopTelemetry } from './telemetry';

export interface Running {
  port: number;
  app: LeadsApp;
  server: HttpServer;
  storage: Storage;
  stop(): Promise<void>;
}

export async function start(config: Config, log: Logger, options: { inMemory?: boolean; now?: () => Date } = {}): Promise<Running> {
  log.info(summarizeConfig(config), 'starting Partner Leads');
  if (!config.production) {
    log.warn('DEVELOPMENT MODE: MicrosoftAppId is not set, so Bot Framework authentication is OFF and every request to /api/messages is accepted. Never expose this to the internet.');
    if (!config.LEADS_API_KEY) log.warn('LEADS_API_KEY is not set: the leads API accepts callers on this machine only.');
  }
  const storage = await openStorage({
    connectionString: config.AZURE_TABLES_CONNECTION_STRING,
    endpoint: config.AZURE_TABLES_ENDPOINT,
    dataDir: config.DATA_DIR,
    tablePrefix: config.TABLE_PREFIX,
    inMemory: options.inMemory,
    log,
  });
  let app: LeadsApp;
  let apiKey = config.LEADS_API_KEY;
  try {
    app = new LeadsApp({ tables: storage.tables, settings: config, log, now: options.now, ready: () => storage.ping() });
    // Without LEADS_API_KEY, the key is kept in Key Vault (made at the first start).
    if (!apiKey && config.KEY_VAULT_URL) {
      const vault = config.KEY_VAULT_URL;
      apiKey = await leadsApiKeyFromVault({ vault: secretClient(vault), leases: storage.tables.Leases, instanceId: app.instanceId, log }).catch((error: unknown) => {
        throw new ConfigError([
          { path: 'LEADS_API_KEY', message: `is not set, and Key Vault ${vault} did not give it (${briefly(error)}): the app's identity needs Key Vault Secrets Officer on the vault, or set LEADS_API_KEY` },
        ]);
      });
    }
    // Leads stored by an earlier version get the lists and sums this one keeps, before anything runs.
    await app.prepare();
    if (app.partnerCenter && !(await app.partnerCenter.connected())) {
      throw new ConfigError([
        { path: 'PARTNER_CENTER_REFRESH_TOKEN', message: 'is not set, and no Partner Center sign-in is stored: run npm run partner-center:connect (a Referrals admin signs in), or set it' },
      ]);
    }
  } catch (error) {
    await storage.close();
    throw error;
  }
  let stopping: Promise<void> | undefined;
  const server = createServer({
    stopping: () => stopping !== undefined,
    product: app.product,
    apiKey,
    log: log.child({ module: 'http' }),
    teams: createTeamsEndpoint(app.product, config, log.child({ module: 'teams' })),
  });
  const port = await listen(server, config.PORT, log, config.production ? '0.0.0.0' : '127.0.0.1');
  app.start();

  const stop = () =>
    (stopping ??= (async () => {
      log.info('stopping');
      // Requests in flight finish (and are acknowledged); idle connections close now, busy ones after their answer.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.server.closeIdleConnections();
      await closed;
      await app.stop();
      await storage.close();
      log.info('stopped');
    })());
  return { port, app, server, storage, stop };
}

/** Runs the app until it is stopped; index.ts has read .env (and started telemetry) first. */
export async function main(): Promise<void> {
  let running: Running;
  let log: Logger;
  try {
    const config = loadConfig();
    log = createLogger(config.LOG_LEVEL);
    running = await start(config, log);
  } catch (error) {
    // A bad setting, or storage the settings point to that this version cannot use.
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\nSee .env.sample for every setting.\n`);
      process.exit(1);
    }
    throw error;
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      running.stop().then(
        // What telemetry holds is flushed last (three seconds at most): App Service waits about five after SIGTERM.
        () => stopTelemetry().then(() => process.exit(0)),
        (error: unknown) => {
          log.error({ err: error }, 'stop failed');
          process.exit(1);
        },
      );
    });
  }
}
