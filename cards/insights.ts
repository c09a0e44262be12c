/**
 * The insights card: how fast the team answers, what it decides and wins, what is in the
 * pipeline, against the period before, with one line of advice. Charts where a picture reads
 * faster (Teams draws Chart.*), each with a FactSet fallback for clients that do not.
 */
import { LEAD_TYPES, type CloseReason } from '../services/leads/lead';
import { PERIODS, type Advice, type Amounts, type Insights, type Period } from '../services/leads/leadStats';
import { cardTemplate, executeAction, type ActionView, type CardAttachment } from './cardTemplate';
import { reasonLabel, typeLabel } from './leadText';
import { formatAmount, formatCalendarDate, formatDuration, t, tn, type Locale } from './locale';
import insightsJson from './templates/insights.json';

interface ChartPoint {
  legend: string;
  value: number;
  text: string;
}

interface Section {
  heading: string;
  donut: { title: string; data: ChartPoint[] } | null;
  bars: { title: string; xAxisTitle: string; yAxisTitle: string; data: { x: string; y: number; text: string }[] } | null;
  facts: { title: string; value: string }[];
  note: string | null;
}

interface InsightsView {
  title: string;
  subtitle: string;
  advice: { text: string; style: 'good' | 'warning' | 'accent' };
  sections: Section[];
  actions: ActionView[];
}

const render = cardTemplate<InsightsView>(insightsJson);

export function renderInsightsCard(insights: Insights, { locale }: { locale: Locale }): CardAttachment {
  const { current: now, previous: before } = insights;
  const days = PERIODS[insights.period];
  const first = insights.receivedByDay[0]?.day ?? '';
  const last = insights.receivedByDay.at(-1)?.day ?? '';
  const percent = (share: number | undefined) => (share === undefined ? t(locale, 'insights.none') : `${Math.round(share * 100)} %`);
  const duration = (ms: number | undefined) => (ms === undefined ? t(locale, 'insights.none') : formatDuration(ms, locale, 'left', 1));
  const versus = (value: string, previous: string) => t(locale, 'insights.versus', { value, previous });
  const amounts = (list: Amounts) => (list.length ? list.map((a) => formatAmount(Math.round(a.value), a.currency, locale)).join(', ') : t(locale, 'insights.none'));
  const point = (legend: string, value: number): ChartPoint => ({ legend, value, text: String(value) });

  const received: Section = {
    heading: t(locale, 'insights.receivedHeading', { n: now.receivedTotal, previous: before.receivedTotal }),
    donut: now.receivedTotal > 0 ? { title: t(locale, 'insights.byType'), data: LEAD_TYPES.map((type) => point(typeLabel(type, locale), now.received[type])).filter((p) => p.value > 0) } : null,
    bars: now.receivedTotal > 0 ? trend(insights, locale) : null,
    facts: [],
    note: null,
  };
  const response: Section = {
    heading: t(locale, 'insights.response'),
    donut: null,
    bars: null,
    facts: [
      { title: t(locale, 'insights.inTime'), value: versus(percent(now.answeredInTimeShare), percent(before.answeredInTimeShare)) },
      { title: t(locale, 'insights.median'), value: versus(duration(now.medianResponseMs), duration(before.medianResponseMs)) },
      { title: t(locale, 'insights.answered'), value: versus(String(now.answered), String(before.answered)) },
    ],
    note: null,
  };
  const decided = now.accepted + now.declined + now.expired;
  const decisions: Section = {
    heading: t(locale, 'insights.decisions'),
    donut:
      decided > 0
        ? {
            title: t(locale, 'insights.decisions'),
            data: [point(t(locale, 'insights.accepted'), now.accepted), point(t(locale, 'insights.declined'), now.declined), point(t(locale, 'insights.expired'), now.expired)].filter((p) => p.value > 0),
          }
        : null,
    bars: null,
    facts: decided > 0 ? [] : [{ title: t(locale, 'insights.accepted'), value: '0' }],
    note: now.topDeclineReasons.length
      ? t(locale, 'insights.topReasons', { reasons: now.topDeclineReasons.map((r) => `${reasonLabel(r.reason as CloseReason, locale)} (${r.count})`).join(', ') })
      : null,
  };
  const outcomes: Section = {
    heading: t(locale, 'insights.outcomes'),
    donut: null,
    bars: null,
    facts: [
      { title: t(locale, 'insights.wonLost'), value: versus(`${now.won} / ${now.lost}`, `${before.won} / ${before.lost}`) },
      { title: t(locale, 'insights.winRate'), value: versus(percent(now.winRate), percent(before.winRate)) },
      { title: t(locale, 'insights.wonValue'), value: amounts(now.wonValue) },
      { title: t(locale, 'insights.averageDeal'), value: amounts(now.averageDeal) },
      { title: t(locale, 'insights.acceptedValue'), value: amounts(now.acceptedValue) },
    ],
    note: null,
  };
  const pipeline: Section = {
    heading: t(locale, 'insights.pipeline'),
    donut: null,
    bars: null,
    facts: [
      { title: t(locale, 'insights.pipelineOpen'), value: String(insights.pipeline.open) },
      { title: t(locale, 'insights.pipelineValue'), value: amounts(insights.pipeline.value) },
    ],
    note: null,
  };
  return render({
    title: t(locale, 'insights.title', { days }),
    subtitle: t(locale, 'insights.subtitle', { from: formatCalendarDate(first, locale), to: formatCalendarDate(last, locale), days }),
    advice: adviceView(insights.advice, locale),
    sections: [received, response, decisions, outcomes, pipeline],
    actions: (Object.keys(PERIODS) as Period[])
      .filter((period) => period !== insights.period)
      .map((period) => executeAction(t(locale, 'insights.show', { days: PERIODS[period] }), 'insights.show', { period })),
  });
}

/** Received per day (7 days) or per week (longer periods), oldest first. */
function trend(insights: Insights, locale: Locale): Section['bars'] {
  const perWeek = insights.receivedByDay.length > 7;
  const groups: { x: string; y: number }[] = [];
  insights.receivedByDay.forEach(({ day, count }, i) => {
    if (!perWeek || i % 7 === 0) groups.push({ x: formatCalendarDate(day, locale).replace(/,? \d{4}$/, ''), y: 0 });
    groups[groups.length - 1]!.y += count;
  });
  return {
    title: t(locale, perWeek ? 'insights.trendWeeks' : 'insights.trendDays'),
    xAxisTitle: t(locale, perWeek ? 'insights.weekFrom' : 'insights.day'),
    yAxisTitle: t(locale, 'insights.leads'),
    data: groups.map((g) => ({ ...g, text: String(g.y) })),
  };
}

function adviceView(advice: Advice, locale: Locale): InsightsView['advice'] {
  switch (advice.kind) {
    case 'noLeads':
      return { text: t(locale, 'advice.noLeads'), style: 'accent' };
    case 'expired':
      return { text: tn(locale, 'advice.expired', advice.count), style: 'warning' };
    case 'slow':
      return { text: t(locale, 'advice.slow', { share: `${Math.round(advice.share * 100)} %` }), style: 'warning' };
    case 'slowMedian':
      return { text: t(locale, 'advice.slowMedian', { duration: formatDuration(advice.medianMs, locale, 'left', 1) }), style: 'warning' };
    case 'choosy':
      return { text: t(locale, 'advice.choosy', { share: `${Math.round(advice.share * 100)} %` }), style: 'accent' };
    case 'reportOutcomes':
      return { text: tn(locale, 'advice.reportOutcomes', advice.open), style: 'accent' };
    case 'keepUp':
      return { text: t(locale, 'advice.keepUp'), style: 'good' };
  }
}
