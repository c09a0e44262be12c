/** A named lease in Tables: one instance at a time holds it (ETag-conditional claim), with a little state. */
import type { TableClient } from '@azure/data-tables';
import { getOrUndefined, guard, isConflict, isPreconditionFailed } from './tables';

const PARTITION = 'lease';

/** The leases of the background work that runs on one instance at a time (readiness reports them). */
export const LEASES = { sender: 'dispatcher', scheduler: 'scheduler', partnerCenterPoll: 'partnerCenterPoll' } as const;

export type LeaseHolder = 'this instance' | 'another instance' | 'free';

/** Who holds the lease `name` at `now`, as `instanceId` sees it (held while its time has not run out). */
export async function leaseHolder(table: TableClient, name: string, instanceId: string, now: Date): Promise<LeaseHolder> {
  const row = await getOrUndefined<{ owner?: string; until?: number }>(table, PARTITION, name);
  if (!row?.owner || (row.until ?? 0) <= now.getTime()) return 'free';
  return row.owner === instanceId ? 'this instance' : 'another instance';
}

export interface LeaseState {
  cursorMs?: number;
}

export class Lease {
  constructor(
    private readonly table: TableClient,
    private readonly name: string,
    private readonly owner: string,
  ) {}

  /** Our last claim, held until `until`: renewing with its ETag takes one write instead of a read and a write. */
  private renewal?: { etag: string; state: LeaseState; until: number };

  /**
   * Keeps holding the lease with at least three quarters of `ms` left, renewing it only once a
   * quarter has passed: a loop that runs every few hundred milliseconds writes four times a lease,
   * not on every pass, and a pass that lasts up to half of it still ends inside it.
   */
  async keep(now: Date, ms: number): Promise<boolean> {
    if (this.renewal && this.renewal.until - now.getTime() >= (ms * 3) / 4) return true;
    return (await this.acquire(now, ms)) !== undefined;
  }

  /** Whether this instance holds the lease, by its last claim, with at least `ms` of it left (no request). */
  holding(now: Date, ms: number): boolean {
    return this.renewal !== undefined && this.renewal.until - now.getTime() >= ms;
  }

  /** Claims the lease for `ms`; returns its state, or undefined if another owner holds it. */
  async acquire(now: Date, ms: number): Promise<{ state: LeaseState; etag: string } | undefined> {
    const until = now.getTime() + ms;
    if (this.renewal) {
      // Still held by the last claim while this renewal is on its way (`holding` keeps answering from it).
      const { etag, state } = this.renewal;
      try {
        const renewed = await guard(() => this.table.updateEntity({ partitionKey: PARTITION, rowKey: this.name, owner: this.owner, until }, 'Merge', { etag }));
        return this.held({ state, etag: renewed.etag ?? '' }, until);
      } catch (error) {
        this.renewal = undefined;
        if (!isPreconditionFailed(error)) throw error;
        // Released, taken over or changed meanwhile: read it as usual.
      }
    }
    const row = await getOrUndefined<{ owner: string; until: number; cursorMs?: number }>(this.table, PARTITION, this.name);
    try {
      if (!row) {
        const created = await guard(() => this.table.createEntity({ partitionKey: PARTITION, rowKey: this.name, owner: this.owner, until }));
        return this.held({ state: {}, etag: created.etag ?? '' }, until);
      }
      if (row.owner !== this.owner && row.until > now.getTime()) return undefined;
      const updated = await guard(() =>
        this.table.updateEntity({ partitionKey: PARTITION, rowKey: this.name, owner: this.owner, until }, 'Merge', { etag: row.etag }),
      );
      return this.held({ state: { cursorMs: row.cursorMs ?? undefined }, etag: updated.etag ?? '' }, until);
    } catch (error) {
      if (isConflict(error) || isPreconditionFailed(error)) return undefined;
      throw error;
    }
  }

  private held(claim: { state: LeaseState; etag: string }, until: number): { state: LeaseState; etag: string } {
    this.renewal = { ...claim, until };
    return claim;
  }

  /** Saves state and lets go; false if the lease was lost meanwhile (its state is not saved). */
  async release(etag: string, state: LeaseState): Promise<boolean> {
    this.renewal = undefined;
    try {
      await guard(() => this.table.updateEntity({ partitionKey: PARTITION, rowKey: this.name, until: 0, ...state }, 'Merge', { etag }));
      return true;
    } catch (error) {
      if (isPreconditionFailed(error)) return false;
      throw error;
    }
  }

  /** Lets go if this instance holds the lease (a graceful stop), so another can take over at once. */
  async letGo(): Promise<void> {
    this.renewal = undefined;
    const row = await getOrUndefined<{ owner: string }>(this.table, PARTITION, this.name);
    if (!row || row.owner !== this.owner) return;
    try {
      await guard(() => this.table.updateEntity({ partitionKey: PARTITION, rowKey: this.name, until: 0 }, 'Merge', { etag: row.etag }));
    } catch (error) {
      if (!isPreconditionFailed(error)) throw error;
    }
  }
}
