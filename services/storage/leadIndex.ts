/**
 * Secondary indexes, rebuildable from the leads: list views (newest first, paged by RowKey), the
 * waiting, unassigned and per-owner lists, the search index, and the due index the scheduler
 * reads without scanning leads.
 */
import { odata, type TableClient } from '@azure/data-tables';
import { type Lead, kindOf, type LeadKind } from '../leads/lead';
import { matchesAll, prefixesOf, searchWords, type SearchQuery } from '../leads/leadSearch';
import { sharedViewOf, summarize, type LeadSummary, type Page, type ViewName } from '../leads/leadViews';
import { deleteAllIfExist, deleteIfExists, getOrUndefined, guard, invertedTicks, safeKey, upsertAll, writeAll } from './tables';

/**
 * Every list lives in one partition, `lists`, its rows keyed `<list>|<order>`: a lead's rows in all
 * its lists (its view, its favoriters', "needs an answer", "unassigned", its owner's) are written
 * and removed by one transaction, and a page of a list is one RowKey range.
 */
export const LISTS_PARTITION = 'lists';
const viewList = (view: ViewName, userId?: string) => (view === 'favorites' ? `fav-${safeKey(userId ?? '')}` : view);
const viewOrder = (lead: Pick<Lead, 'receivedAt' | 'id'>) => `${invertedTicks(lead.receivedAt)}-${lead.id}`;
const listRow = (list: string, order: string) => ({ partitionKey: LISTS_PARTITION, rowKey: `${list}|${order}` });
/** The RowKey range of one list: `list|…` sorts before `list}`. */
const listRange = (list: string) => ({ from: `${list}|`, to: `${list}}` });

/** The lead's row in its shared list view. */
export const viewEntity = (lead: Lead) => ({ ...listRow(sharedViewOf(lead), viewOrder(lead)), summary: JSON.stringify(summarize(lead)) });

/** The "needs an answer" lists, one per kind of lead: waiting leads, soonest deadline first. */
const waitingList = (kind: LeadKind) => `waiting-${kind}`;
/** Waiting leads nobody owns yet, soonest deadline first. */
const UNASSIGNED = 'unassigned';
/** A person's own leads: waiting ones soonest deadline first, then accepted ones newest first. */
const ownerList = (userId: string) => `owner-${safeKey(userId.toLowerCase())}`;
// Waiting rows sort before accepted ones.
const OWNED_WAITING = '1w|';
const OWNED_ACCEPTED = '2a|';

/**
 * The search index: one row per word prefix of a lead, in one partition so that a lead's rows
 * are written by one batch. A row holds the lead's words (to filter by a query's other words) and
 * the key of its row in its shared view (whose summary a result shows): nothing a lead's answer,
 * owner, deal or favorites change, so its rows are written only when its words or its order do. Within a prefix, open leads newest first, then archived ones. Its rows
 * (some 20 to 60 a lead) live in a table of their own, SearchIndex: the list queries of LeadIndex
 * never share a table with them (Azurite evaluates a query over its whole table).
 */
export const SEARCH_PARTITION = 'search';
const SEARCH = SEARCH_PARTITION;

const searchOrder = (lead: Pick<Lead, 'stage' | 'receivedAt' | 'id'>) => `${lead.stage === 'Archived' ? 1 : 0}${viewOrder(lead)}`;
/** The RowKey range of one prefix: `key|…` sorts before `key}`. */
const searchRange = (key: string) => ({ from: `${key}|`, to: `${key}}` });

/** The lead's row in the "needs an answer" list, if it is waiting. */
export const waitingRowKey = (lead: Pick<Lead, 'stage' | 'expiresAt' | 'id'>): string | undefined => (lead.stage === 'Received' ? `${lead.expiresAt}|${lead.id}` : undefined);

/** A table row's keys. */
export interface RowRef {
  partitionKey: string;
  rowKey: string;
}

export type IndexRow = RowRef & Record<string, unknown>;

/**
 * Every list row a lead has, as it is: its shared view, its favoriters' lists, "needs an answer"
 * and "unassigned" while it waits, its owner's lists. A function of the lead alone, so a change's
 * stale rows are the rows of the lead before it less those of the lead after.
 */
export function indexRows(lead: Lead): IndexRow[] {
  return [...listRows(lead), ...searchRows(lead)];
}

/** The lead's rows in the lists (all but search); its shared view's row first. */
function listRows(lead: Lead): IndexRow[] {
  const shared = viewEntity(lead);
  const { summary } = shared;
  const order = viewOrder(lead);
  const row = (list: string, key: string): IndexRow => ({ ...listRow(list, key), summary });
  const rows: IndexRow[] = [shared, ...lead.favorites.map((f) => row(viewList('favorites', f.id), order))];
  const waiting = waitingRowKey(lead);
  if (waiting) rows.push(row(waitingList(kindOf(lead.type)), waiting));
  if (waiting && !lead.owner) rows.push(row(UNASSIGNED, waiting));
  if (lead.owner && waiting) rows.push(row(ownerList(lead.owner.id), `${OWNED_WAITING}${waiting}`));
  if (lead.owner && lead.stage === 'Accepted') rows.push(row(ownerList(lead.owner.id), `${OWNED_ACCEPTED}${order}`));
  return rows;
}

/** The lead's search rows: one per word prefix, each with its words and the key of its shared view's row. */
function searchRows(lead: Lead): IndexRow[] {
  const words = searchWords(lead);
  const order = searchOrder(lead);
  const view = viewEntity(lead).rowKey;
  return prefixesOf(words).map((key) => ({ partitionKey: SEARCH, rowKey: `${key}|${order}`, words: words.join(' '), view }));
}

/**
 * The shared view row a search row points at. Rows written before search rows held it carry the
 * lead's summary instead: its type (which never changes) and the row's order (archived or not)
 * say the view.
 */
function viewOfSearchRow(row: { rowKey?: string; view?: string; summary?: string }): string | undefined {
  if (row.view) return row.view;
  const order = (row.rowKey ?? '').slice((row.rowKey ?? '').indexOf('|') + 1);
  const type = row.summary ? (JSON.parse(row.summary) as Pick<LeadSummary, 'type'>).type : undefined;
  if (!type) return undefined;
  const list = order.startsWith('1') ? 'archived' : type === 'customerInquiry' ? 'marketplace' : 'qualified';
  return `${list}|${order.slice(1)}`;
}

/**
 * What a lead's search rows are keyed by, in one string: a change that leaves search rows behind
 * records this (one property) rather than each of its up to 150 rows, which would break Azure's
 * 252 properties a row.
 */
export const searchStateOf = (lead: Lead): string => `${searchOrder(lead)} ${searchWords(lead).join(' ')}`;

/** The search rows a lead had when its search state was `state`. */
export function searchRowsOf(state: string): RowRef[] {
  const [order = '', ...words] = state.split(' ');
  return prefixesOf(words).map((key) => ({ partitionKey: SEARCH, rowKey: `${key}|${order}` }));
}

/** Whether a row is a search row (kept apart from list rows: see searchStateOf). */
export const isSearchRow = (row: RowRef): boolean => row.partitionKey === SEARCH;

const keyOf = (row: { partitionKey: string; rowKey: string }) => `${row.partitionKey}\u0001${row.rowKey}`;

/**
 * What a change leaves behind: the list rows `before` had that `after` has not, and the search
 * state `before` had if its search rows differ (searchStateOf: recorded rather than each row).
 */
export function leftBehind(before: Lead, after: Lead): { listRows: RowRef[]; searchWas?: string } {
  const was = searchStateOf(before);
  return { listRows: staleRows(before, after, listRows), ...(was !== searchStateOf(after) && { searchWas: was }) };
}

/** The rows `before` had that `after` has not: what a change leaves behind to delete. */
export function staleRows(before: Lead, after: Lead, rowsOf: (lead: Lead) => RowRef[] = indexRows): RowRef[] {
  const kept = new Set(rowsOf(after).map(keyOf));
  return rowsOf(before)
    .filter((row) => !kept.has(keyOf(row)))
    .map(({ partitionKey, rowKey }) => ({ partitionKey, rowKey }));
}

/** The rows the changes left behind, of one kind, less those written again. */
function removals(changes: { removed?: RowRef[] }[], written: RowRef[], ofKind: (row: RowRef) => boolean): RowRef[] {
  const kept = new Set(written.map(keyOf));
  return changes.flatMap(({ removed = [] }) => removed).filter((row) => ofKind(row) && !kept.has(keyOf(row)));
}

export class LeadViewIndex {
  /** `table` holds the lists, `searchTable` the search rows. */
  constructor(
    private readonly table: TableClient,
    private readonly searchTable: TableClient,
  ) {}

  /** Writes each lead's rows (lists and search) and deletes those it no longer has. */
  async put(changes: { lead: Lead; removed?: RowRef[] }[]): Promise<void> {
    await Promise.all([this.putLists(changes), this.putSearch(changes)]);
  }

  /** Each lead's list rows, and those it no longer has deleted: one transaction for all of them (one partition). */
  async putLists(changes: { lead: Lead; removed?: RowRef[] }[]): Promise<void> {
    const rows = changes.flatMap(({ lead }) => listRows(lead));
    await writeAll(this.table, rows, removals(changes, rows, (row) => !isSearchRow(row)));
  }

  /** Each lead's search rows, and those it no longer has deleted. */
  async putSearch(changes: { lead: Lead; removed?: RowRef[] }[]): Promise<void> {
    const rows = changes.flatMap(({ lead }) => searchRows(lead));
    await Promise.all([upsertAll(this.searchTable, rows), deleteAllIfExist(this.searchTable, removals(changes, rows, isSearchRow))]);
  }

  /**
   * One page of the leads that answer a query, open ones newest first, then archived ones. Reads
   * only the rows of the query's longest word prefix; rows whose lead lacks another query word are
   * skipped (counted in `rowsRead`), at most `maxRows` of them per page. The page's summaries are
   * then read from the leads' shared view rows (point reads, together: `rowsRead` counts them too).
   */
  async search(query: Extract<SearchQuery, { ok: true }>, options: { cursor?: string; size: number; maxRows?: number }): Promise<Page<LeadSummary> & { rowsRead: number }> {
    const { from, to } = searchRange(query.key);
    const start = options.cursor && options.cursor > from && options.cursor < to ? options.cursor : undefined;
    const filter = start
      ? odata`PartitionKey eq ${SEARCH} and RowKey gt ${start} and RowKey lt ${to}`
      : odata`PartitionKey eq ${SEARCH} and RowKey ge ${from} and RowKey lt ${to}`;
    const maxRows = options.maxRows ?? 1000;
    const found: { rowKey: string; view?: string }[] = [];
    let rowsRead = 0;
    let last: string | undefined;
    await guard(async () => {
      const pages = this.searchTable.listEntities<{ words: string; view?: string; summary?: string }>({ queryOptions: { filter, select: ['RowKey', 'words', 'view', 'summary'] } });
      for await (const page of pages.byPage({ maxPageSize: Math.min(maxRows, Math.max(options.size + 1, 50)) })) {
        for (const entity of page) {
          rowsRead++;
          last = entity.rowKey ?? '';
          if (matchesAll(entity.words.split(' '), query.words)) found.push({ rowKey: last, view: viewOfSearchRow(entity) });
          if (found.length > options.size || rowsRead >= maxRows) break;
        }
        if (found.length > options.size || rowsRead >= maxRows) break;
      }
    });
    const hits = found.slice(0, options.size);
    // More may follow: a row beyond the page was found, or the read stopped at its bound.
    const next = found.length > options.size ? hits[hits.length - 1]?.rowKey : rowsRead >= maxRows ? last : undefined;
    // A lead that moved list a moment ago (archived) has its new search rows on their way: it is left out of this page.
    const summaries = await Promise.all(hits.map((hit) => (hit.view ? getOrUndefined<{ summary: string }>(this.table, LISTS_PARTITION, hit.view) : undefined)));
    const items = summaries.flatMap((row) => (row ? [JSON.parse(row.summary) as LeadSummary] : []));
    return { items, next, rowsRead: rowsRead + hits.length };
  }

  /** One page of the leads nobody owns yet, soonest deadline first. */
  unassigned(options: { cursor?: string; size: number }): Promise<Page<LeadSummary>> {
    return this.pageOf(UNASSIGNED, options);
  }

  /** One page of a person's leads: those waiting (soonest deadline first), then those accepted (newest first). */
  owned(userId: string, options: { cursor?: string; size: number }): Promise<Page<LeadSummary>> {
    return this.pageOf(ownerList(userId), options);
  }

  /** One page of the waiting leads of a kind, soonest deadline first. */
  waiting(kind: LeadKind, options: { cursor?: string; size: number }): Promise<Page<LeadSummary>> {
    return this.pageOf(waitingList(kind), options);
  }

  /** One page of a view, newest first. `cursor` is the last RowKey of the previous page. */
  page(view: ViewName, options: { userId?: string; cursor?: string; size: number }): Promise<Page<LeadSummary>> {
    return this.pageOf(viewList(view, options.userId), options);
  }

  private async pageOf(list: string, options: { cursor?: string; size: number }): Promise<Page<LeadSummary>> {
    const { from, to } = listRange(list);
    // A cursor from another list (or from a card posted before lists shared a partition) starts over.
    const after = options.cursor && options.cursor > from && options.cursor < to ? options.cursor : from;
    const filter = odata`PartitionKey eq ${LISTS_PARTITION} and RowKey gt ${after} and RowKey lt ${to}`;
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

export type DueKind = 'reminder' | 'expire' | 'flame' | 'refresh' | 'snooze';

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
/** Beyond this many hours back, due rows are read with one range query rather than one per bucket. */
const WIDE_SPAN_MS = 48 * HOUR_MS;
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

  /**
   * Rows due at or before `now`, reading only the hour buckets from `fromMs` on: a query per
   * bucket, or, over more than two days of them (a first pass looking far back), one query over
   * their range.
   */
  async due(fromMs: number, now: Date, limit = 500): Promise<DueItem[]> {
    const items: DueItem[] = [];
    const nowIso = now.toISOString();
    const first = Math.floor(fromMs / HOUR_MS) * HOUR_MS;
    const wide = now.getTime() - first > WIDE_SPAN_MS;
    for (let t = first; t <= now.getTime() && items.length < limit; t = wide ? Infinity : t + HOUR_MS) {
      const filter = wide
        ? odata`PartitionKey ge ${hourBucket(first)} and PartitionKey le ${hourBucket(now.getTime())} and RowKey le ${`${nowIso}|~`}`
        : odata`PartitionKey eq ${hourBucket(t)} and RowKey le ${`${nowIso}|~`}`;
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
