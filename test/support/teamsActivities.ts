/** Activities shaped exactly as Teams sends them (channel, chat, invoke), for tests. */
import { ADMIN_ID, NOBODY_ID, PARTNER_ADMIN_ID, USER_ID } from './settings';

export const TENANT_ID = '72f988bf-0000-4000-8000-000000000001';
export const BOT = { id: '28:partner-leads-bot', name: 'Partner Leads' };

export interface TeamsUser {
  id: string;
  aadObjectId: string;
  name: string;
}

export const dana: TeamsUser = { id: '29:dana', aadObjectId: ADMIN_ID, name: 'Dana Admin' };
export const pat: TeamsUser = { id: '29:pat', aadObjectId: PARTNER_ADMIN_ID, name: 'Pat Partner' };
export const vic: TeamsUser = { id: '29:vic', aadObjectId: USER_ID, name: 'Vic Viewer' };
/** Nobody gives Nora a role. */
export const nora: TeamsUser = { id: '29:nora', aadObjectId: NOBODY_ID, name: 'Nora Newcomer' };

export interface Place {
  conversation: { id: string; conversationType: 'channel' | 'groupChat' | 'personal'; tenantId: string; isGroup?: boolean };
  channelData: Record<string, unknown>;
}

export const channel = (id = '19:sales@thread.tacv2'): Place => ({
  conversation: { id, conversationType: 'channel', tenantId: TENANT_ID, isGroup: true },
  channelData: { tenant: { id: TENANT_ID }, team: { id: '19:team@thread.tacv2', name: 'Sales' }, channel: { id } },
});

export const groupChat = (id = '19:chat@thread.v2'): Place => ({
  conversation: { id, conversationType: 'groupChat', tenantId: TENANT_ID, isGroup: true },
  channelData: { tenant: { id: TENANT_ID } },
});

export const personal = (user: TeamsUser): Place => ({
  conversation: { id: `a:personal-${user.id}`, conversationType: 'personal', tenantId: TENANT_ID },
  channelData: { tenant: { id: TENANT_ID } },
});

let seq = 0;
const base = (place: Place, from: TeamsUser | typeof BOT, serviceUrl: string, locale = 'en-US') => ({
  id: `incoming-${++seq}`,
  channelId: 'msteams',
  serviceUrl,
  timestamp: new Date().toISOString(),
  locale,
  localTimezone: 'UTC',
  from,
  recipient: BOT,
  ...place,
});

export function installUpdate(place: Place, by: TeamsUser, serviceUrl: string) {
  return { ...base(place, by, serviceUrl), type: 'installationUpdate', action: 'add' };
}

export function botAdded(place: Place, by: TeamsUser, serviceUrl: string) {
  return { ...base(place, by, serviceUrl), type: 'conversationUpdate', membersAdded: [{ ...BOT, givenName: 'Partner', email: 'bot@example.com' }] };
}

export function botRemoved(place: Place, by: TeamsUser, serviceUrl: string) {
  return { ...base(place, by, serviceUrl), type: 'installationUpdate', action: 'remove' };
}

export function message(place: Place, from: TeamsUser, text: string, serviceUrl: string, locale?: string) {
  return { ...base(place, from, serviceUrl, locale), type: 'message', text: place.conversation.conversationType === 'personal' ? text : `<at>Partner Leads</at> ${text}` };
}

/** What the Accept form submits for a lead at revision 1: a valid deal, named `dealName`. */
export const acceptForm = (leadId: string, dealName = `Deal ${leadId}`) => ({
  leadId,
  revision: 1,
  dealName,
  dealValue: '5000',
  currency: 'EUR',
  purchaseDate: '2027-01-15',
});

export function execute(place: Place, from: TeamsUser, verb: string, data: Record<string, unknown>, serviceUrl: string, options: { replyToId?: string; locale?: string; trigger?: 'manual' | 'automatic' } = {}) {
  return {
    ...base(place, from, serviceUrl, options.locale),
    type: 'invoke',
    name: 'adaptiveCard/action',
    replyToId: options.replyToId,
    value: { action: { type: 'Action.Execute', verb, data }, trigger: options.trigger ?? 'manual' },
  };
}

/** A search in the message extension, as Teams sends it (`parameters` as given, or one `query`). */
export function extensionQuery(place: Place, from: TeamsUser, query: string | { name: string; value: unknown }[], serviceUrl: string, options: { commandId?: string; skip?: number; count?: number; locale?: string } = {}) {
  return {
    ...base(place, from, serviceUrl, options.locale),
    type: 'invoke',
    name: 'composeExtension/query',
    value: {
      commandId: options.commandId ?? 'findLead',
      parameters: typeof query === 'string' ? [{ name: 'query', value: query }] : query,
      queryOptions: { skip: options.skip ?? 0, count: options.count ?? 25 },
    },
  };
}

/** A link pasted in the compose box, for the app to unfurl. */
export function extensionLink(place: Place, from: TeamsUser, url: string, serviceUrl: string) {
  return { ...base(place, from, serviceUrl), type: 'invoke', name: 'composeExtension/queryLink', value: { url } };
}
