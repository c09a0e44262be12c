/** One page of a list (Marketplace, Qualified, Favorites, Archived, Unassigned, My leads), with paging. */
import { msLeft } from '../services/leads/leadTime';
import type { LeadSummary, ListName } from '../services/leads/leadViews';
import { cardTemplate, executeAction, type ActionView, type CardAttachment } from './cardTemplate';
import { stageLabel, typeLabel } from './leadText';
import { formatAmount, formatDay, formatTimeLeft, t, tn, type Locale } from './locale';
import leadListJson from './templates/leadList.json';

/** Where a page sits: its number, the Previous / Next it offers, and how to show dates. */
interface Paged {
  /** 1-based. */
  pageNumber: number;
  /** The `list.page` data that opens the next / previous page; no button without it. */
  next?: object;
  previous?: object;
  locale: Locale;
  now: Date;
  timeZone?: string;
}

export interface LeadListOptions extends Paged {
  view: ListName;
  /** In the order to show (the store lists newest first). */
  rows: LeadSummary[];
}

interface RowView {
  /** A section heading instead of a lead. */
  heading: string | null;
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

/** "Page 2" once there is more than one page, and Previous / Next (with `verb`) where they lead somewhere. */
function paging({ locale, pageNumber, previous, next }: Paged, verb: 'list.page' | 'search.page'): Pick<LeadListView, 'page' | 'actions'> {
  return {
    page: pageNumber > 1 || next !== undefined ? t(locale, 'list.page', { page: pageNumber }) : null,
    actions: [
      ...(previous ? [executeAction(t(locale, 'action.previous'), verb, previous)] : []),
      ...(next ? [executeAction(t(locale, 'action.next'), verb, next)] : []),
    ],
  };
}

export function renderLeadList(options: LeadListOptions): CardAttachment {
  const { view, rows, locale } = options;
  return render({
    title: t(locale, `list.title.${view}`),
    empty: rows.length === 0 ? t(locale, `list.empty.${view}`) : null,
    rows: rows.map((row) => rowView(row, options)),
    ...paging(options, 'list.page'),
  });
}

/** The answer to `find`: a page of the leads that match, open ones newest first, then archived ones. */
export function renderSearchList(options: Paged & { /** the query as searched (letters and digits only) */ shown: string; rows: LeadSummary[] }): CardAttachment {
  const { locale, shown: query, rows } = options;
  return render({
    title: t(locale, 'search.title', { query }),
    empty: rows.length === 0 ? t(locale, 'search.empty', { query }) : null,
    rows: rows.map((row) => rowView(row, options)),
    ...paging(options, 'search.page'),
  });
}

export const THUMBNAIL_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.thumbnail';

/** A search result's line in the message extension: lead name (🔥), customer, where it stands and the time left. */
export function renderSearchPreview(row: LeadSummary, options: { locale: Locale; now: Date; timeZone?: string }) {
  const view = rowView(row, options, false);
  // A waiting row's status is only its time left: say the stage too.
  const stage = row.stage === 'Received' ? stageLabel(row.stage, row.outcome, options.locale) : undefined;
  return {
    contentType: THUMBNAIL_CARD_CONTENT_TYPE,
    content: { title: view.title, subtitle: row.customer, text: [stage, view.status, typeLabel(row.type, options.locale)].filter(Boolean).join(' · ') },
  } as const;
}

/** The line of a lead the person may not read: nothing of it, only why. */
export function renderRestrictedPreview(locale: Locale) {
  return { contentType: THUMBNAIL_CARD_CONTENT_TYPE, content: { title: t(locale, 'access.restrictedTitle'), text: t(locale, 'access.needViewer') } } as const;
}

const URGENT_MS = 48 * 3_600_000;

const headingRow = (heading: string): RowView => ({ heading, title: '', detail: '', status: '', statusColor: 'Default', open: executeAction('', 'lead.open', {}) });

/** A list row; `withOwner: false` where every row is the reader's own. */
function rowView(row: LeadSummary, { locale, now, timeZone }: Pick<LeadListOptions, 'locale' | 'now' | 'timeZone'>, withOwner = true): RowView {
  const left = msLeft(row, now);
  const waiting = row.stage === 'Received';
  const owner = !withOwner ? undefined : row.owner ? t(locale, 'list.owner', { name: row.owner }) : waiting ? t(locale, 'owner.none') : undefined;
  const value = row.stage === 'Accepted' && row.value ? formatAmount(row.value.amount, row.value.currency, locale) : undefined;
  return {
    heading: null,
    title: row.flame && row.stage !== 'Archived' ? `🔥 ${row.name}` : row.name,
    detail: [row.customer, typeLabel(row.type, locale), formatDay(row.receivedAt, { locale, timeZone }), owner].filter(Boolean).join(' · '),
    // Open leads show how long is left to answer; accepted ones their deal value, archived ones where they stand.
    status: waiting ? formatTimeLeft(left, locale) : [stageLabel(row.stage, row.outcome, locale), value].filter(Boolean).join(' · '),
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

/**
 * "My leads": the leads the person owns that need an answer (soonest deadline first), those
 * accepted (with their deal value), and on the first page their favorites; each with Open.
 */
export function renderMyLeads(options: Paged & { owned: LeadSummary[]; favorites: LeadSummary[]; moreFavorites: boolean }): CardAttachment {
  const { locale, owned, favorites } = options;
  const section = (key: 'mine.waiting' | 'mine.accepted' | 'mine.favorites', rows: LeadSummary[]) =>
    rows.length > 0 ? [headingRow(t(locale, key)), ...rows.map((row) => rowView(row, options, key === 'mine.favorites'))] : [];
  const empty = owned.length === 0 && favorites.length === 0;
  const { page, actions } = paging(options, 'list.page');
  return render({
    title: t(locale, 'list.title.mine'),
    page,
    empty: empty ? t(locale, 'list.empty.mine') : null,
    rows: [
      ...section('mine.waiting', owned.filter((r) => r.stage === 'Received')),
      ...section('mine.accepted', owned.filter((r) => r.stage !== 'Received')),
      ...section('mine.favorites', favorites),
    ],
    actions: [
      ...actions,
      ...(options.moreFavorites ? [executeAction(t(locale, 'list.title.favorites'), 'list.page', { view: 'favorites' })] : []),
      ...(options.pageNumber === 1 ? [executeAction(t(locale, 'list.title.unassigned'), 'list.page', { view: 'unassigned' })] : []),
    ],
  });
}
