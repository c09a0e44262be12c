import {
  renderDigestCard,
  renderFlameAlertCard,
  renderHelpCard,
  renderLeadCard,
  renderLeadList,
  renderMessageCard,
  renderOverruledCard,
  renderReminderCard,
  renderAssignedCard,
  renderRestrictedCard,
  renderRolesCard,
  renderSyncHealthCard,
  renderSyncStatusCard,
  renderWelcomeCard,
} from '../../cards';
import { summarize, VIEWS } from '../../services/leads/leadViews';
import { acceptedLead, archivedLead, DANA, declinedInPartnerCenter, hoursFromNow, NOW, ownedLead, receivedLead, SAM_ID, syncedLead, partnerCenterOutside } from './fixtures';
import { seen } from './seen';

describe('lead lists', () => {
  const rows = [
    summarize(receivedLead({ id: 'lead-3', name: 'Fabrikam analytics', flame: true, customer: { name: 'Fabrikam' } })),
    summarize(ownedLead({ id: 'lead-2', expiresAt: hoursFromNow(5) })),
    summarize(acceptedLead({ id: 'lead-1', type: 'salesQualified' })),
  ];

  test('each row: name (🔥 when flamed), customer, type, owner, time left or stage (with the deal value), and Open', () => {
    const card = renderLeadList({ view: 'marketplace', rows, pageNumber: 1, locale: 'en', now: NOW });
    const { texts, actions } = seen(card);
    expect(texts).toEqual([
      'Marketplace leads',
      '🔥 Fabrikam analytics',
      'Fabrikam · Customer inquiry · Nov 25, 2025 · No owner yet',
      '3 days 4 hours left',
      'Contoso cloud migration',
      'Contoso Ltd · Customer inquiry · Nov 25, 2025 · 👤 Sam Lee',
      '5 hours left',
      'Contoso cloud migration',
      'Contoso Ltd · Sales qualified · Nov 25, 2025',
      'Accepted · €1,234.50',
    ]);
    expect(actions.map((a) => [a.title, a.verb, a.data])).toEqual([
      ['Open', 'lead.open', { leadId: 'lead-3' }],
      ['Open', 'lead.open', { leadId: 'lead-2' }],
      ['Open', 'lead.open', { leadId: 'lead-1' }],
    ]);
  });

  test('archived rows show the outcome, and no flame', () => {
    const card = renderLeadList({ view: 'archived', rows: [summarize(archivedLead('Won', { flame: true }))], pageNumber: 1, locale: 'en', now: NOW });
    expect(seen(card).texts).toEqual(['Archived', 'Contoso cloud migration', 'Contoso Ltd · Customer inquiry · Nov 25, 2025', 'Archived · Won']);
  });

  test('Previous and Next appear only when given, and carry their data', () => {
    const next = { view: 'qualified', cursor: 'c2', back: [''] };
    const previous = { view: 'qualified', back: [] };
    const middle = seen(renderLeadList({ view: 'qualified', rows, pageNumber: 2, next, previous, locale: 'en', now: NOW }));
    expect(middle.actions.slice(-2)).toEqual([
      { type: 'Action.Execute', title: 'Previous', verb: 'list.page', data: previous },
      { type: 'Action.Execute', title: 'Next', verb: 'list.page', data: next },
    ]);
    expect(middle.texts).toContain('Page 2');

    const only = seen(renderLeadList({ view: 'qualified', rows, pageNumber: 1, locale: 'en', now: NOW }));
    expect(only.actions.map((a) => a.verb)).not.toContain('list.page');
    expect(only.all).not.toContain('Page');
  });

  test.each(VIEWS)('an empty %s list says so in a friendly way', (view) => {
    const { texts, actions } = seen(renderLeadList({ view, rows: [], pageNumber: 1, locale: 'en', now: NOW }));
    expect(texts).toHaveLength(2);
    expect(texts[1]).toMatch(/^(No|You have no) /);
    expect(actions).toEqual([]);
  });

  test('in German', () => {
    const { texts, actions } = seen(renderLeadList({ view: 'qualified', rows: rows.slice(1, 2), pageNumber: 1, locale: 'de', now: NOW }));
    expect(texts).toEqual(['Qualifizierte Leads', 'Contoso cloud migration', 'Contoso Ltd · Kundenanfrage · 25. Nov. 2025 · 👤 Sam Lee', 'noch 5 Std.']);
    expect(actions.map((a) => a.title)).toEqual(['Öffnen']);
  });
});

describe('welcome and help', () => {
  const COMMANDS = ['help', 'marketplace', 'qualified', 'favorites', 'archived', 'lead ‹id›', 'subscribe', 'unsubscribe', 'roles', 'grant', 'revoke ‹aadObjectId›'];

  test('the welcome card explains the bot, lists every command and how roles work', () => {
    const { all, texts } = seen(renderWelcomeCard({ locale: 'en', adminsConfigured: true }));
    expect(texts[0]).toBe('Partner Leads');
    expect(all).toContain('Partner Leads brings your Partner Center leads into Teams as cards');
    for (const command of COMMANDS) expect(texts.some((text) => text.startsWith(`${command}: `))).toBe(true);
    expect(all).toMatch(/Lead viewers read leads; Referrals admins and MPN partner admins also accept/);
    expect(all).toMatch(/nobody gets them by default/);
    expect(all).toMatch(/LEAD_VIEWER_IDS, LEAD_ADMIN_IDS, PARTNER_ADMIN_IDS/);
    expect(all).not.toContain('⚠️');
  });

  test('without any admin it says how to configure the first one', () => {
    expect(seen(renderWelcomeCard({ locale: 'en', adminsConfigured: false })).all).toContain('⚠️ No admin is configured yet');
    expect(seen(renderHelpCard('de', false)).all).toContain('⚠️ Es ist noch kein Administrator eingerichtet');
  });

  test('help is the same guide under its own title', () => {
    const { texts } = seen(renderHelpCard('en'));
    expect(texts[0]).toBe('Partner Leads — help');
    expect(texts.join('\n')).not.toContain('⚠️');
  });
});

describe('reminders and alerts', () => {
  test('a reminder says how long is left and offers the answers', () => {
    const lead = receivedLead({ expiresAt: hoursFromNow(2 * 24 + 3) });
    const { texts, actions } = seen(renderReminderCard(lead, { locale: 'en', now: NOW }));
    expect(texts[0]).toBe('⏰ Contoso cloud migration (Contoso Ltd) expires in 2 days 3 hours');
    expect(texts[1]?.replace(/\u202f/g, ' ')).toBe('Expires Nov 28, 2025, 1:00 PM UTC');
    expect(actions.map((a) => [a.title, a.verb, a.data])).toEqual([
      ['Accept', 'lead.acceptForm', { leadId: 'lead-1', revision: 1 }],
      ['Decline', 'lead.declineForm', { leadId: 'lead-1', revision: 1 }],
      ['Open', 'lead.open', { leadId: 'lead-1', revision: 1 }],
    ]);
  });

  test('a German reminder', () => {
    const lead = receivedLead({ expiresAt: hoursFromNow(2 * 24 + 3) });
    const { texts } = seen(renderReminderCard(lead, { locale: 'de', now: NOW, timeZone: 'Europe/Berlin' }));
    expect(texts).toEqual(['⏰ Contoso cloud migration (Contoso Ltd) läuft in 2 Tagen 3 Stunden ab', 'Läuft ab am 28. Nov. 2025, 14:00']);
  });

  test('a flame alert asks for a quick answer and opens the lead', () => {
    const { texts, actions } = seen(renderFlameAlertCard(receivedLead({ flame: true }), { locale: 'en' }));
    expect(texts).toEqual(['🔥 Contoso Ltd asked to be contacted — respond quickly', 'Contoso cloud migration']);
    expect(actions).toEqual([{ type: 'Action.Execute', title: 'Open lead', verb: 'lead.open', data: { leadId: 'lead-1' } }]);
  });

  test('a digest counts the new leads, names each one and opens either list', () => {
    const leads = [receivedLead({ flame: true }), receivedLead({ id: 'lead-2', name: 'Fabrikam ERP', customer: { ...receivedLead().customer, name: 'Fabrikam' } })];
    const card = renderDigestCard({ count: 2, leads, locale: 'en' });
    expect(seen(card).texts).toEqual(['2 new leads — open the list', '🔥 Contoso cloud migration · Contoso Ltd', 'Fabrikam ERP · Fabrikam']);
    expect(seen(card).actions.map((a) => [a.title, a.verb, a.data])).toEqual([
      ['Marketplace leads', 'list.page', { view: 'marketplace' }],
      ['Qualified leads', 'list.page', { view: 'qualified' }],
    ]);
    expect(seen(renderDigestCard({ count: 1, locale: 'de' })).texts).toEqual(['1 neuer Lead – Liste öffnen']);
  });

  test('a message card shows its title and text', () => {
    const card = renderMessageCard({ locale: 'en', title: 'Contoso cloud migration', text: 'Expired — not answered within 14 days; the sender is notified', tone: 'warning' });
    expect(seen(card).texts).toEqual(['Contoso cloud migration', 'Expired — not answered within 14 days; the sender is notified']);
    expect(seen(renderMessageCard({ locale: 'en', text: 'Hello' })).texts).toEqual(['Hello']);
  });
});

describe('roles', () => {
  const entries = [
    { id: DANA.id, role: 'partnerAdmin', source: 'settings', name: DANA.name },
    { id: '11111111-2222-3333-4444-555555555555', role: 'leadAdmin', source: 'granted' },
    { id: SAM_ID, role: 'leadViewer', source: 'granted', name: 'Sam Lee' },
  ] as const;

  test('lists the three roles with where each comes from, who gets the stream, who reads leads, and how to change them', () => {
    const card = renderRolesCard({ locale: 'en', entries: [...entries], streams: [{ id: SAM_ID, name: 'Sam Lee' }], everyone: false });
    expect(seen(card).texts).toEqual([
      'Roles',
      'Leads are readable by people with a role; everyone else sees only those posted in conversations they are in.',
      'MPN partner admins',
      `Dana Admin (${DANA.id}) · from settings`,
      'Referrals admins',
      '11111111-2222-3333-4444-555555555555 · granted',
      'Lead viewers',
      `Sam Lee (${SAM_ID}) · granted`,
      "Get the team's new leads in their personal chat",
      `Sam Lee (${SAM_ID})`,
      expect.stringContaining('Add…'),
    ]);
    // Read-only for everyone but partner admins: no Add…, no Remove.
    expect(seen(card).actions).toEqual([]);
  });

  test('a partner admin adds people with the people picker and removes granted roles and streams (settings change only there)', () => {
    const editing = seen(renderRolesCard({ locale: 'en', entries: [...entries], streams: [{ id: SAM_ID }], everyone: false, editing: true }));
    expect(editing.actions.map((a) => [a.title, a.verb, a.data])).toEqual([
      ['Remove', 'roles.revoke', { personId: '11111111-2222-3333-4444-555555555555' }],
      ['Remove', 'roles.revoke', { personId: SAM_ID }],
      ['Remove', 'roles.stream', { personId: SAM_ID, on: false }],
      ['Add…', 'roles.add', {}],
    ]);
    expect(editing.inputs).toEqual([]);

    const adding = { people: [{ title: 'Sam Lee', value: SAM_ID }], peopleScope: 'organization' as const };
    const form = seen(renderRolesCard({ locale: 'en', entries: [], streams: [], everyone: false, editing: true, adding }));
    expect(form.actions.map((a) => [a.title, a.verb])).toEqual([
      ['Add', 'roles.grant'],
      ['Cancel', 'roles.show'],
    ]);
    const picker = form.inputs.find((i) => i.id === 'personId') as unknown as Record<string, unknown>;
    expect(picker['choices.data']).toEqual({ type: 'Data.Query', dataset: 'graph.microsoft.com/users' });
    expect(picker.choices).toEqual([{ title: 'Sam Lee', value: SAM_ID }]);
    expect((form.inputs.find((i) => i.id === 'role') as unknown as { choices: unknown }).choices).toEqual([
      { title: 'Lead viewer', value: 'leadViewer' },
      { title: 'Referrals admin', value: 'leadAdmin' },
      { title: 'MPN partner admin', value: 'partnerAdmin' },
    ]);
    expect(form.inputs.find((i) => i.id === 'stream')).toMatchObject({ label: 'Personal chat', value: 'false' });
  });

  test('an empty role says nobody has it yet, and the card says when everyone reads leads', () => {
    const card = renderRolesCard({ locale: 'de', entries: [], streams: [], everyone: true });
    expect(seen(card).texts.filter((text) => text === 'Noch niemand')).toHaveLength(4);
    expect(seen(card).texts).toContain('Leads lesen alle in der Organisation (LEADS_VISIBLE_TO=everyone).');
  });
});

describe('who sees leads', () => {
  test('a lead the reader may not read shows nothing of it, says why, and refreshes for each viewer when shared', () => {
    const card = renderRestrictedCard('lead-1', { locale: 'en', shared: true });
    expect(seen(card).texts).toEqual(['🔒 A Partner Center lead', 'You need the Lead viewer role to see this — ask a partner admin.']);
    expect((card.content as { refresh?: unknown }).refresh).toEqual({ action: { type: 'Action.Execute', verb: 'refresh', data: { leadId: 'lead-1', shared: true } } });
    expect(seen(renderRestrictedCard('lead-1', { locale: 'de' })).texts[1]).toBe('Dafür benötigen Sie die Rolle „Lead-Betrachter“ – fragen Sie einen Partneradministrator.');
  });

  test('a person someone else made the owner is told who, with the way to answer', () => {
    const lead = ownedLead();
    const { texts, actions } = seen(renderAssignedCard(lead, { locale: 'en' }));
    expect(texts[0]).toBe(`👤 ${lead.owner?.by.name} made you the owner of Contoso cloud migration (Contoso Ltd)`);
    expect(actions.map((a) => a.verb)).toEqual(['lead.acceptForm', 'lead.declineForm', 'lead.open']);
  });

  test("a team's welcome offers its channels and both kinds of lead; a group chat's, this chat; a personal chat's, nothing to choose", () => {
    const channels = [{ id: '19:general', name: 'General' }, { id: '19:sales', name: 'Sales' }];
    const team = seen(renderWelcomeCard({ locale: 'en', adminsConfigured: true, setup: { kind: 'team', channels, current: '19:general' } }));
    expect(team.inputs.map((i) => [i.id, i.value])).toEqual([
      ['channelId', '19:general'],
      ['leadKinds', 'marketplace,qualified'],
    ]);
    expect(team.actions.map((a) => [a.title, a.verb])).toEqual([['Send new leads there', 'welcome.channel']]);
    expect(seen(renderWelcomeCard({ locale: 'en', adminsConfigured: true, setup: { kind: 'chat' } })).actions.map((a) => a.verb)).toEqual(['welcome.here']);
    const personal = seen(renderWelcomeCard({ locale: 'de', adminsConfigured: true, setup: { kind: 'personal', streamed: false } }));
    expect(personal.actions).toEqual([]);
    expect(personal.inputs).toEqual([]);
    expect(personal.texts).toContain('Dies ist Ihr persönlicher Chat mit Partner Leads: Hier erhalten Sie die Ihnen zugewiesenen Leads, Ihre Erinnerungen und Hinweise. Geben Sie my leads ein, um Ihre Leads zu sehen.');
  });
});

describe('Partner Center sync', () => {
  it('says on the card that a change is on its way to Partner Center, or that Partner Center refused it, only with the sync on', () => {
    const options = { locale: 'en' as const, now: NOW, flameWindowHours: 72 };
    expect(seen(renderLeadCard(syncedLead('pending'), { ...options, outside: partnerCenterOutside(syncedLead('pending')) })).texts).toContain('Saved in Teams · reaching Partner Center…');
    expect(seen(renderLeadCard(syncedLead('pending'), options)).all).not.toContain('Partner Center');
    expect(seen(renderLeadCard(syncedLead('refused'), { ...options, outside: partnerCenterOutside(syncedLead('refused')) })).texts).toContain(
      '⚠️ This change did not reach Partner Center: Partner Center answered 400 invalidRequest: Path /campaignId cannot be changed.',
    );
    expect(seen(renderLeadCard(syncedLead('pending'), { ...options, locale: 'de', outside: partnerCenterOutside(syncedLead('pending')) })).texts).toContain('In Teams gespeichert · wird an Partner Center übertragen …');
  });

  it('names Partner Center as the one who declined, in English and German', () => {
    const lead = declinedInPartnerCenter();
    const outside = partnerCenterOutside(lead);
    expect(seen(renderLeadCard(lead, { locale: 'en', now: NOW, flameWindowHours: 72, outside })).texts).toContain('Declined in Partner Center on Nov 26, 2025 — reason: Not a customer');
    expect(seen(renderLeadCard(lead, { locale: 'de', now: NOW, flameWindowHours: 72, outside })).all).toContain('Abgelehnt – in Partner Center am 26. Nov. 2025');
  });

  it('tells admins what broke and how to mend it, and the person whose change was overruled what happened', () => {
    const parked = { count: 1, first: [{ id: 'ref-9', name: 'Paused one', reason: 'its status "Paused" is not one this version knows' }] };
    expect(seen(renderSyncStatusCard({ on: true, waiting: 0, parked }, { locale: 'en' })).texts).toEqual(
      expect.arrayContaining([
        'Set aside (cannot be read): 1 — a partner admin types retry ‹referral id› once it can be read; a newer release reads them again by itself',
        'ref-9: Paused one: its status "Paused" is not one this version knows',
      ]),
    );
    expect(seen(renderSyncHealthCard({ state: 'broken', cause: 'stalled', detail: 'no referrals pulled for 20 minutes' }, 'de')).all).toContain('Seit einiger Zeit wurden keine Empfehlungen aus Partner Center abgerufen');
    expect(seen(renderSyncHealthCard({ state: 'broken', cause: 'refused', detail: 'AADSTS70000: expired' }, 'en')).all).toMatch(/sign in again: run npm run partner-center:connect[\s\S]*What it said: AADSTS70000: expired/);
    expect(seen(renderSyncHealthCard({ state: 'restored' }, 'de')).texts).toContain('✅ Die Partner-Center-Synchronisierung funktioniert wieder');
    expect(seen(renderOverruledCard(declinedInPartnerCenter(), 'accept', { locale: 'en' })).all).toContain(
      'Your Accept of “Contoso cloud migration” was not written to Partner Center: the referral had changed there first (Archived · Declined, Nov 26, 2025, 10:30 AM UTC).',
    );
  });

  it('shows the sync state for the sync command: off with how to turn it on, on with its figures, broken with the fix', () => {
    expect(seen(renderSyncStatusCard({ on: false }, { locale: 'en' })).all).toContain('npm run partner-center:connect');
    const on = seen(renderSyncStatusCard({ on: true, waiting: 3, lastPullAt: NOW.toISOString() }, { locale: 'en' }));
    expect(on.texts).toContain('On, working');
    expect(on.texts).toEqual(expect.arrayContaining(['Changes waiting to be written back: 3', 'Last change written back: Not yet']));
    const broken = seen(renderSyncStatusCard({ on: true, waiting: 0, broken: 'unauthorized', lastError: 'Partner Center answered 403' }, { locale: 'de' }));
    expect(broken.texts).toContain('Gestört: Zugriff verweigert');
  });

  it('says how the bot reaches people in Teams: on, off and why, or not allowed with what Graph said and what to grant', () => {
    const reach = {
      activityFeed: { state: 'refused' as const, reason: 'Microsoft Graph answered 403 Forbidden — grant TeamsActivity.Send', since: NOW.toISOString() },
      proactiveInstall: { state: 'off' as const, reason: 'PROACTIVE_INSTALL is off' },
    };
    const texts = seen(renderSyncStatusCard({ on: false }, { locale: 'en' }, reach)).texts;
    expect(texts).toContain('Installing the app for people: Off: PROACTIVE_INSTALL is off');
    expect(texts.find((t) => t.startsWith('Teams activity feed: Not allowed since'))).toMatch(/grant TeamsActivity\.Send\. Until then: chat messages and @mentions\.$/);
    expect(seen(renderSyncStatusCard({ on: true, waiting: 0 }, { locale: 'de' }, { ...reach, activityFeed: { state: 'on' } })).texts).toContain('Teams-Aktivitätsfeed: An');
  });
});
