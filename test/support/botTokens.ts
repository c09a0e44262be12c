/**
 * Bot Framework tokens nobody should accept: RS256 JWTs with plausible claims (issuer
 * api.botframework.com, audience = the app id, a key id) signed by a key made up here, an expired
 * one, and an unsigned one (alg "none").
 */
import { createSign, generateKeyPairSync } from 'node:crypto';

const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

function signed(header: object, claims: object): string {
  const unsigned = `${part(header)}.${part(claims)}`;
  return `${unsigned}.${createSign('RSA-SHA256').update(unsigned).sign(privateKey).toString('base64url')}`;
}

export function untrustedTokens(appId: string, serviceUrl: string): Record<string, string> {
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: 'https://api.botframework.com', aud: appId, serviceurl: serviceUrl, nbf: now - 60, iat: now - 60, exp: now + 3600 };
  const header = { alg: 'RS256', typ: 'JWT', kid: 'a-key-the-bot-does-not-trust', x5t: 'a-key-the-bot-does-not-trust' };
  return {
    'signed by an untrusted key': signed(header, claims),
    expired: signed(header, { ...claims, nbf: now - 7200, iat: now - 7200, exp: now - 3600 }),
    'unsigned (alg none)': `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`,
    'for another app': signed(header, { ...claims, aud: '0badf00d-0000-4000-8000-000000000000' }),
  };
}
