// Partner Leads in Azure: one user-assigned managed identity for everything (the bot's Bot Framework
// identity, Table Storage, Key Vault), no key or client secret anywhere. Written from Microsoft 365
// Agents Toolkit's default bot template (infra/azure.bicep, infra/botRegistration/azurebot.bicep),
// on Linux App Service, with what a production bot adds. Outputs go to env/.env.<env> (the Toolkit
// writes them there); none of them is a secret.

@maxLength(20)
@minLength(4)
@description('Used to generate names for all resources in this file')
param resourceBaseName string

@description('App Service plan SKU (B1 is the smallest with Always On; P0v3 and up for production)')
param webAppSku string = 'B1'

@description('App Service instances (a string: the Toolkit fills parameters with text): every instance shares the one storage account. B1 allows 3 at most, P0v3 and up 30.')
param instanceCount string = '1'

@maxLength(42)
param botDisplayName string = 'Partner Leads'

param location string = resourceGroup().location

@description('The Teams app id (manifest id): the bot finds its app in the catalog by it')
param teamsAppId string = ''

@description('AAD object ids, comma-separated: MPN partner admins (grant and revoke roles)')
param partnerAdminIds string = ''

@description('AAD object ids, comma-separated: Referrals admins (change leads)')
param leadAdminIds string = ''

@description('AAD object ids, comma-separated: Lead viewers (read leads)')
param leadViewerIds string = ''

@description('Tenants whose Teams may use the bot, comma-separated (empty: the bot\'s own)')
param allowedTenantIds string = ''

@allowed([
  'on'
  'off'
])
param activityFeed string = 'on'

@allowed([
  'on'
  'off'
])
param proactiveInstall string = 'off'

@description('Partner Center app registration\'s tenant (empty: no sync until it is set). Its client secret goes in Key Vault as partner-center-client-secret.')
param partnerCenterTenantId string = ''

@description('Partner Center app registration\'s client id (empty: no sync)')
param partnerCenterClientId string = ''

@description('Object id of the person who runs partner-center:connect and reads the leads API key (optional): gets the same storage and Key Vault roles as the app')
param operatorPrincipalId string = ''

// The Toolkit fills a parameter from env/.env.<env> only with a value that is not empty, and refuses
// to deploy with one left unfilled: "none" there stands for nothing given.
var given = {
  partnerAdminIds: partnerAdminIds == 'none' ? '' : partnerAdminIds
  leadAdminIds: leadAdminIds == 'none' ? '' : leadAdminIds
  leadViewerIds: leadViewerIds == 'none' ? '' : leadViewerIds
  allowedTenantIds: allowedTenantIds == 'none' ? '' : allowedTenantIds
  partnerCenterTenantId: partnerCenterTenantId == 'none' ? '' : partnerCenterTenantId
  partnerCenterClientId: partnerCenterClientId == 'none' ? '' : partnerCenterClientId
  operatorPrincipalId: operatorPrincipalId == 'none' ? '' : operatorPrincipalId
}
var tableDataContributor = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
var keyVaultSecretsOfficer = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
var storageName = toLower(replace('${resourceBaseName}st', '-', ''))
var vaultName = '${resourceBaseName}-kv'
var syncOn = !empty(given.partnerCenterTenantId) && !empty(given.partnerCenterClientId)

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  location: location
  name: resourceBaseName
}

// Table Storage reached with the identity only: shared keys are off.
resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: storageName
  location: location
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
  }
}

resource tableAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identity.id, tableDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', tableDataContributor)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource operatorTableAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(given.operatorPrincipalId)) {
  name: guid(storage.id, given.operatorPrincipalId, tableDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', tableDataContributor)
    principalId: given.operatorPrincipalId
  }
}

// Key Vault with RBAC: the Partner Center client secret, the refresh token (sealed there by the app,
// a new version at each rotation) and the leads API key (made by the app at its first start).
resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: vaultName
  location: location
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 30
  }
}

resource vaultAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, identity.id, keyVaultSecretsOfficer)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsOfficer)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource operatorVaultAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(given.operatorPrincipalId)) {
  name: guid(vault.id, given.operatorPrincipalId, keyVaultSecretsOfficer)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsOfficer)
    principalId: given.operatorPrincipalId
  }
}

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: '${resourceBaseName}-logs'
  location: location
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: 30
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: '${resourceBaseName}-insights'
  location: location
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
  }
}

resource serverfarm 'Microsoft.Web/serverfarms@2023-12-01' = {
  name: resourceBaseName
  location: location
  kind: 'linux'
  sku: {
    name: webAppSku
    capacity: int(instanceCount)
  }
  properties: {
    reserved: true
  }
}

var baseSettings = [
  {
    name: 'MicrosoftAppType'
    value: 'UserAssignedMSI'
  }
  {
    name: 'MicrosoftAppId'
    value: identity.properties.clientId
  }
  {
    name: 'MicrosoftAppTenantId'
    value: identity.properties.tenantId
  }
  {
    name: 'AZURE_CLIENT_ID'
    value: identity.properties.clientId
  }
  {
    name: 'AZURE_TABLES_ENDPOINT'
    value: storage.properties.primaryEndpoints.table
  }
  {
    name: 'KEY_VAULT_URL'
    value: vault.properties.vaultUri
  }
  {
    name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
    value: appInsights.properties.ConnectionString
  }
  {
    name: 'ALLOWED_TENANT_IDS'
    value: empty(given.allowedTenantIds) ? identity.properties.tenantId : given.allowedTenantIds
  }
  {
    name: 'PARTNER_ADMIN_IDS'
    value: given.partnerAdminIds
  }
  {
    name: 'LEAD_ADMIN_IDS'
    value: given.leadAdminIds
  }
  {
    name: 'LEAD_VIEWER_IDS'
    value: given.leadViewerIds
  }
  {
    name: 'ACTIVITY_FEED'
    value: activityFeed
  }
  {
    name: 'PROACTIVE_INSTALL'
    value: proactiveInstall
  }
  {
    name: 'TEAMS_APP_ID'
    value: teamsAppId
  }
  {
    // What is deployed is already built, with its production dependencies: nothing to build on the server.
    name: 'SCM_DO_BUILD_DURING_DEPLOYMENT'
    value: 'false'
  }
  {
    name: 'WEBSITE_RUN_FROM_PACKAGE'
    value: '1'
  }
  {
    // An instance whose /readyz fails three minutes running leaves the load balancer (default ten).
    name: 'WEBSITE_HEALTHCHECK_MAXPINGFAILURES'
    value: '3'
  }
]

// The sync's client secret is a Key Vault reference App Service resolves with the identity: put it in the
// vault (partner-center-client-secret) before the sync's settings are given.
var syncSettings = syncOn ? [
  {
    name: 'PARTNER_CENTER_TENANT_ID'
    value: given.partnerCenterTenantId
  }
  {
    name: 'PARTNER_CENTER_CLIENT_ID'
    value: given.partnerCenterClientId
  }
  {
    name: 'PARTNER_CENTER_CLIENT_SECRET'
    value: '@Microsoft.KeyVault(VaultName=${vault.name};SecretName=partner-center-client-secret)'
  }
] : []

resource webApp 'Microsoft.Web/sites@2023-12-01' = {
  name: resourceBaseName
  location: location
  kind: 'app,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    serverFarmId: serverfarm.id
    httpsOnly: true
    keyVaultReferenceIdentity: identity.id
    siteConfig: {
      linuxFxVersion: 'NODE|20-lts'
      // Node itself, not npm (whose prestart would build) or PM2: it gets SIGTERM directly.
      appCommandLine: 'node --max-old-space-size=160 dist/index.js'
      alwaysOn: true
      healthCheckPath: '/readyz'
      ftpsState: 'Disabled'
      minTlsVersion: '1.2'
      http20Enabled: true
      appSettings: concat(baseSettings, syncSettings)
    }
  }
  dependsOn: [
    tableAccess
    vaultAccess
  ]
}

module azureBotRegistration './botRegistration/azurebot.bicep' = {
  name: 'Azure-Bot-registration'
  params: {
    resourceBaseName: resourceBaseName
    identityClientId: identity.properties.clientId
    identityResourceId: identity.id
    identityTenantId: identity.properties.tenantId
    botAppDomain: webApp.properties.defaultHostName
    botDisplayName: botDisplayName
  }
}

// Written to env/.env.<env> by the Toolkit (names upper-cased): none of them is a secret.
output AZURE_APP_SERVICE_RESOURCE_ID string = webApp.id
output BOT_DOMAIN string = webApp.properties.defaultHostName
output BOT_ID string = identity.properties.clientId
output BOT_TENANT_ID string = identity.properties.tenantId
output BOT_TYPE string = 'UserAssignedMSI'
output AZURE_TABLES_ENDPOINT string = storage.properties.primaryEndpoints.table
output KEY_VAULT_URL string = vault.properties.vaultUri
output KEY_VAULT_NAME string = vault.name
