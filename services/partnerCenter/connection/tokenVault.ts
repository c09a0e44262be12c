/**
 * Where the Referrals admin's refresh token is kept sealed: never in plain text at rest (Microsoft's
 * Secure Application Model asks for a secure store). In Azure Key Vault when KEY_VAULT_URL is set
 * (reached with the app's managed identity; every rotation writes a new secret version, and the
 * table keeps only which version), else encrypted with AES-256-GCM under PARTNER_CENTER_TOKEN_KEY
 * (required in production). In development without either, under a key generated once into
 * DATA_DIR, so that even a developer's storage holds no token in plain text.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SecretClient } from '@azure/keyvault-secrets';
import { secretClient } from '../../keyVault';
import { AppError } from '../../errors';

export interface TokenVault {
  /** How the token is kept, as the start-up summary says it. */
  readonly kind: 'keyVault' | 'aes';
  /** What storage keeps in place of the token (never the token itself). */
  seal(token: string): Promise<string>;
  /** The token from what storage keeps. */
  open(sealed: string): Promise<string>;
}

/** A sealed value this vault cannot open: another key, another vault, or tampered with. */
export class SealedTokenError extends AppError {
  constructor(message: string, cause?: unknown) {
    super('sealed_token', message, { cause });
    this.name = 'SealedTokenError';
  }
}

const AES_PREFIX = 'aes256gcm:v1:';
const VAULT_PREFIX = 'keyvault:v1:';

/** AES-256-GCM: a fresh 96-bit nonce per seal; the tag proves the value was sealed under this key, unchanged. */
export class AesTokenVault implements TokenVault {
  readonly kind = 'aes';
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('an AES-256 key is 32 bytes');
    this.key = key;
  }

  async seal(token: string): Promise<string> {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const sealed = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
    return `${AES_PREFIX}${iv.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}.${sealed.toString('base64url')}`;
  }

  async open(sealed: string): Promise<string> {
    const [iv = '', tag = '', data = ''] = sealed.startsWith(AES_PREFIX) ? sealed.slice(AES_PREFIX.length).split('.') : [];
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
    } catch (error) {
      throw new SealedTokenError('the stored Partner Center sign-in cannot be opened with PARTNER_CENTER_TOKEN_KEY (another key sealed it): set the key it was sealed with, or sign in again (npm run partner-center:connect)', error);
    }
  }
}

/** Azure Key Vault: the token is a secret; each rotation a new version, which is what storage keeps. */
export class KeyVaultTokenVault implements TokenVault {
  readonly kind = 'keyVault';
  private readonly client: SecretClient;

  constructor(
    vaultUrl: string,
    private readonly secretName: string,
  ) {
    this.client = secretClient(vaultUrl);
  }

  async seal(token: string): Promise<string> {
    const secret = await this.client.setSecret(this.secretName, token, { contentType: 'Partner Center refresh token' });
    return `${VAULT_PREFIX}${this.secretName}/${secret.properties.version ?? ''}`;
  }

  async open(sealed: string): Promise<string> {
    const [name = '', version = ''] = sealed.startsWith(VAULT_PREFIX) ? sealed.slice(VAULT_PREFIX.length).split('/') : [];
    if (!name) throw new SealedTokenError('the stored Partner Center sign-in was not sealed in Key Vault: set the PARTNER_CENTER_TOKEN_KEY it was sealed with, or sign in again');
    const secret = await this.client.getSecret(name, { version: version || undefined });
    if (secret.value === undefined) throw new SealedTokenError(`Key Vault holds no value for ${name}/${version}`);
    return secret.value;
  }
}

/** The Key Vault secret's name: one per storage (TABLE_PREFIX), in what Key Vault allows. */
export const secretNameFor = (tablePrefix: string | undefined): string =>
  ['partner-center-refresh-token', (tablePrefix ?? '').replace(/[^0-9a-zA-Z-]/g, '-')].filter(Boolean).join('-').slice(0, 120);

/** The key generated for development, kept in DATA_DIR (readable by its owner only): created once. */
export function developmentKey(dataDir: string): Buffer {
  const file = path.join(dataDir, 'partner-center-token.key');
  if (existsSync(file)) {
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
    if (key.length === 32) return key;
  }
  const key = randomBytes(32);
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return key;
}

/** The vault the settings ask for. */
export function tokenVaultOf(settings: { keyVaultUrl?: string; tokenKey?: string; tablePrefix?: string; dataDir: string }): TokenVault {
  if (settings.keyVaultUrl) return new KeyVaultTokenVault(settings.keyVaultUrl, secretNameFor(settings.tablePrefix));
  return new AesTokenVault(settings.tokenKey ? Buffer.from(settings.tokenKey, 'base64') : developmentKey(settings.dataDir));
}
