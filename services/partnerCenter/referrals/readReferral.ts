/**
 * Reads a referral the way the most trusted integrations do: leniently. Only what a lead cannot
 * exist without is required (an id we can key it by, a status and a kind we understand, something
 * to call it); every other value that does not fit is normalized when its meaning is plain (a
 * lowercase country or currency code, "1,000", a date without a time zone: UTC) or else kept as
 * given, shown on the card as Partner Center sent it, and left out of what the lead computes with.
 * What still cannot be read is parked with its reason (parkedReferrals.ts), never dropped.
 */
import { toFieldIssues } from '../../errors';
import { MAX_NOTES, MAX_PEOPLE, REFERRAL_DIRECTIONS, REFERRAL_ID_PATTERN, REFERRAL_QUALIFICATIONS, REFERRAL_STATUSES, REFERRAL_SUBSTATUSES, REFERRAL_TYPES, referralSchema, withoutNulls, type Referral } from './referral';

/** A value kept as Partner Center sent it, because it does not fit what this version reads. */
export interface AsGiven {
  /** Where in the referral (dotted), e.g. `details.dealValue`. */
  path: string;
  /** The value as sent, as text (shortened past 200 characters). */
  value: string;
  /** Why it is not read, in plain words. */
  why: string;
}

export type ReadReferral =
  | { ok: true; referral: Referral; asGiven: AsGiven[] }
  /** `field`: what made it unreadable (id, status, type, direction), or none when it is not a referral at all. */
  | { ok: false; id?: string; name?: string; field?: string; reason: string };

/** Values kept as given, on one lead at most. */
export const MAX_AS_GIVEN = 20;
/** Rounds of setting aside what does not fit (each sets at least one value aside). */
const MAX_ROUNDS = 40;

const STATUSES: readonly string[] = REFERRAL_STATUSES;
const SUBSTATUSES: readonly string[] = REFERRAL_SUBSTATUSES;
const QUALIFICATIONS: readonly string[] = REFERRAL_QUALIFICATIONS;
const TYPES: readonly string[] = REFERRAL_TYPES;
const DIRECTIONS: readonly string[] = REFERRAL_DIRECTIONS;

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

export function readReferral(sent: unknown): ReadReferral {
  const raw = withoutNulls(sent);
  if (!isObject(raw)) return { ok: false, reason: 'it is not a referral object' };
  const id = typeof raw.id === 'string' ? raw.id.trim() : undefined;
  const name = typeof raw.name === 'string' ? raw.name.slice(0, 200) : undefined;
  if (!id || !REFERRAL_ID_PATTERN.test(id)) return { ok: false, id, name, field: 'id', reason: id ? `its id "${id.slice(0, 60)}" is not one a lead can be kept by` : 'it has no id' };
  const refusal = unknownKind(raw);
  if (refusal) return { ok: false, id, name, ...refusal };

  const asGiven: AsGiven[] = [];
  const value = normalized(structuredClone(raw), asGiven);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const parsed = referralSchema.safeParse(value);
    if (parsed.success) return { ok: true, referral: parsed.data, asGiven: asGiven.slice(0, MAX_AS_GIVEN) };
    // Last first: taking an element out of a list leaves the earlier elements' places as they were.
    for (const issue of toFieldIssues(parsed.error.issues).reverse()) {
      if (issue.path === 'id' || issue.path === '(root)') return { ok: false, id, name, field: issue.path === 'id' ? 'id' : undefined, reason: `${issue.path === 'id' ? 'its id' : 'it'} ${issue.message}` };
      setAside(value, issue.path, issue.message, asGiven);
    }
  }
  return { ok: false, id, name, reason: 'too many of its values do not fit' };
}

/**
 * A status, kind or direction this version does not know, or none: whether it is a lead, and where
 * it stands, cannot be told. So for an Active or Closed referral's substatus: guessed, it would
 * show a Won as Expired, or be "corrected" in Partner Center by a write-back nobody asked for.
 */
function unknownKind(raw: Json): { field: string; reason: string } | undefined {
  const check = (field: string, known: readonly string[], required = false) => {
    const value = raw[field];
    if (value === undefined) return required ? { field, reason: `it has no ${field}` } : undefined;
    if (typeof value === 'string' && known.includes(value)) return undefined;
    const shown = typeof value === 'string' ? value : JSON.stringify(value);
    return { field, reason: `its ${field} "${String(shown).slice(0, 60)}" is not one this version knows (${known.join(', ')})` };
  };
  const decided = raw.status === 'Active' || raw.status === 'Closed';
  return check('status', STATUSES, true) ?? (decided ? check('substatus', SUBSTATUSES, true) : undefined) ?? check('type', TYPES) ?? check('direction', DIRECTIONS);
}

/**
 * Values whose meaning is plain, made to fit; enums outside every list, kept as given. Mutates and
 * returns `raw` (a clone).
 */
function normalized(raw: Json, asGiven: AsGiven[]): Json {
  const qualification = raw.qualification;
  if (typeof qualification !== 'string' || !QUALIFICATIONS.includes(qualification)) {
    // "None" is documented; a new value may come. Either way a lead from Microsoft is shown, as a customer inquiry.
    if (qualification !== undefined) asGiven.push(given('qualification', qualification, 'not a kind this version knows: shown as a customer inquiry'));
    raw.qualification = 'Direct';
  }
  if (typeof raw.substatus === 'string' && !SUBSTATUSES.includes(raw.substatus)) {
    asGiven.push(given('substatus', raw.substatus, 'not a substatus this version knows'));
    delete raw.substatus;
  }
  for (const key of ['createdDateTime', 'updatedDateTime', 'expirationDateTime', 'acceptedDateTime', 'closedDateTime']) normalizeDate(raw, key);
  if (raw.customerProfile !== undefined && !isObject(raw.customerProfile)) asGiven.push(given('customerProfile', raw.customerProfile, 'not a customer profile'));
  const profile = isObject(raw.customerProfile) ? raw.customerProfile : (raw.customerProfile = {});
  if (profile.name !== undefined && typeof profile.name !== 'string') asGiven.push(given('customerProfile.name', profile.name, 'not a name'));
  if (typeof profile.name !== 'string' || profile.name.trim() === '') profile.name = 'Unnamed customer';
  const address = isObject(profile.address) ? profile.address : undefined;
  if (address && typeof address.country === 'string' && /^[a-z]{2}$/i.test(address.country.trim())) address.country = address.country.trim().toUpperCase();
  shorten(profile, 'team', 'customerProfile.team', asGiven);
  shorten(raw, 'team', 'team', asGiven);
  if (isObject(raw.inviteContext)) shorten(raw.inviteContext, 'notes', 'inviteContext.notes', asGiven);
  const details = isObject(raw.details) ? raw.details : undefined;
  if (details) {
    shorten(details, 'notes', 'details.notes', asGiven);
    const requirements = isObject(details.requirements) ? details.requirements : undefined;
    for (const list of ['industries', 'products', 'services', 'solutions']) if (requirements) shorten(requirements, list, `details.requirements.${list}`, asGiven);
    normalizeDate(details, 'closingDateTime');
    if (typeof details.currency === 'string' && /^[a-z]{3}$/i.test(details.currency.trim())) details.currency = details.currency.trim().toUpperCase();
    if (details.dealValue !== undefined) {
      const amount = readAmount(details.dealValue);
      if (amount === undefined) {
        asGiven.push(given('details.dealValue', details.dealValue, 'not a number'));
        delete details.dealValue;
      } else details.dealValue = amount;
    }
  }
  return raw;
}

/** Notes past MAX_NOTES characters and lists past MAX_PEOPLE entries keep their beginning; the card says how long they were. */
function shorten(holder: Json, key: string, path: string, asGiven: AsGiven[]): void {
  const value = holder[key];
  if (typeof value === 'string' && value.length > MAX_NOTES) {
    asGiven.push({ path, value: `${value.length.toLocaleString('en')} characters`, why: `longer than ${MAX_NOTES.toLocaleString('en')} characters: the first ${MAX_NOTES.toLocaleString('en')} are kept` });
    holder[key] = value.slice(0, MAX_NOTES);
  } else if (Array.isArray(value) && value.length > MAX_PEOPLE) {
    asGiven.push({ path, value: `${value.length} entries`, why: `more than ${MAX_PEOPLE}: the first ${MAX_PEOPLE} are kept` });
    holder[key] = value.slice(0, MAX_PEOPLE);
  }
}

/** "2026-11-20T09:30:00" (no zone) and "2026-11-20" are read as UTC; anything else is left to the schema. */
function normalizeDate(holder: Json, key: string): void {
  const value = holder[key];
  if (typeof value !== 'string') return;
  const text = value.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) holder[key] = `${text}T00:00:00Z`;
  else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text)) holder[key] = `${text}Z`;
  else holder[key] = text;
}

/**
 * A deal value as people write it: 1000, "1000", "1,000", "1,000.50", "1.000,50", "12 500", "€ 1,000".
 * Undefined when it is not plainly a number.
 */
export function readAmount(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  // A currency code or sign before or after the number; anything else (10 Mio, 2 mln) is not plainly a number.
  const text = value
    .trim()
    .replace(/^([A-Z]{3}|[$€£¥])\s*|\s*([A-Z]{3}|[$€£¥])$/g, '')
    .replace(/[\s\u00a0]/g, '');
  // "1.000" and "1.500" are a thousand and fifteen hundred in one half of the world, one and one and a
  // half in the other (the API writes decimals with a point; "1,000", the way it is shown in English, is a thousand).
  if (/^\d{1,3}\.\d{3}$/.test(text)) return undefined;
  let plain: string | undefined;
  if (/^\d+(\.\d+)?$/.test(text)) plain = text;
  else if (/^\d{1,3}(,\d{3})+(\.\d+)?$/.test(text)) plain = text.replace(/,/g, '');
  else if (/^\d{1,3}(\.\d{3})+(,\d+)?$/.test(text)) plain = text.replace(/\./g, '').replace(',', '.');
  else if (/^\d+,\d{1,2}$/.test(text)) plain = text.replace(',', '.');
  const amount = plain === undefined ? undefined : Number(plain);
  return amount !== undefined && Number.isFinite(amount) && amount <= 1e12 ? amount : undefined;
}

/** Takes the value at `path` out of `root` and records it as given; an element of a list is taken out of the list. */
function setAside(root: Json, path: string, why: string, asGiven: AsGiven[]): void {
  const parts = path.split('.');
  const last = parts.pop() ?? '';
  let parent: unknown = root;
  for (const part of parts) parent = isObject(parent) || Array.isArray(parent) ? (parent as Record<string, unknown>)[part] : undefined;
  if (Array.isArray(parent)) {
    const index = Number(last);
    if (Number.isInteger(index) && index < parent.length) {
      asGiven.push(given(path, parent[index], why));
      parent.splice(index, 1);
      return;
    }
  }
  if (!isObject(parent) || !(last in parent)) {
    // The issue names no value (a required field missing): nothing to keep, but the schema must not ask again.
    if (isObject(parent)) parent[last] = undefined;
    return;
  }
  asGiven.push(given(path, parent[last], why));
  delete parent[last];
}

function given(path: string, value: unknown, why: string): AsGiven {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  return { path, value: text.length > 200 ? `${text.slice(0, 199)}…` : text, why };
}
