/**
 * A durable queue in one partition of the Outbox table: what a sender must still do, until it has.
 * Items are claimed with an ETag-conditional write, so several instances never run one item twice.
 * Two kinds of item: a coalescing one ("bring X up to date": one pending item per X however often
 * it is asked for; a request while it runs makes it run again) and a one-time one (a message, sent
 * once: a "sent" tombstone keeps it from being queued again). Each queue's owner (Teams delivery,
 * an outside system's write-back) has its own partition and its own kinds.
 */
import { odata, type TableClient } from '@azure/data-tables';
import { createAll, createIfAbsent, deleteIfExists, getOrUndefined, guard, isNotFound, isPreconditionFailed } from './tables';

/** What every queued item has; its owner's fields ride along (a conversation, a lead, a text…). */
export interface QueueItem {
  key: string;
  kind: string;
  dueAt: number;
  attempts: number;
  /** 429s so far: they do not count as failed tries, but widen the wait when the other side gives no Retry-After. */
  throttles?: number;
  leaseUntil: number;
  lastError?: string;
  /**
   * Set on a claimed item whose previous claim was never settled: the instance running it stopped
   * mid-way (a crash), so the other side may or may not have it already.
   */
  interrupted?: boolean;
  etag: string;
}

/** A one-time item to queue: its key, its kind and its owner's fields. */
export type NewQueueItem = { key: string; kind: string } & Record<string, unknown>;

/** An item that brings something up to date: one pending row per `rowKey`. */
export type CoalescingItem = { rowKey: string; kind: string } & Record<string, unknown>;

const SENT = 'sent';
const DEAD = 'dead';

export interface QueueOptions<T extends QueueItem> {
  /** The kinds whose items coalesce ("bring X up to date"); every other kind is one-time. */
  coalescing: ReadonlySet<string>;
  /** How the owner reads a stored row (an older release's kind names, say). */
  read?: (row: T) => T;
  /** Order of `due`: lower ranks first, then oldest first. */
  rank?: (item: T) => number;
}

export class Queue<T extends QueueItem> {
  constructor(
    private readonly table: TableClient,
    private readonly dead: TableClient,
    /** The partition this queue's pending items live in. */
    private readonly partition: string,
    private readonly options: QueueOptions<T>,
  ) {}

  private coalesces(item: Pick<QueueItem, 'kind'>): boolean {
    return this.options.coalescing.has(item.kind);
  }

  /**
   * Items that mean "bring X up to date": one pending item each, created together in one request.
   * An item already queued is touched instead, which changes its ETag, so a send in flight runs it
   * again afterwards instead of completing it, and catches up with this change too.
   */
  async enqueueCoalescing(rows: CoalescingItem[], now: Date): Promise<void> {
    const items = rows.map((row) => ({ partitionKey: this.partition, ...row, dueAt: now.getTime(), attempts: 0, leaseUntil: 0 }));
    // A transaction is refused as a whole when one item is already queued: the rest go one by one.
    const notCreated = await createAll(this.table, items);
    await Promise.all(
      notCreated.map(async (item) => {
        if (await createIfAbsent(this.table, item)) return;
        try {
          await guard(() => this.table.updateEntity({ partitionKey: this.partition, rowKey: item.rowKey, touchedAt: now.getTime() }, 'Merge'));
        } catch (error) {
          // Completed in between: queue it afresh.
          if (!isNotFound(error)) throw error;
          await createIfAbsent(this.table, item);
        }
      }),
    );
  }

  /** Queues a one-time message; false when it was queued (or sent) before. */
  async enqueueOnce(item: NewQueueItem, now: Date): Promise<boolean> {
    if (!(await createIfAbsent(this.table, { partitionKey: this.partition, rowKey: item.key, ...item, dueAt: now.getTime(), attempts: 0, leaseUntil: 0 }))) return false;
    // Checked after creating: `complete` writes the tombstone before it deletes the pending row,
    // so whichever way a racing completion falls, one of the two checks sees it.
    if (await getOrUndefined(this.table, SENT, item.key)) {
      await guard(() => this.table.deleteEntity(this.partition, item.key)).catch(() => undefined);
      return false;
    }
    return true;
  }

  /** Pending items due now and not leased by another instance, oldest first. */
  async due(now: Date, limit = 200): Promise<T[]> {
    const items: T[] = [];
    const t = now.getTime();
    const read = this.options.read ?? ((row: T) => row);
    await guard(async () => {
      const rows = this.table.listEntities<Omit<T, 'key' | 'etag'>>({
        queryOptions: { filter: odata`PartitionKey eq ${this.partition} and dueAt le ${t} and leaseUntil le ${t}` },
      });
      for await (const row of rows) {
        items.push(read({ ...row, key: row.rowKey ?? '', etag: row.etag } as unknown as T));
        if (items.length >= limit * 5) break;
      }
    });
    const rank = this.options.rank ?? (() => 0);
    return items.sort((a, b) => rank(a) - rank(b) || a.dueAt - b.dueAt).slice(0, limit);
  }

  /** How long the oldest item due now has waited (0 when none): a gauge, read once a minute at most. */
  async oldestWaitingMs(now: Date): Promise<number> {
    const t = now.getTime();
    let oldest = t;
    await guard(async () => {
      const rows = this.table.listEntities<{ dueAt: number }>({ queryOptions: { filter: odata`PartitionKey eq ${this.partition} and dueAt le ${t}`, select: ['dueAt'] } });
      for await (const row of rows) oldest = Math.min(oldest, row.dueAt);
    });
    return t - oldest;
  }

  async pendingCount(): Promise<number> {
    let n = 0;
    await guard(async () => {
      for await (const _ of this.table.listEntities({ queryOptions: { filter: odata`PartitionKey eq ${this.partition}`, select: ['RowKey'] } })) n++;
    });
    return n;
  }

  /** Claims an item for `leaseMs`; false if another instance claimed or changed it first. */
  async claim(item: T, now: Date, leaseMs: number): Promise<T | undefined> {
    try {
      const leaseUntil = now.getTime() + leaseMs;
      const result = await guard(() =>
        this.table.updateEntity({ partitionKey: this.partition, rowKey: item.key, leaseUntil }, 'Merge', { etag: item.etag }),
      );
      // Every settled try resets leaseUntil to 0; a lapsed one means its sender never finished.
      return { ...item, leaseUntil, interrupted: item.leaseUntil > 0, etag: result.etag ?? item.etag };
    } catch (error) {
      if (isPreconditionFailed(error) || isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Queued or sent: a one-time message with this key exists. */
  async exists(key: string): Promise<boolean> {
    const [pending, sent] = await Promise.all([getOrUndefined(this.table, this.partition, key), getOrUndefined(this.table, SENT, key)]);
    return Boolean(pending ?? sent);
  }

  /**
   * Done. A coalescing item asked for again meanwhile (its ETag changed) stays for another pass; a
   * one-time item is gone for good, its tombstone saying whether it may have been sent twice.
   */
  async complete(item: T, now: Date, maybeDuplicate = false): Promise<void> {
    if (!this.coalesces(item)) {
      const tombstone = { partitionKey: SENT, rowKey: item.key, kind: item.kind, sentAt: now.getTime(), ...(maybeDuplicate && { maybeDuplicate }) };
      await guard(() => this.table.upsertEntity(tombstone, 'Replace'));
      await deleteIfExists(this.table, this.partition, item.key);
      return;
    }
    if (await deleteIfExists(this.table, this.partition, item.key, item.etag)) return;
    // Re-queued while we sent: release the lease so the next pass picks it up at once.
    await guard(() => this.table.updateEntity({ partitionKey: this.partition, rowKey: item.key, leaseUntil: 0 }, 'Merge'));
  }

  /**
   * Try again at `dueAt`; a failed try counts toward the limit, a throttled one does not. An item
   * found done after all ('routine', a card posted by an earlier try) is no longer urgent.
   */
  async retryLater(item: T, dueAt: number, error: string, outcome: 'failed' | 'throttled' | 'released' | 'routine' = 'failed'): Promise<void> {
    const counts = {
      attempts: item.attempts + (outcome === 'failed' ? 1 : 0),
      throttles: (item.throttles ?? 0) + (outcome === 'throttled' ? 1 : 0),
      ...(outcome === 'routine' && { urgent: false }),
    };
    const change = { partitionKey: this.partition, rowKey: item.key, dueAt, leaseUntil: 0, ...counts, lastError: error.slice(0, 500) };
    try {
      await guard(() => this.table.updateEntity(change, 'Merge', { etag: item.etag }));
    } catch (e) {
      if (!isPreconditionFailed(e)) throw e;
      // Re-queued meanwhile: still keep the wait (and the counts), or a throttled send would hammer on.
      await guard(() => this.table.updateEntity(change, 'Merge')).catch(() => undefined);
    }
  }

  /** Gives up on an item: it moves to the DeadLetters table, where an operator can look. */
  async deadLetter(item: T, error: string, now: Date): Promise<void> {
    const { etag: _etag, key, ...rest } = item;
    await guard(() =>
      this.dead.upsertEntity({ ...rest, partitionKey: DEAD, rowKey: `${now.getTime()}|${key}`, lastError: error.slice(0, 500), deadAt: now.getTime() }, 'Replace'),
    );
    if (!this.coalesces(item)) {
      await guard(() => this.table.deleteEntity(this.partition, key)).catch(() => undefined);
      return;
    }
    // Re-queued meanwhile (a newer change): that one still goes, at once.
    if (!(await deleteIfExists(this.table, this.partition, key, item.etag))) {
      await guard(() => this.table.updateEntity({ partitionKey: this.partition, rowKey: key, leaseUntil: 0 }, 'Merge')).catch(() => undefined);
    }
  }

  async deadLetters(): Promise<Array<Record<string, unknown>>> {
    const rows: Array<Record<string, unknown>> = [];
    await guard(async () => {
      for await (const row of this.dead.listEntities({ queryOptions: { filter: odata`PartitionKey eq ${DEAD}` } })) rows.push(row);
    });
    return rows;
  }
}
