/** Opens storage: the configured Azure Tables account, or an embedded Azurite when none is set. */
import type * as Embedded from './embeddedAzurite';
import type { Logger } from '../logger';
import { checkLayout, ensureTables, openTables, type Tables } from './tables';

export interface Storage {
  tables: Tables;
  connectionString: string;
  kind: 'azure' | 'embedded';
  close(): Promise<void>;
}

export async function openStorage(options: {
  connectionString?: string;
  dataDir: string;
  tablePrefix?: string;
  inMemory?: boolean;
  log: Logger;
}): Promise<Storage> {
  if (options.connectionString) {
    const tables = openTables(options.connectionString, options.tablePrefix);
    await ensureTables(tables);
    await checkLayout(tables, 'TABLE_PREFIX');
    const endpoint = /TableEndpoint=([^;]+)/i.exec(options.connectionString)?.[1] ?? /AccountName=([^;]+)/i.exec(options.connectionString)?.[1];
    options.log.info({ endpoint }, 'storage: Azure Tables from AZURE_TABLES_CONNECTION_STRING');
    return { tables, connectionString: options.connectionString, kind: 'azure', close: async () => undefined };
  }
  // Loaded only when used: Azurite's code is most of the start-up time and memory otherwise.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startEmbeddedAzurite } = require('./embeddedAzurite') as typeof Embedded;
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
  return { tables, connectionString: azurite.connectionString, kind: 'embedded', close: () => azurite.close() };
}
