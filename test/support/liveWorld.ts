/**
 * The product as it runs for real, for the reliability suite: Azurite and the built app as their
 * own processes, Teams played by HTTP requests to /api/messages, and a loopback fake Bot
 * Connector receiving what the app sends. Storage is read directly to check what was stored.
 */
import { odata, type TableClient } from '@azure/data-tables';
import { openTables, type TableName } from '../../services/tables';
import { randomUUID } from 'node:crypto';
import { FakeConnector } from './fakeConnector';
import { getJson, postJson } from './http';
import { eventually, startApp, startAzurite, type AppProcess, type AzuriteProcess } from './processes';
import { channel, installUpdate, type Place, type TeamsUser } from './teamsActivities';

export const API_KEY = 'reliability-key-0123456789abcdef';
const auth = { authorization: `Bearer ${API_KEY}` };

/** Admins with distinct AAD ids (the app is told they may change leads). */
export function admins(n: number): TeamsUser[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `29:admin-${i}`,
    aadObjectId: `00000000-0000-4000-8000-${String(i + 1).padStart(12, '0')}`,
    name: `Admin ${i}`,
  }));
}

export interface LiveWorld {
  azurite: AzuriteProcess;
  connector: FakeConnector;
  app: AppProcess;
  env: Record<string, string>;
  places: Place[];
  /** Starts the app again over the same storage (after a kill or a stop). */
  restartApp(): Promise<AppProcess>;
  ingest(body: unknown): Promise<{ status: number; body: any; headers: Headers }>;
  lead(id: string): Promise<{ status: number; body: any }>;
  teams(activity: object): Promise<{ status: number; body: any }>;
  table(name: TableName): TableClient;
  /** Every stored lead's id (a scan: fine for a check, never on a hot path). */
  storedLeadIds(): Promise<string[]>;
  pendingOutbox(): Promise<number>;
  /** What still waits to be sent or projected, for a failure message. */
  backlog(): Promise<string>;
  close(): Promise<void>;
}

export async function startLiveWorld(options: { env?: Record<string, string>; places?: Place[]; azurite?: AzuriteProcess } = {}): Promise<LiveWorld> {
  const azurite = options.azurite ?? (await startAzurite());
  const connector = await new FakeConnector().start();
  const prefix = `r${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const env = {
    AZURE_TABLES_CONNECTION_STRING: azurite.connectionString,
    TABLE_PREFIX: prefix,
    LEADS_API_KEY: API_KEY,
    LEASE_SECONDS: '2',
    ...options.env,
  };
  const tables = openTables(azurite.connectionString, prefix);
  const world: LiveWorld = {
    azurite,
    connector,
    app: await startApp(env),
    env,
    places: options.places ?? [channel('19:reliability@thread.tacv2')],
    async restartApp() {
      world.app = await startApp(env);
      return world.app;
    },
    ingest: (body) => postJson(`${world.app.url}/api/leads`, body, auth),
    lead: (id) => getJson(`${world.app.url}/api/leads/${encodeURIComponent(id)}`, auth),
    teams: (activity) => postJson(`${world.app.url}/api/messages`, activity),
    table: (name) => tables[name],
    async storedLeadIds() {
      const ids: string[] = [];
      for await (const row of world.table('Leads').listEntities({ queryOptions: { filter: odata`RowKey ge 'lead|' and RowKey lt 'lead}'`, select: ['PartitionKey'] } })) {
        ids.push(row.partitionKey ?? '');
      }
      return ids;
    },
    async pendingOutbox() {
      let n = 0;
      for await (const _ of world.table('Outbox').listEntities({ queryOptions: { filter: odata`PartitionKey eq 'pending'`, select: ['RowKey'] } })) n++;
      return n;
    },
    async backlog() {
      const rows: string[] = [];
      for await (const row of world.table('Outbox').listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq 'pending'` } })) {
        rows.push(`${row.rowKey} due ${new Date(Number(row.dueAt)).toISOString()} attempts ${row.attempts} lease ${row.leaseUntil} ${row.lastError ?? ''}`);
      }
      for await (const row of world.table('Projections').listEntities()) rows.push(`projection ${row.partitionKey} ${row.rowKey}`);
      return `at ${new Date().toISOString()}:\n${rows.join('\n')}`;
    },
    async close() {
      await world.app.stop();
      await connector.stop();
      if (!options.azurite) await azurite.stop();
    },
  };
  const installer = admins(1)[0]!;
  for (const place of world.places) {
    const answer = await world.teams(installUpdate(place, installer, connector.url));
    if (answer.status !== 200) throw new Error(`installing the bot answered ${answer.status}`);
  }
  return world;
}

/** The card JSON of an activity (or an invoke answer), as text. */
export const cardText = (activity: any): string => JSON.stringify(activity?.attachments?.[0]?.content ?? activity?.value ?? activity ?? {});

/** How many times each lead reached each conversation: its own card, or a line in a digest (names must be unique). */
function deliveriesPerLead(connector: FakeConnector, leads: { id: string; name?: string }[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const post of connector.posts()) {
    const text = cardText(post.activity);
    for (const lead of leads) {
      // A lead card is full width with the lead's name as its large title, whatever its stage.
      const ownCard = text.includes('"width":"Full"') && text.includes(`"text":${JSON.stringify(lead.name ?? '')},"size":"Large"`);
      const digestLine = text.includes('list.page') && text.includes(`${lead.name ?? ''} ·`);
      if (!ownCard && !digestLine) continue;
      const key = `${post.conversationId}|${lead.id}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return counts;
}

/**
 * Waits until every lead reached every conversation of the world and nothing waits to be sent;
 * returns how many times each (conversation, lead) pair was delivered. A timeout names what is missing.
 */
export async function settledDeliveries(world: LiveWorld, leads: { id: string; name?: string }[], timeoutMs = 60_000): Promise<Map<string, number>> {
  const expected = world.places.length * leads.length;
  try {
    return await eventually(
      'every lead to reach every conversation',
      async () => {
        const counts = deliveriesPerLead(world.connector, leads);
        return counts.size === expected && (await world.pendingOutbox()) === 0 && counts;
      },
      timeoutMs,
      250,
    );
  } catch (error) {
    const counts = deliveriesPerLead(world.connector, leads);
    const missing = world.places.flatMap((p) => leads.filter((l) => !counts.has(`${p.conversation.id}|${l.id}`)).map((l) => `${l.name ?? l.id} in ${p.conversation.id}`));
    throw new Error(`${(error as Error).message}\nmissing: ${missing.join(', ')}\n${await world.backlog()}`);
  }
}
