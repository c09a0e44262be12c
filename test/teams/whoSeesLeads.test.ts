/**
 * Who sees leads, tried as a new tenant would: installs subscribe nothing (a lead admin chooses),
 * upgrades change nothing, personal chats get what is the person's own, a Lead viewer reads but
 * does not change, and someone without a role reads no customer data and is told why.
 */
import type { CardAttachment } from '../../cards';
import { createLogger } from '../../services/logger';
import { seen } from '../cards/seen';
import { referral } from '../fixtures/referrals';
import { botHarnesses, cardOf, place, SERVICE_URL, type Harness } from '../support/botHarness';
import { RecordingGateway } from '../support/recordingGateway';
import { NOBODY_ID, USER_ID } from '../support/settings';
import { botAdded, channel, dana, extensionLink, extensionQuery, groupChat, installUpdate, nora, pat, personal, vic, type Place } from '../support/teamsActivities';

const harness = botHarnesses();

const TEAM_ID = '19:team@thread.tacv2';
/** The team's General channel: its id is the team's, and it is where Teams announces the install. */
const general = channel(TEAM_ID);
const NEEDS_VIEWER = 'You need the Lead viewer role to see this — ask a partner admin.';
/** What the fixture referral tells of its customer: none of it may reach someone without a role. */
const CUSTOMER_DATA = ['Fabrikam Ltd', 'Erik', 'Nason', 'erik@fabrikam.example', '+49 89 1234567'];

const upgrade = (where: Place) => ({ ...installUpdate(where, dana, SERVICE_URL), action: 'add-upgrade' });
const teamsWithChannels = () => {
  const gateway = new RecordingGateway(() => new Date());
  gateway.teamChannels.set(TEAM_ID, [{ id: TEAM_ID }, { id: '19:sales@thread.tacv2', name: 'Sales' }, { id: '19:emea@thread.tacv2', name: 'EMEA' }]);
  return gateway;
};
const subscribedIds = async (h: Harness) => (await h.app.conversations.subscribed()).map((c) => c.conversationId);
/** Projects what is pending and sends what is due, as the running app would. */
const deliver = async (h: Harness) => {
  await h.app.settle();
  h.app.kickSends();
  await h.app.settle();
};
const noCustomerData = (text: string) => CUSTOMER_DATA.filter((item) => text.includes(item));

/** A harness whose channel (`place`) a lead admin subscribed, with a lead posted there; `members`: who Teams says is in it. */
async function withPostedLead(name: string, members: { aadObjectId: string; teamsUserId: string; name: string }[] = []) {
  const gateway = new RecordingGateway(() => new Date());
  if (members.length > 0) gateway.memberLists.set(place.conversation.id, members);
  const h = await harness({ gateway });
  await h.say(dana, 'subscribe');
  const posted = referral({ name });
  await h.app.ingest([posted]);
  await deliver(h);
  return { h, gateway, posted };
}

describe('installing the app subscribes nothing', () => {
  it('a personal install is told what comes there, and receives no lead', async () => {
    const gateway = new RecordingGateway(() => new Date());
    const h = await harness({ gateway });
    const [welcome] = await h.turn(installUpdate(personal(vic), vic, SERVICE_URL));
    expect(seen(cardOf(welcome)).all).toContain('This is your personal chat with Partner Leads: the leads assigned to you, your reminders and your alerts come here.');
    expect(seen(cardOf(welcome)).actions).toEqual([]);
    await h.app.ingest([referral({ name: 'Second lead' })]);
    await deliver(h);
    expect(await subscribedIds(h)).toEqual([]);
    expect(gateway.sent).toEqual([]);
  });

  it("a team's welcome offers its channels and the kinds of lead, and nothing is posted until a lead admin chooses", async () => {
    const gateway = teamsWithChannels();
    const h = await harness({ gateway });
    // Teams announces an install twice (installationUpdate and membersAdded), maybe at once: one welcome.
    const [first, second] = await Promise.all([h.turn(installUpdate(general, pat, SERVICE_URL)), h.turn(botAdded(general, pat, SERVICE_URL))]);
    // Both turns share the adapter's reply queue: count distinct replies.
    const replies = [...new Map([...first, ...second].map((a) => [a.id, a])).values()];
    expect(replies).toHaveLength(1);
    const welcome = seen(cardOf(replies[0]));
    expect(welcome.all).toContain('Which channel should get new leads? Nothing is posted until a Referrals admin or MPN partner admin chooses here');
    const picker = welcome.inputs.find((i) => i.id === 'channelId') as unknown as { value: string; choices: { title: string; value: string }[] };
    expect(picker.value).toBe(TEAM_ID);
    expect(picker.choices).toEqual([
      { title: 'General', value: TEAM_ID },
      { title: 'Sales', value: '19:sales@thread.tacv2' },
      { title: 'EMEA', value: '19:emea@thread.tacv2' },
    ]);
    expect(welcome.actions.map((a) => [a.title, a.verb])).toEqual([['Send new leads there', 'welcome.channel']]);
    await deliver(h);
    expect(await subscribedIds(h)).toEqual([]);
    expect(gateway.sent).toEqual([]);

    // Without a lead role the choice is refused; a lead admin's is taken.
    const refused = await h.click(vic, 'welcome.channel', { channelId: '19:emea@thread.tacv2', leadKinds: 'qualified' }, { where: general });
    expect(refused.body.value).toBe('Only Referrals admins and MPN partner admins can do this — ask a partner admin.');
    expect(await subscribedIds(h)).toEqual([]);
    const chosen = await h.click(dana, 'welcome.channel', { channelId: '19:emea@thread.tacv2', leadKinds: 'qualified' }, { where: general });
    expect(seen(chosen.card as CardAttachment).all).toContain('✅ New qualified leads go to EMEA, as Dana Admin chose.');
    expect(seen(chosen.card as CardAttachment).actions).toEqual([]);
    const [emea] = await h.app.conversations.subscribed();
    expect(emea).toMatchObject({ conversationId: '19:emea@thread.tacv2', scope: 'channel', settings: { leadKinds: ['qualified'] } });
    // Posts go to the chosen channel itself (a new thread there), not to the welcome's.
    expect((emea?.reference as { conversation: { id: string }; activityId?: string }).conversation.id).toBe('19:emea@thread.tacv2');
    expect((emea?.reference as { activityId?: string }).activityId).toBeUndefined();
  });

  it("takes only a channel of this team, and offers the install's own channel when Teams does not list them", async () => {
    const h = await harness({ gateway: new RecordingGateway(() => new Date()) });
    const [reply] = await h.turn(installUpdate(general, pat, SERVICE_URL));
    const picker = seen(cardOf(reply)).inputs.find((i) => i.id === 'channelId') as unknown as { choices: { title: string; value: string }[] };
    expect(picker.choices).toEqual([{ title: 'General', value: TEAM_ID }]);
    const elsewhere = await h.click(dana, 'welcome.channel', { channelId: '19:other-team@thread.tacv2', leadKinds: 'marketplace,qualified' }, { where: general });
    expect(elsewhere.body.value).toBe('That channel is not one of this team\'s any more. Choose another.');
    const none = await h.click(dana, 'welcome.channel', { channelId: TEAM_ID, leadKinds: '' }, { where: general });
    expect(none.body.value).toBe('Choose at least one kind of lead.');
    expect(await subscribedIds(h)).toEqual([]);
  });

  it('a group chat gets new leads once a lead role presses "Send new leads here"', async () => {
    const h = await harness();
    const chat = groupChat();
    const [reply] = await h.turn(botAdded(chat, vic, SERVICE_URL));
    expect(seen(cardOf(reply)).actions.map((a) => [a.title, a.verb])).toEqual([['Send new leads here', 'welcome.here']]);
    expect(await subscribedIds(h)).toEqual([]);
    expect((await h.click(vic, 'welcome.here', {}, { where: chat })).body.value).toBe('Only Referrals admins and MPN partner admins can do this — ask a partner admin.');
    const chosen = await h.click(dana, 'welcome.here', {}, { where: chat });
    expect(seen(chosen.card as CardAttachment).all).toContain('✅ New leads are posted in this chat, as Dana Admin chose.');
    expect(await subscribedIds(h)).toEqual([chat.conversation.id]);
  });

  it('an upgrade keeps an unsubscribed chat unsubscribed and a subscribed one subscribed, and welcomes no one again', async () => {
    const h = await harness();
    const chat = groupChat();
    await h.turn(installUpdate(chat, dana, SERVICE_URL));
    await h.say(dana, 'subscribe', chat);
    await h.say(dana, 'unsubscribe', chat);
    await h.turn(installUpdate(place, dana, SERVICE_URL));
    await h.say(dana, 'subscribe');
    expect(await h.turn(upgrade(chat))).toEqual([]);
    expect(await h.turn(upgrade(place))).toEqual([]);
    expect(await subscribedIds(h)).toEqual([place.conversation.id]);
  });

  it('removed and added again: welcomed again, and subscribed to nothing', async () => {
    const h = await harness();
    await h.turn(installUpdate(place, dana, SERVICE_URL));
    await h.say(dana, 'subscribe');
    await h.turn({ ...installUpdate(place, dana, SERVICE_URL), action: 'remove' });
    expect(await subscribedIds(h)).toEqual([]);
    expect(await h.turn(installUpdate(place, dana, SERVICE_URL))).toHaveLength(1);
    expect(await subscribedIds(h)).toEqual([]);
  });

  it('subscribe and unsubscribe need a lead role; in a personal chat only a partner admin turns the stream on', async () => {
    const h = await harness();
    expect((await h.say(vic, 'subscribe'))[0]?.text).toBe('Only Referrals admins and MPN partner admins can do this — ask a partner admin.');
    expect(await subscribedIds(h)).toEqual([]);
    expect((await h.say(dana, 'subscribe'))[0]?.text).toBe('New leads will be posted in this conversation.');
    expect((await h.say(vic, 'unsubscribe'))[0]?.text).toBe('Only Referrals admins and MPN partner admins can do this — ask a partner admin.');
    expect(await subscribedIds(h)).toEqual([place.conversation.id]);

    const danaChat = personal(dana);
    await h.turn(installUpdate(danaChat, dana, SERVICE_URL));
    expect((await h.say(dana, 'subscribe', danaChat))[0]?.text).toMatch(/^Your personal chat gets the leads assigned to you and your reminders\./);
    const patChat = personal(pat);
    await h.turn(installUpdate(patChat, pat, SERVICE_URL));
    await h.say(pat, 'subscribe', patChat);
    expect(await subscribedIds(h)).toEqual(expect.arrayContaining([place.conversation.id, patChat.conversation.id]));
    // Anyone may stop the stream in their own chat; it stays stopped after the next install.
    await h.say(pat, 'unsubscribe', patChat);
    await h.turn({ ...installUpdate(patChat, pat, SERVICE_URL), action: 'remove' });
    await h.turn(installUpdate(patChat, pat, SERVICE_URL));
    expect(await subscribedIds(h)).toEqual([place.conversation.id]);
  });

  it('an upgrade that adds the bot where it was never announced is welcomed; one that removes it is a removal', async () => {
    const h = await harness();
    const chat = groupChat();
    const [welcome] = await h.turn(upgrade(chat));
    expect(seen(cardOf(welcome)).actions.map((a) => a.verb)).toEqual(['welcome.here']);
    await h.click(dana, 'welcome.here', {}, { where: chat });
    expect(await subscribedIds(h)).toEqual([chat.conversation.id]);
    await h.turn({ ...installUpdate(chat, dana, SERVICE_URL), action: 'remove-upgrade' });
    expect(await subscribedIds(h)).toEqual([]);
  });

  it("removing the app from a team stops the channel chosen for its leads, and a new install asks again", async () => {
    const h = await harness({ gateway: teamsWithChannels() });
    await h.turn(installUpdate(general, pat, SERVICE_URL));
    await h.click(dana, 'welcome.channel', { channelId: '19:emea@thread.tacv2', leadKinds: 'marketplace,qualified' }, { where: general });
    expect(await subscribedIds(h)).toEqual(['19:emea@thread.tacv2']);
    await h.turn({ ...installUpdate(general, pat, SERVICE_URL), action: 'remove' });
    expect(await subscribedIds(h)).toEqual([]);
    const [again] = await h.turn(installUpdate(general, pat, SERVICE_URL));
    expect(seen(cardOf(again)).actions.map((a) => a.verb)).toEqual(['welcome.channel']);
    expect(await subscribedIds(h)).toEqual([]);
  });

  it('a Lead viewer reads leads but does not choose where they go, and does not grant roles', async () => {
    const h = await harness({ env: { LEAD_VIEWER_IDS: USER_ID } });
    const refusal = 'Only Referrals admins and MPN partner admins can do this — ask a partner admin.';
    expect((await h.say(vic, 'subscribe'))[0]?.text).toBe(refusal);
    expect((await h.click(vic, 'welcome.channel', { channelId: place.conversation.id, leadKinds: 'marketplace' })).body.value).toBe(refusal);
    expect((await h.click(vic, 'welcome.here', {}, { where: groupChat() })).body.value).toBe(refusal);
    expect((await h.click(vic, 'roles.grant', { personId: USER_ID, role: 'partnerAdmin' })).body.value).toBe('Only MPN partner admins can grant or revoke roles.');
    expect(await subscribedIds(h)).toEqual([]);
    expect((await h.app.product.roles.access(USER_ID)).role).toBe('leadViewer');
  });

  it('personal chats subscribed before roles keep the stream, listed on the roles card where a partner admin can remove it', async () => {
    const h = await harness();
    // As a release before roles filed every personal install.
    await h.app.conversations.save({ conversationId: 'a:personal-old', scope: 'personal', userId: NOBODY_ID, subscribed: true, installed: true, reference: {} });
    await h.app.prepare();
    await h.app.prepare();
    expect(await subscribedIds(h)).toEqual(['a:personal-old']);
    const [card] = await h.say(pat, 'roles', personal(pat));
    expect(seen(cardOf(card)).actions.filter((a) => a.verb === 'roles.stream').map((a) => a.data)).toEqual([{ personId: NOBODY_ID, on: false }]);
    await h.click(pat, 'roles.stream', { personId: NOBODY_ID, on: false }, { where: personal(pat) });
    expect(await subscribedIds(h)).toEqual([]);
  });
});

describe('roles without GUIDs, and the stream in a personal chat', () => {
  const members = () => {
    const gateway = new RecordingGateway(() => new Date());
    gateway.memberLists.set('*', [{ aadObjectId: USER_ID, teamsUserId: vic.id, name: vic.name }]);
    return gateway;
  };

  it('a partner admin picks a person by name, gives them a role and the stream; their personal chat gets it when they install', async () => {
    const h = await harness({ gateway: members() });
    const [card] = await h.say(pat, 'grant', personal(pat));
    const form = seen(cardOf(card));
    expect(form.inputs.map((i) => i.id)).toEqual(['personId', 'role', 'stream']);
    expect(form.inputs[0]).toMatchObject({ 'choices.data': { type: 'Data.Query', dataset: 'graph.microsoft.com/users' }, choices: [{ title: 'Vic Viewer', value: USER_ID }] });

    const granted = await h.click(pat, 'roles.grant', { personId: USER_ID, role: 'leadViewer', stream: 'true' }, { where: personal(pat) });
    expect(seen(granted.card as CardAttachment).all).toContain("Vic Viewer is now a Lead viewer and gets the team's new leads in their personal chat.");
    expect(seen(granted.card as CardAttachment).texts).toContain(`Vic Viewer (${USER_ID}) · granted`);
    expect((await h.app.product.roles.access(USER_ID)).role).toBe('leadViewer');

    const [welcome] = await h.turn(installUpdate(personal(vic), vic, SERVICE_URL));
    expect(seen(cardOf(welcome)).all).toContain("as a partner admin chose, the team's new leads too");
    expect(await subscribedIds(h)).toEqual([personal(vic).conversation.id]);

    // Remove beside the stream: the chat stops getting the team's leads; beside the role: the role goes.
    await h.click(pat, 'roles.stream', { personId: USER_ID, on: false }, { where: personal(pat) });
    expect(await subscribedIds(h)).toEqual([]);
    const revoked = await h.click(pat, 'roles.revoke', { personId: USER_ID }, { where: personal(pat) });
    expect(seen(revoked.card as CardAttachment).all).toContain('Vic Viewer no longer has a granted role.');
    expect((await h.app.product.roles.access(USER_ID)).role).toBeUndefined();
  });

  it('nobody but a partner admin adds or removes, and the roles card shows them no buttons', async () => {
    const h = await harness({ gateway: members() });
    const [card] = await h.say(dana, 'roles');
    expect(seen(cardOf(card)).actions).toEqual([]);
    expect((await h.say(dana, 'grant'))[0]?.text).toBe('Only MPN partner admins can grant or revoke roles.');
    for (const verb of ['roles.add', 'roles.grant', 'roles.revoke', 'roles.stream']) {
      const answer = await h.click(dana, verb, { personId: USER_ID, role: 'partnerAdmin' });
      expect([verb, answer.body.value]).toEqual([verb, 'Only MPN partner admins can grant or revoke roles.']);
    }
    expect((await h.app.product.roles.access(USER_ID)).role).toBeUndefined();
  });
});

describe('a Lead viewer role, and no customer data without a role', () => {
  const READING_COMMANDS = ['marketplace', 'qualified', 'archived', 'unassigned', 'find Fabrikam', 'insights'];

  it('someone without a role reads no lead through any command, and is told why; their own lists still answer in their personal chat', async () => {
    const h = await harness();
    for (const command of [...READING_COMMANDS, `lead ${h.leadId}`]) {
      const replies = await h.say(nora, command);
      expect([command, replies.map((r) => r.text)]).toEqual([command, [NEEDS_VIEWER]]);
    }
    for (const [command, where] of [['my leads', personal(nora)], ['favorites', personal(nora)], ['help', place], ['roles', place]] as const) {
      const [reply] = await h.say(nora, command, where);
      expect([command, noCustomerData(JSON.stringify(reply))]).toEqual([command, []]);
      expect(reply?.attachments).toHaveLength(1);
    }
    // Paging a list's card and opening a lead from elsewhere are refused the same way.
    expect((await h.click(nora, 'list.page', { view: 'marketplace' })).body.value).toBe(NEEDS_VIEWER);
    expect((await h.click(nora, 'search.page', { query: 'Fabrikam' })).body.value).toBe(NEEDS_VIEWER);
    const opened = await h.click(nora, 'lead.open', { leadId: h.leadId });
    expect(seen(opened.card as CardAttachment).texts).toEqual(['🔒 A Partner Center lead', NEEDS_VIEWER]);
    expect(noCustomerData(JSON.stringify(opened.body))).toEqual([]);
  });

  it('a Lead viewer reads every list, finds and opens leads, but cannot change one', async () => {
    const h = await harness({ env: { LEAD_VIEWER_IDS: NOBODY_ID } });
    for (const command of READING_COMMANDS) {
      const [reply] = await h.say(nora, command);
      expect([command, reply?.attachments?.length]).toEqual([command, 1]);
    }
    const [lead] = await h.say(nora, `lead ${h.leadId}`);
    expect(seen(cardOf(lead)).all).toContain('Fabrikam Ltd');
    const form = await h.click(nora, 'lead.acceptForm', { leadId: h.leadId, revision: 1 });
    expect(seen(form.card as CardAttachment).all).toContain('Only Referrals admins and MPN partner admins can accept leads.');
    await h.click(nora, 'lead.accept', { leadId: h.leadId, revision: 1, dealName: 'Mine', dealValue: '1', currency: 'EUR', purchaseDate: '2027-01-15' });
    await h.click(nora, 'lead.take', { leadId: h.leadId, revision: 1 });
    expect((await h.app.leads.get(h.leadId))?.lead).toMatchObject({ stage: 'Received', version: 1 });
    expect((await h.app.leads.get(h.leadId))?.lead.owner).toBeUndefined();
  });

  it('LEADS_VISIBLE_TO=everyone keeps leads open to all on purpose, still without changing them', async () => {
    const h = await harness({ env: { LEADS_VISIBLE_TO: 'everyone' } });
    const [list] = await h.say(nora, 'marketplace');
    expect(seen(cardOf(list)).all).toContain('Fabrikam cloud migration');
    const form = await h.click(nora, 'lead.declineForm', { leadId: h.leadId, revision: 1 });
    expect(seen(form.card as CardAttachment).all).toContain('Only Referrals admins and MPN partner admins can decline leads.');
  });

  it('a card posted in their conversation is theirs to read there, and nowhere else', async () => {
    const { h, gateway, posted } = await withPostedLead('Posted in Sales');
    const posts = gateway.of('leadCard', 'post').filter((s) => s.message.kind === 'leadCard' && s.message.lead.id === posted.id);
    expect(posts.map((s) => s.conversationId)).toEqual([place.conversation.id]);

    const here = await h.click(nora, 'refresh', { leadId: posted.id });
    expect(seen(here.card as CardAttachment).all).toContain('Fabrikam Ltd');
    const [typed] = await h.say(nora, `lead ${posted.id}`);
    expect(seen(cardOf(typed)).all).toContain('Posted in Sales');

    const elsewhere = await h.click(nora, 'refresh', { leadId: posted.id, shared: true }, { where: groupChat() });
    expect(seen(elsewhere.card as CardAttachment).texts).toEqual(['🔒 A Partner Center lead', NEEDS_VIEWER]);
    expect(noCustomerData(JSON.stringify(elsewhere.body))).toEqual([]);
    expect((await h.say(nora, `lead ${posted.id}`, groupChat()))[0]?.text).toBe(NEEDS_VIEWER);
  });

  it('search and link unfurling give someone without a role no customer data, and say why', async () => {
    const h = await harness();
    const search = await h.turn(extensionQuery(groupChat(), nora, 'Fabrikam', SERVICE_URL));
    const searched = search.find((r) => r.type === 'invokeResponse')?.value as { body: { composeExtension: { type: string; text?: string } } };
    expect(searched.body.composeExtension).toEqual({ type: 'message', text: NEEDS_VIEWER });

    const link = `https://partner.microsoft.com/dashboard/referrals/v2/leads/${h.leadId}`;
    const unfurled = (await h.turn(extensionLink(groupChat(), nora, link, SERVICE_URL))).find((r) => r.type === 'invokeResponse')?.value as { body: { composeExtension: { attachments: CardAttachment[] } } };
    const [attachment] = unfurled.body.composeExtension.attachments;
    expect(seen(attachment as CardAttachment).texts).toEqual(['🔒 A Partner Center lead', NEEDS_VIEWER]);
    expect(noCustomerData(JSON.stringify(unfurled.body))).toEqual([]);
    // Each viewer's client refreshes it: those who may read the lead see it.
    expect((attachment?.content as { refresh?: unknown }).refresh).toEqual({ action: { type: 'Action.Execute', verb: 'refresh', data: { leadId: h.leadId, shared: true } } });
    const viewer = await h.click(dana, 'refresh', { leadId: h.leadId, shared: true }, { where: groupChat() });
    expect(seen(viewer.card as CardAttachment).all).toContain('Fabrikam Ltd');
  });

  it("a lead that is theirs (owned, ♥) is theirs to read in their personal chat only: elsewhere everyone would see it", async () => {
    const { h, posted } = await withPostedLead('Posted in Sales');
    await h.click(nora, 'lead.favorite', { leadId: posted.id });
    const elsewhere = groupChat('19:elsewhere@thread.v2');
    expect((await h.say(nora, `lead ${posted.id}`, elsewhere))[0]?.text).toBe(NEEDS_VIEWER);
    const ownInPersonal = 'Your own leads are listed in your personal chat with Partner Leads, where only you see them — type it there.';
    expect((await h.say(nora, 'favorites', elsewhere))[0]?.text).toBe(ownInPersonal);
    expect((await h.say(nora, 'my leads', elsewhere))[0]?.text).toBe(ownInPersonal);
    expect((await h.click(nora, 'list.page', { view: 'favorites' }, { where: elsewhere })).body.value).toBe(ownInPersonal);
    const link = `https://partner.microsoft.com/dashboard/referrals/v2/leads/${posted.id}`;
    const unfurled = (await h.turn(extensionLink(elsewhere, nora, link, SERVICE_URL))).find((r) => r.type === 'invokeResponse')?.value as { body: object };
    expect(noCustomerData(JSON.stringify(unfurled.body))).toEqual([]);

    const mine = personal(nora);
    expect(seen(cardOf((await h.say(nora, 'favorites', mine))[0])).all).toContain('Posted in Sales');
    expect(seen(cardOf((await h.say(nora, `lead ${posted.id}`, mine))[0])).all).toContain('Fabrikam Ltd');
    expect((await h.click(nora, 'list.page', { view: 'mine' }, { where: mine })).card).toBeDefined();
  });

  it('no button reads or changes a lead its clicker may not read: favorite, snooze and take change nothing', async () => {
    const h = await harness();
    const before = (await h.app.leads.get(h.leadId))?.lead;
    for (const [verb, data] of [
      ['lead.favorite', {}],
      ['lead.snooze', { until: 'day' }],
      ['lead.take', {}],
      ['insights.show', { period: '7d' }],
    ] as const) {
      const answer = await h.click(nora, verb, { leadId: h.leadId, ...data });
      expect([verb, noCustomerData(JSON.stringify(answer.body))]).toEqual([verb, []]);
      // What nora sees: the lead's own card turned into why not, or the words why.
      const told = answer.card ? seen(answer.card as CardAttachment).texts : [answer.body.value];
      expect([verb, told]).toEqual([verb, verb === 'insights.show' ? [NEEDS_VIEWER] : ['🔒 A Partner Center lead', NEEDS_VIEWER]]);
    }
    expect((await h.app.leads.get(h.leadId))?.lead).toEqual(before);
  });

  it('unfurls are never cached by Teams: who may read a lead depends on the person and the conversation', async () => {
    const h = await harness();
    const link = `https://partner.microsoft.com/dashboard/referrals/v2/leads/${h.leadId}`;
    const answer = (await h.turn(extensionLink(groupChat(), dana, link, SERVICE_URL))).find((r) => r.type === 'invokeResponse')?.value as { body: { composeExtension: { suggestedActions?: unknown } } };
    expect(answer.body.composeExtension.suggestedActions).toEqual({ actions: [{ type: 'setCachePolicy', value: '{"type":"no-cache"}' }] });
  });

  it('says why in German to a German client', async () => {
    const h = await harness();
    expect((await h.say(nora, 'marketplace', place, 'de-DE'))[0]?.text).toBe('Dafür benötigen Sie die Rolle „Lead-Betrachter“ – fragen Sie einen Partneradministrator.');
    expect((await h.say(nora, 'subscribe', place, 'de-DE'))[0]?.text).toBe('Das können nur Empfehlungsadministratoren und MPN-Partneradministratoren – fragen Sie einen Partneradministrator.');
  });

  it('logs every refusal once, with who and what, and nothing of the lead', async () => {
    const lines: Record<string, unknown>[] = [];
    const log = createLogger('info', { destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) } });
    const h = await harness({ log, env: { LEAD_VIEWER_IDS: USER_ID } });
    await h.say(nora, `lead ${h.leadId}`);
    await h.click(nora, 'lead.acceptForm', { leadId: h.leadId, revision: 1 });
    await h.say(nora, 'subscribe');
    await h.click(nora, 'settings.save', { reminders: 'false' });
    await h.click(vic, 'lead.accept', { leadId: h.leadId, revision: 1, dealName: 'Mine', dealValue: '1', currency: 'EUR', purchaseDate: '2027-01-15' }, { where: groupChat() });
    const refusals = lines.filter((l) => l.msg === 'refused: not allowed by role');
    expect(refusals.map((l) => [l.user, l.what, l.need])).toEqual([
      [NOBODY_ID, `lead ${h.leadId}`, 'read'],
      [NOBODY_ID, `lead ${h.leadId}`, 'read'],
      [NOBODY_ID, 'subscribe', 'change'],
      [NOBODY_ID, 'settings.save', 'admin'],
      [USER_ID, 'accept', 'change'],
    ]);
    expect(noCustomerData(JSON.stringify(lines))).toEqual([]);
  });
});

describe('a lead assigned to someone reaches them', () => {
  const SAM = { aadObjectId: '6f1c1a52-3d1e-4a8e-9b44-2b1f7d0c9e10', teamsUserId: '29:sam', name: 'Sam Lee' };
  const DANA_MEMBER = { aadObjectId: dana.aadObjectId, teamsUserId: dana.id, name: dana.name };

  it('in their personal chat, with the way to answer it; assigning it to yourself tells no one', async () => {
    const { h, gateway, posted } = await withPostedLead('For Sam', [SAM, DANA_MEMBER]);
    await h.click(dana, 'lead.assign', { leadId: posted.id, ownerId: SAM.aadObjectId });
    await deliver(h);
    const told = gateway.of('assigned', 'post');
    expect(told.map((s) => s.conversationId)).toEqual(['a:personal-29:sam']);
    expect(gateway.opened).toEqual(['29:sam']);

    await h.click(dana, 'lead.assign', { leadId: posted.id, ownerId: dana.aadObjectId });
    await deliver(h);
    expect((await h.app.leads.get(posted.id))?.lead.owner?.name).toBe('Dana Admin');
    expect(gateway.of('assigned', 'post')).toHaveLength(1);
  });

  it('is told once, though its change is projected again after a failure and another change follows', async () => {
    const { h, gateway, posted } = await withPostedLead('For Sam', [SAM, DANA_MEMBER]);
    await h.click(dana, 'lead.assign', { leadId: posted.id, ownerId: SAM.aadObjectId });
    // Storage refuses to clear the change once: what it owes stays pending, and is projected again with the next change.
    const leads = h.app.leads;
    const clear = leads.clearPending.bind(leads);
    let refuseOnce = true;
    leads.clearPending = async (...args: Parameters<typeof clear>) => {
      if (!refuseOnce) return clear(...args);
      refuseOnce = false;
      throw new Error('storage refused');
    };
    await deliver(h);
    await h.click(dana, 'lead.favorite', { leadId: posted.id });
    await deliver(h);
    expect(refuseOnce).toBe(false);
    expect(gateway.of('assigned', 'post')).toHaveLength(1);
  });

  it("a personal chat the bot opens for it takes the team's stream when a partner admin gave it", async () => {
    const { h, posted } = await withPostedLead('For Sam', [SAM, DANA_MEMBER]);
    await h.app.product.roles.stream(pat.aadObjectId, { id: SAM.aadObjectId, name: SAM.name }, true);
    await h.click(dana, 'lead.assign', { leadId: posted.id, ownerId: SAM.aadObjectId });
    await deliver(h);
    expect(await subscribedIds(h)).toEqual(expect.arrayContaining(['a:personal-29:sam']));
  });

  it("opens for its owner in their personal chat, though they have no role and it is posted elsewhere", async () => {
    const gateway = new RecordingGateway(() => new Date());
    gateway.memberLists.set(place.conversation.id, [{ aadObjectId: NOBODY_ID, teamsUserId: nora.id, name: nora.name }]);
    const h = await harness({ gateway });
    await h.click(dana, 'lead.assign', { leadId: h.leadId, revision: 1, ownerId: NOBODY_ID });
    const opened = await h.click(nora, 'lead.open', { leadId: h.leadId }, { where: personal(nora) });
    expect(seen(opened.card as CardAttachment).all).toContain('Fabrikam Ltd');
  });
});
