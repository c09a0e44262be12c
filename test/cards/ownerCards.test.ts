/** Who is on a lead, as cards show it: the owner line and its buttons, the people picker, reminders to a person, "my leads". */
import { renderLeadCard, renderMyLeads, renderReminderCard, renderSnoozedCard, type CardAttachment, type LeadCardOptions } from '../../cards';
import { summarize } from '../../services/leads/leadViews';
import { acceptedLead, archivedLead, DANA, hoursFromNow, NOW, ownedLead, receivedLead, SAM_ID } from './fixtures';
import { seen, titles } from './seen';

const render = (lead = receivedLead(), options: Partial<LeadCardOptions> = {}) => renderLeadCard(lead, { locale: 'en', now: NOW, flameWindowHours: 72, ...options });
const mentionsOf = (card: CardAttachment) => (card.content.msteams as { entities?: unknown[] } | undefined)?.entities ?? [];
const picker = (card: CardAttachment) => seen(card).inputs.find((i) => i.id === 'ownerId') as Record<string, any> | undefined;

describe('the owner on the card', () => {
  test('a lead nobody owns says so, and offers Take it and Assign…', () => {
    const card = render();
    expect(seen(card).texts).toContain('No owner yet');
    expect(seen(card).actions.slice(0, 2).map((a) => [a.title, a.verb, a.data])).toEqual([
      ['Take it', 'lead.take', { leadId: 'lead-1', revision: 1 }],
      ['Assign…', 'lead.assignForm', { leadId: 'lead-1', revision: 1 }],
    ]);
  });

  test('an assigned lead names its owner, who assigned them and when, and offers Reassign… instead of Take it', () => {
    const card = render(ownedLead());
    expect(seen(card).texts).toContain('Owner: Sam Lee · assigned by Dana Admin · Nov 26, 2025, 10:02 AM UTC');
    expect(titles(card)).not.toContain('Take it');
    expect(titles(card).slice(0, 1)).toEqual(['Reassign…']);
  });

  test('someone who took a lead themselves is its owner "since"', () => {
    const lead = ownedLead({ owner: { id: SAM_ID, name: 'Sam Lee', since: '2025-11-26T10:02:00Z', by: { id: SAM_ID, name: 'Sam Lee' } } });
    expect(seen(render(lead)).texts).toContain('Owner: Sam Lee · since Nov 26, 2025, 10:02 AM UTC');
  });

  test('an archived lead keeps its owner line, without owner buttons; one that never had an owner shows none', () => {
    const owner = { id: SAM_ID, name: 'Sam Lee', since: '2025-11-26T10:02:00Z', by: DANA };
    const won = render(archivedLead('Won', { owner }));
    expect(seen(won).texts).toContain('Owner: Sam Lee · assigned by Dana Admin · Nov 26, 2025, 10:02 AM UTC');
    expect(titles(won)).toEqual(['♡ Favorite']);
    expect(seen(render(archivedLead('Declined'))).all).not.toContain('No owner yet');
  });

  test('in German', () => {
    const card = render(ownedLead(), { locale: 'de' });
    expect(seen(card).texts).toContain('Zuständig: Sam Lee · zugewiesen von Dana Admin · 26. Nov. 2025, 10:02 UTC');
    expect(titles(render(receivedLead(), { locale: 'de' })).slice(0, 2)).toEqual(['Übernehmen', 'Zuweisen…']);
  });
});

describe('the people picker (Assign…)', () => {
  const people = [
    { title: 'Sam Lee (sam@partner.example)', value: SAM_ID },
    { title: 'Dana Admin', value: DANA.id },
  ];

  test("searches the conversation's members through Teams, with its members as the static list, labelled and required", () => {
    const card = render(receivedLead(), { mode: 'assign', formContext: { people, peopleScope: 'conversation' } });
    const input = picker(card);
    expect(seen(card).inputs).toHaveLength(1);
    expect(input).toMatchObject({ type: 'Input.ChoiceSet', label: 'Owner', isRequired: true, errorMessage: 'Choose a person', placeholder: 'Search for a person' });
    expect(input?.['choices.data']).toEqual({ type: 'Data.Query', dataset: 'graph.microsoft.com/users?scope=currentContext' });
    expect(input?.choices).toEqual(people);
    expect(titles(card)).toEqual(['Assign', 'Cancel']);
    expect(seen(card).actions.find((a) => a.title === 'Assign')).toMatchObject({ verb: 'lead.assign', associatedInputs: 'auto' });
  });

  test('in a personal chat it searches the organization', () => {
    const input = picker(render(receivedLead(), { mode: 'assign', formContext: { people, peopleScope: 'organization' } }));
    expect(input?.['choices.data']).toEqual({ type: 'Data.Query', dataset: 'graph.microsoft.com/users' });
  });

  test('reassigning starts from the current owner, offered even when Teams did not list them', () => {
    const input = picker(render(ownedLead(), { mode: 'assign', formContext: { people: [people[1]!] } }));
    expect(input?.value).toBe(SAM_ID);
    expect(input?.choices).toEqual([{ title: 'Sam Lee', value: SAM_ID }, people[1]]);
  });

  test('shows a problem with the pick under the picker', () => {
    const card = render(receivedLead(), { mode: 'assign', formContext: { people }, form: { values: { ownerId: SAM_ID }, errors: { ownerId: 'That person is not in this conversation. Choose someone who is.' } } });
    expect(seen(card).texts).toContain('That person is not in this conversation. Choose someone who is.');
  });

  test('in German', () => {
    const card = render(receivedLead(), { locale: 'de', mode: 'assign', formContext: { people } });
    expect(picker(card)).toMatchObject({ label: 'Zuständig', errorMessage: 'Wählen Sie eine Person' });
    expect(titles(card)).toEqual(['Zuweisen', 'Abbrechen']);
  });
});

describe('reminders to a person', () => {
  test('a personal reminder offers Snooze for a day and until a day before the deadline, then Open', () => {
    const card = renderReminderCard(receivedLead({ expiresAt: hoursFromNow(72) }), { locale: 'en', now: NOW, personal: true });
    expect(seen(card).actions.map((a) => [a.title, a.verb, a.data])).toEqual([
      ['Accept', 'lead.acceptForm', { leadId: 'lead-1', revision: 1 }],
      ['Decline', 'lead.declineForm', { leadId: 'lead-1', revision: 1 }],
      ['Snooze 1 day', 'lead.snooze', { leadId: 'lead-1', until: 'day' }],
      ['Snooze until Nov 28, 2025, 10:00 AM UTC', 'lead.snooze', { leadId: 'lead-1', until: 'beforeExpiry' }],
      ['Open', 'lead.open', { leadId: 'lead-1', revision: 1 }],
    ]);
  });

  test('close to the deadline only the choices still ahead are offered', () => {
    const titlesAt = (hoursLeft: number) => titles(renderReminderCard(receivedLead({ expiresAt: hoursFromNow(hoursLeft) }), { locale: 'en', now: NOW, personal: true })).filter((t) => t.startsWith('Snooze'));
    expect(titlesAt(30)).toEqual(['Snooze until Nov 26, 2025, 4:00 PM UTC']);
    expect(titlesAt(24)).toEqual([]);
  });

  test("a room's reminder has no Snooze: nobody's own", () => {
    expect(titles(renderReminderCard(receivedLead(), { locale: 'en', now: NOW }))).toEqual(['Accept', 'Decline', 'Open']);
  });

  test('the owner reached in a channel is @mentioned (a Teams mention entity for the <at> text)', () => {
    const card = renderReminderCard(ownedLead(), { locale: 'en', now: NOW, mention: { teamsUserId: '29:sam', name: 'Sam Lee' } });
    expect(seen(card).texts).toContain('<at>Sam Lee</at>, this lead is yours.');
    expect(mentionsOf(card)).toEqual([{ type: 'mention', text: '<at>Sam Lee</at>', mentioned: { id: '29:sam', name: 'Sam Lee' } }]);
  });

  test('a snoozed reminder says when it comes back', () => {
    const card = renderSnoozedCard(receivedLead(), new Date('2025-11-27T10:00:00Z'), { locale: 'de' });
    expect(seen(card).texts).toEqual(['⏰ Contoso cloud migration: Erinnerung verschoben', 'Ich erinnere Sie wieder am 27. Nov. 2025, 10:00 UTC.']);
  });

  test('a new lead names the people who asked to hear of its kind, with mention entities', () => {
    const card = render(receivedLead(), { mentions: [{ teamsUserId: '29:sam', name: 'Sam Lee' }, { teamsUserId: '29:kim', name: 'Kim Ito' }] });
    expect(seen(card).texts).toContain('🔔 <at>Sam Lee</at>, <at>Kim Ito</at>');
    expect(mentionsOf(card)).toHaveLength(2);
    expect(card.content.msteams).toMatchObject({ width: 'Full' });
  });
});

describe('my leads', () => {
  test('waiting leads I own, accepted ones with their value, then my favorites; each with Open', () => {
    const waiting = summarize(ownedLead({ id: 'lead-9', name: 'Northwind rollout' }));
    const accepted = summarize(acceptedLead({ id: 'lead-8', owner: { id: SAM_ID, name: 'Sam Lee', since: '2025-11-26T10:02:00Z', by: DANA } }));
    const favorite = summarize(receivedLead({ id: 'lead-7', name: 'Fabrikam analytics' }));
    const card = renderMyLeads({ owned: [waiting, accepted], favorites: [favorite], moreFavorites: true, pageNumber: 1, next: { view: 'mine', cursor: 'x' }, locale: 'en', now: NOW });
    const { texts, actions } = seen(card);
    expect(texts.filter((t) => ['My leads', 'Need an answer', 'Accepted', 'My favorites', 'Northwind rollout', 'Fabrikam analytics'].includes(t) || t.startsWith('Accepted ·'))).toEqual([
      'My leads',
      'Need an answer',
      'Northwind rollout',
      'Accepted',
      'Accepted · €1,234.50',
      'My favorites',
      'Fabrikam analytics',
    ]);
    expect(actions.map((a) => a.title)).toEqual(['Open', 'Open', 'Open', 'Next', 'Favorites', 'Leads without an owner']);
    expect(actions.filter((a) => a.title === 'Open').map((a) => (a.data as { leadId: string }).leadId)).toEqual(['lead-9', 'lead-8', 'lead-7']);
  });

  test('with nothing to show, says how to get leads', () => {
    const card = renderMyLeads({ owned: [], favorites: [], moreFavorites: false, pageNumber: 1, locale: 'de', now: NOW });
    expect(seen(card).texts).toEqual(['Meine Leads', 'Sie sind für keinen offenen Lead zuständig und haben keine Favoriten. Wählen Sie Übernehmen auf einem Lead.']);
  });
});
