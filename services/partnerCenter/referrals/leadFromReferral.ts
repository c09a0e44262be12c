/** Derives our lead from a validated Partner Center referral. */
import { randomUUID } from 'node:crypto';
import type { Referral, ReferralContact } from './referral';
import { OUTCOMES, type Lead, type LeadType, type Outcome, type Person, type Stage } from '../../leads/lead';
import type { AsGiven } from './readReferral';
import { PARTNER_CENTER_KEY, referralState, type PartnerCenterRecord } from './referralState';
import { PARTNER_CENTER_ACTOR, reasonFromText } from './referralSync';

/** readReferral reads a qualification this version does not know ("None", say) as Direct. */
const TYPE_BY_QUALIFICATION: Record<Referral['qualification'], LeadType> = {
  Direct: 'customerInquiry',
  MarketingQualified: 'marketingQualified',
  SalesQualified: 'salesQualified',
};

const DAY_MS = 24 * 60 * 60 * 1000;

export function toPerson(contact: ReferralContact): Person {
  const name = [contact.firstName, contact.lastName].filter(Boolean).join(' ') || contact.email || 'Unnamed contact';
  return { name, email: contact.email, phone: contact.phoneNumber };
}

export function leadFromReferral(referral: Referral, options: { now: Date; responseDays: number; asGiven?: AsGiven[] }): Lead {
  const consent = referral.consentDetails ?? referral.consent ?? {};
  const received = referral.createdDateTime ? new Date(referral.createdDateTime) : options.now;
  const expires = referral.expirationDateTime
    ? new Date(referral.expirationDateTime)
    : new Date(received.getTime() + options.responseDays * DAY_MS);
  const requirements = referral.details?.requirements;
  const { stage, outcome } = stageOf(referral, expires.getTime() <= options.now.getTime());
  const details = referral.details;
  // A referral already accepted or closed (an import from Partner Center) comes with its deal.
  const deal =
    stage !== 'Received' && (referral.status === 'Active' || outcome === 'Won' || outcome === 'Lost')
      ? {
          name: referral.name || `${referral.customerProfile.name} inquiry`,
          value: details?.dealValue,
          currency: details?.currency,
          purchaseDate: details?.closingDateTime?.slice(0, 10),
          crmId: referral.externalReferenceId,
          campaignId: referral.campaignId,
        }
      : undefined;

  return {
    id: referral.id,
    name: referral.name || `${referral.customerProfile.name} inquiry`,
    type: TYPE_BY_QUALIFICATION[referral.qualification],
    customer: {
      name: referral.customerProfile.name,
      size: referral.customerProfile.size,
      city: referral.customerProfile.address?.city,
      country: referral.customerProfile.address?.country,
    },
    contacts: (referral.customerProfile.team ?? []).map(toPerson),
    consent: {
      contact: consent.consentToContact ?? false,
      shareWithOthers: consent.consentToShareInfoWithOthers ?? consent.consentToToShareInfoWithOthers ?? false,
      shareWithMicrosoftSellers: consent.consentToShareReferralWithMicrosoftSellers ?? false,
    },
    need: referral.details?.notes,
    requirements: [
      ...(requirements?.solutions ?? []).map((s) => s.name ?? ''),
      ...(requirements?.products ?? []),
      ...(requirements?.services ?? []),
      ...(requirements?.industries ?? []),
    ].filter(Boolean),
    flame: referral.details?.customerRequestedContact ?? false,
    receivedAt: received.toISOString(),
    expiresAt: expires.toISOString(),
    stage,
    outcome,
    estimate: referral.details
      ? {
          value: referral.details.dealValue,
          currency: referral.details.currency,
          closingDate: referral.details.closingDateTime?.slice(0, 10),
        }
      : undefined,
    deal,
    // The partner's people already on the referral (Partner Center's `team`).
    employees: (referral.team ?? []).map((c) => ({ ...toPerson(c), id: randomUUID() })),
    closeReason: outcome && outcome !== 'Won' && referral.statusReason ? reasonFromText(referral.statusReason) : undefined,
    favorites: [],
    remindersSent: [],
    lastAction: answered(referral, stage, outcome, options.now),
    ...(referral.status === 'Active' || (referral.status === 'Closed' && outcome !== 'Expired')
      ? { answeredAt: referral.acceptedDateTime ?? referral.closedDateTime ?? referral.updatedDateTime ?? options.now.toISOString() }
      : {}),
    ...(stage === 'Archived'
      ? { closedAt: referral.closedDateTime ?? (referral.status === 'Closed' ? referral.updatedDateTime : expires.toISOString()) ?? options.now.toISOString() }
      : {}),
    external: { [PARTNER_CENTER_KEY]: recordOf(referral, options.asGiven) },
    version: 1,
    revision: 1,
  };
}

/** What the slice keeps of the referral on its lead (see partnerCenterOf). */
function recordOf(referral: Referral, asGiven: AsGiven[] = []): PartnerCenterRecord {
  return {
    engagementId: referral.engagementId,
    externalReferenceId: referral.externalReferenceId,
    referralType: referral.type,
    synced: referralState(referral),
    ...(asGiven.length > 0 && { asGiven }),
  };
}

/**
 * Where a referral stands when it arrives: as Partner Center says (accepted, or closed with its
 * outcome), else waiting for an answer — or Expired when its deadline has already passed.
 */
function stageOf(referral: Referral, pastDeadline: boolean): { stage: Stage; outcome?: Outcome } {
  if (referral.status === 'Closed') {
    const outcome = (OUTCOMES as readonly string[]).includes(referral.substatus ?? '') ? (referral.substatus as Outcome) : 'Expired';
    return { stage: 'Archived', outcome };
  }
  if (referral.status === 'Active') return { stage: 'Accepted' };
  return pastDeadline ? { stage: 'Archived', outcome: 'Expired' } : { stage: 'Received' };
}

const CLOSING_KIND: Record<Outcome, string> = { Won: 'markWon', Lost: 'markLost', Declined: 'decline', Expired: 'expire' };

/** Who last moved the lead, when it arrives already moved: Partner Center (with its dates), or us for an expiry. */
function answered(referral: Referral, stage: Stage, outcome: Outcome | undefined, now: Date): Lead['lastAction'] {
  const by = { ...PARTNER_CENTER_ACTOR };
  if (referral.status === 'Active') return { kind: 'accept', by, at: referral.acceptedDateTime ?? referral.updatedDateTime ?? now.toISOString() };
  if (referral.status === 'Closed' && outcome) return { kind: CLOSING_KIND[outcome], by, at: referral.closedDateTime ?? referral.updatedDateTime ?? now.toISOString() };
  if (stage === 'Archived') return { kind: 'expire', by: { id: 'system', name: 'Partner Leads' }, at: now.toISOString() };
  return undefined;
}
