/**
 * Wall-clock schedules in a time zone ("Monday 09:00", "08:30" every day): when the latest
 * occurrence at or before now was, and the name of that occurrence, so each is acted on once.
 */
export interface WallClock {
  /** 0 = Sunday … 6 = Saturday; absent: every day. */
  weekday?: number;
  hour: number;
  minute: number;
}

const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

/** "off", "08:30" (daily) or "Monday 09:00" (weekly); undefined when it is none of these. */
export function parseWallClock(text: string, weekly: boolean): WallClock | 'off' | undefined {
  const value = text.trim().toLowerCase();
  if (value === 'off') return 'off';
  const match = /^(?:([a-z]{3,9})\s+)?(\d{1,2}):(\d{2})$/.exec(value);
  if (!match) return undefined;
  const [, day, hourText, minuteText] = match;
  const hour = Number(hourText);
  const minute = Number(minuteText);
  if (hour > 23 || minute > 59) return undefined;
  if (!weekly) return day ? undefined : { hour, minute };
  const weekday = WEEKDAYS.findIndex((name) => day !== undefined && name.startsWith(day));
  return weekday < 0 ? undefined : { weekday, hour, minute };
}

export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock date and time of an instant in a zone. */
function wallTime(ms: number, zone: string): { year: number; month: number; day: number; hour: number; minute: number; weekday: number } {
  let format = formatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', weekday: 'long' });
    formatters.set(zone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    weekday: WEEKDAYS.indexOf(String(parts.weekday).toLowerCase()),
  };
}

/** The instant a wall-clock time on a calendar day has in the zone (the first, where clocks go back). */
function instantOf(year: number, month: number, day: number, hour: number, minute: number, zone: string): number {
  const asUtc = Date.UTC(year, month - 1, day, hour, minute);
  // The zone's offset at that moment, found by looking at the wall clock there (twice, for a DST change).
  let guess = asUtc;
  for (let i = 0; i < 2; i++) {
    const seen = wallTime(guess, zone);
    guess += asUtc - Date.UTC(seen.year, seen.month - 1, seen.day, seen.hour, seen.minute);
  }
  return guess;
}

/**
 * The latest occurrence at or before `now`, and its name ("2026-11-30" for a daily schedule, the
 * date of its day for a weekly one): the same for every instance, so each occurrence is acted on once.
 */
export function latestOccurrence(clock: WallClock, zone: string, now: Date): { at: Date; name: string } {
  const here = wallTime(now.getTime(), zone);
  for (let back = 0; back <= 7; back++) {
    const date = new Date(Date.UTC(here.year, here.month - 1, here.day - back));
    if (clock.weekday !== undefined && date.getUTCDay() !== clock.weekday) continue;
    const at = instantOf(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), clock.hour, clock.minute, zone);
    if (at <= now.getTime()) return { at: new Date(at), name: date.toISOString().slice(0, 10) };
  }
  // Unreachable: within 8 days a daily or weekly time has come.
  return { at: now, name: now.toISOString().slice(0, 10) };
}
