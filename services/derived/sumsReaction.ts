/** The insights sums: each change's difference (recorded with the change) is added once, in one transaction. */
import type { Reaction } from '../changes/reaction';
import type { StatsStore } from '../storage/statsStore';

export function sumsReaction(stats: StatsStore): Reaction {
  return {
    react: async ({ changes }) =>
      stats.apply(changes.flatMap(({ stored, owed }) => (owed.stats ?? []).map(({ version, delta }) => ({ leadId: stored.lead.id, version, delta })))),
  };
}
