/**
 * Insights, as counting: each lead contributes facts to the day they happened on (received,
 * first answered, accepted, declined, expired, won, lost) and to the open pipeline. A change of a
 * lead changes its contribution by the difference before → after, which storage adds to per-day
 * aggregates: an insights card then reads a few rows per week, whatever number of leads is stored.
 * Pure: storage keeps the sums, useCases/readInsights.ts reads them.
 */
import { LEAD_TYPES, type Lead, type LeadType } from './lead';

/** Sparse counters: `received.customerInquiry`, `answered`, `response.3`, `wonValue.EUR`, … */
export type Counters = Record<string, number>;

/**
 * Upper bounds (hours) of the first-answer time buckets: from 15 minutes up, each a quarter wider
 * than the one before (so the median read from them is within about 12 % of the true one), then
 * one open-ended bucket past two weeks.
 */
export const RESPONSE_BUCKETS_HOURS = [...Array.from({ length: 34 }, (_, i) => 0.25 * 1.25 ** i), Number.POSITIVE_INFINITY];
/** The counter of a first-answer time bucket. */
export const responseKey = (bucket: number) => `rt.${bucket}`;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** The calendar day (UTC) of an instant: "2026-11-30". */
export const dayOf = (instant: string | number): string => new Date(instant).toISOString().slice(0, 10);

/** The Monday (UTC) of a day's week: the partition its counters live in. */
export function weekOf(day: string): string {
  const date = new Date(`${day}T00:00:00Z`);
  return dayOf(date.getTime() - ((date.getUTCDay() + 6) % 7) * DAY_MS);
}

/** A lead's dated facts and its share of the open pipeline, as it stands. */
export interface Contribution {
  days: Record<string, Counters>;
  pipeline: Counters;
}

function add(target: Counters, key: string, amount = 1): void {
  if (amount) target[key] = (target[key] ?? 0) + amount;
}

export function contributionOf(lead: Lead): Contribution {
  const days: Record<string, Counters> = {};
  const on = (instant: string) => (days[dayOf(instant)] ??= {});
  add(on(lead.receivedAt), `received.${lead.type}`);

  const accepted = Boolean(lead.deal) && (lead.stage === 'Accepted' || lead.outcome === 'Won' || lead.outcome === 'Lost');
  if (lead.answeredAt) {
    const day = on(lead.answeredAt);
    const took = Math.max(0, Date.parse(lead.answeredAt) - Date.parse(lead.receivedAt));
    add(day, 'answered');
    if (Date.parse(lead.answeredAt) <= Date.parse(lead.expiresAt)) add(day, 'inTime');
    add(day, responseKey(RESPONSE_BUCKETS_HOURS.findIndex((hours) => took <= hours * HOUR_MS)));
    add(day, 'responseMinutes', Math.round(took / 60_000));
    if (accepted) {
      add(day, 'accepted');
      if (lead.deal?.value !== undefined && lead.deal.currency) add(day, `acceptedValue.${lead.deal.currency}`, lead.deal.value);
    }
  }
  const closed = lead.closedAt ?? lead.lastAction?.at;
  if (lead.stage === 'Archived' && closed) {
    const day = on(closed);
    const reason = lead.closeReason?.code;
    switch (lead.outcome) {
      case 'Declined':
        add(day, 'declined');
        if (reason) add(day, `declineReason.${reason}`);
        break;
      case 'Expired':
        add(day, 'expired');
        break;
      case 'Won':
        add(day, 'won');
        if (lead.deal?.value !== undefined && lead.deal.currency) {
          add(day, `wonCount.${lead.deal.currency}`);
          add(day, `wonValue.${lead.deal.currency}`, lead.deal.value);
        }
        break;
      case 'Lost':
        add(day, 'lost');
        if (reason) add(day, `lostReason.${reason}`);
        break;
    }
  }
  const pipeline: Counters = {};
  if (lead.stage === 'Accepted') {
    add(pipeline, 'open');
    if (lead.deal?.value !== undefined && lead.deal.currency) add(pipeline, `value.${lead.deal.currency}`, lead.deal.value);
  }
  return { days, pipeline };
}

/** What a change adds to the sums: after − before (a new lead: all of after). Empty when nothing counted changed. */
export function contributionDelta(before: Lead | undefined, after: Lead): Contribution {
  const old = before ? contributionOf(before) : { days: {}, pipeline: {} };
  const now = contributionOf(after);
  const days: Record<string, Counters> = {};
  for (const day of new Set([...Object.keys(old.days), ...Object.keys(now.days)])) {
    const delta = difference(now.days[day] ?? {}, old.days[day] ?? {});
    if (Object.keys(delta).length > 0) days[day] = delta;
  }
  return { days, pipeline: difference(now.pipeline, old.pipeline) };
}

export const isEmpty = (delta: Contribution): boolean => Object.keys(delta.days).length === 0 && Object.keys(delta.pipeline).length === 0;

function difference(a: Counters, b: Counters): Counters {
  const out: Counters = {};
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) add(out, key, (a[key] ?? 0) - (b[key] ?? 0));
  return out;
}

/** a + b, in place in `a`; keys that reach zero go. */
export function addInto(a: Counters, b: Counters): Counters {
  for (const [key, value] of Object.entries(b)) {
    const sum = (a[key] ?? 0) + value;
    if (sum === 0) delete a[key];
    else a[key] = sum;
  }
  return a;
}

export const PERIODS = { '7d': 7, '30d': 30, '90d': 90 } as const;
export type Period = keyof typeof PERIODS;

/**
 * The days (UTC) of a period and of the period before it: ending today (asked for now), or the
 * whole days before today (a scheduled card: Monday's weekly card covers Monday to Sunday before it).
 */
export function periodDays(period: Period, now: Date, through: 'today' | 'yesterday' = 'today'): { current: string[]; previous: string[] } {
  const n = PERIODS[period];
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - (through === 'yesterday' ? DAY_MS : 0);
  const days = (from: number) => Array.from({ length: n }, (_, i) => dayOf(today - (from + i) * DAY_MS)).reverse();
  return { current: days(0), previous: days(n) };
}

/** By currency, biggest first. */
export type Amounts = { currency: string; value: number }[];

export interface PeriodFigures {
  received: Record<LeadType, number>;
  receivedTotal: number;
  answered: number;
  /** Share of the leads that came due in the period answered within their response window (0–1), when any did. */
  answeredInTimeShare?: number;
  /** Median time to first answer (ms), from the response histogram. */
  medianResponseMs?: number;
  accepted: number;
  declined: number;
  topDeclineReasons: { reason: string; count: number }[];
  expired: number;
  won: number;
  lost: number;
  /** won / (won + lost), when any closed. */
  winRate?: number;
  wonValue: Amounts;
  acceptedValue: Amounts;
  /** Average won deal, by currency. */
  averageDeal: Amounts;
}

export interface Insights {
  period: Period;
  current: PeriodFigures;
  previous: PeriodFigures;
  /** Accepted leads still open, and their value by currency: the pipeline now. */
  pipeline: { open: number; value: Amounts };
  /** Received per day over the period, for the trend chart. */
  receivedByDay: { day: string; count: number }[];
  advice: Advice;
}

export type Advice =
  | { kind: 'noLeads' }
  | { kind: 'expired'; count: number }
  | { kind: 'slow'; share: number }
  | { kind: 'slowMedian'; medianMs: number }
  | { kind: 'choosy'; share: number }
  | { kind: 'reportOutcomes'; open: number }
  | { kind: 'keepUp' };

export function periodFigures(sum: Counters): PeriodFigures {
  const get = (key: string) => sum[key] ?? 0;
  const received = Object.fromEntries(LEAD_TYPES.map((type) => [type, get(`received.${type}`)])) as Record<LeadType, number>;
  const due = get('answered') + get('expired');
  const won = get('won');
  const lost = get('lost');
  const amounts = (prefix: string): Amounts =>
    Object.entries(sum)
      .filter(([key]) => key.startsWith(`${prefix}.`))
      .map(([key, value]) => ({ currency: key.slice(prefix.length + 1), value }))
      .filter((a) => a.value !== 0)
      .sort((a, b) => b.value - a.value);
  const wonValue = amounts('wonValue');
  return {
    received,
    receivedTotal: LEAD_TYPES.reduce((total, type) => total + received[type], 0),
    answered: get('answered'),
    answeredInTimeShare: due > 0 ? get('inTime') / due : undefined,
    medianResponseMs: medianFromHistogram(RESPONSE_BUCKETS_HOURS.map((_, i) => get(responseKey(i)))),
    accepted: get('accepted'),
    declined: get('declined'),
    topDeclineReasons: Object.entries(sum)
      .filter(([key, count]) => key.startsWith('declineReason.') && count > 0)
      .map(([key, count]) => ({ reason: key.slice('declineReason.'.length), count }))
      .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason))
      .slice(0, 3),
    expired: get('expired'),
    won,
    lost,
    winRate: won + lost > 0 ? won / (won + lost) : undefined,
    wonValue,
    acceptedValue: amounts('acceptedValue'),
    averageDeal: wonValue.map(({ currency, value }) => ({ currency, value: value / Math.max(1, get(`wonCount.${currency}`)) })),
  };
}

/**
 * The median of a histogram of first-answer times: the bucket holding the middle answer, and a
 * point within it, interpolated on the buckets' own (geometric) scale; the open last bucket
 * reports its lower bound. With two answers, the lower one.
 */
export function medianFromHistogram(counts: number[]): number | undefined {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return undefined;
  const middle = Math.ceil(total / 2);
  let below = 0;
  for (let i = 0; i < counts.length; i++) {
    const count = counts[i] ?? 0;
    if (below + count >= middle && count > 0) {
      const high = RESPONSE_BUCKETS_HOURS[i] ?? 0;
      const low = i === 0 ? 0 : (RESPONSE_BUCKETS_HOURS[i - 1] ?? 0);
      if (!Number.isFinite(high)) return low * HOUR_MS;
      // The middle answer's place among those in the bucket, taken at the centre of its share.
      const fraction = (middle - below - 0.5) / count;
      const hours = low === 0 ? high * fraction : low * (high / low) ** fraction;
      return hours * HOUR_MS;
    }
    below += count;
  }
  return undefined;
}

/** One line of advice from the figures, in the spirit of the Leads section's "Getting more leads". */
export function adviceFor(current: PeriodFigures, pipelineOpen: number): Advice {
  if (current.receivedTotal === 0 && current.answered === 0 && current.expired === 0) return { kind: 'noLeads' };
  if (current.expired > 0) return { kind: 'expired', count: current.expired };
  if (current.answeredInTimeShare !== undefined && current.answeredInTimeShare < 0.9) return { kind: 'slow', share: current.answeredInTimeShare };
  if (current.medianResponseMs !== undefined && current.medianResponseMs > 24 * HOUR_MS) return { kind: 'slowMedian', medianMs: current.medianResponseMs };
  if (current.answered >= 4 && current.declined / current.answered > 0.5) return { kind: 'choosy', share: current.declined / current.answered };
  if (current.won + current.lost === 0 && pipelineOpen > 0) return { kind: 'reportOutcomes', open: pipelineOpen };
  return { kind: 'keepUp' };
}

export function insightsFrom(period: Period, days: { current: Record<string, Counters>; previous: Record<string, Counters> }, pipeline: Counters): Insights {
  const sum = (byDay: Record<string, Counters>) => Object.values(byDay).reduce((total, counters) => addInto(total, counters), {} as Counters);
  const current = periodFigures(sum(days.current));
  const open = pipeline.open ?? 0;
  return {
    period,
    current,
    previous: periodFigures(sum(days.previous)),
    pipeline: {
      open,
      value: Object.entries(pipeline)
        .filter(([key, value]) => key.startsWith('value.') && value !== 0)
        .map(([key, value]) => ({ currency: key.slice('value.'.length), value }))
        .sort((a, b) => b.value - a.value),
    },
    receivedByDay: Object.keys(days.current)
      .sort()
      .map((day) => ({ day, count: LEAD_TYPES.reduce((total, type) => total + (days.current[day]?.[`received.${type}`] ?? 0), 0) })),
    advice: adviceFor(current, open),
  };
}
