/**
 * The Bot Framework adapter. With MicrosoftAppId set, every inbound request's JWT is verified
 * (issuer, audience, serviceUrl); without it the adapter is anonymous — development only.
 */
import { CloudAdapter, ConfigurationBotFrameworkAuthentication, type TurnContext } from 'botbuilder';
import type { Config } from '../services/config';
import type { Logger } from '../services/logger';

export function createAdapter(config: Config, log: Logger): CloudAdapter {
  const auth = new ConfigurationBotFrameworkAuthentication({
    MicrosoftAppId: config.MicrosoftAppId ?? '',
    MicrosoftAppPassword: config.MicrosoftAppPassword ?? '',
    MicrosoftAppType: config.MicrosoftAppType,
    MicrosoftAppTenantId: config.MicrosoftAppTenantId ?? '',
  });
  const adapter = new CloudAdapter(auth);
  adapter.onTurnError = async (context: TurnContext, error: Error) => {
    log.error({ err: error, activityType: context.activity.type, conversation: context.activity.conversation?.id }, 'turn failed');
    if (context.activity.type === 'message') {
      await context.sendActivity('Sorry, something went wrong on our side. Please try again in a moment.').catch(() => undefined);
    }
  };
  return adapter;
}
