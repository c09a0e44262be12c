/**
 * The sync's own rows in the PartnerCenter table: the refresh token (shared by every instance, the
 * newest one issued; sealed by the token vault, never stored in plain text), the pull cursor, the
 * health record and the inbox of webhook events.
 */
import { createHash } from 'node:crypto';
import { odata, type TableClient } from '@azure/data-tables';
import { createIfAbsent, deleteIfExists, getOrUndefined, guard, isConflict, isPreconditionFailed } from '../storage/tables';
import { briefly } from '../errors';
import { PartnerCenterError } from './connection/partnerCenterErrors';
import { SealedTokenError, type TokenVault } from './connection/tokenVault';

/** How the refresh token was issued: redeemed with the client secret (confidential) or without (a public-client sign-in). */
export type ClientType = 'confidential' | 'public';

export interface StoredConnection {
  /** The token, opened from its sealed form (it is never stored as it is). */
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
  /** Stored in plain text by a release before tokens were sealed: sealed at the next start (sealStoredToken). */
  plain?: boolean;
}

/** The connection row as stored: the token sealed (`sealed`), or in plain text from an earlier release. */
type ConnectionRow = Omit<StoredConnection, 'etag' | 'refreshToken' | 'plain'> & { sealed?: string; refreshToken?: string };

export interface Health {
  lastPullAt?: string;
  lastPushAt?: string;
  lastError?: string;
  lastErrorAt?: string;
  /** Since when Partner Center has been failing without a success in between. */
  failingSince?: string;
  /** What broke the connection, until it works again; admins were told once. */
  broken?: BrokenCause;
  brokenSince?: string;
  /** Since when the pull watchdog has waited for a first successful pull (until there is one). */
  watchingSince?: string;
  etag: string;
}

/** What broke the sync: the sign-in refused, access denied, Partner Center failing, or no pull succeeding for too long (whatever the cause). */
export type BrokenCause = 'refused' | 'unauthorized' | 'unavailable' | 'stalled';

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
const FULL_PASS = { partitionKey: 'sync', rowKey: 'fullPass' };
const INBOX = 'inbox';

export class SyncStore {
  constructor(
    private readonly table: TableClient,
    private readonly vault: TokenVault,
  ) {}

  /**
   * What is stored of the sign-in, without opening its token: whether there is one, and the
   * setting's digest it was stored with; `open()` opens its token from the same read.
   */
  async storedConnection(): Promise<({ settingDigest?: string; origin: StoredConnection['origin']; sealed: boolean; etag: string } & { open(): Promise<StoredConnection> }) | undefined> {
    const row = await getOrUndefined<ConnectionRow>(this.table, CONNECTION.partitionKey, CONNECTION.rowKey);
    if (!row || (!row.sealed && !row.refreshToken)) return undefined;
    return { settingDigest: row.settingDigest ?? undefined, origin: row.origin, sealed: Boolean(row.sealed), etag: row.etag, open: () => this.opened(row) };
  }

  /**
   * The stored sign-in, its token opened. A token that cannot be opened (sealed under another key
   * or vault, or the vault unreachable) is a PartnerCenterError: `refused` naming what to set,
   * `unavailable` when Key Vault did not answer.
   */
  async connection(): Promise<StoredConnection | undefined> {
    return (await this.storedConnection())?.open();
  }

  private async opened(row: ConnectionRow & { etag: string }): Promise<StoredConnection> {
    const refreshToken = row.sealed ? await this.open(row.sealed) : (row.refreshToken ?? '');
    return {
      refreshToken,
      clientType: row.clientType,
      origin: row.origin,
      settingDigest: row.settingDigest ?? undefined,
      account: row.account ?? undefined,
      savedAt: row.savedAt,
      etag: row.etag,
      ...(!row.sealed && { plain: true }),
    };
  }

  private async open(sealed: string): Promise<string> {
    try {
      return await this.vault.open(sealed);
    } catch (error) {
      if (error instanceof SealedTokenError) {
        throw new PartnerCenterError('refused', `${error.message}, or set a new PARTNER_CENTER_REFRESH_TOKEN`, { cause: error });
      }
      throw new PartnerCenterError('unavailable', `Key Vault did not give the stored Partner Center sign-in (${briefly(error)})`, { cause: error });
    }
  }

  /**
   * A token an earlier release stored in plain text is sealed (once, by whichever instance gets
   * there first); true when this one did. A sealed token is never opened here: a start does not
   * depend on the key or the vault.
   */
  async sealStoredToken(now: Date): Promise<boolean> {
    const row = await getOrUndefined<ConnectionRow>(this.table, CONNECTION.partitionKey, CONNECTION.rowKey);
    if (!row?.refreshToken || row.sealed) return false;
    const connection = { refreshToken: row.refreshToken, clientType: row.clientType, origin: row.origin, settingDigest: row.settingDigest ?? undefined, account: row.account ?? undefined };
    return this.saveConnection(connection, now, row.etag);
  }

  /**
   * Saves a refresh token. With `etag`, only over the row read with it: false when another
   * instance saved one meanwhile (theirs is as new as ours and stands). Without, unconditionally
   * (connect: a person just signed in).
   */
  async saveConnection(connection: Omit<StoredConnection, 'etag' | 'savedAt' | 'plain'>, now: Date, etag?: string): Promise<boolean> {
    const entity = await this.sealedEntity(connection, now);
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
  async createConnection(connection: Omit<StoredConnection, 'etag' | 'savedAt' | 'plain'>, now: Date): Promise<boolean> {
    return createIfAbsent(this.table, await this.sealedEntity(connection, now));
  }

  /** The row to store: everything but the token as it is, the token sealed (Replace drops an earlier plain one). */
  private async sealedEntity(connection: Omit<StoredConnection, 'etag' | 'savedAt' | 'plain'>, now: Date) {
    const { refreshToken, ...rest } = connection;
    const row: ConnectionRow = { ...rest, sealed: await this.vault.seal(refreshToken), savedAt: now.toISOString() };
    return { ...CONNECTION, ...Object.fromEntries(Object.entries(row).filter(([, value]) => value !== undefined)) };
  }

  async cursor(): Promise<string | undefined> {
    const row = await getOrUndefined<{ updatedAfter?: string }>(this.table, CURSOR.partitionKey, CURSOR.rowKey);
    return row?.updatedAfter ?? undefined;
  }

  async saveCursor(updatedAfter: string): Promise<void> {
    await guard(() => this.table.upsertEntity({ ...CURSOR, updatedAfter }, 'Replace'));
  }

  /** When the poll last read every page (see FULL_PASS_EVERY_MS), and when it last began to. */
  async fullPass(): Promise<{ at?: string; triedAt?: string }> {
    const row = await getOrUndefined<{ at?: string; triedAt?: string }>(this.table, FULL_PASS.partitionKey, FULL_PASS.rowKey);
    return { at: row?.at ?? undefined, triedAt: row?.triedAt ?? undefined };
  }

  async saveFullPass(at: string): Promise<void> {
    await guard(() => this.table.upsertEntity({ ...FULL_PASS, at }, 'Merge'));
  }

  async fullPassTried(at: string): Promise<void> {
    await guard(() => this.table.upsertEntity({ ...FULL_PASS, triedAt: at }, 'Merge'));
  }

  async health(): Promise<Health> {
    const row = await getOrUndefined<Omit<Health, 'etag'>>(this.table, HEALTH.partitionKey, HEALTH.rowKey);
    if (!row) return { etag: '' };
    const fields = ['lastPullAt', 'lastPushAt', 'lastError', 'lastErrorAt', 'failingSince', 'broken', 'brokenSince', 'watchingSince'] as const;
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
