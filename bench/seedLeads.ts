/**
 * Stores many leads fast, for the figures that need them stored but do not measure storing them:
 * the rows the product leaves once a new lead is stored and projected (the lead and its receive
 * event, its list-index row, its due rows, optionally a posted card per conversation), written in
 * entity-group batches of up to 100 per partition instead of ~15 requests per lead. The in-memory
 * Azurite manages about a thousand requests a second, so the product's own path would take minutes.
 * The rows come from the product's own builders; `checkSeedLayout` proves that together they equal
 * what the product writes for the same lead (a row the product adds later would show there).
 */
import type { TransactionAction } from '@azure/data-tables';
import { deliveryProperties } from '../services/delivery/deliveryStore';
import type { Lead } from '../services/leads/lead';
import { leadFromReferral } from '../services/partnerCenter/referrals/leadFromReferral';
import { ingestReferrals } from '../services/partnerCenter/referrals/intake';
import { receiveEvent } from '../services/useCases/receiveLeads';
import { dueEntity, indexRows, SEARCH_PARTITION } from '../services/storage/leadIndex';
import { contributionOf } from '../services/leads/leadStats';
import { StatsStore } from '../services/storage/statsStore';
import { eventEntity, leadEntity } from '../services/storage/leadStore';
import { nextDueTime } from '../services/schedule/dueTimes';
import type { Referral } from '../services/partnerCenter/referrals/referral';
import { ensureTables, openTables, transactionGroups, type Tables } from '../services/storage/tables';
import { LeadsApp } from '../services/app/leadsApp';
import { currentDerivedMark } from '../services/derived/rebuildDerived';
import { silentLogger } from '../services/logger';
import { testConfig } from '../test/support/settings';
import { pool } from './stats';

/** The settings the bench's servers run with (the defaults). */
const SETTINGS = testConfig();
const DUE_SETTINGS = { reminderHours: SETTINGS.REMINDER_HOURS_BEFORE_EXPIRY, flameWindowHours: SETTINGS.FLAME_WINDOW_HOURS };

type Row = { partitionKey: string; rowKey: string } & Record<string, unknown>;

/** Every row one new, projected lead has, by table — built by the product's own row builders. */
function rowsOf(lead: Lead, now: Date, deliveredTo: string[]): Partial<Record<keyof Tables, Row[]>> {
  return {
    Leads: [
      { ...leadEntity(lead), ...deliveryProperties(deliveredTo.map((conversationKey, i) => ({ conversationKey, activityId: `seeded-${lead.id}-${i}`, renderKey: 'seeded' }))) },
      eventEntity(lead.id, receiveEvent(lead, now)),
    ],
    LeadIndex: indexRows(lead).filter((row) => row.partitionKey !== SEARCH_PARTITION),
    SearchIndex: indexRows(lead).filter((row) => row.partitionKey === SEARCH_PARTITION),
    DueIndex: nextDueTime(lead, now, DUE_SETTINGS).map((item) => dueEntity(item, now)),
  };
}

/**
 * Stores the referrals as new, projected leads (received at `now`), in batches per partition.
 * `deliveredTo(i)`: the conversation keys where the i-th lead's card was posted.
 */
export async function seedLeads(tables: Tables, referrals: Referral[], now: Date, options: { deliveredTo?: (i: number) => string[] } = {}): Promise<void> {
  const byTable = new Map<keyof Tables, Row[]>();
  const leads: Lead[] = [];
  for (const [i, referral] of referrals.entries()) {
    const lead = leadFromReferral(referral, { now, responseDays: SETTINGS.LEAD_RESPONSE_DAYS });
    leads.push(lead);
    for (const [name, rows] of Object.entries(rowsOf(lead, now, options.deliveredTo?.(i) ?? [])) as Array<[keyof Tables, Row[]]>) {
      const all = byTable.get(name) ?? [];
      all.push(...rows);
      byTable.set(name, all);
    }
  }
  // Every derived row is written here, as this version derives it: a server started on this storage has nothing to rebuild.
  byTable.set('Meta', [currentDerivedMark()]);
  const batches = [...byTable].flatMap(([name, rows]) => transactionGroups(rows).map((group) => ({ table: tables[name], rows: group })));
  await pool(batches, 16, ({ table, rows }) => table.submitTransaction(rows.map((row): TransactionAction => ['upsert', row, 'Replace'])));
  // The insights sums, through the product's own store (as projecting each lead would add them).
  await new StatsStore(tables.Stats).apply(leads.map((lead) => ({ leadId: lead.id, version: lead.version, delta: contributionOf(lead) })));
}

/** Throws unless the seeder writes exactly the rows the product writes for the same new lead. */
export async function checkSeedLayout(storage: string, referral: Referral, now: Date): Promise<void> {
  const dump = async (tables: Tables) => {
    const all: string[] = [];
    for (const name of ['Leads', 'LeadIndex', 'SearchIndex', 'DueIndex'] as const) {
      for await (const e of tables[name].listEntities()) {
        const { etag: _etag, timestamp: _timestamp, ...row } = e as Record<string, unknown>;
        all.push(`${name} ${JSON.stringify(row, Object.keys(row).sort())}`);
      }
    }
    return all.sort();
  };
  const product = openTables(storage, `bseedp${process.pid}`);
  const seeded = openTables(storage, `bseeds${process.pid}`);
  await Promise.all([ensureTables(product), ensureTables(seeded)]);
  const app = new LeadsApp({ tables: product, settings: SETTINGS, log: silentLogger, now: () => now });
  await ingestReferrals([referral], { leads: app.leads, now: () => now, responseDays: SETTINGS.LEAD_RESPONSE_DAYS });
  await app.projector.project(referral.id);
  await seedLeads(seeded, [referral], now);
  const [want, got] = await Promise.all([dump(product), dump(seeded)]);
  if (JSON.stringify(want) !== JSON.stringify(got)) {
    throw new Error(`the bench seeder no longer writes what the product writes:\nproduct: ${want.join('\n')}\nseeder:  ${got.join('\n')}`);
  }
}
