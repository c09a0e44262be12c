/**
 * Leads in Azure Tables. A lead's partition holds the lead, its audit events and its "pending"
 * row (the transactional outbox: what the projector still has to do). Every change is one
 * entity-group transaction, conditional on the ETag the caller read.
 */
import { createHash, randomBytes } from 'node:crypto';
import { odata, type TableClient, type TransactionAction } from '@azure/data-tables';
import { storedLead, type Lead } from '../leads/lead';
import { contributionDelta, isEmpty, type Contribution } from '../leads/leadStats';
import type { LeadEvent } from '../leads/leadLifecycle';
import { leftBehind, searchRowsOf, type RowRef } from './leadIndex';
import { chunkJson, deleteAllIfExist, getOrUndefined, guard, isConflict, isNotFound, isPreconditionFailed, unchunkJson, upsertAll } from './tables';
import { deliveriesOf, deliveryProperties, type Delivery } from './deliveryEntries';
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
  created?: boolean; // the lead is new: every row derived from it is written
  fanOut?: boolean; // post the new lead's card to every subscribed conversation
  expiredNotice?: boolean; // post "Expired — not answered…" where the card is
  reminderHours?: number; // send the reminder for this offset
  removed?: RowRef[]; // list rows the lead no longer has (it moved list, was unfavorited, changed owner…)
  searchWas?: string; // its search state before the change, when the change left search rows behind (searchStateOf)
  reschedule?: boolean; // its expiry moved (Partner Center extended it): file its due times again
  snoozed?: boolean; // someone put off its reminders: file when they come back
  assignedTo?: string; // someone else made this person (AAD object id) its owner: tell them
  stats?: { version: number; delta: Contribution }[]; // what each change adds to the insights sums
}

export interface StoredLead {
  lead: Lead;
  etag: string;
  /** Where its card is posted (recorded on the lead's row). */
  deliveries: Delivery[];
  /** Read for a change (`getForChange`): the key of the projection hint already written for it. */
  hint?: string;
}

/**
 * A change whose pending row this instance created (no earlier change was waiting for its
 * projection): what the row holds is known here, so the projection needs no read.
 */
export interface FreshChange {
  stored: StoredLead;
  effects: PendingEffects;
  pendingEtag: string;
  hintRowKeys: string[];
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

/**
 * The row that holds a lead (exported for the bench's bulk seeding, which writes the same rows).
 * Changes merge it, so the deliveries recorded on it stay.
 */
export const leadEntity = (lead: Lead) => ({ partitionKey: lead.id, rowKey: leadRowKey(lead.id), stage: lead.stage, version: lead.version, ...chunkJson(lead) });

/** Fresh changes remembered at most (a projection takes its own at once; this bounds what a stalled one leaves). */
const MAX_FRESH = 10_000;

/** One audit event of a lead, beside the lead in its partition. */
export const eventEntity = (id: string, event: LeadEvent) => ({ partitionKey: id, rowKey: eventRowKey(id, event.seq), type: event.type, ...chunkJson(event) });

export class LeadStore {
  /** Changes this instance made whose pending rows it created, by lead: see FreshChange. */
  private readonly fresh = new Map<string, FreshChange>();

  constructor(
    private readonly table: TableClient,
    private readonly hints: TableClient,
  ) {}

  async get(id: string): Promise<StoredLead | undefined> {
    const entity = await getOrUndefined<Record<string, unknown>>(this.table, id, leadRowKey(id));
    return entity && { lead: readable(id, () => storedLead(unchunkJson(entity))), etag: entity.etag, deliveries: readable(id, () => deliveriesOf(id, entity)) };
  }

  /**
   * The lead's last change made here, if its pending row was created by it (taken: a second
   * projection reads). Another instance may merge a change into that row since: the row is then
   * cleared only under its own ETag or the lead's, which that change moved, so it stays for its projection.
   */
  takeFresh(id: string): FreshChange | undefined {
    const found = this.fresh.get(id);
    this.fresh.delete(id);
    return found;
  }

  /** Stores a new lead with its first event; false when the id is already stored. */
  async create(lead: Lead, event: LeadEvent, effects: PendingEffects): Promise<boolean> {
    const hint = await this.hint(lead.id);
    const pending = withStats({ ...effects, created: true }, undefined, lead);
    try {
      const response = await guard(() =>
        this.table.submitTransaction([
          ['create', leadEntity(lead)],
          ['create', eventEntity(lead.id, event)],
          ['upsert', this.pendingEntity(lead.id, pending, hint), 'Merge'],
        ]),
      );
      const [leadEtag, , pendingEtag] = response.subResponses.map((r) => r.etag);
      this.remember(lead.id, leadEtag && pendingEtag ? { stored: { lead, etag: leadEtag, deliveries: [] }, effects: asRead(pending), pendingEtag, hintRowKeys: [hintRowKey(lead.id, hint)] } : undefined);
      return true;
    } catch (error) {
      if (isConflict(error)) return false;
      throw error;
    }
  }

  private remember(id: string, change: FreshChange | undefined): void {
    this.fresh.delete(id);
    if (!change) return;
    if (this.fresh.size >= MAX_FRESH) this.fresh.delete(this.fresh.keys().next().value ?? '');
    this.fresh.set(id, change);
  }

  /**
   * Marks that a first post of the lead's card to a conversation begins, if the lead is still as
   * read (`etag`): its new ETag, or undefined when it changed (read it again). A mark without a
   * recorded post tells a later try that Teams may have the card already.
   */
  async markPosting(id: string, etag: string, conversationKey: string, at: number): Promise<string | undefined> {
    try {
      const marked = await guard(() =>
        this.table.updateEntity({ partitionKey: id, rowKey: leadRowKey(id), ...deliveryProperties([{ conversationKey, postingSince: at }]) }, 'Merge', { etag }),
      );
      return marked.etag ?? undefined;
    } catch (error) {
      if (isPreconditionFailed(error) || isNotFound(error)) return undefined;
      throw error;
    }
  }

  /**
   * The end of a projection a reaction finished itself (cards sent from here): what it records on
   * the lead's row (where the cards are) is merged and the pending row is cleared, in one
   * transaction, if the lead is still as this instance last wrote it (`etag`: no change came in
   * since, so the pending row holds only what was projected). Otherwise ('changed') the properties
   * are written on their own and the pending row stays for the next projection.
   */
  async settle(id: string, properties: Record<string, string>, etag: string): Promise<'cleared' | 'changed'> {
    const row = { partitionKey: id, rowKey: leadRowKey(id), ...properties };
    try {
      await guard(() => this.table.submitTransaction([['update', row, 'Merge', { etag }], ['delete', { partitionKey: id, rowKey: pendingRowKey(id) }]]));
      return 'cleared';
    } catch (error) {
      if (!isPreconditionFailed(error) && !isNotFound(error)) throw error;
    }
    if (Object.keys(properties).length > 0) await guard(() => this.table.updateEntity(row, 'Merge'));
    return 'changed';
  }

  /**
   * Replaces the lead read as `previous` if it is unchanged since (its ETag); otherwise returns the
   * current lead. The pending row is created if none waits (the change is then fresh: see
   * FreshChange), else merged into the one that waits.
   */
  async update(lead: Lead, previous: StoredLead, events: LeadEvent[], effects: PendingEffects = {}): Promise<UpdateResult> {
    const hint = previous.hint ?? (await this.hint(lead.id));
    const { etag } = previous;
    const { listRows: removed, searchWas } = leftBehind(previous.lead, lead);
    if (removed.length > 0) effects = { ...effects, removed };
    if (searchWas) effects = { ...effects, searchWas };
    effects = withStats(effects, previous.lead, lead);
    const pending = this.pendingEntity(lead.id, effects, hint);
    const transaction = (pendingAction: TransactionAction): TransactionAction[] => [
      ['update', leadEntity(lead), 'Merge', { etag }],
      ...events.map((e): TransactionAction => ['create', eventEntity(lead.id, e)]),
      pendingAction,
    ];
    let response: Awaited<ReturnType<TableClient['submitTransaction']>>;
    let fresh = true;
    try {
      try {
        response = await guard(() => this.table.submitTransaction(transaction(['create', pending])));
      } catch (error) {
        // 409: a pending row waits (merge into it), or an event row with the same seq won a race (refused again).
        if (!isConflict(error)) throw error;
        fresh = false;
        response = await guard(() => this.table.submitTransaction(transaction(['upsert', pending, 'Merge'])));
      }
    } catch (error) {
      // 412: someone else changed it; 409: their event row with the same seq won the race.
      if (!isPreconditionFailed(error) && !isConflict(error)) throw error;
      const current = await this.get(lead.id);
      if (!current) throw error;
      return { ok: false, current };
    }
    // The lead is the first action, the pending row the last; sub-responses of updates carry no row key to look them up by.
    const newEtag = response.subResponses[0]?.etag;
    const pendingEtag = response.subResponses[response.subResponses.length - 1]?.etag;
    // The transaction answers with the new ETag; read back only if a service left it out.
    const stored = newEtag ? { lead, etag: newEtag, deliveries: previous.deliveries } : ((await this.get(lead.id)) ?? { lead, etag: '', deliveries: previous.deliveries });
    this.remember(lead.id, fresh && newEtag && pendingEtag ? { stored, effects: asRead(effects), pendingEtag, hintRowKeys: [hintRowKey(lead.id, hint)] } : undefined);
    return { ok: true, stored };
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
      effects: { created: row.created, fanOut: row.fanOut, expiredNotice: row.expiredNotice, reminderHours: row.reminderHours, reschedule: row.reschedule, snoozed: row.snoozed, assignedTo: row.assignedTo, removed, stats },
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

/** Effects as `pending` reads them back: the rows a recorded search state stands for, and no empty fields. */
function asRead(effects: PendingEffects): PendingEffects {
  const { searchWas, removed = [], stats = [], ...rest } = effects;
  return { ...rest, removed: [...removed, ...(searchWas ? searchRowsOf(searchWas) : [])], stats };
}

/** The change's difference to the insights sums, recorded with it (keyed by the version it makes). */
function withStats(effects: PendingEffects, before: Lead | undefined, after: Lead): PendingEffects {
  const delta = contributionDelta(before, after);
  return isEmpty(delta) ? effects : { ...effects, stats: [{ version: after.version, delta }] };
}
