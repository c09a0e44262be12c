/** The app package's settings for `npm run package`, parsed from the environment (keys documented in .env.sample). */
import { z } from 'zod';
import { ConfigError, toFieldIssues } from '../services/errors';
import { appPackageSettingsSchema, type AppPackageSettings } from './appPackage';

const fields = appPackageSettingsSchema.shape;

/** `KEY=` in .env means not set, as in services/config.ts. */
const setting = <T extends z.ZodType<unknown, string | undefined>>(schema: T) =>
  z
    .string()
    .trim()
    .optional()
    .transform((value) => value || undefined)
    .pipe(schema);

const packageEnvSchema = z.object({
  MicrosoftAppId: setting(
    z
      .string({
        error:
          "is not set. It is the Azure Bot's app id (Azure portal → your Azure Bot → Configuration → Microsoft App ID); " +
          'the manifest registers the bot under it, so Teams can reach the bot.',
      })
      .pipe(fields.botId),
  ),
  TEAMS_APP_ID: setting(fields.appId.optional()),
  MicrosoftAppType: setting(z.enum(['MultiTenant', 'SingleTenant', 'UserAssignedMSI']).optional()),
  APP_VERSION: setting(fields.version.optional()),
  BOT_DOMAIN: setting(z.hostname('must be the bot endpoint\'s host name, such as leads.contoso.com, without https:// or a path').optional()),
  APP_DEVELOPER_NAME: setting(z.string({ error: "is not set: the publisher's name as Teams shows it (your company), at most 32 characters" }).pipe(fields.developer.shape.name)),
  APP_WEBSITE_URL: setting(z.string({ error: "is not set: the publisher's website (https)" }).pipe(fields.developer.shape.websiteUrl)),
  APP_PRIVACY_URL: setting(z.string({ error: 'is not set: the privacy statement that covers this app (https)' }).pipe(fields.developer.shape.privacyUrl)),
  APP_TERMS_URL: setting(z.string({ error: 'is not set: the terms of use of this app (https)' }).pipe(fields.developer.shape.termsOfUseUrl)),
});

/** A package to try the app out (`npm run package -- --trial`): the publisher may be a placeholder. */
const TRIAL_DEVELOPER = {
  APP_DEVELOPER_NAME: 'Partner Leads (trial)',
  APP_WEBSITE_URL: 'https://partner-leads.contoso.example',
  APP_PRIVACY_URL: 'https://partner-leads.contoso.example/privacy',
  APP_TERMS_URL: 'https://partner-leads.contoso.example/terms',
};

/** Throws a ConfigError naming each missing or invalid variable. */
export function packageSettingsFromEnv(env: NodeJS.ProcessEnv, packageVersion: string, options: { trial?: boolean } = {}): AppPackageSettings {
  const given = Object.fromEntries(Object.entries(env).filter(([, value]) => value?.trim()));
  // The Agents Toolkit's provision writes the bot's id as BOT_ID (infra/azure.bicep's output). When the
  // Toolkit runs this (TEAMSFX_ENV), its environment's bot wins over a MicrosoftAppId from .env, which
  // may name the bot of another environment (the local tunnel's, say).
  const toolkit = Boolean(given.TEAMSFX_ENV);
  const named = {
    ...(given.BOT_ID && (toolkit || !given.MicrosoftAppId) && { MicrosoftAppId: given.BOT_ID }),
    ...(given.BOT_TYPE && (toolkit || !given.MicrosoftAppType) && { MicrosoftAppType: given.BOT_TYPE }),
  };
  const parsed = packageEnvSchema.safeParse(options.trial ? { ...TRIAL_DEVELOPER, ...given, ...named } : { ...env, ...named });
  if (!parsed.success) throw new ConfigError(toFieldIssues(parsed.error.issues));
  const { MicrosoftAppId, TEAMS_APP_ID, APP_VERSION, BOT_DOMAIN } = parsed.data;
  return {
    developer: { name: parsed.data.APP_DEVELOPER_NAME, websiteUrl: parsed.data.APP_WEBSITE_URL, privacyUrl: parsed.data.APP_PRIVACY_URL, termsOfUseUrl: parsed.data.APP_TERMS_URL },
    trial: Boolean(options.trial),
    resourceSpecificConsent: parsed.data.MicrosoftAppType !== 'UserAssignedMSI',
    botId: MicrosoftAppId,
    // A bot-only app may reuse the bot's id as its Teams app id, so one id is enough to get started.
    appId: TEAMS_APP_ID ?? MicrosoftAppId,
    version: APP_VERSION ?? packageVersion,
    validDomains: BOT_DOMAIN ? [BOT_DOMAIN] : [],
  };
}
