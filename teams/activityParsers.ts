/** Parsers for what Teams sends: every card payload is untrusted until it passes these. */
import { LEAD_ID_PATTERN, LEAD_KINDS } from '../services/leads/lead';
import { z } from 'zod';
import { LISTS } from '../services/leads/leadViews';
import { MAX_QUERY_LENGTH } from '../services/leads/leadSearch';
import { PERIODS } from '../services/leads/leadStats';
import { ROLES } from '../services/useCases/roles';

/** A Microsoft Entra (AAD) object id, as people are named in roles. */
export const AAD_OBJECT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Teams ids ("29:1a…", "19:…@thread.tacv2", "a:1…") are visible ASCII; they go into URLs and headers. */
const teamsId = z.string().regex(/^[\x21-\x7e]{1,1024}$/, 'must be a Teams id');
const text = (max: number) => z.string().max(max).nullish();

// Typed as the Bot Connector serializes them: a reply copies these fields back out.
const account = z.looseObject({
  id: teamsId,
  name: text(512),
  // A GUID from Teams; letters, digits and dashes keep it a valid storage key whatever the client.
  aadObjectId: z.string().regex(/^[0-9A-Za-z-]{0,128}$/, 'must be an AAD object id').nullish(),
  role: text(64),
});

/**
 * The parts of an activity that botbuilder and the bot read. Teams always sends them so; anything
 * else (no sender, a number for a locale, no type) is answered 400 before a turn starts.
 */
export const activityEnvelopeSchema = z.looseObject({
  type: z.string().min(1).max(64),
  id: text(1024),
  name: text(128),
  action: text(64),
  channelId: z.string().min(1).max(64),
  serviceUrl: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).max(2048),
  from: account,
  recipient: account,
  conversation: z.looseObject({
    id: teamsId,
    name: text(512),
    isGroup: z.boolean().nullish(),
    conversationType: text(64),
    tenantId: text(128),
    aadObjectId: text(128),
    role: text(64),
  }),
  channelData: z.looseObject({ tenant: z.looseObject({ id: text(128) }).nullish() }).nullish(),
  text: text(100_000),
  locale: text(64),
  localTimezone: text(128),
  replyToId: text(1024),
  entities: z.array(z.record(z.string(), z.unknown())).max(100).nullish(),
  membersAdded: z.array(account).max(1000).nullish(),
  membersRemoved: z.array(account).max(1000).nullish(),
});

export const invokeValueSchema = z.object({
  action: z.object({
    type: z.literal('Action.Execute'),
    verb: z.string().min(1).max(64),
    data: z.record(z.string(), z.unknown()).default({}),
  }),
  trigger: z.enum(['manual', 'automatic']).optional(),
});

/**
 * An Action.Submit fallback's click (a client without Universal Actions): its data, with the verb
 * the Action.Execute would have sent. Teams merges the card's inputs into it.
 */
export const submittedVerbSchema = z.looseObject({ verb: z.string().min(1).max(64) }).transform(({ verb, ...data }) => ({ action: { type: 'Action.Execute' as const, verb, data } }));

const leadId = z.string().regex(LEAD_ID_PATTERN, 'unknown lead');

export const leadActionDataSchema = z.object({
  leadId,
  revision: z.coerce.number().int().positive().optional(),
});

export const listActionDataSchema = z.object({
  view: z.enum(LISTS),
  cursor: z.string().max(300).optional(),
  /** Cursors of the pages before this one, for Previous. */
  back: z.array(z.string().max(300)).max(200).default([]),
});

/** Next / Previous on a `find` list: the query and the cursors, as the card carried them. */
export const searchPageDataSchema = z.object({
  query: z.string().max(MAX_QUERY_LENGTH),
  cursor: z.string().max(300).optional(),
  back: z.array(z.string().max(300)).max(200).default([]),
});

/** Teams' `composeExtension/query` value (untrusted): which command, its parameters, the page it wants. */
export const extensionQuerySchema = z.object({
  commandId: z.string().max(64),
  parameters: z.array(z.object({ name: z.string().max(64), value: z.unknown() })).max(10).default([]),
  queryOptions: z
    .object({ skip: z.coerce.number().int().min(0).max(1000).optional(), count: z.coerce.number().int().min(1).max(1000).optional() })
    .optional(),
});

/** Teams' `composeExtension/queryLink` value: the pasted URL. */
export const extensionLinkSchema = z.object({ url: z.string().max(2048) });

export const insightsActionDataSchema = z.object({ period: z.enum(Object.keys(PERIODS) as [keyof typeof PERIODS]) });

/** A toggle sends "true" or "false"; absent, it keeps its value. */
const toggle = z.union([z.boolean(), z.enum(['true', 'false']).transform((value) => value === 'true')]).optional();

/** The settings card's form: a multi-select sends its values comma-separated. */
export const settingsFormSchema = z.object({
  leadKinds: z
    .union([z.string().max(100), z.array(z.string().max(20)).max(5)])
    .optional()
    .transform((value) => (value === undefined ? undefined : (Array.isArray(value) ? value : value.split(',')).map((v) => v.trim()).filter(Boolean)))
    .pipe(z.array(z.enum(LEAD_KINDS)).max(2).optional()),
  flameAlerts: toggle,
  reminders: toggle,
  digest: toggle,
  insights: toggle,
  activityFeed: toggle,
  language: z.enum(['auto', 'en', 'de']).optional(),
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
  ownerId: formText,
});

/** Snooze: a day from now, or until a day before the lead expires (the server works out when). */
export const snoozeActionDataSchema = z.object({ leadId, until: z.enum(['day', 'beforeExpiry']) });

export type FormInputs = z.infer<typeof formInputsSchema>;

const ENTITIES: Record<string, string> = { nbsp: ' ', lt: '<', gt: '>', amp: '&', quot: '"', '#39': "'" };

/** The typed text without the bot's @mention and without markup (Teams may send HTML), trimmed. */
export function commandText(text: string | undefined): string {
  return (text ?? '')
    .replace(/<at>[^<]*<\/at>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(nbsp|lt|gt|amp|quot|#39);/gi, (_, name: string) => ENTITIES[name.toLowerCase()] ?? ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** A team welcome's choice: the channel for new leads, and which kinds (a multi-select: comma-separated). */
export const welcomeChannelSchema = z.object({
  channelId: z.string().min(1).max(300),
  leadKinds: settingsFormSchema.shape.leadKinds,
});

/** The roles card: a person picked (an AAD object id, or a Teams id in the Playground), a role, the stream toggle. */
export const grantFormSchema = z.object({
  personId: z.string().trim().min(1).max(200),
  role: z.enum(ROLES).default('leadViewer'),
  stream: toggle,
});

/** The roles card's Remove buttons: a role (roles.revoke), or the stream (roles.stream, `on: false`). */
export const roleRemovalSchema = z.object({ personId: z.string().trim().min(1).max(200) });
