/**
 * The app's own Azure identity, for the Azure services it reaches without a secret (Key Vault, and
 * Table Storage when given an endpoint instead of a connection string): its managed identity in
 * Azure (App Service's IDENTITY_ENDPOINT; a user-assigned one named by AZURE_CLIENT_ID), a
 * developer's Azure CLI sign-in on a workstation. One credential per process: it caches its tokens.
 */
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';

let credential: TokenCredential | undefined;

export function azureCredential(): TokenCredential {
  credential ??= new DefaultAzureCredential();
  return credential;
}
