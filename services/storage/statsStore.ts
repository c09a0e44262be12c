/**
 * The sums behind insights, in one partition of the Stats table: a `w|<Monday>` row per week (UTC)
 * holding each day's counters (`d0` … `d6`, JSON), and a `pipeline` row for what is open now. A
 * lead change's difference (LeadStore records it with the change) is added exactly once: the
 * transaction that adds it to every row it touches (its week, the pipeline) also creates a marker
 * row for that lead version, so a projection run twice (a crash, two instances) finds the marker
 * and adds nothing. One partition: a change is one transaction however many rows it moves.
 */
import { type TableClient, type TransactionAction } from '@azure/data-tables';
import { addInto, weekOf, type Contribution, type Counters } from '../leads/leadStats';
import { AppError } from '../errors';
import { deleteAllIfExist, getOrUndefined, guard, isConflict, isNotFound, isPreconditionFailed, upsertAll } from './tables';

/** One lead change's difference to the sums. */
export interface StatsChange {
  leadId: string;
  version: number;
  delta: Contribution;
}

/** The partition of every sum and marker. */
export const SUMS = 'sums';
const PIPELINE = 'pipeline';
const weekRow = (monday: string) => `w|${monday}`;
const marker = (leadId: string, version: number) => `m|${leadId}|${version}`;
/** The day's property in its week's row: d0 (Monday) … d6 (Sunday). */
const dayProperty = (day: string) => `d${(new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7}`;
/** Operations one transaction may hold: each change's marker and each sums row it touches. */
const MAX_OPERATIONS = 100;
const ATTEMPTS = 10;

/** A change as its transaction writes it: its marker, and what it adds to each sums row's properties. */
type Item = { marker: string; byRow: Map<string, Record<string, Counters>> };

/** Sums rows this instance wrote last: the next change starts from them, not from a read. */
const CACHED_ROWS = 64;

export class StatsStore {
  /** A sums row as this instance last wrote it (with its ETag): another writer since makes the write a 412, and the row is read. */
  private readonly written = new Map<string, Record<string, unknown> & { etag: string }>();
  /** This instance's writes, one after the other: they never refuse each other (412). */
  private inLine: Promise<void> = Promise.resolve();

  constructor(private readonly table: TableClient) {}

  /** Adds the changes' differences to the sums, each once. */
  async apply(changes: StatsChange[]): Promise<void> {
    const items = new Map<string, Item>();
    for (const { leadId, version, delta } of changes) {
      const mark = marker(leadId, version);
      const item = items.get(mark) ?? { marker: mark, byRow: new Map() };
      items.set(mark, item);
      const into = (row: string, property: string, counters: Counters) => {
        const properties = item.byRow.get(row) ?? {};
        item.byRow.set(row, properties);
        addInto((properties[property] ??= {}), counters);
      };
      for (const [day, counters] of Object.entries(delta.days)) into(weekRow(weekOf(day)), dayProperty(day), counters);
      if (Object.keys(delta.pipeline).length > 0) into(PIPELINE, 'open', delta.pipeline);
    }
    for (const group of transactions([...items.values()].filter((i) => i.byRow.size > 0))) await this.inTurn(group);
  }

  /** Each day's counters for these days (days with none are left out); reads one row per week. */
  async days(days: string[]): Promise<{ byDay: Record<string, Counters>; rowsRead: number }> {
    const weeks = [...new Set(days.map(weekOf))];
    const rows = await Promise.all(weeks.map((week) => getOrUndefined<Record<string, unknown>>(this.table, SUMS, weekRow(week))));
    const byWeek = new Map(weeks.map((week, i) => [week, rows[i]]));
    const byDay: Record<string, Counters> = {};
    for (const day of days) {
      const value = byWeek.get(weekOf(day))?.[dayProperty(day)];
      if (typeof value === 'string') byDay[day] = JSON.parse(value) as Counters;
    }
    return { byDay, rowsRead: rows.filter(Boolean).length };
  }

  /** The open pipeline: accepted leads still open, and their value by currency. */
  async pipeline(): Promise<Counters> {
    const row = await getOrUndefined<{ open?: string }>(this.table, SUMS, PIPELINE);
    return row?.open ? (JSON.parse(row.open) as Counters) : {};
  }

  /**
   * Markers guard against a projection run twice. One older than `olderThan` guards nothing more,
   * unless its change is still pending (its projection keeps failing): `pendingVersions` says which
   * versions of a lead are. The rest go, a hundred a transaction.
   */
  async forgetMarkers(olderThan: Date, pendingVersions: (leadId: string) => Promise<number[]>): Promise<number> {
    const stale: { partitionKey: string; rowKey: string; leadId: string; version: number }[] = [];
    await guard(async () => {
      const filter = `PartitionKey eq '${SUMS}' and RowKey ge 'm|' and RowKey lt 'm}' and Timestamp lt datetime'${olderThan.toISOString()}'`;
      for await (const row of this.table.listEntities({ queryOptions: { filter, select: ['RowKey'] } })) {
        const [, leadId = '', version = ''] = (row.rowKey ?? '').split('|');
        stale.push({ partitionKey: SUMS, rowKey: row.rowKey ?? '', leadId, version: Number(version) });
      }
    });
    const pending = new Map<string, Set<number>>();
    for (const leadId of new Set(stale.map((m) => m.leadId))) pending.set(leadId, new Set(await pendingVersions(leadId)));
    const gone = stale.filter((m) => !pending.get(m.leadId)?.has(m.version));
    await deleteAllIfExist(this.table, gone);
    return gone.length;
  }

  /**
   * Records these changes as already in the sums (their markers, without adding anything): for a
   * rebuild whose baseline already holds them.
   */
  async markApplied(changes: StatsChange[]): Promise<void> {
    await upsertAll(this.table, changes.map(({ leadId, version }) => ({ partitionKey: SUMS, rowKey: marker(leadId, version) })));
  }

  /** This instance's writes wait for each other (other instances are met by the ETag). */
  private async inTurn(items: Item[]): Promise<void> {
    const mine = this.inLine.then(() => this.applyNow(items));
    this.inLine = mine.catch(() => undefined);
    await mine;
  }

  /**
   * Adds these items to the sums rows they touch, with their markers, in one transaction. A row
   * this instance has not written is assumed new (created) the first time; a marker already there
   * means its item was added.
   */
  private async applyNow(items: Item[]): Promise<void> {
    const rowKeys = [...new Set(items.flatMap((i) => [...i.byRow.keys()]))];
    const read = new Map<string, (Record<string, unknown> & { etag: string }) | undefined>();
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const rows = rowKeys.map((rowKey) => ({ rowKey, row: read.has(rowKey) ? read.get(rowKey) : this.written.get(rowKey) }));
      const actions: TransactionAction[] = [
        ...rows.map(({ rowKey, row }): TransactionAction => {
          const sumsRow = { partitionKey: SUMS, rowKey, ...sums(row, items, rowKey) };
          return row ? ['update', sumsRow, 'Replace', { etag: row.etag }] : ['create', sumsRow];
        }),
        ...items.map((i): TransactionAction => ['create', { partitionKey: SUMS, rowKey: i.marker }]),
      ];
      for (const { rowKey } of rows) this.written.delete(rowKey);
      try {
        const response = await guard(() => this.table.submitTransaction(actions));
        // The sums rows come first; their new ETags let the next change skip the reads.
        rows.forEach(({ rowKey, row }, i) => {
          const etag = response.subResponses[i]?.etag;
          if (etag) this.remember(rowKey, { ...sums(row, items, rowKey), etag });
        });
        return;
      } catch (error) {
        const retry = isPreconditionFailed(error) || isNotFound(error) || isConflict(error);
        if (!retry) throw error;
        // Another projector wrote first (a row changed, or was created meanwhile, or is gone),
        // or a marker is there: read the rows as they are, after a short random wait so that
        // projectors contending for the rows (a bulk import) spread out.
        if (isPreconditionFailed(error)) await backoff(attempt);
        const fresh = await Promise.all(rowKeys.map((rowKey) => getOrUndefined<Record<string, unknown>>(this.table, SUMS, rowKey)));
        const conflictWithRowsAsRead = isConflict(error) && rows.every(({ row }, i) => (row?.etag ?? undefined) === (fresh[i]?.etag ?? undefined));
        rowKeys.forEach((rowKey, i) => read.set(rowKey, fresh[i]));
        if (!conflictWithRowsAsRead) continue;
        // The rows were as written, so a marker refused it: this was added before. One item at a time tells which.
        if (items.length > 1) {
          for (const one of items) await this.applyNow([one]);
        }
        return;
      }
    }
    throw new AppError('conflict', `the insights sums kept changing during ${ATTEMPTS} attempts`);
  }

  private remember(rowKey: string, row: Record<string, unknown> & { etag: string }): void {
    if (this.written.size >= CACHED_ROWS) this.written.delete(this.written.keys().next().value ?? '');
    this.written.set(rowKey, row);
  }
}

/**
 * Changes grouped so that a transaction holds at most MAX_OPERATIONS: a marker each, and each
 * sums row once (a page of old leads can touch many weeks).
 */
function transactions(items: Item[]): Item[][] {
  const groups: Item[][] = [];
  let group: Item[] = [];
  let rows = new Set<string>();
  for (const item of items) {
    const withItem = new Set([...rows, ...item.byRow.keys()]);
    if (group.length > 0 && withItem.size + group.length + 1 > MAX_OPERATIONS) {
      groups.push(group);
      group = [];
      rows = new Set(item.byRow.keys());
    } else rows = withItem;
    group.push(item);
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

/** Up to 20 ms × 2^attempt, at random (a few seconds in all, over ATTEMPTS tries). */
const backoff = (attempt: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.random() * 20 * 2 ** Math.min(attempt, 7)));

/** A sums row's properties with what the items add to it. */
function sums(row: Record<string, unknown> | undefined, items: Item[], rowKey: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(row ?? {})) if (/^(d\d|open)$/.test(name) && typeof value === 'string') out[name] = value;
  for (const item of items) {
    for (const [property, counters] of Object.entries(item.byRow.get(rowKey) ?? {})) {
      out[property] = JSON.stringify(addInto(JSON.parse(out[property] ?? '{}') as Counters, counters));
    }
  }
  return out;
}
