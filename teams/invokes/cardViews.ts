/** The cards the Teams edge answers with: a lead as this person sees it, a page of a list, a search, insights. */
import { formatDateTime, renderInsightsCard, renderLeadCard, renderLeadList, renderMyLeads, renderSearchList, t, type CardAttachment, type FormContext, type FormMode } from '../../cards';
import type { Product } from '../../services/app/product';
import type { Logger } from '../../services/logger';
import type { Lead } from '../../services/leads/lead';
import type { Period } from '../../services/leads/leadStats';
import type { listActionDataSchema } from '../activityParsers';
import { logRefusal, withHowToBegin } from './access';
import type { Clicker } from './clicker';

export interface CardDeps {
  product: Product;
  flameWindowHours: number;
  adminsConfigured: boolean;
  log: Logger;
}

export type Notice = { text: string; tone: 'info' | 'warning' | 'good' };

export interface CardOptions {
  mode?: FormMode;
  notice?: Notice;
  form?: { values: Record<string, string>; errors: Record<string, string> };
  formContext?: FormContext;
  /** A copy for everyone (no one's ♥): what a person inserts from search or a link. */
  forEveryone?: boolean;
}

/** The lead card as this person sees it: their ♡/♥, and the refresh that keeps it theirs. */
export function leadCard(lead: Lead, clicker: Clicker, deps: CardDeps, options: CardOptions): CardAttachment {
  return renderLeadCard(lead, {
    locale: clicker.locale,
    timeZone: clicker.timeZone,
    now: deps.product.now(),
    flameWindowHours: deps.flameWindowHours,
    outside: deps.product.leads.outside(lead),
    viewer: options.forEveryone ? undefined : { id: clicker.actor.id },
    // A shared copy refreshes for everyone in a chat (no userIds); in a channel, which may be larger than
    // Teams' 60, for those known to look: the owner, favoriters, and who shared (or clicked) it.
    refreshUserIds: !clicker.onSharedCard ? refreshUserIds(lead) : clicker.where.scope === 'channel' ? refreshUserIds(lead, [clicker.teamsUserId]) : [],
    shared: clicker.onSharedCard,
    mode: options.mode ?? 'view',
    notice: options.notice,
    form: options.form,
    formContext: options.formContext,
  });
}

/** Teams user ids whose clients fetch their own view after a shared update (Teams allows 60): the owner, favoriters, and `also`. */
export function refreshUserIds(lead: Lead, also: (string | undefined)[] = []): string[] {
  const ids = [lead.owner?.teamsUserId, ...lead.favorites.map((f) => f.teamsUserId), ...also];
  return [...new Set(ids.filter((id): id is string => Boolean(id)))].slice(0, 60);
}

/** Why this person may not make this change (logged as a refusal). */
export function forbidden(command: string, clicker: Pick<Clicker, 'access' | 'actor' | 'locale'>, deps: Pick<CardDeps, 'adminsConfigured' | 'log'>): Notice {
  logRefusal(clicker, deps, command, 'change');
  const { locale } = clicker;
  return { tone: 'warning', text: withHowToBegin(t(locale, `notice.forbidden.${command}` as never), locale, deps) };
}

/**
 * The people picker (Assign, roles' Add…): the conversation's members as its static list; Teams'
 * search among them (or, in a personal chat, the organization). Where the bot cannot read the
 * roster, the list still offers the clicker and the lead's owner.
 */
export async function peoplePicker(clicker: Clicker, deps: CardDeps, lead?: Lead): Promise<FormContext> {
  const members = await deps.product.people.list(clicker.where);
  const known = members.length > 0 ? members.map((m) => ({ title: m.email ? `${m.name} (${m.email})` : m.name, value: m.aadObjectId })) : fallbackPeople(clicker, lead);
  return { people: known, peopleScope: clicker.where.scope === 'personal' ? 'organization' : 'conversation' };
}

/** Whom the picker can always offer: the clicker (when Teams named them by AAD id) and the lead's owner. */
function fallbackPeople(clicker: Clicker, lead: Lead | undefined): { title: string; value: string }[] {
  const people = [
    ...(clicker.actor.id.startsWith('teams:') ? [] : [{ title: clicker.actor.name, value: clicker.actor.id }]),
    ...(lead?.owner ? [{ title: lead.owner.email ? `${lead.owner.name} (${lead.owner.email})` : lead.owner.name, value: lead.owner.id }] : []),
  ];
  return people.filter((person, i) => people.findIndex((p) => p.value === person.value) === i);
}

/** Someone else moved the lead first: who, and when. */
export function alreadyChanged(lead: Lead, clicker: Pick<Clicker, 'locale' | 'timeZone'>): Notice {
  const last = lead.lastAction;
  if (!last) return { tone: 'info', text: t(clicker.locale, 'notice.changed') };
  const when = formatDateTime(last.at, { locale: clicker.locale, timeZone: clicker.timeZone });
  const key = `notice.already.${last.kind}` as never;
  return { tone: 'info', text: t(clicker.locale, key, { name: last.by.name, when }) };
}

export function changedMeanwhile(lead: Lead, clicker: Pick<Clicker, 'locale' | 'timeZone'>): string {
  const last = lead.lastAction;
  const when = last ? formatDateTime(last.at, { locale: clicker.locale, timeZone: clicker.timeZone }) : '';
  return t(clicker.locale, 'notice.stale', { name: last?.by.name ?? '', when });
}

/** One page of a list view as a card, with Previous / Next carrying the cursors. */
export async function listCard(
  view: ReturnType<typeof listActionDataSchema.parse>['view'],
  clicker: Pick<Clicker, 'actor' | 'locale' | 'timeZone'>,
  deps: Pick<CardDeps, 'product'>,
  cursor?: string,
  back: string[] = [],
): Promise<CardAttachment> {
  const { product } = deps;
  const paging = (next: string | undefined) => ({ ...pageLinks({ view }, cursor, back, next), locale: clicker.locale, now: product.now(), timeZone: clicker.timeZone });
  if (view === 'mine') {
    const mine = await product.lists.mine(clicker.actor.id, cursor);
    return renderMyLeads({ owned: mine.owned.items, favorites: mine.favorites, moreFavorites: mine.moreFavorites, ...paging(mine.owned.next) });
  }
  const page = await product.lists.page(view, { userId: clicker.actor.id, cursor });
  return renderLeadList({ view, rows: page.items, ...paging(page.next) });
}

/**
 * A page's number and the data of its Previous / Next buttons: what the list is (`target`), the
 * cursor of the page to open, and the cursors of the pages before it (for Previous).
 */
function pageLinks(target: object, cursor: string | undefined, back: string[], next: string | undefined) {
  return {
    pageNumber: back.length + 1,
    next: next ? { ...target, cursor: next, back: [...back, cursor ?? ''] } : undefined,
    previous: back.length ? { ...target, cursor: back[back.length - 1] || undefined, back: back.slice(0, -1) } : undefined,
  };
}

/** A page of what `find` finds, with Previous / Next; the reason as text when the query cannot be searched. */
export async function searchCard(
  query: string,
  clicker: Pick<Clicker, 'locale' | 'timeZone'>,
  deps: Pick<CardDeps, 'product'>,
  cursor?: string,
  back: string[] = [],
): Promise<CardAttachment | string> {
  const found = await deps.product.lists.search(query, { cursor });
  if (!found.ok) return t(clicker.locale, found.reason === 'empty' ? 'command.findUsage' : found.reason === 'tooLong' ? 'search.tooLong' : 'search.tooShort');
  return renderSearchList({
    // The words searched, not the text typed: nothing of it reads as markdown on the bot's card.
    shown: found.words.join(' '),
    rows: found.page.items,
    ...pageLinks({ query }, cursor, back, found.page.next),
    locale: clicker.locale,
    now: deps.product.now(),
    timeZone: clicker.timeZone,
  });
}

/** The insights of a period, as a card in the clicker's language. */
export async function insightsCard(period: Period, clicker: Pick<Clicker, 'locale'>, deps: Pick<CardDeps, 'product'>): Promise<CardAttachment> {
  return renderInsightsCard(await deps.product.lists.insights(period), { locale: clicker.locale });
}
