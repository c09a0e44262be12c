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
  APP_VERSION: setting(fields.version.optional()),
  BOT_DOMAIN: setting(z.hostname('must be the bot endpoint\'s host name, such as leads.contoso.com, without https:// or a path').optional()),
});

/** Throws a ConfigError naming each missing or invalid variable. */
export function packageSettingsFromEnv(env: NodeJS.ProcessEnv, packageVersion: string): AppPackageSettings {
  const parsed = packageEnvSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(toFieldIssues(parsed.error.issues));
  const { MicrosoftAppId, TEAMS_APP_ID, APP_VERSION, BOT_DOMAIN } = parsed.data;
  return {
    botId: MicrosoftAppId,
    // A bot-only app may reuse the bot's id as its Teams app id, so one id is enough to get started.
    appId: TEAMS_APP_ID ?? MicrosoftAppId,
    version: APP_VERSION ?? packageVersion,
    validDomains: BOT_DOMAIN ? [BOT_DOMAIN] : [],
  };
}
