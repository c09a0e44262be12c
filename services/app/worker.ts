/**
 * A background job that runs one pass at a time: kicked on demand, and on an interval. A kick
 * during a pass runs one more pass after it, so no work is left behind.
 */
import type { Logger } from '../logger';

export class Worker {
  private running?: Promise<void>;
  private again = false;
  private timer?: NodeJS.Timeout;
  private delayed?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly name: string,
    private readonly log: Logger,
    private readonly pass: () => Promise<void>,
  ) {}

  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop();
  }

  kickAfter(ms: number): void {
    if (this.stopped || this.delayed) return;
    this.delayed = setTimeout(() => {
      this.delayed = undefined;
      this.kick();
    }, ms);
    this.delayed.unref();
  }

  /** Runs a pass every `ms`, after `before` (say, a note that this pass is a poll). */
  every(ms: number, before?: () => void): void {
    const tick = () => {
      before?.();
      this.kick();
    };
    this.timer = setInterval(tick, ms);
    this.timer.unref();
    tick();
  }

  get quiet(): boolean {
    return !this.running && !this.again;
  }

  /** A pass is due later (kickAfter): work waits for a timer, say for a send slot. */
  get deferred(): boolean {
    return this.delayed !== undefined;
  }

  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.delayed);
    await this.idle();
  }

  private async loop(): Promise<void> {
    // Start after the current I/O turn: kicks from the same run (a batch of leads) share one
    // pass, and the request that kicked it sends its answer before this work competes with it.
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      do {
        this.again = false;
        try {
          await this.pass();
        } catch (error) {
          this.log.warn({ err: error, worker: this.name }, 'background pass failed; retried on the next one');
        }
      } while (this.again && !this.stopped);
    } finally {
      this.running = undefined;
    }
  }
}
