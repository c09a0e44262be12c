/**
 * Certificates for tests, made on the spot (nothing secret is committed): a root CA, a TLS
 * certificate for this machine (the loopback identity provider and certificate host serve https
 * with it), and a webhook signing chain shaped like Partner Center's (an issuing CA and a leaf of
 * "O=Microsoft Corporation"). jest's global setup writes the root and TLS files once per run and
 * names them in TEST_PKI_DIR, and trusts the root through NODE_EXTRA_CA_CERTS for every worker.
 */
import 'reflect-metadata';
import { randomBytes, webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as never);

type CryptoKey = webcrypto.CryptoKey;

const ALGORITHM = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };
const DAY = 86_400_000;

export interface Issued {
  certPem: string;
  keyPem: string;
  cert: x509.X509Certificate;
  privateKey: CryptoKey;
}

async function toIssued(cert: x509.X509Certificate, privateKey: CryptoKey): Promise<Issued> {
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', privateKey ));
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').replace(/(.{64})/g, '$1\n').trim()}\n-----END PRIVATE KEY-----\n`;
  return { certPem: cert.toString('pem'), keyPem, cert, privateKey };
}

const serial = () => randomBytes(8).toString('hex').replace(/^[89a-f]/, '1');

export async function rootCa(name = 'CN=Partner Leads Test Root CA, O=Partner Leads Tests'): Promise<Issued> {
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name,
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 3650 * DAY),
    keys: keys as never,
    signingAlgorithm: ALGORITHM,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true)],
  });
  return toIssued(cert, keys.privateKey);
}

export interface IssueOptions {
  subject: string;
  ca?: boolean;
  /** Host names and IP addresses the certificate is for (a TLS server certificate). */
  dns?: string[];
  ips?: string[];
  /** Where its issuer's certificate can be fetched (Authority Information Access, "CA Issuers"). */
  issuerUrl?: string;
  notBefore?: Date;
  notAfter?: Date;
}

export async function issue(issuer: Issued, options: IssueOptions): Promise<Issued> {
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const extensions: x509.Extension[] = [new x509.BasicConstraintsExtension(Boolean(options.ca), undefined, true)];
  if (options.ca) extensions.push(new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true));
  else extensions.push(new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true));
  if (options.dns || options.ips) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension([
        ...(options.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
        ...(options.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
      ]),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    );
  }
  if (options.issuerUrl) extensions.push(new x509.AuthorityInfoAccessExtension({ caIssuers: [new x509.GeneralName('url', options.issuerUrl)] }));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: options.subject,
    issuer: issuer.cert.subject,
    notBefore: options.notBefore ?? new Date(Date.now() - DAY),
    notAfter: options.notAfter ?? new Date(Date.now() + 365 * DAY),
    publicKey: keys.publicKey as never,
    signingKey: issuer.privateKey as never,
    signingAlgorithm: ALGORITHM,
    extensions,
  });
  return toIssued(cert, keys.privateKey);
}

/** The certificates the whole run shares, as files. */
export interface SharedPki {
  dir: string;
  /** The root CA's certificate: what NODE_EXTRA_CA_CERTS and PARTNER_CENTER_WEBHOOK_CA name. */
  rootFile: string;
  root: Issued;
  /** A TLS server certificate for localhost and 127.0.0.1. */
  tls: { cert: string; key: string };
}

const FILES = { root: 'root.pem', rootKey: 'root-key.pem', tls: 'tls.pem', tlsKey: 'tls-key.pem' };

export async function writeSharedPki(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const root = await rootCa();
  const tls = await issue(root, { subject: 'CN=localhost, O=Partner Leads Tests', dns: ['localhost'], ips: ['127.0.0.1'] });
  writeFileSync(path.join(dir, FILES.root), root.certPem);
  writeFileSync(path.join(dir, FILES.rootKey), root.keyPem, { mode: 0o600 });
  writeFileSync(path.join(dir, FILES.tls), tls.certPem);
  writeFileSync(path.join(dir, FILES.tlsKey), tls.keyPem, { mode: 0o600 });
}

let shared: Promise<SharedPki> | undefined;

/** The run's PKI (TEST_PKI_DIR, from jest's global setup or a tool that made one). */
export function sharedPki(dir = process.env.TEST_PKI_DIR): Promise<SharedPki> {
  if (!dir || !existsSync(path.join(dir, FILES.root))) {
    throw new Error('TEST_PKI_DIR names no test PKI: run the tests through jest (its global setup makes one), or call writeSharedPki first');
  }
  shared ??= (async () => {
    const read = (file: string) => readFileSync(path.join(dir, file), 'utf8');
    const rootPem = read(FILES.root);
    const keyPem = read(FILES.rootKey);
    const der = Buffer.from(keyPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const privateKey = await webcrypto.subtle.importKey('pkcs8', der, ALGORITHM, true, ['sign']);
    return { dir, rootFile: path.join(dir, FILES.root), root: { certPem: rootPem, keyPem, cert: new x509.X509Certificate(rootPem), privateKey }, tls: { cert: read(FILES.tls), key: read(FILES.tlsKey) } };
  })();
  return shared;
}
