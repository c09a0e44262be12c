/** The webhook signature check on its own: which certificate URLs are fetched at all, and which certificates are trusted. */
import { sign } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { WebhookVerifier } from '../../../services/partnerCenter/webhook/webhookSignature';
import { issue, rootCa, sharedPki, type Issued, type SharedPki } from '../../support/testPki';

const BODY = Buffer.from('{"EventName":"referral-updated","ResourceUri":"https://api.partnercenter.microsoft.com/engagements/v1/referrals/r1"}');
const DAY = 86_400_000;

let pki: SharedPki;
let server: Server;
let host = '';
const served = new Map<string, Buffer>();
let fetched: string[] = [];

beforeAll(async () => {
  pki = await sharedPki();
  server = createServer({ cert: pki.tls.cert, key: pki.tls.key }, (req, res) => {
    fetched.push(req.url ?? '');
    const body = served.get(req.url ?? '');
    // Not chained: restify, loaded by other test files in this worker, patches
    // http.ServerResponse.prototype.writeHead to return undefined.
    res.writeHead(body ? 200 : 404);
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  fetched = [];
});

/** A signing certificate under the test root, through an issuing CA of this organization. */
async function signer(options: { organization?: string; issuerOnHost?: string; notAfter?: Date } = {}): Promise<{ leaf: Issued; path: string }> {
  const org = options.organization ?? 'Microsoft Corporation';
  const ca = await issue(pki.root, { subject: `CN=Test Issuing CA, O=${org}`, ca: true });
  const path = `/cert/${Math.random().toString(36).slice(2)}.cer`;
  served.set(`${path}.ca`, Buffer.from(ca.cert.rawData));
  const leaf = await issue(ca, {
    subject: `CN=pcnotifications-dispatch.microsoft.com, O=${org}`,
    issuerUrl: `https://${options.issuerOnHost ?? host}${path}.ca`,
    ...(options.notAfter ? { notBefore: new Date(options.notAfter.getTime() - 2 * DAY), notAfter: options.notAfter } : {}),
  });
  served.set(path, Buffer.from(leaf.cert.rawData));
  return { leaf, path };
}

const headers = (leaf: Issued, url: string, body = BODY) => ({
  authorization: `Signature ${sign('sha256', body, leaf.keyPem).toString('base64')}`,
  'x-ms-certificate-url': url,
  'x-ms-signature-algorithm': 'rsa-sha256',
});

// A generous download time: these tests are about what is trusted, on a machine that may be busy.
const verifier = (allowedPrefixes = [`https://${host}/cert/`], now?: () => Date) => new WebhookVerifier({ allowedPrefixes, caFile: pki.rootFile, fetchTimeoutMs: 15_000, now });
const DOCUMENTED = ['https://3psostorageacct.blob.core.windows.net/cert/'];

describe('which certificate URLs are fetched', () => {
  it.each([
    ['another folder of the allowed host', 'https://3psostorageacct.blob.core.windows.net/other/c.cer', DOCUMENTED],
    ['a look-alike of the allowed folder', 'https://3psostorageacct.blob.core.windows.net/certificates/c.cer', DOCUMENTED],
    ['a look-alike host', 'https://3psostorageacct.blob.core.windows.net.evil.example/cert/c.cer', DOCUMENTED],
    ['the allowed host on another port', 'https://3psostorageacct.blob.core.windows.net:22/cert/c.cer', DOCUMENTED],
    ['plain http', 'http://3psostorageacct.blob.core.windows.net/cert/c.cer', DOCUMENTED],
    ['a URL with credentials', 'https://user:pass@3psostorageacct.blob.core.windows.net/cert/c.cer', DOCUMENTED],
    // Variants of a genuine URL (Blob Storage ignores them) would each count as a new, unknown one.
    ['a query after the certificate', 'https://3psostorageacct.blob.core.windows.net/cert/c.cer?n=1', DOCUMENTED],
    ['a fragment after the certificate', 'https://3psostorageacct.blob.core.windows.net/cert/c.cer#1', DOCUMENTED],
    ['an escaped path', 'https://3psostorageacct.blob.core.windows.net/cert/%63.cer', DOCUMENTED],
  ])('refuses %s without fetching it', async (_what, url, allowed) => {
    const { leaf } = await signer();
    const verdict = await verifier(allowed).verify(headers(leaf, url), BODY);
    expect(verdict.ok).toBe(false);
    expect(fetched).toEqual([]);
  });
});

describe('which certificates are trusted', () => {
  it('trusts a Microsoft signing certificate whose issuer it fetches from an allowed host (Authority Information Access)', async () => {
    const { leaf, path } = await signer();
    expect(await verifier().verify(headers(leaf, `https://${host}${path}`), BODY)).toEqual({ ok: true });
    expect(fetched).toEqual([path, `${path}.ca`]);
    // Cached: the second event fetches nothing.
    const cached = verifier();
    await cached.verify(headers(leaf, `https://${host}${path}`), BODY);
    fetched = [];
    expect(await cached.verify(headers(leaf, `https://${host}${path}`), BODY)).toEqual({ ok: true });
    expect(fetched).toEqual([]);
  });

  it.each([
    ['an issuer that is not Microsoft Corporation', { organization: 'Contoso' }, /not issued by Microsoft/],
    ['an issuer on a host not allowed (its chain cannot be built)', { issuerOnHost: 'localhost:1' }, /does not chain to a trusted root/],
    ['a certificate that expired', { notAfter: new Date(Date.now() - DAY) }, /not valid now/],
  ])('refuses %s', async (_what, options, reason) => {
    const { leaf, path } = await signer(options);
    const verdict = await verifier().verify(headers(leaf, `https://${host}${path}`), BODY);
    expect(verdict).toEqual({ ok: false, reason: expect.stringMatching(reason) });
  });

  it('refuses a chain to a root it does not trust, and a signature over another body', async () => {
    const stranger = await rootCa('CN=Stranger Root, O=Microsoft Corporation');
    const leaf = await issue(stranger, { subject: 'CN=pcnotifications-dispatch.microsoft.com, O=Microsoft Corporation' });
    served.set('/cert/stranger.cer', Buffer.from(leaf.cert.rawData));
    expect(await verifier().verify(headers(leaf, `https://${host}/cert/stranger.cer`), BODY)).toMatchObject({ ok: false });
    const { leaf: good, path } = await signer();
    expect(await verifier().verify(headers(good, `https://${host}${path}`, Buffer.from('{"other":1}')), BODY)).toEqual({ ok: false, reason: 'the signature does not match the body' });
  });

  it('keeps a certificate that verified until it expires: later events fetch nothing, however much later', async () => {
    const { leaf, path } = await signer();
    let now = Date.now();
    const kept = verifier(undefined, () => new Date(now));
    expect(await kept.verify(headers(leaf, `https://${host}${path}`), BODY)).toEqual({ ok: true });
    now += 20 * 3_600_000;
    fetched = [];
    expect(await kept.verify(headers(leaf, `https://${host}${path}`), BODY)).toEqual({ ok: true });
    expect(fetched).toEqual([]);
  });

  it('cannot be starved: junk URLs sent without a signature use up the budget of unknown URLs, never a known one', async () => {
    const { leaf, path } = await signer();
    const checker = verifier();
    expect(await checker.verify(headers(leaf, `https://${host}${path}`), BODY)).toEqual({ ok: true });
    for (let i = 0; i < 25; i++) await checker.verify(headers(leaf, `https://${host}/cert/junk-${i}.cer`), BODY);
    expect(await checker.verify(headers(leaf, `https://${host}/cert/junk-late.cer`), BODY)).toEqual({ ok: false, reason: 'too many certificate downloads; try again in a minute' });
    // The genuine URL still verifies, and even a replaced certificate there is fetched again.
    expect(await checker.verify(headers(leaf, `https://${host}${path}`), BODY)).toEqual({ ok: true });
    const { leaf: replaced, path: replacedPath } = await signer();
    served.set(path, served.get(replacedPath)!);
    served.set(`${path}.ca`, served.get(`${replacedPath}.ca`)!);
    expect(await checker.verify(headers(replaced, `https://${host}${path}`), BODY)).toEqual({ ok: true });
  });

  it('refuses a certificate URL that serves something too large, or not a certificate', async () => {
    const { leaf } = await signer();
    served.set('/cert/huge.cer', Buffer.alloc(100 * 1024, 65));
    served.set('/cert/html.cer', Buffer.from('<html>not found</html>'));
    expect(await verifier().verify(headers(leaf, `https://${host}/cert/huge.cer`), BODY)).toEqual({ ok: false, reason: 'the certificate is too large' });
    expect(await verifier().verify(headers(leaf, `https://${host}/cert/html.cer`), BODY)).toEqual({ ok: false, reason: 'the certificate URL served something that is not a certificate' });
  });
});
