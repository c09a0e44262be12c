/**
 * The Bot Framework adapter. With MicrosoftAppId set, every inbound request's JWT is verified
 * (issuer, audience, serviceUrl); without it the adapter is anonymous — development only.
 * /api/messages verifies first and answers a refusal itself: a fast 401, also when the signing
 * keys cannot be fetched (botbuilder would answer 500, or wait as long as the network does).
 */
import { CloudAdapter, ConfigurationBotFrameworkAuthentication, type Activity, type InvokeResponse, type TurnContext } from 'botbuilder';
import type { ClaimsIdentity, ConnectorClient, ConnectorFactory, UserTokenClient } from 'botframework-connector';
import type { Config } from '../services/app/config';
import type { Logger } from '../services/logger';
import { tokenRefusal } from './inboundToken';

export type VerifiedRequest = Awaited<ReturnType<ConfigurationBotFrameworkAuthentication['authenticateRequest']>>;

const VERIFY_TIMEOUT_MS = 5_000;

export class LeadsAdapter extends CloudAdapter {
  constructor(
    private readonly authentication: ConfigurationBotFrameworkAuthentication,
    private readonly appId: string | undefined,
    private readonly log: Logger,
  ) {
    super(authentication);
  }

  /**
   * True when the request cannot carry a valid token, whatever its body: in production, no token
   * or one refused on sight. Checked before the body, so a caller without a token learns nothing
   * about what the bot accepts.
   */
  refusedOnSight(authHeader: string): boolean {
    if (!this.appId) return false;
    const refusal = authHeader.trim() ? tokenRefusal(authHeader, this.appId, Date.now() / 1000) : 'no token';
    if (refusal) this.log.debug({ refusal }, 'Bot Framework token refused');
    return refusal !== undefined;
  }

  /** The verified request, or undefined when the token is invalid or cannot be checked (after refusedOnSight). */
  async verify(activity: Activity, authHeader: string): Promise<VerifiedRequest | undefined> {
    try {
      return await withTimeout(this.authentication.authenticateRequest(activity, authHeader), VERIFY_TIMEOUT_MS);
    } catch (error) {
      // botbuilder's AuthenticationError carries 401; anything else means the keys could not be fetched.
      const invalid = (error as { statusCode?: unknown }).statusCode === 401;
      const reason = error instanceof Error ? error.message : String(error);
      if (invalid) this.log.debug({ refusal: reason }, 'Bot Framework token refused');
      else this.log.warn({ reason }, 'Bot Framework token refused: it could not be verified');
      return undefined;
    }
  }

  /** Runs the turn of a verified request; returns the invoke response, if any. */
  runVerified(request: VerifiedRequest, activity: Activity, logic: (context: TurnContext) => Promise<void>): Promise<InvokeResponse | undefined> {
    return this.processActivity(request, activity, logic);
  }
}

/**
 * botbuilder builds a new ConnectorClient (with its own HTTP pipeline) and UserTokenClient for
 * every turn and every proactive send. One adapter serves one bot identity (the settings') and a
 * few service URLs, so they are built once and reused, and their credentials keep their tokens.
 */
class ReusingAuthentication extends ConfigurationBotFrameworkAuthentication {
  private readonly replies = new ConnectorClients();
  // The outbox owns retries of proactive sends (durably, within the rate limits).
  private readonly proactive = new ConnectorClients(withoutClientRetries);
  private readonly userTokenClient = new Map<string, Promise<UserTokenClient>>();

  override async authenticateRequest(activity: Activity, authHeader: string) {
    const result = await super.authenticateRequest(activity, authHeader);
    const factory = result.connectorFactory;
    return factory ? { ...result, connectorFactory: this.replies.of(factory) } : result;
  }

  override createConnectorFactory(claimsIdentity: ClaimsIdentity): ConnectorFactory {
    return this.proactive.of(super.createConnectorFactory(claimsIdentity));
  }

  override createUserTokenClient(claimsIdentity: ClaimsIdentity): Promise<UserTokenClient> {
    return reuse(this.userTokenClient, 'bot', () => super.createUserTokenClient(claimsIdentity));
  }
}

class ConnectorClients {
  private readonly clients = new Map<string, Promise<ConnectorClient>>();

  constructor(private readonly prepare: (client: ConnectorClient) => void = () => undefined) {}

  of(factory: ConnectorFactory): ConnectorFactory {
    return {
      create: (serviceUrl: string, audience?: string) =>
        reuse(this.clients, `${serviceUrl}|${audience ?? ''}`, async () => {
          const client = await factory.create(serviceUrl, audience);
          this.prepare(client);
          return client;
        }),
    };
  }
}

const MAX_REUSED = 64;

/** The cached promise for `key`, or a new one (dropped again if it fails); a bounded cache. */
function reuse<T>(cache: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  const cached = cache.get(key);
  if (cached) return cached;
  if (cache.size >= MAX_REUSED) cache.clear();
  const made = make();
  cache.set(key, made);
  made.catch(() => cache.delete(key));
  return made;
}

/** The connector's HTTP pipeline would retry 429s itself, sleeping for Retry-After inside the send. */
function withoutClientRetries(connector: ConnectorClient): void {
  const pipeline = (connector as unknown as { client?: { pipeline?: { removePolicy(options: { phase: string }): unknown } } }).client?.pipeline;
  pipeline?.removePolicy({ phase: 'Retry' });
}

export function createAdapter(config: Config, log: Logger): LeadsAdapter {
  const auth = new ReusingAuthentication({
    MicrosoftAppId: config.MicrosoftAppId ?? '',
    MicrosoftAppPassword: config.MicrosoftAppPassword ?? '',
    MicrosoftAppType: config.MicrosoftAppType,
    MicrosoftAppTenantId: config.MicrosoftAppTenantId ?? '',
  });
  const adapter = new LeadsAdapter(auth, config.MicrosoftAppId, log);
  adapter.onTurnError = async (context: TurnContext, error: Error) => {
    log.error({ err: error, activityType: context.activity.type, conversation: context.activity.conversation?.id }, 'turn failed');
    if (context.activity.type === 'message') {
      await context.sendActivity('Sorry, something went wrong on our side. Please try again in a moment.').catch(() => undefined);
    }
  };
  return adapter;
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
