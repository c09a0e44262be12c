import { renderLeadCard, type LeadCardOptions } from '../../cards';
import type { Lead } from '../../services/leads/lead';
import { acceptedLead, archivedLead, DANA, hoursFromNow, NOW, receivedLead, ROBIN } from './fixtures';
import { withPartnerCenter } from '../../services/partnerCenter/referrals/referralState';
import { partnerCenterView } from '../../services/partnerCenter/referrals/referralView';
import { seen, titles, verbs } from './seen';

const options = (overrides: Partial<LeadCardOptions> = {}): LeadCardOptions => ({ locale: 'en', now: NOW, flameWindowHours: 72, ...overrides });
const render = (lead: Lead, overrides: Partial<LeadCardOptions> = {}) => renderLeadCard(lead, options(overrides));
const plain = (text: string) => text.replace(/[\u00a0\u202f]/g, ' ');

describe('the buttons follow the stage', () => {
  test('a received lead can be taken, assigned, accepted, declined or favorited', () => {
    const card = render(receivedLead());
    expect(titles(card)).toEqual(['Take it', 'Assign…', 'Accept', 'Decline', '♡ Favorite']);
    expect(verbs(card)).toEqual(['lead.take', 'lead.assignForm', 'lead.acceptForm', 'lead.declineForm', 'lead.favorite']);
  });

  test('an accepted lead can be taken, assigned, edited, staffed, won, lost or favorited', () => {
    const card = render(acceptedLead());
    expect(titles(card)).toEqual(['Take it', 'Assign…', 'Edit', 'Add employees', 'Won', 'Lost', '♡ Favorite']);
    expect(verbs(card)).toEqual(['lead.take', 'lead.assignForm', 'lead.editForm', 'lead.addEmployeeForm', 'lead.wonConfirm', 'lead.lostConfirm', 'lead.favorite']);
  });

  test.each(['Won', 'Lost', 'Declined', 'Expired'] as const)('an archived (%s) lead only has the favorite toggle', (outcome) => {
    expect(titles(render(archivedLead(outcome)))).toEqual(['♡ Favorite']);
  });

  test('every button carries the lead id and the revision it was shown at', () => {
    const lead = acceptedLead({ revision: 7 });
    for (const action of seen(render(lead)).actions) expect(action.data).toEqual({ leadId: lead.id, revision: 7 });
  });
});

describe('favorites are per viewer', () => {
  const lead = receivedLead({ favorites: [{ ...DANA, teamsUserId: '29:dana' }] });

  test('the viewer who favorited sees ♥ Favorited, which unfavorites', () => {
    const toggle = seen(render(lead, { viewer: { id: DANA.id } })).actions.at(-1);
    expect(toggle).toMatchObject({ title: '♥ Favorited', verb: 'lead.unfavorite' });
  });

  test('another viewer, or the shared card without a viewer, sees ♡ Favorite', () => {
    expect(titles(render(lead, { viewer: { id: ROBIN.id } }))).toContain('♡ Favorite');
    expect(titles(render(lead))).toContain('♡ Favorite');
  });
});

describe('the flame', () => {
  test('within the window the customer waits for a quick answer', () => {
    const { texts } = seen(render(receivedLead({ flame: true, receivedAt: hoursFromNow(-5) })));
    expect(texts).toContain('🔥 Customer asked to be contacted — respond quickly');
  });

  test('after the window it says how long the customer has been waiting', () => {
    const { texts } = seen(render(receivedLead({ flame: true, receivedAt: hoursFromNow(-(4 * 24 + 3)) })));
    expect(texts).toContain('⏳ Customer asked to be contacted 4 days ago — still waiting');
    expect(texts.join('\n')).not.toContain('🔥');
  });

  test('the window is configurable', () => {
    const { texts } = seen(render(receivedLead({ flame: true, receivedAt: hoursFromNow(-5) }), { flameWindowHours: 2 }));
    expect(texts).toContain('⏳ Customer asked to be contacted 5 hours ago — still waiting');
  });

  test('an archived lead shows no flame', () => {
    const { all } = seen(render(archivedLead('Won', { flame: true })));
    expect(all).not.toMatch(/🔥|⏳/);
  });
});

describe('what the card tells', () => {
  test('the lead, the customer, the need, the requirements and the deadline', () => {
    const { texts } = seen(render(receivedLead()));
    expect(texts).toEqual(
      expect.arrayContaining([
        'Customer inquiry',
        'Received',
        'Contoso cloud migration',
        'Contoso Ltd · 50-249 employees · Seattle, US',
        'Move 40 virtual machines to Azure before the end of March',
        'Azure, Migration',
        'Received: Nov 25, 2025, 10:00 AM UTC',
      ]),
    );
    expect(plain(texts.find((x) => x.startsWith('Respond by')) ?? '')).toBe('Respond by: Nov 29, 2025, 2:00 PM UTC (3 days left)');
  });

  test('customer contacts show only with their consent', () => {
    const consented = seen(render(receivedLead())).texts;
    expect(consented).toContain('Chris Customer · chris@contoso.com · +1 206 555 0100');

    const withheld = seen(render(receivedLead({ consent: { contact: false, shareWithOthers: false, shareWithMicrosoftSellers: false } })));
    expect(withheld.all).not.toMatch(/Chris Customer|chris@contoso\.com|555 0100/);
    expect(withheld.texts).toContain('The customer has not agreed to share contact details');
  });

  test('an accepted lead shows the deal, the team and who accepted it; no deadline', () => {
    const { texts } = seen(render(acceptedLead()));
    expect(texts).toEqual(
      expect.arrayContaining([
        'Accepted',
        'Deal name: Contoso migration deal',
        'Estimated value: €1,234.50',
        'Estimated purchase date: Mar 31, 2026',
        'Notes: Phase one covers the file servers',
        'CRM ID: CRM-42',
        'Marketing campaign ID: CAMP-7',
        'Sam Seller · sam@fabrikam.com',
      ]),
    );
    expect(texts.map(plain)).toContain('Accepted by Dana Admin · Nov 26, 2025, 10:02 AM UTC');
    expect(texts.join('\n')).not.toContain('Respond by');
  });

  test.each([
    ['Won', 'Archived · Won', '🏆 Won by Dana Admin on Nov 26, 2025'],
    ['Lost', 'Archived · Lost', 'Lost by Dana Admin on Nov 26, 2025 — reason: Project budget is not adequate'],
    ['Declined', 'Archived · Declined', 'Declined by Dana Admin on Nov 26, 2025 — reason: Customer chose another vendor'],
    ['Expired', 'Archived · Expired', 'Expired — not answered within the response time'],
  ] as const)('an archived lead (%s) says how it ended', (outcome, stage, line) => {
    const { texts } = seen(render(archivedLead(outcome)));
    expect(texts).toEqual(expect.arrayContaining([stage, line]));
  });

  test("a decline's notes show with its reason", () => {
    expect(seen(render(archivedLead('Declined'))).texts).toContain('Notes: They went with a local firm');
  });

  test('a notice shows first, above the lead', () => {
    const card = render(acceptedLead(), { notice: { text: 'Already accepted by Dana Admin at 10:02', tone: 'info' } });
    expect(seen(card).texts[0]).toBe('Already accepted by Dana Admin at 10:02');
  });
});

describe('in German', () => {
  test('buttons, stage, dates and amounts read German', () => {
    const received = seen(render(receivedLead(), { locale: 'de' }));
    expect(received.actions.map((a) => a.title)).toEqual(['Übernehmen', 'Zuweisen…', 'Annehmen', 'Ablehnen', '♡ Favorit']);
    expect(received.texts).toEqual(expect.arrayContaining(['Kundenanfrage', 'Eingegangen', 'Eingegangen: 25. Nov. 2025, 10:00 UTC']));
    expect(received.texts).toContain('Antworten bis: 29. Nov. 2025, 14:00 UTC (noch 3 Tage)');

    const accepted = seen(render(acceptedLead(), { locale: 'de' }));
    expect(accepted.texts.map(plain)).toEqual(
      expect.arrayContaining(['Geschätzter Wert: 1.234,50 €', 'Voraussichtliches Kaufdatum: 31. März 2026', 'Angenommen von Dana Admin · 26. Nov. 2025, 10:02 UTC']),
    );
  });

  test('an archived lead says how it ended, in German', () => {
    expect(seen(render(archivedLead('Declined'), { locale: 'de' })).texts).toContain(
      'Abgelehnt von Dana Admin am 26. Nov. 2025 – Grund: Der Kunde hat einen anderen Anbieter gewählt',
    );
  });
});

describe('refresh (Universal Actions user-specific views)', () => {
  test('with user ids the card asks their clients to refresh it', () => {
    const card = render(receivedLead(), { refreshUserIds: ['29:dana', '29:robin', '29:dana'] });
    expect(card.content.refresh).toEqual({
      action: { type: 'Action.Execute', verb: 'refresh', data: { leadId: 'lead-1' } },
      userIds: ['29:dana', '29:robin'],
    });
  });

  test('at most 60 user ids are used, as Teams allows', () => {
    const ids = Array.from({ length: 75 }, (_, i) => `29:user-${i}`);
    const refresh = render(receivedLead(), { refreshUserIds: ids }).content.refresh as { userIds: string[] };
    expect(refresh.userIds).toEqual(ids.slice(0, 60));
  });

  test('without user ids there is no refresh block', () => {
    expect(render(receivedLead()).content).not.toHaveProperty('refresh');
    expect(render(receivedLead(), { refreshUserIds: [] }).content).not.toHaveProperty('refresh');
  });
});

describe('the customer line', () => {
  it('says Partner Center size codes in words, in the reader’s language', () => {
    const lead = receivedLead({ customer: { name: 'Fabrikam', size: '50to1000employees', city: 'Munich', country: 'DE' } });
    expect(seen(renderLeadCard(lead, { locale: 'en', now: new Date(lead.receivedAt), flameWindowHours: 72 })).all).toContain('Fabrikam · 50–1,000 employees · Munich, DE');
    expect(seen(renderLeadCard(lead, { locale: 'de', now: new Date(lead.receivedAt), flameWindowHours: 72 })).all).toContain('50–1.000 Mitarbeitende');
  });
});

describe('Open in Partner Center', () => {
  const LEAD_URL = 'https://partner.microsoft.com/dashboard/referrals/v2/leads/{id}';
  const links = (card: ReturnType<typeof render>) =>
    JSON.stringify(card.content)
      .match(/\{"type":"Action.OpenUrl","title":"[^"]+","url":"[^"]+"\}/g)
      ?.map((json) => JSON.parse(json) as { title: string; url: string }) ?? [];

  test("a lead that came from Partner Center links to its referral's page in the portal, in the reader's language", () => {
    const lead = withPartnerCenter(receivedLead({ id: 'd3c4f1a2-0000-4000-8000-000000000001' }), { referralType: 'Independent' });
    expect(links(render(lead, { outside: [partnerCenterView(lead, true, LEAD_URL)] }))).toEqual([
      { type: 'Action.OpenUrl', title: 'Open in Partner Center', url: 'https://partner.microsoft.com/dashboard/referrals/v2/leads/d3c4f1a2-0000-4000-8000-000000000001' },
    ]);
    expect(links(render(lead, { locale: 'de', outside: [partnerCenterView(lead, true, LEAD_URL)] }))[0]?.title).toBe('In Partner Center öffnen');
  });

  test('a lead Partner Center never held has no link, and an open form shows none', () => {
    const typedHere = receivedLead();
    expect(links(render(typedHere, { outside: [partnerCenterView(typedHere, true, LEAD_URL)] }))).toEqual([]);
    const fromPartnerCenter = withPartnerCenter(receivedLead(), {});
    expect(links(render(fromPartnerCenter, { mode: 'accept', outside: [partnerCenterView(fromPartnerCenter, true, LEAD_URL)] }))).toEqual([]);
  });
});
