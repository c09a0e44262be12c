/**
 * End to end: the real server and Azurite, Teams played by HTTP requests to /api/messages exactly
 * as Teams sends them, and a loopback fake of the Bot Connector receiving what the bot sends.
 */
import { referral } from '../fixtures/referrals';
import { FakeClock } from '../support/app';
import { FakeConnector } from '../support/fakeConnector';
import { getJson, postJson, startServer } from '../support/http';
import { USER_ID } from '../support/settings';
import { startTestStorage, type TestStorage } from '../support/storage';
import { channel, dana, execute, extensionQuery, groupChat, installUpdate, message, vic } from '../support/teamsActivities';

const KEY = 'end-to-end-key-0123456789';
const auth = { authorization: `Bearer ${KEY}` };

let storage: TestStorage;
let connector: FakeConnector;
let server: Awaited<ReturnType<typeof startServer>>;

beforeAll(async () => {
  storage = await startTestStorage();
  connector = await new FakeConnector().start();
  // Vic is a Lead viewer: he searches and shares leads.
  server = await startServer(storage, { LEADS_API_KEY: KEY, LEAD_VIEWER_IDS: USER_ID });
});
afterAll(async () => {
  await server.stop();
  await connector.stop();
  await storage.close();
});

const teams = (activity: object) => postJson(`${server.url}/api/messages`, activity);
const buttons = (activity: any): string[] => JSON.stringify(activity.attachments?.[0]?.content ?? {}).match(/"title":"[^"]+"/g) ?? [];
const text = (activity: any): string => JSON.stringify(activity.attachments?.[0]?.content ?? {});

describe('a lead from ingestion to Won, in Teams', () => {
  it('posts the card in every subscribed conversation and keeps every copy up to date', async () => {
    const sales = channel('19:e2e-sales@thread.tacv2');
    const chat = groupChat('19:e2e-chat@thread.v2');
    connector.teamChannels.set('19:team@thread.tacv2', [{ id: '19:team@thread.tacv2' }, { id: sales.conversation.id, name: 'E2E Sales' }]);
    expect((await teams(installUpdate(sales, dana, connector.url))).status).toBe(200);
    expect((await teams(installUpdate(chat, dana, connector.url))).status).toBe(200);
    // The welcome cards, and nothing else until a lead admin chooses: the team's, from Teams' list of its channels.
    expect(connector.posts()).toHaveLength(2);
    expect(text(connector.posts(sales.conversation.id)[0]?.activity)).toContain('"title":"E2E Sales"');
    const chooseSales = await teams(execute(sales, dana, 'welcome.channel', { channelId: sales.conversation.id, leadKinds: 'marketplace,qualified' }, connector.url));
    expect(JSON.stringify(chooseSales.body)).toContain('New marketplace and qualified leads go to E2E Sales');
    expect((await teams(execute(chat, dana, 'welcome.here', {}, connector.url))).body.statusCode).toBe(200);

    const input = referral({ name: 'E2E lead', details: { customerRequestedContact: true, notes: 'Call us' } });
    expect((await postJson(`${server.url}/api/leads`, input, auth)).status).toBe(201);
    await server.app.settle();

    const cardPosts = connector.posts().filter((p) => text(p.activity).includes('E2E lead') && text(p.activity).includes('lead.acceptForm'));
    expect(cardPosts.map((p) => p.conversationId).sort()).toEqual([chat.conversation.id, sales.conversation.id].sort());
    const alerts = connector.posts().filter((p) => text(p.activity).includes('asked to be contacted') && !text(p.activity).includes('lead.acceptForm'));
    expect(alerts.map((p) => p.conversationId)).toEqual([sales.conversation.id]);
    const salesCard = cardPosts.find((p) => p.conversationId === sales.conversation.id);

    const click = async (verb: string, data: Record<string, unknown>) => {
      const answer = await teams(execute(sales, dana, verb, { leadId: input.id, ...data }, connector.url, { replyToId: salesCard?.activityId }));
      expect(answer.status).toBe(200);
      await server.app.settle();
      return answer.body;
    };

    const accepted = await click('lead.accept', { revision: 1, dealName: 'E2E deal', dealValue: '5000', currency: 'EUR', purchaseDate: '2027-01-15' });
    expect(accepted).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.card.adaptive' });
    await click('lead.edit', { revision: 2, dealName: 'E2E deal (bigger)', dealValue: '9000', currency: 'EUR', purchaseDate: '2027-02-01' });
    await click('lead.addEmployee', { employeeName: 'Lee Gu', employeeEmail: 'lee@partner.example' });
    const won = await click('lead.won', {});
    expect(JSON.stringify(won.value)).toContain('Won by Dana Admin');

    for (const place of [sales, chat]) {
      // The card first posted in this conversation is the one that now shows the outcome…
      const firstPost = cardPosts.find((p) => p.conversationId === place.conversation.id);
      const card = connector.current(place.conversation.id).get(firstPost?.activityId ?? '');
      expect(text(card)).toContain('E2E deal (bigger)');
      expect(text(card)).toContain('Lee Gu');
      expect(text(card)).toContain('Won by Dana Admin');
      expect(buttons(card).join()).not.toMatch(/Accept|Edit|Won"|Lost"/);
      // …updated in place once per change (accept, edit, add employee, won), never posted anew.
      expect(connector.updates(place.conversation.id).filter((u) => u.activityId === firstPost?.activityId)).toHaveLength(4);
    }
    expect(connector.posts().filter((p) => text(p.activity).includes('E2E deal'))).toHaveLength(0);

    const read = await getJson(`${server.url}/api/leads/${input.id}`, auth);
    expect(read.body.history.map((e: { type: string }) => e.type)).toEqual(['receive', 'accept', 'edit', 'addEmployee', 'markWon']);
  });

  it('keeps a favorite personal: the clicker gets ♥ and the shared card asks favoriters to refresh', async () => {
    const sales = channel('19:e2e-fav@thread.tacv2');
    await teams(installUpdate(sales, dana, connector.url));
    await teams(message(sales, dana, 'subscribe', connector.url));
    const input = referral({ name: 'Fav lead' });
    await postJson(`${server.url}/api/leads`, input, auth);
    await server.app.settle();
    const answer = await teams(execute(sales, vic, 'lead.favorite', { leadId: input.id }, connector.url));
    expect(JSON.stringify(answer.body.value)).toContain('♥ Favorited');
    await server.app.settle();
    const shared = [...connector.current(sales.conversation.id).values()].find((a) => text(a).includes('Fav lead'));
    expect(text(shared)).toContain('♡ Favorite');
    expect(shared.attachments[0].content.refresh.userIds).toEqual([vic.id]);
  });

  it('finds a lead for the message extension over HTTP, and a card shared from it refreshes for everyone in the chat', async () => {
    const chat = groupChat('19:e2e-search@thread.v2');
    const input = referral({ name: 'Searchable Tailspin rollout', customerProfile: { name: 'Tailspin Toys', team: [] } });
    await postJson(`${server.url}/api/leads`, input, auth);
    await server.app.settle();

    const answer = await teams(extensionQuery(chat, vic, 'tailsp', connector.url));
    expect(answer.status).toBe(200);
    expect(answer.body.composeExtension).toMatchObject({ type: 'result', attachmentLayout: 'list' });
    const [result] = answer.body.composeExtension.attachments;
    expect(result.preview.content).toMatchObject({ title: 'Searchable Tailspin rollout', subtitle: 'Tailspin Toys' });
    expect(result.content.refresh).toEqual({ action: { type: 'Action.Execute', verb: 'refresh', data: { leadId: input.id, shared: true } } });
    // The bot posts nothing for a search: the person inserts the card.
    expect(connector.posts().filter((p) => p.conversationId === chat.conversation.id)).toEqual([]);
  });

  it('loses and duplicates nothing through a storm of 429s and 500s', async () => {
    const clock = new FakeClock(Date.now());
    const stormy = await startServer(storage, { LEADS_API_KEY: KEY }, clock.now);
    try {
      const sales = channel('19:e2e-storm@thread.tacv2');
      await postJson(`${stormy.url}/api/messages`, installUpdate(sales, dana, connector.url));
      await postJson(`${stormy.url}/api/messages`, message(sales, dana, 'subscribe', connector.url));
      const before = connector.posts(sales.conversation.id).length;
      connector.failNext({ status: 429, retryAfterSeconds: 30 }, { status: 429 }, { status: 500 }, { status: 503 }, { status: 429, retryAfterSeconds: 2 });
      const inputs = [referral({ name: 'Storm 1' }), referral({ name: 'Storm 2' }), referral({ name: 'Storm 3' })];
      await postJson(`${stormy.url}/api/leads`, inputs, auth);
      await stormy.app.settle();
      for (let minute = 0; minute < 10; minute++) {
        clock.advance(60_000);
        stormy.app.kickSends();
        await stormy.app.settle();
      }
      const names = connector.posts(sales.conversation.id).slice(before).map((p) => text(p.activity).match(/Storm \d/)?.[0]);
      expect(names.sort()).toEqual(['Storm 1', 'Storm 2', 'Storm 3']);
      expect(await stormy.app.outbox.deadLetters()).toEqual([]);
    } finally {
      await stormy.stop();
    }
  });
});

describe('owners, with the real server and the Bot Connector', () => {
  const sam = { id: '29:e2e-sam', aadObjectId: '6f1c1a52-3d1e-4a8e-9b44-2b1f7d0c9e10', name: 'Sam Lee', email: 'sam@partner.example' };
  const kim = { id: '29:e2e-kim', aadObjectId: '0b7e3f4c-5a6d-4e8f-9a1b-2c3d4e5f6a7b', name: 'Kim Ito', email: 'kim@partner.example' };

  it("assigns from the conversation's members, then reminds the owner in a personal chat it opens once; @mentions in the channel whom it cannot reach", async () => {
    const clock = new FakeClock(Date.parse('2026-11-20T09:00:00Z'));
    const timed = await startServer(storage, { LEADS_API_KEY: KEY }, clock.now);
    try {
      const sales = channel('19:e2e-owners@thread.tacv2');
      connector.members.set(sales.conversation.id, [{ id: dana.id, aadObjectId: dana.aadObjectId, name: dana.name }, sam, kim]);
      await postJson(`${timed.url}/api/messages`, installUpdate(sales, dana, connector.url));
      await postJson(`${timed.url}/api/messages`, message(sales, dana, 'subscribe', connector.url));
      const created = new Date(clock.now().getTime() - 10 * 24 * 3_600_000).toISOString(); // four days left
      const [mine, theirs] = [referral({ name: 'Owned by Sam', createdDateTime: created }), referral({ name: 'Owned by Kim', createdDateTime: created })];
      await postJson(`${timed.url}/api/leads`, [mine, theirs], auth);
      await timed.app.settle();
      const click = async (leadId: string, verb: string, data: Record<string, unknown> = {}) =>
        (await postJson(`${timed.url}/api/messages`, execute(sales, dana, verb, { leadId, ...data }, connector.url))).body.value;

      // The picker offers the channel's members (asked of the Bot Connector), and Teams' search among them.
      const form = await click(mine.id, 'lead.assignForm');
      const picker = JSON.stringify(form);
      expect(picker).toContain('graph.microsoft.com/users?scope=currentContext');
      for (const name of ['Dana Admin', 'Sam Lee (sam@partner.example)', 'Kim Ito (kim@partner.example)']) expect(picker).toContain(name);
      expect(JSON.stringify(await click(mine.id, 'lead.assign', { ownerId: sam.aadObjectId }))).toContain('Owner: Sam Lee · assigned by Dana Admin');
      await click(theirs.id, 'lead.assign', { ownerId: kim.aadObjectId });
      connector.unreachable.add(kim.id);
      await timed.app.settle();

      const expires = Date.parse((await timed.app.leads.get(mine.id))!.lead.expiresAt);
      for (const hoursLeft of [72, 24]) {
        clock.set(new Date(expires - hoursLeft * 3_600_000 + 1000));
        timed.app.tick();
        await timed.app.settle();
        timed.app.kickSends();
        await timed.app.settle();
      }
      // Sam: a personal chat, opened once with the tenant: that Dana made him the owner, then both reminders with Snooze.
      const opened = connector.created.filter((c) => c.members[0].id === sam.id);
      expect(opened).toHaveLength(1);
      expect(opened[0]).toMatchObject({ isGroup: false, tenantId: sales.conversation.tenantId, channelData: { tenant: { id: sales.conversation.tenantId } } });
      const samChat = connector.posts(`a:personal-${sam.id}`).map((p) => text(p.activity));
      expect(samChat).toHaveLength(3);
      expect(samChat[0]).toContain('👤 Dana Admin made you the owner of Owned by Sam');
      expect(samChat[1]).toContain('Owned by Sam (Fabrikam Ltd) expires in');
      expect(samChat[1]).toContain('lead.snooze');
      // Kim: Teams refused the chat, so the channel gets the news and the reminders with a real mention.
      const mentions = connector.posts(sales.conversation.id).filter((p) => text(p.activity).includes('Owned by Kim') && text(p.activity).includes('<at>Kim Ito</at>'));
      expect(mentions.map((p) => text(p.activity).includes('made you the owner'))).toEqual([true, false, false]);
      expect(mentions[1]?.activity.attachments[0].content.msteams.entities).toEqual([{ type: 'mention', text: '<at>Kim Ito</at>', mentioned: { id: kim.id, name: 'Kim Ito' } }]);
      expect(connector.posts(sales.conversation.id).filter((p) => text(p.activity).includes('Owned by Sam') && text(p.activity).includes('expires in'))).toHaveLength(0);
    } finally {
      await timed.stop();
    }
  });
});

describe('private and shared channels', () => {
  it("posts cards and proactive messages to the private channel itself, and offers its own members, not the team's", async () => {
    const privateChannel = channel('19:e2e-private@thread.tacv2');
    privateChannel.channelData = { ...privateChannel.channelData, team: { id: '19:e2e-team@thread.tacv2', name: 'Sales', aadGroupId: '0c0ffee0-0000-4000-8000-00000000cafe' }, channel: { id: privateChannel.conversation.id, type: 'private' } };
    const sam = { id: '29:e2e-private-sam', aadObjectId: '6f1c1a52-3d1e-4a8e-9b44-2b1f7d0c9e11', name: 'Sam Private', email: 'sam.p@partner.example' };
    const outsider = { id: '29:e2e-team-only', aadObjectId: '6f1c1a52-3d1e-4a8e-9b44-2b1f7d0c9e12', name: 'Team Only', email: 'team.only@partner.example' };
    connector.members.set('19:e2e-team@thread.tacv2', [{ id: dana.id, aadObjectId: dana.aadObjectId, name: dana.name }, sam, outsider]);
    connector.members.set(privateChannel.conversation.id, [{ id: dana.id, aadObjectId: dana.aadObjectId, name: dana.name }, sam]);
    await teams(installUpdate(privateChannel, dana, connector.url));
    await teams(message(privateChannel, dana, 'subscribe', connector.url));
    const input = referral({ name: 'Private channel lead' });
    await postJson(`${server.url}/api/leads`, input, auth);
    await server.app.settle();

    const posted = connector.posts(privateChannel.conversation.id).filter((p) => text(p.activity).includes('Private channel lead'));
    expect(posted).toHaveLength(1);
    const form = JSON.stringify((await teams(execute(privateChannel, dana, 'lead.assignForm', { leadId: input.id }, connector.url))).body.value);
    expect(form).toContain('Sam Private (sam.p@partner.example)');
    expect(form).not.toContain('Team Only');

    // Assigned to Sam, who cannot be reached in person: told in the private channel, with a mention.
    connector.unreachable.add(sam.id);
    await teams(execute(privateChannel, dana, 'lead.assign', { leadId: input.id, ownerId: sam.aadObjectId }, connector.url));
    await server.app.settle();
    const told = connector.posts(privateChannel.conversation.id).filter((p) => text(p.activity).includes('made you the owner'));
    expect(told.map((p) => p.activity.attachments[0].content.msteams.entities[0].mentioned.id)).toEqual([sam.id]);
    expect(connector.posts('19:e2e-team@thread.tacv2')).toEqual([]);
  });
});

describe('time, with the real server', () => {
  it('gives a back-dated lead its reminder, its expiry and its flame state on time', async () => {
    const clock = new FakeClock(Date.parse('2026-11-20T09:00:00Z'));
    const timed = await startServer(storage, { LEADS_API_KEY: KEY }, clock.now);
    try {
      const sales = channel('19:e2e-time@thread.tacv2');
      await postJson(`${timed.url}/api/messages`, installUpdate(sales, dana, connector.url));
      await postJson(`${timed.url}/api/messages`, message(sales, dana, 'subscribe', connector.url));
      const created = new Date(clock.now().getTime() - (13 * 24 + 1) * 3_600_000).toISOString(); // 23 hours left
      const input = referral({ name: 'Back-dated lead', createdDateTime: created, details: { customerRequestedContact: true } });
      await postJson(`${timed.url}/api/leads`, input, auth);
      await timed.app.settle();
      const posted = () => connector.posts(sales.conversation.id).map((p) => text(p.activity));

      // Past the 72-hour flame window on arrival: ⏳ from the start, and no 🔥 alert.
      expect(posted().filter((t) => t.includes('Back-dated lead') && t.includes('still waiting'))).toHaveLength(1);
      expect(posted().filter((t) => t.includes('respond quickly'))).toHaveLength(0);

      timed.app.tick();
      await timed.app.settle();
      timed.app.tick();
      await timed.app.settle();
      const reminders = posted().filter((t) => t.includes('⏰'));
      expect(reminders).toHaveLength(1);
      expect(reminders[0]).toContain('Back-dated lead');
      expect(reminders[0]).toContain('lead.acceptForm');

      clock.advance(24 * 3_600_000);
      timed.app.tick();
      await timed.app.settle();
      const card = [...connector.current(sales.conversation.id).values()].find((a) => text(a).includes('Back-dated lead') && text(a).includes('Respond') === false && text(a).includes('Expired'));
      expect(card).toBeDefined();
      expect(text(card)).not.toContain('lead.acceptForm');
      expect(posted().filter((t) => t.includes('Expired — not answered within 14 days. Partner Center archives it'))).toHaveLength(1);
    } finally {
      await timed.stop();
    }
  });
});

describe('activities Teams would never send', () => {
  it('refuses them with 400 or 415 before a turn starts, instead of a 500 or a failed turn', async () => {
    const valid = message(groupChat('19:e2e-malformed@thread.v2'), vic, 'help', connector.url);
    const refused = [
      { ...valid, type: undefined }, // botbuilder threw: 500
      { ...valid, from: undefined }, // the bot read from.aadObjectId: a failed turn
      { ...valid, locale: 42 },
      { ...valid, conversation: { ...valid.conversation, id: 'ünïcode-🔥' } }, // not a valid header for the reply
      { ...valid, recipient: { ...valid.recipient, role: { not: 'a string' } } }, // the reply could not be serialized
      { ...valid, from: { ...vic, aadObjectId: 'a/b#c?' } }, // not a storage key
      { ...valid, serviceUrl: 'javascript:alert(1)' },
    ];
    for (const activity of refused) {
      const answer = await teams(activity);
      expect(answer).toMatchObject({ status: 400, body: { error: { code: 'invalid_activity' } } });
    }
    const asText = await postJson(`${server.url}/api/messages`, JSON.stringify(valid), { 'content-type': 'text/plain' });
    expect(asText.status).toBe(415);
    for (const body of ['{"type": "message", ', '']) {
      const broken = await postJson(`${server.url}/api/messages`, body);
      expect({ status: broken.status, code: broken.body?.error?.code }).toEqual({ status: 400, code: 'malformed_json' });
    }
    expect(connector.posts('19:e2e-malformed@thread.v2')).toHaveLength(0);
    expect((await teams(valid)).status).toBe(200);
  });
});
