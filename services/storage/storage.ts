/**
 * Opens storage: the configured Azure Tables account (by connection string, or by endpoint with the
 * app's Azure identity), or an embedded Azurite when none is set.
 */
import { azureCredential } from '../azureIdentity';
import { ConfigError } from '../errors';
import type * as Embedded from './embeddedAzurite';
import type { Logger } from '../logger';
import { checkLayout, ensureTables, openTables, pinger, type TableAccount, type Tables } from './tables';

export interface Storage {
  tables: Tables;
  kind: 'azure' | 'embedded';
  /** Whether storage answers now (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Loaded only when used: Azurite's code is most of the start-up time and memory otherwise, and it is
 * an optional dependency, left out of what is deployed to Azure (npm run stage:azure).
 */
function embeddedAzurite(): typeof Embedded {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('./embeddedAzurite') as typeof Embedded;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw error;
    throw new ConfigError([
      {
        path: 'AZURE_TABLES_ENDPOINT',
        message: 'is not set (nor AZURE_TABLES_CONNECTION_STRING), and the embedded storage is not installed here (the optional npm package azurite): set one, or run npm install',
      },
    ]);
  }
}

export async function openStorage(options: {
  connectionString?: string;
  /** An Azure Tables endpoint reached with the app's Azure identity (its managed identity), when no connection string is set. */
  endpoint?: string;
  dataDir: string;
  tablePrefix?: string;
  inMemory?: boolean;
  log: Logger;
}): Promise<Storage> {
  const account: TableAccount | undefined = options.connectionString
    ? { connectionString: options.connectionString }
    : options.endpoint
      ? { endpoint: options.endpoint, credential: azureCredential() }
      : undefined;
  if (account) {
    const tables = openTables(account, options.tablePrefix);
    await ensureTables(tables);
    await checkLayout(tables, 'TABLE_PREFIX');
    const shown = 'endpoint' in account ? account.endpoint : (/TableEndpoint=([^;]+)/i.exec(account.connectionString)?.[1] ?? /AccountName=([^;]+)/i.exec(account.connectionString)?.[1]);
    options.log.info({ endpoint: shown }, 'endpoint' in account ? "storage: Azure Tables at AZURE_TABLES_ENDPOINT, with the app's Azure identity" : 'storage: Azure Tables from AZURE_TABLES_CONNECTION_STRING');
    return { tables, kind: 'azure', ping: pinger(account), close: async () => undefined };
  }
  const { startEmbeddedAzurite } = embeddedAzurite();
  const azurite = await startEmbeddedAzurite({ dataDir: options.dataDir, inMemory: options.inMemory });
  const tables = openTables(azurite.connectionString, options.tablePrefix);
  try {
    await ensureTables(tables);
    await checkLayout(tables, 'DATA_DIR');
  } catch (error) {
    await azurite.close();
    throw error;
  }
  options.log.info(
    { endpoint: azurite.endpoint, dataDir: options.inMemory ? '(memory)' : options.dataDir },
    'storage: embedded Azurite (no AZURE_TABLES_CONNECTION_STRING set)',
  );
  return { tables, kind: 'embedded', ping: pinger({ connectionString: azurite.connectionString }), close: () => azurite.close() };
}
