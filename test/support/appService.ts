/**
 * The settings App Service gives the app, as infra/azure.bicep writes them (without the Partner
 * Center sync's, which come once its client secret is in Key Vault), for the values of one
 * deployment; and the names the Bicep sets, read from it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

const BICEP = readFileSync(path.join(__dirname, '..', '..', 'infra', 'azure.bicep'), 'utf8');

/** Every app setting name in the Bicep, with the expression it sets. */
export const BICEP_APP_SETTINGS: Record<string, string> = Object.fromEntries(
  [...BICEP.matchAll(/name: '([A-Za-z_][A-Za-z0-9_]*)'\n\s+value: (.+)/g)].map((m) => [m[1]!, m[2]!.trim()]),
);

export interface Deployment {
  identityClientId: string;
  tenantId: string;
  tablesEndpoint: string;
  vaultUrl: string;
  appInsights: string;
}

export function appServiceSettings(d: Deployment): Record<string, string> {
  return {
    MicrosoftAppType: 'UserAssignedMSI',
    MicrosoftAppId: d.identityClientId,
    MicrosoftAppTenantId: d.tenantId,
    AZURE_CLIENT_ID: d.identityClientId,
    AZURE_TABLES_ENDPOINT: d.tablesEndpoint,
    KEY_VAULT_URL: d.vaultUrl,
    APPLICATIONINSIGHTS_CONNECTION_STRING: d.appInsights,
    ALLOWED_TENANT_IDS: d.tenantId,
    PARTNER_ADMIN_IDS: '',
    LEAD_ADMIN_IDS: '',
    LEAD_VIEWER_IDS: '',
    ACTIVITY_FEED: 'on',
    PROACTIVE_INSTALL: 'off',
    TEAMS_APP_ID: '',
    SCM_DO_BUILD_DURING_DEPLOYMENT: 'false',
    WEBSITE_RUN_FROM_PACKAGE: '1',
    WEBSITE_HEALTHCHECK_MAXPINGFAILURES: '3',
  };
}
