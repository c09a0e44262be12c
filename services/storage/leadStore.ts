/**
 * Leads in Azure Tables. A lead's partition holds the lead, its audit events and its "pending"
 * row (the transactional outbox: what the projector still has to do). Every change is one
 * entity-group transaction, conditional on the ETag the caller read.
 */
import { createHash, randomBytes } from 'node:crypto';
import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import { leadSchema, type Lead } from '../leads/lead';
import { contributionDelta, isEmpty, type Contribution } from '../leads/leadStats';
import type { LeadEvent } from '../leads/leadLifecycle';
import { leftBehind, searchRowsOf, type RowRef } from './leadIndex';
import { chunkJson, deleteAllIfExist, getOrUndefined, guard, isConflict, isNotFound, isPreconditionFailed, unchunkJson, upsertAll } from './tables';
import { briefly } from '../errors';

// Row keys carry the lead id although the partition already does. Azure needs only the pair to
// be unique, but Azurite (the embedded storage) looks a row up by its RowKey first: a RowKey
// shared by every partition ('lead') made each read and write walk past every stored lead.
/** The RowKey of the row that holds the lead (in partition `id`). */
export const leadRowKey = (id: string) => `lead|${id}`;
const pendingRowKey = (id: string) => `pending|${id}`;
const eventPrefix = (id: string) => `event|${id}|`;
const eventRowKey = (id: string, seq: number) => `${eventPrefix(id)}${String(seq).padStart(8, '0')}`;
const hintRowKey = (id: string, key: string) => `${id}|${key}`;
const UNINDEX = 'unindex_';
const SEARCH_WAS = 'searchwas_';
const HINT = 'hint_';
const STATS = 'stats_';
const HINTS = 'lead';
/** Hints of leads whose projection kept failing: set aside, not swept, until someone retries them. */
const PARKED = 'parked';

/** Effects the projector owes a lead: names are property names, merged across changes. */
export interface PendingEffects {
  fanOut?: boolean; // post the new lead's card to every subscribed conversation
  expiredNotice?: boolean; // post "Expired — not answered…" where the card is
  reminderHours?: number; // send the reminder for this offset
  removed?: RowRef[]; // list rows the lead no longer has (it moved list, was unfavorited, changed owner…)
  searchWas?: string; // its search state before the change, when the change left search rows behind (searchStateOf)
  reschedule?: boolean; // its expiry moved (Partner Center extended it): file its due times again
  snoozed?: boolean; // someone put off its reminders: file when they come back
  stats?: { version: number; delta: Contribution }[]; // what each change adds to the insights sums
}

export interface StoredLead {
  lead: Lead;
  etag: string;
  /** Read for a change (`getForChange`): the key of the projection hint already written for it. */
  hint?: string;
}

/** A projection hint: one per change attempt, so clearing the hints of changes projected never clears one still on its way. */
export interface Hint {
  leadId: string;
  rowKey: string;
  /** When it was written, by storage's clock (ms). */
  writtenAt: number;
}

/** A lead's own row (or its pending row) that does not parse: the one failure that parks its projection. */
export class UnreadableLeadError extends Error {
  constructor(
    readonly leadId: string,
    cause: unknown,
  ) {
    super(`the stored row of lead ${leadId} cannot be read: ${briefly(cause)}`, { cause });
    this.name = 'UnreadableLeadError';
  }
}

/** Parses a lead's row, or says which lead cannot be read. */
function readable<T>(id: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new UnreadableLeadError(id, error);
  }
}

export type UpdateResult = { ok: true; stored: StoredLead } | { ok: false; current: StoredLead };

/** The row that holds a lead (exported for the bench's bulk seeding, which writes the same rows). */
export const leadEntity = (lead: Lead) => ({ partitionKey: lead.id, rowKey: leadRowKey(lead.id), stage: lead.stage, version: lead.version, ...chunkJson(lead) });

/** One audit event of a lead, beside the lead in its partition. */
export const eventEntity = (id: string, event: LeadEvent) => ({ partitionKey: id, rowKey: eventRowKey(id, event.seq), type: event.type, ...chunkJson(event) });

export class LeadStore {
  constructor(
    private readonly table: TableClient,
    private readonly hints: TableClient,
  ) {}

  async get(id: string): Promise<StoredLead | undefined> {
    const entity = await getOrUndefined<Record<string, unknown>>(this.table, id, leadRowKey(id));
    return entity && { lead: readable(id, () => leadSchema.parse(unchunkJson(entity))), etag: entity.etag };
  }

  /** Stores a new lead with its first event; false when the id is already stored. */
  async create(lead: Lead, event: LeadEvent, effects: PendingEffects): Promise<boolean> {
    const hint = await this.hint(lead.id);
    try {
      await guard(() =>
        this.table.submitTransaction([
          ['create', leadEntity(lead)],
          ['create', eventEntity(lead.id, event)],
          ['upsert', this.pendingEntity(lead.id, withStats(effects, undefined, lead), hint), 'Merge'],
        ]),
      );
      return true;
    } catch (error) {
      if (isConflict(error)) return false;
      throw error;
    }
  }

  /** Replaces the lead read as `previous` if it is unchanged since (its ETag); otherwise returns the current lead. */
  async update(lead: Lead, previous: StoredLead, events: LeadEvent[], effects: PendingEffects = {}): Promise<UpdateResult> {
    const hint = previous.hint ?? (await this.hint(lead.id));
    const { etag } = previous;
    const { listRows: removed, searchWas } = leftBehind(previous.lead, lead);
    if (removed.length > 0) effects = { ...effects, removed };
    if (searchWas) effects = { ...effects, searchWas };
    effects = withStats(effects, previous.lead, lead);
    const actions: TransactionAction[] = [
      ['update', leadEntity(lead), 'Replace', { etag }],
      ...events.map((e): TransactionAction => ['create', eventEntity(lead.id, e)]),
      ['upsert', this.pendingEntity(lead.id, effects, hint), 'Merge'],
    ];
    let newEtag: string | undefined;
    try {
      const response = await guard(() => this.table.submitTransaction(actions));
      // The lead is the first action; sub-responses of updates carry no row key to look it up by.
      newEtag = response.subResponses[0]?.etag ?? response.getResponseForEntity(leadRowKey(lead.id))?.etag;
    } catch (error) {
      // 412: someone else changed it; 409: their event row with the same seq won the race.
      if (!isPreconditionFailed(error) && !isConflict(error)) throw error;
      const current = await this.get(lead.id);
      if (!current) throw error;
      return { ok: false, current };
    }
    // The transaction answers with the new ETag; read back only if a service left it out.
    if (newEtag) return { ok: true, stored: { lead, etag: newEtag } };
    const stored = await this.get(lead.id);
    return { ok: true, stored: stored ?? { lead, etag: '' } };
  }

  async history(id: string): Promise<LeadEvent[]> {
    const events: LeadEvent[] = [];
    await guard(async () => {
      const rows = this.table.listEntities<{ data0: string }>({
        queryOptions: { filter: odata`PartitionKey eq ${id} and RowKey gt ${eventPrefix(id)} and RowKey lt ${`${eventPrefix(id)}~`}` },
      });
      for await (const row of rows) events.push(unchunkJson(row) as LeadEvent);
    });
    return events;
  }

  /** What a lead's changes owe, and the keys of their hints (cleared with the row). */
  async pending(id: string): Promise<{ effects: PendingEffects; etag: string; hintRowKeys: string[] } | undefined> {
    const row = await getOrUndefined<Record<string, unknown> & Omit<PendingEffects, 'removed' | 'stats'>>(this.table, id, pendingRowKey(id));
    if (!row) return undefined;
    const removed = readable(id, () =>
      Object.entries(row).flatMap(([name, value]) => {
        if (typeof value !== 'string') return [];
        if (name.startsWith(UNINDEX)) return [JSON.parse(value) as RowRef];
        // The search rows of each state the lead had before its unprojected changes (those it still has are written again).
        return name.startsWith(SEARCH_WAS) ? searchRowsOf(value) : [];
      }),
    );
    const stats = readable(id, () =>
      Object.entries(row).flatMap(([name, value]) =>
        name.startsWith(STATS) && typeof value === 'string' ? [{ version: Number(name.slice(STATS.length)), delta: JSON.parse(value) as Contribution }] : [],
      ),
    );
    return {
      effects: { fanOut: row.fanOut, expiredNotice: row.expiredNotice, reminderHours: row.reminderHours, reschedule: row.reschedule, snoozed: row.snoozed, removed, stats },
      etag: row.etag,
      hintRowKeys: Object.keys(row).flatMap((name) => (name.startsWith(HINT) ? [hintRowKey(id, name.slice(HINT.length))] : [])),
    };
  }

  /**
   * Clears the pending row read with `etag`: 'cleared'; 'changed' when a change was added since
   * (it stays, to be projected again); 'gone' when another projector cleared it first.
   */
  async clearPending(id: string, etag: string): Promise<'cleared' | 'changed' | 'gone'> {
    try {
      await guard(() => this.table.deleteEntity(id, pendingRowKey(id), { etag }));
      return 'cleared';
    } catch (error) {
      if (isNotFound(error)) return 'gone';
      if (isPreconditionFailed(error)) return 'changed';
      throw error;
    }
  }

  /** Every projection hint: a small partition the projector sweeps. */
  async hinted(): Promise<Hint[]> {
    const found: Hint[] = [];
    await guard(async () => {
      const rows = this.hints.listEntities<{ leadId?: string }>({ queryOptions: { filter: odata`PartitionKey eq ${HINTS}`, select: ['RowKey', 'leadId', 'Timestamp'] } });
      for await (const row of rows) {
        const rowKey = row.rowKey ?? '';
        found.push({ leadId: row.leadId ?? rowKey, rowKey, writtenAt: Date.parse(String(row.timestamp ?? '')) || 0 });
      }
    });
    return found;
  }

  /**
   * Sets a lead's hints aside so that sweeps no longer retry it; returns the keys of those it
   * moved (none: another instance parked it first). A later change of the lead writes a new hint
   * and is tried again.
   */
  async park(id: string, reason: string, now: Date): Promise<string[]> {
    const hints = (await this.hintsOf(HINTS, id)).map((rowKey) => ({ partitionKey: PARKED, rowKey, leadId: id, reason: reason.slice(0, 1000), parkedAt: now.toISOString() }));
    if (hints.length === 0) return [];
    await upsertAll(this.hints, hints);
    await this.clearHints(hints.map((h) => h.rowKey));
    return hints.map((h) => h.rowKey).sort();
  }

  /** Leads set aside, with why and since when. */
  async parked(): Promise<{ leadId: string; reason: string; parkedAt: string }[]> {
    const found = new Map<string, { leadId: string; reason: string; parkedAt: string }>();
    await guard(async () => {
      const rows = this.hints.listEntities<{ leadId: string; reason: string; parkedAt: string }>({ queryOptions: { filter: odata`PartitionKey eq ${PARKED}` } });
      for await (const row of rows) found.set(row.leadId, { leadId: row.leadId, reason: row.reason, parkedAt: row.parkedAt });
    });
    return [...found.values()];
  }

  /** Puts a parked lead's hints back for the projector; false if it was not parked. */
  async unpark(id: string): Promise<boolean> {
    const rowKeys = await this.hintsOf(PARKED, id);
    if (rowKeys.length === 0) return false;
    await upsertAll(this.hints, rowKeys.map((rowKey) => ({ partitionKey: HINTS, rowKey, leadId: id })));
    await deleteAllIfExist(this.hints, rowKeys.map((rowKey) => ({ partitionKey: PARKED, rowKey })));
    return true;
  }

  private async hintsOf(partition: string, id: string): Promise<string[]> {
    const keys: string[] = [];
    await guard(async () => {
      const rows = this.hints.listEntities({ queryOptions: { filter: odata`PartitionKey eq ${partition} and RowKey gt ${`${id}|`} and RowKey lt ${`${id}}`}`, select: ['RowKey'] } });
      for await (const row of rows) keys.push(row.rowKey ?? '');
    });
    return keys;
  }

  async clearHints(rowKeys: string[]): Promise<void> {
    await deleteAllIfExist(this.hints, rowKeys.map((rowKey) => ({ partitionKey: HINTS, rowKey })));
  }

  /** Drops the hint written for a change that was not made from this read (no pending row names it). */
  async dropHint(id: string, read: StoredLead): Promise<void> {
    if (read.hint) await this.clearHints([hintRowKey(id, read.hint)]);
  }

  /**
   * Reads a lead that is about to change, writing its projection hint alongside (one round trip
   * instead of two): the hint must exist before the change commits, so a crash right after the
   * commit still leaves the change findable by the projector's sweep.
   */
  async getForChange(id: string): Promise<StoredLead | undefined> {
    const [stored, hint] = await Promise.all([this.get(id), this.hint(id)]);
    if (!stored) await this.clearHints([hintRowKey(id, hint)]);
    return stored && { ...stored, hint };
  }

  /** Written before the transaction, so a crash right after it still leaves a trace to sweep; returns its key. */
  private async hint(id: string): Promise<string> {
    const key = randomBytes(6).toString('hex');
    await guard(() => this.hints.createEntity({ partitionKey: HINTS, rowKey: hintRowKey(id, key), leadId: id }));
    return key;
  }

  /**
   * Merged into what is already pending: one property per effect, per list row left and per
   * change's stats, so a second change before projection never overwrites the first's.
   */
  private pendingEntity(id: string, effects: PendingEffects, hint: string) {
    const { removed = [], stats = [], searchWas, ...rest } = effects;
    const props: Record<string, unknown> = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
    for (const { version, delta } of stats) props[`${STATS}${version}`] = JSON.stringify(delta);
    props[`${HINT}${hint}`] = true;
    for (const row of removed) props[`${UNINDEX}${createHash('sha1').update(`${row.partitionKey}\u0001${row.rowKey}`).digest('hex')}`] = JSON.stringify(row);
    if (searchWas) props[`${SEARCH_WAS}${createHash('sha1').update(searchWas).digest('hex')}`] = searchWas;
    return { partitionKey: id, rowKey: pendingRowKey(id), ...props };
  }
}

/** The change's difference to the insights sums, recorded with it (keyed by the version it makes). */
function withStats(effects: PendingEffects, before: Lead | undefined, after: Lead): PendingEffects {
  const delta = contributionDelta(before, after);
  return isEmpty(delta) ? effects : { ...effects, stats: [{ version: after.version, delta }] };
}
