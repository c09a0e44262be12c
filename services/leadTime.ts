/** Time-dependent facts about a lead, shared by the cards, the scheduler and the dispatcher. */
import type { Lead } from './lead';

const HOUR_MS = 3_600_000;

export type FlamePhase = 'none' | 'hot' | 'waiting';

/** 🔥 for the first hours after arrival, then ⏳ while the lead is still open. */
export function flamePhase(lead: Pick<Lead, 'flame' | 'stage' | 'receivedAt'>, now: Date, windowHours: number): FlamePhase {
  if (!lead.flame || lead.stage === 'Archived') return 'none';
  return now.getTime() - Date.parse(lead.receivedAt) < windowHours * HOUR_MS ? 'hot' : 'waiting';
}

export const flameTurnsAt = (lead: Pick<Lead, 'receivedAt'>, windowHours: number): Date =>
  new Date(Date.parse(lead.receivedAt) + windowHours * HOUR_MS);

export const msLeft = (lead: Pick<Lead, 'expiresAt'>, now: Date): number => Date.parse(lead.expiresAt) - now.getTime();

/**
 * The reminder offset to send now: the nearest deadline among those already reached and not yet
 * sent, so a late lead or a restart sends one reminder rather than a burst.
 */
export function reminderDue(lead: Pick<Lead, 'expiresAt' | 'remindersSent' | 'stage'>, hours: number[], now: Date): number | undefined {
  if (lead.stage !== 'Received' || msLeft(lead, now) <= 0) return undefined;
  const reached = hours.filter((h) => Date.parse(lead.expiresAt) - h * HOUR_MS <= now.getTime());
  if (reached.length === 0) return undefined;
  const nearest = Math.min(...reached);
  return lead.remindersSent.some((sent) => sent <= nearest) ? undefined : nearest;
}

/** What a posted card shows; when it changes, every copy of the card is updated. */
export function renderKey(lead: Lead, now: Date, windowHours: number): string {
  const favorites = lead.favorites.map((f) => f.teamsUserId ?? f.id).sort().join(',');
  const hoursLeft = lead.stage === 'Received' ? Math.max(0, Math.floor(msLeft(lead, now) / HOUR_MS)) : '';
  return `${lead.revision}|${flamePhase(lead, now, windowHours)}|${favorites}|${hoursLeft}`;
}

/**
 * When a waiting lead's posted cards next need their "time left" brought up to date: every six
 * hours, hourly in the last two days; undefined once it has expired.
 */
export function nextCardRefresh(lead: Pick<Lead, 'expiresAt' | 'stage'>, now: Date): Date | undefined {
  const left = msLeft(lead, now);
  if (lead.stage !== 'Received' || left <= 0) return undefined;
  const step = left > 2 * 24 * HOUR_MS ? 6 * HOUR_MS : HOUR_MS;
  return new Date(Math.min(now.getTime() + step, Date.parse(lead.expiresAt)));
}
