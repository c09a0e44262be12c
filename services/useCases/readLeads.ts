/** Use cases that only read: one lead with its history, and the list views. */
import type { Lead } from '../leads/lead';
import type { LeadViewIndex } from '../storage/leadIndex';
import type { LeadEvent } from '../leads/leadLifecycle';
import type { LeadStore } from '../storage/leadStore';
import { PAGE_SIZE, type LeadSummary, type Page, type ViewName } from '../leads/leadViews';

export async function getLeadWithHistory(id: string, leads: LeadStore): Promise<{ lead: Lead; history: LeadEvent[] } | undefined> {
  const [stored, history] = await Promise.all([leads.get(id), leads.history(id)]);
  return stored && { lead: stored.lead, history };
}

export function listLeads(
  index: LeadViewIndex,
  view: ViewName,
  options: { userId?: string; cursor?: string; size?: number } = {},
): Promise<Page<LeadSummary>> {
  return index.page(view, { userId: options.userId, cursor: options.cursor, size: options.size ?? PAGE_SIZE });
}
