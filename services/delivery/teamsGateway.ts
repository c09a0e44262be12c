/** The port to Teams: bot/ implements it (rendering and sending); services/ only says what to send. */
import { AppError } from '../errors';
import type { Conversation } from '../storage/conversationStore';
import type { TeamChannel } from '../useCases/conversations';
import type { Lead } from '../leads/lead';
import type { Insights } from '../leads/leadStats';
import type { LeadSummary } from '../leads/leadViews';
import type { OutsideView } from '../leads/outsideView';

/** Someone a message @mentions (a real Teams mention: they get a notification). */
export interface Mention {
  teamsUserId: string;
  name: string;
}

/** A member of a conversation, as the Bot Connector lists them. */
export interface Member {
  aadObjectId: string;
  teamsUserId: string;
  name: string;
  email?: string;
}

export type OutboundMessage =
  /** `mentions`: people who asked to hear of this kind of lead, named on its first post. `outside`: what outside systems say of it. */
  | { kind: 'leadCard'; lead: Lead; mentions?: Mention[]; outside?: OutsideView[] }
  /** `mention`: the owner, when the reminder could not reach them in a personal chat. `personal`: it is theirs (Snooze applies). */
  | { kind: 'reminder'; lead: Lead; hours: number; mention?: Mention; personal?: boolean }
  | { kind: 'flameAlert'; lead: Lead }
  | { kind: 'expiredNotice'; lead: Lead; mention?: Mention }
  /** Someone else made the person the lead's owner: told in their personal chat, or with `mention` where the lead is posted. */
  | { kind: 'assigned'; lead: Lead; mention?: Mention }
  | { kind: 'digest'; leads: Lead[] }
  | { kind: 'text'; text: string }
  /** An outside system's connection broke (what, and how to mend it) or works again. */
  | { kind: 'syncHealth'; health: SyncHealthNotice }
  /** A change made in Teams that an outside system's state overruled: told to the person who made it. */
  | { kind: 'overruled'; lead: Lead; action: string }
  /** The weekly insights card. */
  | { kind: 'insights'; insights: Insights }
  /** The morning digest: leads that need an answer, soonest deadline first. */
  | { kind: 'needsAnswer'; leads: LeadSummary[] };

export interface SyncHealthNotice {
  state: 'broken' | 'restored';
  /** What broke: the sign-in was refused, access was denied, Partner Center has been failing. */
  cause?: 'refused' | 'unauthorized' | 'unavailable' | 'stalled';
  /** Partner Center's or the identity provider's own words. */
  detail?: string;
}

export interface TeamsGateway {
  /** Posts a new message; returns its activity id. */
  post(conversation: Conversation, message: OutboundMessage): Promise<string>;
  /** A person's own message in one line of text, in `locale` (else English): what their activity feed previews. */
  preview(message: OutboundMessage, locale?: string): string;
  /** Replaces a posted message for everyone. */
  update(conversation: Conversation, activityId: string, message: OutboundMessage): Promise<void>;
  /**
   * Opens the bot's personal chat with a user who shares `via` with it (Teams answers with the
   * existing chat if there is one). A SendFailure with status 403 when Teams will not.
   */
  openPersonalChat(via: Reachable, user: { teamsUserId: string; aadObjectId: string }): Promise<PersonalChat>;
  /** A conversation's members, at most `max` (the first page). */
  members(conversation: Reachable, max: number): Promise<Member[]>;
  /** One member of a conversation, by AAD object id; undefined when they are not one. */
  member(conversation: Reachable, aadObjectId: string): Promise<Member | undefined>;
  /** The channels of the team `conversation` is a channel of (the General channel's name is undefined). */
  channels(conversation: Reachable, teamId: string): Promise<TeamChannel[]>;
}

export type { TeamChannel } from '../useCases/conversations';

/** What the gateway needs of a conversation to reach it. */
export type Reachable = Pick<Conversation, 'reference' | 'tenantId'>;

/** A personal chat the bot opened: what ConversationStore.save needs of it. */
export interface PersonalChat {
  conversationId: string;
  tenantId?: string;
  reference: unknown;
}

/** A send Teams refused or that did not get through; `status` is the HTTP status, if any. */
export class SendFailure extends AppError {
  constructor(
    readonly status: number | undefined,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super('send_failed', message);
    this.name = 'SendFailure';
  }

  /** The bot was removed or blocked: stop sending to this conversation. */
  get gone(): boolean {
    return this.status === 403;
  }

  get retryable(): boolean {
    return this.status === undefined || this.status === 429 || this.status === 412 || this.status >= 500;
  }
}
