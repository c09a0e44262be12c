/** Use case: the insights of a period (7, 30 or 90 days) against the period before, read from the sums, not from the leads. */
import { insightsFrom, periodDays, type Insights, type Period } from '../leads/leadStats';
import type { StatsStore } from '../storage/statsStore';

/** `through: 'yesterday'`: whole days only, for a scheduled card (the weekly one covers last Monday to Sunday). */
export async function readInsights(
  period: Period,
  deps: { stats: StatsStore; now: () => Date },
  through: 'today' | 'yesterday' = 'today',
): Promise<{ insights: Insights; rowsRead: number }> {
  const { current, previous } = periodDays(period, deps.now(), through);
  const [days, pipeline] = await Promise.all([deps.stats.days([...previous, ...current]), deps.stats.pipeline()]);
  const pick = (list: string[]) => Object.fromEntries(list.map((day) => [day, days.byDay[day] ?? {}]));
  return { insights: insightsFrom(period, { current: pick(current), previous: pick(previous) }, pipeline), rowsRead: days.rowsRead + 1 };
}
