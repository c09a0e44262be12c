/** Maps card verbs and form inputs to lifecycle commands (the lifecycle validates the values). */
import { FORM_MODES, FORMS, type FormMode } from '../../cards';
import type { LeadCommand } from '../../services/leads/leadCommands';
import type { FormInputs } from '../activityParsers';

type VerbTarget = { mode?: FormMode; command: LeadCommand['kind'] };

// Maps, not objects: a verb such as "constructor" must not find Object.prototype's.
/** Buttons that open a form on the card, by verb. */
export const FORM_VERBS: ReadonlyMap<string, Required<VerbTarget>> = new Map(
  FORM_MODES.map((mode) => [FORMS[mode].open, { mode, command: FORMS[mode].command }]),
);

/** Buttons that change the lead, by verb, with the form to show again if the input is invalid. */
export const SUBMIT_VERBS: ReadonlyMap<string, VerbTarget> = new Map<string, VerbTarget>([
  ...FORM_MODES.map((mode) => [FORMS[mode].submit, { mode, command: FORMS[mode].command }] as const),
  ['lead.favorite', { command: 'favorite' }],
  ['lead.unfavorite', { command: 'unfavorite' }],
  ['lead.take', { command: 'take' }],
]);

const blankToUndefined = (value: string | undefined) => (value?.trim() ? value.trim() : undefined);

/** Who a picked owner is, as Teams knows them (the picker sends only their AAD object id). */
export interface PickedPerson {
  id: string;
  name: string;
  teamsUserId?: string;
  email?: string;
}

export function commandFromForm(
  kind: LeadCommand['kind'],
  inputs: FormInputs,
  revision: number | undefined,
  clicker: { teamsUserId: string; email?: string },
  picked?: PickedPerson,
): LeadCommand {
  const { teamsUserId } = clicker;
  const deal = {
    name: inputs.dealName ?? '',
    value: blankToUndefined(inputs.dealValue) as unknown as number,
    currency: inputs.currency ?? '',
    purchaseDate: inputs.purchaseDate ?? '',
    notes: inputs.notes,
    crmId: inputs.crmId,
    campaignId: inputs.campaignId,
  };
  switch (kind) {
    case 'accept': {
      const contact = [inputs.contactName, inputs.contactEmail, inputs.contactPhone].some(blankToUndefined)
        ? [{ name: inputs.contactName ?? '', email: inputs.contactEmail, phone: inputs.contactPhone }]
        : [];
      return { kind, deal, employees: contact };
    }
    case 'edit':
      return { kind, deal, expectedRevision: revision };
    case 'decline':
      return { kind, reason: (inputs.reason ?? '') as never, notes: inputs.closeNotes };
    case 'addEmployee':
      return { kind, employee: { name: inputs.employeeName ?? '', email: inputs.employeeEmail, phone: inputs.employeePhone } };
    case 'markWon':
      return { kind, notes: inputs.closeNotes };
    case 'markLost':
      return { kind, reason: (blankToUndefined(inputs.reason) as never) ?? undefined, notes: inputs.closeNotes };
    case 'favorite':
      return { kind, teamsUserId };
    case 'take':
      return { kind, teamsUserId, email: clicker.email };
    case 'assign':
      // No one picked (or no one known by that id): the lifecycle names the missing person.
      return { kind, owner: picked ?? { id: '', name: '' } };
    default:
      return { kind: 'unfavorite' };
  }
}

/** The values to show again in a form that came back with errors. */
export function formValues(inputs: FormInputs): Record<string, string> {
  return Object.fromEntries(Object.entries(inputs).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}
