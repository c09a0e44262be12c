/**
 * How an outside system that keeps a copy of leads (the portal leads come from, a CRM) shows on a lead's
 * card: whether a change made here has reached it, what it refused, where the lead is there, and
 * which actor its own changes carry. Each system's slice says it; the domain and the cards only
 * show it.
 */
import type { ActorRef, Lead } from './lead';

export interface OutsideView {
  /** The system's name as people know it. */
  system: string;
  /** The actor id its own changes carry (`lastAction.by.id`): "Declined in <system>". */
  actorId: string;
  /** A change made here is on its way there, or the system refused the last one. */
  state?: 'pending' | 'refused';
  /** The system's own words for a refusal. */
  message?: string;
  /** The lead's page in the system, to open from the card. */
  url?: string;
  /** Values it sent that are shown as it sent them: they do not fit what this version reads (`field`: its own name for it). */
  asGiven?: { field: string; value: string }[];
}

/** What each outside system says of a lead (none when no system is connected). */
export type Outside = (lead: Lead) => OutsideView[];

/** The outside view whose system made this change, if an outside system made it. */
export const outsideActor = (views: OutsideView[], actor: ActorRef | undefined): OutsideView | undefined =>
  actor && views.find((v) => v.actorId === actor.id);

/**
 * Where the lead stands with the systems outside, as a card shows it: refused by one, on its way to
 * one, or done. (Render keys of posted cards carry it: a card is updated when it changes.)
 */
export function outsideState(views: OutsideView[]): 'done' | 'pending' | 'refused' {
  if (views.some((v) => v.state === 'refused')) return 'refused';
  return views.some((v) => v.state === 'pending') ? 'pending' : 'done';
}
