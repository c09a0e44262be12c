/**
 * Referrals Partner Center sent that this version cannot read (readReferral.ts says why): parked
 * with the referral as sent, never dropped. The `sync` card and the status endpoint count them;
 * partner admins are told once per batch, with ids, names and reasons; `retry <referral id>`, and
 * the first pull of every start (a new release may read more), take them again.
 */
import { createHash } from 'node:crypto';
import { odata, type TableClient } from '@azure/data-tables';
import { REFERRAL_ID_PATTERN } from '../referrals/referral';
import { chunkJson, createIfAbsent, deleteIfExists, getOrUndefined, guard, unchunkJson } from '../../storage/tables';

export interface ParkedReferral {
  /** The referral's id, or `sha256:…` of what was sent when it has no id a row can be keyed by. */
  id: string;
  name?: string;
  reason: string;
  firstAt: string;
  lastAt: string;
}

const PARTITION = 'parked';
/** What is kept of a referral as sent, at most (a Table entity holds 1 MiB). */
const MAX_RAW = 600_000;

export class ParkedReferrals {
  constructor(private readonly table: TableClient) {}

  /** Parks a referral as sent; `isNew` when it was not parked already (so it is told about once). */
  async park(raw: unknown, read: { referralId?: string; name?: string; reason: string }, now: Date): Promise<{ id: string; isNew: boolean }> {
    const id = read.referralId && REFERRAL_ID_PATTERN.test(read.referralId) ? read.referralId : `sha256:${createHash('sha256').update(JSON.stringify(raw) ?? '').digest('hex')}`;
    const json = JSON.stringify(raw) ?? 'null';
    const kept = json.length > MAX_RAW ? { truncated: json.slice(0, MAX_RAW) } : raw;
    const entity = { partitionKey: PARTITION, rowKey: id, name: read.name?.slice(0, 200), reason: read.reason.slice(0, 1000), firstAt: now.toISOString(), lastAt: now.toISOString(), ...chunkJson(kept) };
    if (await createIfAbsent(this.table, entity)) return { id, isNew: true };
    const { firstAt: _first, ...again } = entity;
    await guard(() => this.table.upsertEntity(again, 'Merge'));
    return { id, isNew: false };
  }

  /** The referral as it was sent, and why it is parked. */
  async get(id: string): Promise<(ParkedReferral & { raw: unknown }) | undefined> {
    if (!validKey(id)) return undefined;
    const row = await getOrUndefined<Record<string, unknown> & Omit<ParkedReferral, 'id'>>(this.table, PARTITION, id);
    return row && { ...summary(id, row), raw: unchunkJson(row) };
  }

  /** The parked referrals, oldest first (at most `limit`), without what was sent. */
  async list(limit = 1000): Promise<ParkedReferral[]> {
    const found: ParkedReferral[] = [];
    await guard(async () => {
      const rows = this.table.listEntities<Omit<ParkedReferral, 'id'>>({ queryOptions: { filter: odata`PartitionKey eq ${PARTITION}`, select: ['RowKey', 'name', 'reason', 'firstAt', 'lastAt'] } });
      for await (const row of rows) {
        found.push(summary(row.rowKey ?? '', row));
        if (found.length >= limit) break;
      }
    });
    return found.sort((a, b) => a.firstAt.localeCompare(b.firstAt));
  }

  async remove(id: string): Promise<void> {
    if (validKey(id)) await deleteIfExists(this.table, PARTITION, id);
  }
}

const validKey = (id: string) => REFERRAL_ID_PATTERN.test(id) || /^sha256:[0-9a-f]{64}$/.test(id);

function summary(id: string, row: Partial<Omit<ParkedReferral, 'id'>>): ParkedReferral {
  return { id, name: row.name ?? undefined, reason: row.reason ?? '', firstAt: row.firstAt ?? '', lastAt: row.lastAt ?? '' };
}

/** The message partner admins get for a batch of newly parked referrals. */
export function parkedReferralsNotice(parked: { id: string; name?: string; reason: string }[]): string {
  const lines = parked.slice(0, 10).map((p) => `• ${p.id}${p.name ? ` (${p.name})` : ''}: ${p.reason}`);
  const more = parked.length > 10 ? `\n…and ${parked.length - 10} more (the sync card lists them).` : '';
  const count = parked.length === 1 ? 'A referral' : `${parked.length} referrals`;
  return `${count} from Partner Center could not be read by this version and ${parked.length === 1 ? 'is' : 'are'} kept aside, not lost:\n${lines.join('\n')}${more}\nType retry <referral id> once it can be read (a newer release reads them again by itself).`;
}

/** The key of a batch's notice: the same batch is told once, however many instances see it. */
export const parkedBatchKey = (ids: string[]) => `parked-referrals|${createHash('sha1').update([...ids].sort().join('\n')).digest('hex')}`;
