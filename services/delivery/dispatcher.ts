/**
 * Sends what waits in the outbox, within Teams' rate limits: 429 waits for Retry-After, 5xx and
 * network errors back off with jitter, 403 unsubscribes, and the last failed try goes to the
 * dead letters with one notice to admins. Bursts of new cards for one conversation become a digest.
 */
import { kindOf, type Conversation, type ConversationSettings, type ConversationStore, type LeadKind } from '../storage/conversationStore';
import type { Insights } from '../leads/leadStats';
import type { LeadSummary } from '../leads/leadViews';
import { roomsOfLead, type Delivery, type DeliveryRecord, type DeliveryStore } from './deliveryStore';
import type { Lead } from '../leads/lead';
import type { LeadStore, StoredLead } from '../storage/leadStore';
import { renderKey, snoozedPast } from '../leads/leadTime';
import type { Logger } from '../logger';
import type { Lease } from '../storage/lease';
import { isPersonKey, type CardSync, type Outbox, type OutboxItem } from './outbox';
import type { CardJob, SentCards } from './projector';
import { RateLimiter } from './rateLimiter';
import { SendFailure, type Mention, type OutboundMessage, type SyncHealthNotice, type TeamsGateway } from './teamsGateway';

export interface DispatcherOptions {
  perSecondPerConversation: number;
  per30SecondsPerConversation: number;
  perSecondGlobal: number;
  maxAttempts: number;
  digestThreshold: number;
  flameWindowHours: number;
  /** How long the sender lease and a claimed item last: a crashed sender blocks others this long. */
  leaseMs: number;
  /** Where to tell admins that a send was given up on (a conversation key), if anywhere. */
  adminConversationKeys?: () => Promise<string[]>;
}

interface CardState {
  upToDate: boolean;
  delivery?: Delivery;
  stored?: StoredLead;
}

/** A job's cards waiting in memory for a send slot, and what is known of it so far. */
interface DirectJob extends SentCards {
  job: CardJob;
  left: number;
  done: (outcome: SentCards) => Promise<void>;
}

/** Whether a conversation's settings let this kind of message through (cards of posted leads always go). */
function wanted(kind: OutboxItem['kind'], settings: ConversationSettings): boolean {
  switch (kind) {
    case 'flameAlert':
      return settings.flameAlerts;
    case 'reminder':
    case 'expiredNotice':
      return settings.reminders;
    case 'insights':
      return settings.insights;
    case 'needsAnswer':
      return settings.digest;
    default:
      return true;
  }
}

export interface DispatcherDeps {
  outbox: Outbox;
  /** Only the holder sends: Teams' limits hold across instances, and its in-memory windows stay true. */
  lease: Lease;
  leads: LeadStore;
  deliveries: DeliveryStore;
  conversations: ConversationStore;
  gateway: TeamsGateway;
  now: () => Date;
  log: Logger;
  random?: () => number;
  /** What the scheduled cards show, read when they are sent: this week's insights, the leads that need an answer. */
  reports?: {
    insights(): Promise<Insights>;
    needsAnswer(kinds: LeadKind[]): Promise<LeadSummary[]>;
  };
}

const RATE_WAIT_MS = 250;
/** How much wider than Teams' windows ours are (see RateLimiter): about 5 % of the 1 s limit. */
const RATE_MARGIN_MS = 50;
/** A delivery covered by a digest card has `digest|<the digest's outbox key>` for its activity id. */
const DIGEST_MARK = 'digest|';
const isDigestMark = (activityId: string | undefined) => Boolean(activityId?.startsWith(DIGEST_MARK));
/** A card of a lead in a conversation, as the direct sender keeps count of them. */
const cardKey = (leadId: string, conversationKey: string) => `${leadId}\u0001${conversationKey}`;
/** Lines on one digest card; a bigger burst becomes several digests. */
const DIGEST_MAX_LINES = 20;

/** The Teams id of the lead's owner or a favoriter, by AAD object id. */
function teamsIdOf(lead: Lead, person: string): string | undefined {
  if (lead.owner?.id === person) return lead.owner.teamsUserId;
  return lead.favorites.find((f) => f.id.toLowerCase() === person)?.teamsUserId;
}

/** A reminder its person snoozed past the time it was due (a snoozed reminder's own return is never put off). */
function putOff(item: OutboxItem, lead: Lead, person: string): boolean {
  return !item.snoozed && snoozedPast(lead, person, Date.parse(lead.expiresAt) - (item.hours ?? 0) * 3_600_000);
}

/** The @mention of the lead's owner, for a message that names them in a room. */
function mentionOf(lead: Lead, person: string | undefined): Mention | undefined {
  const owner = lead.owner;
  return person && owner?.id === person.toLowerCase() && owner.teamsUserId ? { teamsUserId: owner.teamsUserId, name: owner.name } : undefined;
}

export class Dispatcher {
  private readonly limiter: RateLimiter;
  /** Conversations Teams asked us to leave alone (429 Retry-After), until when. */
  private readonly pausedUntil = new Map<string, number>();
  /** Cards of fresh changes waiting in memory for a send slot, oldest first (see sendDirect). */
  private waiting: { state: DirectJob; card: CardSync }[] = [];
  /** What the last outbox pass left waiting for a send slot: the next pass woken for them starts from it. */
  private leftOver?: OutboxItem[];
  /** Outbox items left alone because their card was being sent from memory: looked at again when it is done. */
  private readonly heldBack = new Set<string>();
  /** Called when the outbox holds something to look at again. */
  onOutboxWork?: () => void;
  /** Lead and conversation of every card waiting or being sent from memory: the outbox's copy of one waits. */
  private readonly directCards = new Map<string, number>();
  /** Called when cards are handed over, so the direct sending runs. */
  onDirectWork?: () => void;

  constructor(
    private readonly deps: DispatcherDeps,
    private readonly options: DispatcherOptions,
  ) {
    this.limiter = new RateLimiter(
      [
        { limit: options.perSecondPerConversation, ms: 1000 },
        { limit: Math.min(8, options.perSecondPerConversation + 1), ms: 2000 },
        { limit: options.per30SecondsPerConversation, ms: 30_000 },
        { limit: 1800, ms: 3_600_000 },
      ],
      [{ limit: options.perSecondGlobal, ms: 1000 }],
      RATE_MARGIN_MS,
    );
  }

  /**
   * One pass over what is due. Returns how many items were handled and, when some had to wait
   * (a rate limit, or a conversation paused by a 429), how soon to run again.
   */
  async drain(options: { reuse?: boolean } = {}): Promise<{ handled: number; wakeInMs?: number; more: boolean }> {
    const now = this.deps.now();
    // Held for the pass and renewed by the next; another instance takes over within its length.
    const leaseMs = this.options.leaseMs;
    const started = Date.now();
    if (!(await this.deps.lease.keep(now, leaseMs))) return { handled: 0, wakeInMs: leaseMs, more: false };
    // A pass woken only because items waited for a send slot works on what it read last: waiting
    // for a slot costs no storage. Anything queued since comes with a kick, which reads again.
    if (options.reuse && !this.leftOver) return { handled: 0, more: false };
    const due = options.reuse && this.leftOver ? this.leftOver : await this.deps.outbox.due(now);
    this.leftOver = undefined;
    const waited: OutboxItem[] = [];
    let handled = 0;
    let wakeInMs: number | undefined;
    const wake = (ms: number) => (wakeInMs = Math.min(wakeInMs ?? ms, ms));
    const digested = await this.coalesce(due, now);
    for (const item of due) {
      if (digested.has(item.key)) continue;
      // Hand the rest to the next pass well before the sender lease could lapse under us: it has
      // three quarters of its length left when a pass starts (Lease.keep), the pass takes a quarter.
      if (Date.now() - started > leaseMs / 4) {
        waited.push(...due.slice(due.indexOf(item)).filter((i) => !digested.has(i.key)));
        wake(0);
        break;
      }
      const at = this.deps.now().getTime();
      // The same card is being sent from memory: this copy waits, and finds it up to date afterwards
      // (the memory's job looks for it again when it is done).
      if (item.leadId && this.directCards.has(cardKey(item.leadId, item.conversationKey))) {
        this.heldBack.add(cardKey(item.leadId, item.conversationKey));
        continue;
      }
      const paused = (this.pausedUntil.get(item.conversationKey) ?? 0) - at;
      if (paused > 0) {
        waited.push(item);
        wake(paused);
        continue;
      }
      // Waiting for a send slot costs no storage: nothing is read for an item that could not go now.
      if (!this.limiter.allows(item.conversationKey, at)) {
        waited.push(item);
        wake(RATE_WAIT_MS);
        continue;
      }
      let card: CardState | undefined;
      try {
        card = item.kind === 'syncCard' ? await this.cardState(item) : undefined;
      } catch (error) {
        // One card that cannot be read (its lead's row, say) never holds back the rest of the pass.
        this.deps.log.warn({ err: error, item: item.key }, 'card state could not be read; will retry');
        await this.deps.outbox.retryLater(item, this.backoff(item.attempts), String(error)).catch(() => undefined);
        continue;
      }
      if (card?.upToDate) {
        // Nothing to send (say, a refresh that changes nothing shown): no rate-limit slot spent.
        const claimed = await this.deps.outbox.claim(item, this.deps.now(), leaseMs);
        if (claimed) await this.deps.outbox.complete(claimed, this.deps.now());
        continue;
      }
      if (!this.limiter.tryTake(item.conversationKey, at)) {
        waited.push(item);
        wake(RATE_WAIT_MS);
        continue;
      }
      const claimed = await this.deps.outbox.claim(item, this.deps.now(), leaseMs);
      if (!claimed) continue;
      // What was read before the claim stands: a lead change since then touched the item, so
      // the claim failed, or it will fail the completion and the item runs again.
      await this.handle(claimed, card);
      handled++;
    }
    // A digest queued in this pass is sent in the next one, right away (read again: it is new).
    if (digested.size === 0 && waited.length > 0) this.leftOver = waited;
    return { handled: handled + digested.size, wakeInMs, more: digested.size > 0 };
  }

  /** A graceful stop: another instance may send at once. */
  letGo(): Promise<void> {
    return this.deps.lease.letGo();
  }

  /** Whether cards can be sent from memory now: this instance holds the sender lease with a quarter of it left (no request). */
  directReady(): boolean {
    return this.deps.lease.holding(this.deps.now(), this.options.leaseMs / 4);
  }

  /**
   * Takes a fresh change's cards to send from memory: no outbox item, no read. They wait for
   * their slots here, and `done` gets what was sent once the last is through (see directRoom for
   * bursts).
   */
  sendDirect(job: CardJob, done: DirectJob['done']): void {
    const state: DirectJob = { job, left: job.cards.length, done, records: [], etag: job.etag, givenBack: [] };
    for (const card of job.cards) {
      this.holdCard(card, +1);
      this.waiting.push({ state, card });
    }
    this.onDirectWork?.();
  }

  /** How many more first posts for a conversation may wait here: past that, a burst goes through the outbox and becomes a digest. */
  directRoom(conversationKey: string): number {
    const waiting = this.waiting.filter((w) => w.card.conversationKey === conversationKey && w.card.urgent).length;
    return Math.max(0, this.options.digestThreshold - waiting);
  }

  /**
   * Sends the cards waiting in memory that have a slot now; returns how soon to look again when
   * some must wait. Without the lease (it lapsed, or another instance took it) they all go back
   * to the outbox.
   */
  async drainDirect(): Promise<{ wakeInMs?: number }> {
    let wakeInMs: number | undefined;
    // Cards waiting here keep the lease (renewed once a quarter of it has passed, like the outbox's passes do).
    if (this.waiting.length > 0) await this.deps.lease.keep(this.deps.now(), this.options.leaseMs).catch(() => false);
    for (const entry of [...this.waiting]) {
      // Checked before each card: a long pass must not outlive the lease while another instance takes over.
      const lost = !this.directReady();
      const at = this.deps.now().getTime();
      const key = entry.card.conversationKey;
      const paused = (this.pausedUntil.get(key) ?? 0) - at;
      if (!lost && paused > 0) {
        wakeInMs = Math.min(wakeInMs ?? paused, paused);
        continue;
      }
      if (!lost && !this.limiter.tryTake(key, at)) {
        wakeInMs = Math.min(wakeInMs ?? RATE_WAIT_MS, RATE_WAIT_MS);
        continue;
      }
      this.waiting = this.waiting.filter((w) => w !== entry);
      if (lost) entry.state.givenBack.push(entry.card);
      else await this.sendFromMemory(entry.state, entry.card);
      if (--entry.state.left === 0) await this.finish(entry.state);
    }
    return { wakeInMs };
  }

  private holdCard(card: CardSync, by: number): void {
    const key = cardKey(card.leadId, card.conversationKey);
    const n = (this.directCards.get(key) ?? 0) + by;
    if (n > 0) this.directCards.set(key, n);
    else this.directCards.delete(key);
  }

  /** The job's last card is through: its owner records what was sent and queues what was given back. */
  private async finish(state: DirectJob): Promise<void> {
    try {
      await state.done({ records: state.records, etag: state.etag, givenBack: state.givenBack });
    } finally {
      for (const card of state.job.cards) this.holdCard(card, -1);
      const heldBack = state.job.cards.filter((c) => this.heldBack.delete(cardKey(c.leadId, c.conversationKey)));
      if (heldBack.length > 0) this.onOutboxWork?.();
    }
  }

  /**
   * One card of a fresh change, as the lead was written: an update of the posted message, or a
   * first post behind a mark that is conditional on the lead being unchanged. A failure gives the
   * card back to the outbox, which retries it with its backoff.
   */
  private async sendFromMemory(state: DirectJob, card: CardSync): Promise<void> {
    const { conversations } = this.deps;
    const { lead, deliveries } = state.job;
    const delivery = deliveries.find((d) => d.conversationKey === card.conversationKey);
    let marked = false;
    try {
      const conversation = await conversations.get(card.conversationKey);
      if (!conversation?.installed) return;
      if (isDigestMark(delivery?.activityId)) {
        state.givenBack.push(card);
        return;
      }
      const onMarked = (etag: string) => {
        state.etag = etag;
        marked = true;
      };
      const outcome = await this.bringUpToDate(conversation, { lead, etag: state.etag }, delivery, { onMarked });
      // The lead changed since: the outbox sends the card as it is now.
      if (outcome === 'changed') return void state.givenBack.push(card);
      if (outcome.record) state.records.push(outcome.record);
      if (outcome.posted && outcome.record?.maybeDuplicate) this.deps.log.warn({ leadId: lead.id, conversation: card.conversationKey }, 'sent again after a crash cut the first try short: Teams may show it twice');
    } catch (error) {
      if (error instanceof SendFailure && error.gone) {
        this.deps.log.info({ conversation: card.conversationKey }, 'bot removed or blocked (403): no more sends there');
        await conversations.markRemoved(card.conversationKey).catch(() => undefined);
        return;
      }
      if (error instanceof SendFailure && error.status === 429) {
        const at = this.deps.now().getTime() + (error.retryAfterMs ?? 1000);
        this.pausedUntil.set(card.conversationKey, at);
      }
      // Teams answered and did not take it: the mark goes, so the outbox's try is no "maybe twice".
      if (marked && error instanceof SendFailure && error.status !== undefined && error.status < 500) state.records.push({ conversationKey: card.conversationKey });
      this.deps.log.info({ err: error, leadId: lead.id, conversation: card.conversationKey }, 'card not sent from memory: handed to the outbox');
      state.givenBack.push(card);
    }
  }

  private async handle(item: OutboxItem, card?: CardState): Promise<void> {
    const { outbox, log } = this.deps;
    try {
      const maybeDuplicate = isPersonKey(item.conversationKey) ? await this.sendToPerson(item) : await this.sendToConversation(item, card);
      if (maybeDuplicate) log.warn({ item: item.key }, 'sent again after a crash cut the first try short: Teams may show it twice');
      if (maybeDuplicate && item.kind === 'digest') {
        // Sent already: a failure to note it must not send it a third time.
        await this.digestMayBeTwice(item).catch((error: unknown) => log.warn({ err: error, item: item.key }, 'could not mark the leads of a digest sent twice'));
      }
      await outbox.complete(item, this.deps.now(), maybeDuplicate);
    } catch (error) {
      if (!(error instanceof SendFailure)) {
        log.warn({ err: error, item: item.key }, 'send failed; will retry');
        await outbox.retryLater(item, this.backoff(item.attempts), String(error));
        return;
      }
      if (error.gone) {
        log.info({ conversation: item.conversationKey }, 'bot removed or blocked (403): no more sends there');
        await this.deps.conversations.markRemoved(item.conversationKey);
        await outbox.complete(item, this.deps.now());
        return;
      }
      if (error.status === 429) {
        // Throttled, not failed: the whole conversation waits, and the try does not count.
        const at = error.retryAfterMs !== undefined ? this.deps.now().getTime() + error.retryAfterMs : this.backoff(item.throttles ?? 0);
        this.pausedUntil.set(item.conversationKey, at);
        log.info({ item: item.key, retryAt: new Date(at).toISOString() }, 'throttled by Teams (429)');
        await outbox.retryLater(item, at, error.message, 'throttled');
        return;
      }
      if (error.retryable && item.attempts + 1 < this.options.maxAttempts) {
        const at = this.backoff(item.attempts);
        log.info({ item: item.key, status: error.status, retryAt: new Date(at).toISOString() }, 'send deferred');
        await outbox.retryLater(item, at, error.message);
        return;
      }
      log.error({ item: item.key, status: error.status, attempts: item.attempts + 1 }, 'send given up: dead-lettered');
      await outbox.deadLetter(item, error.message, this.deps.now());
      await this.tellAdmins(item, error);
    }
  }

  private async sendToConversation(item: OutboxItem, card?: CardState): Promise<boolean> {
    const conversation = await this.deps.conversations.get(item.conversationKey);
    // What the conversation no longer wants (its settings, as they are now) is dropped, not sent.
    return conversation?.installed && wanted(item.kind, conversation.settings) ? this.send(item, conversation, card) : false;
  }

  /**
   * A reminder or expiry notice for one person: to their personal chat, which the bot opens (and
   * files) if it has none yet. Where Teams will not let it (403, not a member), the lead's
   * channels and group chats get it with an @mention of them instead.
   */
  private async sendToPerson(item: OutboxItem): Promise<boolean> {
    const { leads, conversations, log } = this.deps;
    const stored = item.leadId ? await leads.get(item.leadId) : undefined;
    const person = item.personId?.toLowerCase();
    if (!stored || !person) return false;
    const lead = stored.lead;
    if (!this.stillDue(item, lead, person)) return false;
    // The owner changed since this was queued: the reminder is the new owner's business.
    if (!item.snoozed && lead.owner?.id !== person) {
      log.info({ item: item.key }, 'owner changed before the reminder went out: not sent to the former owner');
      return false;
    }
    const chat = await this.personalChat(person, lead);
    if (chat && !wanted(item.kind, chat.settings)) return false;
    if (chat) {
      try {
        this.leaving(item.conversationKey);
        await this.deps.gateway.post(chat, this.personalMessage(item, lead));
        return Boolean(item.interrupted);
      } catch (error) {
        if (!(error instanceof SendFailure && error.gone)) throw error;
        await conversations.markRemoved(chat.key);
      }
    }
    await this.mentionInstead(item, lead, person);
    return false;
  }

  /** A reminder whose lead was answered, or that its person put off past it, is no longer due. */
  private stillDue(item: OutboxItem, lead: Lead, person: string): boolean {
    if (item.kind === 'expiredNotice') return true;
    if (lead.stage !== 'Received') return false;
    return !putOff(item, lead, person);
  }

  private personalMessage(item: OutboxItem, lead: Lead): OutboundMessage {
    return item.kind === 'expiredNotice' ? { kind: 'expiredNotice', lead } : { kind: 'reminder', lead, hours: item.hours ?? 0, personal: true };
  }

  /** The person's personal chat: the one on file, else one the bot opens through a conversation where the lead is posted. */
  private async personalChat(person: string, lead: Lead): Promise<Conversation | undefined> {
    const { conversations, deliveries, gateway, log } = this.deps;
    const known = await conversations.personalChatOf(person);
    if (known?.installed) return known;
    const teamsUserId = teamsIdOf(lead, person);
    if (!teamsUserId) return undefined;
    const [via] = await roomsOfLead(lead.id, deliveries, conversations);
    if (!via) return undefined;
    try {
      const chat = await gateway.openPersonalChat(via, { teamsUserId, aadObjectId: person });
      log.info({ person }, 'opened a personal chat for reminders');
      // Filed so the next reminder reuses it; it takes no new-lead cards unless its person subscribes it.
      return await conversations.save({ ...chat, tenantId: chat.tenantId ?? via.tenantId, scope: 'personal', userId: person, subscribed: known?.subscribed ?? false, installed: true });
    } catch (error) {
      if (!(error instanceof SendFailure && (error.status === 403 || error.status === 404))) throw error;
      log.info({ person, status: error.status }, 'Teams would not open a personal chat: the reminder goes to the lead\'s channels with a mention');
      return undefined;
    }
  }

  /** The owner could not be reached in person: every channel and group chat where the lead is posted gets it, @mentioning them. */
  private async mentionInstead(item: OutboxItem, lead: Lead, person: string): Promise<void> {
    if (lead.owner?.id !== person) return;
    const { deliveries, conversations, outbox, now } = this.deps;
    const rooms = await roomsOfLead(lead.id, deliveries, conversations);
    await Promise.all(
      rooms.map((room) =>
        outbox.enqueueOnce({ key: `${item.key}|at|${room.key}`, kind: item.kind, conversationKey: room.key, personId: person, leadId: lead.id, hours: item.hours }, now()),
      ),
    );
    if (rooms.length === 0) this.deps.log.warn({ item: item.key }, 'the owner cannot be reached and the lead is posted nowhere: reminder not sent');
  }

  /** Sends the item; true when it posted a message that an interrupted earlier try may have posted too. */
  private async send(item: OutboxItem, conversation: Conversation, card?: CardState): Promise<boolean> {
    const { gateway, leads } = this.deps;
    const posted = async (message: OutboundMessage) => {
      this.leaving(item.conversationKey);
      await gateway.post(conversation, message);
      return Boolean(item.interrupted);
    };
    if (item.kind === 'adminNotice') return posted({ kind: 'text', text: item.text ?? '' });
    if (item.kind === 'syncHealth') return posted({ kind: 'syncHealth', health: JSON.parse(item.text ?? '{}') as SyncHealthNotice });
    if (item.kind === 'insights') {
      const insights = await this.deps.reports?.insights();
      return Boolean(insights) && posted({ kind: 'insights', insights: insights! });
    }
    if (item.kind === 'needsAnswer') {
      // Only when there is something to list, and only the kinds of lead this conversation takes.
      const leads = (await this.deps.reports?.needsAnswer(conversation.settings.leadKinds)) ?? [];
      return leads.length > 0 && posted({ kind: 'needsAnswer', leads });
    }
    if (item.kind === 'digest') {
      const ids = JSON.parse(item.leadIds ?? '[]') as string[];
      const found = await Promise.all(ids.map((id) => leads.get(id)));
      return posted({ kind: 'digest', leads: found.flatMap((s) => (s ? [s.lead] : [])) });
    }
    const stored = card ? card.stored : item.leadId ? await leads.get(item.leadId) : undefined;
    if (!stored) return false;
    const lead = stored.lead;
    switch (item.kind) {
      case 'syncCard':
        return this.syncCard(item, conversation, stored, card?.delivery ?? stored.deliveries.find((d) => d.conversationKey === item.conversationKey));
      case 'reminder': {
        if (lead.stage !== 'Received') return false;
        // A personal chat's person may have put this reminder off.
        const person = conversation.scope === 'personal' ? conversation.userId : undefined;
        if (person && putOff(item, lead, person)) return false;
        return posted({ kind: 'reminder', lead, hours: item.hours ?? 0, personal: Boolean(person), mention: mentionOf(lead, item.personId) });
      }
      case 'flameAlert':
        return lead.stage !== 'Archived' && posted({ kind: 'flameAlert', lead });
      case 'expiredNotice':
        return posted({ kind: 'expiredNotice', lead, mention: mentionOf(lead, item.personId) });
      case 'overruled':
        return posted({ kind: 'overruled', lead, action: item.text ?? '' });
      case 'writeBack':
        // Partner Center's queue has its own sender; never in this one.
        return false;
    }
  }

  /** The rate-limit slot counts from when the request leaves, not from when it was claimed. */
  private leaving(conversationKey: string): void {
    this.limiter.touch(conversationKey, this.deps.now().getTime());
  }

  /** A digest sent again after a crash: each of its leads' delivery records says it may show twice there. */
  private async digestMayBeTwice(item: OutboxItem): Promise<void> {
    const ids = JSON.parse(item.leadIds ?? '[]') as string[];
    await Promise.all(
      ids.map(async (id) => {
        const delivery = await this.deps.deliveries.get(id, item.conversationKey);
        if (delivery?.activityId === `${DIGEST_MARK}${item.key}`) {
          await this.deps.deliveries.record(id, { conversationKey: item.conversationKey, activityId: delivery.activityId, renderKey: delivery.renderKey ?? '', maybeDuplicate: true });
        }
      }),
    );
  }

  private async digestCovers(delivery: Delivery): Promise<boolean> {
    return this.deps.outbox.exists(delivery.activityId?.slice(DIGEST_MARK.length) ?? '');
  }

  /** The card's delivery and lead (one read: deliveries are on the lead's row), and whether the posted card already shows what it should. */
  private async cardState(item: OutboxItem): Promise<CardState> {
    if (!item.leadId) return { upToDate: false };
    const stored = await this.deps.leads.get(item.leadId);
    if (!stored) return { upToDate: true };
    const delivery = stored.deliveries.find((d) => d.conversationKey === item.conversationKey);
    if (isDigestMark(delivery?.activityId)) return { upToDate: await this.digestCovers(delivery!), delivery, stored };
    const upToDate = Boolean(delivery?.activityId) && delivery?.renderKey === renderKey(stored.lead, this.deps.now(), this.options.flameWindowHours);
    return { upToDate, delivery, stored };
  }

  /** Posts the card once, then keeps that one message in step with the lead. */
  private async syncCard(item: OutboxItem, conversation: Conversation, read: StoredLead, known?: Delivery): Promise<boolean> {
    let stored = read;
    let delivery: Delivery | undefined = known && { ...known };
    if (delivery && isDigestMark(delivery.activityId)) {
      if (await this.digestCovers(delivery)) return false;
      delivery.activityId = undefined; // its digest was never queued: the card goes out on its own
    }
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.bringUpToDate(conversation, stored, delivery, { interrupted: item.interrupted });
      if (outcome !== 'changed') {
        if (outcome.record) await this.deps.deliveries.record(stored.lead.id, outcome.record);
        return outcome.posted && Boolean(outcome.record?.maybeDuplicate);
      }
      // The lead changed since it was read: its card goes out as it is now (posted meanwhile after all: updated).
      const again = attempt < 3 ? await this.deps.leads.get(stored.lead.id) : undefined;
      if (!again) throw new Error(`lead ${stored.lead.id} kept changing while its card was about to be posted`);
      stored = again;
      delivery = again.deliveries.find((d) => d.conversationKey === item.conversationKey);
    }
  }

  /**
   * Brings a lead's card in one conversation up to date with the lead as read (`stored`): the
   * posted message is updated, or the card is posted behind a mark on the lead's row that is
   * conditional on its ETag (a change since then is either on this card or sees the mark; a mark
   * left by an earlier try says Teams may have the card already). Returns what to record (nothing
   * when the card already shows it) and whether it was a post, or 'changed' when the lead changed
   * since it was read.
   */
  private async bringUpToDate(
    conversation: Conversation,
    stored: Pick<StoredLead, 'lead' | 'etag'>,
    delivery: Delivery | undefined,
    options: { interrupted?: boolean; onMarked?: (etag: string) => void },
  ): Promise<{ record?: DeliveryRecord; posted: boolean } | 'changed'> {
    const { gateway, leads, conversations } = this.deps;
    const { lead } = stored;
    const conversationKey = conversation.key;
    const shows = renderKey(lead, this.deps.now(), this.options.flameWindowHours);
    if (delivery?.activityId) {
      if (delivery.renderKey === shows) return { posted: false };
      try {
        this.leaving(conversationKey);
        await gateway.update(conversation, delivery.activityId, { kind: 'leadCard', lead });
        return { record: { conversationKey, activityId: delivery.activityId, renderKey: shows, maybeDuplicate: delivery.maybeDuplicate }, posted: false };
      } catch (error) {
        // The message was deleted in Teams: post the card again rather than lose it.
        if (!(error instanceof SendFailure && error.status === 404)) throw error;
      }
    }
    const etag = await leads.markPosting(lead.id, stored.etag, conversationKey, this.deps.now().getTime());
    if (!etag) return 'changed';
    options.onMarked?.(etag);
    // No activity id was recorded, yet an earlier try was cut short (its lease lapsed, or its mark stayed): it may have reached Teams.
    const maybeDuplicate = Boolean(options.interrupted || delivery?.postingSince) && !delivery?.activityId;
    // The first post @mentions whoever here asked to hear of this kind of lead (an update notifies nobody).
    const mentions = conversation.scope === 'personal' ? [] : (await conversations.notifyWishes(conversationKey)).filter((w) => w.kinds.includes(kindOf(lead.type)));
    this.leaving(conversationKey);
    const activityId = await gateway.post(conversation, { kind: 'leadCard', lead, ...(mentions.length > 0 && { mentions: mentions.map(({ teamsUserId, name }) => ({ teamsUserId, name })) }) });
    return { record: { conversationKey, activityId, renderKey: shows, ...(maybeDuplicate && { maybeDuplicate }) }, posted: true };
  }

  /**
   * More than `digestThreshold` first posts waiting for one conversation → digest cards, one line
   * per lead. Each delivery is marked with its digest's key before the digest is queued, so a
   * crash in between leaves marks without a digest, which `digestCovers` sees: the cards go out
   * on their own and no lead is lost or shown twice.
   */
  private async coalesce(due: OutboxItem[], now: Date): Promise<Set<string>> {
    // First posts are the urgent card syncs (the projector marks them): no read needed to find them.
    const firstPosts = new Map<string, OutboxItem[]>();
    for (const item of due) {
      if (item.kind !== 'syncCard' || !item.urgent || !item.leadId) continue;
      // A card being sent from memory is no digest line.
      if (this.directCards.has(cardKey(item.leadId, item.conversationKey))) continue;
      firstPosts.set(item.conversationKey, [...(firstPosts.get(item.conversationKey) ?? []), item]);
    }
    const digested = new Set<string>();
    const { outbox, deliveries } = this.deps;
    for (const [conversationKey, items] of firstPosts) {
      if (items.length <= this.options.digestThreshold) continue;
      const claimed = (await Promise.all(items.map((i) => outbox.claim(i, now, this.options.leaseMs)))).filter((i): i is OutboxItem => Boolean(i));
      if (claimed.length <= this.options.digestThreshold) {
        // Another instance took some: give the rest back.
        await Promise.all(claimed.map((i) => outbox.retryLater(i, now.getTime(), 'released', 'released')));
        continue;
      }
      for (let start = 0; start < claimed.length; start += DIGEST_MAX_LINES) {
        const chunk = claimed.slice(start, start + DIGEST_MAX_LINES);
        // Named by its first lead too: two passes in the same millisecond never share a digest's key.
        const key = `digest|${now.getTime()}|${chunk[0]?.leadId ?? start}|${conversationKey}`;
        const marked = await Promise.all(
          chunk.map(async (item) => {
            const delivery = await deliveries.get(item.leadId ?? '', conversationKey);
            // Posted after all (an earlier try got through): an ordinary update, not a digest line.
            const mark = !delivery?.activityId;
            // A first post that a crash cut short may have reached Teams: the line may then show it twice.
            if (mark) await deliveries.record(item.leadId ?? '', { conversationKey, activityId: `${DIGEST_MARK}${key}`, renderKey: '', maybeDuplicate: Boolean(delivery?.postingSince) || undefined });
            if (!mark) await outbox.retryLater(item, now.getTime(), 'posted before', 'routine');
            return mark ? item : undefined;
          }),
        );
        const lines = marked.filter((i): i is OutboxItem => Boolean(i));
        if (lines.length === 0) continue;
        const leadIds = JSON.stringify(lines.map((i) => i.leadId));
        await outbox.enqueueOnce({ key, kind: 'digest', conversationKey, leadIds }, now);
        await Promise.all(lines.map((i) => outbox.complete(i, now)));
        for (const i of lines) digested.add(i.key);
      }
    }
    return digested;
  }

  /** Exponential with jitter: 1 s, 2 s, 4 s … up to a minute. */
  private backoff(tries: number): number {
    const base = Math.min(60_000, 1000 * 2 ** tries);
    const jitter = (this.deps.random ?? Math.random)() * base * 0.5;
    return this.deps.now().getTime() + base + jitter;
  }

  private async tellAdmins(item: OutboxItem, error: SendFailure): Promise<void> {
    if (item.kind === 'adminNotice' || item.kind === 'syncHealth') return;
    const keys = (await this.options.adminConversationKeys?.()) ?? [];
    const text = `A Teams message could not be delivered after ${item.attempts + 1} tries (${error.status ?? 'network error'}): ${item.kind}${item.leadId ? ` for lead ${item.leadId}` : ''}.`;
    await Promise.all(
      keys
        .filter((k) => k !== item.conversationKey)
        .map((k) => this.deps.outbox.enqueueOnce({ key: `admin|${item.key}|${k}`, kind: 'adminNotice', conversationKey: k, text }, this.deps.now())),
    );
  }
}
