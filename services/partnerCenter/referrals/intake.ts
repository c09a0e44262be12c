/**
 * Referrals in, whoever sends them (the leads API; Partner Center's poll and webhook go through
 * takeReferral): read leniently against Partner Center's Referral resource (readReferral), made
 * into leads, and received as every new lead is (receiveLeads).
 */
import type { FieldIssue } from '../../errors';
import type { LeadStore } from '../../storage/leadStore';
import { receiveLeads, type Received } from '../../useCases/receiveLeads';
import { leadFromReferral } from './leadFromReferral';
import { readReferral, type AsGiven } from './readReferral';
import { MAX_REFERRALS_PER_REQUEST, type Referral } from './referral';

/** A referral read, with the values it sent that are kept as given. */
export interface Incoming {
  referral: Referral;
  asGiven?: AsGiven[];
}

export type ParsedReferrals = { ok: true; referrals: Incoming[]; batch: boolean } | { ok: false; issues: FieldIssue[] };

/**
 * What a caller of the leads API sent: one referral or an array of them. One that cannot be read
 * (no usable id, a status or kind this version does not know) refuses the request with the reason;
 * values that merely do not fit are kept as given and reported back.
 */
export function parseReferrals(body: unknown): ParsedReferrals {
  const batch = Array.isArray(body);
  const items = batch ? body : [body];
  if (items.length === 0) return { ok: false, issues: [{ path: '(root)', message: 'send at least one referral' }] };
  if (items.length > MAX_REFERRALS_PER_REQUEST) return { ok: false, issues: [{ path: '(root)', message: `send at most ${MAX_REFERRALS_PER_REQUEST} referrals at once` }] };
  const referrals: Incoming[] = [];
  const issues: FieldIssue[] = [];
  items.forEach((item, i) => {
    const read = readReferral(item);
    if (read.ok) referrals.push({ referral: read.referral, asGiven: read.asGiven });
    else issues.push({ path: [batch ? String(i) : undefined, read.field].filter(Boolean).join('.') || '(root)', message: read.reason });
  });
  return issues.length > 0 ? { ok: false, issues } : { ok: true, referrals, batch };
}

export interface IntakeDeps {
  leads: LeadStore;
  now: () => Date;
  responseDays: number;
}

/** Stores each referral's lead once (read, or a plain referral); a referral whose id is stored already is a duplicate. */
export function ingestReferrals(incoming: (Incoming | Referral)[], deps: IntakeDeps): Promise<Received[]> {
  const now = deps.now();
  return receiveLeads(
    incoming.map((item) => {
      const { referral, asGiven } = 'referral' in item ? item : { referral: item, asGiven: undefined };
      return leadFromReferral(referral, { now, responseDays: deps.responseDays, asGiven });
    }),
    deps,
  );
}
