import { CLOSE_REASONS } from '../../services/leads/lead';
import { CLOSE_REASON_TEXT } from '../../services/partnerCenter/referrals/referralSync';
import { formatAmount, formatCalendarDate, formatDateTime, formatTimeLeft, resolveLocale, t } from '../../cards';
import en from '../../cards/locales/en.json';
import de from '../../cards/locales/de.json';

const HOUR_MS = 3_600_000;
/** Intl puts a no-break space before "€" and in "10:02 AM"; people read a space. */
const plain = (text: string) => text.replace(/[\u00a0\u202f]/g, ' ');

describe('resolveLocale', () => {
  test.each([
    ['de', 'de'],
    ['de-DE', 'de'],
    ['de-AT', 'de'],
    ['de-CH', 'de'],
    ['DE-de', 'de'],
    ['en-US', 'en'],
    ['fr-FR', 'en'],
    ['dek', 'en'],
    ['', 'en'],
    [undefined, 'en'],
  ])('%s → %s', (activityLocale, expected) => {
    expect(resolveLocale(activityLocale)).toBe(expected);
  });
});

describe('time left', () => {
  test.each([
    ['en', (3 * 24 + 4) * HOUR_MS, '3 days 4 hours left'],
    ['de', (3 * 24 + 4) * HOUR_MS, 'noch 3 Tage 4 Std.'],
    ['en', 5 * HOUR_MS + 59 * 60_000, '5 hours left'],
    ['en', 24 * HOUR_MS, '1 day left'],
    ['de', 24 * HOUR_MS + HOUR_MS, 'noch 1 Tag 1 Std.'],
    ['en', 20 * 60_000, '20 minutes left'],
    ['en', 0, 'Expired'],
    ['de', -HOUR_MS, 'Abgelaufen'],
  ] as const)('%s, %d ms → %s', (locale, ms, expected) => {
    expect(formatTimeLeft(ms, locale)).toBe(expected);
  });
});

describe('dates and amounts', () => {
  const at = '2025-11-26T10:02:00Z';

  test('in UTC the zone is named', () => {
    expect(plain(formatDateTime(at, { locale: 'en' }))).toBe('Nov 26, 2025, 10:02 AM UTC');
    expect(formatDateTime(at, { locale: 'de' })).toBe('26. Nov. 2025, 10:02 UTC');
  });

  test("in the viewer's zone the time moves and no zone is named", () => {
    expect(formatDateTime(at, { locale: 'de', timeZone: 'Europe/Berlin' })).toBe('26. Nov. 2025, 11:02');
  });

  test('an unknown zone falls back to UTC rather than failing the card', () => {
    expect(formatDateTime(at, { locale: 'de', timeZone: 'Mars/Olympus' })).toBe('26. Nov. 2025, 10:02 UTC');
  });

  test('a purchase date is a calendar day, the same in every zone', () => {
    expect(formatCalendarDate('2026-03-31', 'en')).toBe('Mar 31, 2026');
    expect(formatCalendarDate('2026-03-31', 'de')).toBe('31. März 2026');
  });

  test('amounts use the currency and the locale', () => {
    expect(plain(formatAmount(1234.5, 'EUR', 'de'))).toBe('1.234,50 €');
    expect(formatAmount(1234.5, 'USD', 'en')).toBe('$1,234.50');
    expect(formatAmount(1234.5, undefined, 'en')).toBe('1,234.5');
    expect(formatAmount(10, 'NOT-A-CODE', 'en')).toBe('10 NOT-A-CODE');
  });
});

describe('strings', () => {
  const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

  test('German has every English key and the same placeholders', () => {
    expect(Object.keys(de).sort()).toEqual(Object.keys(en).sort());
    for (const [key, text] of Object.entries(en)) {
      expect({ key, placeholders: placeholders(de[key as keyof typeof de]) }).toEqual({ key, placeholders: placeholders(text) });
    }
  });

  test("the English close reasons are Partner Center's texts", () => {
    for (const reason of CLOSE_REASONS) expect(t('en', `reason.${reason}`)).toBe(CLOSE_REASON_TEXT[reason]);
  });

  test('placeholders are filled; one without a value stays visible', () => {
    expect(t('en', 'notice.already.accept', { name: 'Dana Admin', when: '10:02' })).toBe('Already accepted by Dana Admin at 10:02');
    expect(t('en', 'notice.already.accept', { name: 'Dana Admin' })).toBe('Already accepted by Dana Admin at {when}');
  });
});
