/**
 * The product as the bench drives it: the built server as its own process over the bench's
 * Azurite (its own table prefix), a loopback fake Bot Connector, and Teams played by HTTP.
 */
import { odata, type TableClient } from '@azure/data-tables';
import { openTables, type TableName } from '../services/tables';
import { FakeConnector } from '../test/support/fakeConnector';
import { getJson, postJson } from '../test/support/http';
import { eventually, startApp, type AppProcess } from '../test/support/processes';
import { processMemory } from './stats';
import { installUpdate, type Place, type TeamsUser } from '../test/support/teamsActivities';

export const API_KEY = 'bench-key-0123456789abcdef';
const auth = { authorization: `Bearer ${API_KEY}` };

/** An HTTP answer's JSON, read loosely: the bench checks a field or two. */
export type Answer = { statusCode?: number; value?: unknown } & Record<string, unknown>;

export interface BenchServer {
  app: AppProcess;
  connector: FakeConnector;
  prefix: string;
  ingest(body: unknown): Promise<{ status: number; body: Answer }>;
  teams(activity: object): Promise<{ status: number; body: Answer }>;
  install(places: Place[], by: TeamsUser): Promise<void>;
  table(name: TableName): TableClient;
  /** Waits until nothing is left to project or to send. */
  settled(timeoutMs?: number): Promise<void>;
  /** The server's resident memory now and at its peak, in MiB (/proc/<pid>/status). */
  memory(): { rssMiB: number; peakMiB: number };
  stop(): Promise<void>;
}

let servers = 0;

export async function startBenchServer(options: {
  /** Storage as the bench reads it (the Azurite process). */
  storage: string;
  /** Storage as the server reaches it (default: the same; the trace puts a proxy in between). */
  serverStorage?: string;
  prefix?: string;
  env?: Record<string, string>;
  nodeArgs?: string[];
}): Promise<BenchServer> {
  const prefix = options.prefix ?? `b${process.pid}n${++servers}`;
  const connector = await new FakeConnector().start();
  const app = await startApp(
    {
      AZURE_TABLES_CONNECTION_STRING: options.serverStorage ?? options.storage,
      TABLE_PREFIX: prefix,
      LEADS_API_KEY: API_KEY,
      ...options.env,
    },
    { nodeArgs: options.nodeArgs },
  );
  const tables = openTables(options.storage, prefix);
  const table = (name: TableName) => tables[name];
  const isEmpty = async (name: TableName, partition: string) => {
    const page = await table(name).listEntities({ queryOptions: { filter: odata`PartitionKey eq ${partition}`, select: ['RowKey'] } }).byPage({ maxPageSize: 1 }).next();
    return page.done || page.value.length === 0;
  };
  const server: BenchServer = {
    app,
    connector,
    prefix,
    ingest: (body) => postJson(`${app.url}/api/leads`, body, auth),
    teams: (activity) => postJson(`${app.url}/api/messages`, activity),
    async install(places, by) {
      for (const place of places) {
        const answer = await server.teams(installUpdate(place, by, connector.url));
        if (answer.status !== 200) throw new Error(`installing the bot answered ${answer.status}`);
      }
    },
    table,
    async settled(timeoutMs = 120_000) {
      // Twice in a row: a projection in flight may be about to queue a send.
      let quietChecks = 0;
      await eventually(
        'the server to finish projecting and sending',
        async () => {
          const quiet = (await isEmpty('Projections', 'lead')) && (await isEmpty('Outbox', 'pending'));
          quietChecks = quiet ? quietChecks + 1 : 0;
          return quietChecks >= 2;
        },
        timeoutMs,
        100,
      );
    },
    memory: () => processMemory(app.pid),
    async stop() {
      await app.stop();
      await connector.stop();
    },
  };
  return server;
}

/** GET with the API key (for reading a lead back). */
export const getLead = (server: BenchServer, id: string) => getJson(`${server.app.url}/api/leads/${encodeURIComponent(id)}`, auth);
