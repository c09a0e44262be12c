/**
 * The background jobs of one instance, each a Worker (one pass at a time, on an interval and on
 * demand): projections, sending, the scheduler, and an outside system's passes. `settle` lets a
 * test wait for every kicked job instead of sleeping.
 */
import type { Logger } from '../logger';
import { Worker } from './worker';

/** How long `settle` waits for cards that wait for a send slot (a burst for one conversation goes out at 7 a second). */
const SETTLE_WAIT_MS = 30_000;

export class Jobs {
  private readonly workers: Worker[] = [];

  constructor(
    private readonly log: Logger,
    private readonly now: () => Date,
  ) {}

  /** A job running `pass`; kicks during a pass run one more after it. */
  add(name: string, pass: () => Promise<void>): Worker {
    const worker = new Worker(name, this.log, pass);
    this.workers.push(worker);
    return worker;
  }

  /** Resolves when every kicked job has run. */
  async settle(sends: Worker): Promise<void> {
    const began = Date.now();
    for (let i = 0; i < 10 || Date.now() - began < SETTLE_WAIT_MS; i++) {
      for (const worker of this.workers) await worker.idle();
      if (!this.workers.every((w) => w.quiet)) continue;
      // Cards waiting for a send slot: on a real clock the slot comes, so wait for it; a test's
      // clock moves only when the test moves it, so this returns and the test moves it.
      if (!sends.deferred) return;
      const before = this.now().getTime();
      await new Promise((resolve) => setTimeout(resolve, 25));
      if (this.now().getTime() === before) return;
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.stop()));
  }
}
