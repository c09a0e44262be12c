/**
 * The product as it runs for real, for the reliability suite and the bench: the built app as its
 * own process over an Azurite (its own table prefix), a loopback fake Bot Connector receiving what
 * the app sends, Teams played by HTTP requests to /api/messages. Storage is read directly to check
 * what was stored.
 */
import { randomUUID } from 'node:crypto';
import { odata, type TableClient } from '@azure/data-tables';
import { openTables, type TableName } from '../../services/storage/tables';
import { FakeConnector } from './fakeConnector';
import { getJson, postJson } from './http';
import { eventually, processMemory, startApp, type AppProcess } from './processes';
import { installUpdate, message, type Place, type TeamsUser } from './teamsActivities';

export const API_KEY = 'live-app-key-0123456789abcdef';
const auth = { authorization: `Bearer ${API_KEY}` };

type Answer = { status: number; body: any; headers: Headers };

export interface LiveApp {
  app: AppProcess;
  connector: FakeConnector;
  env: Record<string, string>;
  prefix: string;
  ingest(body: unknown): Promise<Answer>;
  lead(id: string): Promise<Answer>;
  teams(activity: object): Promise<Answer>;
  /** Installs the bot in these places, and subscribes each to new leads, as `by` (a lead admin) would. */
  install(places: Place[], by: TeamsUser): Promise<void>;
  table(name: TableName): TableClient;
  /** Starts the app again over the same storage (after a kill or a stop). */
  restartApp(): Promise<AppProcess>;
  /** Waits until nothing is left to project or to send. */
  settled(timeoutMs?: number): Promise<void>;
  /** Every stored lead's id (a scan: fine for a check, never on a hot path). */
  storedLeadIds(): Promise<string[]>;
  pendingOutbox(): Promise<number>;
  /** What still waits to be sent or projected, for a failure message. */
  backlog(): Promise<string>;
  /** The app's resident memory now and at its peak, in MiB (/proc/<pid>/status). */
  memory(): { rssMiB: number; peakMiB: number };
  /** Stops the app and the fake connector (storage is the caller's). */
  stop(): Promise<void>;
}

export async function startLiveApp(options: {
  /** Storage as the test reads it (an Azurite process's connection string). */
  storage: string;
  /** Storage as the app reaches it (default: the same; the bench's trace puts a proxy in between). */
  appStorage?: string;
  prefix?: string;
  env?: Record<string, string>;
  nodeArgs?: string[];
}): Promise<LiveApp> {
  const prefix = options.prefix ?? `r${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const connector = await new FakeConnector().start();
  const env = {
    AZURE_TABLES_CONNECTION_STRING: options.appStorage ?? options.storage,
    TABLE_PREFIX: prefix,
    LEADS_API_KEY: API_KEY,
    ...options.env,
  };
  const tables = openTables(options.storage, prefix);
  const table = (name: TableName) => tables[name];
  const isEmpty = async (name: TableName, partition: string) => {
    const page = await table(name).listEntities({ queryOptions: { filter: odata`PartitionKey eq ${partition}`, select: ['RowKey'] } }).byPage({ maxPageSize: 1 }).next();
    return page.done || page.value.length === 0;
  };
  const live: LiveApp = {
    app: await startApp(env, { nodeArgs: options.nodeArgs }),
    connector,
    env,
    prefix,
    ingest: (body) => postJson(`${live.app.url}/api/leads`, body, auth),
    lead: (id) => getJson(`${live.app.url}/api/leads/${encodeURIComponent(id)}`, auth),
    teams: (activity) => postJson(`${live.app.url}/api/messages`, activity),
    async install(places, by) {
      for (const place of places) {
        const answer = await live.teams(installUpdate(place, by, connector.url));
        if (answer.status !== 200) throw new Error(`installing the bot answered ${answer.status}`);
        // An install subscribes nothing: a lead admin chooses.
        const subscribed = await live.teams(message(place, by, 'subscribe', connector.url));
        const reply = JSON.stringify(connector.posts(place.conversation.id).at(-1)?.activity ?? {});
        if (subscribed.status !== 200 || !reply.includes('New leads will be posted')) {
          throw new Error(`${by.name} could not subscribe ${place.conversation.id} (answered ${subscribed.status}: ${reply.slice(0, 200)}); make them a lead admin (LEAD_ADMIN_IDS)`);
        }
      }
    },
    table,
    async restartApp() {
      live.app = await startApp(env, { nodeArgs: options.nodeArgs });
      return live.app;
    },
    async settled(timeoutMs = 120_000) {
      // Twice in a row: a projection in flight may be about to queue a send.
      let quietChecks = 0;
      await eventually(
        'the app to finish projecting and sending',
        async () => {
          const quiet = (await isEmpty('Projections', 'lead')) && (await isEmpty('Outbox', 'pending'));
          quietChecks = quiet ? quietChecks + 1 : 0;
          return quietChecks >= 2;
        },
        timeoutMs,
        100,
      );
    },
    async storedLeadIds() {
      const ids: string[] = [];
      for await (const row of table('Leads').listEntities({ queryOptions: { filter: odata`RowKey ge 'lead|' and RowKey lt 'lead}'`, select: ['PartitionKey'] } })) {
        ids.push(row.partitionKey ?? '');
      }
      return ids;
    },
    async pendingOutbox() {
      let n = 0;
      for await (const _ of table('Outbox').listEntities({ queryOptions: { filter: odata`PartitionKey eq 'pending'`, select: ['RowKey'] } })) n++;
      return n;
    },
    async backlog() {
      const rows: string[] = [];
      for await (const row of table('Outbox').listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq 'pending'` } })) {
        rows.push(`${row.rowKey} due ${new Date(Number(row.dueAt)).toISOString()} attempts ${row.attempts} lease ${row.leaseUntil} ${row.lastError ?? ''}`);
      }
      for await (const row of table('Projections').listEntities()) rows.push(`projection ${row.partitionKey} ${row.rowKey}`);
      return `at ${new Date().toISOString()}:\n${rows.join('\n')}`;
    },
    memory: () => processMemory(live.app.pid),
    async stop() {
      await live.app.stop();
      await connector.stop();
    },
  };
  return live;
}

