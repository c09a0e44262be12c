/**
 * The Partner Center Referral resource as it reaches us. Known fields are validated, unknown ones
 * dropped (zod objects strip them). Lengths keep a stored lead well inside one Table entity.
 */
import { z } from 'zod';
import { LEAD_ID_PATTERN } from '../../leads/lead';

/** A referral's id is its lead's id. */
export const REFERRAL_ID_PATTERN = LEAD_ID_PATTERN;

const text = (max: number) => z.string().trim().max(max, `must be at most ${max} characters`);
const isoDate = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time, e.g. 2026-11-20T09:30:00Z' });
const currency = z
  .string()
  .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 currency code such as USD or EUR');

/** An industry, product or service: Partner Center sends `{ id }` objects; senders of the leads API may send names. */
const requirement = z.union([text(100), z.object({ id: text(100).optional(), name: text(200).optional() }).transform((r) => r.name ?? r.id ?? '')]);

export const contactSchema = z.object({
  firstName: text(100).optional(),
  lastName: text(100).optional(),
  phoneNumber: text(40).optional(),
  email: z.email('must be an e-mail address').max(254).optional(),
  contactPreference: z
    .object({ locale: text(20).optional(), disableNotifications: z.boolean().optional() })
    .optional(),
});

const consentSchema = z.object({
  consentToContact: z.boolean().optional(),
  consentToShareInfoWithOthers: z.boolean().optional(),
  // The live API spells it this way; accept both.
  consentToToShareInfoWithOthers: z.boolean().optional(),
  consentToShareReferralWithMicrosoftSellers: z.boolean().optional(),
});

export const referralSchema = z.object({
  id: z.string().regex(REFERRAL_ID_PATTERN, 'must be 1-128 letters, digits, ".", "_", ":" or "-"'),
  /** Partner Center's concurrency token, exactly as it gave it (quotes included). */
  eTag: z.string().max(200).optional(),
  engagementId: text(128).optional(),
  name: text(200).optional(),
  externalReferenceId: text(128).optional(),
  createdDateTime: isoDate.optional(),
  updatedDateTime: isoDate.optional(),
  expirationDateTime: isoDate.optional(),
  acceptedDateTime: isoDate.optional(),
  closedDateTime: isoDate.optional(),
  status: z.enum(['None', 'New', 'Active', 'Closed']).optional(),
  substatus: z.enum(['None', 'Pending', 'Received', 'Accepted', 'Won', 'Lost', 'Declined', 'Expired']).optional(),
  statusReason: text(1000).optional(),
  qualification: z.enum(['Direct', 'MarketingQualified', 'SalesQualified'], {
    message: 'must be Direct, MarketingQualified or SalesQualified',
  }),
  type: z.enum(['Independent', 'Shared']).optional(),
  direction: z.enum(['Incoming', 'Outgoing']).optional(),
  campaignId: text(128).optional(),
  inviteContext: z
    .object({
      notes: text(4000).optional(),
      invitedBy: z.object({ organizationId: text(128).optional(), organizationName: text(200).optional() }).optional(),
    })
    .optional(),
  customerProfile: z.object({
    name: text(200).min(1, 'is required'),
    address: z
      .object({
        addressLine1: text(200).optional(),
        addressLine2: text(200).optional(),
        city: text(100).optional(),
        state: text(100).optional(),
        postalCode: text(20).optional(),
        country: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166 two-letter country code').optional(),
      })
      .optional(),
    size: text(40).optional(),
    team: z.array(contactSchema).max(20, 'at most 20 contacts').optional(),
  }),
  consentDetails: consentSchema.optional(),
  consent: consentSchema.optional(),
  details: z
    .object({
      notes: text(4000).optional(),
      // Partner Center's own samples write it as a string ("10000").
      dealValue: z
        .union([z.number(), z.string().regex(/^\d+(\.\d+)?$/, 'must be a number').transform(Number)])
        .pipe(z.number().nonnegative('must not be negative').max(1e12))
        .optional(),
      currency: currency.optional(),
      closingDateTime: isoDate.optional(),
      requirements: z
        .object({
          industries: z.array(requirement).max(20).optional(),
          products: z.array(requirement).max(20).optional(),
          services: z.array(requirement).max(20).optional(),
          solutions: z
            .array(z.object({ id: text(128).optional(), name: text(200).optional(), type: text(100).optional() }))
            .max(20)
            .optional(),
        })
        .optional(),
      customerRequestedContact: z.boolean().optional(),
    })
    .optional(),
  team: z.array(contactSchema).max(20, 'at most 20 team members').optional(),
});

export type Referral = z.output<typeof referralSchema>;
export type ReferralInput = z.input<typeof referralSchema>;
export type ReferralContact = z.infer<typeof contactSchema>;

export const MAX_REFERRALS_PER_REQUEST = 100;

/** Microsoft's organization id on referrals it sends (`inviteContext.invitedBy.organizationId`). */
const MICROSOFT = 'msft';

/** The fields that say what kind of referral it is, read before the rest is trusted. */
export const referralKindSchema = z.looseObject({
  id: z.string(),
  type: z.string().nullish(),
  direction: z.string().nullish(),
  qualification: z.string().nullish(),
  inviteContext: z.looseObject({ invitedBy: z.looseObject({ organizationId: z.string().nullish() }).nullish() }).nullish(),
});

/**
 * Only incoming leads from Microsoft become leads: Marketplace leads (Independent, Direct, sent by
 * Microsoft or by no one) and Qualified leads (Independent, marketing or sales qualified, sent by
 * Microsoft). Co-sell opportunities (Shared, or from a partner organization) and referrals the
 * partner sent (Outgoing) are not leads (Partner Center's "Referrals API introduction").
 */
export function isIncomingLead(referral: z.infer<typeof referralKindSchema>): boolean {
  if (referral.direction === 'Outgoing' || referral.type === 'Shared') return false;
  const from = referral.inviteContext?.invitedBy?.organizationId ?? undefined;
  if (from !== undefined && from.toLowerCase() !== MICROSOFT) return false;
  return referral.qualification === 'Direct' || referral.qualification === 'MarketingQualified' || referral.qualification === 'SalesQualified';
}

/** Partner Center writes absent values as null; the schema reads them as absent. */
export function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((item) => item !== null).map(withoutNulls);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== null).map(([key, item]) => [key, withoutNulls(item)]));
}
