/**
 * A lead's due times: its reminders, expiry and 🔥 turn while it waits for an answer, its next card
 * refresh, the snoozes people asked for. Only its next one is filed (nextDueTime); the scheduler
 * files the one after when it handles one.
 */
import { isOpen, type Lead } from '../leads/lead';
import { flameTurnsAt, nextCardRefresh } from '../leads/leadTime';
import type { DueTime } from '../storage/leadIndex';

const HOUR_MS = 3_600_000;

export interface DueSettings {
  reminderHours: number[];
  flameWindowHours: number;
}

/** When the reminders people put off come back: one due row per distinct time still ahead. */
export function snoozeTimesOf(lead: Lead, now: Date): DueTime[] {
  if (lead.stage !== 'Received') return [];
  const times = [...new Set(Object.values(lead.snoozed ?? {}))].filter((until) => Date.parse(until) > now.getTime());
  return times.map((until) => ({ kind: 'snooze' as const, leadId: lead.id, dueAt: new Date(until) }));
}

/**
 * When a lead still needs the scheduler: its flame turn while it is open; its reminders, expiry
 * and next card refresh while it waits for an answer (an answered lead has none of them).
 */
export function dueTimesOf(lead: Lead, now: Date, settings: DueSettings): DueTime[] {
  if (!isOpen(lead)) return [];
  const expires = Date.parse(lead.expiresAt);
  const items: DueTime[] =
    lead.stage === 'Received'
      ? [
          ...settings.reminderHours.map((hours) => ({ kind: 'reminder' as const, leadId: lead.id, dueAt: new Date(expires - hours * HOUR_MS), hours })),
          { kind: 'expire', leadId: lead.id, dueAt: new Date(expires) },
        ]
      : [];
  if (lead.flame) items.push({ kind: 'flame', leadId: lead.id, dueAt: flameTurnsAt(lead, settings.flameWindowHours) });
  const refresh = nextCardRefresh(lead, now);
  if (refresh) items.push({ kind: 'refresh', leadId: lead.id, dueAt: refresh });
  return items.filter((i) => i.kind !== 'flame' || i.dueAt > now);
}

/** Reminders, expiry, flame turn and snoozes from `from` on (its own instant included): what a chain must not skip. */
function fixedTimesFrom(lead: Lead, from: Date, settings: DueSettings): DueTime[] {
  const justBefore = new Date(from.getTime() - 1);
  return [...dueTimesOf(lead, justBefore, settings), ...snoozeTimesOf(lead, justBefore)].filter((t) => t.kind !== 'refresh');
}

/** A due time's place in a lead's chain: its time, then its kind and offset. */
const chainKey = (item: Pick<DueTime, 'dueAt' | 'kind' | 'hours'>) => `${item.dueAt.toISOString()}|${item.kind}|${item.hours ?? 0}`;

/**
 * The lead's next due time after `after` (its first when none): only that one is filed, and the
 * scheduler files the one after it when it handles it. A lead answered early never had rows
 * filed for its later reminders; two chains of one lead (its expiry moved, a snooze) merge at
 * their first common row, which has the same key.
 */
export function nextDueTime(lead: Lead, now: Date, settings: DueSettings, after?: Pick<DueTime, 'dueAt' | 'kind' | 'hours'>): DueTime[] {
  const from = after && chainKey(after);
  // After a handled time, everything later counts (a snooze or flame turn the scheduler is late for
  // is caught up); a new chain starts with what is still ahead of them.
  // Card refreshes only ever from now on: one the scheduler is late for changes nothing a later one would not.
  const ahead = from
    ? fixedTimesFrom(lead, after.dueAt, settings).filter((t) => chainKey(t) > from).concat(dueTimesOf(lead, now, settings).filter((t) => t.kind === 'refresh'))
    : [...dueTimesOf(lead, now, settings), ...snoozeTimesOf(lead, now)];
  const next = ahead.sort((a, b) => (chainKey(a) < chainKey(b) ? -1 : 1))[0];
  return next ? [next] : [];
}
