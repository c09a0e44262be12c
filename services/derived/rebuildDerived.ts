/**
 * Use case: what an earlier version did not keep, built once from the leads themselves — the list
 * rows this version adds (per owner, unassigned, waiting by kind) and the insights sums. Runs at
 * start, before any projection, on storage that holds leads but not this version's mark; one
 * instance at a time (a lease), the others wait for the mark. Safe to run again after a crash:
 * list rows are upserts and every sum is added under a marker.
 *
 * Exact while changes keep coming: a lead's baseline is its contribution as read (version v); the
 * differences its pending row still holds for versions up to v are in that baseline already, so
 * they are marked as added and the projector skips them; later ones it adds.
 */
import { odata, type TableClient } from '@azure/data-tables';
import { storedLead } from '../leads/lead';
import { contributionOf } from '../leads/leadStats';
import type { Logger } from '../logger';
import { LISTS_PARTITION, type LeadViewIndex } from '../storage/leadIndex';
import type { Lease } from '../storage/lease';
import type { LeadStore } from '../storage/leadStore';
import { SUMS, type StatsChange, type StatsStore } from '../storage/statsStore';
import { createIfAbsent, deleteAllIfExist, getOrUndefined, guard, isNotFound, markRowLayout, unchunkJson, upsertAll, type Tables } from '../storage/tables';
import { deliveryProperties, type DeliveryRecord } from '../storage/deliveryEntries';
import { leadRowKey } from '../storage/leadStore';
import { inParallel } from '../inParallel';

/**
 * What is derived from leads, by version: 2 adds list rows per owner, unassigned and waiting by
 * kind, and the insights sums; 3 adds the search index rows; 4 moves every list into one partition;
 * 5 moves where each card is posted from the Deliveries table onto the lead's own row; 6 moves
 * the insights sums into one partition.
 */
export const DERIVED_VERSION = 6;
/** The version whose rebuild adds each lead's baseline to the insights sums: done once, never again. */
const STATS_VERSION = 2;
const MARK = { partitionKey: 'layout', rowKey: 'derived' };
/** The mark of storage whose derived rows this version wrote itself (the bench's bulk seeding writes them with the product's builders). */
export const currentDerivedMark = () => ({ ...MARK, version: DERIVED_VERSION });
/** The version from which every list row is in the `lists` partition: rows of earlier versions (a partition per list) are deleted. */
const ONE_PARTITION_VERSION = 4;
/** The version from which deliveries are on the lead's row: the Deliveries table's rows are moved there. */
const DELIVERIES_ON_LEAD_VERSION = 5;
/** The version from which the insights sums share one partition: the rows of a partition per week (and the pipeline's) are moved there. */
const ONE_SUMS_PARTITION_VERSION = 6;
const PAGE = 100;
const LEASE_MS = 5 * 60_000;
const WAIT_MS = 1_000;

export interface RebuildDeps {
  tables: Pick<Tables, 'Leads' | 'LeadIndex' | 'Meta' | 'Deliveries' | 'Stats'>;
  leads: LeadStore;
  views: LeadViewIndex;
  stats: StatsStore;
  lease: Lease;
  now: () => Date;
  log: Logger;
}

export type RebuildOutcome = { ran: false; why: 'current' | 'fresh' | 'done by another instance' } | { ran: true; leads: number };

export async function rebuildDerived(deps: RebuildDeps): Promise<RebuildOutcome> {
  for (;;) {
    const from = await markedVersion(deps.tables.Meta);
    if (from >= DERIVED_VERSION) return { ran: false, why: 'current' };
    if (!(await holdsLeads(deps.tables.Leads))) {
      await createIfAbsent(deps.tables.Meta, { ...MARK, version: DERIVED_VERSION });
      await markRowLayout(deps.tables.Meta);
      return { ran: false, why: 'fresh' };
    }
    const held = await deps.lease.acquire(deps.now(), LEASE_MS);
    if (held) {
      try {
        // Another instance may have finished between our look and the lease.
        if ((await markedVersion(deps.tables.Meta)) >= DERIVED_VERSION) return { ran: false, why: 'done by another instance' };
        const leads = await rebuild(deps, from);
        await guard(() => deps.tables.Meta.upsertEntity({ ...MARK, version: DERIVED_VERSION }, 'Replace'));
        // Moved on: from now on a release that reads the earlier row layout refuses this storage.
        await markRowLayout(deps.tables.Meta);
        return { ran: true, leads };
      } finally {
        await deps.lease.letGo();
      }
    }
    deps.log.info('another instance is building lists and insights from the stored leads: waiting for it');
    await new Promise((resolve) => setTimeout(resolve, WAIT_MS));
  }
}

async function markedVersion(meta: TableClient): Promise<number> {
  const mark = await getOrUndefined<{ version: number }>(meta, MARK.partitionKey, MARK.rowKey);
  return mark?.version ?? 0;
}

async function holdsLeads(leads: TableClient): Promise<boolean> {
  return guard(async () => {
    for await (const _ of leads.listEntities({ queryOptions: { filter: odata`RowKey ge 'lead|' and RowKey lt 'lead}'`, select: ['RowKey'] } })) return true;
    return false;
  });
}

/**
 * Every stored lead, a page at a time: its index rows (all of them, which is idempotent) and,
 * coming from before version 2, its share of the sums (which is not: only once). Returns how many.
 */
async function rebuild(deps: RebuildDeps, from: number): Promise<number> {
  const withStats = from < STATS_VERSION;
  const { tables, leads, views, stats, log } = deps;
  log.warn('building the lists and insights this version adds from the stored leads (once, before anything else)');
  if (from >= STATS_VERSION && from < ONE_SUMS_PARTITION_VERSION) await moveSums(tables);
  let count = 0;
  const pages = tables.Leads.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`RowKey ge 'lead|' and RowKey lt 'lead}'` } }).byPage({ maxPageSize: PAGE });
  for await (const page of pages) {
    const read = page.map((row) => storedLead(unchunkJson(row)));
    // The pending row after the lead: whatever it holds up to the lead's version is in the lead as read.
    await views.put(read.map((lead) => ({ lead })));
    if (withStats) {
      const pending = await Promise.all(read.map((lead) => leads.pending(lead.id)));
      // A baseline's marker is its own (the negated version): a change's marker may already sit in the same week.
      const baselines: StatsChange[] = read.map((lead) => ({ leadId: lead.id, version: -lead.version, delta: contributionOf(lead) }));
      const included = read.flatMap((lead, i) => (pending[i]?.effects.stats ?? []).filter((s) => s.version <= lead.version).map((s) => ({ leadId: lead.id, ...s })));
      await stats.markApplied(included);
      await stats.apply(baselines);
    }
    count += read.length;
    if (count % 5_000 < PAGE) log.info({ leads: count }, 'building lists and insights');
  }
  if (from < ONE_PARTITION_VERSION) {
    const keys: { partitionKey: string; rowKey: string }[] = [];
    await guard(async () => {
      const rows = tables.LeadIndex.listEntities({ queryOptions: { filter: odata`PartitionKey ne ${LISTS_PARTITION}`, select: ['PartitionKey', 'RowKey'] } });
      for await (const row of rows) keys.push({ partitionKey: row.partitionKey ?? '', rowKey: row.rowKey ?? '' });
    });
    await deleteAllIfExist(tables.LeadIndex, keys);
  }
  if (from < DELIVERIES_ON_LEAD_VERSION) await moveDeliveries(tables);
  log.info({ leads: count }, 'lists and insights built from the stored leads');
  return count;
}

/**
 * Version 4 and before kept a row per (lead, conversation) in Deliveries: each lead's are merged
 * onto its row (one request a lead), then deleted. A lead without its row keeps nothing.
 */
async function moveDeliveries(tables: RebuildDeps['tables']): Promise<void> {
  const byLead = new Map<string, { rowKey: string; record: DeliveryRecord }[]>();
  await guard(async () => {
    for await (const row of tables.Deliveries.listEntities<{ activityId?: string; renderKey?: string; maybeDuplicate?: boolean }>()) {
      const leadId = row.partitionKey ?? '';
      const rowKey = row.rowKey ?? '';
      const record = { conversationKey: rowKey.slice(leadId.length + 1), activityId: row.activityId ?? undefined, renderKey: row.renderKey ?? undefined, maybeDuplicate: row.maybeDuplicate ?? undefined };
      byLead.set(leadId, [...(byLead.get(leadId) ?? []), { rowKey, record }]);
    }
  });
  await inParallel([...byLead], 16, async ([leadId, rows]) => {
    try {
      await guard(() => tables.Leads.updateEntity({ partitionKey: leadId, rowKey: leadRowKey(leadId), ...deliveryProperties(rows.map((r) => r.record)) }, 'Merge'));
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    await deleteAllIfExist(tables.Deliveries, rows.map(({ rowKey }) => ({ partitionKey: leadId, rowKey })));
  });
}


/**
 * Versions 2 to 5 kept the sums in a partition per week (`w|<Monday>`, its row `totals`) and one
 * for the pipeline, each with its markers: their rows move into the one partition, then go.
 */
async function moveSums(tables: RebuildDeps['tables']): Promise<void> {
  const moved: ({ partitionKey: string; rowKey: string } & Record<string, unknown>)[] = [];
  const old: { partitionKey: string; rowKey: string }[] = [];
  await guard(async () => {
    for await (const row of tables.Stats.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey ne ${SUMS}` } })) {
      const { partitionKey = '', rowKey = '', etag: _etag, timestamp: _timestamp, ...properties } = row;
      old.push({ partitionKey, rowKey });
      moved.push({ ...properties, partitionKey: SUMS, rowKey: rowKey === 'totals' ? partitionKey : rowKey });
    }
  });
  await upsertAll(tables.Stats, moved);
  await deleteAllIfExist(tables.Stats, old);
}
