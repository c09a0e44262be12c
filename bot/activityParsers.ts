/** Parsers for what Teams sends: every card payload is untrusted until it passes these. */
import { z } from 'zod';
import { REFERRAL_ID_PATTERN } from '../services/referral';
import { VIEWS } from '../services/leadViews';

export const invokeValueSchema = z.object({
  action: z.object({
    type: z.literal('Action.Execute'),
    verb: z.string().min(1).max(64),
    data: z.record(z.string(), z.unknown()).default({}),
  }),
  trigger: z.enum(['manual', 'automatic']).optional(),
});

const leadId = z.string().regex(REFERRAL_ID_PATTERN, 'unknown lead');

export const leadActionDataSchema = z.object({
  leadId,
  revision: z.coerce.number().int().positive().optional(),
});

export const listActionDataSchema = z.object({
  view: z.enum(VIEWS),
  cursor: z.string().max(300).optional(),
  /** Cursors of the pages before this one, for Previous. */
  back: z.array(z.string().max(300)).max(200).default([]),
});

/** Form inputs arrive as strings (or absent); everything else in `data` is ignored. */
const formText = z
  .unknown()
  .optional()
  .transform((value) => (typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined));

export const formInputsSchema = z.object({
  dealName: formText,
  dealValue: formText,
  currency: formText,
  purchaseDate: formText,
  notes: formText,
  crmId: formText,
  campaignId: formText,
  contactName: formText,
  contactEmail: formText,
  contactPhone: formText,
  reason: formText,
  closeNotes: formText,
  employeeName: formText,
  employeePhone: formText,
  employeeEmail: formText,
});

export type FormInputs = z.infer<typeof formInputsSchema>;

/** The typed text without the bot's @mention, trimmed. */
export function commandText(text: string | undefined): string {
  return (text ?? '').replace(/<at>[^<]*<\/at>/gi, ' ').replace(/\s+/g, ' ').trim();
}
