/**
 * Secondary indexes, rebuildable from the leads: list views (newest first, paged by RowKey) and
 * the due index the scheduler reads without scanning leads.
 */
import { odata, type TableClient } from '@azure/data-tables';
import type { Lead } from '../leads/lead';
import { sharedViewOf, summarize, type LeadSummary, type Page, type SharedView, type ViewName } from '../leads/leadViews';
import { deleteIfExists, guard, invertedTicks, safeKey, upsertAll } from './tables';

const viewPartition = (view: ViewName, userId?: string) => (view === 'favorites' ? `fav-${safeKey(userId ?? '')}` : view);
const viewRow = (lead: Pick<Lead, 'receivedAt' | 'id'>) => `${invertedTicks(lead.receivedAt)}-${lead.id}`;

/** The lead's row in its shared list view. */
export const viewEntity = (lead: Lead) => ({ partitionKey: sharedViewOf(lead), rowKey: viewRow(lead), summary: JSON.stringify(summarize(lead)) });

/** The "needs an answer" list: waiting leads, soonest deadline first. */
const WAITING = 'waiting';
/** The lead's row in the "needs an answer" list, if it is waiting. */
export const waitingRowKey = (lead: Pick<Lead, 'stage' | 'expiresAt' | 'id'>): string | undefined => (lead.stage === 'Received' ? `${lead.expiresAt}|${lead.id}` : undefined);

/** The lead's rows in the list indexes: its shared view, and "needs an answer" while it waits (favorites aside). */
export function listEntities(lead: Lead): { partitionKey: string; rowKey: string; summary: string }[] {
  const shared = viewEntity(lead);
  const waiting = waitingRowKey(lead);
  return waiting ? [shared, { partitionKey: WAITING, rowKey: waiting, summary: shared.summary }] : [shared];
}

export class LeadViewIndex {
  constructor(private readonly table: TableClient) {}

  /**
   * Puts each lead in its shared view and its favoriters' lists, and removes it from the lists it
   * left. Rows of one list are written together.
   */
  async put(changes: { lead: Lead; previousFavoriteIds?: string[]; leftViews?: SharedView[]; leftWaiting?: string }[]): Promise<void> {
    const upserts: { partitionKey: string; rowKey: string; summary: string }[] = [];
    const removals: { partitionKey: string; rowKey: string }[] = [];
    for (const { lead, previousFavoriteIds = [], leftViews = [], leftWaiting } of changes) {
      const rows = listEntities(lead);
      const { rowKey, summary, partitionKey: home } = rows[0]!;
      const favoriteIds = lead.favorites.map((f) => f.id);
      upserts.push(...rows, ...favoriteIds.map((id) => ({ partitionKey: viewPartition('favorites', id), rowKey, summary })));
      const waiting = waitingRowKey(lead);
      if (leftWaiting && leftWaiting !== waiting) removals.push({ partitionKey: WAITING, rowKey: leftWaiting });
      removals.push(...leftViews.filter((v) => v !== home).map((v) => ({ partitionKey: v, rowKey })));
      removals.push(...previousFavoriteIds.filter((id) => !favoriteIds.includes(id)).map((id) => ({ partitionKey: viewPartition('favorites', id), rowKey })));
    }
    // Removals one by one: most of them find nothing, which would fail a whole transaction.
    await Promise.all([upsertAll(this.table, upserts), ...removals.map((k) => deleteIfExists(this.table, k.partitionKey, k.rowKey))]);
  }

  /** One page of the waiting leads, soonest deadline first. */
  waiting(options: { cursor?: string; size: number }): Promise<Page<LeadSummary>> {
    return this.pageOf(WAITING, options);
  }

  /** One page of a view, newest first. `cursor` is the last RowKey of the previous page. */
  page(view: ViewName, options: { userId?: string; cursor?: string; size: number }): Promise<Page<LeadSummary>> {
    return this.pageOf(viewPartition(view, options.userId), options);
  }

  private async pageOf(partition: string, options: { cursor?: string; size: number }): Promise<Page<LeadSummary>> {
    const filter = options.cursor
      ? odata`PartitionKey eq ${partition} and RowKey gt ${options.cursor}`
      : odata`PartitionKey eq ${partition}`;
    const rows: { rowKey: string; summary: LeadSummary }[] = [];
    await guard(async () => {
      const iterator = this.table.listEntities<{ summary: string }>({ queryOptions: { filter } }).byPage({ maxPageSize: options.size + 1 });
      for await (const page of iterator) {
        for (const entity of page) rows.push({ rowKey: entity.rowKey ?? '', summary: JSON.parse(entity.summary) as LeadSummary });
        if (rows.length > options.size) break;
      }
    });
    const items = rows.slice(0, options.size);
    const hasMore = rows.length > options.size;
    return { items: items.map((r) => r.summary), next: hasMore ? items[items.length - 1]?.rowKey : undefined };
  }
}

export type DueKind = 'reminder' | 'expire' | 'flame' | 'refresh';

export interface DueItem {
  kind: DueKind;
  leadId: string;
  dueAt: string;
  hours?: number; // reminder offset
  tries?: number;
  partitionKey: string;
  rowKey: string;
}

const HOUR_MS = 3_600_000;
/** Hour buckets, UTC: "2026112614". */
export const hourBucket = (ms: number): string => new Date(ms).toISOString().slice(0, 13).replace(/[-T]/g, '');
/** The first instant of an hour bucket. */
export const bucketStart = (bucket: string): number =>
  Date.UTC(Number(bucket.slice(0, 4)), Number(bucket.slice(4, 6)) - 1, Number(bucket.slice(6, 8)), Number(bucket.slice(8, 10)));

/** A due row filed at `at` (its bucket and key), for the time it is really due. */
function dueRow(item: { kind: DueKind; leadId: string; hours?: number }, at: number, dueAt: string) {
  const rowKey = `${new Date(at).toISOString()}|${item.kind}|${item.hours ?? 0}|${item.leadId}`;
  return { partitionKey: hourBucket(at), rowKey, kind: item.kind, leadId: item.leadId, hours: item.hours ?? 0, dueAt };
}

export interface DueTime {
  kind: DueKind;
  leadId: string;
  dueAt: Date;
  hours?: number;
}

/** Due rows in the past are filed at `now`, so a sweep that has passed their hour still finds them. */
export const dueEntity = (item: DueTime, now: Date) => dueRow(item, Math.max(item.dueAt.getTime(), now.getTime()), item.dueAt.toISOString());

export class DueIndex {
  constructor(private readonly table: TableClient) {}

  /** Files due times (of one lead or many): one request per hour bucket. */
  async schedule(items: DueTime[], now: Date): Promise<void> {
    await upsertAll(this.table, items.map((item) => dueEntity(item, now)));
  }

  /** Rows due at or before `now`, reading only the hour buckets from `fromMs` on. */
  async due(fromMs: number, now: Date, limit = 500): Promise<DueItem[]> {
    const items: DueItem[] = [];
    const nowIso = now.toISOString();
    for (let t = Math.floor(fromMs / HOUR_MS) * HOUR_MS; t <= now.getTime() && items.length < limit; t += HOUR_MS) {
      const filter = odata`PartitionKey eq ${hourBucket(t)} and RowKey le ${`${nowIso}|~`}`;
      await guard(async () => {
        const rows = this.table.listEntities<{ kind: DueKind; leadId: string; hours: number; dueAt: string; tries?: number }>({ queryOptions: { filter } });
        for await (const row of rows) {
          items.push({
            kind: row.kind,
            leadId: row.leadId,
            hours: row.kind === 'reminder' ? row.hours : undefined,
            dueAt: row.dueAt,
            tries: row.tries ?? undefined,
            partitionKey: row.partitionKey ?? '',
            rowKey: row.rowKey ?? '',
          });
          if (items.length >= limit) break;
        }
      });
    }
    return items;
  }

  /**
   * A row that failed is filed again a little later (in the current bucket, so the cursor moves
   * on); after a few tries it is dropped and the caller logs it.
   */
  async retry(item: DueItem, now: Date, maxTries = 5): Promise<boolean> {
    const tries = (item.tries ?? 0) + 1;
    if (tries < maxTries) {
      const at = now.getTime() + 60_000 * 2 ** tries;
      await guard(() => this.table.upsertEntity({ ...dueRow(item, at, item.dueAt), tries }, 'Replace'));
    }
    await this.remove(item);
    return tries < maxTries;
  }

  async remove(item: Pick<DueItem, 'partitionKey' | 'rowKey'>): Promise<void> {
    await deleteIfExists(this.table, item.partitionKey, item.rowKey);
  }
}
