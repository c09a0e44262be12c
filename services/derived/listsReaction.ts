/** The lists a lead is in (its view, favorites, waiting, unassigned, its owner's), kept by every change. */
import type { Lead } from '../leads/lead';
import type { Reaction } from '../changes/reaction';
import { staleRows, type LeadViewIndex } from '../storage/leadIndex';

export function listsReaction(views: LeadViewIndex): Reaction {
  return {
    // All of a batch's list rows share one partition: one transaction writes them and deletes those left behind.
    react: async ({ changes }) => views.putLists(changes.map(({ stored, owed }) => ({ lead: stored.lead, removed: owed.removed }))),
    overtaken: async (was: Lead, now: Lead) => views.putLists([{ lead: now, removed: staleRows(was, now) }]),
  };
}
