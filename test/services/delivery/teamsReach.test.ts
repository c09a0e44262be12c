/**
 * Reaching a person the Teams way, tried as a new tenant would: their own events in their activity
 * feed (Microsoft Graph, as the bot) linked to the lead's card; a 1:1 message or an @mention where
 * Graph refuses, said once and shown on the status; the app installed for an owner the bot cannot
 * otherwise reach, when an admin allowed it. Graph and its identity provider are loopback fakes as
 * unkind as the real ones; Teams is the recording gateway.
 */
import { Writable } from 'node:stream';
import type { Actor } from '../../../services/leads/leadLifecycle';
import { createLogger } from '../../../services/logger';
import { conversationKey } from '../../../services/storage/conversationStore';
import { referral } from '../../fixtures/referrals';
import { FakeGraph, type GraphPermission } from '../../support/fakeGraph';
import { FakeIdentity } from '../../support/fakeIdentity';
import { HOUR, T0, worldsOnOneStorage } from '../../support/world';

const world = worldsOnOneStorage();

const BOT_ID = '5b7a1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d';
const BOT_SECRET = 'the-bot-secret-0123456789';
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const SAM_ID = '6f1c1a52-3d1e-4a8e-9b44-2b1f7d0c9e10';
const KIM_ID = '0b7e3f4c-5a6d-4e8f-9a1b-2c3d4e5f6a7b';
const dana: Actor = { kind: 'user', id: 'd1000000-0000-4000-8000-00000000da0a', name: 'Dana Miller', canManage: true, teamsUserId: '29:dana' };
const CHANNEL = '19:sales@thread.tacv2';
const ALL: GraphPermission[] = ['TeamsActivity.Send', 'TeamsAppInstallation.ReadWriteAndConsentSelfForUser.All', 'AppCatalog.Read.All'];

let identity: FakeIdentity;
let graph: FakeGraph;
beforeEach(async () => {
  identity = await new FakeIdentity().start();
  identity.registerApp(BOT_ID, BOT_SECRET, TENANT);
  graph = await new FakeGraph(identity, BOT_ID).start();
  graph.catalog.push({ id: 'a7e6c0d4-catalog-0000-0000-000000000001', externalId: BOT_ID });
});
afterEach(async () => {
  await graph.stop();
  await identity.stop();
});

/** A production-like world (the bot's identity set) whose Microsoft Graph is the fake; its warnings are kept. */
async function tenant(env: Record<string, string> = {}) {
  const warnings: { msg: string; feature?: string }[] = [];
  const log = createLogger('warn', {
    destination: new Writable({
      write(chunk, _encoding, done) {
        warnings.push(JSON.parse(String(chunk)) as { msg: string });
        done();
      },
    }),
  });
  const w = await world({
    log,
    env: {
      MicrosoftAppId: BOT_ID,
      MicrosoftAppPassword: BOT_SECRET,
      MicrosoftAppType: 'SingleTenant',
      MicrosoftAppTenantId: TENANT,
      LEADS_API_KEY: 'reach-test-key-0123456789',
      AZURE_TABLES_ENDPOINT: 'https://leads.table.core.windows.net',
      GRAPH_URL: graph.url,
      GRAPH_AUTHORITY_HOST: identity.url,
      ...env,
    },
  });
  const input = referral({ name: 'Fabrikam cloud migration', createdDateTime: T0.toISOString() });
  await w.app.ingest([input]);
  await w.settle();
  const assign = async (id: string, name: string, teamsUserId: string) => {
    await w.app.act(input.id, { kind: 'assign', owner: { id, name, teamsUserId } }, dana);
    await w.tick();
  };
  const cardInChannel = () => w.gateway.sent.find((s) => s.op === 'post' && s.conversationId === CHANNEL && s.message.kind === 'leadCard')!;
  return { ...w, leadId: input.id, assign, cardInChannel, warnings };
}

describe('the activity feed', () => {
  it("puts a lead assigned to someone in their activity feed, linked to the lead's card in its channel, and nowhere else", async () => {
    graph.granted.add('TeamsActivity.Send');
    graph.installedFor.set(SAM_ID, []);
    const w = await tenant();

    await w.assign(SAM_ID, 'Sam Lee', '29:sam');

    const card = w.cardInChannel();
    expect(graph.feedOf(SAM_ID)).toEqual([
      {
        user: SAM_ID,
        activityType: 'leadAssigned',
        topic: { source: 'text', value: 'Fabrikam cloud migration', webUrl: `https://teams.microsoft.com/l/message/${encodeURIComponent(CHANNEL)}/${card.activityId}?parentMessageId=${card.activityId}&createdTime=${card.activityId}` },
        previewText: { content: 'en: assigned of Fabrikam cloud migration' },
        templateParameters: [
          { name: 'assignedBy', value: 'Dana Miller' },
          { name: 'leadName', value: 'Fabrikam cloud migration' },
        ],
      },
    ]);
    expect(w.gateway.of('assigned')).toEqual([]);
    expect(w.gateway.opened).toEqual([]);
    expect(w.app.product.teamsReach().activityFeed).toEqual({ state: 'on' });
  });

  it("sends the owner's reminders and the expiry there too, with the time left", async () => {
    graph.granted.add('TeamsActivity.Send');
    graph.installedFor.set(SAM_ID, []);
    const w = await tenant();
    await w.assign(SAM_ID, 'Sam Lee', '29:sam');
    const expires = T0.getTime() + 14 * 24 * HOUR;

    for (const hoursLeft of [72, 24, 0]) {
      w.clock.set(new Date(expires - hoursLeft * HOUR + 1000));
      await w.tick();
    }

    expect(graph.feedOf(SAM_ID).map((n) => [n.activityType, n.templateParameters.find((p) => p.name === 'timeLeft')?.value])).toEqual([
      ['leadAssigned', undefined],
      ['leadReminder', '72 h'],
      ['leadReminder', '24 h'],
      ['leadExpired', undefined],
    ]);
    expect(w.gateway.sent.filter((s) => s.conversationId.startsWith('a:personal'))).toEqual([]);
  });

  it('falls back to a chat message when Graph answers 403 (no consent), says once in the log and on the status what to grant, and loses nothing', async () => {
    graph.installedFor.set(SAM_ID, []);
    const w = await tenant();

    await w.assign(SAM_ID, 'Sam Lee', '29:sam');
    w.clock.set(new Date(T0.getTime() + (14 * 24 - 72) * HOUR + 1000));
    await w.tick();

    expect(graph.notifications).toEqual([]);
    const chat = w.gateway.sent.filter((s) => s.conversationId === 'a:personal-29:sam').map((s) => s.message.kind);
    expect(chat).toEqual(['assigned', 'reminder']);
    const status = w.app.product.teamsReach().activityFeed;
    expect(status).toMatchObject({ state: 'refused', since: expect.any(String) });
    expect(status.reason).toMatch(/Microsoft Graph answered 403 Forbidden: Missing role permissions/);
    expect(status.reason).toMatch(/TeamsActivity\.Send/);
    expect(w.warnings.filter((l) => l.msg.startsWith('Microsoft Graph refused the bot'))).toHaveLength(1);

    // Consented: the next one goes to the feed, and the status says so.
    graph.granted.add('TeamsActivity.Send');
    w.clock.set(new Date(T0.getTime() + (14 * 24 - 24) * HOUR + 1000));
    await w.tick();
    expect(graph.feedOf(SAM_ID).map((n) => n.activityType)).toEqual(['leadReminder']);
    expect(w.app.product.teamsReach().activityFeed).toEqual({ state: 'on' });
  });

  it.each([403, 404] as const)('installs the app for an owner it is not installed for (Graph answers %i), when an admin allowed it, and notifies them', async (status) => {
    for (const permission of ALL) graph.granted.delete(permission);
    graph.granted.add('TeamsAppInstallation.ReadWriteAndConsentSelfForUser.All');
    graph.granted.add('AppCatalog.Read.All');
    graph.notInstalledStatus = status;
    const w = await tenant({ PROACTIVE_INSTALL: 'on' });

    await w.assign(SAM_ID, 'Sam Lee', '29:sam');

    // Installed with the resource-specific permission consented: that alone lets the bot notify them.
    expect(graph.installs).toEqual([{ user: SAM_ID, teamsAppId: 'a7e6c0d4-catalog-0000-0000-000000000001' }]);
    expect(graph.installedFor.get(SAM_ID)).toEqual(['TeamsActivity.Send.User']);
    expect(graph.feedOf(SAM_ID).map((n) => n.activityType)).toEqual(['leadAssigned']);
    expect(w.gateway.of('assigned')).toEqual([]);
  });

  it('without the admin allowing installs, tells a person the app is not installed for in a chat instead', async () => {
    graph.granted.add('TeamsActivity.Send');
    const w = await tenant();

    await w.assign(SAM_ID, 'Sam Lee', '29:sam');

    expect(graph.installs).toEqual([]);
    expect(graph.notifications).toEqual([]);
    expect(w.gateway.sent.filter((s) => s.conversationId === 'a:personal-29:sam').map((s) => s.message.kind)).toEqual(['assigned']);
    expect(w.app.product.teamsReach().proactiveInstall).toEqual({ state: 'off', reason: 'PROACTIVE_INSTALL is off' });
  });

  it('leaves out a person who muted it in the settings of their personal chat: they get the chat message', async () => {
    graph.granted.add('TeamsActivity.Send');
    graph.installedFor.set(SAM_ID, []);
    const w = await tenant();
    const chat = await w.app.conversations.save({ conversationId: 'a:personal-29:sam', scope: 'personal', userId: SAM_ID, installed: true, reference: {} });
    await w.app.conversations.saveSettings(chat.key, { ...chat.settings, activityFeed: false });

    await w.assign(SAM_ID, 'Sam Lee', '29:sam');

    expect(graph.notifications).toEqual([]);
    expect(w.gateway.sent.filter((s) => s.conversationId === 'a:personal-29:sam').map((s) => s.message.kind)).toEqual(['assigned']);
  });

  it('waits as Graph asks when it throttles (429), then notifies once, with no chat message meanwhile', async () => {
    graph.granted.add('TeamsActivity.Send');
    graph.installedFor.set(SAM_ID, []);
    const w = await tenant();
    graph.throttleNext(30);

    await w.assign(SAM_ID, 'Sam Lee', '29:sam');
    expect(graph.notifications).toEqual([]);
    w.clock.advance(20_000);
    await w.tick();
    expect(graph.notifications).toEqual([]);
    w.clock.advance(11_000);
    await w.tick();

    expect(graph.feedOf(SAM_ID).map((n) => n.activityType)).toEqual(['leadAssigned']);
    expect(w.gateway.of('assigned')).toEqual([]);
  });

  it("says the time left when it is sent: a reminder sent late (the first pass after the 24-hour mark) says so", async () => {
    graph.granted.add('TeamsActivity.Send');
    graph.installedFor.set(SAM_ID, []);
    const w = await tenant();
    await w.assign(SAM_ID, 'Sam Lee', '29:sam');

    w.clock.set(new Date(T0.getTime() + (14 * 24 - 20) * HOUR));
    await w.tick();

    const reminders = graph.feedOf(SAM_ID).filter((n) => n.activityType === 'leadReminder');
    expect(reminders.map((n) => n.templateParameters.find((p) => p.name === 'timeLeft')?.value)).toEqual(['20 h']);
    expect(reminders[0]!.previewText.content).toBe('en: reminder of Fabrikam cloud migration');
  });

  it('reaches people where only the resource-specific permission is consented: the app installed for whom Graph refuses, and the status stays on', async () => {
    graph.permissionFirst = true;
    graph.granted.add('TeamsAppInstallation.ReadWriteAndConsentSelfForUser.All');
    graph.granted.add('AppCatalog.Read.All');
    // Sam has the app personally, with its permission; Kim has it only through the team.
    graph.installedFor.set(SAM_ID, ['TeamsActivity.Send.User']);
    const w = await tenant({ PROACTIVE_INSTALL: 'on' });

    await w.assign(SAM_ID, 'Sam Lee', '29:sam');
    await w.assign(KIM_ID, 'Kim Ito', '29:kim');

    expect(graph.feedOf(SAM_ID).map((n) => n.activityType)).toEqual(['leadAssigned']);
    expect(graph.feedOf(KIM_ID).map((n) => n.activityType)).toEqual(['leadAssigned']);
    expect(graph.installs.map((i) => i.user)).toEqual([KIM_ID]);
    expect(w.app.product.teamsReach().activityFeed).toEqual({ state: 'on' });
    expect(w.warnings.filter((l) => l.msg.startsWith('Microsoft Graph refused the bot'))).toEqual([]);
  });

  it('is off when the tenant says so: the chat message, and no call to Graph', async () => {
    graph.granted.add('TeamsActivity.Send');
    graph.installedFor.set(SAM_ID, []);
    const w = await tenant({ ACTIVITY_FEED: 'off' });

    await w.assign(SAM_ID, 'Sam Lee', '29:sam');

    expect(graph.notifications).toEqual([]);
    expect(identity.grants('client_credentials')).toEqual([]);
    expect(w.gateway.of('assigned').map((s) => s.conversationId)).toEqual(['a:personal-29:sam']);
    expect(w.app.product.teamsReach().activityFeed).toEqual({ state: 'off', reason: 'ACTIVITY_FEED is off' });
  });
});

describe('every owner reachable', () => {
  it('installs the app for an owner Teams will not open a chat with, then opens it and tells them there', async () => {
    graph.granted.add('TeamsAppInstallation.ReadWriteAndConsentSelfForUser.All');
    graph.granted.add('AppCatalog.Read.All');
    const w = await tenant({ ACTIVITY_FEED: 'off', PROACTIVE_INSTALL: 'on' });
    w.gateway.unreachable.add('29:kim');
    // Once the app is installed for her, Teams lets the bot start a chat with her.
    graph.onInstall = (user) => user === KIM_ID && w.gateway.unreachable.delete('29:kim');

    await w.assign(KIM_ID, 'Kim Ito', '29:kim');

    expect(graph.installs.map((i) => i.user)).toEqual([KIM_ID]);
    expect(w.gateway.of('assigned').map((s) => s.conversationId)).toEqual(['a:personal-29:kim']);
    expect((await w.app.conversations.personalChatOf(KIM_ID))?.key).toBe(conversationKey('a:personal-29:kim'));
  });

  it('@mentions an owner it cannot reach in the channel, as before, when Graph will not install the app, and says why on the status', async () => {
    const w = await tenant({ ACTIVITY_FEED: 'off', PROACTIVE_INSTALL: 'on' });
    w.gateway.unreachable.add('29:kim');

    await w.assign(KIM_ID, 'Kim Ito', '29:kim');

    expect(graph.installs).toEqual([]);
    const told = w.gateway.of('assigned');
    expect(told.map((s) => [s.conversationId, s.message.kind === 'assigned' && s.message.mention?.teamsUserId]).sort()).toEqual([
      ['19:chat@thread.v2', '29:kim'],
      [CHANNEL, '29:kim'],
    ]);
    expect(w.app.product.teamsReach().proactiveInstall.reason).toMatch(/403 Forbidden.*AppCatalog\.Read\.All/);
  });
});
