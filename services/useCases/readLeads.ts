/** Use cases that only read: one lead with its history, the list views, and search. */
import type { Lead, LeadKind } from '../leads/lead';
import type { LeadViewIndex } from '../storage/leadIndex';
import type { LeadEvent } from '../leads/leadLifecycle';
import type { LeadStore } from '../storage/leadStore';
import { PAGE_SIZE, type ListName, type LeadSummary, type Page } from '../leads/leadViews';
import { parseQuery } from '../leads/leadSearch';

export async function getLeadWithHistory(id: string, leads: LeadStore): Promise<{ lead: Lead; history: LeadEvent[] } | undefined> {
  const [stored, history] = await Promise.all([leads.get(id), leads.history(id)]);
  return stored && { lead: stored.lead, history };
}

/** One page of a list: a view (newest first), the leads nobody owns (soonest deadline first), or the person's own (`userId`). */
export function listLeads(
  index: LeadViewIndex,
  list: ListName,
  options: { userId?: string; cursor?: string; size?: number } = {},
): Promise<Page<LeadSummary>> {
  const page = { cursor: options.cursor, size: options.size ?? PAGE_SIZE };
  if (list === 'unassigned') return index.unassigned(page);
  if (list === 'mine') return index.owned(options.userId ?? '', page);
  return index.page(list, { ...page, userId: options.userId });
}

/** Favorites shown on the first page of "my leads" (the Favorites list has them all). */
export const MY_FAVORITES_SHOWN = 5;

/**
 * "My leads": a page of the leads the person owns (those waiting for an answer, soonest deadline
 * first, then those accepted) and, on the first page, their favorites they do not own.
 */
export async function myLeads(index: LeadViewIndex, userId: string, cursor?: string): Promise<{ owned: Page<LeadSummary>; favorites: LeadSummary[]; moreFavorites: boolean }> {
  const [owned, favorites] = await Promise.all([
    listLeads(index, 'mine', { userId, cursor }),
    cursor ? undefined : listLeads(index, 'favorites', { userId, size: MY_FAVORITES_SHOWN * 2 }),
  ]);
  const notOwned = (favorites?.items ?? []).filter((l) => l.ownerId !== userId.toLowerCase() && l.stage !== 'Archived');
  return { owned, favorites: notOwned.slice(0, MY_FAVORITES_SHOWN), moreFavorites: notOwned.length > MY_FAVORITES_SHOWN || Boolean(favorites?.next) };
}

export type SearchAnswer =
  | { ok: true; page: Page<LeadSummary>; /** index rows read for this page */ rowsRead: number; /** the query as searched: folded words */ words: string[] }
  | { ok: false; reason: 'empty' | 'tooShort' | 'tooLong' };

/**
 * One page of the leads a text finds (customer, lead and deal names, referral, CRM and campaign
 * ids; word prefixes, any case and accents), open leads newest first, then archived ones. Reads
 * only the index rows of one word prefix, never the leads.
 */
export async function searchLeads(
  index: LeadViewIndex,
  text: string,
  options: { cursor?: string; size?: number; /** rows one read of the index takes at most (tests make it small) */ rowsPerRead?: number } = {},
): Promise<SearchAnswer> {
  const query = parseQuery(text);
  if (!query.ok) return query;
  const size = options.size ?? PAGE_SIZE;
  // A query of several words may filter out most rows of its key: read on (a bounded number of
  // rows) until the page is full, rather than answer a short or empty page that has more after it.
  const items: LeadSummary[] = [];
  let rowsRead = 0;
  let cursor = options.cursor;
  do {
    const found = await index.search(query, { cursor, size: size - items.length, maxRows: options.rowsPerRead });
    items.push(...found.items);
    rowsRead += found.rowsRead;
    cursor = found.next;
  } while (items.length < size && cursor && rowsRead < MAX_ROWS_PER_PAGE);
  return { ok: true, page: { items, next: cursor }, rowsRead, words: query.words };
}

/** Index rows one page of search reads at most (a query of several words whose other words are rare among its key's rows). */
export const MAX_ROWS_PER_PAGE = 5_000;

/** Leads on one morning digest card. */
export const NEEDS_ANSWER_LINES = 20;

/** The leads waiting for an answer, of these kinds, soonest deadline first (at most a digest's worth). */
export async function needsAnswer(index: LeadViewIndex, kinds: LeadKind[], limit = NEEDS_ANSWER_LINES): Promise<LeadSummary[]> {
  // One list per kind, each already in deadline order: the first `limit` of each, merged.
  const pages = await Promise.all(kinds.map((kind) => index.waiting(kind, { size: limit })));
  const byDeadline = (a: LeadSummary, b: LeadSummary) => a.expiresAt.localeCompare(b.expiresAt) || a.id.localeCompare(b.id);
  return pages.flatMap((page) => page.items).sort(byDeadline).slice(0, limit);
}
