/** The schedule follows every change: a new lead files its first due time, and so does one whose expiry moved or whose reminders were put off. */
import type { Reaction } from '../changes/reaction';
import type { DueIndex } from '../storage/leadIndex';
import { nextDueTime, type DueSettings } from './dueTimes';

export function scheduleReaction(due: DueIndex, settings: DueSettings): Reaction {
  return {
    react: async ({ changes, now }) => {
      // Its expiry moved, or someone put off their reminders: the next due time is filed again (the
      // chain it starts meets the one already filed at their first common row).
      const owing = changes.filter(({ owed }) => owed.fanOut || owed.reschedule || owed.snoozed);
      // All due rows of a batch share hour buckets: one request per bucket.
      await due.schedule(owing.flatMap(({ stored }) => nextDueTime(stored.lead, now, settings)), now);
    },
  };
}
