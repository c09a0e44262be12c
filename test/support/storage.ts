/** A real Table service for tests: Azurite in memory, started in-process on a free port. */
import { startEmbeddedAzurite, type EmbeddedAzurite } from '../../services/storage/embeddedAzurite';
import { ensureTables, openTables, type Tables } from '../../services/storage/tables';

export interface TestStorage {
  azurite: EmbeddedAzurite;
  connectionString: string;
  /** Fresh tables under a new prefix: tests in one file do not see each other's rows. */
  freshTables(): Promise<Tables>;
  /** The same, with the prefix (for settings that name it). */
  fresh(): Promise<{ tables: Tables; prefix: string }>;
  close(): Promise<void>;
}

let counter = 0;

export async function startTestStorage(): Promise<TestStorage> {
  const azurite = await startEmbeddedAzurite({ inMemory: true });
  const fresh = async () => {
    const prefix = `t${process.pid}x${++counter}`;
    const tables = openTables(azurite.connectionString, prefix);
    await ensureTables(tables);
    return { tables, prefix };
  };
  return {
    azurite,
    connectionString: azurite.connectionString,
    fresh,
    freshTables: async () => (await fresh()).tables,
    close: () => azurite.close(),
  };
}
