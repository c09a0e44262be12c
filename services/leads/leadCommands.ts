/**
 * The commands a lead accepts, as zod schemas: the same schema checks a card form, an API call
 * and the lifecycle, so a bad field gets the same message everywhere.
 */
import { z } from 'zod';
import { CLOSE_REASONS } from './lead';

const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `Use at most ${max} characters`)
    .optional()
    .transform((value) => (value ? value : undefined));

const requiredText = (max: number, message: string) =>
  z.string({ message }).trim().min(1, message).max(max, `Use at most ${max} characters`);

export const dealInputSchema = z.object({
  name: requiredText(200, 'Enter a deal name'),
  value: z.coerce
    .number({ message: 'Enter the estimated value as a number' })
    .refine(Number.isFinite, 'Enter the estimated value as a number')
    .min(0, 'The value cannot be negative')
    .max(1e12, 'That value is too large'),
  currency: z.string({ message: 'Choose a currency' }).regex(/^[A-Z]{3}$/, 'Choose a currency'),
  purchaseDate: z.iso.date({ message: 'Enter the estimated purchase date' }),
  notes: optionalText(2000),
  crmId: optionalText(100),
  campaignId: optionalText(100),
});

export const personInputSchema = z
  .object({
    name: requiredText(100, 'Enter a name'),
    phone: optionalText(40).pipe(
      z.string().regex(/^[+()\d\s./-]{3,40}$/, 'Enter a phone number (digits, spaces, + - ( ))').optional(),
    ),
    email: optionalText(254).pipe(z.email('Enter an e-mail address like dana@contoso.com').optional()),
  })
  .refine((p) => p.phone || p.email, { message: 'Give a phone number or an e-mail address', path: ['email'] });

export const closeReasonSchema = z.enum(CLOSE_REASONS, { message: 'Choose a reason' });

export const leadCommandSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('accept'), deal: dealInputSchema, employees: z.array(personInputSchema).max(10).default([]) }),
  z
    .object({ kind: z.literal('decline'), reason: closeReasonSchema, notes: optionalText(1000) })
    .refine((c) => c.reason !== 'others' || c.notes, { message: 'Notes are required for "Others"', path: ['notes'] }),
  z.object({ kind: z.literal('edit'), deal: dealInputSchema, expectedRevision: z.number().int().positive().optional() }),
  z.object({ kind: z.literal('addEmployee'), employee: personInputSchema }),
  z.object({ kind: z.literal('removeEmployee'), employeeId: z.string().min(1).max(64) }),
  z.object({ kind: z.literal('markWon'), notes: optionalText(1000) }),
  z.object({ kind: z.literal('markLost'), reason: closeReasonSchema.optional(), notes: optionalText(1000) }),
  z.object({ kind: z.literal('expire') }),
  z.object({ kind: z.literal('favorite'), teamsUserId: z.string().max(200).optional() }),
  z.object({ kind: z.literal('unfavorite') }),
  /** The clicker becomes the owner. */
  z.object({ kind: z.literal('take'), teamsUserId: z.string().max(200).optional(), email: z.string().max(254).optional() }),
  /** Someone is made the owner (the people picker gives an AAD object id). */
  z.object({
    kind: z.literal('assign'),
    owner: z.object({
      // An AAD object id (a GUID) as Teams' people picker sends it.
      id: z.string().regex(/^[0-9A-Za-z-]{1,128}$/, 'Choose a person'),
      name: requiredText(200, 'Choose a person'),
      teamsUserId: z.string().max(200).optional(),
      // As Teams gives it (an e-mail or a user principal name).
      email: z.string().max(254).optional(),
    }),
  }),
  /** The clicker's reminders of this lead wait until then. */
  z.object({ kind: z.literal('snooze'), until: z.iso.datetime({ offset: true }) }),
]);

export type LeadCommand = z.input<typeof leadCommandSchema>;
export type ParsedLeadCommand = z.output<typeof leadCommandSchema>;
export type CommandKind = ParsedLeadCommand['kind'];
export type DealInput = z.output<typeof dealInputSchema>;
export type PersonInput = z.output<typeof personInputSchema>;

/** Commands that change a lead's business data: only admins may send them. */
export const MANAGING_COMMANDS: ReadonlySet<CommandKind> = new Set([
  'accept',
  'decline',
  'edit',
  'addEmployee',
  'removeEmployee',
  'markWon',
  'markLost',
  'take',
  'assign',
]);

/** Commands that change who is on a lead: not the deal's business data (open forms stay valid). */
export const OWNER_COMMANDS: ReadonlySet<CommandKind> = new Set(['take', 'assign']);
