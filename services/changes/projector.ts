/**
 * Publishes every lead change once. A change records what it owes in its own transaction (the
 * lead's pending row, and a hint the sweep finds); the projector reads that (or, for a change this
 * instance just made, knows it), hands the batch to every subscribed reaction, and once all of
 * them have done their writes clears the pending row and the hints. Every reaction is idempotent,
 * so a crash half-way is mended by the next sweep running it again.
 */
import { StorageUnavailableError } from '../errors';
import type { Lead } from '../leads/lead';
import type { Logger } from '../logger';
import type { LeadStore } from '../storage/leadStore';
import { Failures, type ParkingReport } from './failures';
import type { ChangeBatch, HeldChange, LeadChange, Reaction } from './reaction';

export interface ProjectorDeps {
  leads: LeadStore;
  now: () => Date;
  log: Logger;
  /** Tells partner admins (once per parking) that a lead was set aside because its rows cannot be read. */
  reportParked?: ParkingReport;
}

/** Leads projected together: what they share (list rows, due rows, queued cards) is written with one request per partition. */
const BATCH = 32;
/**
 * A hint with nothing pending may belong to a change still on its way to storage (the hint is
 * written before the change commits, and a commit can take a few tries of 4 s): only a hint older
 * than this is stale and cleared.
 */
const HINT_GRACE_MS = 60_000;
/** How often a pass also sweeps for changes whose projection a crash (here or elsewhere) interrupted. */
export const SWEEP_EVERY_MS = 5_000;
/** A hint younger than this is left to the change in flight that wrote it (the instance making a change projects it). */
const SWEEP_GRACE_MS = 10_000;

/** A change finished by its reaction, whose finishing storage refused: tried again on the next pass. */
interface Unfinished {
  change: LeadChange;
  pending: Pending;
  outcome: Parameters<HeldChange['finish']>[0];
}

interface Pending {
  etag: string;
  hintRowKeys: string[];
}

export class Projector {
  private readonly reactions: Reaction[] = [];
  /** Leads changed here since the last pass. */
  private readonly waiting = new Set<string>();
  /** Leads whose changes a reaction holds (cards going out from memory): sweeps leave them alone. */
  private readonly held = new Set<string>();
  private readonly unfinished = new Map<string, Unfinished>();
  private readonly afterPass = new Set<() => void>();
  private readonly failures: Failures;
  private lastSweep = 0;
  private inPass = false;

  constructor(private readonly deps: ProjectorDeps) {
    this.failures = new Failures(deps);
  }

  /** One line of wiring per reaction: it gets every change from now on. */
  subscribe(reaction: Reaction): this {
    this.reactions.push(reaction);
    return this;
  }

  /** A lead changed here: projected on the next pass. */
  changed(leadId: string): void {
    this.waiting.add(leadId);
  }

  /**
   * One pass: the leads changed here, then (every SWEEP_EVERY_MS, on its own clock so a steady
   * stream of changes cannot hold it off) the changes a crash left; then what reactions asked to
   * run once the pass is done.
   */
  async pass(): Promise<void> {
    const ids = [...this.waiting];
    this.waiting.clear();
    this.inPass = true;
    try {
      try {
        if (ids.length > 0) await this.projectMany(ids);
      } catch (error) {
        // Tried again on the next pass (the sweep would find them too, but only later).
        for (const id of ids) this.waiting.add(id);
        throw error;
      }
      if (Date.now() - this.lastSweep >= SWEEP_EVERY_MS - 500) {
        // The first sweep takes every hint (this process has no change in flight yet); later ones leave young hints to the changes writing them.
        const grace = this.lastSweep === 0 ? 0 : SWEEP_GRACE_MS;
        this.lastSweep = Date.now();
        await this.sweep(this.waiting, grace);
      }
    } finally {
      this.inPass = false;
      const after = [...this.afterPass];
      this.afterPass.clear();
      for (const run of after) run();
    }
  }

  /**
   * Projects every hinted lead but those `queued` here anyway (or held by a reaction); clears
   * hints with nothing pending once they are stale. Returns how many were projected.
   */
  async sweep(queued: ReadonlySet<string> = new Set(), minAgeMs = 0): Promise<number> {
    const youngFrom = Date.now() - minAgeMs;
    const hinted = (await this.deps.leads.hinted()).filter((h) => !queued.has(h.leadId) && !this.held.has(h.leadId) && (minAgeMs === 0 || h.writtenAt < youngFrom));
    const staleBefore = Date.now() - HINT_GRACE_MS;
    const stale = new Map<string, string[]>();
    for (const h of hinted) if (h.writtenAt < staleBefore) stale.set(h.leadId, [...(stale.get(h.leadId) ?? []), h.rowKey]);
    return this.projectMany([...new Set(hinted.map((h) => h.leadId))], stale);
  }

  async project(leadId: string): Promise<boolean> {
    return (await this.projectMany([leadId])) === 1;
  }

  /**
   * Projects these leads, a batch at a time; returns how many had work pending. A lead whose rows
   * cannot be read keeps its hint (the sweep retries it) and does not hold back the others.
   */
  async projectMany(leadIds: string[], staleHints: ReadonlyMap<string, string[]> = new Map()): Promise<number> {
    if (this.unfinished.size > 0) await this.finishLeftOver();
    let projected = 0;
    for (let i = 0; i < leadIds.length; i += BATCH) projected += await this.projectBatch(leadIds.slice(i, i + BATCH), staleHints);
    return projected;
  }

  /** A partner admin's `retry`: a parked lead is projected now (and parked again at once if it still fails). */
  async retryParked(leadId: string): ReturnType<Failures['retry']> {
    return this.failures.retry(leadId, () => this.projectMany([leadId]));
  }

  private async projectBatch(leadIds: string[], staleHints: ReadonlyMap<string, string[]>): Promise<number> {
    const { leads } = this.deps;
    const now = this.deps.now();
    const read = await Promise.allSettled(leadIds.map((id) => this.read(id)));
    const staged = read.flatMap((r) => (r.status === 'fulfilled' && r.value ? [r.value] : []));
    const nothingPending = leadIds.filter((_, i) => read[i]?.status === 'fulfilled' && !(read[i] as PromiseFulfilledResult<unknown>).value);
    const holding = new Set<string>();
    const failed = await this.publish(staged, now, holding);
    if (failed && !(failed instanceof StorageUnavailableError) && staged.length > 1) {
      await leads.clearHints(nothingPending.flatMap((leadId) => staleHints.get(leadId) ?? []));
      return this.oneByOne(leadIds, read, staged, staleHints, now);
    }
    // A reaction's failure counts against the lead (never parked for it: only a row that cannot be read is).
    await this.failures.note(leadIds, failed ? read.map((r) => (r.status === 'fulfilled' && r.value ? { status: 'rejected', reason: failed } : r)) : read, now);
    if (failed) {
      // Storage is down: the batch is tried again at once by the next pass. Anything else: by the sweep.
      if (failed instanceof StorageUnavailableError) throw failed;
      return 0;
    }
    const done = staged.filter((s) => !holding.has(s.change.stored.lead.id));
    const outcomes = await Promise.all(done.map((s) => leads.clearPending(s.change.stored.lead.id, s.pending.etag)));
    // A change came in since ('changed'; its hint stays and a pass projects it again) or another
    // projector cleared the row first ('gone'): either may have derived rows from a newer lead
    // before this one overwrote them with the lead it read.
    await Promise.all(done.filter((_, i) => outcomes[i] !== 'cleared').map((s) => this.catchUp(s.change.stored.lead)));
    // Only the hints of the changes just projected: another change's hint may be on its way.
    await leads.clearHints([
      ...nothingPending.flatMap((leadId) => staleHints.get(leadId) ?? []),
      ...done.filter((_, i) => outcomes[i] === 'cleared').flatMap((s) => s.pending.hintRowKeys),
    ]);
    return staged.length;
  }

  /**
   * A reaction failed for the batch, not for want of storage: each of its leads is projected on its
   * own, so the one that made it fail fails alone and the others go on (as when they were staged one
   * by one).
   */
  private async oneByOne(leadIds: string[], read: PromiseSettledResult<unknown>[], staged: { change: LeadChange }[], staleHints: ReadonlyMap<string, string[]>, now: Date): Promise<number> {
    const unreadable = leadIds.flatMap((id, i) => (read[i]?.status === 'rejected' ? [{ id, result: read[i] }] : []));
    await this.failures.note(unreadable.map((u) => u.id), unreadable.map((u) => u.result), now);
    let projected = 0;
    for (const { change } of staged) projected += await this.projectBatch([change.stored.lead.id], staleHints);
    return projected;
  }

  /** Hands the batch to every reaction; what each asked to run once all are done runs then. Returns the failure, if one failed. */
  private async publish(staged: { change: LeadChange; pending: Pending }[], now: Date, holding: Set<string>): Promise<unknown> {
    if (staged.length === 0) return undefined;
    const batch: ChangeBatch = {
      changes: staged.map((s) => s.change),
      now,
      hold: (change) => {
        const pending = staged.find((s) => s.change === change)!.pending;
        holding.add(change.stored.lead.id);
        this.held.add(change.stored.lead.id);
        return { finish: (outcome) => this.finish({ change, pending, outcome }) };
      },
    };
    // Every reaction settles before the batch is judged: one still running must not hold a change after the batch failed.
    const settled = await Promise.allSettled(this.reactions.map((r) => r.react(batch)));
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      for (const id of holding) this.held.delete(id);
      return failed.reason ?? new Error('a reaction failed');
    }
    for (const r of settled) (r as PromiseFulfilledResult<(() => void) | void>).value?.();
    return undefined;
  }

  /**
   * Runs `run` once the current pass is done, or now outside a pass: the sender looks at the
   * outbox once a burst that a pass queued over several batches is there whole (and digested).
   */
  whenPassDone(run: () => void): void {
    if (this.inPass) this.afterPass.add(run);
    else run();
  }

  /**
   * What a lead is owed: a fresh change made here is known without a read; otherwise the pending
   * row is read first, then the lead (they commit together, so the lead read is at least as new as
   * the pending row). Undefined when nothing is pending.
   */
  private async read(id: string): Promise<{ change: LeadChange; pending: Pending } | undefined> {
    const { leads } = this.deps;
    const fresh = leads.takeFresh(id);
    const pending = fresh ? { effects: fresh.effects, etag: fresh.pendingEtag, hintRowKeys: fresh.hintRowKeys } : await leads.pending(id);
    const stored = fresh?.stored ?? (pending && (await leads.get(id)));
    if (!pending || !stored) {
      if (pending) await leads.clearPending(id, pending.etag);
      return undefined;
    }
    return { change: { stored, owed: pending.effects, fresh: Boolean(fresh) }, pending: { etag: pending.etag, hintRowKeys: pending.hintRowKeys } };
  }

  /**
   * Finishes a held change (see HeldChange). If storage fails here, it is tried again on every
   * projection pass: the lead stays out of sweeps meanwhile, so its cards are never sent a second
   * time for want of a record.
   */
  private async finish(unfinished: Unfinished): Promise<void> {
    const { change, pending, outcome } = unfinished;
    const { leads, log } = this.deps;
    const id = change.stored.lead.id;
    try {
      await outcome.first?.();
      // Nothing to record: the pending row alone is cleared, conditional on its own ETag (the lead's row is left as it is).
      const cleared = Object.keys(outcome.properties).length > 0 ? await leads.settle(id, outcome.properties, outcome.etag) : await leads.clearPending(id, pending.etag);
      if (cleared === 'cleared') await leads.clearHints(pending.hintRowKeys);
      else await this.catchUp(change.stored.lead);
      this.held.delete(id);
    } catch (error) {
      if (!this.unfinished.has(id)) log.warn({ err: error, leadId: id }, 'finishing a change sent from memory failed; tried again on the next projection pass');
      this.unfinished.set(id, unfinished);
    }
  }

  private async finishLeftOver(): Promise<void> {
    const waiting = [...this.unfinished.values()];
    this.unfinished.clear();
    for (const unfinished of waiting) await this.finish(unfinished);
  }

  /** The lead moved on since `was` was projected: every reaction brings what it derived up to date. */
  private async catchUp(was: Lead): Promise<void> {
    const current = await this.deps.leads.get(was.id);
    if (!current || current.lead.version === was.version) return;
    await Promise.all(this.reactions.map((r) => r.overtaken?.(was, current.lead)));
  }
}
