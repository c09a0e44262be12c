/** Derives our lead from a validated Partner Center referral. */
import type { Referral, ReferralContact } from './referral';
import { partnerCenterStatus, type Lead, type LeadType, type Person } from './lead';

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

export function leadFromReferral(referral: Referral, options: { now: Date; responseDays: number }): Lead {
  const consent = referral.consentDetails ?? referral.consent ?? {};
  const received = referral.createdDateTime ? new Date(referral.createdDateTime) : options.now;
  const expires = referral.expirationDateTime
    ? new Date(referral.expirationDateTime)
    : new Date(received.getTime() + options.responseDays * DAY_MS);
  const requirements = referral.details?.requirements;
  const expired = expires.getTime() <= options.now.getTime();
  const stage = expired ? 'Archived' : 'Received';
  const outcome = expired ? 'Expired' : undefined;

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
      ...(requirements?.solutions ?? []).map((s) => s.name).filter((n): n is string => Boolean(n)),
      ...(requirements?.products ?? []),
      ...(requirements?.services ?? []),
      ...(requirements?.industries ?? []),
    ],
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
    employees: [],
    favorites: [],
    remindersSent: [],
    lastAction: expired ? { kind: 'expire', by: { id: 'system', name: 'Partner Leads' }, at: options.now.toISOString() } : undefined,
    partnerCenter: {
      ...partnerCenterStatus(stage, outcome),
      engagementId: referral.engagementId,
      externalReferenceId: referral.externalReferenceId,
      referralType: referral.type,
    },
    version: 1,
    revision: 1,
  };
}
