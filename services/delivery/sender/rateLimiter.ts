/**
 * Sliding-window limits: per conversation (Teams: 7/s, 60/30 s) and overall (50/s). Each window
 * is counted `marginMs` wider than Teams counts it, since Teams counts arrivals and we count
 * departures: a request that takes a little longer than the one after it must not squeeze two
 * into one of Teams' windows.
 */
interface Window {
  limit: number;
  ms: number;
}

/** Conversations whose sends are remembered at once: past that, those with nothing in their windows any more are forgotten. */
const MAX_TRACKED = 10_000;

/**
 * Bounded: per conversation, the sends of its longest window (at most its limit, 1,800 an hour in
 * Teams); conversations with nothing left in their windows are forgotten once MAX_TRACKED are kept.
 */
export class RateLimiter {
  private readonly sent = new Map<string, number[]>();
  private readonly global: number[] = [];

  constructor(
    private readonly perConversation: Window[],
    private readonly overall: Window[],
    private readonly marginMs = 0,
  ) {}

  /** Whether a slot for `key` is free at `now` (nothing is taken): a sender checks before it reads anything. */
  allows(key: string, now: number): boolean {
    return fits(this.sent.get(key) ?? [], this.perConversation, now, this.marginMs) && fits(this.global, this.overall, now, this.marginMs);
  }

  /** How long until a slot for `key` is free, from `now` (0: free now): a sender sleeps exactly that long, not a fixed step. */
  waitFor(key: string, now: number): number {
    return Math.max(waitIn(this.sent.get(key) ?? [], this.perConversation, now, this.marginMs), waitIn(this.global, this.overall, now, this.marginMs));
  }

  /** Takes a slot for `key` at `now` if every window allows it. */
  tryTake(key: string, now: number): boolean {
    const log = this.sent.get(key) ?? [];
    if (!this.allows(key, now)) return false;
    log.push(now);
    this.global.push(now);
    if (!this.sent.has(key) && this.sent.size >= MAX_TRACKED) this.forgetIdle(now);
    this.sent.set(key, prune(log, this.perConversation, now));
    prune(this.global, this.overall, now, true, this.marginMs);
    return true;
  }

  private forgetIdle(now: number): void {
    for (const [key, log] of this.sent) if (prune(log, this.perConversation, now).length === 0) this.sent.delete(key);
  }

  /** Moves the last slot taken for `key` to `now`: the moment the request actually leaves. */
  touch(key: string, now: number): void {
    const log = this.sent.get(key);
    if (!log?.length) return;
    const taken = log[log.length - 1]!;
    log[log.length - 1] = now;
    const i = this.global.lastIndexOf(taken);
    if (i >= 0) this.global[i] = now;
  }
}

function fits(log: number[], windows: Window[], now: number, marginMs: number): boolean {
  return windows.every((w) => log.filter((t) => t > now - w.ms - marginMs).length < w.limit);
}

/** When the sends that fill a window leave it: the oldest that must go for one more to fit. */
function waitIn(log: number[], windows: Window[], now: number, marginMs: number): number {
  let wait = 0;
  for (const w of windows) {
    const inWindow = log.filter((t) => t > now - w.ms - marginMs).sort((a, b) => a - b);
    const over = inWindow.length - w.limit;
    if (over >= 0) wait = Math.max(wait, inWindow[over]! + w.ms + marginMs - now);
  }
  return wait;
}

/** Keeps what the windows (counted `marginMs` wider) still see. */
function prune(log: number[], windows: Window[], now: number, inPlace = false, marginMs = 0): number[] {
  const horizon = now - Math.max(...windows.map((w) => w.ms)) - marginMs;
  const kept = log.filter((t) => t > horizon);
  if (inPlace) log.splice(0, log.length, ...kept);
  return kept;
}
