/**
 * Leads whose projection keeps failing. A first failure is logged once (for the whole batch). A
 * lead whose own row cannot be read KEEPS_FAILING times in a row is parked (sweeps stop retrying
 * it), logged as an error and reported to partner admins, once. Other failures (an outage, a
 * shared row, a bug) are retried on every sweep: fixing their cause heals every lead at once, and
 * parking them all would leave each to be retried by hand.
 */
import { briefly, StorageUnavailableError } from '../errors';
import type { Logger } from '../logger';
import { UnreadableLeadError, type LeadStore } from '../storage/leadStore';

/** Tells partner admins (once per parking: `parking` names it) that a lead was set aside. */
export type ParkingReport = (leadId: string, reason: string, tries: number, parking: string) => Promise<void>;

/** Failures in a row after which a lead's projection is set aside (parked) and reported to partner admins, once. */
export const KEEPS_FAILING = 5;
const MAX_TRACKED = 10_000;

/** What partner admins are told of a lead set aside (one short line of reason: it may reach a channel). */
export const parkedNotice = (leadId: string, reason: string, tries: number): string =>
  `Lead ${leadId} could not be processed ${tries} times in a row (${reason}), so Partner Leads set it aside: its cards, lists and reminders are not updated. A partner admin can fix the cause, then type: retry ${leadId}`;

export type RetryOutcome = { outcome: 'projected' } | { outcome: 'notParked' } | { outcome: 'failed'; reason: string };

export class Failures {
  /** Failures in a row by lead, the last one's reason, and whether it was the lead's own row (bounded: MAX_TRACKED). */
  private readonly byLead = new Map<string, { times: number; reason: string; unreadable: boolean }>();

  constructor(private readonly deps: { leads: LeadStore; log: Logger; now: () => Date; reportParked?: ParkingReport }) {}

  /** Counts the batch's failures (and clears the successes); parks the leads whose rows keep being unreadable. */
  async note(leadIds: string[], settled: PromiseSettledResult<unknown>[], now: Date): Promise<void> {
    const firstTime: unknown[] = [];
    const toPark: { id: string; error: UnreadableLeadError }[] = [];
    leadIds.forEach((id, i) => {
      const result = settled[i];
      if (result?.status !== 'rejected') return void this.byLead.delete(id);
      if (result.reason instanceof StorageUnavailableError) return;
      const times = (this.byLead.get(id)?.times ?? 0) + 1;
      if (this.byLead.size >= MAX_TRACKED) this.byLead.clear();
      const unreadable = result.reason instanceof UnreadableLeadError;
      this.byLead.set(id, { times, reason: briefly(result.reason), unreadable });
      if (times === 1) firstTime.push(result.reason);
      if (times >= KEEPS_FAILING && unreadable) toPark.push({ id, error: result.reason as UnreadableLeadError });
      if (times === KEEPS_FAILING && !unreadable) {
        this.deps.log.error({ err: result.reason, leadId: id, times }, 'projection of a lead keeps failing; retried on every sweep, its cards and lists may be out of date');
      }
    });
    if (firstTime.length > 0) this.deps.log.warn({ err: firstTime[0], failed: firstTime.length, of: leadIds.length }, 'projection failed for some leads; they are retried');
    for (const { id, error } of toPark) await this.park(id, error, now);
  }

  /**
   * A partner admin's `retry`: the parked lead is projected now (`project`). If it fails again it
   * is parked again at once (the admin is answered with the reason; nobody is told a second time).
   */
  async retry(leadId: string, project: () => Promise<unknown>): Promise<RetryOutcome> {
    const { leads } = this.deps;
    if (!(await leads.unpark(leadId))) return { outcome: 'notParked' };
    this.byLead.delete(leadId);
    await project();
    const failed = this.byLead.get(leadId);
    if (!failed && !(await leads.pending(leadId).catch(() => 'unreadable'))) return { outcome: 'projected' };
    this.byLead.delete(leadId);
    const reason = failed?.reason ?? 'it is still waiting to be processed (storage may be unavailable); the next sweep tries again';
    if (failed?.unreadable) await leads.park(leadId, failed.reason, this.deps.now());
    return { outcome: 'failed', reason };
  }

  /** One lead's parking never stops the rest of the batch: a failure here is logged, and tried again next time. */
  private async park(id: string, reason: UnreadableLeadError, now: Date): Promise<void> {
    try {
      const moved = await this.deps.leads.park(id, reason.message, now);
      this.byLead.delete(id);
      if (moved.length === 0) return;
      this.deps.log.error({ err: reason, leadId: id, times: KEEPS_FAILING }, 'projection of a lead keeps failing: parked until a partner admin retries it; its cards, lists and reminders are not updated');
      await this.deps.reportParked?.(id, reason.message, KEEPS_FAILING, moved[0] ?? '');
    } catch (error) {
      this.deps.log.error({ err: error, leadId: id }, 'could not park a lead whose projection keeps failing, or tell partner admins');
    }
  }
}
