/**
 * Partner Center signs each webhook event: RSA over the raw body, the signature in
 * `Authorization: Signature <base64>` (or `x-ms-signature`), the signing certificate at
 * `X-MS-Certificate-Url`. A request is trusted only when that URL is https under an allowed prefix
 * (PARTNER_CENTER_WEBHOOK_CERT_URL_PREFIXES: an unauthenticated caller never makes us fetch a URL
 * of its choosing), the certificate chains to a trusted root, Microsoft Corporation issued it, it is
 * valid now, and the signature verifies. A certificate that verified is kept until it expires, and
 * downloads of URLs never seen to verify share a small budget that cannot starve a known one: junk
 * URLs sent by unsigned callers cost the genuine events nothing.
 */
import { verify as verifySignature, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { ConfigError } from '../../errors';

export type Verdict = { ok: true } | { ok: false; reason: string };

export interface WebhookVerifierOptions {
  /** URL prefixes the signing certificate may come from (its issuers: from their hosts, or Microsoft's). */
  allowedPrefixes: string[];
  /** Roots to trust instead of the system's (a PEM file, for tests and private setups). */
  caFile?: string;
  now?: () => Date;
  /** How long a certificate download may take (Partner Center's event is answered within 2 s). */
  fetchTimeoutMs?: number;
}

const HASHES: Record<string, string> = { 'rsa-sha256': 'sha256', 'rsa-sha384': 'sha384', 'rsa-sha512': 'sha512' };
const FETCH_TIMEOUT_MS = 1_500;
const MAX_CERT_BYTES = 64 * 1024;
const CACHE_MS = 60 * 60_000;
/** A URL that failed is not fetched again this soon. */
const FAILURE_CACHE_MS = 60_000;
const MAX_CACHED = 100;
/** Downloads per minute at most of URLs never seen to verify: unsigned callers name them. */
const DOWNLOADS_PER_MINUTE = 20;
/** Where issuer certificates are also fetched from (Authority Information Access): Microsoft's PKI. */
const ISSUER_DOMAIN = '.microsoft.com';
const MAX_CHAIN = 5;
const MICROSOFT = /(^|\n)O=Microsoft Corporation(\n|$)/;

export class WebhookVerifier {
  private readonly roots: X509Certificate[];
  private readonly cache = new Map<string, { at: number; ttl: number; certificates: Promise<X509Certificate[]> }>();
  private readonly downloads: number[] = [];
  /** Signing certificates that verified, by URL, until they expire. */
  private readonly verified = new Map<string, X509Certificate>();
  private readonly renewedAt = new Map<string, number>();
  private readonly now: () => Date;

  constructor(private readonly options: WebhookVerifierOptions) {
    this.now = options.now ?? (() => new Date());
    this.roots = options.caFile ? readRoots(options.caFile) : rootCertificates.map((pem) => new X509Certificate(pem));
  }

  async verify(headers: Record<string, string | string[] | undefined>, body: Buffer): Promise<Verdict> {
    const header = (name: string) => {
      const value = headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    const signature = /^Signature\s+([A-Za-z0-9+/=]{16,4096})\s*$/i.exec(header('x-ms-signature') ?? header('authorization') ?? '')?.[1];
    if (!signature) return refuse('no signature (Authorization: Signature … or x-ms-signature)');
    const hash = HASHES[(header('x-ms-signature-algorithm') ?? '').trim().toLowerCase()];
    if (!hash) return refuse('X-MS-Signature-Algorithm is missing or not rsa-sha256/384/512');
    const certificateUrl = this.allowedLeafUrl(header('x-ms-certificate-url') ?? '');
    if (typeof certificateUrl === 'string') return refuse(certificateUrl);

    const matches = async (renew: boolean) => {
      const leaf = await this.signingCertificate(certificateUrl, renew);
      const ok = verifySignature(hash, body, leaf.publicKey, Buffer.from(signature, 'base64'));
      // Known only once a signature made with it matched: unsigned callers cannot fill (or flush) what is known.
      if (ok) this.remember(certificateUrl.toString(), leaf);
      return ok;
    };
    try {
      // A certificate kept from before may have been replaced at its URL: fetched again (at most once a minute) before refusing.
      if (await matches(false)) return { ok: true };
      return (await this.mayRenew(certificateUrl)) && (await matches(true)) ? { ok: true } : refuse('the signature does not match the body');
    } catch (error) {
      return refuse((error as Error).message);
    }
  }

  /** Whether a kept certificate may be fetched again now: once a minute per URL, so failing requests cannot make it fetch on every call. */
  private mayRenew(url: URL): boolean {
    const key = url.toString();
    if (!this.verified.has(key)) return false;
    const now = Date.now();
    const last = this.renewedAt.get(key) ?? 0;
    if (now - last < FAILURE_CACHE_MS) return false;
    this.renewedAt.set(key, now);
    this.cache.delete(key);
    return true;
  }

  /** The signing certificate's URL, if it is https under an allowed prefix; otherwise why not. */
  private allowedLeafUrl(value: string): URL | string {
    const url = parsedUrl(value);
    if (typeof url === 'string') return url;
    if (url.protocol !== 'https:') return 'the certificate URL must be https:';
    // One certificate, one URL: variants of a known URL (a query, a fragment, escapes) would each count as unknown.
    if (url.search || url.hash || value.includes('?') || value.includes('#')) return 'the certificate URL must not carry a query or a fragment';
    if (/%/.test(url.pathname)) return 'the certificate URL must not be percent-encoded';
    const allowed = this.options.allowedPrefixes.some((prefix) => url.toString().startsWith(new URL(prefix).toString()));
    return allowed ? url : `the certificate URL ${url.origin}${url.pathname} is not under PARTNER_CENTER_WEBHOOK_CERT_URL_PREFIXES`;
  }

  /** An issuer's URL (plain http is normal there: its signature is what is checked), on a host of the prefixes or Microsoft's. */
  private allowedIssuerUrl(value: string): URL | undefined {
    const url = parsedUrl(value);
    if (typeof url === 'string' || (url.protocol !== 'https:' && url.protocol !== 'http:')) return undefined;
    const host = url.host.toLowerCase();
    const ours = this.options.allowedPrefixes.some((prefix) => new URL(prefix).host.toLowerCase() === host);
    return ours || (!url.port && host.endsWith(ISSUER_DOMAIN)) ? url : undefined;
  }

  /** The signing certificate at this URL: kept from an earlier request whose signature matched, until it expires; else fetched and checked. */
  private async signingCertificate(url: URL, renew: boolean): Promise<X509Certificate> {
    const known = this.verified.get(url.toString());
    if (known && !renew && within(known, this.now().getTime())) return known;
    return this.trustedLeaf(url, Boolean(known));
  }

  /** A certificate whose signature matched is kept (the oldest such makes room: all of them were Partner Center's). */
  private remember(key: string, leaf: X509Certificate): void {
    if (!this.verified.has(key) && this.verified.size >= MAX_CACHED) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(key, leaf);
  }

  /** The signing certificate, once its chain to a trusted root and its issuer are checked. */
  private async trustedLeaf(url: URL, known: boolean): Promise<X509Certificate> {
    const served = await this.certificates(url, known);
    const leaf = served[0];
    if (!leaf) throw new Error('the certificate URL served no certificate');
    if (!MICROSOFT.test(leaf.issuer)) throw new Error('the signing certificate was not issued by Microsoft Corporation');
    const now = this.now().getTime();
    let current = leaf;
    const pool = served.slice(1);
    for (let depth = 0; depth < MAX_CHAIN; depth++) {
      if (!within(current, now)) throw new Error(`a certificate in the chain is not valid now (${current.subject.replace(/\n/g, ', ')})`);
      if (this.roots.some((root) => issued(current, root) && within(root, now))) return leaf;
      let issuer = pool.find((candidate) => candidate.ca && issued(current, candidate));
      if (!issuer) issuer = await this.fromIssuerUrl(current, known);
      if (!issuer) break;
      current = issuer;
    }
    throw new Error('the signing certificate does not chain to a trusted root');
  }

  /** The issuer named by a certificate's Authority Information Access, from an allowed host only. */
  private async fromIssuerUrl(certificate: X509Certificate, known: boolean): Promise<X509Certificate | undefined> {
    const link = /CA Issuers - URI:(\S+)/.exec(certificate.infoAccess ?? '')?.[1];
    if (!link) return undefined;
    // Issuer certificates are served over plain http by design: their signatures are what is checked.
    const url = this.allowedIssuerUrl(link);
    if (!url) return undefined;
    const [issuer] = await this.certificates(url, known).catch(() => []);
    return issuer?.ca && issued(certificate, issuer) ? issuer : undefined;
  }

  /** `known`: a URL whose certificate verified before: its download does not count against (or wait for) the budget. */
  private certificates(url: URL, known: boolean): Promise<X509Certificate[]> {
    const key = url.toString();
    const cached = this.cache.get(key);
    const now = Date.now();
    if (cached && now - cached.at < cached.ttl) return cached.certificates;
    if (!known) {
      while (this.downloads.length > 0 && now - this.downloads[0]! > 60_000) this.downloads.shift();
      if (this.downloads.length >= DOWNLOADS_PER_MINUTE) return Promise.reject(new Error('too many certificate downloads; try again in a minute'));
      this.downloads.push(now);
    }
    // The oldest entry makes room; a failure is remembered for a minute (not fetched again on every request).
    if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value!);
    const entry = { at: now, ttl: CACHE_MS, certificates: download(url, this.options.fetchTimeoutMs ?? FETCH_TIMEOUT_MS) };
    entry.certificates.catch(() => (entry.ttl = FAILURE_CACHE_MS));
    this.cache.set(key, entry);
    return entry.certificates;
  }
}

function parsedUrl(value: string): URL | string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'X-MS-Certificate-Url is missing or not a URL';
  }
  return url.username || url.password ? 'the certificate URL must not carry credentials' : url;
}

function refuse(reason: string): Verdict {
  return { ok: false, reason };
}

const issued = (child: X509Certificate, parent: X509Certificate) => child.checkIssued(parent) && child.verify(parent.publicKey);
const within = (certificate: X509Certificate, now: number) => Date.parse(certificate.validFrom) <= now && now <= Date.parse(certificate.validTo);

async function download(url: URL, timeoutMs: number): Promise<X509Certificate[]> {
  let res: Response;
  try {
    res = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw new Error(`the certificate could not be fetched from ${url.host} (${(error as Error).message})`);
  }
  if (!res.ok) throw new Error(`the certificate URL answered ${res.status}`);
  const declared = Number(res.headers.get('content-length') ?? 0);
  if (declared > MAX_CERT_BYTES) throw new Error('the certificate is too large');
  const bytes = Buffer.from(await res.arrayBuffer());
  if (bytes.length > MAX_CERT_BYTES) throw new Error('the certificate is too large');
  return parseCertificates(bytes);
}

/** PEM (one or several, leaf first) or a single DER certificate. */
export function parseCertificates(bytes: Buffer): X509Certificate[] {
  const text = bytes.toString('latin1');
  const pems = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  try {
    return pems ? pems.map((pem) => new X509Certificate(pem)) : [new X509Certificate(bytes)];
  } catch {
    throw new Error('the certificate URL served something that is not a certificate');
  }
}

function readRoots(file: string): X509Certificate[] {
  try {
    const roots = parseCertificates(readFileSync(file));
    if (roots.length === 0) throw new Error('no certificate');
    return roots;
  } catch (error) {
    throw new ConfigError([{ path: 'PARTNER_CENTER_WEBHOOK_CA', message: `must name a PEM file of trusted root certificates (${(error as Error).message})` }]);
  }
}
