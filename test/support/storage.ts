/** A real Table service for tests: Azurite in memory, started in-process on a free port. */
import { startEmbeddedAzurite, type EmbeddedAzurite } from '../../services/storage/embeddedAzurite';
import { ensureTables, openTables, type Tables } from '../../services/storage/tables';

export interface TestStorage {
  azurite: EmbeddedAzurite;
  connectionString: string;
  /** Fresh tables under a new prefix: tests in one file do not see each other's rows. */
  freshTables(): Promise<Tables>;
  close(): Promise<void>;
}

let counter = 0;

export async function startTestStorage(): Promise<TestStorage> {
  const azurite = await startEmbeddedAzurite({ inMemory: true });
  return {
    azurite,
    connectionString: azurite.connectionString,
    async freshTables() {
      const tables = openTables(azurite.connectionString, `t${process.pid}x${++counter}`);
      await ensureTables(tables);
      return tables;
    },
    close: () => azurite.close(),
  };
}
