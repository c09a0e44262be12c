/**
 * Our lead: what a sales team needs from a Partner Center referral, plus its life in our hands.
 * The schema parses what storage gives back too, so a stored lead is never trusted blindly.
 */
import { z } from 'zod';
import { referralStateSchema } from './referralState';

export const LEAD_TYPES = ['customerInquiry', 'marketingQualified', 'salesQualified'] as const;
export const STAGES = ['Received', 'Accepted', 'Archived'] as const;
export const OUTCOMES = ['Won', 'Lost', 'Declined', 'Expired'] as const;

/** Partner Center's reason list (bulk-upload codes); "others" needs notes. */
export const CLOSE_REASONS = [
  'budget',
  'noResponse',
  'otherVendor',
  'requirementNotMet',
  'notACustomer',
  'timelineTooShort',
  'spam',
  'others',
] as const;

export const CLOSE_REASON_TEXT: Record<CloseReason, string> = {
  budget: 'Project budget is not adequate',
  noResponse: 'Customer did not respond',
  otherVendor: 'Customer chose another vendor',
  requirementNotMet: 'Customer requirement not met',
  notACustomer: 'Not a customer',
  timelineTooShort: 'Proposed time line was too short',
  spam: 'Report as abuse, spam or phishing',
  others: 'Others',
};

export type LeadType = (typeof LEAD_TYPES)[number];
export type Stage = (typeof STAGES)[number];
export type Outcome = (typeof OUTCOMES)[number];
export type CloseReason = (typeof CLOSE_REASONS)[number];

export const personSchema = z.object({
  name: z.string(),
  email: z.string().optional(),
  phone: z.string().optional(),
});

export const actorRefSchema = z.object({
  id: z.string(), // AAD object id, or "system"
  name: z.string(),
});

/** Who is on a lead: one person at most, and who made them its owner (themselves, for "Take it"). */
export const ownerSchema = z.object({
  id: z.string(), // AAD object id, lower case
  name: z.string(),
  teamsUserId: z.string().optional(),
  email: z.string().optional(),
  since: z.string(),
  by: actorRefSchema,
});

export const dealSchema = z.object({
  name: z.string(),
  value: z.number().optional(),
  currency: z.string().optional(),
  purchaseDate: z.string().optional(), // yyyy-mm-dd
  notes: z.string().optional(),
  crmId: z.string().optional(),
  campaignId: z.string().optional(),
});

export const leadSchema = z.object({
  id: z.string(),
  name: z.string(),
  type: z.enum(LEAD_TYPES),
  customer: z.object({
    name: z.string(),
    size: z.string().optional(),
    city: z.string().optional(),
    country: z.string().optional(),
  }),
  contacts: z.array(personSchema),
  consent: z.object({
    contact: z.boolean(),
    shareWithOthers: z.boolean(),
    shareWithMicrosoftSellers: z.boolean(),
  }),
  need: z.string().optional(),
  /** What the sender estimated (Partner Center `details`); prefills the Accept form. */
  estimate: z.object({ value: z.number().optional(), currency: z.string().optional(), closingDate: z.string().optional() }).optional(),
  requirements: z.array(z.string()),
  flame: z.boolean(),
  receivedAt: z.string(),
  expiresAt: z.string(),
  stage: z.enum(STAGES),
  outcome: z.enum(OUTCOMES).optional(),
  deal: dealSchema.optional(),
  employees: z.array(personSchema.extend({ id: z.string() })),
  closeReason: z.object({ code: z.enum(CLOSE_REASONS), notes: z.string().optional() }).optional(),
  favorites: z.array(actorRefSchema.extend({ teamsUserId: z.string().optional() })),
  owner: ownerSchema.optional(),
  /** Reminders a person put off: their AAD object id → until when (ISO). */
  snoozed: z.record(z.string(), z.string()).optional(),
  remindersSent: z.array(z.number()),
  lastAction: z.object({ kind: z.string(), by: actorRefSchema, at: z.string() }).optional(),
  /** When the lead was first answered (accepted or declined), in Teams or in Partner Center: how fast the team responds. */
  answeredAt: z.string().optional(),
  /** When it was archived (won, lost, declined, expired). */
  closedAt: z.string().optional(),
  partnerCenter: z.object({
    status: z.string(),
    substatus: z.string(),
    statusReason: z.string().optional(),
    engagementId: z.string().optional(),
    externalReferenceId: z.string().optional(),
    referralType: z.string().optional(),
    /** The referral as Partner Center last gave it (read, or answered to a write-back): what sync compares the lead with. */
    synced: referralStateSchema.optional(),
    /** The last write-back Partner Center refused (400), at the lead's revision then: shown on the card, not tried again until the lead changes. */
    rejected: z.object({ message: z.string(), at: z.string(), revision: z.number() }).optional(),
  }),
  /** Bumped by every stored change (favorites included): cards compare it to know they are stale. */
  version: z.number().int().positive(),
  /** Bumped by business changes only: a form submitted on an older revision is a conflict. */
  revision: z.number().int().positive(),
});

export type Lead = z.infer<typeof leadSchema>;
export type Deal = z.infer<typeof dealSchema>;
export type Person = z.infer<typeof personSchema>;
export type Employee = Lead['employees'][number];
export type ActorRef = z.infer<typeof actorRefSchema>;
export type Owner = z.infer<typeof ownerSchema>;

/** Partner Center's status/substatus for each of our stages. */
export function partnerCenterStatus(stage: Stage, outcome?: Outcome): { status: string; substatus: string } {
  if (stage === 'Received') return { status: 'New', substatus: 'Received' };
  if (stage === 'Accepted') return { status: 'Active', substatus: 'Accepted' };
  return { status: 'Closed', substatus: outcome ?? 'Expired' };
}

export const isOpen = (lead: Pick<Lead, 'stage'>): boolean => lead.stage !== 'Archived';
