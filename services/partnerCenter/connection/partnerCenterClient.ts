/**
 * The Partner Center Referrals API (api.partner.microsoft.com/v1.0/engagements/referrals): list
 * (newest change first, paged by @odata.nextLink), get one, and JSON Patch one with If-Match. A 401
 * is answered by one fresh token and one more try; every other failure is a PartnerCenterError
 * whose `problem` says what the caller should do. The contract is in the README's Partner Center
 * section (what Microsoft documents, and what it leaves unverified).
 */
import { count, traced } from '../../telemetry';
import { parseJson } from '../../json';
import { randomUUID } from 'node:crypto';
import type { PatchOp } from '../referrals/referralSync';
import { retryAfterMs } from '../../retryAfter';
import { PartnerCenterError, problemOf } from './partnerCenterErrors';
import type { TokenSource } from './tokenProvider';

/** Per page; Partner Center's documented maximum is 100 (2019 docs; the current value is unverified). */
export const PAGE_SIZE = 100;
const TIMEOUT_MS = 15_000;

export interface ReferralPage {
  /** The referrals as sent, not yet parsed. */
  referrals: unknown[];
  /** The next page's URL, when there is one. */
  next?: string;
}

export class PartnerCenterClient {
  private readonly api: URL;

  constructor(
    apiUrl: string,
    private readonly tokens: TokenSource,
  ) {
    this.api = new URL(apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/`);
  }

  /** One page of referrals, most recently updated first; `next` is a page's `next`. */
  async list(next?: string): Promise<ReferralPage> {
    const url = next ? this.sameOrigin(next) : this.url('engagements/referrals', { $orderby: 'updatedDateTime desc', $top: String(PAGE_SIZE) });
    const body = (await this.send('GET', url, 'list')).body as { value?: unknown; '@odata.nextLink'?: unknown } | undefined;
    const referrals = Array.isArray(body?.value) ? body.value : [];
    const link = body?.['@odata.nextLink'];
    return { referrals, next: typeof link === 'string' && link && referrals.length > 0 ? link : undefined };
  }

  /** One referral, or undefined when Partner Center has none with this id. */
  async get(id: string): Promise<unknown> {
    try {
      return (await this.send('GET', this.url(`engagements/referrals/${encodeURIComponent(id)}`), 'referral')).body;
    } catch (error) {
      if (error instanceof PartnerCenterError && error.problem === 'notFound') return undefined;
      throw error;
    }
  }

  /**
   * Applies the ops if the referral still has `eTag` (sent exactly as Partner Center gave it).
   * Returns the referral as it is now, when Partner Center sends it back (it does on
   * `Prefer: return=representation`); undefined on a bare 204.
   */
  async patch(id: string, ops: PatchOp[], eTag: string): Promise<unknown> {
    const answer = await this.send('PATCH', this.url(`engagements/referrals/${encodeURIComponent(id)}`), 'referral', ops, {
      'if-match': eTag,
      prefer: 'return=representation',
    });
    return answer.status === 204 ? undefined : answer.body;
  }

  private url(path: string, query: Record<string, string> = {}): string {
    const url = new URL(path, this.api);
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    return url.toString();
  }

  /**
   * A next-page link is followed as given, but only to the API's own host and always over the
   * API's scheme: the bearer token goes nowhere else (Microsoft's samples show http links).
   */
  private sameOrigin(link: string): string {
    let url: URL;
    try {
      url = new URL(link, this.api);
    } catch {
      throw new PartnerCenterError('rejected', `Partner Center sent a next-page link that is not a URL: ${link.slice(0, 200)}`);
    }
    if (url.hostname.toLowerCase() !== this.api.hostname.toLowerCase()) {
      throw new PartnerCenterError('rejected', `Partner Center sent a next-page link to another host (${url.hostname}); not followed`);
    }
    url.protocol = this.api.protocol;
    url.port = this.api.port;
    return url.toString();
  }

  /**
   * `about` says what a 403 means: on the list, the signed-in account may read no referrals (the
   * connection is broken); on one referral, only that one is refused (a Referrals User not on its team).
   */
  private send(method: 'GET' | 'PATCH', url: string, about: 'list' | 'referral', body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
    return traced(`partnerCenter.${method} ${about}`, { 'http.request.method': method }, () => this.sendOnce(method, url, about, body, headers));
  }

  private async sendOnce(method: 'GET' | 'PATCH', url: string, about: 'list' | 'referral', body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.tokens.accessToken(attempt > 0);
      let res: Response;
      try {
        res = await fetch(url, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            accept: 'application/json',
            'client-request-id': randomUUID(),
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            ...headers,
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          redirect: 'error',
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
      } catch (error) {
        throw new PartnerCenterError('unavailable', `Partner Center did not answer (${(error as Error).message})`, { cause: error });
      }
      // One fresh token, once: an access token can be revoked before it expires.
      if (res.status === 401 && attempt === 0) {
        await res.body?.cancel();
        continue;
      }
      const text = await res.text();
      const parsed = parseJson(text);
      if (res.ok) return { status: res.status, body: parsed };
      const error = (parsed as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
      const code = typeof error?.code === 'string' ? error.code : undefined;
      const said = typeof error?.message === 'string' ? error.message : text.slice(0, 300);
      const problem = res.status === 403 && about === 'referral' ? 'rejected' : problemOf(res.status);
      if (res.status === 429) count.throttled('partnerCenter');
      throw new PartnerCenterError(problem, `Partner Center answered ${res.status}${code ? ` ${code}` : ''}${said ? `: ${said}` : ''}`, {
        status: res.status,
        code,
        retryAfterMs: retryAfterMs(res.headers.get('retry-after')),
      });
    }
  }
}
