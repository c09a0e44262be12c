/**
 * What the edges may ask of the product: use cases only, never a store. The Teams edge and the
 * HTTP edge are given a Product (LeadsApp builds it) and import nothing of storage, delivery or
 * the outside systems' slices (`npm run lint` enforces it).
 */
import type { Lead, LeadKind } from '../leads/lead';
import type { Actor, LeadEvent } from '../leads/leadLifecycle';
import type { LeadCommand } from '../leads/leadCommands';
import type { Period, Insights } from '../leads/leadStats';
import type { LeadSummary, ListName, Page } from '../leads/leadViews';
import type { OutsideView } from '../leads/outsideView';
import type { ActResult } from '../useCases/actOnLead';
import type { ConversationUseCases, Where } from '../useCases/conversations';
import type { SearchAnswer } from '../useCases/readLeads';
import type { Received } from '../useCases/receiveLeads';
import type { RoleUseCases } from '../useCases/roles';
import type { Member, TeamsGateway } from '../delivery/teamsGateway';
import type { Incoming, ParsedReferrals } from '../partnerCenter/referrals/intake';
import type { Referral } from '../partnerCenter/referrals/referral';
import type { EventReceipt, ReferralRetry, SyncStatus } from '../partnerCenter/partnerCenterSync';
import type { Verdict } from '../partnerCenter/webhook/webhookSignature';
import type { RetryOutcome } from '../changes/failures';
import type { ReachStatus } from '../delivery/graph/reachStatus';
import type { Readiness } from './leadsApp';

export type { ActResult, EventReceipt, Member, ReachStatus, Readiness, ReferralRetry, ParsedReferrals, Received, Referral, RetryOutcome, SearchAnswer, SyncStatus, Verdict, Where };
export { REFERRAL_ID_PATTERN } from '../partnerCenter/referrals/referral';

/** A lead read to be changed: hand it to `act` (no second read), or to `letGo` when no change follows. */
export interface LeadRead {
  readonly lead: Lead;
}

export interface LeadUseCases {
  read(id: string): Promise<Lead | undefined>;
  /** The lead, and whether its card is posted in this conversation (what people without a role may read there). */
  readIn(id: string, conversationId: string): Promise<{ lead: Lead; postedHere: boolean } | undefined>;
  /** Whether the card of a lead read for a change is posted in this conversation. */
  postedIn(read: LeadRead, conversationId: string): boolean;
  readForChange(id: string): Promise<LeadRead | undefined>;
  letGo(read: LeadRead): Promise<void>;
  act(id: string, command: LeadCommand, actor: Actor, read?: LeadRead): Promise<ActResult>;
  /** The lead, what the outside systems keep of it, and its audit history (the leads API). */
  described(id: string): Promise<(Lead & Record<string, unknown> & { history: LeadEvent[] }) | undefined>;
  /** What the outside systems say of it on its card. */
  outside(lead: Lead): OutsideView[];
  /** A partner admin's `retry <lead id>`: a lead set aside because processing it kept failing is processed again. */
  retry(id: string): Promise<RetryOutcome>;
}

export interface ListUseCases {
  page(list: ListName, options: { userId?: string; cursor?: string }): Promise<Page<LeadSummary>>;
  mine(userId: string, cursor?: string): Promise<{ owned: Page<LeadSummary>; favorites: LeadSummary[]; moreFavorites: boolean }>;
  search(text: string, options: { cursor?: string; size?: number }): Promise<SearchAnswer>;
  needsAnswer(kinds: LeadKind[], limit?: number): Promise<LeadSummary[]>;
  insights(period: Period): Promise<Insights>;
}

export interface PeopleUseCases {
  /** A conversation's members (the people picker's list). */
  list(where: Where): Promise<Member[]>;
  /** A member of the conversation by AAD object id (or Teams id). */
  find(where: Where, id: string): Promise<Member | undefined>;
  /** Someone picked from the organization: found among the members of the rooms where the lead is posted. */
  whereLeadIs(leadId: string, id: string): Promise<Member | undefined>;
  /** Someone picked from the organization (a role to grant): found here, else among the members of the conversations that get new leads. */
  findAnywhere(where: Where, id: string): Promise<Member | undefined>;
}

export interface ReferralUseCases {
  parse(body: unknown): ParsedReferrals;
  ingest(referrals: Incoming[]): Promise<Received[]>;
}

export interface PartnerCenterUseCases {
  verify(headers: Record<string, string | string[] | undefined>, body: Buffer): Promise<Verdict>;
  /** Files a verified webhook event; its referral is fetched right after. */
  receiveEvent(payload: unknown): Promise<EventReceipt>;
  /** A partner admin's `retry <referral id>`: a referral parked because it could not be read is read again. */
  retryReferral(id: string): Promise<ReferralRetry>;
}

export interface Product {
  now(): Date;
  leads: LeadUseCases;
  lists: ListUseCases;
  referrals: ReferralUseCases;
  conversations: ConversationUseCases;
  roles: RoleUseCases;
  people: PeopleUseCases;
  /** Present when the Partner Center sync is on. */
  partnerCenter?: PartnerCenterUseCases;
  syncStatus(): Promise<SyncStatus | { on: false }>;
  /** Whether the bot reaches people in their activity feed and may install the app for them, as Graph last answered. */
  teamsReach(): ReachStatus;
  /** Storage answers (else it throws), and who holds the background work's leases (readiness). */
  ready(): Promise<Readiness>;
  /** The Teams side is connected: from now on the product sends through it. */
  connectTeams(gateway: TeamsGateway): void;
}
