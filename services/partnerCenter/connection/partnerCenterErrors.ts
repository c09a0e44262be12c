/** What can go wrong talking to Partner Center and its identity provider, by what the sync does about it. */
import { AppError } from '../../errors';

/**
 * - `unavailable`: network, timeout, 5xx or 429: wait (Retry-After, else back off) and try again.
 * - `refused`: the refresh token no longer works (`invalid_grant`): someone must connect again.
 * - `unauthorized`: 401 after a fresh token, or 403: the signed-in user lacks the Referrals role, or consent was withdrawn.
 * - `rejected`: 400 and other answers that trying again cannot change: Partner Center's message says why.
 * - `conflict`: 412, the referral changed since its eTag was read.
 * - `notFound`: 404, no such referral.
 */
export type PartnerCenterProblem = 'unavailable' | 'refused' | 'unauthorized' | 'rejected' | 'conflict' | 'notFound';

export class PartnerCenterError extends AppError {
  /** `details.revision`: for a refused write-back, the lead's revision that was sent. */
  constructor(
    readonly problem: PartnerCenterProblem,
    message: string,
    readonly details: { status?: number; code?: string; retryAfterMs?: number; cause?: unknown; revision?: number } = {},
  ) {
    super('partner_center', message, { cause: details.cause });
    this.name = 'PartnerCenterError';
  }

  get status(): number | undefined {
    return this.details.status;
  }
}

/** The problem an HTTP status means. */
export function problemOf(status: number): PartnerCenterProblem {
  if (status === 412) return 'conflict';
  if (status === 404) return 'notFound';
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 408 || status === 429 || status >= 500) return 'unavailable';
  return 'rejected';
}
