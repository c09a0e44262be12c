/** The list views of the Leads section, and the summary row each list shows. */
import type { Lead, LeadType, Outcome, Stage } from './lead';

export const VIEWS = ['marketplace', 'qualified', 'favorites', 'archived'] as const;
export type ViewName = (typeof VIEWS)[number];
/** The lists every lead is in exactly one of (Favorites are per user). */
export type SharedView = Exclude<ViewName, 'favorites'>;
/** Every list a person can page through: the views, the leads nobody owns yet, and their own. */
export const LISTS = [...VIEWS, 'unassigned', 'mine'] as const;
export type ListName = (typeof LISTS)[number];
export const SHARED_VIEWS = VIEWS.filter((v): v is SharedView => v !== 'favorites');

/** A list row: enough to render a list without reading each lead. */
export interface LeadSummary {
  id: string;
  name: string;
  customer: string;
  type: LeadType;
  flame: boolean;
  stage: Stage;
  outcome?: Outcome;
  receivedAt: string;
  expiresAt: string;
  /** The owner's name and AAD object id, if the lead has one. */
  owner?: string;
  ownerId?: string;
  /** The deal's value, once accepted with one. */
  value?: { amount: number; currency?: string };
}

export const PAGE_SIZE = 10;

export function summarize(lead: Lead): LeadSummary {
  return {
    id: lead.id,
    name: lead.name,
    customer: lead.customer.name,
    type: lead.type,
    flame: lead.flame,
    stage: lead.stage,
    outcome: lead.outcome,
    receivedAt: lead.receivedAt,
    expiresAt: lead.expiresAt,
    ...(lead.owner && { owner: lead.owner.name, ownerId: lead.owner.id }),
    ...(lead.deal?.value !== undefined && { value: { amount: lead.deal.value, currency: lead.deal.currency } }),
  };
}

/**
 * The shared views a lead belongs to: open customer inquiries are Marketplace leads, open
 * marketing/sales-qualified ones are Qualified leads, every closed lead is Archived.
 * Favorites are per user and kept apart.
 */
export function sharedViewOf(lead: Pick<Lead, 'stage' | 'type'>): SharedView {
  if (lead.stage === 'Archived') return 'archived';
  return lead.type === 'customerInquiry' ? 'marketplace' : 'qualified';
}

export interface Page<T> {
  items: T[];
  /** Opaque token for the next page; absent on the last page. */
  next?: string;
}
