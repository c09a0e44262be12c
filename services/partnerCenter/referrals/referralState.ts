/** The fields a lead and its Partner Center referral both hold, as Partner Center gave them: what the sync compares. */
import { z } from 'zod';
import type { Lead } from '../../leads/lead';
import type { Referral, ReferralContact } from './referral';

/** A team member; what else Partner Center keeps of one (contactPreference) is kept too, to be sent back unchanged. */
export const memberSchema = z.looseObject({
  firstName: z.string().optional(),
  lastName: z.string().optional(),
  email: z.string().optional(),
  phoneNumber: z.string().optional(),
});
export type Member = z.infer<typeof memberSchema>;

/** The synced fields of a referral as Partner Center gave them, with its eTag. */
export const referralStateSchema = z.object({
  /** Exactly as Partner Center gave it (quotes included): If-Match sends it back unchanged. */
  eTag: z.string().optional(),
  updatedDateTime: z.string().optional(),
  status: z.string(),
  substatus: z.string(),
  statusReason: z.string().optional(),
  dealValue: z.number().optional(),
  currency: z.string().optional(),
  /** `details.closingDateTime` as a calendar day (yyyy-mm-dd). */
  closingDate: z.string().optional(),
  notes: z.string().optional(),
  campaignId: z.string().optional(),
  externalReferenceId: z.string().optional(),
  team: z.array(memberSchema),
  expirationDateTime: z.string().optional(),
});
export type ReferralState = z.infer<typeof referralStateSchema>;

export function referralState(referral: Referral): ReferralState {
  const details = referral.details;
  return {
    eTag: referral.eTag,
    updatedDateTime: referral.updatedDateTime,
    status: referral.status ?? 'New',
    substatus: referral.substatus ?? 'Received',
    statusReason: referral.statusReason || undefined,
    dealValue: details?.dealValue,
    currency: details?.currency,
    closingDate: details?.closingDateTime?.slice(0, 10),
    notes: details?.notes || undefined,
    campaignId: referral.campaignId || undefined,
    externalReferenceId: referral.externalReferenceId || undefined,
    team: (referral.team ?? []).map(member),
    expirationDateTime: referral.expirationDateTime,
  };
}

const member = (c: ReferralContact): Member => ({ ...c });


/** Where the slice keeps its record on a lead: `lead.external.partnerCenter`. */
export const PARTNER_CENTER_KEY = 'partnerCenter';

/**
 * What the slice keeps on a lead to spare a read: the referral's ids, and its last known copy. A
 * field this version cannot read (written by a newer one, say) is read as absent, the others as
 * they are: one odd field never costs the rest.
 */
export const partnerCenterRecordSchema = z.object({
  engagementId: z.string().optional().catch(undefined),
  externalReferenceId: z.string().optional().catch(undefined),
  referralType: z.string().optional().catch(undefined),
  /** The referral as Partner Center last gave it (read, or answered to a write-back): what the sync compares the lead with. */
  synced: referralStateSchema.optional().catch(undefined),
  /** Values Partner Center sent that this version keeps as given (they do not fit what it reads): shown on the card. */
  asGiven: z.array(z.object({ path: z.string(), value: z.string(), why: z.string() })).optional().catch(undefined),
  /** The last write-back Partner Center refused, at the lead's revision then: shown on the card, not tried again until the lead changes. */
  rejected: z.object({ message: z.string(), at: z.string(), revision: z.number() }).optional().catch(undefined),
});
export type PartnerCenterRecord = z.infer<typeof partnerCenterRecordSchema>;

/** Parsed records by the stored object they were read from: a card render asks for it often. */
const parsed = new WeakMap<object, PartnerCenterRecord>();

/**
 * The slice's record on a lead. A part this version cannot read counts as absent: without a base,
 * the sync reads the referral before it writes anything.
 */
export function partnerCenterOf(lead: Pick<Lead, 'external'>): PartnerCenterRecord {
  const raw = lead.external?.[PARTNER_CENTER_KEY];
  if (typeof raw !== 'object' || raw === null) return {};
  let record = parsed.get(raw);
  if (!record) {
    const result = partnerCenterRecordSchema.safeParse(raw);
    record = result.success ? result.data : {};
    parsed.set(raw, record);
  }
  return record;
}

/** The lead with this record in place of its own. */
export function withPartnerCenter(lead: Lead, record: PartnerCenterRecord): Lead {
  return { ...lead, external: { ...lead.external, [PARTNER_CENTER_KEY]: record } };
}
