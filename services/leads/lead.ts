/**
 * Our lead: what a sales team needs to answer a customer, plus its life in our hands. The schema
 * parses what storage gives back too, so a stored lead is never trusted blindly.
 */
import { z } from 'zod';

export const LEAD_TYPES = ['customerInquiry', 'marketingQualified', 'salesQualified'] as const;
/** What a lead id may be: it names its table partition and appears in links and commands. */
export const LEAD_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
export const STAGES = ['Received', 'Accepted', 'Archived'] as const;
export const OUTCOMES = ['Won', 'Lost', 'Declined', 'Expired'] as const;

/** Why a lead is declined or lost (the list partners know from the Leads section); "others" needs notes. */
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

export type LeadType = (typeof LEAD_TYPES)[number];
/** The lists a new lead belongs to, as a conversation chooses them: customer inquiries, or marketing and sales qualified. */
export const LEAD_KINDS = ['marketplace', 'qualified'] as const;
export type LeadKind = (typeof LEAD_KINDS)[number];
export const kindOf = (type: LeadType): LeadKind => (type === 'customerInquiry' ? 'marketplace' : 'qualified');
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
  /** What the sender estimated (value, currency, closing date); prefills the Accept form. */
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
  /** When the lead was first answered (accepted or declined), here or in an outside system: how fast the team responds. */
  answeredAt: z.string().optional(),
  /** When it was archived (won, lost, declined, expired). */
  closedAt: z.string().optional(),
  /**
   * What outside systems keep on a lead to spare a read (an outside system's id for it, its last
   * known copy), each under its own name: carried here, owned and validated by that system's slice.
   */
  external: z.record(z.string(), z.unknown()).optional(),
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

export const isOpen = (lead: Pick<Lead, 'stage'>): boolean => lead.stage !== 'Archived';

/**
 * A lead as storage gives it back. A field this version does not keep at the top level (an
 * earlier release kept an outside system's data there) is kept in `external` under its own name,
 * so nothing stored is lost by reading it.
 */
export function storedLead(json: unknown): Lead {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return leadSchema.parse(json);
  const { external, ...fields } = json as Record<string, unknown>;
  const moved = Object.entries(fields).filter(([name]) => !(name in leadSchema.shape));
  if (moved.length === 0) return leadSchema.parse(json);
  const kept = typeof external === 'object' && external !== null ? (external as Record<string, unknown>) : {};
  return leadSchema.parse({ ...fields, external: { ...Object.fromEntries(moved), ...kept } });
}
