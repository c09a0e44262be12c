/**
 * Bad input against the running app: a few thousand generated malformed referrals and Teams
 * activities (fast-check, fixed seed: FUZZ_SEED=<n> to try another), then named cases a reviewer
 * can read. The only answers are 4xx — or, for a card action, HTTP 200 with a friendly card,
 * message or error — the server stays up and logs no error, and nothing is stored.
 */
import fc from 'fast-check';
import { referral } from '../fixtures/referrals';
import { API_KEY, cardText, startLiveWorld, type LiveWorld } from '../support/liveWorld';
import {
  activityMutations,
  arbitraryBody,
  cardData,
  describeMutations,
  oddReferral,
  unreadableReferral,
  forgedLeadId,
  mutate,
  oddValue,
  preview,
  setPath,
  toJsonText,
  verb,
} from '../support/malformed';
import { eventually } from '../support/processes';
import type { TableName } from '../../services/storage/tables';
import { ADMIN_ID, PARTNER_ADMIN_ID } from '../support/settings';
import { acceptForm, botAdded, channel, dana, execute, groupChat, installUpdate, message, pat, personal, TENANT_ID, vic, type Place, type TeamsUser } from '../support/teamsActivities';

const SEED = Number(process.env.FUZZ_SEED ?? 20261127);
const PARALLEL = 8;
const AUTH = { authorization: `Bearer ${API_KEY}` };
const JSON_TYPE = { 'content-type': 'application/json' };
const OTHER_TENANT = '0badf00d-0000-4000-8000-000000000666';
const CARD_ACTION_ANSWERS = ['application/vnd.microsoft.card.adaptive', 'application/vnd.microsoft.activity.message', 'application/vnd.microsoft.error'];

interface Answer {
  status: number;
  contentType: string;
  text: string;
  json: any;
}

let world: LiveWorld;
let exited = false;

async function send(method: 'GET' | 'POST', path: string, body?: string, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(`${world.app.url}${path}`, { method, headers, body });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text, json };
}

const postLeads = (text: string, headers: Record<string, string> = { ...JSON_TYPE, ...AUTH }) => send('POST', '/api/leads', text, headers);
const postActivity = (activity: unknown, headers: Record<string, string> = JSON_TYPE) => send('POST', '/api/messages', toJsonText(activity), headers);

/** Fails with the case's label and what came back. */
function must(condition: boolean, label: string, answer: Answer, expectation: string): void {
  if (!condition) throw new Error(`${label}\n  expected ${expectation}\n  got ${answer.status} ${answer.contentType} ${answer.text.slice(0, 400)}`);
}

/** What every answer must be: no 5xx, JSON (or nothing), no stack trace, no HTML page. */
function mustBeTidy(label: string, answer: Answer): void {
  must(answer.status < 500, label, answer, 'no 5xx');
  must(!answer.text || answer.contentType.startsWith('application/json'), label, answer, 'a JSON body');
  must(!/\bat .+:\d+:\d+|node_modules|<html|<!doctype/i.test(answer.text), label, answer, 'no stack trace or HTML');
}

function mustBeRefusedReferral(label: string, answer: Answer, path?: string): void {
  mustBeTidy(label, answer);
  must(answer.status === 400, label, answer, '400');
  if (path === undefined) return;
  const issues: { path: string }[] = answer.json?.error?.issues ?? [];
  must(
    issues.some((i) => i.path === path || i.path.startsWith(`${path}.`)),
    label,
    answer,
    `an issue naming ${path}`,
  );
}

/** An invoke for a card action is always HTTP 200 with a card, a message or an error to show. */
function mustBeFriendlyCardAnswer(label: string, answer: Answer): void {
  mustBeTidy(label, answer);
  must(answer.status === 200, label, answer, 'HTTP 200');
  must(CARD_ACTION_ANSWERS.includes(answer.json?.type), label, answer, 'a card, a message or an error body');
  must(answer.json?.statusCode !== 500, label, answer, 'not an internal error');
  if (answer.json?.type === 'application/vnd.microsoft.error') must(typeof answer.json?.value?.message === 'string', label, answer, 'an error message');
}

/** Sends PARALLEL generated cases at a time, `runs` times; fast-check reports seed and counter-example. */
async function storm<T>(runs: number, arbitrary: fc.Arbitrary<T>, check: (input: T) => Promise<void>): Promise<void> {
  await fc.assert(
    fc.asyncProperty(fc.array(arbitrary, { minLength: PARALLEL, maxLength: PARALLEL }), async (batch) => {
      await Promise.all(batch.map(check));
    }),
    { seed: SEED, numRuns: runs, endOnFailure: true },
  );
}

/** Everything stored about leads and roles, ETags and timestamps included (not the leads the storm of odd values made on purpose). */
async function storedRows(): Promise<{ leads: unknown[]; roles: unknown[] }> {
  const read = async (table: TableName) => {
    const rows: Record<string, unknown>[] = [];
    for await (const row of world.table(table).listEntities()) if (!String(row.partitionKey).startsWith('fuzz-kept-')) rows.push(row);
    return rows.sort((a, b) => `${a.partitionKey}|${a.rowKey}`.localeCompare(`${b.partitionKey}|${b.rowKey}`));
  };
  return { leads: await read('Leads'), roles: await read('Roles') };
}

const leadJson = async (id: string) => (await send('GET', `/api/leads/${encodeURIComponent(id)}`, undefined, AUTH)).text;

const place = channel('19:bad-input@thread.tacv2');
const otherTenant: Place = {
  conversation: { id: '19:elsewhere@thread.tacv2', conversationType: 'channel', tenantId: OTHER_TENANT, isGroup: true },
  channelData: { tenant: { id: OTHER_TENANT }, team: { id: '19:elsewhere-team@thread.tacv2' }, channel: { id: '19:elsewhere@thread.tacv2' } },
};
const stranger: TeamsUser = { id: '29:stranger', aadObjectId: '', name: 'Someone Else' };
const received = referral({ name: 'Untouchable received lead' });
const accepted = referral({ name: 'Untouchable accepted lead' });
let before: Awaited<ReturnType<typeof storedRows>>;
let beforeLeads: Record<string, string>;

beforeAll(async () => {
  world = await startLiveWorld({
    env: { LEAD_ADMIN_IDS: ADMIN_ID, PARTNER_ADMIN_IDS: PARTNER_ADMIN_ID, ALLOWED_TENANT_IDS: TENANT_ID },
    places: [place],
  });
  void world.app.exited.then(() => (exited = true));
  expect((await world.ingest(received)).status).toBe(201);
  expect((await world.ingest(accepted)).status).toBe(201);
  const accept = await postActivity(execute(place, dana, 'lead.accept', acceptForm(accepted.id), world.connector.url));
  expect(accept.json?.type).toBe('application/vnd.microsoft.card.adaptive');
  // Settled: the projector has taken its "pending" rows, so the tables hold still from here.
  await eventually('the projector to settle', async () => (await world.pendingOutbox()) === 0 && (await storedRows()).leads.every((r: any) => !r.rowKey.startsWith('pending|')));
  before = await storedRows();
  beforeLeads = { [received.id]: await leadJson(received.id), [accepted.id]: await leadJson(accepted.id) };
  expect(JSON.parse(beforeLeads[accepted.id]!)).toMatchObject({ stage: 'Accepted', revision: 2 });
});
afterAll(() => world?.close());

describe('a storm of generated bad input', () => {
  it('POST /api/leads: a referral (or batch) one of which cannot be read (no usable id, an unknown status, type or direction) is refused with 400 naming that field', async () => {
    await storm(40, unreadableReferral, async (input) => mustBeRefusedReferral(input.label, await postLeads(input.text), input.path));
  });

  it('POST /api/leads: a referral with a value that does not fit is taken, the value kept as given (and said so) or normalized: no lead lost', async () => {
    await storm(80, oddReferral, async (input) => {
      const answer = await postLeads(input.text);
      mustBeTidy(input.label, answer);
      must(answer.status === 201 || answer.status === 200, input.label, answer, '201 (or 200 for a duplicate)');
      const results: { id: string; asGiven?: { path: string; value: string; why: string }[] }[] = answer.json?.results ?? [answer.json];
      for (const result of results) {
        const kept = result.asGiven ?? [];
        must(kept.every((a) => typeof a.path === 'string' && typeof a.value === 'string' && typeof a.why === 'string'), input.label, answer, 'values kept as given, each with where, what and why');
        const stored = await send('GET', `/api/leads/${encodeURIComponent(result.id)}`, undefined, AUTH);
        must(stored.status === 200, input.label, stored, 'the lead stored');
      }
    });
  });

  it('POST /api/leads: arbitrary JSON, almost-JSON and plain text are refused with 400', async () => {
    await storm(50, arbitraryBody, async (input) => mustBeRefusedReferral(`${input.label}: ${preview(input.text)}`, await postLeads(input.text)));
  });

  it('POST /api/leads: a body that is not declared JSON is 415, and a missing or wrong key is 401, even for a valid referral', async () => {
    const contentType = fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/jsonp', 'json', '', 'application/octet-stream');
    const wrongKey = fc.oneof(
      fc.constantFrom('', 'Bearer', 'Bearer ', `Basic ${Buffer.from(`user:${API_KEY}`).toString('base64')}`, API_KEY, `Bearer ${API_KEY.toUpperCase()}`, `Bearer ${API_KEY.slice(0, -1)}`, `Bearer ${API_KEY}x`, `Token ${API_KEY}`),
      fc.string({ maxLength: 60 }).map((s) => `Bearer ${s.trim()}`).filter((h) => h.trim() !== `Bearer ${API_KEY}`),
    );
    const cases = fc.oneof(
      contentType.map((type) => ({ label: `content-type ${JSON.stringify(type)}`, headers: { ...AUTH, ...(type ? { 'content-type': type } : {}) } as Record<string, string>, expected: 415 })),
      wrongKey.map((key) => ({ label: `authorization ${JSON.stringify(key)}`, headers: { ...JSON_TYPE, ...(key ? { authorization: key } : {}) } as Record<string, string>, expected: 401 })),
    );
    await storm(25, cases, async ({ label, headers, expected }) => {
      const answer = await postLeads(JSON.stringify(referral()), headers);
      mustBeTidy(label, answer);
      must(answer.status === expected, label, answer, String(expected));
    });
  });

  it('GET /api/leads/:id with a forged or odd id is 404', async () => {
    const id = fc.oneof(forgedLeadId.map((v) => (typeof v === 'string' ? v : toJsonText(v))), fc.constantFrom('..', '%2e%2e', 'lead', 'pending', `${received.id}/history`, `${received.id}%00`, 'x'.repeat(300)));
    await storm(15, id, async (leadId) => {
      const answer = await send('GET', `/api/leads/${encodeURIComponent(leadId)}`, undefined, AUTH);
      mustBeTidy(`GET lead ${preview(leadId)}`, answer);
      must(answer.status === 404, `GET lead ${preview(leadId)}`, answer, '404');
    });
  });

  it('POST /api/messages: an activity with fields of the wrong type, missing, huge or oddly encoded is refused (4xx) or answered politely', async () => {
    const url = () => world.connector.url;
    const bases: Array<[string, () => object]> = [
      ['a viewer types help', () => message(place, vic, 'help', url())],
      ['a viewer asks for a lead in a personal chat', () => message(personal(vic), vic, `lead ${received.id}`, url())],
      ['a viewer clicks Accept', () => execute(place, vic, 'lead.accept', acceptForm(received.id), url())],
      ['an admin clicks Accept on a forged lead', () => execute(place, dana, 'lead.accept', acceptForm('forged-lead'), url())],
      ['the app is added to a chat', () => installUpdate(groupChat('19:fuzz-install@thread.v2'), vic, url())],
      ['the bot joins a chat', () => botAdded(groupChat('19:fuzz-added@thread.v2'), vic, url())],
    ];
    const cases = fc.tuple(fc.integer({ min: 0, max: bases.length - 1 }), activityMutations);
    await storm(100, cases, async ([base, mutations]) => {
      const [name, build] = bases[base]!;
      const label = `${name}, with ${describeMutations(mutations)}`;
      const answer = await postActivity(mutate(build(), mutations));
      mustBeTidy(label, answer);
      must(answer.status === 200 || (answer.status >= 400 && answer.status < 500), label, answer, '200 or 4xx');
    });
  });

  it('POST /api/messages: card actions with untrusted verbs and data get HTTP 200 with a card, a message or an error', async () => {
    // Viewers may aim at real leads (they may not change them); admins only at leads nobody stored.
    const realOrForged = fc.oneof(fc.constantFrom(received.id, accepted.id), forgedLeadId);
    const clickers = fc.oneof(
      fc.record({ who: fc.constantFrom(vic, stranger), where: fc.constant(place), leadId: fc.constant(realOrForged) }),
      fc.record({ who: fc.constantFrom(dana, pat), where: fc.constant(place), leadId: fc.constant(forgedLeadId) }),
      fc.record({ who: fc.constantFrom(dana, pat), where: fc.constant(otherTenant), leadId: fc.constant(realOrForged) }),
    );
    const cases = clickers.chain(({ who, where, leadId }) =>
      fc.record({
        who: fc.constant(who),
        where: fc.constant(where),
        value: fc.oneof(
          { weight: 6, arbitrary: fc.record({ action: fc.record({ type: fc.constant('Action.Execute'), verb, data: cardData(leadId) }), trigger: fc.constantFrom('manual', 'automatic') }) },
          { weight: 1, arbitrary: fc.record({ action: fc.record({ type: oddValue, verb, data: oddValue }), trigger: oddValue }, { requiredKeys: [] }) },
          { weight: 1, arbitrary: oddValue },
        ),
      }),
    );
    await storm(100, cases, async ({ who, where, value }) => {
      const activity = { ...execute(where, who, 'refresh', {}, world.connector.url), value };
      const label = `${who.name} in ${where.conversation.tenantId === TENANT_ID ? 'our tenant' : 'another tenant'} sends ${preview(value)}`;
      mustBeFriendlyCardAnswer(label, await postActivity(activity));
    });
  });

  it('POST /api/messages: arbitrary bodies are 4xx', async () => {
    await storm(25, arbitraryBody, async (input) => {
      const label = `${input.label}: ${preview(input.text)}`;
      const answer = await send('POST', '/api/messages', input.text, JSON_TYPE);
      mustBeTidy(label, answer);
      must(answer.status >= 400 && answer.status < 500, label, answer, '4xx');
    });
  });
});

describe('named cases', () => {
  it("an admin's Accept naming a forged lead id is told the lead does not exist, and nothing is created", async () => {
    const forged = await postActivity(execute(place, dana, 'lead.accept', acceptForm('ref-forged-0001'), world.connector.url));
    expect(forged.status).toBe(200);
    expect(forged.json).toMatchObject({ type: 'application/vnd.microsoft.activity.message', value: 'This lead no longer exists.' });

    const notAnId = await postActivity(execute(place, dana, 'lead.accept', { ...acceptForm('ref-forged-0002'), leadId: { $ne: null } }, world.connector.url));
    expect(notAnId.json).toMatchObject({ type: 'application/vnd.microsoft.error', value: { message: 'This card action names no valid lead.' } });
    expect((await world.lead('ref-forged-0001')).status).toBe(404);
  });

  it("an admin in another tenant's conversation is refused, and the lead stays as it was", async () => {
    const click = await postActivity(execute(otherTenant, dana, 'lead.accept', acceptForm(received.id), world.connector.url));
    expect(click.status).toBe(200);
    expect(click.json).toMatchObject({ type: 'application/vnd.microsoft.error', value: { message: 'This organization may not use this app.' } });

    const typed = await postActivity(message(otherTenant, dana, `lead ${received.id}`, world.connector.url));
    expect(typed.status).toBe(200);
    expect(world.connector.posts(otherTenant.conversation.id)).toHaveLength(0); // not even an answer
    expect(await leadJson(received.id)).toBe(beforeLeads[received.id]);
  });

  it('a 5 MB body is 413 on both endpoints', async () => {
    const huge = JSON.stringify({ ...referral(), details: { notes: 'x'.repeat(5 * 1024 * 1024) } });
    const leads = await postLeads(huge);
    expect(leads.status).toBe(413);
    expect(leads.json.error.code).toBe('payload_too_large');
    const teams = await send('POST', '/api/messages', huge, JSON_TYPE);
    expect(teams.status).toBe(413);
  });

  it('1000-deep nested JSON is 400 on both endpoints, and in a referral field names the field', async () => {
    const deep = `${'{"a":'.repeat(1000)}1${'}'.repeat(1000)}`;
    mustBeRefusedReferral('1000-deep object', await postLeads(deep), 'id');
    mustBeRefusedReferral('1000-deep array', await postLeads(`${'['.repeat(1000)}${']'.repeat(1000)}`));
    // In a field, it is kept as given (shown as text), not refused: the lead is not lost for it.
    const inField = JSON.parse(JSON.stringify(referral({ id: 'fuzz-kept-deep-notes' }))) as Record<string, unknown>;
    setPath(inField, 'details.notes', JSON.parse(deep));
    const kept = await postLeads(JSON.stringify(inField));
    mustBeTidy('1000-deep notes', kept);
    expect(kept.status).toBe(201);
    expect(kept.json.asGiven).toEqual([expect.objectContaining({ path: 'details.notes' })]);

    const activity = await send('POST', '/api/messages', deep, JSON_TYPE);
    expect(activity.status).toBe(400);
    const deepData = await postActivity({ ...execute(place, dana, 'lead.accept', {}, world.connector.url), value: JSON.parse(deep) });
    mustBeFriendlyCardAnswer('1000-deep card action', deepData);
  });

  it('an unknown verb gets a friendly error, and the lead stays as it was', async () => {
    const answer = await postActivity(execute(place, dana, 'lead.delete', { leadId: received.id }, world.connector.url));
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ type: 'application/vnd.microsoft.error', value: { message: 'This card action is not one Partner Leads knows.' } });
    expect(await leadJson(received.id)).toBe(beforeLeads[received.id]);
  });

  it("a Viewer's Accept gets the card back with a \"not allowed\" notice, and nothing changes", async () => {
    const answer = await postActivity(execute(place, vic, 'lead.accept', acceptForm(received.id), world.connector.url));
    expect(answer.status).toBe(200);
    expect(answer.json.type).toBe('application/vnd.microsoft.card.adaptive');
    expect(cardText(answer.json)).toContain('Only Referrals admins and MPN partner admins can accept leads.');
    expect(await leadJson(received.id)).toBe(beforeLeads[received.id]);
  });

  it("an admin's Accept with a value, a date and a currency in the wrong format comes back as the form with inline errors", async () => {
    const data = { leadId: received.id, revision: 1, dealName: 'Deal', dealValue: '12.000,50 €', currency: 'EURO', purchaseDate: '31.12.2027' };
    const answer = await postActivity(execute(place, dana, 'lead.accept', data, world.connector.url));
    expect(answer.json.type).toBe('application/vnd.microsoft.card.adaptive');
    const card = cardText(answer.json);
    expect(card).toContain('Enter the estimated value as a number');
    expect(card).toContain('Choose a currency');
    expect(card).toContain('Enter the estimated purchase date');
    expect(card).toContain('31.12.2027'); // what was typed is kept
    expect(await leadJson(received.id)).toBe(beforeLeads[received.id]);
  });

  it('prototype-pollution keys reach no object on the server: an empty referral still has no id', async () => {
    const polluting = '{"__proto__":{"id":"polluted","qualification":"Direct","customerProfile":{"name":"P"}},"constructor":{"prototype":{"id":"polluted"}}}';
    mustBeRefusedReferral('__proto__ referral', await postLeads(polluting), 'id');
    const empty = await postLeads('{}');
    expect(empty.json.error.issues.map((i: { path: string }) => i.path)).toEqual(['id']);
  });
});

describe('after all of it', () => {
  it('the server is still up, logged no error, and stored nothing: every lead and role byte for byte as before', async () => {
    expect(exited).toBe(false);
    expect((await send('GET', '/healthz')).status).toBe(200);
    expect(world.app.output.filter((line) => /"level":(50|60)/.test(line))).toEqual([]);

    const after = await storedRows();
    expect(after.leads.length).toBe(before.leads.length);
    expect(after).toEqual(before);
    expect((await world.storedLeadIds()).filter((id) => !id.startsWith('fuzz-kept-')).sort()).toEqual([received.id, accepted.id].sort());
    for (const [id, json] of Object.entries(beforeLeads)) expect(await leadJson(id)).toBe(json);
  });
});
