/**
 * Cards of fresh changes, sent from memory: no outbox item, no claim, no read while they wait for
 * a send slot. The card reaction hands a job over; once its last card is through (or given back
 * to the outbox: a failure, a 429, the lease lost), its `done` records what was sent. Only the
 * holder of the sender lease sends, and it checks before each card that it still holds it.
 */
import type { Logger } from '../../logger';
import type { ConversationStore } from '../../storage/conversationStore';
import type { Lease } from '../../storage/lease';
import type { CardJob, MemorySender, SentCards } from '../cardReaction';
import type { CardUpdate } from '../outbox';
import { SendFailure } from '../teamsGateway';
import type { CardUpdater } from './cardUpdates';
import { isDigestMark } from './digests';
import type { SendSlots } from './sendSlots';

/** A job's cards waiting in memory for a send slot, and what is known of it so far. */
interface Job extends SentCards {
  job: CardJob;
  left: number;
  done: (outcome: SentCards) => Promise<void>;
}

export interface MemorySendsDeps {
  lease: Lease;
  slots: SendSlots;
  conversations: ConversationStore;
  cards: CardUpdater;
  now: () => Date;
  log: Logger;
  /** How long the sender lease lasts. */
  leaseMs: number;
  digestThreshold: number;
  /** Cards were handed over: the sender should run. */
  onWork: () => void;
  /** The outbox's copies of cards held back while these were sent should be looked at again. */
  onOutboxWork: () => void;
}

/**
 * Cards that may wait in memory at most: past that, fresh changes' cards go through the outbox
 * (which costs storage but no memory) until the backlog is sent.
 */
const MAX_WAITING = 2_000;

/** A card of a lead in a conversation, as the sender keeps count of them. */
const cardKey = (leadId: string, conversationKey: string) => `${leadId}\u0001${conversationKey}`;

export class MemorySends implements MemorySender {
  /** Cards waiting for a send slot, oldest first. */
  private waiting: { state: Job; card: CardUpdate }[] = [];
  /** Lead and conversation of every card waiting or being sent: the outbox's copy of one waits. */
  private readonly holding = new Map<string, number>();
  /** Outbox items left alone because their card was being sent from here: looked at again when it is done. */
  private readonly heldBack = new Set<string>();

  constructor(private readonly deps: MemorySendsDeps) {}

  /** Whether cards can be sent from memory now: this instance holds the sender lease with a quarter of it left (no request), and the backlog here is under its bound. */
  ready(): boolean {
    return this.waiting.length < MAX_WAITING && this.holdingLease();
  }

  private holdingLease(): boolean {
    return this.deps.lease.holding(this.deps.now(), this.deps.leaseMs / 4);
  }

  /** How many more first posts for a conversation may wait here: past that, a burst goes through the outbox and becomes a digest. */
  room(conversationKey: string): number {
    const waiting = this.waiting.filter((w) => w.card.conversationKey === conversationKey && w.card.urgent).length;
    return Math.max(0, this.deps.digestThreshold - waiting);
  }

  send(job: CardJob, done: Job['done']): void {
    const state: Job = { job, left: job.cards.length, done, records: [], etag: job.etag, givenBack: [] };
    for (const card of job.cards) {
      this.hold(card, +1);
      this.waiting.push({ state, card });
    }
    this.deps.onWork();
  }

  /** Whether this card is waiting or being sent from here. */
  sending(leadId: string, conversationKey: string): boolean {
    return this.holding.has(cardKey(leadId, conversationKey));
  }

  /** The outbox's copy of a card sent from here waits, and is looked at again once this one is through. */
  holdBack(leadId: string, conversationKey: string): void {
    this.heldBack.add(cardKey(leadId, conversationKey));
  }

  /**
   * Sends the cards that have a slot now; returns how soon to look again when some must wait.
   * Without the lease (it lapsed, or another instance took it) they all go back to the outbox.
   */
  async drain(): Promise<{ wakeInMs?: number }> {
    const { slots } = this.deps;
    let wakeInMs: number | undefined;
    // Cards waiting here keep the lease (renewed once a quarter of it has passed, like the outbox's passes do).
    if (this.waiting.length > 0) await this.deps.lease.keep(this.deps.now(), this.deps.leaseMs).catch(() => false);
    for (const entry of [...this.waiting]) {
      // Checked before each card: a long pass must not outlive the lease while another instance takes over.
      const lost = !this.holdingLease();
      const at = this.deps.now().getTime();
      const key = entry.card.conversationKey;
      const paused = slots.pausedFor(key, at);
      if (!lost && paused > 0) {
        wakeInMs = Math.min(wakeInMs ?? paused, paused);
        continue;
      }
      if (!lost && !slots.tryTake(key, at)) {
        const free = slots.retryIn(key, at);
        wakeInMs = Math.min(wakeInMs ?? free, free);
        continue;
      }
      this.waiting = this.waiting.filter((w) => w !== entry);
      if (lost) entry.state.givenBack.push(entry.card);
      else await this.sendOne(entry.state, entry.card);
      if (--entry.state.left === 0) await this.finish(entry.state);
    }
    return { wakeInMs };
  }

  private hold(card: CardUpdate, by: number): void {
    const key = cardKey(card.leadId, card.conversationKey);
    const n = (this.holding.get(key) ?? 0) + by;
    if (n > 0) this.holding.set(key, n);
    else this.holding.delete(key);
  }

  /** The job's last card is through: its owner records what was sent and queues what was given back. */
  private async finish(state: Job): Promise<void> {
    try {
      await state.done({ records: state.records, etag: state.etag, givenBack: state.givenBack });
    } finally {
      for (const card of state.job.cards) this.hold(card, -1);
      const heldBack = state.job.cards.filter((c) => this.heldBack.delete(cardKey(c.leadId, c.conversationKey)));
      if (heldBack.length > 0) this.deps.onOutboxWork();
    }
  }

  /**
   * One card of a fresh change, as the lead was written: an update of the posted message, or a
   * first post behind a mark that is conditional on the lead being unchanged. A failure gives the
   * card back to the outbox, which retries it with its backoff.
   */
  private async sendOne(state: Job, card: CardUpdate): Promise<void> {
    const { conversations, log } = this.deps;
    const { lead, deliveries } = state.job;
    const delivery = deliveries.find((d) => d.conversationKey === card.conversationKey);
    let marked = false;
    try {
      const conversation = await conversations.get(card.conversationKey);
      if (!conversation?.installed) return;
      if (isDigestMark(delivery?.activityId)) return void state.givenBack.push(card);
      const onMarked = (etag: string) => {
        state.etag = etag;
        marked = true;
      };
      const outcome = await this.deps.cards.bringUpToDate(conversation, { lead, etag: state.etag }, delivery, { onMarked });
      // The lead changed since: the outbox sends the card as it is now.
      if (outcome === 'changed') return void state.givenBack.push(card);
      if (outcome.record) state.records.push(outcome.record);
      if (outcome.posted && outcome.record?.maybeDuplicate) log.warn({ leadId: lead.id, conversation: card.conversationKey }, 'sent again after a crash cut the first try short: Teams may show it twice');
    } catch (error) {
      if (error instanceof SendFailure && error.gone) {
        log.info({ conversation: card.conversationKey }, 'bot removed or blocked (403): no more sends there');
        await conversations.markRemoved(card.conversationKey).catch(() => undefined);
        return;
      }
      if (error instanceof SendFailure && error.status === 429) this.deps.slots.pause(card.conversationKey, this.deps.now().getTime() + (error.retryAfterMs ?? 1000));
      // Teams answered and did not take it: the mark goes, so the outbox's try is no "maybe twice".
      if (marked && error instanceof SendFailure && error.status !== undefined && error.status < 500) state.records.push({ conversationKey: card.conversationKey });
      log.info({ err: error, leadId: lead.id, conversation: card.conversationKey }, 'card not sent from memory: handed to the outbox');
      state.givenBack.push(card);
    }
  }
}
