/**
 * When the next message may leave, per conversation and overall: Teams' rate limits (counted by
 * the moment a request leaves) and the pauses Teams asked for (429 Retry-After). Shared by every
 * way the sender sends, so a card from memory and one from the outbox count against one window.
 */
import { RateLimiter } from './rateLimiter';

export interface SendLimits {
  perSecondPerConversation: number;
  per30SecondsPerConversation: number;
  perSecondGlobal: number;
}

/** How much wider than Teams' windows ours are (see RateLimiter): about 5 % of the 1 s limit. */
const RATE_MARGIN_MS = 50;
/** How soon to look again when a conversation's window is full. */
export const RATE_WAIT_MS = 250;
/** The shortest wait for a slot: at 50 a second one frees every 20 ms, and finer timers only spin. */
const MIN_WAIT_MS = 20;
/** How long a call that is not a send waits for a slot at most. */
const TAKE_WAIT_MS = 5_000;

export class SendSlots {
  private readonly limiter: RateLimiter;
  /** Conversations Teams asked us to leave alone (429 Retry-After), until when: forgotten once over, so bounded by those Teams throttles at once. */
  private readonly pausedUntil = new Map<string, number>();

  constructor(limits: SendLimits) {
    this.limiter = new RateLimiter(
      [
        { limit: limits.perSecondPerConversation, ms: 1000 },
        { limit: Math.min(8, limits.perSecondPerConversation + 1), ms: 2000 },
        { limit: limits.per30SecondsPerConversation, ms: 30_000 },
        { limit: 1800, ms: 3_600_000 },
      ],
      [{ limit: limits.perSecondGlobal, ms: 1000 }],
      RATE_MARGIN_MS,
    );
  }

  /** How long this conversation is still paused at `at` (0 when it is not; a pause that is over is forgotten). */
  pausedFor(conversationKey: string, at: number): number {
    const left = (this.pausedUntil.get(conversationKey) ?? 0) - at;
    if (left <= 0) this.pausedUntil.delete(conversationKey);
    return Math.max(0, left);
  }

  /** Teams asked to leave this conversation alone until `until` (ms). */
  pause(conversationKey: string, until: number): void {
    this.pausedUntil.set(conversationKey, until);
  }

  /** Whether a slot is free (nothing is taken): checked before anything is read for a send. */
  allows(conversationKey: string, at: number): boolean {
    return this.limiter.allows(conversationKey, at);
  }

  /**
   * How soon to look again for a conversation whose slot is not free: when its windows (and the
   * bot's) have room again, at most RATE_WAIT_MS and at least a few ms.
   */
  retryIn(conversationKey: string, at: number): number {
    return Math.min(RATE_WAIT_MS, Math.max(MIN_WAIT_MS, this.limiter.waitFor(conversationKey, at)));
  }

  tryTake(conversationKey: string, at: number): boolean {
    return this.limiter.tryTake(conversationKey, at);
  }

  /**
   * A slot for a call to Teams that is not a send (reading a roster, opening a personal chat): it
   * counts against the same windows. Taken as soon as one is free, waiting at most `maxWaitMs`;
   * false when none came free by then (the caller does without, or tries later).
   */
  async take(conversationKey: string, now: () => number, maxWaitMs = TAKE_WAIT_MS): Promise<boolean> {
    for (let waited = 0; ; ) {
      const paused = this.pausedFor(conversationKey, now());
      if (paused === 0 && this.limiter.tryTake(conversationKey, now())) return true;
      if (waited >= maxWaitMs) return false;
      const wait = Math.min(RATE_WAIT_MS, paused || this.retryIn(conversationKey, now()));
      await new Promise((resolve) => setTimeout(resolve, wait));
      waited += wait;
    }
  }

  /** The slot counts from when the request leaves, not from when it was taken. */
  leaving(conversationKey: string, at: number): void {
    this.limiter.touch(conversationKey, at);
  }
}
