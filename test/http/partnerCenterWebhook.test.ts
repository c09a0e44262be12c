/** POST /api/partner-center/events and GET /api/partner-center/status, through the real server. */
import { referral } from '../fixtures/referrals';
import { FakeIdentity } from '../support/fakeIdentity';
import { getJson, postJson, startServer } from '../support/http';
import { FakePartnerCenter, syncSettings } from '../support/fakePartnerCenter';
import { startTestStorage, type TestStorage } from '../support/storage';
import { sharedPki } from '../support/testPki';

const API_KEY = 'webhook-test-key-0123456789';

let storage: TestStorage;
let identity: FakeIdentity;
let partnerCenter: FakePartnerCenter;
let server: Awaited<ReturnType<typeof startServer>>;
let events: string;

beforeAll(async () => {
  storage = await startTestStorage();
  const pki = await sharedPki();
  identity = await new FakeIdentity().start(pki.tls);
  partnerCenter = await (await new FakePartnerCenter(identity).start()).startWebhooks(pki);
  server = await startServer(storage, { ...syncSettings(identity, partnerCenter, pki.rootFile, identity.issueRefreshToken()), LEADS_API_KEY: API_KEY });
  events = `${server.url}/api/partner-center/events`;
});
afterAll(async () => {
  await server.stop();
  await partnerCenter.stop();
  await identity.stop();
  await storage.close();
});

const inbox = async () => {
  const rows: unknown[] = [];
  for await (const row of server.storage.tables.PartnerCenter.listEntities({ queryOptions: { filter: "PartitionKey eq 'inbox'" } })) rows.push(row);
  return rows;
};

describe('a signed event from Partner Center', () => {
  it('is stored and answered at once, and its referral becomes a lead', async () => {
    const created = partnerCenter.create(referral({ name: 'Signed event lead' }));
    const started = Date.now();
    const answer = await partnerCenter.notify(events, { name: 'referral-created', referralId: created.id });
    expect(answer).toEqual({ status: 200, body: { status: 'accepted', referralId: created.id } });
    expect(Date.now() - started).toBeLessThan(2000);
    await server.app.settle();
    expect((await server.app.leads.get(created.id))?.lead.name).toBe('Signed event lead');
    expect(await inbox()).toEqual([]);
  });

  it('is harmless when it comes again, also signed in x-ms-signature', async () => {
    const created = partnerCenter.create(referral());
    for (let i = 0; i < 3; i++) {
      const answer = await partnerCenter.notify(events, { name: i === 0 ? 'referral-created' : 'referral-updated', referralId: created.id }, { header: i === 2 ? 'x-ms-signature' : 'authorization' });
      expect(answer.status).toBe(200);
      await server.app.settle();
    }
    const history = await server.app.leads.history(created.id);
    expect(history.map((e) => e.type)).toEqual(['receive']);
  });

  it('of a referral changed in the portal updates the lead', async () => {
    const created = partnerCenter.create(referral());
    await partnerCenter.notify(events, { name: 'referral-created', referralId: created.id });
    await server.app.settle();
    partnerCenter.portalChange(created.id, (r) => Object.assign(r, { status: 'Closed', substatus: 'Declined', statusReason: 'Not a customer' }));
    await partnerCenter.notify(events, { name: 'referral-updated', referralId: created.id });
    await server.app.settle();
    expect((await server.app.leads.get(created.id))?.lead).toMatchObject({ outcome: 'Declined', lastAction: { by: { id: 'partner-center' } } });
  });

  it('that is not about a referral is acknowledged and ignored', async () => {
    expect(await partnerCenter.notify(events, { name: 'test-created', referralId: 'whatever' })).toMatchObject({ status: 200, body: { status: 'ignored' } });
  });
});

describe('an event that Partner Center did not sign', () => {
  const refused = { status: 401, body: { error: { code: 'unauthorized', message: 'The event must be signed by Partner Center' } } };

  it.each([
    ['a body changed after signing', { forge: 'body' as const }],
    ['a certificate from a CA that only calls itself Microsoft', { forge: 'selfSigned' as const }],
  ])('is refused: %s; nothing is stored', async (_what, options) => {
    const created = partnerCenter.create(referral());
    expect(await partnerCenter.notify(events, { name: 'referral-created', referralId: created.id }, options)).toEqual(refused);
    await server.app.settle();
    expect(await server.app.leads.get(created.id)).toBeUndefined();
    expect(await inbox()).toEqual([]);
  });

  it.each([
    ['on a host not allowed', (url: string) => url.replace('127.0.0.1', 'localhost')],
    ['over plain http', (url: string) => url.replace('https://', 'http://')],
  ])('is refused without fetching a certificate URL %s', async (_what, change) => {
    const fetched = partnerCenter.certificateFetches;
    const created = partnerCenter.create(referral());
    expect(await partnerCenter.notify(events, { name: 'referral-created', referralId: created.id }, { certificateUrl: change(partnerCenter.certificateUrl) })).toEqual(refused);
    expect(partnerCenter.certificateFetches).toBe(fetched);
  });

  it('is refused when compressed: its body would be inflated before the signature is checked', async () => {
    const res = await fetch(events, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', authorization: 'Signature abc', 'x-ms-certificate-url': partnerCenter.certificateUrl },
      body: Buffer.from('not really gzip'),
    });
    expect(res.status).toBe(415);
  });

  it('is refused before its body is read when it carries no signature', async () => {
    const res = await fetch(events, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ EventName: 'referral-created' }) });
    expect(res.status).toBe(401);
    expect(res.headers.get('connection')).toBe('close');
  });
});

describe('the status route', () => {
  it('needs the leads API key and answers the sync state', async () => {
    expect((await getJson(`${server.url}/api/partner-center/status`)).status).toBe(401);
    const answer = await getJson(`${server.url}/api/partner-center/status`, { authorization: `Bearer ${API_KEY}` });
    expect(answer).toMatchObject({ status: 200, body: { on: true, waiting: 0, lastPullAt: expect.any(String) } });
    expect(JSON.stringify(answer.body)).not.toMatch(/refresh|secret|token/i);
  });

  it('answers off, and the webhook 404, without the sync; and says how the bot reaches people in Teams', async () => {
    const plain = await startServer(storage, { LEADS_API_KEY: API_KEY });
    try {
      const off = 'the bot has no identity here (development: MicrosoftAppId is not set)';
      expect((await getJson(`${plain.url}/api/partner-center/status`, { authorization: `Bearer ${API_KEY}` })).body).toEqual({
        on: false,
        teams: { activityFeed: { state: 'off', reason: off }, proactiveInstall: { state: 'off', reason: 'PROACTIVE_INSTALL is off' } },
      });
      expect((await postJson(`${plain.url}/api/partner-center/events`, {}, { authorization: 'Signature abc', 'x-ms-certificate-url': 'https://x/y' })).status).toBe(404);
    } finally {
      await plain.stop();
    }
  });
});
