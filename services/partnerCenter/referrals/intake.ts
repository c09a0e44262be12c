/**
 * Referrals in, whoever sends them (the leads API; Partner Center's poll and webhook go through
 * takeReferral): parsed against Partner Center's Referral resource, made into leads, and received
 * as every new lead is (receiveLeads).
 */
import { z } from 'zod';
import { toFieldIssues, type FieldIssue } from '../../errors';
import type { LeadStore } from '../../storage/leadStore';
import { receiveLeads, type Received } from '../../useCases/receiveLeads';
import { leadFromReferral } from './leadFromReferral';
import { MAX_REFERRALS_PER_REQUEST, referralSchema, type Referral } from './referral';

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

export interface IntakeDeps {
  leads: LeadStore;
  now: () => Date;
  responseDays: number;
}

/** Stores each referral's lead once; a referral whose id is stored already is a duplicate. */
export function ingestReferrals(referrals: Referral[], deps: IntakeDeps): Promise<Received[]> {
  const now = deps.now();
  return receiveLeads(
    referrals.map((referral) => leadFromReferral(referral, { now, responseDays: deps.responseDays })),
    deps,
  );
}
