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
import { leadSchema } from '../leads/lead';
import { contributionOf } from '../leads/leadStats';
import type { Logger } from '../logger';
import { LISTS_PARTITION, type LeadViewIndex } from '../storage/leadIndex';
import type { Lease } from '../storage/lease';
import type { LeadStore } from '../storage/leadStore';
import type { StatsChange, StatsStore } from '../storage/statsStore';
import { createIfAbsent, deleteAllIfExist, getOrUndefined, guard, unchunkJson, type Tables } from '../storage/tables';

/**
 * What is derived from leads, by version: 2 adds list rows per owner, unassigned and waiting by
 * kind, and the insights sums; 3 adds the search index rows; 4 moves every list into one partition.
 */
export const DERIVED_VERSION = 4;
/** The version whose rebuild adds each lead's baseline to the insights sums: done once, never again. */
const STATS_VERSION = 2;
const MARK = { partitionKey: 'layout', rowKey: 'derived' };
/** The mark of storage whose derived rows this version wrote itself (the bench's bulk seeding writes them with the product's builders). */
export const currentDerivedMark = () => ({ ...MARK, version: DERIVED_VERSION });
/** The version from which every list row is in the `lists` partition: rows of earlier versions (a partition per list) are deleted. */
const ONE_PARTITION_VERSION = 4;
const PAGE = 100;
const LEASE_MS = 5 * 60_000;
const WAIT_MS = 1_000;

export interface RebuildDeps {
  tables: Pick<Tables, 'Leads' | 'LeadIndex' | 'Meta'>;
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
      return { ran: false, why: 'fresh' };
    }
    const held = await deps.lease.acquire(deps.now(), LEASE_MS);
    if (held) {
      try {
        // Another instance may have finished between our look and the lease.
        if ((await markedVersion(deps.tables.Meta)) >= DERIVED_VERSION) return { ran: false, why: 'done by another instance' };
        const leads = await rebuild(deps, from);
        await guard(() => deps.tables.Meta.upsertEntity({ ...MARK, version: DERIVED_VERSION }, 'Replace'));
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
  let count = 0;
  const pages = tables.Leads.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`RowKey ge 'lead|' and RowKey lt 'lead}'` } }).byPage({ maxPageSize: PAGE });
  for await (const page of pages) {
    const read = page.map((row) => leadSchema.parse(unchunkJson(row)));
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
  log.info({ leads: count }, 'lists and insights built from the stored leads');
  return count;
}
