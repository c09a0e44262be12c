/**
 * Sends what waits, within Teams' rate limits: the cards of fresh changes from memory, then the
 * outbox. 429 waits for Retry-After, 5xx and network errors back off with jitter, 403 unsubscribes,
 * and the last failed try goes to the dead letters with one notice to partner admins. Bursts of new
 * cards for one conversation become a digest. One pass at a time, on the instance that holds the
 * sender lease: Teams' limits hold across instances, and the in-memory windows stay true.
 */
import type { Insights } from '../../leads/leadStats';
import type { LeadKind } from '../../leads/lead';
import type { LeadSummary } from '../../leads/leadViews';
import type { Outside } from '../../leads/outsideView';
import type { Logger } from '../../logger';
import type { Conversation, ConversationStore } from '../../storage/conversationStore';
import type { LeadStore } from '../../storage/leadStore';
import type { Lease } from '../../storage/lease';
import type { DeliveryStore } from '../deliveryStore';
import type { ActivityFeed } from '../graph/activityFeed';
import type { AppInstaller } from '../graph/appInstaller';
import { isPersonKey, type Outbox, type OutboxItem } from '../outbox';
import { SendFailure, type OutboundMessage, type SyncHealthNotice, type TeamsGateway } from '../teamsGateway';
import { CardUpdater, type CardState } from './cardUpdates';
import { Digests } from './digests';
import { MemorySends } from './memorySends';
import { mentionOf, PersonalDelivery, putOff, wanted } from './personalDelivery';
import { SendSlots, type SendLimits } from './sendSlots';

export interface SenderOptions extends SendLimits {
  maxAttempts: number;
  digestThreshold: number;
  flameWindowHours: number;
  /** How long the sender lease and a claimed item last: a crashed sender blocks others this long. */
  leaseMs: number;
}

export interface SenderDeps {
  outbox: Outbox;
  /** Only the holder sends. */
  lease: Lease;
  leads: LeadStore;
  deliveries: DeliveryStore;
  conversations: ConversationStore;
  gateway: TeamsGateway;
  now: () => Date;
  log: Logger;
  random?: () => number;
  /** What outside systems say on a lead's card. */
  outside: Outside;
  /** Partner admins' personal chats: told when a send was given up on. */
  adminChats: () => Promise<string[]>;
  /** Whether a partner admin gave this person the team's new leads in their personal chat (a chat the bot opens takes them then). */
  streamsTo?: (person: string) => Promise<boolean>;
  /** What the scheduled cards show, read when they are sent: this week's insights, the leads that need an answer. */
  reports?: {
    insights(): Promise<Insights>;
    needsAnswer(kinds: LeadKind[]): Promise<LeadSummary[]>;
  };
  /** The sender should run: now, or in `ms`. */
  wake: (ms?: number) => void;
  /** A person's own events in their Teams activity feed (when the tenant has it). */
  feed?: ActivityFeed;
  /** Installs the app for a person Teams will not open a chat with (when an admin allowed it). */
  installer?: AppInstaller;
}

export class Sender {
  readonly slots: SendSlots;
  readonly memory: MemorySends;
  private readonly cards: CardUpdater;
  private readonly digests: Digests;
  private readonly personal: PersonalDelivery;
  /** What the last outbox pass left waiting for a send slot: the next pass woken for them starts from it. */
  private leftOver?: OutboxItem[];
  /** Something may have been queued in the outbox since it was last read. */
  private outboxChanged = true;

  constructor(
    private readonly deps: SenderDeps,
    private readonly options: SenderOptions,
  ) {
    const { now, log } = deps;
    this.slots = new SendSlots(options);
    this.digests = new Digests({ ...deps, digestThreshold: options.digestThreshold, leaseMs: options.leaseMs, sendingFromMemory: (leadId, key) => this.memory.sending(leadId, key) });
    this.cards = new CardUpdater({ ...deps, slots: this.slots, digests: this.digests, flameWindowHours: options.flameWindowHours });
    this.memory = new MemorySends({
      ...deps,
      slots: this.slots,
      cards: this.cards,
      leaseMs: options.leaseMs,
      digestThreshold: options.digestThreshold,
      onWork: () => deps.wake(),
      onOutboxWork: () => this.outboxWork(),
    });
    this.personal = new PersonalDelivery({ ...deps, slots: this.slots, now, log, queued: () => this.outboxWork() });
  }

  /** Something was queued in the outbox: the next pass reads it. */
  outboxWork(): void {
    this.outboxChanged = true;
    this.deps.wake();
  }

  /** A periodic look: other instances' items, and retries coming due. */
  poll(): void {
    this.outboxChanged = true;
  }

  /**
   * One pass: what waits in memory, then the outbox. Only a pass woken for items that wait for a
   * slot may skip reading the outbox again: waiting for a slot costs no storage.
   */
  async pass(): Promise<void> {
    const memory = await this.memory.drain();
    const reuse = !this.outboxChanged;
    this.outboxChanged = false;
    const queued = await this.drain({ reuse });
    const wakeInMs = Math.min(memory.wakeInMs ?? Infinity, queued.wakeInMs ?? Infinity);
    if (queued.more) this.outboxWork();
    else if (wakeInMs !== Infinity) this.deps.wake(wakeInMs);
  }

  /**
   * One pass over what is due in the outbox. Returns how many items were handled and, when some
   * had to wait (a rate limit, or a conversation paused by a 429), how soon to run again.
   */
  async drain(options: { reuse?: boolean } = {}): Promise<{ handled: number; wakeInMs?: number; more: boolean }> {
    const now = this.deps.now();
    // Held for the pass and renewed by the next; another instance takes over within its length.
    const leaseMs = this.options.leaseMs;
    const started = Date.now();
    if (!(await this.deps.lease.keep(now, leaseMs))) return { handled: 0, wakeInMs: leaseMs, more: false };
    if (options.reuse && !this.leftOver) return { handled: 0, more: false };
    const due = options.reuse && this.leftOver ? this.leftOver : await this.deps.outbox.due(now);
    this.leftOver = undefined;
    const waited: OutboxItem[] = [];
    let handled = 0;
    let wakeInMs: number | undefined;
    const wake = (ms: number) => (wakeInMs = Math.min(wakeInMs ?? ms, ms));
    const digested = await this.digests.coalesce(due, now);
    for (const item of due) {
      if (digested.has(item.key)) continue;
      // Hand the rest to the next pass well before the sender lease could lapse under us: it has
      // three quarters of its length left when a pass starts (Lease.keep), the pass takes a quarter.
      if (Date.now() - started > leaseMs / 4) {
        waited.push(...due.slice(due.indexOf(item)).filter((i) => !digested.has(i.key)));
        wake(0);
        break;
      }
      const outcome = await this.tryItem(item);
      if (outcome === 'sent') handled++;
      else if (typeof outcome === 'number') {
        waited.push(item);
        wake(outcome);
      }
    }
    // A digest queued in this pass is sent in the next one, right away (read again: it is new).
    if (digested.size === 0 && waited.length > 0) this.leftOver = waited;
    return { handled: handled + digested.size, wakeInMs, more: digested.size > 0 };
  }

  /** A graceful stop: another instance may send at once. */
  letGo(): Promise<void> {
    return this.deps.lease.letGo();
  }

  /** One outbox item: sent, skipped, or how long it must wait for its slot (ms). */
  private async tryItem(item: OutboxItem): Promise<'sent' | 'skipped' | number> {
    const { outbox, log } = this.deps;
    const at = this.deps.now().getTime();
    // The same card is being sent from memory: this copy waits, and finds it up to date afterwards.
    if (item.leadId && this.memory.sending(item.leadId, item.conversationKey)) {
      this.memory.holdBack(item.leadId, item.conversationKey);
      return 'skipped';
    }
    const paused = this.slots.pausedFor(item.conversationKey, at);
    if (paused > 0) return paused;
    // Waiting for a send slot costs no storage: nothing is read for an item that could not go now.
    if (!this.slots.allows(item.conversationKey, at)) return this.slots.retryIn(item.conversationKey, at);
    let card: CardState | undefined;
    try {
      card = item.kind === 'cardUpdate' ? await this.cards.state(item) : undefined;
    } catch (error) {
      // One card that cannot be read (its lead's row, say) never holds back the rest of the pass.
      log.warn({ err: error, item: item.key }, 'card state could not be read; will retry');
      await outbox.retryLater(item, this.backoff(item.attempts), String(error)).catch(() => undefined);
      return 'skipped';
    }
    if (card?.upToDate) {
      // Nothing to send (say, a refresh that changes nothing shown): no rate-limit slot spent.
      const claimed = await outbox.claim(item, this.deps.now(), this.options.leaseMs);
      if (claimed) await outbox.complete(claimed, this.deps.now());
      return 'skipped';
    }
    if (!this.slots.tryTake(item.conversationKey, at)) return this.slots.retryIn(item.conversationKey, at);
    const claimed = await outbox.claim(item, this.deps.now(), this.options.leaseMs);
    if (!claimed) return 'skipped';
    // What was read before the claim stands: a lead change since then touched the item, so the
    // claim failed, or it will fail the completion and the item runs again.
    await this.handle(claimed, card);
    return 'sent';
  }

  private async handle(item: OutboxItem, card?: CardState): Promise<void> {
    const { outbox, log } = this.deps;
    try {
      const maybeDuplicate = isPersonKey(item.conversationKey) ? await this.personal.send(item) : await this.toConversation(item, card);
      if (maybeDuplicate) log.warn({ item: item.key }, 'sent again after a crash cut the first try short: Teams may show it twice');
      if (maybeDuplicate && item.kind === 'digest') {
        // Sent already: a failure to note it must not send it a third time.
        await this.digests.mayBeTwice(item).catch((error: unknown) => log.warn({ err: error, item: item.key }, 'could not mark the leads of a digest sent twice'));
      }
      await outbox.complete(item, this.deps.now(), maybeDuplicate);
    } catch (error) {
      await this.failed(item, error);
    }
  }

  private async failed(item: OutboxItem, error: unknown): Promise<void> {
    const { outbox, log } = this.deps;
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
      this.slots.pause(item.conversationKey, at);
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

  /** What the conversation no longer wants (its settings, as they are now) is dropped, not sent. */
  private async toConversation(item: OutboxItem, card?: CardState): Promise<boolean> {
    const conversation = await this.deps.conversations.get(item.conversationKey);
    return conversation?.installed && wanted(item.kind, conversation.settings) ? this.send(item, conversation, card) : false;
  }

  /** Sends the item; true when it posted a message that an interrupted earlier try may have posted too. */
  private async send(item: OutboxItem, conversation: Conversation, card?: CardState): Promise<boolean> {
    const posted = async (message: OutboundMessage) => {
      this.slots.leaving(item.conversationKey, this.deps.now().getTime());
      await this.deps.gateway.post(conversation, message);
      return Boolean(item.interrupted);
    };
    const report = await this.report(item, conversation);
    if (report !== undefined) return report && posted(report);
    const stored = card ? card.stored : item.leadId ? await this.deps.leads.get(item.leadId) : undefined;
    if (!stored) return false;
    const lead = stored.lead;
    switch (item.kind) {
      case 'cardUpdate':
        return this.cards.update(item, conversation, stored, card?.delivery ?? stored.deliveries.find((d) => d.conversationKey === item.conversationKey));
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
      case 'assigned': {
        // Only while they still own it (mentionOf names the owner only), and only with a mention: it says "you".
        const mention = mentionOf(lead, item.personId);
        if (!mention) this.deps.log.info({ item: item.key }, 'the new owner cannot be @mentioned here (no Teams id, or no longer the owner): not told here');
        return Boolean(mention) && posted({ kind: 'assigned', lead, mention });
      }
      case 'overruled':
        return posted({ kind: 'overruled', lead, action: item.text ?? '' });
      default:
        return false;
    }
  }

  /**
   * The message of an item about no lead (a notice, a scheduled card, a digest): undefined when
   * the item is about a lead; false when there is nothing to send (a digest of no lead waiting).
   */
  private async report(item: OutboxItem, conversation: Conversation): Promise<OutboundMessage | false | undefined> {
    switch (item.kind) {
      case 'adminNotice':
        return { kind: 'text', text: item.text ?? '' };
      case 'syncHealth':
        return { kind: 'syncHealth', health: JSON.parse(item.text ?? '{}') as SyncHealthNotice };
      case 'insights': {
        const insights = await this.deps.reports?.insights();
        return insights ? { kind: 'insights', insights } : false;
      }
      case 'needsAnswer': {
        // Only when there is something to list, and only the kinds of lead this conversation takes.
        const leads = (await this.deps.reports?.needsAnswer(conversation.settings.leadKinds)) ?? [];
        return leads.length > 0 && { kind: 'needsAnswer', leads };
      }
      case 'digest': {
        const ids = JSON.parse(item.leadIds ?? '[]') as string[];
        const found = await Promise.all(ids.map((id) => this.deps.leads.get(id)));
        return { kind: 'digest', leads: found.flatMap((s) => (s ? [s.lead] : [])) };
      }
      default:
        return undefined;
    }
  }

  /** Exponential with jitter: 1 s, 2 s, 4 s … up to a minute. */
  private backoff(tries: number): number {
    const base = Math.min(60_000, 1000 * 2 ** tries);
    const jitter = (this.deps.random ?? Math.random)() * base * 0.5;
    return this.deps.now().getTime() + base + jitter;
  }

  private async tellAdmins(item: OutboxItem, error: SendFailure): Promise<void> {
    if (item.kind === 'adminNotice' || item.kind === 'syncHealth') return;
    const keys = await this.deps.adminChats();
    const text = `A Teams message could not be delivered after ${item.attempts + 1} tries (${error.status ?? 'network error'}): ${item.kind}${item.leadId ? ` for lead ${item.leadId}` : ''}.`;
    await Promise.all(
      keys
        .filter((k) => k !== item.conversationKey)
        .map((k) => this.deps.outbox.enqueueOnce({ key: `admin|${item.key}|${k}`, kind: 'adminNotice', conversationKey: k, text }, this.deps.now())),
    );
  }
}
