/**
 * The durable outbound queue: every proactive post and card update waits here until the
 * dispatcher sends it. Items are claimed with an ETag-conditional write, so several instances
 * never send one item twice; "sent" tombstones keep one-time messages from being re-queued.
 */
import { odata, type TableClient } from '@azure/data-tables';
import { createAll, createIfAbsent, deleteIfExists, getOrUndefined, guard, isNotFound, isPreconditionFailed } from '../storage/tables';

export type OutboundKind = 'syncCard' | 'reminder' | 'flameAlert' | 'expiredNotice' | 'digest' | 'adminNotice' | 'syncHealth' | 'overruled' | 'insights' | 'needsAnswer' | 'writeBack';

export interface OutboxItem {
  key: string;
  kind: OutboundKind;
  conversationKey: string;
  leadId?: string;
  hours?: number;
  /**
   * A person's AAD object id: with a `person|…` conversation key, the message goes to their
   * personal chat; with a conversation's key, it @mentions them there.
   */
  personId?: string;
  /** A reminder someone put off, now due: the reminders they put off do not hold it back. */
  snoozed?: boolean;
  /** A digest's leads, as JSON (one line each on the card). */
  leadIds?: string;
  text?: string;
  dueAt: number;
  attempts: number;
  urgent?: boolean;
  /** 429s so far: they do not count as failed tries, but widen the wait when Teams gives no Retry-After. */
  throttles?: number;
  leaseUntil: number;
  lastError?: string;
  /**
   * Set on a claimed item whose previous claim was never settled: the instance sending it stopped
   * mid-send (a crash), so Teams may or may not have the message already.
   */
  interrupted?: boolean;
  etag: string;
}

/** A card to bring up to date in a conversation. */
export interface CardSync {
  leadId: string;
  conversationKey: string;
  urgent?: boolean;
}

type NewItem = Pick<OutboxItem, 'kind' | 'conversationKey' | 'leadId' | 'hours' | 'leadIds' | 'text' | 'personId' | 'snoozed'> & { key: string };

/** The outbox's address of a person (not a conversation): their personal chat, found or opened when the message is sent. */
export const personKey = (personId: string) => `person|${personId.toLowerCase()}`;
export const isPersonKey = (conversationKey: string) => conversationKey.startsWith('person|');

/** The queue of Teams sends; Partner Center write-backs wait in their own partition, with their own sender. */
export const TEAMS_QUEUE = 'pending';
export const PARTNER_CENTER_QUEUE = 'partnerCenter';
const SENT = 'sent';
const DEAD = 'dead';

export class Outbox {
  constructor(
    private readonly table: TableClient,
    private readonly dead: TableClient,
    /** The partition this queue's pending items live in. */
    private readonly queue: typeof TEAMS_QUEUE | typeof PARTNER_CENTER_QUEUE = TEAMS_QUEUE,
  ) {}

  /**
   * Queues card syncs; repeated calls coalesce into one pending item per card. `urgent` (a new
   * lead's first post) goes before routine updates such as time-left refreshes. New items are
   * created together, in one request.
   */
  async enqueueSyncs(cards: CardSync[], now: Date): Promise<void> {
    await this.enqueueCoalescing(
      cards.map((c) => ({ rowKey: `card|${c.leadId}|${c.conversationKey}`, kind: 'syncCard', conversationKey: c.conversationKey, leadId: c.leadId, urgent: c.urgent ?? false })),
      now,
    );
  }

  /** Queues bringing these leads' referrals in line with them in Partner Center: one pending item per lead, however often it changes. */
  async enqueueWriteBacks(leadIds: string[], now: Date): Promise<void> {
    await this.enqueueCoalescing(leadIds.map((leadId) => ({ rowKey: `writeBack|${leadId}`, kind: 'writeBack', conversationKey: '', leadId })), now);
  }

  /**
   * Items that mean "bring X up to date": one pending item each, created together in one request.
   * An item already queued is touched instead, which changes its ETag, so a send in flight runs it
   * again afterwards instead of completing it, and catches up with this change too.
   */
  private async enqueueCoalescing(rows: { rowKey: string; kind: OutboundKind; conversationKey: string; leadId: string; urgent?: boolean }[], now: Date): Promise<void> {
    const items = rows.map((row) => ({ partitionKey: this.queue, ...row, dueAt: now.getTime(), attempts: 0, leaseUntil: 0 }));
    // A transaction is refused as a whole when one item is already queued: the rest go one by one.
    const notCreated = await createAll(this.table, items);
    await Promise.all(
      notCreated.map(async (item) => {
        if (await createIfAbsent(this.table, item)) return;
        try {
          await guard(() => this.table.updateEntity({ partitionKey: this.queue, rowKey: item.rowKey, touchedAt: now.getTime() }, 'Merge'));
        } catch (error) {
          // Completed in between: queue it afresh.
          if (!isNotFound(error)) throw error;
          await createIfAbsent(this.table, item);
        }
      }),
    );
  }

  /** Queues a one-time message; false when it was queued (or sent) before. */
  async enqueueOnce(item: NewItem, now: Date): Promise<boolean> {
    if (!(await createIfAbsent(this.table, { partitionKey: this.queue, rowKey: item.key, ...item, dueAt: now.getTime(), attempts: 0, leaseUntil: 0 }))) return false;
    // Checked after creating: `complete` writes the tombstone before it deletes the pending row,
    // so whichever way a racing completion falls, one of the two checks sees it.
    if (await getOrUndefined(this.table, SENT, item.key)) {
      await guard(() => this.table.deleteEntity(this.queue, item.key)).catch(() => undefined);
      return false;
    }
    return true;
  }

  /** Pending items due now and not leased by another instance, oldest first. */
  async due(now: Date, limit = 200): Promise<OutboxItem[]> {
    const items: OutboxItem[] = [];
    const t = now.getTime();
    await guard(async () => {
      const rows = this.table.listEntities<Omit<OutboxItem, 'key' | 'etag'>>({
        queryOptions: { filter: odata`PartitionKey eq ${this.queue} and dueAt le ${t} and leaseUntil le ${t}` },
      });
      for await (const row of rows) {
        items.push({ ...row, key: row.rowKey ?? '', etag: row.etag });
        if (items.length >= limit * 5) break;
      }
    });
    // New cards, reminders and alerts first; routine card updates after them.
    const rank = (i: OutboxItem) => (i.kind === 'syncCard' && !i.urgent ? 1 : 0);
    return items.sort((a, b) => rank(a) - rank(b) || a.dueAt - b.dueAt).slice(0, limit);
  }

  async pendingCount(): Promise<number> {
    let n = 0;
    await guard(async () => {
      for await (const _ of this.table.listEntities({ queryOptions: { filter: odata`PartitionKey eq ${this.queue}`, select: ['RowKey'] } })) n++;
    });
    return n;
  }

  /** Claims an item for `leaseMs`; false if another instance claimed or changed it first. */
  async claim(item: OutboxItem, now: Date, leaseMs: number): Promise<OutboxItem | undefined> {
    try {
      const leaseUntil = now.getTime() + leaseMs;
      const result = await guard(() =>
        this.table.updateEntity({ partitionKey: this.queue, rowKey: item.key, leaseUntil }, 'Merge', { etag: item.etag }),
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
    const [pending, sent] = await Promise.all([getOrUndefined(this.table, this.queue, key), getOrUndefined(this.table, SENT, key)]);
    return Boolean(pending ?? sent);
  }

  /**
   * Done. A card sync or write-back re-queued meanwhile (ETag changed) stays for another pass; a one-time
   * message is gone for good, its tombstone saying whether it may have been sent twice.
   */
  async complete(item: OutboxItem, now: Date, maybeDuplicate = false): Promise<void> {
    if (item.kind !== 'syncCard' && item.kind !== 'writeBack') {
      const tombstone = { partitionKey: SENT, rowKey: item.key, kind: item.kind, sentAt: now.getTime(), ...(maybeDuplicate && { maybeDuplicate }) };
      await guard(() => this.table.upsertEntity(tombstone, 'Replace'));
      await deleteIfExists(this.table, this.queue, item.key);
      return;
    }
    if (await deleteIfExists(this.table, this.queue, item.key, item.etag)) return;
    // Re-queued while we sent: release the lease so the next pass picks it up at once.
    await guard(() => this.table.updateEntity({ partitionKey: this.queue, rowKey: item.key, leaseUntil: 0 }, 'Merge'));
  }

  /**
   * Try again at `dueAt`; a failed try counts toward the limit, a throttled one does not. A card
   * found posted after all ('routine') is no longer a first post: it will not be digested again.
   */
  async retryLater(item: OutboxItem, dueAt: number, error: string, outcome: 'failed' | 'throttled' | 'released' | 'routine' = 'failed'): Promise<void> {
    const counts = {
      attempts: item.attempts + (outcome === 'failed' ? 1 : 0),
      throttles: (item.throttles ?? 0) + (outcome === 'throttled' ? 1 : 0),
      ...(outcome === 'routine' && { urgent: false }),
    };
    const change = { partitionKey: this.queue, rowKey: item.key, dueAt, leaseUntil: 0, ...counts, lastError: error.slice(0, 500) };
    try {
      await guard(() => this.table.updateEntity(change, 'Merge', { etag: item.etag }));
    } catch (e) {
      if (!isPreconditionFailed(e)) throw e;
      // Re-queued meanwhile: still keep the wait (and the counts), or a throttled send would hammer on.
      await guard(() => this.table.updateEntity(change, 'Merge')).catch(() => undefined);
    }
  }

  /** Gives up on an item: it moves to the DeadLetters table, where an operator can look. */
  async deadLetter(item: OutboxItem, error: string, now: Date): Promise<void> {
    const { etag: _etag, key, ...rest } = item;
    await guard(() =>
      this.dead.upsertEntity({ ...rest, partitionKey: DEAD, rowKey: `${now.getTime()}|${key}`, lastError: error.slice(0, 500), deadAt: now.getTime() }, 'Replace'),
    );
    if (item.kind !== 'syncCard' && item.kind !== 'writeBack') {
      await guard(() => this.table.deleteEntity(this.queue, key)).catch(() => undefined);
      return;
    }
    // Re-queued meanwhile (a newer change): that one still goes, at once.
    if (!(await deleteIfExists(this.table, this.queue, key, item.etag))) {
      await guard(() => this.table.updateEntity({ partitionKey: this.queue, rowKey: key, leaseUntil: 0 }, 'Merge')).catch(() => undefined);
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
