/** Use case: take referrals from Partner Center (or any sender) and store each one once. */
import { z } from 'zod';
import { toFieldIssues, type FieldIssue } from '../errors';
import type { Lead } from '../leads/lead';
import { leadFromReferral } from '../leads/leadFromReferral';
import { SYSTEM_ACTOR, type LeadEvent } from '../leads/leadLifecycle';
import type { LeadStore } from '../storage/leadStore';
import { MAX_REFERRALS_PER_REQUEST, referralSchema, type Referral } from '../leads/referral';

const batchSchema = z
  .array(referralSchema)
  .min(1, 'send at least one referral')
  .max(MAX_REFERRALS_PER_REQUEST, `send at most ${MAX_REFERRALS_PER_REQUEST} referrals at once`);

export type ParsedReferrals = { ok: true; referrals: Referral[]; batch: boolean } | { ok: false; issues: FieldIssue[] };

export function parseReferrals(body: unknown): ParsedReferrals {
  if (Array.isArray(body)) {
    const parsed = batchSchema.safeParse(body);
    if (!parsed.success) return { ok: false, issues: toFieldIssues(parsed.error.issues) };
    return { ok: true, referrals: parsed.data, batch: true };
  }
  const parsed = referralSchema.safeParse(body);
  if (!parsed.success) return { ok: false, issues: toFieldIssues(parsed.error.issues) };
  return { ok: true, referrals: [parsed.data], batch: false };
}

export interface IngestResult {
  id: string;
  duplicate: boolean;
}

/** A new lead's first audit event. */
export function receiveEvent(lead: Lead, now: Date): LeadEvent {
  return { seq: 1, type: 'receive', actor: SYSTEM_ACTOR, at: now.toISOString(), before: {}, after: { stage: lead.stage, outcome: lead.outcome ?? null } };
}

export async function ingestReferrals(
  referrals: Referral[],
  deps: { leads: LeadStore; now: () => Date; responseDays: number },
): Promise<IngestResult[]> {
  return Promise.all(
    referrals.map(async (referral) => {
      const now = deps.now();
      const lead = leadFromReferral(referral, { now, responseDays: deps.responseDays });
      const event = receiveEvent(lead, now);
      // A lead that arrives already expired is archived quietly: no card, no alert.
      const created = await deps.leads.create(lead, event, { fanOut: lead.stage !== 'Archived' });
      return { id: lead.id, duplicate: !created };
    }),
  );
}
