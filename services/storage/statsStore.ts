/**
 * The sums behind insights, in the Stats table: a partition per week (Monday, UTC) whose `totals`
 * row holds each day's counters (`d0` … `d6`, JSON), and a `pipeline` partition for what is open
 * now. A lead change's difference (LeadStore records it with the change) is added exactly once:
 * the transaction that adds it also creates a marker row for that lead version, so a projection
 * run twice (a crash, two instances) finds the marker and adds nothing.
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

const TOTALS = 'totals';
const PIPELINE = 'pipeline';
const weekPartition = (monday: string) => `w|${monday}`;
const marker = (leadId: string, version: number) => `m|${leadId}|${version}`;
/** The day's property in its week's totals row: d0 (Monday) … d6 (Sunday). */
const dayProperty = (day: string) => `d${(new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7}`;
/** Markers per transaction (a transaction holds at most 100 operations, one is the totals row). */
const MARKERS_PER_TRANSACTION = 99;
const ATTEMPTS = 10;

type Item = { marker: string; byProperty: Record<string, Counters> };

/** Totals rows this instance wrote last, by partition: the next change starts from them, not from a read. */
const CACHED_PARTITIONS = 64;

export class StatsStore {
  /** The totals row as this instance last wrote it (with its ETag): another writer since makes the write a 412, and the row is read. */
  private readonly written = new Map<string, Record<string, unknown> & { etag: string }>();
  /** Writes to one partition, one after the other within this instance: they never refuse each other (412). */
  private readonly inLine = new Map<string, Promise<void>>();

  constructor(private readonly table: TableClient) {}

  /** Adds the changes' differences to the sums, each once. Rows of one week are written together. */
  async apply(changes: StatsChange[]): Promise<void> {
    const byPartition = new Map<string, Map<string, Item>>();
    const item = (partition: string, mark: string) => {
      const items = byPartition.get(partition) ?? new Map<string, Item>();
      byPartition.set(partition, items);
      const found = items.get(mark) ?? { marker: mark, byProperty: {} };
      items.set(mark, found);
      return found;
    };
    for (const { leadId, version, delta } of changes) {
      for (const [day, counters] of Object.entries(delta.days)) {
        const target = item(weekPartition(weekOf(day)), marker(leadId, version));
        addInto((target.byProperty[dayProperty(day)] ??= {}), counters);
      }
      if (Object.keys(delta.pipeline).length > 0) addInto((item(PIPELINE, marker(leadId, version)).byProperty.open ??= {}), delta.pipeline);
    }
    await Promise.all(
      [...byPartition].map(async ([partition, items]) => {
        const all = [...items.values()];
        for (let i = 0; i < all.length; i += MARKERS_PER_TRANSACTION) await this.applyTo(partition, all.slice(i, i + MARKERS_PER_TRANSACTION));
      }),
    );
  }

  /** Each day's counters for these days (days with none are left out); reads one row per week. */
  async days(days: string[]): Promise<{ byDay: Record<string, Counters>; rowsRead: number }> {
    const weeks = [...new Set(days.map(weekOf))];
    const rows = await Promise.all(weeks.map((week) => getOrUndefined<Record<string, unknown>>(this.table, weekPartition(week), TOTALS)));
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
    const row = await getOrUndefined<{ open?: string }>(this.table, PIPELINE, TOTALS);
    return row?.open ? (JSON.parse(row.open) as Counters) : {};
  }

  /**
   * Markers guard against a projection run twice. One older than `olderThan` guards nothing more,
   * unless its change is still pending (its projection keeps failing): `pendingVersions` says which
   * versions of a lead are. The rest go, a transaction per partition and hundred.
   */
  async forgetMarkers(olderThan: Date, pendingVersions: (leadId: string) => Promise<number[]>): Promise<number> {
    const stale: { partitionKey: string; rowKey: string; leadId: string; version: number }[] = [];
    await guard(async () => {
      const rows = this.table.listEntities({ queryOptions: { filter: `RowKey ge 'm|' and RowKey lt 'm}' and Timestamp lt datetime'${olderThan.toISOString()}'`, select: ['PartitionKey', 'RowKey'] } });
      for await (const row of rows) {
        const [, leadId = '', version = ''] = (row.rowKey ?? '').split('|');
        stale.push({ partitionKey: row.partitionKey ?? '', rowKey: row.rowKey ?? '', leadId, version: Number(version) });
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
    const markers = changes.flatMap(({ leadId, version, delta }) => [
      ...[...new Set(Object.keys(delta.days).map((day) => weekPartition(weekOf(day))))].map((partitionKey) => ({ partitionKey, rowKey: marker(leadId, version) })),
      ...(Object.keys(delta.pipeline).length > 0 ? [{ partitionKey: PIPELINE, rowKey: marker(leadId, version) }] : []),
    ]);
    await upsertAll(this.table, markers);
  }

  /** One partition's writes of this instance wait for each other (other instances are met by the ETag). */
  private async applyTo(partition: string, items: Item[]): Promise<void> {
    const before = this.inLine.get(partition) ?? Promise.resolve();
    const mine = before.then(() => this.applyNow(partition, items));
    const settled = mine.catch(() => undefined);
    this.inLine.set(partition, settled);
    try {
      await mine;
    } finally {
      if (this.inLine.get(partition) === settled) this.inLine.delete(partition);
    }
  }

  /** Adds these items to one partition's totals, with their markers, in one transaction; a marker already there means its item was added. */
  private async applyNow(partition: string, items: Item[]): Promise<void> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const row = (attempt === 0 ? this.written.get(partition) : undefined) ?? (await getOrUndefined<Record<string, unknown>>(this.table, partition, TOTALS));
      const totals = { partitionKey: partition, rowKey: TOTALS, ...sums(row, items) };
      const actions: TransactionAction[] = [row ? ['update', totals, 'Replace', { etag: row.etag }] : ['create', totals], ...items.map((i): TransactionAction => ['create', { partitionKey: partition, rowKey: i.marker }])];
      this.written.delete(partition);
      try {
        const response = await guard(() => this.table.submitTransaction(actions));
        // The totals row is the first action; its new ETag lets the next change skip the read.
        const etag = response.subResponses[0]?.etag;
        if (etag) this.remember(partition, { ...totals, etag });
        return;
      } catch (error) {
        // Another projector added first (totals changed or created): read again, after a short random wait
        // so that projectors contending for one week's row (a bulk import) spread out.
        if (isPreconditionFailed(error)) {
          await backoff(attempt);
          continue;
        }
        // The remembered row is gone (the table was emptied): read what is there and try again.
        if (isNotFound(error)) continue;
        if (!isConflict(error)) throw error;
        // A conflict is the totals row created meanwhile or a marker already there (this was added before):
        // one item at a time tells which.
        if (items.length > 1) {
          for (const one of items) await this.applyNow(partition, [one]);
          return;
        }
        if (!row) continue;
        return;
      }
    }
    throw new AppError('conflict', `the insights sums of ${partition} kept changing during ${ATTEMPTS} attempts`);
  }

  private remember(partition: string, row: Record<string, unknown> & { etag: string }): void {
    if (this.written.size >= CACHED_PARTITIONS) this.written.delete(this.written.keys().next().value ?? '');
    this.written.set(partition, row);
  }
}

/** Up to 20 ms × 2^attempt, at random (a few seconds in all, over ATTEMPTS tries). */
const backoff = (attempt: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.random() * 20 * 2 ** Math.min(attempt, 7)));

/** The totals row's day properties with the items added. */
function sums(row: Record<string, unknown> | undefined, items: Item[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(row ?? {})) if (/^(d\d|open)$/.test(name) && typeof value === 'string') out[name] = value;
  for (const item of items) {
    for (const [property, counters] of Object.entries(item.byProperty)) {
      out[property] = JSON.stringify(addInto(JSON.parse(out[property] ?? '{}') as Counters, counters));
    }
  }
  return out;
}
