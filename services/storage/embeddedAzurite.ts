/**
 * Runs Azurite's Table service inside this process (npm `azurite`), so `npm start` needs no
 * Azure account. On disk in DATA_DIR for the app, in memory for tests. Azurite saves to disk
 * every few seconds: `close()` flushes, so a graceful stop loses nothing.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { ConfigError } from '../errors';
import Module from 'node:module';
import path from 'node:path';

// Azurite's telemetry module loads Application Insights, and with it OpenTelemetry, the moment it
// is first required: about 0.7 s of start-up and tens of MiB, although with telemetry off nothing
// uses it. The embedded server never reports telemetry, so that module gets an inert stand-in.
const appInsights = require.resolve('applicationinsights', { paths: [path.dirname(require.resolve('azurite/dist/src/common/Telemetry'))] });
if (!require.cache[appInsights]) {
  const inert = new Module(appInsights);
  inert.loaded = true;
  require.cache[appInsights] = inert;
}

// Azurite's in-process server is not part of its public typings.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const TableServer = require('azurite/dist/src/table/TableServer').default as new (config: unknown) => AzuriteServer;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const TableConfiguration = require('azurite/dist/src/table/TableConfiguration').default as new (
  ...args: unknown[]
) => unknown;

// Azurite's CLI reports usage telemetry unless told not to. In-process nothing initialises it;
// switching it off here keeps it off whatever a later Azurite version does by default.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { AzuriteTelemetryClient } = require('azurite/dist/src/common/Telemetry') as { AzuriteTelemetryClient: { enableTelemetry: boolean } };
AzuriteTelemetryClient.enableTelemetry = false;

interface AzuriteServer {
  start(): Promise<void>;
  close(): Promise<void>;
  clean(): Promise<void>;
  getHttpServerAddress(): string;
}

export const DEV_ACCOUNT = 'devstoreaccount1';
export const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** The connection string of an Azurite Table service at `endpoint` (http://host:port), dev account. */
export const azuriteConnectionString = (endpoint: string): string =>
  `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};TableEndpoint=${endpoint}/${DEV_ACCOUNT};`;

export interface EmbeddedAzurite {
  connectionString: string;
  endpoint: string;
  close(): Promise<void>;
}

export async function startEmbeddedAzurite(options: { dataDir?: string; inMemory?: boolean; port?: number }): Promise<EmbeddedAzurite> {
  const inMemory = options.inMemory ?? !options.dataDir;
  let dbPath = '';
  let unlock = () => undefined as void;
  if (!inMemory) {
    const dir = path.resolve(options.dataDir ?? '.data');
    mkdirSync(dir, { recursive: true });
    unlock = lockDataDir(dir);
    dbPath = path.join(dir, '__azurite_db_table__.json');
  }
  const config = new TableConfiguration(
    '127.0.0.1',
    options.port ?? 0,
    undefined, // keepAliveTimeout
    dbPath,
    false, // enableDebugLog
    false, // enableAccessLog
    undefined, // accessLogWriteStream
    undefined, // debugLogFilePath
    false, // loose
    true, // skipApiVersionCheck: newer SDKs than this Azurite knows are fine
    '',
    '',
    '',
    undefined, // oauth
    false, // disableProductStyleUrl
    inMemory,
  );
  const server = new TableServer(config);
  try {
    await server.start();
  } catch (error) {
    unlock();
    throw error;
  }
  const address = server.getHttpServerAddress();
  let closed = false;
  return {
    endpoint: `${address}/${DEV_ACCOUNT}`,
    connectionString: azuriteConnectionString(address),
    async close() {
      if (closed) return;
      closed = true;
      await server.close();
      unlock();
    },
  };
}

/**
 * One process per DATA_DIR: Azurite keeps the tables in memory and writes them out every few
 * seconds, so a second process on the same files (a second app, or `partner-center:connect` while
 * the app runs) would overwrite the other's writes. A lock file names the holder; one left by a
 * process that no longer runs is taken over.
 */
function lockDataDir(dir: string): () => void {
  const file = path.join(dir, 'partner-leads.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(file, 'utf8').trim());
      if (holder && holder !== process.pid && isRunning(holder)) {
        throw new ConfigError([
          { path: 'DATA_DIR', message: `${dir} is in use by another Partner Leads process (pid ${holder}); stop it first, or point DATA_DIR elsewhere` },
        ]);
      }
      rmSync(file, { force: true });
    }
  }
  throw new ConfigError([{ path: 'DATA_DIR', message: `${dir} could not be locked for this process` }]);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
