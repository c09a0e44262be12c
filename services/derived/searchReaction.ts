/**
 * The search index: a row per word prefix of a lead. Its rows hold the lead's words and where its
 * summary is, nothing an answer, an owner or a favorite changes: they are written for a new lead
 * and when its words or its order change (a renamed deal, an archived lead), not on every change.
 */
import type { Lead } from '../leads/lead';
import type { LeadChange, Reaction } from '../changes/reaction';
import { isSearchRow, staleRows, type LeadViewIndex } from '../storage/leadIndex';

/** Whether a change touches the lead's search rows (a lead stored before `created` was recorded counts by its first fan-out). */
const touchesSearch = ({ owed }: LeadChange): boolean => Boolean(owed.created || owed.fanOut || owed.removed?.some(isSearchRow));

export function searchReaction(views: LeadViewIndex): Reaction {
  return {
    react: async ({ changes }) => views.putSearch(changes.filter(touchesSearch).map(({ stored, owed }) => ({ lead: stored.lead, removed: owed.removed }))),
    overtaken: async (was: Lead, now: Lead) => views.putSearch([{ lead: now, removed: staleRows(was, now) }]),
  };
}
