/**
 * Universal Actions: one handler per card verb. Each parses the untrusted payload, calls one use
 * case and answers with the card the clicker should now see. The answer is always HTTP 200.
 */
import { FORM_INPUT_BY_ISSUE_PATH, formatDateTime, renderInsightsCard, renderLeadCard, renderLeadList, renderMyLeads, renderSearchList, renderSnoozedCard, t, type CardAttachment, type FormContext, type Locale } from '../cards';
import { snoozeChoices } from '../services/leads/leadTime';
import { roomsOfLead } from '../services/delivery/deliveryStore';
import type { ActResult } from '../services/useCases/actOnLead';
import type { Lead } from '../services/leads/lead';
import { ALLOWED, type Actor } from '../services/leads/leadLifecycle';
import type { LeadsApp } from '../services/app/leadsApp';
import { listLeads, myLeads, searchLeads } from '../services/useCases/readLeads';
import { readInsights } from '../services/useCases/readInsights';
import type { Period } from '../services/leads/leadStats';
import { formInputsSchema, insightsActionDataSchema, searchPageDataSchema, invokeValueSchema, leadActionDataSchema, listActionDataSchema, snoozeActionDataSchema } from './activityParsers';
import type { FormMode } from '../cards';
import type { Role } from '../services/storage/roleStore';
import type { Conversation } from '../services/storage/conversationStore';
import { saveSettings } from './settingsCommand';
import { commandFromForm, FORM_VERBS, formValues, SUBMIT_VERBS, type PickedPerson } from './formCommands';

export interface InvokeResponseBody {
  statusCode: number;
  type: 'application/vnd.microsoft.card.adaptive' | 'application/vnd.microsoft.activity.message' | 'application/vnd.microsoft.error';
  value: unknown;
}

export interface Clicker {
  actor: Extract<Actor, { kind: 'user' }>;
  role?: Role;
  teamsUserId: string;
  locale: Locale;
  timeZone?: string;
  /** The conversation the click or message came from, as it would be saved. */
  where: Omit<Conversation, 'key' | 'settings'>;
  /** The click came from a lead card a person shared (from search or a link): its answers stay shared copies. */
  onSharedCard?: boolean;
}

export interface CardActionDeps {
  app: LeadsApp;
  flameWindowHours: number;
  adminsConfigured: boolean;
}

/** The Partner Center sync is on: lead cards say whether their last change has reached it. */
const syncOn = (deps: Pick<CardActionDeps, 'app'>) => deps.app.partnerCenter !== undefined;

type Notice = { text: string; tone: 'info' | 'warning' | 'good' };

export const cardResponse = (card: CardAttachment): InvokeResponseBody => ({ statusCode: 200, type: 'application/vnd.microsoft.card.adaptive', value: card.content });
export const messageResponse = (text: string): InvokeResponseBody => ({ statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: text });
export const errorResponse = (statusCode: 400 | 500, code: string, message: string): InvokeResponseBody => ({
  statusCode,
  type: 'application/vnd.microsoft.error',
  value: { code, message },
});

export async function handleCardAction(invokeValue: unknown, from: Clicker, deps: CardActionDeps): Promise<InvokeResponseBody> {
  const parsed = invokeValueSchema.safeParse(invokeValue);
  if (!parsed.success) return errorResponse(400, 'BadRequest', 'This card action is not one Partner Leads knows.');
  const { verb, data } = parsed.data.action;
  // Untrusted like the rest of the payload; it decides only whose client refreshes the answer.
  const clicker: Clicker = { ...from, onSharedCard: data.shared === true };

  if (verb === 'list.page') return listPage(data, clicker, deps);
  if (verb === 'search.page') {
    const page = searchPageDataSchema.safeParse(data);
    if (!page.success) return errorResponse(400, 'BadRequest', 'This search page does not exist.');
    const card = await searchCard(page.data.query, clicker, deps, page.data.cursor, page.data.back);
    return typeof card === 'string' ? messageResponse(card) : cardResponse(card);
  }
  if (verb === 'lead.snooze') return snooze(data, clicker, deps);
  if (verb === 'settings.save') return cardResponse(await saveSettings(data, clicker, deps));
  if (verb === 'insights.show') {
    const period = insightsActionDataSchema.safeParse(data);
    if (!period.success) return errorResponse(400, 'BadRequest', 'Insights cover 7, 30 or 90 days.');
    return cardResponse(await insightsCard(period.data.period, clicker, deps));
  }

  const target = leadActionDataSchema.safeParse(data);
  if (!target.success) return errorResponse(400, 'BadRequest', 'This card action names no valid lead.');
  // A submit is about to change the lead: read it ready for that (no second read in `act`).
  const submit = SUBMIT_VERBS.get(verb);
  const stored = submit ? await deps.app.leads.getForChange(target.data.leadId) : await deps.app.leads.get(target.data.leadId);
  if (!stored) return messageResponse(t(clicker.locale, 'notice.notFound'));
  const lead = stored.lead;
  const show = (options: CardOptions = {}) => cardResponse(leadCard(lead, clicker, deps, options));

  if (verb === 'refresh' || verb === 'lead.open') return show();

  const form = FORM_VERBS.get(verb);
  if (form) {
    if (!clicker.actor.canManage) return show({ notice: forbidden(form.command, clicker.locale, deps) });
    if (!ALLOWED[lead.stage].has(form.command)) return show({ notice: alreadyChanged(lead, clicker) });
    return show({ mode: form.mode, formContext: form.mode === 'assign' ? await peoplePicker(clicker, deps) : undefined });
  }

  if (!submit) return errorResponse(400, 'BadRequest', 'This card action is not one Partner Leads knows.');
  const inputs = formInputsSchema.parse(data);
  const me = submit.command === 'take' ? await deps.app.members.find(clicker.where.conversationId, clicker.where, clicker.actor.id).catch(() => undefined) : undefined;
  if (submit.command === 'assign' && !clicker.actor.canManage) return show({ notice: forbidden('assign', clicker.locale, deps) });
  const picked = submit.command === 'assign' ? await pickedPerson(lead.id, inputs.ownerId, clicker, deps) : undefined;
  if (picked === 'not_member') {
    return show({ mode: 'assign', formContext: await peoplePicker(clicker, deps), form: { values: formValues(inputs), errors: { ownerId: t(clicker.locale, 'form.notMember') } } });
  }
  const command = commandFromForm(submit.command, inputs, target.data.revision, { teamsUserId: clicker.teamsUserId, email: me?.email }, picked);
  const result = await deps.app.act(lead.id, command, clicker.actor, stored);
  return answer(result, submit, inputs, clicker, deps, submit.mode === 'assign' ? () => peoplePicker(clicker, deps) : undefined);
}

/** The Assign form's people picker: the conversation's members as its static list; Teams' search among them (or, in a personal chat, the organization). */
async function peoplePicker(clicker: Clicker, deps: CardActionDeps): Promise<FormContext> {
  const members = await deps.app.members.list(clicker.where.conversationId, clicker.where);
  return {
    people: members.map((m) => ({ title: m.email ? `${m.name} (${m.email})` : m.name, value: m.aadObjectId })),
    peopleScope: clicker.where.scope === 'personal' ? 'organization' : 'conversation',
  };
}

const AAD_OBJECT_ID = /^[0-9a-z:-]{1,128}$/;

/** The person picked as owner, as Teams knows them; 'not_member' when Teams knows no one by that id here. */
async function pickedPerson(leadId: string, ownerId: string | undefined, clicker: Clicker, deps: CardActionDeps): Promise<PickedPerson | 'not_member' | undefined> {
  const id = ownerId?.trim().toLowerCase();
  if (!id) return undefined;
  // An AAD object id is a GUID; only its shape is checked here (Teams says who it is), as activities' ids are.
  if (!AAD_OBJECT_ID.test(id)) return 'not_member';
  if (id === clicker.actor.id) return { id, name: clicker.actor.name, teamsUserId: clicker.teamsUserId };
  const member = (await deps.app.members.find(clicker.where.conversationId, clicker.where, id)) ?? (await memberWhereLeadIs(leadId, id, deps));
  return member ? { id: member.aadObjectId, name: member.name, teamsUserId: member.teamsUserId, email: member.email } : 'not_member';
}

/** Someone picked from the organization (in a personal chat): found among the members of the rooms where the lead is posted. */
async function memberWhereLeadIs(leadId: string, id: string, deps: CardActionDeps) {
  const { deliveries, conversations, members } = deps.app;
  for (const room of await roomsOfLead(leadId, deliveries, conversations)) {
    const found = await members.find(room.conversationId, room, id);
    if (found) return found;
  }
  return undefined;
}

/** Puts off the clicker's reminders of a lead: a day, or until a day before it expires. */
async function snooze(data: Record<string, unknown>, clicker: Clicker, deps: CardActionDeps): Promise<InvokeResponseBody> {
  const parsed = snoozeActionDataSchema.safeParse(data);
  if (!parsed.success) return errorResponse(400, 'BadRequest', 'Snooze for a day or until a day before the lead expires.');
  const stored = await deps.app.leads.getForChange(parsed.data.leadId);
  if (!stored) return messageResponse(t(clicker.locale, 'notice.notFound'));
  const choice = snoozeChoices(stored.lead, deps.app.now())[parsed.data.until];
  if (!choice) {
    await deps.app.leads.dropHint(stored.lead.id, stored);
    return cardResponse(leadCard(stored.lead, clicker, deps, { notice: { tone: 'info', text: t(clicker.locale, 'snoozed.notAnyMore') } }));
  }
  const result = await deps.app.act(stored.lead.id, { kind: 'snooze', until: choice.toISOString() }, clicker.actor, stored);
  if (result.status === 'changed' || result.status === 'unchanged') return cardResponse(renderSnoozedCard(result.lead, choice, { locale: clicker.locale, timeZone: clicker.timeZone }));
  if (result.status === 'not_found') return messageResponse(t(clicker.locale, 'notice.notFound'));
  return cardResponse(leadCard(result.lead, clicker, deps, { notice: { tone: 'info', text: t(clicker.locale, 'snoozed.notAnyMore') } }));
}

async function answer(
  result: ActResult,
  submit: { mode?: FormMode; command: string },
  inputs: ReturnType<typeof formInputsSchema.parse>,
  clicker: Clicker,
  deps: CardActionDeps,
  /** What the form needs besides the lead, should it be shown again. */
  formContext?: () => Promise<FormContext>,
): Promise<InvokeResponseBody> {
  if (result.status === 'not_found') return messageResponse(t(clicker.locale, 'notice.notFound'));
  const card = (options: CardOptions = {}) => cardResponse(leadCard(result.lead, clicker, deps, options));
  switch (result.status) {
    case 'changed':
    case 'unchanged':
      return card();
    case 'conflict':
      return card({ notice: alreadyChanged(result.lead, clicker) });
  }
  const error = result.error;
  switch (error.code) {
    case 'forbidden':
      return card({ notice: forbidden(error.command, clicker.locale, deps) });
    case 'invalid_transition':
      return card({ notice: alreadyChanged(result.lead, clicker) });
    case 'taken': {
      const owner = error.lead.owner;
      const when = owner ? formatDateTime(owner.since, { locale: clicker.locale, timeZone: clicker.timeZone }) : '';
      return card({ notice: { tone: 'info', text: t(clicker.locale, 'notice.taken', { name: owner?.name ?? '', when }) } });
    }
    case 'stale':
      return card({
        mode: submit.mode,
        form: { values: formValues(inputs), errors: {} },
        notice: { tone: 'warning', text: changedMeanwhile(result.lead, clicker) },
      });
    case 'validation': {
      if (!submit.mode) return card({ notice: { tone: 'warning', text: error.issues.map((i) => i.message).join(' ') } });
      const errors: Record<string, string> = {};
      const unplaced: string[] = [];
      for (const issue of error.issues) {
        const input = FORM_INPUT_BY_ISSUE_PATH[issue.path];
        if (input && !errors[input]) errors[input] = issue.message;
        else if (!input) unplaced.push(issue.message);
      }
      return card({
        mode: submit.mode,
        formContext: await formContext?.(),
        form: { values: formValues(inputs), errors },
        notice: unplaced.length ? { tone: 'warning', text: unplaced.join(' ') } : undefined,
      });
    }
  }
}

interface CardOptions {
  mode?: FormMode;
  notice?: Notice;
  form?: { values: Record<string, string>; errors: Record<string, string> };
  formContext?: FormContext;
  /** A copy for everyone (no one's ♥): what a person inserts from search or a link. */
  forEveryone?: boolean;
}

/** The lead card as this person sees it: their ♡/♥, and the refresh that keeps it theirs. */
export function leadCard(lead: Lead, clicker: Clicker, deps: CardActionDeps, options: CardOptions): CardAttachment {
  return renderLeadCard(lead, {
    locale: clicker.locale,
    timeZone: clicker.timeZone,
    now: deps.app.now(),
    flameWindowHours: deps.flameWindowHours,
    partnerCenterSync: syncOn(deps),
    viewer: options.forEveryone ? undefined : { id: clicker.actor.id },
    refreshUserIds: refreshUserIds(lead),
    shared: clicker.onSharedCard,
    mode: options.mode ?? 'view',
    notice: options.notice,
    form: options.form,
    formContext: options.formContext,
  });
}

/** Teams user ids whose clients fetch their own view after a shared update (Teams allows 60). */
export function refreshUserIds(lead: Lead): string[] {
  return lead.favorites.flatMap((f) => (f.teamsUserId ? [f.teamsUserId] : [])).slice(0, 60);
}

function forbidden(command: string, locale: Locale, deps: CardActionDeps): Notice {
  const text = t(locale, `notice.forbidden.${command}` as never);
  return { tone: 'warning', text: deps.adminsConfigured ? text : `${text} ${t(locale, 'notice.noAdmins')}` };
}

function alreadyChanged(lead: Lead, clicker: Clicker): Notice {
  const last = lead.lastAction;
  if (!last) return { tone: 'info', text: t(clicker.locale, 'notice.changed') };
  const when = formatDateTime(last.at, { locale: clicker.locale, timeZone: clicker.timeZone });
  const key = `notice.already.${last.kind}` as never;
  return { tone: 'info', text: t(clicker.locale, key, { name: last.by.name, when }) };
}

function changedMeanwhile(lead: Lead, clicker: Clicker): string {
  const last = lead.lastAction;
  const when = last ? formatDateTime(last.at, { locale: clicker.locale, timeZone: clicker.timeZone }) : '';
  return t(clicker.locale, 'notice.stale', { name: last?.by.name ?? '', when });
}

async function listPage(data: Record<string, unknown>, clicker: Clicker, deps: CardActionDeps): Promise<InvokeResponseBody> {
  const parsed = listActionDataSchema.safeParse(data);
  if (!parsed.success) return errorResponse(400, 'BadRequest', 'This list does not exist.');
  return cardResponse(await listCard(parsed.data.view, clicker, deps, parsed.data.cursor, parsed.data.back));
}

/** One page of a list view as a card, with Previous / Next carrying the cursors. */
export async function listCard(
  view: ReturnType<typeof listActionDataSchema.parse>['view'],
  clicker: Pick<Clicker, 'actor' | 'locale' | 'timeZone'>,
  deps: Pick<CardActionDeps, 'app'>,
  cursor?: string,
  back: string[] = [],
): Promise<CardAttachment> {
  const paging = (next: string | undefined) => ({ ...pageLinks({ view }, cursor, back, next), locale: clicker.locale, now: deps.app.now(), timeZone: clicker.timeZone });
  if (view === 'mine') {
    const mine = await myLeads(deps.app.views, clicker.actor.id, cursor);
    return renderMyLeads({ owned: mine.owned.items, favorites: mine.favorites, moreFavorites: mine.moreFavorites, ...paging(mine.owned.next) });
  }
  const page = await listLeads(deps.app.views, view, { userId: clicker.actor.id, cursor });
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
  deps: Pick<CardActionDeps, 'app'>,
  cursor?: string,
  back: string[] = [],
): Promise<CardAttachment | string> {
  const found = await searchLeads(deps.app.views, query, { cursor });
  if (!found.ok) return t(clicker.locale, found.reason === 'empty' ? 'command.findUsage' : found.reason === 'tooLong' ? 'search.tooLong' : 'search.tooShort');
  return renderSearchList({
    // The words searched, not the text typed: nothing of it reads as markdown on the bot's card.
    shown: found.words.join(' '),
    rows: found.page.items,
    ...pageLinks({ query }, cursor, back, found.page.next),
    locale: clicker.locale,
    now: deps.app.now(),
    timeZone: clicker.timeZone,
  });
}

/** The insights of a period, as a card in the clicker's language. */
export async function insightsCard(period: Period, clicker: Pick<Clicker, 'locale'>, deps: Pick<CardActionDeps, 'app'>): Promise<CardAttachment> {
  const { insights } = await readInsights(period, { stats: deps.app.stats, now: deps.app.now });
  return renderInsightsCard(insights, { locale: clicker.locale });
}
