/** The fields a lead and its Partner Center referral both hold, as Partner Center gave them: what the sync compares. */
import { z } from 'zod';
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

