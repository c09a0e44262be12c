/** Sliding-window limits: per conversation (Teams: 7/s, 60/30 s) and overall (50/s). */
interface Window {
  limit: number;
  ms: number;
}

export class RateLimiter {
  private readonly sent = new Map<string, number[]>();
  private readonly global: number[] = [];

  constructor(
    private readonly perConversation: Window[],
    private readonly overall: Window[],
  ) {}

  /** Takes a slot for `key` at `now` if every window allows it. */
  tryTake(key: string, now: number): boolean {
    const log = this.sent.get(key) ?? [];
    if (!fits(log, this.perConversation, now) || !fits(this.global, this.overall, now)) return false;
    log.push(now);
    this.global.push(now);
    this.sent.set(key, prune(log, this.perConversation, now));
    prune(this.global, this.overall, now, true);
    return true;
  }
}

function fits(log: number[], windows: Window[], now: number): boolean {
  return windows.every((w) => log.filter((t) => t > now - w.ms).length < w.limit);
}

function prune(log: number[], windows: Window[], now: number, inPlace = false): number[] {
  const horizon = now - Math.max(...windows.map((w) => w.ms));
  const kept = log.filter((t) => t > horizon);
  if (inPlace) log.splice(0, log.length, ...kept);
  return kept;
}
