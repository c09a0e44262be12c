/**
 * The sync's own rows in the PartnerCenter table: the refresh token (shared by every instance, the
 * newest one issued), the pull cursor, the health record and the inbox of webhook events.
 */
import { createHash } from 'node:crypto';
import { odata, type TableClient } from '@azure/data-tables';
import { createIfAbsent, deleteIfExists, getOrUndefined, guard, isConflict, isPreconditionFailed } from '../storage/tables';

/** How the refresh token was issued: redeemed with the client secret (confidential) or without (a public-client sign-in). */
export type ClientType = 'confidential' | 'public';

export interface StoredConnection {
  refreshToken: string;
  clientType: ClientType;
  /** 'setting': PARTNER_CENTER_REFRESH_TOKEN (or a token rotated from it); 'connect': `npm run partner-center:connect`. */
  origin: 'setting' | 'connect';
  /** For origin 'setting': a digest of the setting it came from, so a new value in the setting is noticed. */
  settingDigest?: string;
  /** Who signed in, when connect knows it. */
  account?: string;
  savedAt: string;
  etag: string;
}

export interface Health {
  lastPullAt?: string;
  lastPushAt?: string;
  lastError?: string;
  lastErrorAt?: string;
  /** Since when Partner Center has been failing without a success in between. */
  failingSince?: string;
  /** What broke the connection, until it works again; admins were told once. */
  broken?: 'refused' | 'unauthorized' | 'unavailable';
  brokenSince?: string;
  etag: string;
}

export interface InboxEvent {
  referralId: string;
  eventName: string;
  changedAt?: string;
  attempts: number;
  notBefore: number;
  etag: string;
}

export const digest = (value: string): string => createHash('sha256').update(value, 'utf8').digest('base64url');

const CONNECTION = { partitionKey: 'connection', rowKey: 'refreshToken' };
const CURSOR = { partitionKey: 'sync', rowKey: 'cursor' };
const HEALTH = { partitionKey: 'sync', rowKey: 'health' };
const INBOX = 'inbox';

export class SyncStore {
  constructor(private readonly table: TableClient) {}

  async connection(): Promise<StoredConnection | undefined> {
    const row = await getOrUndefined<Omit<StoredConnection, 'etag'>>(this.table, CONNECTION.partitionKey, CONNECTION.rowKey);
    return row && { refreshToken: row.refreshToken, clientType: row.clientType, origin: row.origin, settingDigest: row.settingDigest ?? undefined, account: row.account ?? undefined, savedAt: row.savedAt, etag: row.etag };
  }

  /**
   * Saves a refresh token. With `etag`, only over the row read with it: false when another
   * instance saved one meanwhile (theirs is as new as ours and stands). Without, unconditionally
   * (connect: a person just signed in).
   */
  async saveConnection(connection: Omit<StoredConnection, 'etag' | 'savedAt'>, now: Date, etag?: string): Promise<boolean> {
    const entity = { ...CONNECTION, ...connection, savedAt: now.toISOString() };
    try {
      if (etag !== undefined) await guard(() => this.table.updateEntity(entity, 'Replace', { etag }));
      else await guard(() => this.table.upsertEntity(entity, 'Replace'));
      return true;
    } catch (error) {
      if (isPreconditionFailed(error)) return false;
      throw error;
    }
  }

  /** Saves the first token only if none is stored yet (several instances starting at once). */
  async createConnection(connection: Omit<StoredConnection, 'etag' | 'savedAt'>, now: Date): Promise<boolean> {
    return createIfAbsent(this.table, { ...CONNECTION, ...connection, savedAt: now.toISOString() });
  }

  async cursor(): Promise<string | undefined> {
    const row = await getOrUndefined<{ updatedAfter?: string }>(this.table, CURSOR.partitionKey, CURSOR.rowKey);
    return row?.updatedAfter ?? undefined;
  }

  async saveCursor(updatedAfter: string): Promise<void> {
    await guard(() => this.table.upsertEntity({ ...CURSOR, updatedAfter }, 'Replace'));
  }

  async health(): Promise<Health> {
    const row = await getOrUndefined<Omit<Health, 'etag'>>(this.table, HEALTH.partitionKey, HEALTH.rowKey);
    if (!row) return { etag: '' };
    const fields = ['lastPullAt', 'lastPushAt', 'lastError', 'lastErrorAt', 'failingSince', 'broken', 'brokenSince'] as const;
    const known = Object.fromEntries(fields.flatMap((name) => (row[name] == null ? [] : [[name, row[name]]])));
    return { ...(known as Omit<Health, 'etag'>), etag: row.etag };
  }

  /** Replaces the health record read with `read.etag` (or creates it); false when another instance wrote it first. */
  async saveHealth(read: Health, next: Omit<Health, 'etag'>): Promise<boolean> {
    const entity = { ...HEALTH, ...Object.fromEntries(Object.entries(next).filter(([, v]) => v !== undefined)) };
    try {
      if (read.etag) await guard(() => this.table.updateEntity(entity, 'Replace', { etag: read.etag }));
      else await guard(() => this.table.createEntity(entity));
      return true;
    } catch (error) {
      if (isPreconditionFailed(error) || isConflict(error)) return false;
      throw error;
    }
  }

  /** Files a webhook event for its referral; a second event for the same referral merges into the first (one fetch serves both). */
  async fileEvent(referralId: string, eventName: string, changedAt: string | undefined, now: Date): Promise<void> {
    await guard(() =>
      this.table.upsertEntity({ partitionKey: INBOX, rowKey: referralId, eventName, changedAt, attempts: 0, notBefore: now.getTime() }, 'Merge'),
    );
  }

  async events(now: Date, limit = 100): Promise<InboxEvent[]> {
    const found: InboxEvent[] = [];
    await guard(async () => {
      const rows = this.table.listEntities<{ eventName: string; changedAt?: string; attempts?: number; notBefore?: number }>({
        queryOptions: { filter: odata`PartitionKey eq ${INBOX} and notBefore le ${now.getTime()}` },
      });
      for await (const row of rows) {
        found.push({ referralId: row.rowKey ?? '', eventName: row.eventName, changedAt: row.changedAt ?? undefined, attempts: row.attempts ?? 0, notBefore: row.notBefore ?? 0, etag: row.etag });
        if (found.length >= limit) break;
      }
    });
    return found;
  }

  /** Done with an event: gone, unless another event for the referral came in meanwhile (its ETag changed). */
  async settleEvent(event: InboxEvent): Promise<void> {
    await deleteIfExists(this.table, INBOX, event.referralId, event.etag);
  }

  async deferEvent(event: InboxEvent, notBefore: number): Promise<void> {
    try {
      await guard(() => this.table.updateEntity({ partitionKey: INBOX, rowKey: event.referralId, attempts: event.attempts + 1, notBefore }, 'Merge', { etag: event.etag }));
    } catch (error) {
      // A new event for it came in: it runs again anyway.
      if (!isPreconditionFailed(error)) throw error;
    }
  }
}
