/**
 * Access tokens for the Partner API (App + User, the Secure Application Model): the OAuth 2.0
 * refresh-token grant at {authority}/{tenant}/oauth2/v2.0/token. Every refresh token the identity
 * provider issues is saved in storage at once (sealed: tokenVault.ts) and used from then on, by every
 * instance and after a restart; PARTNER_CENTER_REFRESH_TOKEN only starts the chain (or restarts it,
 * when its value changes).
 *
 * Not @azure/msal-node: its device-code sign-in exists only on PublicClientApplication, and a
 * refresh token from a public-client sign-in cannot be redeemed with the client secret
 * (AADSTS700025), so the app and the connect command would have to be different client types; the
 * rotated refresh token is reachable only through a serialized cache, and sharing it between
 * instances needs a cache plugin that reads storage before every token call. The grant itself is
 * one form POST; this class is that POST, its errors, and where the token lives.
 */
import type { Logger } from '../../logger';
import { postTokenRequest, refusalDescription, tokenEndpoint, type TokenAnswer } from '../../identityProvider';
import { PartnerCenterError } from './partnerCenterErrors';
import { digest, type ClientType, type StoredConnection, type SyncStore } from '../syncStore';

export const PARTNER_API_SCOPE = 'https://api.partner.microsoft.com/.default';
/** offline_access: the answer carries the next refresh token. */
export const TOKEN_SCOPES = `${PARTNER_API_SCOPE} offline_access`;

export interface TokenSource {
  /** A bearer token for the Partner API; `fresh` skips the cached one (after a 401). */
  accessToken(fresh?: boolean): Promise<string>;
}

export interface IdentitySettings {
  authorityHost: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
}

/** Refresh this long before an access token expires. */
const EARLY_MS = 5 * 60_000;

/** POSTs a form to the token endpoint; no answer, a 5xx or a 429 is `unavailable`. */
export async function postTokenForm(url: string, form: Record<string, string>): Promise<{ status: number; body: TokenAnswer }> {
  const answer = await postTokenRequest(url, form).catch((error: unknown) => {
    throw new PartnerCenterError('unavailable', `the identity provider at ${new URL(url).host} did not answer (${(error as Error).message})`, { cause: error });
  });
  if (answer.status >= 500 || answer.status === 429) {
    throw new PartnerCenterError('unavailable', `the identity provider answered ${answer.status}`, { status: answer.status, retryAfterMs: answer.retryAfterMs });
  }
  return { status: answer.status, body: answer.body };
}

/** AADSTS700025: the token was issued to a public client, so no secret may be presented with it. */
const PUBLIC_CLIENT = /AADSTS700025/;
/** AADSTS7000218: a confidential client must present its secret. */
const CONFIDENTIAL_CLIENT = /AADSTS7000218/;

/** Plain words for a refusal, with what to do about it. */
export function refusalMessage(body: TokenAnswer): string {
  const code = body.error ?? 'error';
  const said = refusalDescription(body);
  if (code === 'invalid_client') {
    return `the identity provider refused the app's client secret (invalid_client: ${said}). Create a new client secret for the app registration and set PARTNER_CENTER_CLIENT_SECRET.`;
  }
  return `the identity provider refused the saved Partner Center sign-in (${code}: ${said}). A Referrals admin must sign in again: npm run partner-center:connect.`;
}

export class RefreshTokenSource implements TokenSource {
  private cached?: { token: string; expiresAt: number };
  private inflight?: Promise<string>;
  /** When this instance last redeemed a refresh token successfully (ms). */
  refreshedAt?: number;

  constructor(
    private readonly settings: IdentitySettings,
    private readonly store: SyncStore,
    private readonly options: { bootstrap?: string; now: () => Date; log: Logger },
  ) {}

  accessToken(fresh = false): Promise<string> {
    if (!fresh && this.cached && this.cached.expiresAt - EARLY_MS > this.options.now().getTime()) return Promise.resolve(this.cached.token);
    this.inflight ??= this.refresh().finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  /** Whether a sign-in is set or stored (a stored one is not opened: a start never depends on its key or vault). */
  async available(): Promise<boolean> {
    return Boolean(this.options.bootstrap) || Boolean(await this.store.storedConnection());
  }

  private async refresh(): Promise<string> {
    const current = await this.current();
    if (!current) throw new PartnerCenterError('refused', 'no Partner Center sign-in is stored: a Referrals admin must run npm run partner-center:connect (or set PARTNER_CENTER_REFRESH_TOKEN).');
    let clientType = current.clientType;
    let answer = await this.redeem(current.refreshToken, clientType);
    // The token's client type decides whether the secret goes with it; a sign-in made elsewhere may be of the other kind.
    const description = answer.body.error_description ?? '';
    if (answer.status >= 400 && (PUBLIC_CLIENT.test(description) || CONFIDENTIAL_CLIENT.test(description))) {
      clientType = PUBLIC_CLIENT.test(description) ? 'public' : 'confidential';
      answer = await this.redeem(current.refreshToken, clientType);
    }
    const { body } = answer;
    if (answer.status >= 400 || !body.access_token) {
      this.cached = undefined;
      throw new PartnerCenterError('refused', refusalMessage(body), { status: answer.status, code: body.error });
    }
    const now = this.options.now();
    // The new refresh token is stored before its access token is used: a rotation is never lost.
    // A token an older release (during a rolling deploy) wrote back in plain text is sealed again here.
    if ((body.refresh_token && body.refresh_token !== current.refreshToken) || current.etag === undefined || clientType !== current.clientType || current.plain) {
      await this.save({ ...current, refreshToken: body.refresh_token ?? current.refreshToken, clientType }, now);
    }
    this.cached = { token: body.access_token, expiresAt: now.getTime() + Number(body.expires_in ?? 3600) * 1000 };
    this.refreshedAt = now.getTime();
    return body.access_token;
  }

  private redeem(refreshToken: string, clientType: ClientType) {
    const { clientId, clientSecret } = this.settings;
    return postTokenForm(tokenEndpoint(this.settings), {
      grant_type: 'refresh_token',
      client_id: clientId,
      refresh_token: refreshToken,
      scope: TOKEN_SCOPES,
      ...(clientType === 'confidential' ? { client_secret: clientSecret } : {}),
    });
  }

  /**
   * The refresh token to use: the stored one, unless PARTNER_CENTER_REFRESH_TOKEN holds a value not
   * seen before (the operator set a new one: it is taken, even over an earlier connect sign-in). The
   * value the setting held when a token was stored is recorded with it (as a digest) for this.
   */
  private async current(): Promise<(Omit<StoredConnection, 'etag' | 'savedAt'> & { etag?: string }) | undefined> {
    const { bootstrap } = this.options;
    if (!bootstrap) return this.store.connection();
    // Which one counts is told from what is stored beside the token: a new setting is taken even when the stored token cannot be opened.
    const known = await this.store.storedConnection();
    const settingDigest = digest(bootstrap);
    const storedCounts = known && (known.settingDigest === settingDigest || (known.origin === 'connect' && known.settingDigest === undefined));
    if (!storedCounts) {
      if (known) this.options.log.info('PARTNER_CENTER_REFRESH_TOKEN holds a new value: it replaces the stored Partner Center sign-in');
      return { refreshToken: bootstrap, clientType: 'confidential', origin: 'setting', settingDigest, etag: known?.etag };
    }
    const stored = await known.open();
    // A connect sign-in stored before the setting's value was recorded with it: the sign-in stands, and records it.
    return stored && { ...stored, settingDigest };
  }

  private async save(connection: Omit<StoredConnection, 'etag' | 'savedAt'> & { etag?: string }, now: Date): Promise<void> {
    const { etag, plain: _plain, ...row } = connection as typeof connection & { plain?: boolean };
    const saved = etag === undefined ? await this.store.createConnection(row, now) : await this.store.saveConnection(row, now, etag);
    // Another instance saved a token it was issued meanwhile: both are valid, the stored one stands.
    if (!saved) this.options.log.debug('a newer Partner Center refresh token was saved by another instance');
  }
}
