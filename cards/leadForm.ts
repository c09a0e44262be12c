/**
 * The forms a lead card turns into for the person who clicked: which inputs each form has, what
 * they are prefilled with, and where a command's validation issues show.
 */
import { CLOSE_REASONS, type Deal, type Lead } from '../services/leads/lead';
import type { CommandKind } from '../services/leads/leadCommands';
import { executeAction, type ActionView } from './cardTemplate';
import { actionData, reasonLabel } from './leadText';
import { currencyName, t, type Locale, type StringKey } from './locale';

export const FORM_MODES = ['accept', 'decline', 'edit', 'addEmployee', 'confirmWon', 'confirmLost', 'assign'] as const;
export type FormMode = (typeof FORM_MODES)[number];

/** The card inputs' ids: the keys of the form values an Action.Execute brings back. */
export type FormInputId =
  | 'dealName'
  | 'dealValue'
  | 'currency'
  | 'purchaseDate'
  | 'notes'
  | 'crmId'
  | 'campaignId'
  | 'contactName'
  | 'contactEmail'
  | 'contactPhone'
  | 'reason'
  | 'closeNotes'
  | 'employeeName'
  | 'employeeEmail'
  | 'employeePhone'
  | 'ownerId';

/** Where a lead command's validation issue (its dotted path) shows on the card. */
export const FORM_INPUT_BY_ISSUE_PATH: Readonly<Record<string, FormInputId>> = {
  'deal.name': 'dealName',
  'deal.value': 'dealValue',
  'deal.currency': 'currency',
  'deal.purchaseDate': 'purchaseDate',
  'deal.notes': 'notes',
  'deal.crmId': 'crmId',
  'deal.campaignId': 'campaignId',
  'employees.0.name': 'contactName',
  'employees.0.email': 'contactEmail',
  'employees.0.phone': 'contactPhone',
  reason: 'reason',
  notes: 'closeNotes',
  'employee.name': 'employeeName',
  'employee.email': 'employeeEmail',
  'employee.phone': 'employeePhone',
  'owner.id': 'ownerId',
  'owner.name': 'ownerId',
  owner: 'ownerId',
};

export const CURRENCIES = ['USD', 'EUR', 'GBP', 'CHF', 'CAD', 'AUD', 'JPY', 'INR', 'BRL', 'SEK', 'NOK', 'DKK'] as const;

/** What the clicker entered and what was wrong with it, when a form comes back with errors. */
export interface FormState {
  values: Record<string, string>;
  /** Messages by input id; an id the form does not have shows at the top. */
  errors: Record<string, string>;
}

/** One row of a form as leadCard.json binds it; `null` parts are left out of the card. */
export interface FieldView {
  kind: 'text' | 'number' | 'date' | 'choice' | 'people' | 'heading' | 'hint';
  id: FormInputId | null;
  label: string;
  value: string | number | null;
  required: boolean;
  errorMessage: string | null;
  multiline: boolean;
  maxLength: number | null;
  style: 'Email' | 'Tel' | null;
  placeholder: string | null;
  choices: { title: string; value: string }[];
  /** For a people picker: the Teams dataset it searches (Teams clients only; `choices` is the static fallback). */
  dataset: string | null;
  error: string | null;
}

/** What a form may need besides the lead: for the people picker, whom to offer and where to search. */
export interface FormContext {
  /** The conversation's members, offered as a static list (clients without Teams' search show only these). */
  people?: { title: string; value: string }[];
  /** Search the conversation's members (a channel or group chat) or the whole organization (a personal chat). */
  peopleScope?: 'conversation' | 'organization';
}

/** Teams' people search: among the conversation's members, or across the organization. */
export const PEOPLE_DATASETS = {
  conversation: 'graph.microsoft.com/users?scope=currentContext',
  organization: 'graph.microsoft.com/users',
} as const;

export interface FormView {
  title: string;
  intro: string | null;
  summary: string | null;
  problems: { text: string }[];
  fields: FieldView[];
  actions: ActionView[];
}

type InputKind = 'text' | 'number' | 'date' | 'choice' | 'people';
interface InputSpec {
  kind: InputKind;
  id: FormInputId;
  label: string;
  prefill?: string | number;
  required?: string; // the message when empty
  multiline?: boolean;
  maxLength?: number;
  style?: 'Email' | 'Tel';
  placeholder?: string;
  choices?: { title: string; value: string }[];
  dataset?: string;
}
type RowSpec = InputSpec | { kind: 'heading' | 'hint'; label: string };

/**
 * Each form: the command it sends, the verb of the button that opens it and the verb of its
 * submit button. The one place the card verbs are defined; bot/ routes by this table.
 */
export const FORMS: Record<FormMode, { command: CommandKind; open: string; submit: string; style: 'positive' | 'destructive' }> = {
  accept: { command: 'accept', open: 'lead.acceptForm', submit: 'lead.accept', style: 'positive' },
  decline: { command: 'decline', open: 'lead.declineForm', submit: 'lead.decline', style: 'destructive' },
  edit: { command: 'edit', open: 'lead.editForm', submit: 'lead.edit', style: 'positive' },
  addEmployee: { command: 'addEmployee', open: 'lead.addEmployeeForm', submit: 'lead.addEmployee', style: 'positive' },
  confirmWon: { command: 'markWon', open: 'lead.wonConfirm', submit: 'lead.won', style: 'positive' },
  confirmLost: { command: 'markLost', open: 'lead.lostConfirm', submit: 'lead.lost', style: 'destructive' },
  assign: { command: 'assign', open: 'lead.assignForm', submit: 'lead.assign', style: 'positive' },
};

const INTRO: Partial<Record<FormMode, StringKey>> = {
  accept: 'form.accept.intro',
  decline: 'form.decline.intro',
  confirmWon: 'form.confirmWon.intro',
  confirmLost: 'form.confirmLost.intro',
  assign: 'form.assign.intro',
};

export function leadFormView(lead: Lead, mode: FormMode, locale: Locale, state?: FormState, context: FormContext = {}): FormView {
  const rows = ROWS[mode](lead, locale, context);
  const errors = state?.errors ?? {};
  const ids = new Set<string>(rows.flatMap((row) => ('id' in row ? [row.id] : [])));
  const problems = Object.entries(errors).filter(([id]) => !ids.has(id));
  const dealName = lead.deal?.name ?? lead.name;
  const { submit: verb, style } = FORMS[mode];
  const introKey = INTRO[mode];
  return {
    title: t(locale, `form.${mode}.title`),
    intro: introKey ? t(locale, introKey, { deal: dealName }) : null,
    summary: Object.keys(errors).length > 0 ? t(locale, 'form.errorSummary') : null,
    problems: problems.map(([, text]) => ({ text })),
    fields: rows.map((row) => fieldView(row, state)),
    actions: [
      executeAction(t(locale, `form.${mode}.submit`), verb, actionData(lead), { style, associatedInputs: 'auto' }),
      executeAction(t(locale, 'action.cancel'), 'lead.open', { leadId: lead.id }, { associatedInputs: 'none' }),
    ],
  };
}

function fieldView(row: RowSpec, state: FormState | undefined): FieldView {
  const base: FieldView = {
    kind: row.kind,
    id: null,
    label: row.label,
    value: null,
    required: false,
    errorMessage: null,
    multiline: false,
    maxLength: null,
    style: null,
    placeholder: null,
    choices: [],
    dataset: null,
    error: null,
  };
  if (!('id' in row)) return base;
  // What the clicker typed wins over the prefill, even when they emptied the field.
  const entered = state?.values[row.id];
  const value = entered ?? row.prefill;
  return {
    ...base,
    id: row.id,
    value: row.kind === 'number' ? toNumber(value) : value === undefined || value === '' ? null : String(value),
    required: row.required !== undefined,
    errorMessage: row.required ?? null,
    multiline: row.multiline ?? false,
    maxLength: row.maxLength ?? null,
    style: row.style ?? null,
    placeholder: row.placeholder ?? null,
    choices: row.choices ?? [],
    dataset: row.dataset ?? null,
    error: state?.errors[row.id] ?? null,
  };
}

function toNumber(value: string | number | undefined): number | null {
  if (value === undefined || value === '') return null;
  const number = Number(value);
  return Number.isFinite(number) ? number : null;
}

const optional = (label: string, locale: Locale) => t(locale, 'form.optional', { label });

function currencyChoices(current: string | undefined, locale: Locale) {
  const codes: string[] = [...CURRENCIES];
  if (current && !codes.includes(current)) codes.unshift(current);
  return codes.map((code) => ({ title: `${code} – ${currencyName(code, locale)}`, value: code }));
}

function dealRows(deal: Partial<Deal>, locale: Locale): RowSpec[] {
  const currency = deal.currency ?? 'USD';
  return [
    { kind: 'text', id: 'dealName', label: t(locale, 'deal.name'), prefill: deal.name, required: t(locale, 'form.required.dealName'), maxLength: 200 },
    { kind: 'number', id: 'dealValue', label: t(locale, 'deal.value'), prefill: deal.value, required: t(locale, 'form.required.dealValue') },
    {
      kind: 'choice',
      id: 'currency',
      label: t(locale, 'form.currency'),
      prefill: currency,
      required: t(locale, 'form.required.currency'),
      choices: currencyChoices(currency, locale),
    },
    { kind: 'date', id: 'purchaseDate', label: t(locale, 'deal.purchaseDate'), prefill: deal.purchaseDate, required: t(locale, 'form.required.purchaseDate') },
    { kind: 'text', id: 'notes', label: t(locale, 'deal.notes'), prefill: deal.notes, multiline: true, maxLength: 2000 },
    { kind: 'text', id: 'crmId', label: optional(t(locale, 'deal.crmId'), locale), prefill: deal.crmId, maxLength: 100 },
    { kind: 'text', id: 'campaignId', label: optional(t(locale, 'deal.campaignId'), locale), prefill: deal.campaignId, maxLength: 100 },
  ];
}

function reasonChoices(locale: Locale) {
  return CLOSE_REASONS.map((code) => ({ title: reasonLabel(code, locale), value: code }));
}

const closeNotes = (label: string): InputSpec => ({ kind: 'text', id: 'closeNotes', label, multiline: true, maxLength: 1000 });

/** The people picker's static list: the conversation's members, and the current owner (so the picker shows who it is now). */
function peopleChoices(lead: Lead, context: FormContext): { title: string; value: string }[] {
  const people = [...(context.people ?? [])];
  const owner = lead.owner;
  if (owner && !people.some((p) => p.value === owner.id)) people.unshift({ title: owner.name, value: owner.id });
  return people;
}

const ROWS: Record<FormMode, (lead: Lead, locale: Locale, context: FormContext) => RowSpec[]> = {
  accept: (lead, locale) => [
    ...dealRows({ name: lead.name, value: lead.estimate?.value, currency: lead.estimate?.currency, purchaseDate: lead.estimate?.closingDate }, locale),
    { kind: 'heading', label: t(locale, 'form.contactHeading') },
    { kind: 'text', id: 'contactName', label: t(locale, 'form.name'), maxLength: 100 },
    { kind: 'text', id: 'contactEmail', label: t(locale, 'form.email'), style: 'Email', maxLength: 254 },
    { kind: 'text', id: 'contactPhone', label: t(locale, 'form.phone'), style: 'Tel', maxLength: 40 },
    { kind: 'hint', label: t(locale, 'form.contactHint') },
  ],
  edit: (lead, locale) => dealRows(lead.deal ?? { name: lead.name }, locale),
  decline: (_lead, locale) => [
    {
      kind: 'choice',
      id: 'reason',
      label: t(locale, 'form.reason'),
      required: t(locale, 'form.required.reason'),
      placeholder: t(locale, 'form.reasonPlaceholder'),
      choices: reasonChoices(locale),
    },
    closeNotes(t(locale, 'form.closeNotesDecline')),
  ],
  addEmployee: (_lead, locale) => [
    { kind: 'text', id: 'employeeName', label: t(locale, 'form.name'), required: t(locale, 'form.required.name'), maxLength: 100 },
    { kind: 'text', id: 'employeePhone', label: t(locale, 'form.phone'), style: 'Tel', maxLength: 40 },
    { kind: 'text', id: 'employeeEmail', label: t(locale, 'form.email'), style: 'Email', maxLength: 254 },
    { kind: 'hint', label: t(locale, 'form.phoneOrEmailHint') },
  ],
  confirmWon: (_lead, locale) => [closeNotes(optional(t(locale, 'deal.notes'), locale))],
  confirmLost: (_lead, locale) => [
    {
      kind: 'choice',
      id: 'reason',
      label: optional(t(locale, 'form.reason'), locale),
      placeholder: t(locale, 'form.reasonPlaceholder'),
      choices: reasonChoices(locale),
    },
    closeNotes(optional(t(locale, 'deal.notes'), locale)),
  ],
  assign: (lead, locale, context) => [
    {
      kind: 'people',
      id: 'ownerId',
      label: t(locale, 'form.assign.person'),
      prefill: lead.owner?.id,
      required: t(locale, 'form.required.person'),
      placeholder: t(locale, 'form.assign.placeholder'),
      choices: peopleChoices(lead, context),
      dataset: PEOPLE_DATASETS[context.peopleScope ?? 'conversation'],
    },
    { kind: 'hint', label: t(locale, 'form.assign.hint') },
  ],
};
