/**
 * A person's own events — a lead assigned to them, their lead's reminders and expiry, a change of
 * theirs Partner Center overruled, a snoozed reminder coming due — in their Teams activity feed
 * (Microsoft Graph sendActivityNotification, as the bot), linked to the lead's card where it lives.
 * Graph notifies only people the app is installed for: one it is not installed for is installed
 * for (when an admin allowed it) and notified again, once. Any other refusal is logged once and
 * shown on the `sync` card, and the caller falls back to a 1:1 message or an @mention: nothing is
 * lost.
 */
import type { Logger } from '../../logger';
import type { AppInstaller } from './appInstaller';
import { SendFailure } from '../teamsGateway';
import { GraphError, type GraphClient } from './graphClient';
import type { ReachMonitor } from './reachStatus';

/** The activity types the app package declares (manifest `activities.activityTypes`), with their template parameters. */
export const ACTIVITY_TYPES = {
  leadAssigned: ['assignedBy', 'leadName'],
  leadReminder: ['leadName', 'timeLeft'],
  leadExpired: ['leadName'],
  changeOverruled: ['leadName'],
} as const;
export type ActivityType = keyof typeof ACTIVITY_TYPES;

export interface FeedNotice {
  type: ActivityType;
  /** The topic line (the lead's name). */
  topic: string;
  /** Where a click takes the person: the lead's card (a teams.microsoft.com deep link). */
  webUrl: string;
  /** At most 150 characters are shown. */
  preview: string;
  parameters: Record<string, string>;
}

/** Graph's words when the app is not installed for the recipient (no status or error code is documented for it: 403 is reported, 404 is read alike). */
const NOT_INSTALLED = /Teams app is installed|not installed/i;
/**
 * Graph's words for a permission the request lacks. With only the package's resource-specific
 * TeamsActivity.Send.User, that is per person (consented where the app is installed for them): the
 * app is installed for them, then tried once more. It is the tenant's only while no one was reached.
 */
const MISSING_PERMISSION = /Missing role permissions|permission|consent/i;
/** A person Graph would not notify is told in a chat for this long before the feed is tried for them again. */
const PERSON_BACKOFF_MS = 60 * 60_000;

export class ActivityFeed {
  constructor(
    private readonly deps: {
      graph: GraphClient;
      reach: ReachMonitor;
      installer?: AppInstaller;
      /** The app's catalog id, to tell Graph which of several apps with the bot's id sends (optional). */
      teamsAppId?: string;
      log: Logger;
      now: () => Date;
    },
  ) {}

  /** People Graph would not notify (after an install, where allowed), until when: told in a chat meanwhile, without a Graph call. */
  private readonly notReached = new Map<string, number>();

  get on(): boolean {
    return this.deps.reach.enabled('activityFeed');
  }

  /** True when the notification is in the person's feed; false when the caller should reach them another way. */
  async notify(person: string, notice: FeedNotice): Promise<boolean> {
    if (!this.on || (this.notReached.get(person) ?? 0) > this.deps.now().getTime()) return false;
    const sent = await this.send(person, notice);
    if (sent === 'sent' || sent === 'failed') return sent === 'sent';
    // Graph notifies only people the app is installed for (with its permission consented): installed now (if allowed), then once more.
    const again = (await this.deps.installer?.install(person)) ? await this.send(person, notice) : sent;
    if (again === 'sent') return true;
    this.notReached.delete(person);
    if (this.notReached.size >= 10_000) this.notReached.clear();
    this.notReached.set(person, this.deps.now().getTime() + PERSON_BACKOFF_MS);
    // Nobody reached yet, and this refusal is about permissions: most likely the tenant's, said once.
    if (typeof again === 'object') this.deps.reach.refusedFor('activityFeed', person, again.missingPermission);
    return false;
  }

  /** Sent, or why not: a permission Graph names as missing comes with its words. */
  private async send(person: string, notice: FeedNotice): Promise<'sent' | 'notInstalled' | 'failed' | { missingPermission: string }> {
    const { graph, reach, log } = this.deps;
    try {
      await graph.request('POST', `/v1.0/users/${encodeURIComponent(person)}/teamwork/sendActivityNotification`, {
        topic: { source: 'text', value: notice.topic.slice(0, 200), webUrl: notice.webUrl },
        activityType: notice.type,
        previewText: { content: notice.preview.slice(0, 150) },
        templateParameters: ACTIVITY_TYPES[notice.type].map((name) => ({ name, value: notice.parameters[name] ?? '' })),
        ...(this.deps.teamsAppId && { teamsAppId: this.deps.teamsAppId }),
      });
      reach.worked('activityFeed');
      return 'sent';
    } catch (error) {
      if (!(error instanceof GraphError)) throw error;
      // Throttled: the item waits as Graph asks, and tries the feed again (a chat message now would say it twice later).
      if (error.status === 429) throw new SendFailure(429, error.message, error.retryAfterMs);
      if ((error.status === 403 || error.status === 404) && NOT_INSTALLED.test(error.message)) return 'notInstalled';
      if (error.status === 403 && MISSING_PERMISSION.test(error.message)) return { missingPermission: error.message };
      // The bot's own identity refused (its token, its secret), or a notification the package does not declare: the tenant's.
      if (error.status === 401 || error.status === 400 || error.status === 403) reach.refused('activityFeed', error.message);
      else log.warn({ err: error, person }, 'the activity feed notification did not go out: the person is told in a chat instead');
      return 'failed';
    }
  }
}

/** A lead's card where a notification can link to it: a channel's or a group chat's message. */
export interface LinkedCard {
  scope: 'channel' | 'groupChat';
  conversationId: string;
  activityId: string;
  tenantId?: string;
  /** For a channel: its team's Microsoft 365 group id. */
  teamGroupId?: string;
}

/** The Teams deep link to a card: the message in its channel (a thread's root) or group chat. */
export function cardLink(card: LinkedCard): string {
  const query = new URLSearchParams({ ...(card.tenantId && { tenantId: card.tenantId }) });
  if (card.scope === 'channel') {
    if (card.teamGroupId) query.set('groupId', card.teamGroupId);
    query.set('parentMessageId', card.activityId);
    query.set('createdTime', card.activityId);
  } else query.set('context', JSON.stringify({ contextType: 'chat' }));
  return `https://teams.microsoft.com/l/message/${encodeURIComponent(card.conversationId)}/${encodeURIComponent(card.activityId)}?${query.toString()}`;
}
