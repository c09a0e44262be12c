/**
 * Generators (fast-check) of what a careless or hostile caller sends: referrals with exactly one
 * field wrong (and harmless junk keys around it), arbitrary JSON and text, and Teams activities
 * with a field of the wrong type, missing, huge or oddly encoded. Each generated case says what
 * it is (`label`), so a counter-example reads on its own.
 */
import { formInputsSchema } from '../../teams/activityParsers';
import { FORM_VERBS, SUBMIT_VERBS } from '../../teams/invokes/formCommands';
import fc from 'fast-check';
import { referral } from '../fixtures/referrals';

/** A JSON body as text: `raw` tokens (1e309, -1e309) are numbers JSON.stringify cannot write. */
export interface Body {
  label: string;
  text: string;
}

const RAW = (token: string) => `\u0000raw:${token}\u0000`;
/** JSON.stringify, with RAW(...) placeholders turned into the bare tokens they stand for. */
export function toJsonText(value: unknown): string {
  return (JSON.stringify(value) ?? 'null').replace(/"\\u0000raw:([^"\\]+)\\u0000"/g, '$1');
}

/** Sets a key as an own, enumerable property, even `__proto__` (an assignment would set the prototype). */
function defineOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** Sets `value` at a dotted path, creating objects on the way ("team.0.email" indexes arrays). */
export function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node: any = target;
  for (const key of keys.slice(0, -1)) {
    if (node[key] === null || typeof node[key] !== 'object') defineOwn(node, key, {});
    node = node[key];
  }
  defineOwn(node, keys[keys.length - 1]!, value);
}

function deletePath(target: Record<string, unknown>, path: string): void {
  const keys = path.split('.');
  let node: any = target;
  for (const key of keys.slice(0, -1)) {
    node = node?.[key];
    if (node === null || typeof node !== 'object') return;
  }
  delete node[keys[keys.length - 1]!];
}

// --- Values --------------------------------------------------------------------------------

const ODD_STRINGS = [
  '',
  ' ',
  '\u0000',
  '\u202eevil', // right-to-left override
  '\ud800', // a lone surrogate
  '\uFEFFbom',
  'null',
  'undefined',
  'NaN',
  'Infinity',
  '-Infinity',
  '1e309',
  '0x1F',
  '-1',
  '<script>alert(1)</script>',
  '${$root.secret}', // adaptive card template syntax
  "' or PartitionKey ne '",
  '../../etc/passwd',
  'a\r\nSet-Cookie: x=y',
  'ＡＢＣ１２３',
  'Z̤͔ͧ̑̓ä͖̭̈̇l͖͎g̞̥͈ͮ̐o̍',
  '🔥'.repeat(300),
  '%00%2e%2e',
  '__proto__',
];

const oddString = fc.oneof(fc.constantFrom(...ODD_STRINGS), fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }));
const hugeString = fc.constantFrom('x'.repeat(5_000), 'é'.repeat(20_000), '𝔘'.repeat(3_000), 'a '.repeat(30_000));
const deepValue = fc.integer({ min: 20, max: 200 }).map((depth) => JSON.parse('['.repeat(depth) + ']'.repeat(depth)) as unknown);
const POLLUTION_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'PartitionKey', 'RowKey', 'odata.etag'];
const pollutingObject = fc
  .tuple(fc.constantFrom(...POLLUTION_KEYS), fc.jsonValue({ maxDepth: 2 }))
  .map(([key, value]) => {
    const object: Record<string, unknown> = {};
    defineOwn(object, key, value === null || typeof value !== 'object' ? { polluted: true, value } : value);
    return object;
  });

/** Anything that is not a string. */
const notAString = fc.oneof(
  fc.integer(),
  fc.double(), // NaN and ±Infinity are written as null
  fc.constantFrom(RAW('1e309'), RAW('-1e309'), RAW('-0'), RAW('1e-400')),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
  pollutingObject,
  deepValue,
);
const notANumber = fc.oneof(
  fc.constantFrom('120000', '1e3', 'NaN', 'Infinity', '-1', '', '12,000', '0x10'),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.record({ value: fc.integer() }),
);
const notABoolean = fc.oneof(fc.constantFrom('true', 'false', 'yes', 1, 0, null, [], {}), fc.string({ maxLength: 5 }));
const notAnObject = fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }));
const notAnArray = fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.boolean(), fc.constant(null), fc.record({ 0: fc.string() }), pollutingObject);
const tooLong = (max: number) => fc.integer({ min: max + 1, max: max + 50 }).chain((n) => fc.constantFrom('x'.repeat(n), 'ü'.repeat(n), `${' '.repeat(3)}${'y'.repeat(n)}`));
const tooMany = (max: number, item: unknown) => fc.integer({ min: max + 1, max: max + 5 }).map((n) => Array.from({ length: n }, () => clone(item)));
const present = (value: unknown) => value !== null && !(typeof value === 'number' && !Number.isFinite(value));
const notIn = (allowed: string[]) => fc.oneof(fc.string({ maxLength: 20 }).filter((s) => !allowed.includes(s)), fc.constantFrom(...allowed.map((a) => a.toLowerCase()), ...allowed.map((a) => ` ${a}`)), notAString);
const badDate = fc.oneof(
  fc.constantFrom(
    '20.11.2026',
    '2026-11-20',
    '11/20/2026',
    '2026-11-20 09:30:00Z',
    '2026-11-20T09:30:00',
    '2026-11-20T25:00:00Z',
    '2026-00-10T00:00:00Z',
    '2026-02-30T00:00:00Z',
    '2026-11-20T09:30:00+25:00',
    '+275760-09-13T00:00:00Z',
    'yesterday',
    'Invalid Date',
    '1763630000000',
  ),
  fc.integer({ min: 0 }),
  notAString,
);

// --- Referrals -----------------------------------------------------------------------------

/**
 * What a lead cannot exist without, and values that make a referral unreadable: an id it can be
 * kept by, and a status, type and direction this version knows (null is absent: a default).
 */
const REFUSED_FAULTS: Array<[path: string, bad: fc.Arbitrary<unknown>]> = [
  ['id', fc.oneof(fc.constantFrom('', ' ', '-leading-dash', 'has space', 'a/b', 'ünïcode', 'a\u0000', 'x'.repeat(129)), notAString)],
  ['type', notIn(['Independent', 'Shared']).filter(present)],
  ['status', notIn(['None', 'New', 'Active', 'Closed']).filter(present)],
  ['direction', notIn(['Incoming', 'Outgoing']).filter(present)],
];

/** One field of a Partner Center referral and values that do not fit it: read leniently, kept as given or normalized, never a lost lead. */
const KEPT_FAULTS: Array<[path: string, bad: fc.Arbitrary<unknown>]> = [
  ['qualification', notIn(['Direct', 'MarketingQualified', 'SalesQualified'])],
  ['customerProfile', notAnObject],
  ['customerProfile.name', fc.oneof(fc.constantFrom('', '   ', '\t\n'), tooLong(200), notAString)],
  ['customerProfile.address', notAnObject.filter((v) => v !== null)],
  ['customerProfile.address.country', fc.oneof(fc.constantFrom('DEU', 'de', 'D', '', '🇩🇪'), notAString)],
  ['customerProfile.address.city', fc.oneof(tooLong(100), notAString)],
  ['customerProfile.team', fc.oneof(notAnArray, tooMany(20, { firstName: 'A', email: 'a@example.com' }))],
  ['customerProfile.team.0', notAnObject],
  ['customerProfile.team.0.email', fc.oneof(fc.constantFrom('not-an-email', 'a@', '@b.example', 'a b@c.example', `${'a'.repeat(250)}@x.example`), notAString)],
  ['customerProfile.team.0.firstName', fc.oneof(tooLong(100), notAString)],
  ['customerProfile.team.0.contactPreference.disableNotifications', notABoolean],
  ['name', fc.oneof(tooLong(200), notAString)],
  ['substatus', notIn(['None', 'Pending', 'Received', 'Accepted', 'Won', 'Lost', 'Declined', 'Expired'])],
  ['statusReason', fc.oneof(tooLong(1000), notAString)],
  ['externalReferenceId', fc.oneof(tooLong(128), notAString)],
  ['createdDateTime', badDate],
  ['expirationDateTime', badDate],
  ['updatedDateTime', badDate],
  ['consentDetails', notAnObject.filter((v) => v !== null)],
  ['consentDetails.consentToContact', notABoolean],
  ['details', notAnObject.filter((v) => v !== null)],
  ['details.notes', fc.oneof(tooLong(4000), notAString)],
  [
    'details.dealValue',
    fc.oneof(
      notANumber,
      fc.integer({ max: -1 }),
      fc.double({ max: -1e-9, noNaN: true, noDefaultInfinity: true }),
      fc.double({ min: 1.0001e12, noNaN: true, noDefaultInfinity: true }),
      fc.constantFrom(RAW('1e309'), RAW('-1e309')),
    ),
  ],
  ['details.currency', fc.oneof(fc.constantFrom('eur', 'EURO', '€', '', 'E U'), notAString)],
  ['details.closingDateTime', badDate],
  ['details.customerRequestedContact', notABoolean],
  ['details.requirements', notAnObject.filter((v) => v !== null)],
  ['details.requirements.industries', fc.oneof(notAnArray, tooMany(20, 'Retail'), fc.constant([1, 2]), fc.constant(['x'.repeat(101)]))],
  ['details.requirements.solutions', fc.oneof(notAnArray, fc.constant(['just a string']), fc.constant([{ name: 42 }]))],
  ['team', fc.oneof(notAnArray, tooMany(20, { firstName: 'B' }))],
];

/** Keys a valid referral may carry without harm (unknown fields are dropped). */
const junkKey = fc.oneof(fc.constantFrom(...POLLUTION_KEYS), fc.string({ minLength: 1, maxLength: 12 }).map((s) => `x-${s}`));
const junk = fc.array(fc.tuple(fc.constantFrom('', 'customerProfile', 'details', 'consentDetails'), junkKey, fc.oneof(fc.jsonValue({ maxDepth: 2 }), pollutingObject)), { maxLength: 3 });

interface FaultyReferral extends Body {
  /** The field at fault. */
  path: string;
}

/** One referral, or a batch of up to three with one at fault: its field set to one of `faults`' values, its others junk-keyed. */
const faulty = (faults: Array<[path: string, bad: fc.Arbitrary<unknown>]>, idPrefix: string): fc.Arbitrary<FaultyReferral> =>
  fc
    .tuple(
      fc.integer({ min: 0, max: faults.length - 1 }),
      fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }) }), // null: one referral, else a batch
      junk,
      fc.integer({ min: 0, max: 1e9 }),
    )
    .chain(([fault, batchSize, junkKeys, tag]) => {
      const [path, bad] = faults[fault]!;
      return bad.chain((value) =>
        fc.integer({ min: 0, max: (batchSize ?? 1) - 1 }).map((faultyIndex) => {
          const referrals = Array.from({ length: batchSize ?? 1 }, (_, i) => clone(referral({ id: `${idPrefix}-${tag}-${i}` })) as Record<string, unknown>);
          const target = referrals[faultyIndex]!;
          for (const [where, key, junkValue] of junkKeys) setPath(target, where ? `${where}.${key}` : key, junkValue);
          setPath(target, path, value);
          const fullPath = batchSize === null ? path : `${faultyIndex}.${path}`;
          const body = batchSize === null ? target : referrals;
          return { label: `referral with ${fullPath} = ${preview(value)}`, path: fullPath, text: toJsonText(body) };
        }),
      );
    });

/** A referral (or batch) one of whose referrals cannot be read: refused whole, naming the field. */
export const unreadableReferral = faulty(REFUSED_FAULTS, 'fuzz-never-stored');
/** A referral (or batch) with one value that does not fit: taken, the value kept as given or normalized. */
export const oddReferral = faulty(KEPT_FAULTS, 'fuzz-kept');

/** Any JSON at all, and text that is not JSON. */
export const arbitraryBody: fc.Arbitrary<Body> = fc.oneof(
  fc.jsonValue({ maxDepth: 6 }).map((value) => ({ label: 'arbitrary JSON', text: JSON.stringify(value) ?? 'null' })),
  fc.dictionary(junkKey, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }).map((value) => ({ label: 'object of junk keys', text: JSON.stringify(value) })),
  fc.string({ unit: 'binary', maxLength: 200 }).map((text) => ({ label: 'arbitrary text', text })),
  fc.constantFrom('{', '{"id":', '[1,2', '{"id":"a",}', "{'id':'a'}", '{"id":NaN}', '{"id":Infinity}', '{"a":1}{"b":2}', 'undefined', '\uFEFF{}', '{"id":"\\ud800"}', '// comment\n{}').map((text) => ({ label: 'almost JSON', text })),
);

export function preview(value: unknown): string {
  const text = typeof value === 'string' ? JSON.stringify(value) : toJsonText(value);
  return text.length > 80 ? `${text.slice(0, 77)}… (${text.length} chars)` : text;
}

// --- Teams activities ----------------------------------------------------------------------

/** Fields of an activity that botbuilder or the bot read. */
const ACTIVITY_PATHS = [
  'type',
  'id',
  'name',
  'action',
  'channelId',
  'serviceUrl',
  'timestamp',
  'localTimestamp',
  'deliveryMode',
  'from',
  'from.id',
  'from.name',
  'from.aadObjectId',
  'from.role',
  'recipient',
  'recipient.id',
  'conversation',
  'conversation.id',
  'conversation.conversationType',
  'conversation.tenantId',
  'channelData',
  'channelData.tenant',
  'channelData.tenant.id',
  'channelData.eventType',
  'text',
  'locale',
  'localTimezone',
  'replyToId',
  'entities',
  'attachments',
  'membersAdded',
  'membersRemoved',
  'value',
  'value.action',
  'value.action.type',
  'value.action.verb',
  'value.action.data',
  'value.trigger',
];

export const oddValue = fc.oneof(oddString, hugeString, notAString);

type ActivityMutation = { op: 'set'; path: string; value: unknown } | { op: 'delete'; path: string };

export const activityMutations: fc.Arbitrary<ActivityMutation[]> = fc.array(
  fc.oneof(
    { weight: 4, arbitrary: fc.record({ op: fc.constant('set' as const), path: fc.constantFrom(...ACTIVITY_PATHS), value: oddValue }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), path: fc.constantFrom(...ACTIVITY_PATHS) }) },
  ),
  { minLength: 1, maxLength: 3 },
);

export function mutate(activity: object, mutations: ActivityMutation[]): Record<string, unknown> {
  const copy = clone(activity) as Record<string, unknown>;
  for (const m of mutations) {
    if (m.op === 'set') setPath(copy, m.path, m.value);
    else deletePath(copy, m.path);
  }
  return copy;
}

export const describeMutations = (mutations: ActivityMutation[]) =>
  mutations.map((m) => (m.op === 'set' ? `${m.path} = ${preview(m.value)}` : `no ${m.path}`)).join(', ');

/**
 * Card verbs the app knows (from its own routing tables), and ones it does not. Favorite and
 * unfavorite are left out: anyone may use them, and they store a change by design.
 */
const KNOWN_VERBS = [
  'refresh',
  'lead.open',
  'list.page',
  ...FORM_VERBS.keys(),
  ...[...SUBMIT_VERBS.keys()].filter((v) => v !== 'lead.favorite' && v !== 'lead.unfavorite'),
];
export const verb = fc.oneof(
  fc.constantFrom(...KNOWN_VERBS),
  fc.constantFrom('lead.delete', 'LEAD.ACCEPT', 'lead.accept ', 'admin.grant', 'constructor', '__proto__', 'toString', 'x'.repeat(65)),
  oddString,
);

const FORM_INPUTS = Object.keys(formInputsSchema.shape);
const formValue = fc.oneof(
  oddString,
  oddValue,
  fc.constantFrom('2027-13-45', '31.12.2027', '12/31/2027', '2027-06-01T00:00:00Z', '-5', '1e309', 'NaN', '0x10', 'EURO', 'eur', 'others', 'budget'),
);

/** `action.data` of a card action: a lead id (forged or given), a revision and form inputs, all untrusted. */
export const cardData = (leadIds: fc.Arbitrary<unknown>) =>
  fc
    .record(
      {
        leadId: leadIds,
        revision: fc.oneof(fc.integer(), fc.constantFrom('1', 'NaN', '-1', '1e309', '', RAW('1e309'), 1.5, null, [], {})),
        view: fc.oneof(fc.constantFrom('marketplace', 'qualified', 'favorites', 'archived', 'all', 'Marketplace'), oddValue),
        cursor: oddValue,
        back: fc.oneof(fc.array(oddString, { maxLength: 3 }), oddValue, fc.constant(Array.from({ length: 201 }, () => 'c'))),
        inputs: fc.dictionary(fc.constantFrom(...FORM_INPUTS), formValue, { maxKeys: 6 }),
      },
      { requiredKeys: [] },
    )
    .chain(({ inputs, ...data }) => junk.map((junkKeys) => {
      const result: Record<string, unknown> = { ...data, ...inputs };
      for (const [, key, value] of junkKeys) defineOwn(result, key, value);
      return result;
    }));

/** A lead id nobody stored, in many shapes. */
export const forgedLeadId = fc.oneof(
  fc.uuid(),
  fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,40}$/).map((id) => `forged-${id}`),
  oddString,
  notAString,
);
