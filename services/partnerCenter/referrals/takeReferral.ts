/**
 * Use case: a referral as Partner Center has it now comes in (a poll, a webhook event, the answer
 * to a write-back). A new incoming lead is stored exactly as the leads API stores one; a lead we
 * have is brought in line with Partner Center (its changes taken, with Partner Center as the
 * actor), conditional on the ETag read, retried on a lost race. Safe to run again with the same
 * referral: nothing changes the second time.
 */
import { LeadBusyError } from '../../errors';
import type { Lead } from '../../leads/lead';
import type { LeadStore } from '../../storage/leadStore';
import { ingestReferrals } from './intake';
import { readReferral, type AsGiven } from './readReferral';
import { isIncomingLead } from './referral';
import { partnerCenterOf, referralState, withPartnerCenter } from './referralState';
import { applyReferral, PARTNER_CENTER_ACTOR, PARTNER_CENTER_EVENT, type SyncedField } from './referralSync';

export type TakeResult =
  | { status: 'created'; leadId: string }
  | { status: 'updated'; lead: Lead; before: Lead; overruled: SyncedField[] }
  | { status: 'unchanged'; leadId: string }
  | { status: 'ignored'; leadId: string; reason: 'not_a_lead' }
  /** It cannot be read (no usable id, a status or kind this version does not know): to be parked, with why. */
  | { status: 'unreadable'; referralId?: string; name?: string; reason: string };

/** The lead a referral was taken into (none when it could not be read). */
export function takenLeadId(taken: TakeResult): string | undefined {
  return 'leadId' in taken ? taken.leadId : 'lead' in taken ? taken.lead.id : undefined;
}

const MAX_ATTEMPTS = 6;

export async function takeReferral(sent: unknown, deps: { leads: LeadStore; now: () => Date; responseDays: number }): Promise<TakeResult> {
  const read = readReferral(sent);
  if (!read.ok) return { status: 'unreadable', referralId: read.id, name: read.name, reason: read.reason };
  const { referral, asGiven } = read;
  const theirs = referralState(referral);

  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const stored = await deps.leads.getForChange(referral.id);
    if (!stored) {
      // Co-sell opportunities and outgoing referrals are not leads; one we already hold is followed whatever its kind.
      if (!isIncomingLead(referral)) return { status: 'ignored', leadId: referral.id, reason: 'not_a_lead' };
      const [created] = await ingestReferrals([{ referral, asGiven }], deps);
      if (created && !created.duplicate) return { status: 'created', leadId: referral.id };
      continue; // Stored by another path a moment ago: bring that one in line.
    }
    const applied = withAsGiven(applyReferral(stored.lead, theirs, deps.now()), asGiven);
    if (!applied) {
      await deps.leads.dropHint(referral.id, stored);
      return { status: 'unchanged', leadId: referral.id };
    }
    const effects = {
      ...(applied.lead.expiresAt !== stored.lead.expiresAt && { reschedule: true }),
      // Expired in Partner Center: the notice goes where the card is, as for an expiry of our own.
      ...(applied.lead.outcome === 'Expired' && stored.lead.stage !== 'Archived' && { expiredNotice: true }),
    };
    const written = await deps.leads.update(applied.lead, stored, applied.events, effects);
    if (written.ok) return { status: 'updated', lead: written.stored.lead, before: stored.lead, overruled: applied.overruled };
    await deps.leads.dropHint(referral.id, stored);
  }
  throw new LeadBusyError(referral.id);
}

/** The values kept as given are those of the referral as last taken. */
function withAsGiven<T extends { lead: Lead } | undefined>(applied: T, asGiven: AsGiven[]): T {
  if (!applied) return applied;
  const record = partnerCenterOf(applied.lead);
  const { asGiven: _was, ...rest } = record;
  return { ...applied, lead: withPartnerCenter(applied.lead, asGiven.length > 0 ? { ...rest, asGiven } : rest) };
}

/** Records on the lead that Partner Center refused its write-back (400), in Partner Center's words. */
export async function markRejected(leadId: string, message: string, revision: number | undefined, deps: { leads: LeadStore; now: () => Date }): Promise<Lead | undefined> {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const stored = await deps.leads.getForChange(leadId);
    if (!stored) return undefined;
    const at = deps.now().toISOString();
    const lead = stored.lead;
    const rejected = { message: message.slice(0, 500), at, revision: revision ?? lead.revision };
    const next: Lead = withPartnerCenter({ ...lead, version: lead.version + 1 }, { ...partnerCenterOf(lead), rejected });
    const event = { seq: next.version, type: PARTNER_CENTER_EVENT, actor: { ...PARTNER_CENTER_ACTOR }, at, before: {}, after: { rejected: rejected.message } };
    const written = await deps.leads.update(next, stored, [event]);
    if (written.ok) return written.stored.lead;
    await deps.leads.dropHint(leadId, stored);
  }
  throw new LeadBusyError(leadId);
}
