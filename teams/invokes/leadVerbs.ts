/** Card verbs on one lead: show it, open a form on it, submit a change (Accept, Decline, Take it, Assign…), snooze its reminders. */
import { FORM_INPUT_BY_ISSUE_PATH, formatDateTime, renderRestrictedCard, renderSnoozedCard, t, type FormContext, type FormMode } from '../../cards';
import type { ActResult, LeadRead } from '../../services/app/product';
import type { Lead } from '../../services/leads/lead';
import { ALLOWED } from '../../services/leads/leadLifecycle';
import { snoozeChoices } from '../../services/leads/leadTime';
import { formInputsSchema, leadActionDataSchema, snoozeActionDataSchema } from '../activityParsers';
import { readAs, refuse } from './access';
import { alreadyChanged, changedMeanwhile, forbidden, leadCard, peoplePicker, type CardDeps, type CardOptions } from './cardViews';
import { cardResponse, errorResponse, messageResponse, type InvokeResponseBody, type VerbHandler } from './cardVerbs';
import type { Clicker } from './clicker';
import { commandFromForm, FORM_VERBS, formValues, SUBMIT_VERBS, type PickedPerson } from './formCommands';

type Target = { leadId: string; revision?: number };

/**
 * The lead the data names, read (for a change: ready to be changed), or the answer when it cannot
 * be: not found, or not the clicker's to read here (the card says why, and shows nothing of it).
 */
async function leadOf(data: Record<string, unknown>, clicker: Clicker, deps: CardDeps, forChange: boolean): Promise<{ target: Target; read: LeadRead } | InvokeResponseBody> {
  const target = leadActionDataSchema.safeParse(data);
  if (!target.success) return errorResponse(400, 'BadRequest', 'This card action names no valid lead.');
  const read = await readChecked(target.data.leadId, clicker, deps, forChange);
  return 'statusCode' in read ? read : { target: target.data, read };
}

/**
 * The lead read, if this person may read it here; else the answer to give them. Someone without a
 * role is checked on a plain read first: a change is read for (which writes its hint) only once
 * they may see the lead.
 */
async function readChecked(leadId: string, clicker: Clicker, deps: CardDeps, forChange: boolean): Promise<LeadRead | InvokeResponseBody> {
  if (!forChange || !clicker.access.read) {
    const found = await readAs(leadId, clicker, deps);
    if (!found) return messageResponse(t(clicker.locale, 'notice.notFound'));
    if (!found.readable) {
      refuse(clicker, deps, `lead ${leadId}`, 'read');
      return cardResponse(renderRestrictedCard(leadId, { locale: clicker.locale, shared: clicker.onSharedCard, noAdmins: !deps.adminsConfigured }));
    }
    if (!forChange) return { lead: found.lead };
  }
  return (await deps.product.leads.readForChange(leadId)) ?? messageResponse(t(clicker.locale, 'notice.notFound'));
}

const isAnswer = (value: object): value is InvokeResponseBody => 'statusCode' in value;

/** refresh, lead.open: the lead as it is now. */
export const showLead: VerbHandler = async (data, clicker, deps) => {
  const found = await leadOf(data, clicker, deps, false);
  return isAnswer(found) ? found : cardResponse(leadCard(found.read.lead, clicker, deps, {}));
};

/** A button that opens a form on the card (Accept, Decline, Edit, Assign…), for those who may use it. */
export const openForm: VerbHandler = async (data, clicker, deps, verb) => {
  const found = await leadOf(data, clicker, deps, false);
  if (isAnswer(found)) return found;
  const { lead } = found.read;
  const form = FORM_VERBS.get(verb)!;
  const show = (options: CardOptions) => cardResponse(leadCard(lead, clicker, deps, options));
  if (!clicker.actor.canManage) return show({ notice: forbidden(form.command, clicker, deps) });
  if (!ALLOWED[lead.stage].has(form.command)) return show({ notice: alreadyChanged(lead, clicker) });
  return show({ mode: form.mode, formContext: form.mode === 'assign' ? await peoplePicker(clicker, deps, lead) : undefined });
};

/** A button or form that changes the lead. */
export const submit: VerbHandler = async (data, clicker, deps, verb) => {
  const found = await leadOf(data, clicker, deps, true);
  if (isAnswer(found)) return found;
  const { target, read } = found;
  const { product } = deps;
  const change = SUBMIT_VERBS.get(verb)!;
  const show = (options: CardOptions) => cardResponse(leadCard(read.lead, clicker, deps, options));
  const inputs = formInputsSchema.parse(data);
  const me = change.command === 'take' ? await product.people.find(clicker.where, clicker.actor.id).catch(() => undefined) : undefined;
  if (change.command === 'assign' && !clicker.actor.canManage) return show({ notice: forbidden('assign', clicker, deps) });
  const picked = change.command === 'assign' ? await pickedPerson(read.lead, inputs.ownerId, clicker, deps) : undefined;
  if (picked === 'not_member') {
    return show({ mode: 'assign', formContext: await peoplePicker(clicker, deps, read.lead), form: { values: formValues(inputs), errors: { ownerId: t(clicker.locale, 'form.notMember') } } });
  }
  const command = commandFromForm(change.command, inputs, target.revision, { teamsUserId: clicker.teamsUserId, email: me?.email }, picked);
  const result = await product.leads.act(read.lead.id, command, clicker.actor, read);
  return answer(result, change, inputs, clicker, deps, change.mode === 'assign' ? () => peoplePicker(clicker, deps, read.lead) : undefined);
};

/** Puts off the clicker's reminders of a lead: a day, or until a day before it expires. */
export const snooze: VerbHandler = async (data, clicker, deps) => {
  const parsed = snoozeActionDataSchema.safeParse(data);
  if (!parsed.success) return errorResponse(400, 'BadRequest', 'Snooze for a day or until a day before the lead expires.');
  const { leads } = deps.product;
  const read = await readChecked(parsed.data.leadId, clicker, deps, true);
  if ('statusCode' in read) return read;
  const notAnyMore = (lead: typeof read.lead) => cardResponse(leadCard(lead, clicker, deps, { notice: { tone: 'info', text: t(clicker.locale, 'snoozed.notAnyMore') } }));
  const choice = snoozeChoices(read.lead, deps.product.now())[parsed.data.until];
  if (!choice) {
    await leads.letGo(read);
    return notAnyMore(read.lead);
  }
  const result = await leads.act(read.lead.id, { kind: 'snooze', until: choice.toISOString() }, clicker.actor, read);
  if (result.status === 'changed' || result.status === 'unchanged') return cardResponse(renderSnoozedCard(result.lead, choice, { locale: clicker.locale, timeZone: clicker.timeZone }));
  if (result.status === 'not_found') return messageResponse(t(clicker.locale, 'notice.notFound'));
  return notAnyMore(result.lead);
};

const AAD_OBJECT_ID = /^[0-9a-z:-]{1,128}$/;

/** The person picked as owner, as Teams knows them; 'not_member' when Teams knows no one by that id here. */
async function pickedPerson(lead: Lead, ownerId: string | undefined, clicker: Clicker, deps: CardDeps): Promise<PickedPerson | 'not_member' | undefined> {
  const id = ownerId?.trim().toLowerCase();
  if (!id) return undefined;
  // An AAD object id is a GUID; only its shape is checked here (Teams says who it is), as activities' ids are.
  if (!AAD_OBJECT_ID.test(id)) return 'not_member';
  if (id === clicker.actor.id) return { id, name: clicker.actor.name, teamsUserId: clicker.teamsUserId };
  // The owner as the lead knows them (the picker offers them where the roster cannot be read).
  if (lead.owner && id === lead.owner.id) return { id, name: lead.owner.name, teamsUserId: lead.owner.teamsUserId, email: lead.owner.email };
  const { people } = deps.product;
  const member = (await people.find(clicker.where, id)) ?? (await people.whereLeadIs(lead.id, id));
  return member ? { id: member.aadObjectId, name: member.name, teamsUserId: member.teamsUserId, email: member.email } : 'not_member';
}

/** The card after a change: the lead as it is now, with a notice, or the form again with what is wrong. */
async function answer(
  result: ActResult,
  change: { mode?: FormMode; command: string },
  inputs: ReturnType<typeof formInputsSchema.parse>,
  clicker: Clicker,
  deps: CardDeps,
  /** What the form needs besides the lead, should it be shown again. */
  formContext?: () => Promise<FormContext>,
): Promise<InvokeResponseBody> {
  if (result.status === 'not_found') return messageResponse(t(clicker.locale, 'notice.notFound'));
  const card = (options: CardOptions = {}) => cardResponse(leadCard(result.lead, clicker, deps, options));
  if (result.status === 'changed' || result.status === 'unchanged') return card();
  if (result.status === 'conflict') return card({ notice: alreadyChanged(result.lead, clicker) });
  const error = result.error;
  switch (error.code) {
    case 'forbidden':
      return card({ notice: forbidden(error.command, clicker, deps) });
    case 'invalid_transition':
      return card({ notice: alreadyChanged(result.lead, clicker) });
    case 'taken': {
      const owner = error.lead.owner;
      const when = owner ? formatDateTime(owner.since, { locale: clicker.locale, timeZone: clicker.timeZone }) : '';
      return card({ notice: { tone: 'info', text: t(clicker.locale, 'notice.taken', { name: owner?.name ?? '', when }) } });
    }
    case 'stale':
      return card({ mode: change.mode, form: { values: formValues(inputs), errors: {} }, notice: { tone: 'warning', text: changedMeanwhile(result.lead, clicker) } });
    case 'validation': {
      if (!change.mode) return card({ notice: { tone: 'warning', text: error.issues.map((i) => i.message).join(' ') } });
      const errors: Record<string, string> = {};
      const unplaced: string[] = [];
      for (const issue of error.issues) {
        const input = FORM_INPUT_BY_ISSUE_PATH[issue.path];
        if (input && !errors[input]) errors[input] = issue.message;
        else if (!input) unplaced.push(issue.message);
      }
      return card({ mode: change.mode, formContext: await formContext?.(), form: { values: formValues(inputs), errors }, notice: unplaced.length ? { tone: 'warning', text: unplaced.join(' ') } : undefined });
    }
  }
}
