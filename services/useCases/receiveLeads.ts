/**
 * Use case: new leads arrive (whatever sent them: Partner Center's poll or webhook, the leads API)
 * and each is stored once, with its first audit event and its projection owed: cards to every
 * conversation that takes its kind, unless it arrives already closed.
 */
import type { Lead } from '../leads/lead';
import { SYSTEM_ACTOR, type LeadEvent } from '../leads/leadLifecycle';
import type { LeadStore } from '../storage/leadStore';

export interface Received {
  id: string;
  /** The id was stored already: nothing changed, nothing is posted twice. */
  duplicate: boolean;
}

/** A new lead's first audit event. */
export function receiveEvent(lead: Lead, now: Date): LeadEvent {
  return { seq: 1, type: 'receive', actor: SYSTEM_ACTOR, at: now.toISOString(), before: {}, after: { stage: lead.stage, outcome: lead.outcome ?? null } };
}

export async function receiveLeads(leads: Lead[], deps: { leads: LeadStore; now: () => Date }): Promise<Received[]> {
  return Promise.all(
    leads.map(async (lead) => {
      // A lead that arrives already closed (expired, or decided elsewhere) is archived quietly: no card, no alert.
      const created = await deps.leads.create(lead, receiveEvent(lead, deps.now()), { fanOut: lead.stage !== 'Archived' });
      return { id: lead.id, duplicate: !created };
    }),
  );
}
