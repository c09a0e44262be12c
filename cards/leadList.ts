/** One page of a list view (Marketplace, Qualified, Favorites, Archived), newest first, with paging. */
import { msLeft } from '../services/leads/leadTime';
import type { LeadSummary, ViewName } from '../services/leads/leadViews';
import { cardTemplate, executeAction, type ActionView, type CardAttachment } from './cardTemplate';
import { stageLabel, typeLabel } from './leadText';
import { formatDay, formatTimeLeft, t, tn, type Locale } from './locale';
import leadListJson from './templates/leadList.json';

export interface LeadListOptions {
  view: ViewName;
  /** In the order to show (the store lists newest first). */
  rows: LeadSummary[];
  /** 1-based. */
  pageNumber: number;
  /** The `list.page` data that opens the next / previous page; no button without it. */
  next?: object;
  previous?: object;
  locale: Locale;
  now: Date;
  timeZone?: string;
}

interface RowView {
  title: string;
  detail: string;
  status: string;
  statusColor: string;
  open: ActionView;
}

interface LeadListView {
  title: string;
  page: string | null;
  empty: string | null;
  rows: RowView[];
  actions: ActionView[];
}

const render = cardTemplate<LeadListView>(leadListJson);

export function renderLeadList(options: LeadListOptions): CardAttachment {
  const { view, rows, locale, previous, next } = options;
  const paged = options.pageNumber > 1 || next !== undefined;
  return render({
    title: t(locale, `list.title.${view}`),
    page: paged ? t(locale, 'list.page', { page: options.pageNumber }) : null,
    empty: rows.length === 0 ? t(locale, `list.empty.${view}`) : null,
    rows: rows.map((row) => rowView(row, options)),
    actions: [
      ...(previous ? [executeAction(t(locale, 'action.previous'), 'list.page', previous)] : []),
      ...(next ? [executeAction(t(locale, 'action.next'), 'list.page', next)] : []),
    ],
  });
}

const URGENT_MS = 48 * 3_600_000;

function rowView(row: LeadSummary, { locale, now, timeZone }: LeadListOptions): RowView {
  const left = msLeft(row, now);
  const waiting = row.stage === 'Received';
  return {
    title: row.flame && row.stage !== 'Archived' ? `🔥 ${row.name}` : row.name,
    detail: [row.customer, typeLabel(row.type, locale), formatDay(row.receivedAt, { locale, timeZone })].join(' · '),
    // Open leads show how long is left to answer; accepted and archived ones where they stand.
    status: waiting ? formatTimeLeft(left, locale) : stageLabel(row.stage, row.outcome, locale),
    statusColor: !waiting ? 'Default' : left <= 0 ? 'Attention' : left < URGENT_MS ? 'Warning' : 'Default',
    open: executeAction(t(locale, 'action.open'), 'lead.open', { leadId: row.id }),
  };
}

/** The morning digest's card: leads that need an answer, soonest deadline first (🔥 first on the same day), each with Open. */
export function renderNeedsAnswerCard(options: { rows: LeadSummary[]; locale: Locale; now: Date; timeZone?: string }): CardAttachment {
  const { locale } = options;
  const day = (row: LeadSummary) => row.expiresAt.slice(0, 10);
  const rows = [...options.rows].sort((a, b) => day(a).localeCompare(day(b)) || Number(b.flame) - Number(a.flame) || a.expiresAt.localeCompare(b.expiresAt));
  const list: LeadListOptions = { view: 'marketplace', rows, pageNumber: 1, locale, now: options.now, timeZone: options.timeZone };
  return render({
    title: tn(locale, 'needsAnswer.title', rows.length),
    page: null,
    empty: null,
    rows: rows.map((row) => rowView(row, list)),
    actions: [
      executeAction(t(locale, 'list.title.marketplace'), 'list.page', { view: 'marketplace' }),
      executeAction(t(locale, 'list.title.qualified'), 'list.page', { view: 'qualified' }),
    ],
  });
}
