/**
 * Search over leads, as pure functions: how text becomes words (case- and accent-insensitive,
 * German umlauts also as ae/oe/ue), which word prefixes a lead is found by, and what a query asks.
 * Azure Tables has no full-text search, so the index stores one row per word prefix of a lead and
 * a query reads only the rows of one prefix (see storage/leadIndex.ts).
 */
import type { Lead } from './lead';

/** Shorter prefixes are not indexed: one letter would match half the leads. Lengths count characters (code points). */
export const MIN_PREFIX = 2;
/** Longer words are found by their first letters, then checked against the whole words. */
export const MAX_PREFIX = 10;
/** A lead's index keys at most: its ids and names come first, so a lead with very long names is still found by them. */
export const MAX_KEYS_PER_LEAD = 150;
/** A query longer than this is refused, not searched. */
export const MAX_QUERY_LENGTH = 100;

/** Letters NFKD does not take apart. */
const FOLDED: ReadonlyMap<string, string> = new Map([
  ['ß', 'ss'],
  ['æ', 'ae'],
  ['œ', 'oe'],
  ['ø', 'o'],
  ['ł', 'l'],
  ['đ', 'd'],
  ['ð', 'd'],
  ['þ', 'th'],
  ['ı', 'i'],
]);
const UMLAUT = /[äöü]/;
/** A word: letters, digits and the marks that belong to them (Turkish İ's dot, Devanagari vowel signs). */
const WORD = /[\p{L}\p{M}\p{N}]+/gu;
/** The German spelling without umlauts: "müller" → "mueller". */
const withoutUmlauts = (word: string) => word.replace(/ä/g, 'ae').replace(/ö/g, 'oe').replace(/ü/g, 'ue');
/** The first `n` characters, never half of one (a letter outside the BMP is two UTF-16 units). */
const head = (word: string, n: number) => Array.from(word).slice(0, n).join('');
const length = (word: string) => Array.from(word).length;

/** Lower case, accents and ligatures folded: "Müller" → "muller", "Straße" → "strasse", "İstanbul" → "istanbul". */
export function fold(text: string): string {
  const stripped = (t: string) => t.normalize('NFKD').replace(/\p{Mn}/gu, '');
  return stripped(stripped(text).toLowerCase()).replace(/[ßæœøłđðþı]/g, (c) => FOLDED.get(c) ?? c);
}

/** The raw words of a text, lower case, composed. */
const rawWords = (text: string) => [...text.toLowerCase().normalize('NFC').matchAll(WORD)].map(([w]) => w);

/**
 * The words of a text, folded: split at anything that is not a letter or a digit (spaces,
 * punctuation, the dashes of a GUID). A word with an umlaut also gives its German spelling
 * without one ("Müller" → "muller" and "mueller"), so both find it.
 */
export function wordsOf(text: string): string[] {
  const words = new Set<string>();
  for (const word of rawWords(text)) {
    words.add(fold(word));
    if (UMLAUT.test(word)) words.add(fold(withoutUmlauts(word)));
  }
  return [...words].filter((w) => w.length > 0);
}

/** What a lead is found by: its id, CRM id, campaign id, customer name, lead name, deal name (in the order their keys are kept). */
export function searchWords(lead: Pick<Lead, 'id' | 'name' | 'customer' | 'deal'>): string[] {
  const fields = [lead.id, lead.deal?.crmId, lead.deal?.campaignId, lead.customer.name, lead.name, lead.deal?.name];
  return [...new Set(fields.flatMap((field) => (field ? wordsOf(field) : [])))];
}

/** The index keys of a set of words: every prefix from MIN_PREFIX to MAX_PREFIX characters, at most MAX_KEYS_PER_LEAD. */
export function prefixesOf(words: readonly string[]): string[] {
  const keys = new Set<string>();
  for (const word of words) {
    const chars = Array.from(word);
    for (let n = MIN_PREFIX; n <= Math.min(chars.length, MAX_PREFIX); n++) keys.add(chars.slice(0, n).join(''));
  }
  return [...keys].slice(0, MAX_KEYS_PER_LEAD);
}

export type SearchQuery =
  | { ok: true; words: string[]; /** the one prefix whose rows are read */ key: string }
  | { ok: false; reason: 'empty' | 'tooShort' | 'tooLong' };

/**
 * How few leads a query word likely matches: a word of three or more characters with digits in it
 * (an id, a number) fewer than any word of letters; otherwise, longer prefixes match fewer.
 */
const selectivity = (word: string) => Math.min(length(word), MAX_PREFIX) + (length(word) >= 3 && /\d/.test(word) ? MAX_PREFIX : 0);

/**
 * A query: its words, all of which a lead must have a word starting with, and the index key to
 * read — the prefix of the word likely to match the fewest leads; the others filter its rows. A
 * word typed with an umlaut is searched in its spelling without ("müller" as "mueller"), which
 * leads spelled either way are indexed under.
 */
export function parseQuery(text: string): SearchQuery {
  if (text.length > MAX_QUERY_LENGTH) return { ok: false, reason: 'tooLong' };
  const words = [...new Set(rawWords(text).map((w) => fold(UMLAUT.test(w) ? withoutUmlauts(w) : w)))].filter((w) => w.length > 0);
  if (words.length === 0) return { ok: false, reason: 'empty' };
  const best = words.reduce((a, b) => (selectivity(b) > selectivity(a) ? b : a));
  if (length(best) < MIN_PREFIX) return { ok: false, reason: 'tooShort' };
  return { ok: true, words, key: head(best, MAX_PREFIX) };
}

/** Whether a lead with these words answers the query: each query word starts one of them. */
export function matchesAll(leadWords: readonly string[], queryWords: readonly string[]): boolean {
  return queryWords.every((q) => leadWords.some((w) => w.startsWith(q)));
}
