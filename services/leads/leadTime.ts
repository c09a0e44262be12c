/** Time-dependent facts about a lead, shared by the cards, the scheduler and the sender. */
import type { Lead } from './lead';
import { outsideState, type OutsideView } from './outsideView';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const SETTLE_MS = 1000;

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

/** Whether a person put off this lead's reminders past `at` (snoozed to then or later). */
export function snoozedPast(lead: Pick<Lead, 'snoozed'>, personId: string, at: number): boolean {
  const until = lead.snoozed?.[personId.toLowerCase()];
  return until !== undefined && Date.parse(until) >= at;
}

/** Snooze choices still open for a waiting lead: a day from now, and until a day before it expires (when that is later than an hour from now). */
export function snoozeChoices(lead: Pick<Lead, 'expiresAt' | 'stage'>, now: Date): { day?: Date; beforeExpiry?: Date } {
  if (lead.stage !== 'Received') return {};
  const expires = Date.parse(lead.expiresAt);
  const day = now.getTime() + 24 * HOUR_MS;
  const beforeExpiry = expires - 24 * HOUR_MS;
  return {
    ...(day < beforeExpiry && { day: new Date(day) }),
    ...(beforeExpiry > now.getTime() + HOUR_MS && { beforeExpiry: new Date(beforeExpiry) }),
  };
}

/**
 * The "time left" a posted card shows, at the precision it shows it: whole days until the last
 * two days, then days and hours (cards/leadCard.ts renders the same way).
 */
export function shownTimeLeft(lead: Pick<Lead, 'expiresAt' | 'stage'>, now: Date): string {
  if (lead.stage !== 'Received') return '';
  const left = msLeft(lead, now);
  if (left <= 0) return 'expired';
  return left >= 2 * DAY_MS ? `${Math.floor(left / DAY_MS)}d` : `${Math.floor(left / HOUR_MS)}h`;
}

/** What a posted card shows; when it changes, every copy of the card is updated. */
export function renderKey(lead: Lead, now: Date, windowHours: number, outside: OutsideView[] = []): string {
  const favorites = lead.favorites.map((f) => f.teamsUserId ?? f.id).sort().join(',');
  // Whether the last change has reached the outside systems shows on the card too.
  const reached = outsideState(outside);
  const owner = lead.owner ? `${lead.owner.id}@${lead.owner.since}` : '';
  return `${lead.revision}|${flamePhase(lead, now, windowHours)}|${favorites}|${shownTimeLeft(lead, now)}|${reached}|${owner}`;
}

/**
 * When a waiting lead's posted cards next change what they show: the next whole day (or, in the
 * last two days, whole hour) counted back from the expiry. On a fixed grid, so scheduling the
 * same step twice files the same due row.
 */
export function nextCardRefresh(lead: Pick<Lead, 'expiresAt' | 'stage'>, now: Date): Date | undefined {
  const expires = Date.parse(lead.expiresAt);
  if (lead.stage !== 'Received' || expires <= now.getTime()) return undefined;
  // What a card shows drops just after each grid point (13 days left at the point, 12 days a
  // moment later), so the refresh runs a second past it.
  const left = expires + SETTLE_MS - now.getTime();
  if (left > 2 * DAY_MS) return new Date(expires + SETTLE_MS - Math.max(2, Math.ceil(left / DAY_MS) - 1) * DAY_MS);
  const hours = Math.ceil(left / HOUR_MS) - 1;
  // At zero the lead expires, and expiry updates the cards itself.
  return hours > 0 ? new Date(expires + SETTLE_MS - hours * HOUR_MS) : undefined;
}
