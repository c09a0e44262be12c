/** The card locale, its strings, and the date, amount and duration formats every card shares. */
import en from './locales/en.json';
import de from './locales/de.json';

export type Locale = 'en' | 'de';
export type StringKey = keyof typeof en;
export type Params = Record<string, string | number>;

/** Typed as en's keys, so a key missing from de.json is a compile error. */
const STRINGS: Record<Locale, Record<StringKey, string>> = { en, de };
const INTL_TAG: Record<Locale, string> = { en: 'en-US', de: 'de-DE' };
const PLURALS: Record<Locale, Intl.PluralRules> = { en: new Intl.PluralRules('en-US'), de: new Intl.PluralRules('de-DE') };

/** Keys that come as a `.one` / `.other` pair. */
type PluralBase = { [K in StringKey]: K extends `${infer Base}.one` ? (`${Base}.other` extends StringKey ? Base : never) : never }[StringKey];

/** German for any German-speaking region ('de', 'de-AT', 'de_CH', …); English for everything else. */
export function resolveLocale(activityLocale?: string): Locale {
  return /^de(?:[-_]|$)/i.test(activityLocale ?? '') ? 'de' : 'en';
}

/** The string for `key` with its `{name}` placeholders filled; an unknown placeholder stays visible. */
export function t(locale: Locale, key: StringKey, params: Params = {}): string {
  return STRINGS[locale][key].replace(/\{(\w+)\}/g, (placeholder, name: string) => {
    const value = params[name];
    return value === undefined ? placeholder : String(value);
  });
}

/** The singular or plural form of `base` for `n`; the string gets `n` as `{n}`. */
export function tn(locale: Locale, base: PluralBase, n: number, params: Params = {}): string {
  const form = PLURALS[locale].select(n) === 'one' ? 'one' : 'other';
  return t(locale, `${base}.${form}`, { ...params, n });
}

export interface Zoned {
  locale: Locale;
  /** IANA zone such as 'Europe/Berlin'; UTC when absent or unknown. */
  timeZone?: string;
}

// Building an Intl formatter costs far more than using one; cards format many values per render.
// Bounded: a formatter is kept only for a time zone Intl knows (some 600), a currency code it
// formats, and the two locales; a key that fails to build is not kept.
type Formatter = Intl.DateTimeFormat | Intl.NumberFormat | Intl.DisplayNames;
const formatters = new Map<string, Formatter>();
/** Zones as asked → as Intl names them (or UTC): bounded like the formatters, unknown zones share one entry per text up to a limit. */
const zones = new Map<string, string>();
const MAX_ZONES = 1_000;
function cached<F extends Formatter>(key: string, make: () => F): F {
  let formatter = formatters.get(key) as F | undefined;
  if (!formatter) {
    formatter = make();
    formatters.set(key, formatter);
  }
  return formatter;
}

/** A misconfigured zone must not stop cards from rendering: fall back to UTC (and say so). */
function knownZone(timeZone: string | undefined): string {
  if (!timeZone) return 'UTC';
  const known = zones.get(timeZone);
  if (known) return known;
  let zone = 'UTC';
  try {
    zone = new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
  } catch {
    // Not a zone Intl knows.
  }
  if (zones.size >= MAX_ZONES) zones.clear();
  zones.set(timeZone, zone);
  return zone;
}

function dateTimeFormat(locale: Locale, timeZone: string | undefined, withTime: boolean): Intl.DateTimeFormat {
  const zone = knownZone(timeZone);
  const isUtc = zone === 'UTC' || zone === 'Etc/UTC';
  return cached(`date|${locale}|${zone}|${withTime}`, () =>
    new Intl.DateTimeFormat(INTL_TAG[locale], {
      year: 'numeric',
      month: 'short',
      day: 'numeric',
      timeZone: zone,
      ...(withTime ? { hour: 'numeric', minute: '2-digit', ...(isUtc ? { timeZoneName: 'short' } : {}) } : {}),
    }),
  );
}

/** "Nov 26, 2025, 10:02 AM UTC" / "26. Nov. 2025, 10:02 UTC"; the zone is named only when it is UTC. */
export function formatDateTime(instant: string | Date, { locale, timeZone }: Zoned): string {
  const date = typeof instant === 'string' ? new Date(instant) : instant;
  return Number.isNaN(date.getTime()) ? String(instant) : dateTimeFormat(locale, timeZone, true).format(date);
}

/** The calendar day of an instant in the viewer's zone: "Nov 26, 2025" / "26. Nov. 2025". */
export function formatDay(instant: string | Date, { locale, timeZone }: Zoned): string {
  const date = typeof instant === 'string' ? new Date(instant) : instant;
  return Number.isNaN(date.getTime()) ? String(instant) : dateTimeFormat(locale, timeZone, false).format(date);
}

/** A calendar date ('yyyy-mm-dd', e.g. a purchase date) is the same day in every zone. */
export function formatCalendarDate(day: string, locale: Locale): string {
  const date = new Date(`${day}T00:00:00Z`);
  return Number.isNaN(date.getTime()) ? day : dateTimeFormat(locale, 'UTC', false).format(date);
}

/** "$1,234.50" / "1.234,50 €"; a plain number when there is no currency or Intl does not know it. */
export function formatAmount(value: number, currency: string | undefined, locale: Locale): string {
  const plain = cached(`number|${locale}`, () => new Intl.NumberFormat(INTL_TAG[locale], { maximumFractionDigits: 2 }));
  if (!currency) return plain.format(value);
  try {
    return cached(`money|${locale}|${currency}`, () => new Intl.NumberFormat(INTL_TAG[locale], { style: 'currency', currency })).format(value);
  } catch {
    return `${plain.format(value)} ${currency}`;
  }
}

/** The localized name of a currency code ("Euro"), or the code when Intl does not know it. */
export function currencyName(code: string, locale: Locale): string {
  try {
    return cached(`currency|${locale}`, () => new Intl.DisplayNames(INTL_TAG[locale], { type: 'currency' })).of(code) ?? code;
  } catch {
    return code;
  }
}

const MINUTE_MS = 60_000;

/**
 * A rounded-down duration: "3 days 4 hours", "5 hours", "12 minutes". `left` is the form that
 * stands alone ("noch 3 Tage"), `span` the one after a preposition ("vor 3 Tagen", "in 3 Tagen").
 * `parts: 1` keeps only the largest unit.
 */
export function formatDuration(ms: number, locale: Locale, form: 'left' | 'span', parts: 1 | 2 = 2): string {
  const minutes = Math.max(1, Math.floor(ms / MINUTE_MS));
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  if (days > 0) {
    const daysText = tn(locale, `${form}.day`, days);
    return parts === 2 && hours > 0 ? `${daysText} ${tn(locale, `${form}.hour`, hours)}` : daysText;
  }
  if (hours > 0) return tn(locale, `${form}.hour`, hours);
  return tn(locale, `${form}.minute`, minutes);
}

/** "3 days 4 hours left" / "noch 3 Tage 4 Std.", or "Expired" once the deadline has passed. */
export function formatTimeLeft(msLeft: number, locale: Locale, parts: 1 | 2 = 2): string {
  return msLeft > 0 ? t(locale, 'time.left', { duration: formatDuration(msLeft, locale, 'left', parts) }) : t(locale, 'time.expired');
}
