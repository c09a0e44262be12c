/**
 * Microsoft Entra ID's token endpoint, as the product asks it for tokens with a form (a refresh
 * token for Partner Center, the bot's client credentials for Graph). Each caller says in its own
 * words what a refusal or a silence means; this is only the request and its answer.
 */
import { parseJson } from './json';
import { retryAfterMs } from './retryAfter';

const TIMEOUT_MS = 10_000;

/** The identity provider's answer to a token request, as far as the product uses it. */
export interface TokenAnswer {
  access_token?: string;
  refresh_token?: string;
  expires_in?: number | string;
  id_token?: string;
  error?: string;
  error_description?: string;
}

export const tokenEndpoint = (settings: { authorityHost: string; tenantId: string }): string => `${settings.authorityHost}/${encodeURIComponent(settings.tenantId)}/oauth2/v2.0/token`;

/**
 * POSTs a form to a token endpoint: its status and answer (an HTML error page reads as no answer),
 * and how long it asked to wait. A request that got no answer throws as fetch threw it.
 */
export async function postTokenRequest(url: string, form: Record<string, string>): Promise<{ status: number; body: TokenAnswer; retryAfterMs?: number }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams(form),
    redirect: 'error',
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  const body = (parseJson(await res.text()) ?? {}) as TokenAnswer;
  return { status: res.status, body, retryAfterMs: retryAfterMs(res.headers.get('retry-after')) };
}

/** The first line of the identity provider's description of a refusal (its later lines are trace ids). */
export const refusalDescription = (body: TokenAnswer): string => (body.error_description ?? '').split(/\r?\n/)[0]?.slice(0, 300) ?? '';
