import { FORM_INPUT_BY_ISSUE_PATH, FORM_MODES, renderLeadCard, type FormMode, type LeadCardOptions } from '../../cards';
import { toFieldIssues } from '../../services/errors';
import type { Lead } from '../../services/leads/lead';
import { leadCommandSchema, type LeadCommand } from '../../services/leads/leadCommands';
import { acceptedLead, NOW, receivedLead } from './fixtures';
import { elementAfterInput, seen } from './seen';

const LEAD_FOR: Record<FormMode, () => Lead> = {
  accept: receivedLead,
  decline: receivedLead,
  edit: acceptedLead,
  addEmployee: acceptedLead,
  confirmWon: acceptedLead,
  confirmLost: acceptedLead,
  assign: receivedLead,
};

const renderForm = (mode: FormMode, overrides: Partial<LeadCardOptions> = {}, lead = LEAD_FOR[mode]()) =>
  renderLeadCard(lead, { locale: 'en', now: NOW, flameWindowHours: 72, mode, ...overrides });

const inputIds = (mode: FormMode) => seen(renderForm(mode)).inputs.map((i) => i.id);

describe('each form has its inputs, a submit and a cancel', () => {
  test.each([
    ['accept', 'lead.accept', 'Accept lead', ['dealName', 'dealValue', 'currency', 'purchaseDate', 'notes', 'crmId', 'campaignId', 'contactName', 'contactEmail', 'contactPhone']],
    ['edit', 'lead.edit', 'Save', ['dealName', 'dealValue', 'currency', 'purchaseDate', 'notes', 'crmId', 'campaignId']],
    ['decline', 'lead.decline', 'Decline lead', ['reason', 'closeNotes']],
    ['addEmployee', 'lead.addEmployee', 'Add', ['employeeName', 'employeePhone', 'employeeEmail']],
    ['confirmWon', 'lead.won', 'Yes, mark as won', ['closeNotes']],
    ['confirmLost', 'lead.lost', 'Yes, mark as lost', ['reason', 'closeNotes']],
  ] as const)('%s → %s', (mode, verb, submitTitle, ids) => {
    const card = renderForm(mode);
    const lead = LEAD_FOR[mode]();
    expect(seen(card).inputs.map((i) => i.id)).toEqual(ids);
    expect(seen(card).actions).toEqual([
      { type: 'Action.Execute', title: submitTitle, verb, data: { leadId: lead.id, revision: lead.revision }, style: expect.any(String), associatedInputs: 'auto' },
      { type: 'Action.Execute', title: 'Cancel', verb: 'lead.open', data: { leadId: lead.id }, associatedInputs: 'none' },
    ]);
  });

  test.each(FORM_MODES)('every input of the %s form has a label; required ones say what is missing', (mode) => {
    for (const input of seen(renderForm(mode)).inputs) {
      expect(input.label?.trim()).toBeTruthy();
      if (input.isRequired) expect(input.errorMessage?.trim()).toBeTruthy();
    }
  });

  test.each(FORM_MODES)('the %s form replaces the lead details and the lifecycle buttons', (mode) => {
    const { all, actions } = seen(renderForm(mode));
    expect(all).not.toContain('Customer contacts');
    expect(actions.map((a) => a.verb)).not.toContain('lead.favorite');
  });
});

describe('prefills', () => {
  test("the Accept form starts from the lead's name and the sender's estimate", () => {
    const inputs = seen(renderForm('accept')).inputs;
    const value = (id: string) => inputs.find((i) => i.id === id)?.value;
    expect([value('dealName'), value('dealValue'), value('currency'), value('purchaseDate')]).toEqual(['Contoso cloud migration', 1234.5, 'EUR', '2026-03-31']);
  });

  test('without an estimate the currency is USD and the value is empty', () => {
    const inputs = seen(renderForm('accept', {}, receivedLead({ estimate: undefined }))).inputs;
    expect(inputs.find((i) => i.id === 'currency')?.value).toBe('USD');
    expect(inputs.find((i) => i.id === 'dealValue')).not.toHaveProperty('value');
  });

  test('the Edit form starts from the deal', () => {
    const inputs = seen(renderForm('edit')).inputs;
    expect(Object.fromEntries(inputs.map((i) => [i.id, i.value]))).toEqual({
      dealName: 'Contoso migration deal',
      dealValue: 1234.5,
      currency: 'EUR',
      purchaseDate: '2026-03-31',
      notes: 'Phase one covers the file servers',
      crmId: 'CRM-42',
      campaignId: 'CAMP-7',
    });
  });

  test('the Accept form says more people can be added later', () => {
    const { texts } = seen(renderForm('accept'));
    expect(texts).toEqual(expect.arrayContaining(['Additional contact from your company (optional)', 'You can add more people later with Add employees.']));
  });

  test('the confirmations warn that archiving cannot be undone', () => {
    expect(seen(renderForm('confirmWon')).texts).toContain('Mark Contoso migration deal as won? This archives the lead and cannot be undone.');
    expect(seen(renderForm('confirmLost')).texts).toContain('Mark Contoso migration deal as lost? This archives the lead and cannot be undone.');
  });

  test('the decline reasons are the localized Partner Center reasons', () => {
    const choices = (locale: 'en' | 'de') =>
      (seen(renderForm('decline', { locale })).inputs.find((i) => i.id === 'reason') as unknown as { choices: { title: string; value: string }[] }).choices;
    expect(choices('en')).toContainEqual({ title: 'Customer chose another vendor', value: 'otherVendor' });
    expect(choices('de')).toContainEqual({ title: 'Der Kunde hat einen anderen Anbieter gewählt', value: 'otherVendor' });
  });
});

describe('a form that comes back with errors', () => {
  const form = {
    values: { dealName: '', dealValue: '99', currency: 'GBP', purchaseDate: '2026-01-15', notes: 'Call on Monday', contactEmail: 'not-an-email' },
    errors: { dealName: 'Enter a deal name', contactEmail: 'Enter an e-mail address like dana@contoso.com' },
  };
  const card = renderForm('accept', { form });

  test('shows each message right under its input', () => {
    expect(elementAfterInput(card, 'dealName')).toMatchObject({ type: 'TextBlock', text: 'Enter a deal name', color: 'Attention' });
    expect(elementAfterInput(card, 'contactEmail')).toMatchObject({ type: 'TextBlock', text: 'Enter an e-mail address like dana@contoso.com' });
    expect(elementAfterInput(card, 'dealValue')).toBeUndefined();
  });

  test('says so at the top of the form', () => {
    const { texts } = seen(card);
    expect(texts.indexOf('Please correct the highlighted fields')).toBeLessThan(texts.indexOf('Enter a deal name'));
  });

  test('keeps what was entered, even an emptied field', () => {
    const value = (id: string) => seen(card).inputs.find((i) => i.id === id)?.value;
    expect(value('dealName')).toBeUndefined();
    expect([value('dealValue'), value('currency'), value('purchaseDate'), value('notes'), value('contactEmail')]).toEqual([
      99,
      'GBP',
      '2026-01-15',
      'Call on Monday',
      'not-an-email',
    ]);
  });

  test('a message for no input of this form still shows, at the top', () => {
    const withStray = renderForm('addEmployee', { form: { values: {}, errors: { employee: 'A deal can have at most 25 employees' } } });
    expect(seen(withStray).texts).toEqual(expect.arrayContaining(['Please correct the highlighted fields', 'A deal can have at most 25 employees']));
  });

  test('without errors there is no summary', () => {
    expect(seen(renderForm('accept')).all).not.toContain('Please correct');
  });
});

describe("the lifecycle's validation issues land on the form's inputs", () => {
  const issuePaths = (command: LeadCommand) => {
    const result = leadCommandSchema.safeParse(command);
    return result.success ? [] : toFieldIssues(result.error.issues).map((issue) => issue.path);
  };

  test.each([
    ['accept', { kind: 'accept', deal: { name: '', value: 'x', currency: '', purchaseDate: '' }, employees: [{ name: '', email: 'no' }] }],
    ['edit', { kind: 'edit', deal: { name: '', value: -1, currency: 'x', purchaseDate: 'soon', notes: 'n'.repeat(2001) } }],
    ['decline', { kind: 'decline', reason: 'others' }],
    ['addEmployee', { kind: 'addEmployee', employee: { name: '', phone: 'call me' } }],
  ] as [FormMode, LeadCommand][])('%s', (mode, command) => {
    const paths = issuePaths(command);
    expect(paths.length).toBeGreaterThan(0);
    for (const path of paths) expect({ path, input: inputIds(mode).includes(FORM_INPUT_BY_ISSUE_PATH[path] ?? path) }).toEqual({ path, input: true });
  });

  test('every mapped input exists on some form', () => {
    const all = new Set(FORM_MODES.flatMap(inputIds));
    for (const input of Object.values(FORM_INPUT_BY_ISSUE_PATH)) expect(all).toContain(input);
  });
});

test('a form the stage does not take falls back to the plain card', () => {
  const card = renderForm('accept', {}, acceptedLead());
  expect(seen(card).inputs).toEqual([]);
  expect(seen(card).actions.map((a) => a.title)).toEqual(['Take it', 'Assign…', 'Edit', 'Add employees', 'Won', 'Lost', '♡ Favorite']);
});

test('German forms', () => {
  const { inputs, actions } = seen(renderForm('decline', { locale: 'de' }));
  expect(inputs.map((i) => i.label)).toEqual(['Grund', 'Notizen (bei „Sonstiges“ erforderlich)']);
  expect(actions.map((a) => a.title)).toEqual(['Lead ablehnen', 'Abbrechen']);
});
