/**
 * Azure Key Vault's secrets, reached with the app's Azure identity. One place decides how a vault
 * URL is reached: Azure's own over https; plain http only for a fake vault on this machine (tests),
 * whose challenge then names no Azure resource.
 */
import { SecretClient } from '@azure/keyvault-secrets';
import { azureCredential } from './azureIdentity';

export function secretClient(vaultUrl: string): SecretClient {
  const local = vaultUrl.startsWith('http://');
  return new SecretClient(vaultUrl, azureCredential(), { ...(local && { allowInsecureConnection: true, disableChallengeResourceVerification: true }) });
}

/** Whether Key Vault answered that the secret does not exist (or was deleted). */
export const isSecretMissing = (error: unknown): boolean => (error as { statusCode?: unknown } | null)?.statusCode === 404;
