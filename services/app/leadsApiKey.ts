/**
 * The leads API key, kept in Azure Key Vault (KEY_VAULT_URL, secret `leads-api-key`) when
 * LEADS_API_KEY is not set: read at start, and made at the very first start (32 random bytes) by
 * the one instance that holds a lease while the others wait for it. Nobody types it anywhere: an
 * admin reads it from the vault to give it to an integration, and rotates it there (a new version;
 * instances take it at their next start).
 */
import { randomBytes } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';
import type { SecretClient } from '@azure/keyvault-secrets';
import { isSecretMissing } from '../keyVault';
import type { Logger } from '../logger';
import { Lease } from '../storage/lease';

export const LEADS_API_KEY_SECRET = 'leads-api-key';
/** How long the instance that makes the key may take; others wait at most this long for it. */
const MAKE_MS = 30_000;
const POLL_MS = 500;

export async function leadsApiKeyFromVault(deps: { vault: SecretClient; leases: TableClient; instanceId: string; log: Logger }): Promise<string> {
  const { vault, log } = deps;
  const read = async (): Promise<string | undefined> => {
    try {
      return (await vault.getSecret(LEADS_API_KEY_SECRET)).value || undefined;
    } catch (error) {
      if (isSecretMissing(error)) return undefined;
      throw error;
    }
  };
  const deadline = Date.now() + MAKE_MS;
  const lease = new Lease(deps.leases, 'leadsApiKey', deps.instanceId);
  for (;;) {
    const existing = await read();
    if (existing) return existing;
    const held = await lease.acquire(new Date(), MAKE_MS);
    if (held) {
      // Another instance may have made it between our read and the lease.
      const made = (await read()) ?? (await vault.setSecret(LEADS_API_KEY_SECRET, randomBytes(32).toString('base64url'), { contentType: 'Partner Leads API key' })).value;
      await lease.release(held.etag, {}).catch(() => undefined);
      log.info({ secret: LEADS_API_KEY_SECRET }, 'the leads API key was made and kept in Key Vault: read it there to give it to an integration');
      if (made) return made;
    }
    if (Date.now() > deadline) throw new Error(`Key Vault has no ${LEADS_API_KEY_SECRET}, and no instance could make it within ${MAKE_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
