/** Every setting, parsed once from the environment by one zod schema. */
import { z } from 'zod';
import { ConfigError, toFieldIssues } from '../errors';
import { isTimeZone, parseWallClock, type WallClock } from '../schedule/calendar';

const aadIdList = z
  .string()
  .default('')
  .transform((value) => value.split(',').map((id) => id.trim().toLowerCase()).filter(Boolean))
  .pipe(z.array(z.uuid({ message: 'must be a comma-separated list of AAD object ids (GUIDs)' })));

const hoursList = z
  .string()
  .default('72,24')
  .transform((value) => value.split(',').map((h) => h.trim()).filter(Boolean).map(Number))
  .pipe(z.array(z.number({ message: 'must be a list of hours such as 72,24' }).positive('must be positive hours').max(24 * 30)).max(10))
  .transform((hours) => [...new Set(hours)].sort((a, b) => b - a));

const int = (fallback: number, min: number, max: number) =>
  z.coerce.number().int('must be a whole number').min(min).max(max).default(fallback);

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/** An https URL without a trailing slash; http only for this machine (a local fake Partner Center, a demo). */
/** An http(s) URL that is https, or plain http only to this machine (a fake service in tests). */
const httpsUrl = (message: string) =>
  z.url({ protocol: /^https?$/, message }).refine((value) => value.startsWith('https://') || LOOPBACK.test(new URL(value).hostname), 'must be https (http only for localhost)');
const withoutTrailingSlash = (value: string) => value.replace(/\/+$/, '');

const serviceUrl = (fallback: string) =>
  z
    .string()
    .trim()
    .optional()
    // `KEY=` in .env means not set: the default.
    .transform((value) => value || fallback)
    .pipe(httpsUrl('must be an http(s) URL'))
    .transform(withoutTrailingSlash);

/** "off", or a wall-clock time ("08:30"), with a weekday first when weekly ("Monday 09:00"). */
const wallClock = (fallback: string, weekly: boolean) =>
  z
    .string()
    .default(fallback)
    .transform((value, ctx): WallClock | 'off' => {
      const parsed = parseWallClock(value, weekly);
      if (parsed) return parsed;
      ctx.addIssue({ code: 'custom', message: weekly ? 'must be a weekday and a time such as "Monday 09:00", or off' : 'must be a time such as "08:30", or off' });
      return z.NEVER;
    });

/** A Microsoft service's URL: its own (`fallback`), or a fake on this machine (tests, demos), nothing else. */
const microsoftOrLoopback = (fallback: string) =>
  serviceUrl(fallback).refine((value) => new URL(value).host === new URL(fallback).host || LOOPBACK.test(new URL(value).hostname), `must be ${fallback} (or a fake on this machine)`);

/** Where Partner Center's webhook signing certificates are served, by default: the documented location. */
export const MICROSOFT_CERT_URL_PREFIXES = 'https://3psostorageacct.blob.core.windows.net/cert/';

/** URL prefixes, comma-separated: https (http only for this machine), each ending where a path segment ends. */
const urlPrefixList = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value) => value.split(',').map((p) => p.trim()).filter(Boolean))
    .pipe(
      z
        .array(
          httpsUrl('must be URL prefixes such as https://3psostorageacct.blob.core.windows.net/cert/').refine((value) => new URL(value).pathname.endsWith('/'), 'must end with a slash (a folder, not a file or a partial name)'),
        )
        .min(1, 'must name at least one URL prefix'),
    );

/** A 256-bit key, base64: what seals the Partner Center refresh token at rest (AES-256-GCM). */
const tokenKey = z
  .string()
  .trim()
  .optional()
  .transform((value) => (value ? value : undefined))
  .refine((value) => value === undefined || Buffer.from(value, 'base64').length === 32, 'must be 32 random bytes, base64 (openssl rand -base64 32)');

/** The four settings that turn the Partner Center sync on, together. */
export const PARTNER_CENTER_CONNECTION = ['PARTNER_CENTER_TENANT_ID', 'PARTNER_CENTER_CLIENT_ID', 'PARTNER_CENTER_CLIENT_SECRET', 'PARTNER_CENTER_REFRESH_TOKEN'] as const;

const optionalText = z
  .string()
  .trim()
  .optional()
  .transform((value) => (value ? value : undefined));

export const configSchema = z
  .object({
    PORT: int(3978, 0, 65535),
    DATA_DIR: z.string().min(1).default('.data'),
    AZURE_TABLES_CONNECTION_STRING: optionalText,
    /** Azure Tables by endpoint (https://<account>.table.core.windows.net), reached with the app's managed identity: no key anywhere. */
    AZURE_TABLES_ENDPOINT: optionalText.pipe(
      z
        .url({ protocol: /^https$/, message: 'must be the https Table endpoint, e.g. https://<account>.table.core.windows.net (Microsoft Entra ID tokens go over https only)' })
        .transform(withoutTrailingSlash)
        .optional(),
    ),
    /** The managed identity the app runs as (user-assigned: its client id); read by the Azure SDK. */
    AZURE_CLIENT_ID: optionalText.pipe(z.uuid('must be the managed identity\'s client id (a GUID)').optional()),
    /** Set by App Service (the site's name): the app runs there. */
    WEBSITE_SITE_NAME: optionalText,
    /** Application Insights: traces, metrics and logs through Azure Monitor OpenTelemetry. */
    APPLICATIONINSIGHTS_CONNECTION_STRING: optionalText.pipe(
      z.string().regex(/(^|;)\s*(InstrumentationKey|IngestionEndpoint)=/i, 'must be the Application Insights connection string (InstrumentationKey=…;IngestionEndpoint=…)').optional(),
    ),
    TABLE_PREFIX: optionalText.pipe(
      z
        .string()
        .regex(/^[A-Za-z][A-Za-z0-9]{0,19}$/, 'must be letters and digits, starting with a letter, at most 20')
        .optional(),
    ),
    LEADS_API_KEY: optionalText.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
    LEAD_RESPONSE_DAYS: int(14, 1, 90),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    MicrosoftAppId: optionalText.pipe(z.uuid('must be the Azure Bot app id (a GUID)').optional()),
    MicrosoftAppPassword: optionalText,
    MicrosoftAppType: z.enum(['MultiTenant', 'SingleTenant', 'UserAssignedMSI']).default('MultiTenant'),
    MicrosoftAppTenantId: optionalText.pipe(z.uuid('must be a tenant id (GUID)').optional()),
    LEAD_ADMIN_IDS: aadIdList,
    PARTNER_ADMIN_IDS: aadIdList,
    LEAD_VIEWER_IDS: aadIdList,
    /** Who may read leads beyond what is posted where they are: people with a role (default), or everyone in the tenant. */
    LEADS_VISIBLE_TO: z.enum(['roles', 'everyone'], { message: 'must be roles or everyone' }).default('roles'),
    /** A person's own events (a lead assigned, a reminder, expiry…) in their Teams activity feed (Microsoft Graph); else a 1:1 message. */
    ACTIVITY_FEED: z.enum(['on', 'off'], { message: 'must be on or off' }).default('on'),
    /** Install the app in the personal scope of an owner it cannot reach otherwise (Microsoft Graph; an admin's choice). */
    PROACTIVE_INSTALL: z.enum(['on', 'off'], { message: 'must be on or off' }).default('off'),
    /** The app package's id (manifest `id`), when it is not the bot's app id. */
    TEAMS_APP_ID: optionalText.pipe(z.uuid('must be the app package id (a GUID)').optional()),
    /** The app's id in the organization's app catalog (Teams admin center); looked up by the manifest's id when not set. */
    TEAMS_CATALOG_APP_ID: optionalText.pipe(z.string().regex(/^[0-9A-Za-z-]{1,64}$/, 'must be the app catalog id (a GUID)').optional()),
    /** Microsoft Graph and its identity provider (a fake on this machine in tests). */
    GRAPH_URL: microsoftOrLoopback('https://graph.microsoft.com'),
    GRAPH_AUTHORITY_HOST: microsoftOrLoopback('https://login.microsoftonline.com'),
    /** A lead's page in the Partner Center portal, for "Open in Partner Center"; {id} is the referral id. */
    PARTNER_CENTER_LEAD_URL: z
      .string()
      .trim()
      .optional()
      .transform((value) => value || 'https://partner.microsoft.com/dashboard/referrals/v2/leads/{id}')
      .refine((value) => /^https:\/\/([a-z0-9-]+\.)*partner\.microsoft\.com\//i.test(value), 'must be an https URL on partner.microsoft.com ({id} stands for the referral id)'),
    ALLOWED_TENANT_IDS: aadIdList,
    SCHEDULER_INTERVAL_SECONDS: int(60, 1, 3600),
    REMINDER_HOURS_BEFORE_EXPIRY: hoursList,
    FLAME_WINDOW_HOURS: int(72, 1, 24 * 14),
    SEND_PER_SECOND_PER_CONVERSATION: int(7, 1, 7),
    SEND_PER_30_SECONDS_PER_CONVERSATION: int(60, 1, 60),
    SEND_PER_SECOND_GLOBAL: int(50, 1, 50),
    SEND_MAX_ATTEMPTS: int(8, 1, 20),
    DIGEST_THRESHOLD: int(5, 1, 100),
    LEASE_SECONDS: int(30, 2, 600),
    PARTNER_CENTER_TENANT_ID: optionalText.pipe(
      z.string().regex(/^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[a-z0-9-]+(\.[a-z0-9-]+)+)$/i, 'must be a tenant id (GUID) or domain').optional(),
    ),
    PARTNER_CENTER_CLIENT_ID: optionalText.pipe(z.uuid('must be the app registration\'s client id (a GUID)').optional()),
    PARTNER_CENTER_CLIENT_SECRET: optionalText,
    PARTNER_CENTER_REFRESH_TOKEN: optionalText,
    PARTNER_CENTER_AUTHORITY_HOST: serviceUrl('https://login.microsoftonline.com'),
    PARTNER_CENTER_API_URL: serviceUrl('https://api.partner.microsoft.com/v1.0'),
    PARTNER_CENTER_POLL_SECONDS: int(300, 1, 86_400),
    PARTNER_CENTER_WEBHOOK_CERT_URL_PREFIXES: urlPrefixList(MICROSOFT_CERT_URL_PREFIXES),
    PARTNER_CENTER_WEBHOOK_CA: optionalText,
    /** No successful pull for this long (never less than 3 poll intervals) tells partner admins. */
    PARTNER_CENTER_ALERT_AFTER_MINUTES: int(15, 1, 24 * 60),
    /** Seals the refresh token at rest when Key Vault is not used; required in production with the sync on. */
    PARTNER_CENTER_TOKEN_KEY: tokenKey,
    /** Azure Key Vault (https://<name>.vault.azure.net): the refresh token is kept there, reached with the app's managed identity. */
    KEY_VAULT_URL: optionalText.pipe(
      httpsUrl('must be the vault URL, e.g. https://my-vault.vault.azure.net').transform(withoutTrailingSlash).optional(),
    ),
    INSIGHTS_SCHEDULE: wallClock('Monday 09:00', true),
    DIGEST_SCHEDULE: wallClock('08:30', false),
    INSIGHTS_TIME_ZONE: z.string().trim().default('UTC').refine(isTimeZone, 'must be an IANA time zone such as Europe/Berlin'),
  })
  .superRefine((env, ctx) => {
    // The sync needs all four (the refresh token may instead be stored by `npm run partner-center:connect`).
    const given = PARTNER_CENTER_CONNECTION.filter((name) => env[name] !== undefined);
    if (given.length > 0) {
      const needed = given.length === 1 && given[0] === 'PARTNER_CENTER_REFRESH_TOKEN' ? PARTNER_CENTER_CONNECTION : PARTNER_CENTER_CONNECTION.slice(0, 3);
      for (const name of needed.filter((n) => env[n] === undefined)) {
        ctx.addIssue({ code: 'custom', path: [name], message: `is required with ${given.join(', ')}: set all four PARTNER_CENTER_ connection settings, or none` });
      }
    }
    if (!env.MicrosoftAppId) return;
    // Production: refuse to start without the secrets it needs.
    if (given.length > 0 && !env.PARTNER_CENTER_TOKEN_KEY && !env.KEY_VAULT_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['PARTNER_CENTER_TOKEN_KEY'],
        message: 'is required in production with the Partner Center sync on, to seal its refresh token at rest (32 random bytes, base64: openssl rand -base64 32), unless KEY_VAULT_URL keeps it in Azure Key Vault',
      });
    }
    if (!env.LEADS_API_KEY && !env.KEY_VAULT_URL) {
      ctx.addIssue({ code: 'custom', path: ['LEADS_API_KEY'], message: 'is required in production (MicrosoftAppId is set), unless KEY_VAULT_URL keeps it in Azure Key Vault' });
    }
    if (env.WEBSITE_SITE_NAME && !env.AZURE_TABLES_CONNECTION_STRING && !env.AZURE_TABLES_ENDPOINT) {
      ctx.addIssue({
        code: 'custom',
        path: ['AZURE_TABLES_ENDPOINT'],
        message: "is required on App Service (or AZURE_TABLES_CONNECTION_STRING): an instance's disk is not where leads may live, and instances would not share it",
      });
    }
    if (env.MicrosoftAppType !== 'UserAssignedMSI' && !env.MicrosoftAppPassword) {
      ctx.addIssue({ code: 'custom', path: ['MicrosoftAppPassword'], message: `is required for MicrosoftAppType ${env.MicrosoftAppType}` });
    }
    if (env.MicrosoftAppType === 'MultiTenant' && env.ALLOWED_TENANT_IDS.length === 0 && !env.MicrosoftAppTenantId) {
      // Anyone can sideload a manifest with this bot id; without a tenant list they would get every lead.
      ctx.addIssue({ code: 'custom', path: ['ALLOWED_TENANT_IDS'], message: 'is required in production for a MultiTenant bot (or set MicrosoftAppTenantId)' });
    }
    if (env.MicrosoftAppType !== 'MultiTenant' && !env.MicrosoftAppTenantId) {
      ctx.addIssue({ code: 'custom', path: ['MicrosoftAppTenantId'], message: `is required for MicrosoftAppType ${env.MicrosoftAppType}` });
    }
  });

export type Config = z.infer<typeof configSchema> & { production: boolean };

/** Whether the Partner Center sync is configured (its refresh token may still come from storage). */
export const partnerCenterConfigured = (config: Pick<Config, 'PARTNER_CENTER_TENANT_ID' | 'PARTNER_CENTER_CLIENT_ID' | 'PARTNER_CENTER_CLIENT_SECRET'>): boolean =>
  Boolean(config.PARTNER_CENTER_TENANT_ID && config.PARTNER_CENTER_CLIENT_ID && config.PARTNER_CENTER_CLIENT_SECRET);

/** What App Service passes on when it could not resolve a Key Vault reference: the reference itself. */
const KEY_VAULT_REFERENCE = /^@Microsoft\.KeyVault\(/i;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // A Key Vault reference App Service could not resolve: said as such, never taken as the value.
  const unresolved = Object.keys(configSchema.shape).filter((name) => KEY_VAULT_REFERENCE.test(env[name]?.trim() ?? ''));
  if (unresolved.length > 0) {
    throw new ConfigError(
      unresolved.map((name) => ({
        path: name,
        message: `is a Key Vault reference App Service could not resolve (${String(env[name]).slice(0, 160)}): put the secret in the vault, and give the app's identity Key Vault Secrets User on it`,
      })),
    );
  }
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    // Name the variable itself; a bad item in a list is said in the message.
    const issues = toFieldIssues(parsed.error.issues).map(({ path, message }) => {
      const [variable, ...rest] = path.split('.');
      return { path: variable ?? path, message: rest.length ? `item ${Number(rest[0]) + 1}: ${message}` : message };
    });
    throw new ConfigError(issues);
  }
  const production = Boolean(parsed.data.MicrosoftAppId);
  // In production, leads stay in the bot's own tenant unless other tenants are listed.
  const tenants = parsed.data.ALLOWED_TENANT_IDS.length || !production || !parsed.data.MicrosoftAppTenantId ? parsed.data.ALLOWED_TENANT_IDS : [parsed.data.MicrosoftAppTenantId.toLowerCase()];
  return { ...parsed.data, ALLOWED_TENANT_IDS: tenants, production };
}

/** What the start-up log prints: every setting that matters, secrets only as "set"/"not set". */
export function summarizeConfig(config: Config): Record<string, unknown> {
  return {
    mode: config.production ? 'production' : 'development',
    port: config.PORT,
    storage: config.AZURE_TABLES_CONNECTION_STRING
      ? 'connection string'
      : config.AZURE_TABLES_ENDPOINT
        ? `${config.AZURE_TABLES_ENDPOINT} with the managed identity${config.AZURE_CLIENT_ID ? ` ${config.AZURE_CLIENT_ID}` : ''}`
        : `embedded Azurite in ${config.DATA_DIR}`,
    telemetry: config.APPLICATIONINSIGHTS_CONNECTION_STRING ? 'Application Insights' : 'off',
    tablePrefix: config.TABLE_PREFIX ?? '',
    leadsApiKey: config.LEADS_API_KEY ? 'set' : config.KEY_VAULT_URL ? 'in Key Vault' : 'not set',
    microsoftAppId: config.MicrosoftAppId ?? 'not set',
    microsoftAppType: config.MicrosoftAppType,
    microsoftAppPassword: config.MicrosoftAppPassword ? 'set' : 'not set',
    microsoftAppTenantId: config.MicrosoftAppTenantId ?? 'not set',
    leadAdmins: config.LEAD_ADMIN_IDS.length,
    partnerAdmins: config.PARTNER_ADMIN_IDS.length,
    leadViewers: config.LEAD_VIEWER_IDS.length,
    leadsVisibleTo: config.LEADS_VISIBLE_TO,
    allowedTenants: config.ALLOWED_TENANT_IDS.length || 'any',
    leadResponseDays: config.LEAD_RESPONSE_DAYS,
    reminderHours: config.REMINDER_HOURS_BEFORE_EXPIRY,
    flameWindowHours: config.FLAME_WINDOW_HOURS,
    schedulerIntervalSeconds: config.SCHEDULER_INTERVAL_SECONDS,
    leaseSeconds: config.LEASE_SECONDS,
    insights: { weekly: config.INSIGHTS_SCHEDULE, digest: config.DIGEST_SCHEDULE, timeZone: config.INSIGHTS_TIME_ZONE },
    partnerCenterSync: partnerCenterConfigured(config)
      ? {
          tenant: config.PARTNER_CENTER_TENANT_ID,
          clientId: config.PARTNER_CENTER_CLIENT_ID,
          refreshTokenFrom: config.PARTNER_CENTER_REFRESH_TOKEN ? 'PARTNER_CENTER_REFRESH_TOKEN (until a newer one is stored)' : 'storage',
          authorityHost: config.PARTNER_CENTER_AUTHORITY_HOST,
          apiUrl: config.PARTNER_CENTER_API_URL,
          pollSeconds: config.PARTNER_CENTER_POLL_SECONDS,
          webhookCertUrlPrefixes: config.PARTNER_CENTER_WEBHOOK_CERT_URL_PREFIXES,
          alertAfterMinutes: config.PARTNER_CENTER_ALERT_AFTER_MINUTES,
          refreshTokenSealed: config.KEY_VAULT_URL ? `in Key Vault ${config.KEY_VAULT_URL}` : config.PARTNER_CENTER_TOKEN_KEY ? 'AES-256-GCM (PARTNER_CENTER_TOKEN_KEY)' : 'AES-256-GCM, with a key generated for this storage (development)',
          webhookCa: config.PARTNER_CENTER_WEBHOOK_CA ?? 'system roots',
        }
      : 'off',
  };
}
