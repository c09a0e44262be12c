/**
 * The composition root's parts, each a small named function: the stores over the tables, the
 * Partner Center slice (when its settings are there), and the settings each part takes.
 */
import { ManagedIdentityCredential } from '@azure/identity';
import { ActivityFeed } from '../delivery/graph/activityFeed';
import { AppInstaller } from '../delivery/graph/appInstaller';
import { GraphClient, type GraphCredentials } from '../delivery/graph/graphClient';
import { ReachMonitor } from '../delivery/graph/reachStatus';
import { MemberDirectory } from '../delivery/memberDirectory';
import { DeliveryStore } from '../delivery/deliveryStore';
import { Outbox } from '../delivery/outbox';
import type { TeamsGateway } from '../delivery/teamsGateway';
import type { Logger } from '../logger';
import { PartnerCenterSync, type PartnerCenterSettings, type PartnerCenterSyncDeps } from '../partnerCenter/partnerCenterSync';
import type { DueSettings } from '../schedule/dueTimes';
import { ConversationStore } from '../storage/conversationStore';
import { DueIndex, LeadViewIndex } from '../storage/leadIndex';
import { LeadStore } from '../storage/leadStore';
import { RoleStore } from '../storage/roleStore';
import { StatsStore } from '../storage/statsStore';
import type { Tables } from '../storage/tables';
import type { SenderOptions } from '../delivery/sender/sender';
import type { SendSlots } from '../delivery/sender/sendSlots';
import type { Config } from './config';

export type AppSettings = Pick<
  Config,
  | 'LEAD_RESPONSE_DAYS'
  | 'LEAD_ADMIN_IDS'
  | 'PARTNER_ADMIN_IDS'
  | 'LEAD_VIEWER_IDS'
  | 'LEADS_VISIBLE_TO'
  | 'REMINDER_HOURS_BEFORE_EXPIRY'
  | 'FLAME_WINDOW_HOURS'
  | 'SCHEDULER_INTERVAL_SECONDS'
  | 'SEND_PER_SECOND_PER_CONVERSATION'
  | 'SEND_PER_30_SECONDS_PER_CONVERSATION'
  | 'SEND_PER_SECOND_GLOBAL'
  | 'SEND_MAX_ATTEMPTS'
  | 'DIGEST_THRESHOLD'
  | 'LEASE_SECONDS'
  | 'PARTNER_CENTER_TENANT_ID'
  | 'PARTNER_CENTER_CLIENT_ID'
  | 'PARTNER_CENTER_CLIENT_SECRET'
  | 'PARTNER_CENTER_REFRESH_TOKEN'
  | 'PARTNER_CENTER_AUTHORITY_HOST'
  | 'PARTNER_CENTER_API_URL'
  | 'PARTNER_CENTER_POLL_SECONDS'
  | 'PARTNER_CENTER_WEBHOOK_CERT_URL_PREFIXES'
  | 'PARTNER_CENTER_ALERT_AFTER_MINUTES'
  | 'PARTNER_CENTER_TOKEN_KEY'
  | 'KEY_VAULT_URL'
  | 'TABLE_PREFIX'
  | 'DATA_DIR'
  | 'PARTNER_CENTER_WEBHOOK_CA'
  | 'INSIGHTS_SCHEDULE'
  | 'DIGEST_SCHEDULE'
  | 'INSIGHTS_TIME_ZONE'
  | 'MicrosoftAppId'
  | 'MicrosoftAppPassword'
  | 'MicrosoftAppType'
  | 'MicrosoftAppTenantId'
  | 'ALLOWED_TENANT_IDS'
  | 'ACTIVITY_FEED'
  | 'PROACTIVE_INSTALL'
  | 'TEAMS_APP_ID'
  | 'TEAMS_CATALOG_APP_ID'
  | 'GRAPH_URL'
  | 'GRAPH_AUTHORITY_HOST'
  | 'PARTNER_CENTER_LEAD_URL'
>;

/** Every store, one client each, built once. */
export function openStores(tables: Tables, settings: AppSettings, log: Logger, gateway: () => TeamsGateway | undefined, slots: () => SendSlots | undefined) {
  return {
    leads: new LeadStore(tables.Leads, tables.Projections),
    views: new LeadViewIndex(tables.LeadIndex, tables.SearchIndex),
    due: new DueIndex(tables.DueIndex),
    conversations: new ConversationStore(tables.Conversations),
    deliveries: new DeliveryStore(tables.Leads),
    outbox: new Outbox(tables.Outbox, tables.DeadLetters),
    roles: new RoleStore(tables.Roles, { leadAdmins: settings.LEAD_ADMIN_IDS, partnerAdmins: settings.PARTNER_ADMIN_IDS, leadViewers: settings.LEAD_VIEWER_IDS }),
    stats: new StatsStore(tables.Stats),
    members: new MemberDirectory(gateway, log.child({ module: 'members' }), slots),
  };
}

export type Stores = ReturnType<typeof openStores>;

/** The sync's settings, when it is configured (all of tenant, client id and secret). */
function partnerCenterSettings(settings: AppSettings): PartnerCenterSettings | undefined {
  const { PARTNER_CENTER_TENANT_ID: tenantId, PARTNER_CENTER_CLIENT_ID: clientId, PARTNER_CENTER_CLIENT_SECRET: clientSecret } = settings;
  if (!tenantId || !clientId || !clientSecret) return undefined;
  return {
    tenantId,
    clientId,
    clientSecret,
    refreshToken: settings.PARTNER_CENTER_REFRESH_TOKEN,
    leadUrl: settings.PARTNER_CENTER_LEAD_URL,
    authorityHost: settings.PARTNER_CENTER_AUTHORITY_HOST,
    apiUrl: settings.PARTNER_CENTER_API_URL,
    pollSeconds: settings.PARTNER_CENTER_POLL_SECONDS,
    webhookCertUrlPrefixes: settings.PARTNER_CENTER_WEBHOOK_CERT_URL_PREFIXES,
    webhookCa: settings.PARTNER_CENTER_WEBHOOK_CA,
    // Never less than three poll intervals: a pull or two may fail on their own.
    alertAfterMs: Math.max(settings.PARTNER_CENTER_ALERT_AFTER_MINUTES * 60_000, 3 * settings.PARTNER_CENTER_POLL_SECONDS * 1000),
    tokenKey: settings.PARTNER_CENTER_TOKEN_KEY,
    keyVaultUrl: settings.KEY_VAULT_URL,
    tablePrefix: settings.TABLE_PREFIX,
    dataDir: settings.DATA_DIR,
  };
}

/** The Partner Center slice, when the sync is configured. */
export function partnerCenterSlice(settings: AppSettings, deps: Omit<PartnerCenterSyncDeps, 'settings' | 'leaseMs' | 'responseDays'>): PartnerCenterSync | undefined {
  const pc = partnerCenterSettings(settings);
  return pc && new PartnerCenterSync({ ...deps, settings: pc, leaseMs: settings.LEASE_SECONDS * 4000, responseDays: settings.LEAD_RESPONSE_DAYS });
}

export const dueSettings = (settings: AppSettings): DueSettings => ({ reminderHours: settings.REMINDER_HOURS_BEFORE_EXPIRY, flameWindowHours: settings.FLAME_WINDOW_HOURS });

export const senderOptions = (settings: AppSettings): SenderOptions => ({
  perSecondPerConversation: settings.SEND_PER_SECOND_PER_CONVERSATION,
  per30SecondsPerConversation: settings.SEND_PER_30_SECONDS_PER_CONVERSATION,
  perSecondGlobal: settings.SEND_PER_SECOND_GLOBAL,
  maxAttempts: settings.SEND_MAX_ATTEMPTS,
  digestThreshold: settings.DIGEST_THRESHOLD,
  leaseMs: settings.LEASE_SECONDS * 1000,
  flameWindowHours: settings.FLAME_WINDOW_HOURS,
});

/** How the bot reaches people beyond its chats: their activity feed, and installing the app for them (Microsoft Graph, as the bot). */
export interface TeamsReach {
  reach: ReachMonitor;
  feed?: ActivityFeed;
  installer?: AppInstaller;
}

/** The bot's own identity for Microsoft Graph: its managed identity, or its app id and secret in its tenant. */
function graphCredentials(settings: AppSettings): GraphCredentials | string {
  const { MicrosoftAppId: clientId, MicrosoftAppPassword: clientSecret, MicrosoftAppType: type } = settings;
  if (!clientId) return 'the bot has no identity here (development: MicrosoftAppId is not set)';
  // The bot's own managed identity, by its client id (not whichever identity the environment names).
  if (type === 'UserAssignedMSI') return { kind: 'managedIdentity', credential: new ManagedIdentityCredential({ clientId }) };
  const tenantId = settings.MicrosoftAppTenantId ?? settings.ALLOWED_TENANT_IDS[0];
  if (!tenantId) return 'Microsoft Graph needs the tenant: set MicrosoftAppTenantId';
  if (!clientSecret) return 'Microsoft Graph needs the bot\'s secret (MicrosoftAppPassword)';
  return { kind: 'secret', authorityHost: settings.GRAPH_AUTHORITY_HOST, tenantId, clientId, clientSecret };
}

export function teamsReach(settings: AppSettings, log: Logger, now: () => Date): TeamsReach {
  const credentials = graphCredentials(settings);
  const why = (setting: 'ACTIVITY_FEED' | 'PROACTIVE_INSTALL'): true | string =>
    settings[setting] === 'off' ? `${setting} is off` : typeof credentials === 'string' ? credentials : true;
  const reach = new ReachMonitor({ activityFeed: why('ACTIVITY_FEED'), proactiveInstall: why('PROACTIVE_INSTALL') }, log, now);
  if (typeof credentials === 'string') return { reach };
  const graph = new GraphClient(settings.GRAPH_URL, credentials, () => now().getTime());
  const manifestAppId = settings.TEAMS_APP_ID ?? settings.MicrosoftAppId ?? '';
  const resourceSpecificConsent = settings.MicrosoftAppType !== 'UserAssignedMSI';
  const installer = new AppInstaller({ graph, reach, catalogAppId: settings.TEAMS_CATALOG_APP_ID, manifestAppId, resourceSpecificConsent, log });
  return { reach, installer, feed: new ActivityFeed({ graph, reach, installer, teamsAppId: settings.TEAMS_CATALOG_APP_ID, log, now }) };
}
