import { tokenRefusal } from '../../teams/inboundToken';
import { referral } from '../fixtures/referrals';
import { untrustedTokens } from '../support/botTokens';
import { postJson, startServer } from '../support/http';
import { startTestStorage, type TestStorage } from '../support/storage';
import { channel, dana, execute, message } from '../support/teamsActivities';

const PRODUCTION = {
  MicrosoftAppId: '11111111-2222-4333-8444-555555555555',
  MicrosoftAppPassword: 'not-a-real-secret',
  MicrosoftAppType: 'SingleTenant',
  MicrosoftAppTenantId: '99999999-2222-4333-8444-555555555555',
  LEADS_API_KEY: 'production-key-0123456789',
};

let storage: TestStorage;
let server: Awaited<ReturnType<typeof startServer>>;
beforeAll(async () => {
  storage = await startTestStorage();
  server = await startServer(storage, PRODUCTION);
});
afterAll(async () => {
  await server.stop();
  await storage.close();
});

describe('in production (MicrosoftAppId set)', () => {
  it('refuses Teams activities that carry no Bot Framework token', async () => {
    const answer = await postJson(`${server.url}/api/messages`, message(channel(), dana, 'help', 'http://127.0.0.1:9/'));
    expect(answer.status).toBe(401);
  });

  it('refuses a caller without a valid token before looking at what it sent', async () => {
    for (const body of [{ type: 42 }, { text: 'no type, no sender' }, []]) {
      const answer = await postJson(`${server.url}/api/messages`, body);
      expect({ status: answer.status, code: answer.body?.error?.code, details: answer.body?.error?.details }).toEqual({ status: 401, code: 'unauthorized', details: undefined });
    }
    const garbage = await postJson(`${server.url}/api/messages`, { type: 42 }, { authorization: 'Bearer not-a-token' });
    expect(garbage.status).toBe(401);
    // The refused body is not read to keep the connection alive.
    expect(garbage.headers.get('connection')).toBe('close');
    const form = await postJson(`${server.url}/api/messages`, 'hello', { 'content-type': 'text/plain' });
    expect(form.status).toBe(401);
  });

  it('refuses a token from an issuer other than the Bot Framework', async () => {
    // Unsigned, with an issuer of its own choosing: refused before any key is looked up.
    const forged = `eyJhbGciOiJub25lIn0.eyJpc3MiOiAiaHR0cHM6Ly9sb2dpbi5ldmlsLmV4YW1wbGUvIiwgImF1ZCI6ICIxMTExMTExMS0yMjIyLTQzMzMtODQ0NC01NTU1NTU1NTU1NTUiLCAic2VydmljZXVybCI6ICJodHRwOi8vMTI3LjAuMC4xOjkvIn0.`;
    const answer = await postJson(`${server.url}/api/messages`, execute(channel(), dana, 'lead.open', { leadId: 'x' }, 'http://127.0.0.1:9/'), { authorization: `Bearer ${forged}` });
    expect(answer.status).toBe(401);
  });

  it('refuses forged, expired and unsigned tokens with a fast 401, without needing the network to fetch signing keys', async () => {
    for (const [kind, token] of Object.entries(untrustedTokens(PRODUCTION.MicrosoftAppId, 'http://127.0.0.1:9/'))) {
      const started = Date.now();
      const answer = await postJson(`${server.url}/api/messages`, execute(channel(), dana, 'lead.open', { leadId: 'x' }, 'http://127.0.0.1:9/'), { authorization: `Bearer ${token}` });
      expect({ kind, status: answer.status, code: answer.body?.error?.code }).toEqual({ kind, status: 401, code: 'unauthorized' });
      expect(Date.now() - started).toBeLessThan(6_000);
    }
  });

  it('refuses leads API callers without the key, even from this machine', async () => {
    expect((await postJson(`${server.url}/api/leads`, referral())).status).toBe(401);
    expect((await postJson(`${server.url}/api/leads`, referral(), { authorization: `Bearer ${PRODUCTION.LEADS_API_KEY}` })).status).toBe(201);
  });
});

describe('a Bot Framework token refused on sight, before any network call', () => {
  const appId = '11111111-2222-4333-8444-555555555555';
  const tokens = untrustedTokens(appId, 'https://smba.trafficmanager.net/emea/');
  const now = Date.now() / 1000;

  test.each([
    ['expired', 'expired'],
    ['unsigned (alg none)', 'not a signed bearer JWT'],
    ['for another app', 'issued for another app'],
  ])('%s → %s', (name, reason) => {
    expect(tokenRefusal(`Bearer ${tokens[name]}`, appId, now)).toBe(reason);
  });

  test('garbage is not a JWT; no header at all is left to botbuilder; a well-formed RSA token needs its signature checked', () => {
    expect(tokenRefusal('Bearer not-a-token', appId, now)).toBe('not a signed bearer JWT');
    expect(tokenRefusal('Basic dXNlcjpwYXNz', appId, now)).toBe('not a signed bearer JWT');
    expect(tokenRefusal('', appId, now)).toBeUndefined();
    expect(tokenRefusal(`Bearer ${tokens['signed by an untrusted key']}`, appId, now)).toBeUndefined();
  });
});
