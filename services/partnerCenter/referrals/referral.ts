/**
 * The Partner Center Referral resource as this version reads it. Known fields are validated,
 * unknown ones dropped (zod objects strip them); readReferral.ts reads a referral against it
 * leniently (what does not fit is kept as given, not refused). Lengths are generous, yet keep a
 * stored lead well inside one Table entity.
 */
import { z } from 'zod';
import { LEAD_ID_PATTERN } from '../../leads/lead';

/** A referral's id is its lead's id. */
export const REFERRAL_ID_PATTERN = LEAD_ID_PATTERN;

const text = (max: number) => z.string().trim().max(max, `must be at most ${max} characters`);
/** Notes are kept whole up to this (Partner Center's own form stops at 4,000); the card shortens them. */
export const MAX_NOTES = 30_000;
/** Contacts, team members and requirements kept per list. */
export const MAX_PEOPLE = 100;
const isoDate = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time, e.g. 2026-11-20T09:30:00Z' });
const currency = z
  .string()
  .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 currency code such as USD or EUR');

/** An industry, product or service: Partner Center sends `{ id }` objects; senders of the leads API may send names. */
const requirement = z.union([text(500), z.object({ id: text(200).optional(), name: text(500).optional() }).transform((r) => r.name ?? r.id ?? '')]);

/** The values Partner Center documents for a referral's enums (readReferral keeps any other as given). */
export const REFERRAL_STATUSES = ['None', 'New', 'Active', 'Closed'] as const;
export const REFERRAL_SUBSTATUSES = ['None', 'Pending', 'Received', 'Accepted', 'Won', 'Lost', 'Declined', 'Expired'] as const;
export const REFERRAL_QUALIFICATIONS = ['Direct', 'MarketingQualified', 'SalesQualified'] as const;
export const REFERRAL_TYPES = ['Independent', 'Shared'] as const;
export const REFERRAL_DIRECTIONS = ['Incoming', 'Outgoing'] as const;

export const contactSchema = z.object({
  firstName: text(200).optional(),
  lastName: text(200).optional(),
  phoneNumber: text(100).optional(),
  // As people typed it: shown as text, never made a link (the card decides what is an address).
  email: text(320).optional(),
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
  name: text(500).optional(),
  externalReferenceId: text(128).optional(),
  createdDateTime: isoDate.optional(),
  updatedDateTime: isoDate.optional(),
  expirationDateTime: isoDate.optional(),
  acceptedDateTime: isoDate.optional(),
  closedDateTime: isoDate.optional(),
  status: z.enum(REFERRAL_STATUSES).optional(),
  substatus: z.enum(REFERRAL_SUBSTATUSES).optional(),
  statusReason: text(4000).optional(),
  qualification: z.enum(REFERRAL_QUALIFICATIONS, {
    message: 'must be Direct, MarketingQualified or SalesQualified',
  }),
  type: z.enum(REFERRAL_TYPES).optional(),
  direction: z.enum(REFERRAL_DIRECTIONS).optional(),
  campaignId: text(128).optional(),
  inviteContext: z
    .object({
      notes: text(MAX_NOTES).optional(),
      invitedBy: z.object({ organizationId: text(128).optional(), organizationName: text(500).optional() }).optional(),
    })
    .optional(),
  customerProfile: z.object({
    name: text(500).min(1, 'is required'),
    address: z
      .object({
        addressLine1: text(500).optional(),
        addressLine2: text(500).optional(),
        city: text(200).optional(),
        state: text(200).optional(),
        postalCode: text(40).optional(),
        // ISO 3166 two letters as Partner Center documents it; as typed otherwise (shown as it is).
        country: text(100).optional(),
      })
      .optional(),
    size: text(100).optional(),
    team: z.array(contactSchema).max(MAX_PEOPLE, `at most ${MAX_PEOPLE} contacts`).optional(),
  }),
  consentDetails: consentSchema.optional(),
  consent: consentSchema.optional(),
  details: z
    .object({
      notes: text(MAX_NOTES).optional(),
      // Partner Center's own samples write it as a string ("10000"); readReferral reads "1,000" too.
      dealValue: z
        .union([z.number(), z.string().regex(/^\d+(\.\d+)?$/, 'must be a number').transform(Number)])
        .pipe(z.number().nonnegative('must not be negative').max(1e12))
        .optional(),
      currency: currency.optional(),
      closingDateTime: isoDate.optional(),
      requirements: z
        .object({
          industries: z.array(requirement).max(MAX_PEOPLE).optional(),
          products: z.array(requirement).max(MAX_PEOPLE).optional(),
          services: z.array(requirement).max(MAX_PEOPLE).optional(),
          solutions: z
            .array(z.object({ id: text(128).optional(), name: text(500).optional(), type: text(100).optional() }))
            .max(MAX_PEOPLE)
            .optional(),
        })
        .optional(),
      customerRequestedContact: z.boolean().optional(),
    })
    .optional(),
  team: z.array(contactSchema).max(MAX_PEOPLE, `at most ${MAX_PEOPLE} team members`).optional(),
});

export type Referral = z.output<typeof referralSchema>;
export type ReferralInput = z.input<typeof referralSchema>;
export type ReferralContact = z.infer<typeof contactSchema>;

export const MAX_REFERRALS_PER_REQUEST = 100;

/** Microsoft's organization id on referrals it sends (`inviteContext.invitedBy.organizationId`). */
const MICROSOFT = 'msft';

/**
 * Only incoming leads from Microsoft become leads: Marketplace leads (Independent, Direct, sent by
 * Microsoft or by no one) and Qualified leads (Independent, marketing or sales qualified, sent by
 * Microsoft). Co-sell opportunities (Shared, or from a partner organization) and referrals the
 * partner sent (Outgoing) are not leads (Partner Center's "Referrals API introduction"). A
 * qualification this version does not know ("None") was read as Direct: shown, not lost.
 */
export function isIncomingLead(referral: Pick<Referral, 'direction' | 'type' | 'inviteContext'>): boolean {
  if (referral.direction === 'Outgoing' || referral.type === 'Shared') return false;
  const from = referral.inviteContext?.invitedBy?.organizationId;
  return from === undefined || from.toLowerCase() === MICROSOFT;
}

/** Partner Center writes absent values as null; the schema reads them as absent. */
export function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((item) => item !== null).map(withoutNulls);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== null).map(([key, item]) => [key, withoutNulls(item)]));
}
