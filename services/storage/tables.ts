/** The Azure Tables this product uses: one client each, created once, names with an optional prefix. */
import { TableClient, TableServiceClient, type TableEntityResult, type TableServiceClientOptions, type TransactionAction } from '@azure/data-tables';
import type { TokenCredential } from '@azure/identity';
import { ConfigError, StorageUnavailableError } from '../errors';

export const TABLE_NAMES = [
  'Leads',
  'LeadIndex',
  'SearchIndex',
  'DueIndex',
  'Projections',
  'Conversations',
  'Deliveries',
  'Outbox',
  'DeadLetters',
  'Roles',
  'Leases',
  'Meta',
  'PartnerCenter',
  'Stats',
] as const;
export type TableName = (typeof TABLE_NAMES)[number];
export type Tables = Record<TableName, TableClient>;

/** Where the tables are: a connection string (an account key, a SAS, Azurite), or an endpoint reached with the app's Azure identity. */
export type TableAccount = { connectionString: string } | { endpoint: string; credential: TokenCredential };

const clientOptions = (connectionString: string) => ({
  allowInsecureConnection: /DefaultEndpointsProtocol=http;|TableEndpoint=http:/i.test(connectionString),
  // Fail fast: a Teams invoke must be answered within 10–15 s and makes a few storage calls;
  // callers answer 503 (or an invoke error) rather than hang.
  retryOptions: { maxRetries: 1, retryDelayInMs: 200, maxRetryDelayInMs: 1000, tryTimeoutInMs: 4_000 },
});

/**
 * `account`: a connection string, or an endpoint and a credential (Microsoft Entra ID: the
 * managed identity in Azure; the storage account may then refuse shared keys altogether).
 * `options.additionalPolicies` lets a caller watch every request (the bench counts entities read).
 */
export function openTables(account: string | TableAccount, prefix = '', options: Pick<TableServiceClientOptions, 'additionalPolicies'> = {}): Tables {
  const where = typeof account === 'string' ? { connectionString: account } : account;
  const entries = TABLE_NAMES.map((name) => {
    const table = `${prefix}${name}`;
    const client =
      'connectionString' in where
        ? TableClient.fromConnectionString(where.connectionString, table, { ...clientOptions(where.connectionString), ...options })
        : new TableClient(where.endpoint, table, where.credential, { ...clientOptions(''), ...options });
    return [name, client] as const;
  });
  return Object.fromEntries(entries) as Tables;
}

/** Creates every table; an existing table is fine. */
export async function ensureTables(tables: Tables): Promise<void> {
  await guard(() => Promise.all(Object.values(tables).map((t) => t.createTable())));
}

/**
 * The row layout this version writes (version 2: RowKeys name their lead; 3: where a lead's cards
 * are posted is on its row, and the insights sums share one partition; 4: what an outside system
 * keeps on a lead is in its `external`, which releases before it cannot read). Storage in layout 2
 * is opened and moved on by the first start's rebuild (rebuildDerived), which then marks it; layout
 * 3 needs no move (a lead's outside data moves into `external` when it is next written) and is
 * marked at once. A release that reads an earlier layout refuses the storage from then on,
 * instead of undoing the move or misreading the rows.
 */
const LAYOUT = { partitionKey: 'layout', rowKey: 'rows', version: 4 };
/** The layout an earlier release wrote that this one opens (and moves on). */
const MOVED_ON_START = 2;
/** The layout an earlier release wrote that this one reads as it is. */
const READ_AS_IS = 3;

/** Marks storage as in this version's row layout: once the first start has moved it (rebuildDerived). */
export async function markRowLayout(meta: TableClient): Promise<void> {
  await guard(() => meta.upsertEntity(LAYOUT, 'Replace'));
}

/**
 * Makes sure storage holds rows in this version's layout: new storage is marked with it; storage
 * that holds leads but no mark was written by a development build from before the mark, whose
 * rows this version cannot read. `setting` names what to change to start afresh.
 */
export async function checkLayout(tables: Tables, setting: 'DATA_DIR' | 'TABLE_PREFIX'): Promise<void> {
  const mark = await getOrUndefined<{ version: number }>(tables.Meta, LAYOUT.partitionKey, LAYOUT.rowKey);
  let found = mark?.version;
  if (found === undefined) {
    // No mark: new storage, storage another instance is marking right now, a build from between
    // the layout change and the mark, or layout 1. The first row tells (the iterator follows
    // continuation tokens past empty pages).
    const first = await guard(async () => {
      for await (const row of tables.Leads.listEntities({ queryOptions: { select: ['RowKey'] } })) return row.rowKey ?? '';
      return undefined;
    });
    // New storage is in this layout; leads of a build from before the mark are in layout 2 (moved on start).
    if (first === undefined) {
      await createIfAbsent(tables.Meta, LAYOUT);
      return;
    }
    if (/^(lead|pending|event)\|/.test(first)) {
      await createIfAbsent(tables.Meta, { ...LAYOUT, version: MOVED_ON_START });
      return;
    }
    found = 1;
  }
  if (found === READ_AS_IS) await markRowLayout(tables.Meta);
  if (found === LAYOUT.version || found === MOVED_ON_START || found === READ_AS_IS) return;
  throw new ConfigError([
    {
      path: setting,
      message:
        `the storage it points to holds leads in row layout ${found}, and this version reads layout ${LAYOUT.version}. ` +
        (setting === 'DATA_DIR'
          ? 'Point DATA_DIR at an empty directory, or delete the one it names if its leads are test data.'
          : 'Set TABLE_PREFIX to a new prefix, or delete those tables if their leads are test data.'),
    },
  ]);
}

/** Storage answers: lists one table with a one-row page. Used by /readyz. */
/** Whether storage answers (readiness): one table listed, with the account's own credentials. */
export function pinger(account: TableAccount): () => Promise<void> {
  const service =
    'connectionString' in account
      ? TableServiceClient.fromConnectionString(account.connectionString, clientOptions(account.connectionString))
      : new TableServiceClient(account.endpoint, account.credential, clientOptions(''));
  return () =>
    guard(async () => {
      await service.listTables().byPage({ maxPageSize: 1 }).next();
    });
}

export function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

export const isConflict = (error: unknown): boolean => statusOf(error) === 409;
export const isPreconditionFailed = (error: unknown): boolean => statusOf(error) === 412;
export const isNotFound = (error: unknown): boolean => statusOf(error) === 404;

/** A failure on the way to storage (no answer): the SDK's RestError without a status, or a timeout. */
const isTransportFailure = (error: unknown): boolean => {
  const name = (error as { name?: unknown } | null)?.name;
  return name === 'RestError' || name === 'AbortError' || name === 'TimeoutError';
};

/**
 * Network failures, timeouts and 5xx become StorageUnavailableError; 4xx pass through, and so
 * does anything else (a bug such as a key the SDK cannot encode is not an outage).
 */
export async function guard<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const status = statusOf(error);
    if (status === undefined ? isTransportFailure(error) : status >= 500 || status === 408) throw new StorageUnavailableError(error);
    throw error;
  }
}

/** Reads a point entity, or undefined when it is not there. */
export async function getOrUndefined<T extends object>(
  table: TableClient,
  partitionKey: string,
  rowKey: string,
): Promise<TableEntityResult<T> | undefined> {
  try {
    return await guard(() => table.getEntity<T>(partitionKey, rowKey));
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Creates an entity unless one with its keys exists; false when it did (409 is the idempotency check). */
export async function createIfAbsent(table: TableClient, entity: { partitionKey: string; rowKey: string } & Record<string, unknown>): Promise<boolean> {
  try {
    await guard(() => table.createEntity(entity));
    return true;
  } catch (error) {
    if (isConflict(error)) return false;
    throw error;
  }
}

type Keyed = { partitionKey: string; rowKey: string } & Record<string, unknown>;
const MAX_TRANSACTION = 100;

/** Groups entities by partition (the last of a repeated key wins), at most 100 a group: what one transaction may hold. */
export function transactionGroups<T extends Keyed>(entities: T[]): T[][] {
  const byPartition = new Map<string, Map<string, T>>();
  for (const e of entities) {
    const rows = byPartition.get(e.partitionKey) ?? new Map<string, T>();
    rows.set(e.rowKey, e);
    byPartition.set(e.partitionKey, rows);
  }
  return [...byPartition.values()].flatMap((rows) => {
    const list = [...rows.values()];
    return Array.from({ length: Math.ceil(list.length / MAX_TRANSACTION) }, (_, i) => list.slice(i * MAX_TRANSACTION, (i + 1) * MAX_TRANSACTION));
  });
}

/** Upserts (replaces) entities with one request per partition instead of one per entity. */
export async function upsertAll(table: TableClient, entities: Keyed[]): Promise<void> {
  await guard(() =>
    Promise.all(
      transactionGroups(entities).map((group) =>
        group.length === 1 ? table.upsertEntity(group[0]!, 'Replace') : table.submitTransaction(group.map((e) => ['upsert', e, 'Replace'])),
      ),
    ),
  );
}

/**
 * Creates entities with one request per partition. A transaction is all or nothing: where one of
 * its entities already exists, none is created, and those entities are returned for the caller
 * to handle one by one.
 */
export async function createAll<T extends Keyed>(table: TableClient, entities: T[]): Promise<T[]> {
  const refused = await Promise.all(
    transactionGroups(entities).map(async (group) => {
      try {
        await guard(async () => {
          if (group.length === 1) await table.createEntity(group[0]!);
          else await table.submitTransaction(group.map((e) => ['create', e]));
        });
        return [];
      } catch (error) {
        if (isConflict(error)) return group;
        throw error;
      }
    }),
  );
  return refused.flat();
}

/**
 * Upserts some entities and deletes others (already gone is fine) with one request per partition:
 * a transaction refused because a row to delete was gone already is done again in two parts.
 */
export async function writeAll(table: TableClient, upserts: Keyed[], deletes: { partitionKey: string; rowKey: string }[]): Promise<void> {
  const key = (k: { partitionKey: string; rowKey: string }) => `${k.partitionKey}\u0001${k.rowKey}`;
  const toDelete = new Set(deletes.map(key));
  const actions: Keyed[] = [...upserts.filter((e) => !toDelete.has(key(e))), ...deletes.map(({ partitionKey, rowKey }) => ({ partitionKey, rowKey }))];
  const isDelete = (e: Keyed) => toDelete.has(key(e));
  await Promise.all(
    transactionGroups(actions).map(async (group) => {
      const writes = group.filter((e) => !isDelete(e));
      const removals = group.filter(isDelete);
      if (removals.length === 0) return upsertAll(table, writes);
      if (group.length > 1) {
        try {
          await guard(() => table.submitTransaction(group.map((e): TransactionAction => (isDelete(e) ? ['delete', e] : ['upsert', e, 'Replace']))));
          return;
        } catch (error) {
          if (!isNotFound(error)) throw error;
        }
      }
      await Promise.all([upsertAll(table, writes), deleteAllIfExist(table, removals)]);
    }),
  );
}


/** Deletes entities (already gone is fine) with one request per partition where none is gone. */
export async function deleteAllIfExist(table: TableClient, keys: { partitionKey: string; rowKey: string }[]): Promise<void> {
  await Promise.all(
    transactionGroups(keys.map((k) => ({ partitionKey: k.partitionKey, rowKey: k.rowKey }))).map(async (group) => {
      if (group.length > 1) {
        try {
          await guard(() => table.submitTransaction(group.map((k) => ['delete', k])));
          return;
        } catch (error) {
          // One was gone already (all or nothing): delete the rest one by one.
          if (!isNotFound(error)) throw error;
        }
      }
      await Promise.all(group.map((k) => deleteIfExists(table, k.partitionKey, k.rowKey)));
    }),
  );
}

/** Deletes an entity; already gone is fine. */
export async function deleteIfExists(table: TableClient, partitionKey: string, rowKey: string, etag = '*'): Promise<boolean> {
  try {
    await guard(() => table.deleteEntity(partitionKey, rowKey, { etag }));
    return true;
  } catch (error) {
    if (isNotFound(error)) return true;
    if (isPreconditionFailed(error)) return false;
    throw error;
  }
}

/** Keys safe for PartitionKey/RowKey whatever the input: base64url has none of / \ # ?. */
export function safeKey(value: string): string {
  return Buffer.from(value, 'utf8').toString('base64url');
}

const MAX_TICKS = 9_999_999_999_999;
/** Newest first: RowKeys that sort descending by time. */
export function invertedTicks(isoDate: string): string {
  return String(MAX_TICKS - Date.parse(isoDate)).padStart(13, '0');
}

/**
 * Splits a long JSON string over several properties (a string property holds ~32 K characters),
 * with their count: a row merged with a shorter value keeps the earlier value's last chunks, which
 * the count leaves out.
 */
const CHUNK = 30_000;
export function chunkJson(value: unknown): Record<string, string | number> {
  const json = JSON.stringify(value);
  const parts: Record<string, string | number> = {};
  let n = 0;
  for (let i = 0; i < json.length || n === 0; i += CHUNK, n++) parts[`data${n}`] = json.slice(i, i + CHUNK);
  parts.chunks = n;
  return parts;
}

export function unchunkJson(entity: Record<string, unknown>): unknown {
  const count = typeof entity.chunks === 'number' ? entity.chunks : Infinity;
  let json = '';
  for (let n = 0; n < count && typeof entity[`data${n}`] === 'string'; n++) json += entity[`data${n}`] as string;
  return JSON.parse(json);
}
