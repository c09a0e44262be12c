/**
 * The search message extension, link unfurling and the `find` command, through the bot as Teams
 * calls it: the exact response shapes, the shared copy's refresh, paging, roles, tenants and consent.
 */
import { TestAdapter, type Activity } from 'botbuilder';
import { LeadBot } from '../../teams/leadBot';
import type { CardAttachment } from '../../cards';
import type { LeadsApp } from '../../services/app/leadsApp';
import { silentLogger } from '../../services/logger';
import { seen } from '../cards/seen';
import { referral } from '../fixtures/referrals';
import { makeApp } from '../support/app';
import { USER_ID } from '../support/settings';
import { startTestStorage, type TestStorage } from '../support/storage';
import { invokeWithStorageDown } from '../support/storageDown';
import { acceptForm, channel, dana, execute, extensionLink, extensionQuery, groupChat, message, personal, vic, type Place, type TeamsUser } from '../support/teamsActivities';

const SERVICE_URL = 'http://127.0.0.1:9/';
const chat = groupChat();
const CONTOSO_ID = '4f2c1a7e-9b31-4c5e-8d2a-0e6f1b2c3d4e';

let storage: TestStorage;
beforeAll(async () => {
  storage = await startTestStorage();
});
afterAll(() => storage.close());

const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();

/** Vic is a Lead viewer here: reads every lead, changes none (who sees leads without a role: whoSeesLeads.test.ts). */
async function harness(extra: Record<string, string> = {}) {
  const env: Record<string, string> = { LEAD_VIEWER_IDS: USER_ID, ...extra };
  const app: LeadsApp = makeApp(await storage.freshTables(), { env });
  const bot = new LeadBot({ product: app.product, log: silentLogger, flameWindowHours: 72, allowedTenantIds: env.ALLOWED_TENANT_IDS?.split(',') ?? [] });
  const adapter = new TestAdapter(async (context) => bot.run(context));
  const turn = async (activity: object) => {
    adapter.activeQueue.splice(0);
    await adapter.processActivity(activity as Activity);
    return [...adapter.activeQueue];
  };
  const invoke = async (activity: object) => {
    const response = (await turn(activity)).find((r) => r.type === 'invokeResponse')?.value as { status: number; body: any };
    return response;
  };
  await app.ingest([
    referral({ id: CONTOSO_ID, name: 'Teams Rooms for Contoso', createdDateTime: hoursAgo(30), customerProfile: { name: 'Contoso Ltd', team: [{ firstName: 'Chris', lastName: 'Customer', email: 'chris@contoso.example' }] } }),
    referral({
      name: 'Contoso Pharma Copilot',
      createdDateTime: hoursAgo(2),
      customerProfile: { name: 'Contoso Pharma', team: [{ firstName: 'Pia', lastName: 'Private', email: 'pia@pharma.example' }] },
      consentDetails: { consentToContact: false, consentToShareInfoWithOthers: false },
      details: { customerRequestedContact: true, requirements: { solutions: [] } },
    }),
    referral({ name: 'Fabrikam migration', createdDateTime: hoursAgo(10), customerProfile: { name: 'Fabrikam', team: [] } }),
  ]);
  await app.settle();
  return {
    app,
    search: (user: TeamsUser, query: Parameters<typeof extensionQuery>[2], options: Parameters<typeof extensionQuery>[4] = {}, where: Place = chat) =>
      invoke(extensionQuery(where, user, query, SERVICE_URL, options)),
    unfurl: (url: string) => invoke(extensionLink(chat, vic, url, SERVICE_URL)),
    click: async (user: TeamsUser, verb: string, data: Record<string, unknown>) => invoke(execute(chat, user, verb, data, SERVICE_URL)),
    say: (user: TeamsUser, text: string) => turn(message(chat, user, text, SERVICE_URL)),
    turn,
  };
}

type Result = { contentType: string; content: any; preview: { contentType: string; content: { title: string; subtitle: string; text: string } } };
const attachmentsOf = (response: { body: any }): Result[] => response.body.composeExtension.attachments;

describe('the search message extension', () => {
  it('answers a query with a list of results, each a preview line and the full card to share', async () => {
    const h = await harness();
    const response = await h.search(vic, 'contoso');

    expect(response.status).toBe(200);
    expect(response.body.composeExtension).toMatchObject({ type: 'result', attachmentLayout: 'list' });
    const results = attachmentsOf(response);
    expect(results.map((r) => r.preview)).toEqual([
      {
        contentType: 'application/vnd.microsoft.card.thumbnail',
        content: { title: '🔥 Contoso Pharma Copilot', subtitle: 'Contoso Pharma', text: expect.stringMatching(/^Received · 13 days \d+ hours? left · Customer inquiry$/) },
      },
      {
        contentType: 'application/vnd.microsoft.card.thumbnail',
        content: { title: 'Teams Rooms for Contoso', subtitle: 'Contoso Ltd', text: expect.stringMatching(/^Received · 12 days \d+ hours? left · Customer inquiry$/) },
      },
    ]);
    const card = results[1]!;
    expect(card.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(seen(card as CardAttachment).all).toContain('Teams Rooms for Contoso');
    expect(seen(card as CardAttachment).actions.map((a) => a.title)).toEqual(expect.arrayContaining(['Accept', 'Decline']));
  });

  it('refreshes the shared card by itself for everyone in a chat, in a channel for whom it knows will look (the owner, who shared it), and its buttons say it is shared', async () => {
    const h = await harness();
    await h.click(dana, 'lead.take', { leadId: CONTOSO_ID, revision: 1 });
    const [contoso, ...others] = attachmentsOf(await h.search(vic, 'teams rooms'));
    expect(others).toEqual([]);
    const content = contoso!.content;

    // A chat has at most 60 people to refresh for automatically: everyone.
    expect(content.refresh).toEqual({ action: { type: 'Action.Execute', verb: 'refresh', data: { leadId: CONTOSO_ID, shared: true } } });
    // A channel may have more.
    const [inChannel] = attachmentsOf(await h.search(vic, 'teams rooms', {}, channel()));
    expect(inChannel!.content.refresh).toEqual({ action: { type: 'Action.Execute', verb: 'refresh', data: { leadId: CONTOSO_ID, shared: true } }, userIds: [dana.id, vic.id] });
    const buttons = seen({ contentType: 'application/vnd.microsoft.card.adaptive', content }).actions;
    expect(buttons.length).toBeGreaterThan(0);
    expect(buttons.filter((a) => a.type !== 'Action.OpenUrl').every((a) => (a.data as { shared?: boolean }).shared === true)).toBe(true);
  });

  it('gives every button of a shared card an Action.Submit fallback that does the same where Universal Actions do not run', async () => {
    const h = await harness();
    const [contoso] = attachmentsOf(await h.search(vic, 'teams rooms'));
    const actions = (contoso!.content.actions as { type: string; verb: string; title: string; data: object; fallback: object }[]).filter((a) => a.type === 'Action.Execute');
    expect(actions.length).toBeGreaterThan(0);
    for (const action of actions) expect(action.fallback).toEqual({ type: 'Action.Submit', title: action.title, data: { ...action.data, verb: action.verb } });
    // The refresh is not a button: no fallback there.
    expect(contoso!.content.refresh.action.fallback).toBeUndefined();

    // Dana clicks ♡ on a client without Universal Actions: Teams sends the fallback's data; the lead is
    // her favorite. In the chat everyone sees a line that it was done, not her own view of the card.
    const favorite = actions.find((a) => a.verb === 'lead.favorite')!;
    const replies = await h.turn({ ...execute(chat, dana, 'unused', {}, SERVICE_URL), name: 'composeExtension/onCardButtonClicked', value: (favorite.fallback as { data: object }).data });
    expect(replies.find((r) => r.type === 'invokeResponse')?.value).toEqual({ status: 200, body: {} });
    const reply = replies.find((r) => r.type === 'message')!;
    expect(reply.attachments).toBeUndefined();
    expect(reply.text).toBe('Done. This Teams client does not update cards in place: open the lead again to see it.');
    expect((await h.app.leads.get(CONTOSO_ID))?.lead.favorites.map((f) => f.name)).toEqual([dana.name]);

    // In her personal chat with the bot, the card itself.
    const unfavorite = { ...(favorite.fallback as { data: object }).data, verb: 'lead.unfavorite' };
    const mine = await h.turn({ ...message(personal(dana), dana, '', SERVICE_URL), value: unfavorite });
    expect(seen(mine.find((r) => r.type === 'message')?.attachments?.[0] as CardAttachment).actions.map((a) => a.title)).toContain('♡ Favorite');
  });

  it('shows each viewer the current card on refresh, still shared, with their own favorite', async () => {
    const h = await harness();
    await h.click(dana, 'lead.favorite', { leadId: CONTOSO_ID });
    await h.click(dana, 'lead.decline', { leadId: CONTOSO_ID, revision: 1, reason: 'budget' });

    const refreshed = await h.click(dana, 'refresh', { leadId: CONTOSO_ID, shared: true });
    expect(refreshed.status).toBe(200);
    const card = { contentType: 'application/vnd.microsoft.card.adaptive' as const, content: refreshed.body.value };
    expect(seen(card).all).toContain('Declined');
    expect(seen(card).actions.map((a) => a.title)).toContain('♥ Favorited');
    expect(refreshed.body.value.refresh).toEqual({ action: { type: 'Action.Execute', verb: 'refresh', data: { leadId: CONTOSO_ID, shared: true } } });
    // Someone else's refresh: their own ♡.
    const theirs = await h.click(vic, 'refresh', { leadId: CONTOSO_ID, shared: true });
    expect(seen({ contentType: 'application/vnd.microsoft.card.adaptive', content: theirs.body.value }).actions.map((a) => a.title)).toContain('♡ Favorite');
  });

  it('follows the same roles on a shared card: a viewer cannot accept, an admin can', async () => {
    const h = await harness();
    const form = { ...acceptForm(CONTOSO_ID), shared: true };
    const denied = await h.click(vic, 'lead.accept', form);
    expect(seen({ contentType: 'application/vnd.microsoft.card.adaptive', content: denied.body.value }).all).toContain('Only Referrals admins and MPN partner admins can accept leads.');
    expect((await h.app.leads.get(CONTOSO_ID))?.lead.stage).toBe('Received');

    const accepted = await h.click(dana, 'lead.accept', form);
    expect(seen({ contentType: 'application/vnd.microsoft.card.adaptive', content: accepted.body.value }).all).toContain('Accepted');
    expect(accepted.body.value.refresh.action.data).toEqual({ leadId: CONTOSO_ID, shared: true });
    expect((await h.app.leads.get(CONTOSO_ID))?.lead.stage).toBe('Accepted');
  });

  it('shows contact details only where the customer agreed, as the posted card does', async () => {
    const h = await harness();
    const [pharma, contoso] = attachmentsOf(await h.search(vic, 'contoso'));
    expect(JSON.stringify(contoso!.content)).toContain('chris@contoso.example');
    expect(JSON.stringify(pharma!.content)).not.toContain('pia@pharma.example');
    expect(seen(pharma as CardAttachment).texts).toContain('The customer has not agreed to share contact details');
  });

  it('lists the leads that need an answer soonest when nothing is typed yet', async () => {
    const h = await harness();
    const initial = await h.search(vic, [{ name: 'initialRun', value: 'true' }]);
    expect(attachmentsOf(initial).map((r) => r.preview.content.subtitle)).toEqual(['Contoso Ltd', 'Fabrikam', 'Contoso Pharma']);
    const blank = await h.search(vic, '   ');
    expect(attachmentsOf(blank).map((r) => r.preview.content.subtitle)).toEqual(['Contoso Ltd', 'Fabrikam', 'Contoso Pharma']);
  });

  it('returns at most 10 results, and the next ones for skip', async () => {
    const h = await harness();
    await h.app.ingest(Array.from({ length: 14 }, (_, i) => referral({ name: `Northwind ${i}`, createdDateTime: hoursAgo(i) })));
    await h.app.settle();
    const first = attachmentsOf(await h.search(vic, 'northwind', { count: 25 }));
    const second = attachmentsOf(await h.search(vic, 'northwind', { skip: 10, count: 25 }));
    expect(attachmentsOf(await h.search(vic, 'northwind', { skip: 60, count: 25 }))).toEqual([]);
    expect(first.map((r) => r.preview.content.title)).toEqual(Array.from({ length: 10 }, (_, i) => `Northwind ${i}`));
    expect(second.map((r) => r.preview.content.title)).toEqual(['Northwind 10', 'Northwind 11', 'Northwind 12', 'Northwind 13']);
  });

  it.each([
    ['a query too short', 'c', 'Type at least 2 letters or digits to search.'],
    ['an oversized query', 'x'.repeat(5_000), 'That is too long to search: at most 100 characters.'],
    ['a query that is not text', [{ name: 'query', value: { $gt: '' } }], 'Type at least 2 letters or digits to search.'],
  ])('answers %s with a message, never an error', async (_what, query, text) => {
    const h = await harness();
    expect(await h.search(vic, query as string)).toEqual({ status: 200, body: { composeExtension: { type: 'message', text } } });
  });

  it('answers an unknown command or a malformed value with a message', async () => {
    const h = await harness();
    const refused = { status: 200, body: { composeExtension: { type: 'message', text: 'This search is not one Partner Leads knows.' } } };
    expect(await h.search(vic, 'contoso', { commandId: 'somethingElse' })).toEqual(refused);
    expect(await h.search(vic, 'contoso', { count: -3 })).toEqual(refused);
    expect(await h.search(vic, Array.from({ length: 11 }, () => ({ name: 'query', value: 'contoso' })))).toEqual(refused);
  });

  it('says so in its pane when storage is down, with HTTP 200', async () => {
    expect(await invokeWithStorageDown(extensionQuery(chat, vic, 'contoso', SERVICE_URL))).toEqual({
      status: 200,
      body: { composeExtension: { type: 'message', text: 'Partner Leads cannot reach its storage right now. Please try again in a minute.' } },
    });
  });

  it('answers nothing for a tenant that is not allowed', async () => {
    const h = await harness({ ALLOWED_TENANT_IDS: '11111111-1111-4111-8111-111111111111' });
    expect(await h.search(vic, 'contoso')).toEqual({ status: 200, body: { composeExtension: { type: 'message', text: 'This organization may not use this app.' } } });
    expect(await h.unfurl(`https://partner.microsoft.com/en-us/dashboard/referrals/v2/leads/${CONTOSO_ID}/details`)).toEqual({
      status: 200,
      body: { composeExtension: { type: 'message', text: 'This organization may not use this app.' } },
    });
  });
});

describe('link unfurling', () => {
  it('unfolds a Partner Center link that names a stored referral into its lead card, shared', async () => {
    const h = await harness();
    const response = await h.unfurl(`https://partner.microsoft.com/en-us/dashboard/referrals/v2/leads/${CONTOSO_ID.toUpperCase()}/details?tab=overview`);
    expect(response.status).toBe(200);
    expect(response.body.composeExtension).toMatchObject({ type: 'result', attachmentLayout: 'list' });
    const [result, ...more] = attachmentsOf(response);
    expect(more).toEqual([]);
    expect(result!.preview.content.title).toBe('Teams Rooms for Contoso');
    expect(result!.content.refresh).toEqual({ action: { type: 'Action.Execute', verb: 'refresh', data: { leadId: CONTOSO_ID, shared: true } } });
  });

  it.each([
    ['an id we do not hold', 'https://partner.microsoft.com/en-us/dashboard/referrals/v2/leads/00000000-0000-4000-8000-000000000000/details'],
    ['another host', `https://partner.microsoft.com.evil.example/leads/${CONTOSO_ID}`],
    ['plain http', `http://partner.microsoft.com/leads/${CONTOSO_ID}`],
    ['not a URL', 'partner.microsoft.com leads'],
  ])('unfolds nothing, without an error, for %s', async (_what, url) => {
    const h = await harness();
    expect(await h.unfurl(url)).toEqual({
      status: 200,
      // Not cached by Teams: the referral may arrive here in a minute.
      body: { composeExtension: { type: 'result', attachmentLayout: 'list', attachments: [], suggestedActions: { actions: [{ type: 'setCachePolicy', value: '{"type":"no-cache"}' }] } } },
    });
  });
});

describe('the find command', () => {
  it('answers with a paged list of what it finds, with Next carrying the query', async () => {
    const h = await harness();
    await h.app.ingest(Array.from({ length: 11 }, (_, i) => referral({ name: `Contoso site ${i}`, createdDateTime: hoursAgo(40 + i) })));
    await h.app.settle();
    const [reply] = await h.say(vic, 'find Contoso');
    const page1 = seen(reply?.attachments?.[0] as CardAttachment);
    expect(page1.texts[0]).toBe('Leads matching “contoso”');
    expect(page1.actions.filter((a) => a.verb === 'lead.open')).toHaveLength(10);
    const next = page1.actions.find((a) => a.verb === 'search.page');
    expect(next).toMatchObject({ title: 'Next', data: { query: 'Contoso' } });

    const page2 = await h.click(vic, 'search.page', next!.data as Record<string, unknown>);
    const seen2 = seen({ contentType: 'application/vnd.microsoft.card.adaptive', content: page2.body.value });
    expect(seen2.actions.filter((a) => a.verb === 'lead.open')).toHaveLength(3);
    expect(seen2.actions.map((a) => a.title)).toEqual(expect.arrayContaining(['Previous']));
  });

  it('reads the words out of the HTML Teams may send, and stays quiet when someone shares a card in its chat', async () => {
    const h = await harness();
    const [found] = await h.say(vic, '<p>find&nbsp;Contoso&amp;</p>');
    expect(seen(found?.attachments?.[0] as CardAttachment).texts[0]).toBe('Leads matching “contoso”');
    // What is typed never reads as markdown on the bot's card.
    const [link] = await h.say(vic, 'find [contoso](https://evil.example)');
    expect(seen(link?.attachments?.[0] as CardAttachment).texts[0]).toBe('Leads matching “contoso https evil example”');
    const [shared] = attachmentsOf(await h.search(vic, 'fabrikam'));
    const replies = await h.turn({ ...message(chat, vic, '', SERVICE_URL), text: '<span class="inline-compose-card" itemid="0"></span>', attachments: [shared] });
    expect(replies).toEqual([]);
  });

  it('says what it found nothing for, and how to search', async () => {
    const h = await harness();
    const [none] = await h.say(vic, 'find zebra');
    expect(seen(none?.attachments?.[0] as CardAttachment).all).toContain('No lead matches “zebra”');
    const [usage] = await h.say(vic, 'find');
    expect(usage?.text).toMatch(/^Usage: find/);
  });
});

