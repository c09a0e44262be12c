/**
 * The search message extension and link unfurling: a person finds a lead (or pastes its Partner
 * Center link) in any chat and shares its card. What they insert is their message, which the bot
 * cannot update, so the card carries a refresh every viewer's client runs (see renderLeadCard's
 * `shared`). Teams shows an error for an invoke that fails; these answer 200 with a message instead.
 */
import { ADAPTIVE_CARD_CONTENT_TYPE, renderRestrictedCard, renderRestrictedPreview, renderSearchPreview, t } from '../../cards';
import { summarize, type LeadSummary } from '../../services/leads/leadViews';
import { LEAD_ID_PATTERN, LEAD_KINDS, type Lead } from '../../services/leads/lead';
import { extensionLinkSchema, extensionQuerySchema } from '../activityParsers';
import { readAs, refuse } from './access';
import { leadCard, type CardDeps } from './cardViews';
import type { Clicker } from './clicker';

/** The manifest's search command. */
export const FIND_COMMAND_ID = 'findLead';
/** Its one parameter. */
export const FIND_PARAMETER = 'query';
/** Teams shows a list; more than ten results is scrolling, not finding. */
export const MAX_RESULTS = 10;
/** How far `skip` may page into a search. */
const MAX_SKIP = 50;

export interface ExtensionAttachment {
  contentType: typeof ADAPTIVE_CARD_CONTENT_TYPE;
  content: object;
  preview: ReturnType<typeof renderSearchPreview> | ReturnType<typeof renderRestrictedPreview>;
}

export type ExtensionResponse = {
  composeExtension: { type: 'result'; attachmentLayout: 'list'; attachments: ExtensionAttachment[]; suggestedActions?: NoCache } | { type: 'message'; text: string };
};

const results = (attachments: ExtensionAttachment[], suggestedActions?: NoCache): ExtensionResponse => ({
  composeExtension: { type: 'result', attachmentLayout: 'list', attachments, ...(suggestedActions && { suggestedActions }) },
});

/** Teams caches an unfurl for 30 minutes; a link to a referral not here yet must not stay bare that long. */
const NO_CACHE = { actions: [{ type: 'setCachePolicy', value: '{"type":"no-cache"}' }] } as const;
type NoCache = typeof NO_CACHE;
export const extensionMessage = (text: string): ExtensionResponse => ({ composeExtension: { type: 'message', text } });

/**
 * `composeExtension/query`: up to ten leads, each a preview line and the full card to insert. An
 * empty query (or Teams' initial run) lists the leads that need an answer soonest.
 */
export async function searchExtension(value: unknown, clicker: Clicker, deps: CardDeps): Promise<ExtensionResponse> {
  const { locale } = clicker;
  const parsed = extensionQuerySchema.safeParse(value);
  if (!parsed.success || parsed.data.commandId !== FIND_COMMAND_ID) return extensionMessage(t(locale, 'search.unknownCommand'));
  // Finding leads is reading them: a role's (or everyone's, when the partner chose so).
  if (!clicker.access.read) return extensionMessage(refuse(clicker, deps, 'search', 'read'));
  const { parameters, queryOptions } = parsed.data;
  const initialRun = parameters.some((p) => p.name === 'initialRun' && String(p.value) === 'true');
  const raw = parameters.find((p) => p.name === FIND_PARAMETER)?.value ?? '';
  if (typeof raw !== 'string') return extensionMessage(t(locale, 'search.tooShort'));
  const text = initialRun ? '' : raw.trim();
  const skip = queryOptions?.skip ?? 0;
  // Scrolled this far: nothing more (rather than the same results again).
  if (skip > MAX_SKIP) return results([]);
  const count = Math.min(queryOptions?.count ?? MAX_RESULTS, MAX_RESULTS);

  if (text === '') {
    // Those waiting are few and already in deadline order: the next page is the same list further on.
    const waiting = (await deps.product.lists.needsAnswer([...LEAD_KINDS], skip + count)).slice(skip);
    if (waiting.length === 0 && skip === 0) return extensionMessage(t(locale, 'search.nothingWaiting'));
    return results(await attachmentsFor(waiting, clicker, deps));
  }
  const found = await deps.product.lists.search(text, { size: skip + count });
  if (!found.ok) return extensionMessage(t(locale, found.reason === 'tooLong' ? 'search.tooLong' : 'search.tooShort'));
  return results(await attachmentsFor(found.page.items.slice(skip), clicker, deps));
}

/**
 * `composeExtension/queryLink`: a pasted Partner Center link that names a stored referral unfolds
 * into its lead's card. Any other link, or an id we do not hold: no card, and no error either.
 * Someone who may not read the lead here (no role, and it is not posted in this conversation: what
 * they insert, everyone in it sees) gets a card that says so, with nothing of the customer; each
 * viewer's client refreshes it, so those who may read it see the lead. Never cached by Teams.
 */
export async function unfurlLink(value: unknown, clicker: Clicker, deps: CardDeps): Promise<ExtensionResponse> {
  const parsed = extensionLinkSchema.safeParse(value);
  if (!parsed.success) return results([], NO_CACHE);
  for (const id of referralIdsIn(parsed.data.url)) {
    const found = await readAs(id, clicker, deps);
    if (!found) continue;
    // Not cached: who may read it depends on the person and the conversation.
    if (found.readable) return results([attachment(found.lead, clicker, deps)], NO_CACHE);
    refuse(clicker, deps, 'unfurl', 'read');
    return results([{ ...renderRestrictedCard(found.lead.id, { locale: clicker.locale, shared: true }), preview: renderRestrictedPreview(clicker.locale) }], NO_CACHE);
  }
  return results([], NO_CACHE);
}

const PARTNER_CENTER_HOST = /^(?:[a-z0-9-]+\.)*partner\.microsoft\.com$/;
const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
/** Ids looked up per link at most: a link is a hint, not a query language. */
const MAX_IDS_PER_LINK = 4;

/**
 * The referral ids a Partner Center link may name: GUIDs anywhere in it first (Partner Center's
 * referral ids), then path segments and query values shaped like an id with a digit in them.
 */
export function referralIdsIn(link: string): string[] {
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    return [];
  }
  if (url.protocol !== 'https:' || !PARTNER_CENTER_HOST.test(url.hostname)) return [];
  const decode = (part: string) => {
    try {
      return decodeURIComponent(part);
    } catch {
      return part;
    }
  };
  const parts = [...url.pathname.split('/').map(decode), ...[...url.searchParams.values()], ...url.hash.slice(1).split(/[/?&=]/).map(decode)];
  const guids = parts.flatMap((part) => part.match(GUID) ?? []).map((g) => g.toLowerCase());
  const others = parts.filter((part) => LEAD_ID_PATTERN.test(part) && /\d/.test(part) && part.length >= 6);
  return [...new Set([...guids, ...others])].slice(0, MAX_IDS_PER_LINK);
}

async function attachmentsFor(rows: LeadSummary[], clicker: Clicker, deps: CardDeps): Promise<ExtensionAttachment[]> {
  // The index row is enough for the line; the card to insert needs the whole lead (contacts, deal, consent).
  const leads = await Promise.all(rows.map((row) => deps.product.leads.read(row.id)));
  return leads.flatMap((lead) => (lead ? [attachment(lead, clicker, deps)] : []));
}

/**
 * The lead's full card as a shared copy (no one's ♥: each viewer's refresh shows their own), and
 * its line in the result list.
 */
function attachment(lead: Lead, clicker: Clicker, deps: CardDeps): ExtensionAttachment {
  const card = leadCard(lead, { ...clicker, onSharedCard: true }, deps, { forEveryone: true });
  return { ...card, preview: renderSearchPreview(summarize(lead), { locale: clicker.locale, now: deps.product.now(), timeZone: clicker.timeZone }) };
}
