import { referral } from '../fixtures/referrals';
import { getJson, postJson, startServer } from '../support/http';
import { startTestStorage, type TestStorage } from '../support/storage';

const KEY = 'test-key-0123456789abcdef';
const auth = { authorization: `Bearer ${KEY}` };

let storage: TestStorage;
let server: Awaited<ReturnType<typeof startServer>>;

beforeAll(async () => {
  storage = await startTestStorage();
  server = await startServer(storage, { LEADS_API_KEY: KEY });
});
afterAll(async () => {
  await server.stop();
  await storage.close();
});

describe('POST /api/leads', () => {
  it('answers 201 with the id for a new referral, then 200 duplicate for the same id with nothing changed', async () => {
    const input = referral();
    const created = await postJson(`${server.url}/api/leads`, input, auth);
    expect(created).toMatchObject({ status: 201, body: { id: input.id } });

    const again = await postJson(`${server.url}/api/leads`, { ...input, name: 'Changed name' }, auth);
    expect(again).toMatchObject({ status: 200, body: { id: input.id, duplicate: true } });
    const read = await getJson(`${server.url}/api/leads/${input.id}`, auth);
    expect(read.body.name).toBe(input.name);
  });

  it('answers 20 identical referrals sent at once with one 201 and nineteen duplicates', async () => {
    const input = referral();
    const answers = await Promise.all(Array.from({ length: 20 }, () => postJson(`${server.url}/api/leads`, input, auth)));
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 200 && a.body.duplicate)).toHaveLength(19);
  });

  it('takes a batch of referrals and says which were new', async () => {
    const known = referral();
    await postJson(`${server.url}/api/leads`, known, auth);
    const fresh = referral();
    const answer = await postJson(`${server.url}/api/leads`, [known, fresh], auth);
    expect(answer).toMatchObject({ status: 201, body: { results: [{ id: known.id, duplicate: true }, { id: fresh.id }] } });
  });

  it('answers 400 for a referral it cannot read, saying why, and stores nothing of the batch', async () => {
    const fine = referral();
    const paused = { ...referral(), status: 'Paused' };
    const answer = await postJson(`${server.url}/api/leads`, [fine, paused], auth);
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('validation');
    expect(answer.body.error.issues).toEqual([{ path: '1.status', message: 'its status "Paused" is not one this version knows (None, New, Active, Closed)' }]);
    for (const id of [fine.id, paused.id]) expect((await getJson(`${server.url}/api/leads/${id}`, auth)).status).toBe(404);
  });

  it('takes a referral whose values merely do not fit, and says which are kept as given', async () => {
    const odd = { ...referral(), qualification: 'Lukewarm', customerProfile: { name: 'C', team: [{ email: 'nope' }] } };
    const answer = await postJson(`${server.url}/api/leads`, odd, auth);
    expect(answer).toMatchObject({ status: 201, body: { id: odd.id, asGiven: [{ path: 'qualification', value: 'Lukewarm', why: expect.any(String) }] } });
    const stored = await getJson(`${server.url}/api/leads/${odd.id}`, auth);
    expect(stored.body).toMatchObject({ type: 'customerInquiry', contacts: [{ email: 'nope' }], partnerCenter: { asGiven: [{ path: 'qualification', value: 'Lukewarm' }] } });
  });

  it('answers 400 for malformed JSON and for an empty body', async () => {
    expect(await postJson(`${server.url}/api/leads`, '{"id": ', auth)).toMatchObject({ status: 400, body: { error: { code: 'malformed_json' } } });
    expect(await postJson(`${server.url}/api/leads`, '', auth)).toMatchObject({ status: 400, body: { error: { code: 'malformed_json' } } });
  });

  it('answers 413 for a body over 256 KB', async () => {
    const huge = JSON.stringify({ ...referral(), padding: 'x'.repeat(300 * 1024) });
    expect(await postJson(`${server.url}/api/leads`, huge, auth)).toMatchObject({ status: 413, body: { error: { code: 'payload_too_large' } } });
  });

  it('answers 415 for a body that is not declared JSON, and stores nothing', async () => {
    const input = referral();
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const answer = await postJson(`${server.url}/api/leads`, input, { ...auth, 'content-type': type });
      expect(answer).toMatchObject({ status: 415, body: { error: { code: 'unsupported_media_type' } } });
    }
    expect((await postJson(`${server.url}/api/leads`, input, { ...auth, 'content-type': 'application/json; charset=utf-8' })).status).toBe(201);
  });

  it('checks the key before the body: a caller without it gets 401 whatever it sends', async () => {
    expect((await postJson(`${server.url}/api/leads`, 'x'.repeat(300 * 1024))).status).toBe(401);
    expect((await postJson(`${server.url}/api/leads`, referral(), { 'content-type': 'text/plain' })).status).toBe(401);
  });

  it('answers 401 without the key or with a wrong one', async () => {
    expect((await postJson(`${server.url}/api/leads`, referral())).status).toBe(401);
    expect((await postJson(`${server.url}/api/leads`, referral(), { authorization: 'Bearer wrong-key-wrong-key' })).status).toBe(401);
    expect((await getJson(`${server.url}/api/leads/x`)).status).toBe(401);
  });
});

describe('GET /api/leads/:id', () => {
  it('returns the lead with stage, outcome and audit history', async () => {
    const input = referral({ createdDateTime: '2020-01-01T00:00:00Z' });
    await postJson(`${server.url}/api/leads`, input, auth);
    const answer = await getJson(`${server.url}/api/leads/${input.id}`, auth);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ id: input.id, stage: 'Archived', outcome: 'Expired', partnerCenter: { status: 'Closed', substatus: 'Expired' } });
    expect(answer.body.history).toEqual([expect.objectContaining({ type: 'receive', actor: { id: 'system', name: 'Partner Leads' } })]);
  });

  it('answers 404 for an unknown lead', async () => {
    expect(await getJson(`${server.url}/api/leads/unknown-1`, auth)).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
  });
});

describe('health', () => {
  it('says the process is up and storage answers', async () => {
    expect(await getJson(`${server.url}/healthz`)).toMatchObject({ status: 200 });
    expect(await getJson(`${server.url}/readyz`)).toMatchObject({ status: 200, body: { status: 'ready' } });
  });
});

describe('when storage stops answering', () => {
  it('answers 503 with Retry-After, and /readyz says not ready', async () => {
    const other = await startTestStorage();
    const running = await startServer(other, { LEADS_API_KEY: KEY });
    try {
      await other.close();
      const answer = await postJson(`${running.url}/api/leads`, referral(), auth);
      expect(answer.status).toBe(503);
      expect(answer.headers.get('retry-after')).toBe('5');
      expect((await getJson(`${running.url}/readyz`)).status).toBe(503);
    } finally {
      await running.stop();
    }
  });
});

describe('without LEADS_API_KEY (development)', () => {
  it('accepts callers on this machine', async () => {
    const dev = await startServer(storage);
    try {
      expect((await postJson(`${dev.url}/api/leads`, referral())).status).toBe(201);
    } finally {
      await dev.stop();
    }
  });
});
