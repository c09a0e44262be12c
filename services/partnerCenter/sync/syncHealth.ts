/**
 * Whether the Partner Center connection works, for the people who depend on it. Every pull and
 * write-back reports here; the record in storage is shared by every instance. When the connection
 * breaks (the sign-in refused, access denied after a fresh token, Partner Center failing for more
 * than 10 minutes, or no pull succeeding for PARTNER_CENTER_ALERT_AFTER_MINUTES whatever the cause:
 * the pull watchdog) partner admins are told once, and once more when it works again: the change
 * of state is an ETag-conditional write, so exactly one instance makes it and sends the messages.
 */
import type { Outbox } from '../../delivery/outbox';
import type { SyncHealthNotice } from '../../delivery/teamsGateway';
import type { Logger } from '../../logger';
import type { PartnerCenterError } from '../connection/partnerCenterErrors';
import type { Health, SyncStore } from '../syncStore';

/** Partner Center failing this long, with no success in between, breaks the connection. */
export const OUTAGE_MS = 10 * 60_000;
/** While all is well, a success is written at most this often: not one storage write per write-back. */
const RECORD_SUCCESS_EVERY_MS = 60_000;
const ATTEMPTS = 3;

export interface SyncHealthDeps {
  store: SyncStore;
  /** Teams' outbox: where the admins' messages wait. */
  outbox: Outbox;
  /** Where admins are told: their personal chats with the bot, else the subscribed channels. */
  recipients: () => Promise<string[]>;
  /** Messages were queued: send them now. */
  queued: () => void;
  /** When this instance last redeemed a refresh token (ms), if ever. */
  freshTokenAt: () => number | undefined;
  now: () => Date;
  log: Logger;
}

export class SyncHealth {
  private recorded: { pull?: number; push?: number } = {};
  /** As far as this instance knows: a broken connection makes every success worth writing. */
  private broken = true;

  constructor(private readonly deps: SyncHealthDeps) {}

  async succeeded(what: 'pull' | 'push'): Promise<void> {
    const now = this.deps.now();
    const last = this.recorded[what];
    if (!this.broken && last !== undefined && now.getTime() - last < RECORD_SUCCESS_EVERY_MS) return;
    const freshToken = this.deps.freshTokenAt();
    await this.change((read) => {
      // A refused or denied sign-in is mended only by a call made with a token redeemed since it broke:
      // an instance still on an access token from before proves nothing.
      // A stall is mended by a successful pull only; an outage by any success.
      const mended =
        !read.broken ||
        (read.broken === 'stalled' ? what === 'pull' : read.broken === 'unavailable' || (freshToken !== undefined && freshToken > Date.parse(read.brokenSince ?? '')));
      return {
        ...fields(read),
        [what === 'pull' ? 'lastPullAt' : 'lastPushAt']: now.toISOString(),
        ...(mended ? { failingSince: undefined, broken: undefined, brokenSince: undefined } : {}),
      };
    });
    this.recorded[what] = now.getTime();
  }

  /** Records a failure; a problem of the connection (not of one referral) may break it. */
  async failed(error: PartnerCenterError): Promise<void> {
    const now = this.deps.now();
    const cause = error.problem === 'refused' || error.problem === 'unauthorized' || error.problem === 'unavailable' ? error.problem : undefined;
    await this.change((read) => {
      const failingSince = cause ? (read.failingSince ?? now.toISOString()) : read.failingSince;
      const breaks = cause === 'refused' || cause === 'unauthorized' || (cause === 'unavailable' && now.getTime() - Date.parse(failingSince ?? '') >= OUTAGE_MS);
      return {
        ...fields(read),
        lastError: error.message.slice(0, 500),
        lastErrorAt: now.toISOString(),
        failingSince,
        ...(breaks && !read.broken ? { broken: cause, brokenSince: now.toISOString() } : {}),
      };
    });
  }

  /**
   * The pull watchdog, run by every instance on every poll tick (whether it holds the poll or not):
   * no successful pull for `afterMs` (since the last one, or since the watch began) breaks the
   * sync as 'stalled', whatever kept it from succeeding. The next successful pull mends it.
   */
  async watchPulls(afterMs: number): Promise<void> {
    const now = this.deps.now();
    const read = await this.deps.store.health();
    const since = read.lastPullAt ?? read.watchingSince;
    if (!since) {
      await this.change((current) => (current.lastPullAt || current.watchingSince ? fields(current) : { ...fields(current), watchingSince: now.toISOString() }));
      return;
    }
    if (read.broken || now.getTime() - Date.parse(since) < afterMs) return;
    await this.change((current) => {
      const last = current.lastPullAt ?? current.watchingSince;
      if (current.broken || !last || now.getTime() - Date.parse(last) < afterMs) return fields(current);
      const minutes = Math.round((now.getTime() - Date.parse(last)) / 60_000);
      const why = current.lastError ? `the last error: ${current.lastError}` : 'no error was recorded: the pull may not be running at all';
      return { ...fields(current), broken: 'stalled', brokenSince: now.toISOString(), lastError: `no referrals pulled from Partner Center for ${minutes} minutes (${why})`.slice(0, 500) };
    });
  }

  status(): Promise<Health> {
    return this.deps.store.health();
  }

  /** Writes the next record over the one read (retried on a race); tells admins when this write broke or mended the connection. */
  private async change(next: (read: Health) => Omit<Health, 'etag'>): Promise<void> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const read = await this.deps.store.health();
      const written = next(read);
      if (!(await this.deps.store.saveHealth(read, written))) continue;
      this.broken = Boolean(written.broken);
      if (!read.broken && written.broken) {
        this.deps.log.error({ cause: written.broken, reason: written.lastError }, 'Partner Center connection broken: partner admins are told');
        await this.tell({ state: 'broken', cause: written.broken, detail: written.lastError }, written.brokenSince ?? '');
      } else if (read.broken && !written.broken) {
        this.deps.log.info('Partner Center connection works again');
        await this.tell({ state: 'restored' }, read.brokenSince ?? '');
      }
      return;
    }
    this.deps.log.warn('Partner Center health record kept changing; this report was dropped');
  }

  /** One message per recipient per broken spell (its start names it), however many instances saw it. */
  private async tell(notice: SyncHealthNotice, spell: string): Promise<void> {
    const keys = await this.deps.recipients();
    const now = this.deps.now();
    await Promise.all(
      keys.map((conversationKey) =>
        this.deps.outbox.enqueueOnce({ key: `syncHealth|${notice.state}|${spell}|${conversationKey}`, kind: 'syncHealth', conversationKey, text: JSON.stringify(notice) }, now),
      ),
    );
    this.deps.queued();
  }
}

function fields(read: Health): Omit<Health, 'etag'> {
  const { etag: _etag, ...rest } = read;
  return rest;
}
