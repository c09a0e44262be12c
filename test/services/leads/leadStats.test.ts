import type { Lead } from '../../../services/leads/lead';
import { addInto, contributionDelta, contributionOf, insightsFrom, medianFromHistogram, periodDays, RESPONSE_BUCKETS_HOURS, responseKey, weekOf, type Counters } from '../../../services/leads/leadStats';
import { admin, apply, dealInput, receivedLead } from '../../fixtures/leads';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = new Date('2026-11-30T12:00:00Z');
const at = (ms: number) => new Date(ms).toISOString();

/** A lead received `daysAgo` days before NOW, then moved through `steps`, each `hoursLater` after the one before. */
function leadThrough(
  type: 'Direct' | 'MarketingQualified' | 'SalesQualified',
  daysAgo: number,
  steps: { command: Parameters<typeof apply>[1]; hoursLater: number; system?: boolean }[],
  referralFields: Parameters<typeof receivedLead>[0] = {},
): Lead {
  let lead = receivedLead({ qualification: type, createdDateTime: at(NOW.getTime() - daysAgo * DAY), ...referralFields });
  let time = Date.parse(lead.receivedAt);
  for (const step of steps) {
    time += step.hoursLater * HOUR;
    const moved = apply(lead, step.command, step.system ? { kind: 'system' } : admin);
    // The lifecycle stamps "now"; the fixture moves the clock of each step.
    lead = { ...moved, lastAction: moved.lastAction && { ...moved.lastAction, at: at(time) }, answeredAt: moved.answeredAt && lead.answeredAt ? lead.answeredAt : moved.answeredAt ? at(time) : undefined, closedAt: moved.closedAt && !lead.closedAt ? at(time) : lead.closedAt };
  }
  return lead;
}

const accept = (value = 1000, currency = 'EUR') => ({ kind: 'accept' as const, deal: { ...dealInput, value, currency } });

/** The sums over a set of leads, by day: what storage would hold. */
function sumsOf(leads: Lead[]): Record<string, Counters> {
  const byDay: Record<string, Counters> = {};
  for (const lead of leads) for (const [day, counters] of Object.entries(contributionOf(lead).days)) addInto((byDay[day] ??= {}), counters);
  return byDay;
}

function insightsOf(leads: Lead[], period: '7d' | '30d' = '30d') {
  const byDay = sumsOf(leads);
  const { current, previous } = periodDays(period, NOW);
  const pick = (days: string[]) => Object.fromEntries(days.map((d) => [d, byDay[d] ?? {}]));
  const pipeline = leads.reduce((total, lead) => addInto(total, contributionOf(lead).pipeline), {} as Counters);
  return insightsFrom(period, { current: pick(current), previous: pick(previous) }, pipeline);
}

describe('the figures of a period, on leads with known answers', () => {
  const leads = [
    // Answered in 2 h, accepted, won 5,000 EUR.
    leadThrough('Direct', 10, [{ command: accept(5000), hoursLater: 2 }, { command: { kind: 'markWon' }, hoursLater: 48 }]),
    // Answered in 30 h, accepted, still open at 20,000 USD.
    leadThrough('SalesQualified', 8, [{ command: accept(20000, 'USD'), hoursLater: 30 }]),
    // Declined after 5 h (budget), another after 1 h (budget), one after 10 h (other vendor).
    leadThrough('MarketingQualified', 6, [{ command: { kind: 'decline', reason: 'budget' }, hoursLater: 5 }]),
    leadThrough('Direct', 6, [{ command: { kind: 'decline', reason: 'budget' }, hoursLater: 1 }]),
    leadThrough('Direct', 5, [{ command: { kind: 'decline', reason: 'otherVendor' }, hoursLater: 10 }]),
    // Accepted after 3 h, lost.
    leadThrough('SalesQualified', 12, [{ command: accept(8000), hoursLater: 3 }, { command: { kind: 'markLost', reason: 'otherVendor' }, hoursLater: 24 }]),
    // Expired unanswered (14 days after it came, 20 days ago).
    leadThrough('Direct', 20, [{ command: { kind: 'expire' }, hoursLater: 14 * 24, system: true }]),
    // Received in the period before (40 days ago), answered then.
    // (Its deadline set late: the fixtures' clock would find it expired on arrival.)
    leadThrough('Direct', 40, [{ command: accept(1000), hoursLater: 50 }], { expirationDateTime: '2026-12-31T00:00:00Z' }),
  ];
  const { current, previous, pipeline } = insightsOf(leads);

  it('counts leads received by type, and the period before', () => {
    expect(current.received).toEqual({ customerInquiry: 4, marketingQualified: 1, salesQualified: 2 });
    expect(current.receivedTotal).toBe(7);
    expect(previous.receivedTotal).toBe(1);
  });

  it('counts the share answered within the response window and the median time to the first answer', () => {
    // 6 answered in time, 1 expired: 6 of 7.
    expect(current.answered).toBe(6);
    expect(current.answeredInTimeShare).toBeCloseTo(6 / 7);
    // Answers took 1, 2, 3, 5, 10, 30 h: the (lower) median is 3 h, read from its bucket within an eighth.
    expect(Math.abs(current.medianResponseMs! - 3 * HOUR)).toBeLessThan(3 * HOUR * 0.125);
    // One answer after 50 h in the period before.
    expect(Math.abs(previous.medianResponseMs! - 50 * HOUR)).toBeLessThan(50 * HOUR * 0.125);
  });

  it('counts decisions, the top decline reasons, outcomes and the win rate', () => {
    expect(current).toMatchObject({ accepted: 3, declined: 3, expired: 1, won: 1, lost: 1, winRate: 0.5 });
    expect(current.topDeclineReasons).toEqual([
      { reason: 'budget', count: 2 },
      { reason: 'otherVendor', count: 1 },
    ]);
  });

  it('sums values by currency: won, average won deal, accepted; and the open pipeline now', () => {
    expect(current.wonValue).toEqual([{ currency: 'EUR', value: 5000 }]);
    expect(current.averageDeal).toEqual([{ currency: 'EUR', value: 5000 }]);
    expect(current.acceptedValue).toEqual([
      { currency: 'USD', value: 20000 },
      { currency: 'EUR', value: 13000 },
    ]);
    expect(pipeline).toEqual({ open: 2, value: [{ currency: 'USD', value: 20000 }, { currency: 'EUR', value: 1000 }] });
  });

  it('gives one line of advice from the figures: expired leads first', () => {
    expect(insightsOf(leads).advice).toEqual({ kind: 'expired', count: 1 });
    expect(insightsOf([]).advice).toEqual({ kind: 'noLeads' });
    expect(insightsOf([leadThrough('Direct', 3, [{ command: accept(), hoursLater: 1 }])]).advice).toEqual({ kind: 'reportOutcomes', open: 1 });
    expect(insightsOf([leadThrough('Direct', 3, [{ command: accept(), hoursLater: 60 }])]).advice).toMatchObject({ kind: 'slowMedian' });
  });
});

describe('what a change adds to the sums', () => {
  it('adds a new lead whole, and an Accept only what the Accept changed', () => {
    const lead = receivedLead({ createdDateTime: '2026-11-20T10:00:00Z' });
    expect(contributionDelta(undefined, lead).days).toEqual({ '2026-11-20': { 'received.customerInquiry': 1 } });
    const accepted = apply(lead, accept(700));
    const delta = contributionDelta(lead, accepted);
    expect(Object.values(delta.days)[0]).toMatchObject({ answered: 1, inTime: 1, accepted: 1, 'acceptedValue.EUR': 700 });
    expect(delta.pipeline).toEqual({ open: 1, 'value.EUR': 700 });
  });

  it('moves the pipeline by the difference when the deal value is edited, and takes the lead out of it when won', () => {
    const accepted = apply(receivedLead(), accept(700));
    const edited = apply(accepted, { kind: 'edit', deal: { ...dealInput, value: 900, currency: 'EUR' } });
    expect(contributionDelta(accepted, edited).pipeline).toEqual({ 'value.EUR': 200 });
    const won = apply(edited, { kind: 'markWon' });
    expect(contributionDelta(edited, won).pipeline).toEqual({ open: -1, 'value.EUR': -900 });
  });

  it('adds nothing for a favorite', () => {
    const lead = receivedLead();
    const delta = contributionDelta(lead, apply(lead, { kind: 'favorite' }));
    expect(delta).toEqual({ days: {}, pipeline: {} });
  });
});

describe('counting by day and week', () => {
  it('covers the days up to today when asked, and the whole days before today for a scheduled card', () => {
    const monday = new Date('2026-11-30T09:00:00Z');
    expect(periodDays('7d', monday)).toMatchObject({ current: expect.arrayContaining(['2026-11-24', '2026-11-30']) });
    const weekly = periodDays('7d', monday, 'yesterday');
    expect([weekly.current[0], weekly.current.at(-1)]).toEqual(['2026-11-23', '2026-11-29']);
    expect([weekly.previous[0], weekly.previous.at(-1)]).toEqual(['2026-11-16', '2026-11-22']);
  });

  it('files a day in the week of its Monday (UTC)', () => {
    expect(weekOf('2026-11-30')).toBe('2026-11-30');
    expect(weekOf('2026-12-06')).toBe('2026-11-30');
    expect(weekOf('2026-11-29')).toBe('2026-11-23');
  });

  it('reads the median from the histogram of first-answer times, within an eighth of the true one (or 8 minutes, under a quarter hour)', () => {
    const medianOf = (hours: number[]) => {
      const sums = hours.map((h) => contributionOf(leadThrough('Direct', 13, [{ command: { kind: 'decline', reason: 'budget' }, hoursLater: h }])));
      const counters = sums.reduce((total, c) => addInto(total, Object.values(c.days).reduce((a, b) => addInto(a, b), {} as Counters)), {} as Counters);
      return medianFromHistogram(RESPONSE_BUCKETS_HOURS.map((_, i) => counters[responseKey(i)] ?? 0));
    };
    expect(medianFromHistogram(RESPONSE_BUCKETS_HOURS.map(() => 0))).toBeUndefined();
    for (const [answers, median] of [
      [[5, 5, 5], 5],
      [[1, 2, 3, 5, 10, 30], 3],
      [[0.1, 30], 0.1],
      [[0.5, 0.75, 1, 40, 50], 1],
      [[26, 27, 28, 29, 200, 300, 301], 29],
    ] as const) {
      const found = medianOf([...answers])! / HOUR;
      expect(Math.abs(found - median)).toBeLessThan(Math.max(median * 0.125, 8 / 60));
    }
    // Past the last bounded bucket (over two weeks), its lower bound.
    expect(medianOf([500, 600, 700])! / HOUR).toBeCloseTo(RESPONSE_BUCKETS_HOURS.at(-2)!, 5);
  });
});
