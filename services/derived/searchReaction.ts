/** The search index: a row per word prefix of a lead, kept by every change (the words of a renamed deal go with it). */
import type { Lead } from '../leads/lead';
import type { Reaction } from '../changes/reaction';
import { staleRows, type LeadViewIndex } from '../storage/leadIndex';

export function searchReaction(views: LeadViewIndex): Reaction {
  return {
    react: async ({ changes }) => views.putSearch(changes.map(({ stored, owed }) => ({ lead: stored.lead, removed: owed.removed }))),
    overtaken: async (was: Lead, now: Lead) => views.putSearch([{ lead: now, removed: staleRows(was, now) }]),
  };
}
