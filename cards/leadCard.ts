/** The live card of one lead: what it is, where it stands, and the buttons its stage allows. */
import type { Lead, Outcome } from '../services/leads/lead';
import { ALLOWED } from '../services/leads/leadLifecycle';
import { flamePhase, msLeft } from '../services/leads/leadTime';
import { outsideActor, type OutsideView } from '../services/leads/outsideView';
import { cardTemplate, executeAction, withMentions, type ActionView, type CardAttachment, type CardMention } from './cardTemplate';
import { FORMS, leadFormView, type FormContext, type FormMode, type FormState, type FormView } from './leadForm';
import { actionData, personLine, reasonLabel, stageLabel, typeLabel } from './leadText';
import { formatAmount, formatCalendarDate, formatDateTime, formatDay, formatDuration, formatTimeLeft, t, type Locale, type StringKey, type Zoned } from './locale';
import leadCardJson from './templates/leadCard.json';

export type LeadCardMode = 'view' | FormMode;

export interface LeadCardOptions {
  locale: Locale;
  now: Date;
  /** IANA zone for dates; UTC by default. */
  timeZone?: string;
  /** How long after arrival a flame lead counts as hot (🔥) before it turns to waiting (⏳). */
  flameWindowHours: number;
  /** Who will see this copy of the card: decides ♡ or ♥. */
  viewer?: { id: string /* AAD object id */ };
  /** A form for the clicker; a form the lead's stage does not take falls back to 'view'. */
  mode?: LeadCardMode;
  notice?: { text: string; tone: 'info' | 'warning' | 'good' };
  form?: FormState;
  /** Teams user ids (29:…) that get a personal view through Universal Actions refresh; at most 60 are used. */
  refreshUserIds?: string[];
  /**
   * A copy a person shares (from search or a pasted link): their message, which the bot cannot
   * update, so viewers' clients fetch the current card (every viewer's where `refreshUserIds` is
   * empty: chats of up to 60; else those listed), and every answer to its buttons keeps it so.
   */
  shared?: boolean;
  /** What outside systems say of the lead: a change on its way to one, one it refused; changes made there. */
  outside?: OutsideView[];
  /** For the Assign form: the conversation's members, and where Teams' people search looks. */
  formContext?: FormContext;
  /** People who asked to hear of this kind of lead: @mentioned on the card (its first post). */
  mentions?: CardMention[];
}

type Lines = { heading: string; lines: { text: string }[] };
type Facts = { title: string; value: string }[];

/** What leadCard.json binds. */
interface LeadCardView {
  refresh: { data: { leadId: string; shared?: true }; userIds: string[] | null } | null;
  notice: { text: string; style: string } | null;
  typeLabel: string;
  stageLabel: string;
  flame: { text: string; style: string; color: string } | null;
  title: string;
  customerLine: string;
  owner: { text: string; subtle: boolean; actions: ActionView[] } | null;
  mention: string | null;
  closed: { text: string; color: string; notes: string | null } | null;
  need: { heading: string; text: string } | null;
  contacts: (Lines & { note: string | null }) | null;
  requirements: { heading: string; text: string } | null;
  details: Facts;
  deal: { heading: string; facts: Facts } | null;
  employees: Lines | null;
  lastAction: string | null;
  sync: { text: string; color: string } | null;
  /** Values an outside system sent that are shown as it sent them (they do not fit what this version reads). */
  asGiven: string | null;
  form: FormView | null;
  actions: ActionView[];
  /** The lead's pages in outside systems ("Open in Partner Center"). */
  links: { title: string; url: string }[];
}

const renderTemplate = cardTemplate<LeadCardView>(leadCardJson);

const render = (view: LeadCardView, mentions: CardMention[]): CardAttachment => withMentions(renderTemplate(view), mentions);

const MAX_REFRESH_USERS = 60;
const NOTICE_STYLE = { info: 'accent', warning: 'warning', good: 'good' } as const;

export function renderLeadCard(lead: Lead, options: LeadCardOptions): CardAttachment {
  const { locale } = options;
  const zoned: Zoned = { locale, timeZone: options.timeZone };
  const requested = options.mode ?? 'view';
  const mode = requested !== 'view' && ALLOWED[lead.stage].has(FORMS[requested].command) ? requested : 'view';
  const form = mode === 'view' ? null : leadFormView(lead, mode, locale, options.form, options.formContext);
  const mentions = options.mentions ?? [];
  const refreshUserIds = [...new Set(options.refreshUserIds ?? [])].slice(0, MAX_REFRESH_USERS);

  const card = render({
    // A shared copy refreshes by itself for everyone in a chat (up to 60 people: no userIds), and in a
    // channel, which may be larger, for those the product knows will look (owner, favoriters, who shared it).
    refresh: options.shared
      ? { data: { leadId: lead.id, shared: true }, userIds: refreshUserIds.length > 0 ? refreshUserIds : null }
      : refreshUserIds.length > 0
        ? { data: { leadId: lead.id }, userIds: refreshUserIds }
        : null,
    notice: options.notice ? { text: options.notice.text, style: NOTICE_STYLE[options.notice.tone] } : null,
    typeLabel: typeLabel(lead.type, locale),
    stageLabel: stageLabel(lead.stage, lead.outcome, locale),
    flame: flameBanner(lead, options),
    title: lead.name,
    customerLine: customerLine(lead, options.locale),
    owner: form ? null : ownerView(lead, zoned),
    mention: mentions.length > 0 ? t(locale, 'notify.line', { names: mentions.map((m) => `<at>${m.name}</at>`).join(', ') }) : null,
    closed: closedView(lead, zoned, options.outside ?? []),
    // An open form replaces the details: the clicker has just read them, and Teams cards scroll.
    ...(form
      ? { ...NO_DETAILS, form, actions: form.actions }
      : { ...leadDetails(lead, options.now, zoned, options.outside ?? []), form: null, actions: viewActions(lead, locale, options.viewer) }),
    sync: outsideLine(options.outside ?? [], locale),
    asGiven: asGivenLine(options.outside ?? [], locale),
    links: form ? [] : (options.outside ?? []).flatMap((view) => (view.url ? [{ title: t(locale, 'action.openIn', { system: view.system }), url: view.url }] : [])),
  }, mentions);
  if (options.shared) markShared(card.content);
  return card;
}

/**
 * Every button of a shared copy says so, so that the card it answers with is shared too; and each
 * falls back to an Action.Submit with the same verb where a client (or a card from search or an
 * unfurled link, which Teams caps at older card versions) does not do Universal Actions.
 */
function markShared(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(markShared);
  if (typeof node !== 'object' || node === null) return;
  const element = node as Record<string, unknown>;
  if (element.type === 'Action.Execute' && typeof element.data === 'object' && element.data !== null) {
    const data = { ...element.data, shared: true };
    element.data = data;
    element.fallback = { type: 'Action.Submit', title: element.title, data: { ...data, verb: element.verb } };
  }
  for (const [key, value] of Object.entries(element)) if (key !== 'refresh' && key !== 'fallback') markShared(value);
}

/** "Owner: Sam Lee · assigned by Dana Miller · Nov 26, 10:02 AM" or "No owner yet", with Take it / Assign… while the lead is open. */
function ownerView(lead: Lead, zoned: Zoned): LeadCardView['owner'] {
  const { locale } = zoned;
  const owner = lead.owner;
  const open = lead.stage !== 'Archived';
  if (!owner && !open) return null;
  const data = actionData(lead);
  const actions: ActionView[] = !open
    ? []
    : owner
      ? [executeAction(t(locale, 'action.reassign'), FORMS.assign.open, data)]
      : [executeAction(t(locale, 'action.take'), 'lead.take', data, { style: 'positive' }), executeAction(t(locale, 'action.assign'), FORMS.assign.open, data)];
  if (!owner) return { text: t(locale, 'owner.none'), subtle: true, actions };
  const when = formatDateTime(owner.since, zoned);
  const byOther = owner.by.id !== owner.id;
  const text = byOther ? t(locale, 'owner.assigned', { name: owner.name, by: owner.by.name, when }) : t(locale, 'owner.took', { name: owner.name, when });
  return { text, subtle: false, actions };
}

/** Whether the lead's changes have reached the outside systems: a line while on the way, a warning when refused, nothing once there. */
function outsideLine(outside: OutsideView[], locale: Locale): LeadCardView['sync'] {
  const refused = outside.find((v) => v.state === 'refused');
  if (refused) return { text: t(locale, 'outside.rejected', { system: refused.system, message: refused.message ?? '' }), color: 'Attention' };
  const pending = outside.find((v) => v.state === 'pending');
  return pending ? { text: t(locale, 'outside.pending', { system: pending.system }), color: 'Default' } : null;
}

/** "As Partner Center sent it: qualification “None”; deal value “about 10k”". */
function asGivenLine(outside: OutsideView[], locale: Locale): string | null {
  const lines = outside.flatMap((view) =>
    view.asGiven && view.asGiven.length > 0 ? [t(locale, 'outside.asGiven', { system: view.system, values: view.asGiven.map((a) => `${a.field} “${a.value}”`).join('; ') })] : [],
  );
  return lines.length > 0 ? lines.join('\n\n') : null;
}

/** What the customer needs, on the card: the first NEED_SHOWN characters (the lead keeps it whole). */
const NEED_SHOWN = 1_500;
const shortened = (text: string) => (text.length > NEED_SHOWN ? `${text.slice(0, NEED_SHOWN - 1).trimEnd()}…` : text);

type Details = Pick<LeadCardView, 'need' | 'contacts' | 'requirements' | 'details' | 'deal' | 'employees' | 'lastAction'>;
const NO_DETAILS: Details = { need: null, contacts: null, requirements: null, details: [], deal: null, employees: null, lastAction: null };

function leadDetails(lead: Lead, now: Date, zoned: Zoned, outside: OutsideView[]): Details {
  const { locale } = zoned;
  return {
    need: lead.need ? { heading: t(locale, 'section.need'), text: shortened(lead.need) } : null,
    contacts: contactsView(lead, locale),
    requirements: lead.requirements.length > 0 ? { heading: t(locale, 'section.requirements'), text: lead.requirements.join(', ') } : null,
    details: detailFacts(lead, now, zoned),
    deal: lead.deal && lead.stage !== 'Received' ? { heading: t(locale, 'section.deal'), facts: dealFacts(lead.deal, locale) } : null,
    employees:
      lead.employees.length > 0 ? { heading: t(locale, 'section.employees'), lines: lead.employees.map((e) => ({ text: personLine(e) })) } : null,
    lastAction: lead.stage !== 'Archived' && lead.lastAction ? lastActionText(lead.lastAction, zoned, outside) : null,
  };
}

function viewActions(lead: Lead, locale: Locale, viewer: LeadCardOptions['viewer']): ActionView[] {
  const data = actionData(lead);
  const button = (key: StringKey, verb: string, style?: 'positive' | 'destructive') =>
    executeAction(t(locale, key), verb, data, style ? { style } : {});
  const lifecycle: Record<Lead['stage'], ActionView[]> = {
    Received: [button('action.accept', FORMS.accept.open, 'positive'), button('action.decline', FORMS.decline.open)],
    Accepted: [
      button('action.edit', FORMS.edit.open),
      button('action.addEmployees', FORMS.addEmployee.open),
      button('action.won', FORMS.confirmWon.open, 'positive'),
      button('action.lost', FORMS.confirmLost.open),
    ],
    Archived: [],
  };
  const viewerId = viewer?.id.toLowerCase();
  const isFavorite = viewerId !== undefined && lead.favorites.some((f) => f.id.toLowerCase() === viewerId);
  const favorite = isFavorite ? button('action.unfavorite', 'lead.unfavorite') : button('action.favorite', 'lead.favorite');
  return [...lifecycle[lead.stage], favorite];
}

function flameBanner(lead: Lead, { locale, now, flameWindowHours }: LeadCardOptions): LeadCardView['flame'] {
  const phase = flamePhase(lead, now, flameWindowHours);
  if (phase === 'hot') return { text: t(locale, 'flame.hot'), style: 'attention', color: 'Attention' };
  if (phase === 'none') return null;
  const age = formatDuration(now.getTime() - Date.parse(lead.receivedAt), locale, 'span', 1);
  return { text: t(locale, 'flame.waiting', { age }), style: 'warning', color: 'Warning' };
}

function customerLine({ customer }: Lead, locale: Locale): string {
  const place = [customer.city, customer.country].filter(Boolean).join(', ');
  return [customer.name, customer.size && sizeLabel(customer.size, locale), place].filter(Boolean).join(' · ');
}

/** Partner Center's size codes ("50to1000employees", "over10000employees") as words; others as sent. */
function sizeLabel(size: string, locale: Locale): string {
  const number = (n: string) => Number(n).toLocaleString(locale === 'de' ? 'de-DE' : 'en-US');
  const range = /^(\d+)to(\d+)employees$/i.exec(size);
  if (range?.[1] && range[2]) return t(locale, 'size.range', { from: number(range[1]), to: number(range[2]) });
  const over = /^over(\d+)employees$/i.exec(size);
  if (over?.[1]) return t(locale, 'size.over', { n: number(over[1]) });
  return size;
}

function contactsView(lead: Lead, locale: Locale): NonNullable<LeadCardView['contacts']> {
  const heading = t(locale, 'section.contacts');
  if (!lead.consent.contact) return { heading, lines: [], note: t(locale, 'contacts.noConsent') };
  if (lead.contacts.length === 0) return { heading, lines: [], note: t(locale, 'contacts.none') };
  return { heading, lines: lead.contacts.map((c) => ({ text: personLine(c) })), note: null };
}

const DAY_MS = 24 * 3_600_000;

function detailFacts(lead: Lead, now: Date, zoned: Zoned): Facts {
  const { locale } = zoned;
  const facts = [{ title: t(locale, 'fact.received'), value: formatDateTime(lead.receivedAt, zoned) }];
  if (lead.stage === 'Received') {
    const deadline = t(locale, 'fact.deadline', {
      date: formatDateTime(lead.expiresAt, zoned),
      // A posted card is refreshed every few hours (hourly in the last two days): whole days
      // until then, so what it says is never more precise than it is true.
      left: formatTimeLeft(msLeft(lead, now), locale, msLeft(lead, now) >= 2 * DAY_MS ? 1 : 2),
    });
    facts.push({ title: t(locale, 'fact.respondBy'), value: deadline });
  }
  return facts;
}

function dealFacts(deal: NonNullable<Lead['deal']>, locale: Locale): Facts {
  const facts: [string, string | undefined][] = [
    [t(locale, 'deal.name'), deal.name],
    [t(locale, 'deal.value'), deal.value === undefined ? undefined : formatAmount(deal.value, deal.currency, locale)],
    [t(locale, 'deal.purchaseDate'), deal.purchaseDate && formatCalendarDate(deal.purchaseDate, locale)],
    [t(locale, 'deal.notes'), deal.notes],
    [t(locale, 'deal.crmId'), deal.crmId],
    [t(locale, 'deal.campaignId'), deal.campaignId],
  ];
  return facts.flatMap(([title, value]) => (value ? [{ title, value }] : []));
}

const LAST_ACTION_KINDS = ['accept', 'decline', 'edit', 'addEmployee', 'removeEmployee', 'markWon', 'markLost', 'expire'] as const;
type LastActionKind = (typeof LAST_ACTION_KINDS)[number];
const isLastActionKind = (kind: string): kind is LastActionKind => (LAST_ACTION_KINDS as readonly string[]).includes(kind);

const OUTSIDE_KINDS = ['accept', 'decline', 'edit', 'addEmployee', 'markWon', 'markLost', 'expire'] as const;

/** "Accepted by Dana Admin · Nov 26, 2025, 10:02 AM UTC"; "Declined in Partner Center · …" for a change made in an outside system. */
function lastActionText(action: NonNullable<Lead['lastAction']>, zoned: Zoned, outside: OutsideView[]): string {
  const when = formatDateTime(action.at, zoned);
  const system = outsideActor(outside, action.by)?.system;
  if (system) {
    const kind = (OUTSIDE_KINDS as readonly string[]).includes(action.kind) ? (action.kind as (typeof OUTSIDE_KINDS)[number]) : 'edit';
    return t(zoned.locale, `lastAction.outside.${kind}`, { when, system });
  }
  const key = isLastActionKind(action.kind) ? (`lastAction.${action.kind}` as const) : 'lastAction.other';
  return t(zoned.locale, key, { name: action.by.name, when });
}

const CLOSING_ACTION: Record<Exclude<Outcome, 'Expired'>, LastActionKind> = { Won: 'markWon', Lost: 'markLost', Declined: 'decline' };
const OUTCOME_COLOR: Record<Outcome, string> = { Won: 'Good', Lost: 'Attention', Declined: 'Default', Expired: 'Warning' };

/** The outcome line of an archived lead: "Won by Dana on Nov 26, 2025", "Declined by … — reason: …", "Expired — …". */
function closedView(lead: Lead, zoned: Zoned, outside: OutsideView[]): LeadCardView['closed'] {
  const { outcome } = lead;
  if (lead.stage !== 'Archived' || !outcome) return null;
  const { locale } = zoned;
  if (outcome === 'Expired') return { text: t(locale, 'closed.Expired'), color: OUTCOME_COLOR.Expired, notes: null };

  const closing = lead.lastAction?.kind === CLOSING_ACTION[outcome] ? lead.lastAction : undefined;
  const system = closing && outsideActor(outside, closing.by)?.system;
  const line = !closing
    ? t(locale, `closed.${outcome}`)
    : system
      ? t(locale, `closed.${outcome}Outside`, { date: formatDay(closing.at, zoned), system })
      : t(locale, `closed.${outcome}By`, { name: closing.by.name, date: formatDay(closing.at, zoned) });
  const reason = lead.closeReason && outcome !== 'Won' ? reasonLabel(lead.closeReason.code, locale) : undefined;
  return {
    text: reason ? t(locale, 'closed.withReason', { outcome: line, reason }) : line,
    color: OUTCOME_COLOR[outcome],
    notes: lead.closeReason?.notes ? t(locale, 'closed.notes', { notes: lead.closeReason.notes }) : null,
  };
}
