/**
 * The first sign-in, for `npm run partner-center:connect`: the OAuth 2.0 device authorization
 * grant. The person is shown a URL and a code, signs in as a Referrals admin on any device, and the
 * identity provider issues the refresh token the app then lives on. The token request carries the
 * client secret (the app redeems its refresh tokens the same way); an app registration that treats
 * device sign-ins as a public client (AADSTS700025) gets a token redeemed without it, recorded so.
 */
import { PartnerCenterError } from './partnerCenterErrors';
import type { ClientType } from '../syncStore';
import { tokenEndpoint } from '../../identityProvider';
import { postTokenForm, refusalMessage, TOKEN_SCOPES, type IdentitySettings } from './tokenProvider';

export interface SignedIn {
  refreshToken: string;
  clientType: ClientType;
  /** Who signed in (the id token's preferred_username), when the identity provider says. */
  account?: string;
}

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const PUBLIC_CLIENT = /AADSTS700025/;

export async function signInWithDeviceCode(
  settings: IdentitySettings,
  options: { say: (message: string) => void; sleep?: (ms: number) => Promise<void>; now?: () => number },
): Promise<SignedIn> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = options.now ?? Date.now;
  const endpoint = `${settings.authorityHost}/${encodeURIComponent(settings.tenantId)}/oauth2/v2.0/devicecode`;
  const started = await postTokenForm(endpoint, { client_id: settings.clientId, scope: TOKEN_SCOPES });
  const start = started.body as { device_code?: string; user_code?: string; verification_uri?: string; expires_in?: number; interval?: number; message?: string; error?: string };
  if (started.status >= 400 || !start.device_code) throw new PartnerCenterError('refused', `the sign-in could not start: ${refusalMessage(started.body)}`);
  options.say(start.message ?? `To sign in, open ${start.verification_uri} and enter the code ${start.user_code}.`);

  let interval = Math.max(0, Number(start.interval ?? 5)) * 1000;
  let clientType: ClientType = 'confidential';
  const deadline = now() + Number(start.expires_in ?? 900) * 1000;
  while (now() < deadline) {
    const answer = await postTokenForm(tokenEndpoint(settings), {
      grant_type: DEVICE_GRANT,
      client_id: settings.clientId,
      device_code: start.device_code,
      ...(clientType === 'confidential' ? { client_secret: settings.clientSecret } : {}),
    });
    const { body } = answer;
    if (answer.status < 400 && body.refresh_token) return { refreshToken: body.refresh_token, clientType, account: accountOf(body.id_token) };
    if (body.error === 'authorization_pending' || body.error === 'slow_down') {
      if (body.error === 'slow_down') interval += 5000;
      await sleep(interval);
      continue;
    }
    if (clientType === 'confidential' && PUBLIC_CLIENT.test(body.error_description ?? '')) {
      clientType = 'public';
      continue;
    }
    if (answer.status < 400) throw new PartnerCenterError('refused', 'the identity provider answered without a refresh token: does the app request offline_access?');
    throw new PartnerCenterError('refused', `the sign-in did not complete (${body.error ?? answer.status}: ${(body.error_description ?? '').split(/\r?\n/)[0]})`);
  }
  throw new PartnerCenterError('refused', 'the code expired before anyone signed in: run the command again');
}

/** The signed-in user's name from an id token (not verified: it is only shown, never trusted). */
function accountOf(idToken: string | undefined): string | undefined {
  const payload = idToken?.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { preferred_username?: unknown; upn?: unknown };
    const name = claims.preferred_username ?? claims.upn;
    return typeof name === 'string' ? name.slice(0, 200) : undefined;
  } catch {
    return undefined;
  }
}
