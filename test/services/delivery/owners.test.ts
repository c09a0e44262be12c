/**
 * Who is on each lead: taking and assigning (raced, idempotent, refused once archived), reminders
 * and the expiry notice to the owner's personal chat (opened once, reused; an @mention in the
 * lead's rooms when Teams refuses), Snooze exactly once, @mentions on new leads, and the owner's
 * and the unassigned lists served from their index.
 */
import type { Actor } from '../../../services/leads/leadLifecycle';
import { conversationKey } from '../../../services/storage/conversationStore';
import { referral } from '../../fixtures/referrals';
import { makeApp } from '../../support/app';
import { HOUR, T0, worldsOnOneStorage } from '../../support/world';

const world = worldsOnOneStorage();

const SAM_ID = '6f1c1a52-3d1e-4a8e-9b44-2b1f7d0c9e10';
const KIM_ID = '0b7e3f4c-5a6d-4e8f-9a1b-2c3d4e5f6a7b';
const dana: Actor = { kind: 'user', id: 'd1000000-0000-4000-8000-00000000da0a', name: 'Dana Miller', canManage: true, teamsUserId: '29:dana' };
const sam: Actor = { kind: 'user', id: SAM_ID, name: 'Sam Lee', canManage: true, teamsUserId: '29:sam' };
const kim: Actor = { kind: 'user', id: KIM_ID, name: 'Kim Ito', canManage: true, teamsUserId: '29:kim' };
const viewer: Actor = { kind: 'user', id: 'v1000000-0000-4000-8000-0000000000v1'.replace(/v/g, 'a'), name: 'Vic Viewer', canManage: false };
const deal = { name: 'Deal', value: 5000, currency: 'EUR', purchaseDate: '2027-01-31' };
const SAM_CHAT = 'a:personal-29:sam';
const CHANNEL = '19:sales@thread.tacv2';
const GROUP_CHAT = '19:chat@thread.v2';

async function newLead(w: Awaited<ReturnType<typeof world>>, overrides: Parameters<typeof referral>[0] = {}) {
  const input = referral({ createdDateTime: T0.toISOString(), ...overrides });
  await w.app.ingest([input]);
  await w.settle();
  return input.id;
}

/** A new lead Sam took, and its deadline. */
async function samsLead(w: Awaited<ReturnType<typeof world>>) {
  const id = await newLead(w);
  await w.app.act(id, { kind: 'take', teamsUserId: '29:sam' }, sam);
  await w.settle();
  return { id, expires: T0.getTime() + 14 * 24 * HOUR };
}

describe('taking and assigning', () => {
  it('Take it makes the clicker the owner; a second click is no change; Assign… reassigns, audited', async () => {
    const w = await world();
    const id = await newLead(w);
    expect(await w.app.act(id, { kind: 'take', teamsUserId: '29:sam' }, sam)).toMatchObject({ status: 'changed', lead: { owner: { id: SAM_ID, name: 'Sam Lee', teamsUserId: '29:sam', by: { id: SAM_ID } } } });
    expect(await w.app.act(id, { kind: 'take' }, sam)).toMatchObject({ status: 'unchanged' });
    const reassigned = await w.app.act(id, { kind: 'assign', owner: { id: KIM_ID.toUpperCase(), name: 'Kim Ito', teamsUserId: '29:kim' } }, dana);
    expect(reassigned).toMatchObject({ status: 'changed', lead: { owner: { id: KIM_ID, name: 'Kim Ito', by: { name: 'Dana Miller' }, since: T0.toISOString() } } });
    const history = await w.app.leads.history(id);
    expect(history.map((e) => e.type)).toEqual(['receive', 'take', 'assign']);
    expect(history[2]).toMatchObject({ actor: { name: 'Dana Miller' }, before: { owner: { name: 'Sam Lee' } }, after: { owner: { name: 'Kim Ito' } } });
    // Owner changes are not deal changes: an Edit form opened before them still submits.
    expect(reassigned.status === 'changed' && reassigned.lead.revision).toBe(1);
  });

  it('two people clicking Take it at once: one owns it, the other is told who does', async () => {
    const w = await world({ instances: 2 });
    const id = await newLead(w);
    const [first, second] = await Promise.all([w.apps[0]!.act(id, { kind: 'take' }, sam), w.apps[1]!.act(id, { kind: 'take' }, kim)]);
    const results = [first, second];
    const winner = results.find((r) => r.status === 'changed');
    const loser = results.find((r) => r.status !== 'changed');
    expect(winner).toBeDefined();
    expect(loser).toMatchObject({ status: 'rejected', error: { code: 'taken', lead: { owner: { name: winner?.status === 'changed' ? winner.lead.owner?.name : '' } } } });
    expect((await w.app.leads.get(id))?.lead.owner?.name).toBe(winner?.status === 'changed' ? winner.lead.owner?.name : undefined);
  });

  it('accepting a lead nobody owns makes the accepter its owner; an owner stays when someone else accepts', async () => {
    const w = await world();
    const unowned = await newLead(w);
    expect(await w.app.act(unowned, { kind: 'accept', deal }, dana)).toMatchObject({ status: 'changed', lead: { owner: { id: dana.kind === 'user' ? dana.id : '', name: 'Dana Miller' } } });
    const owned = await newLead(w, { id: 'b2c3d4e5-0000-4000-8000-000000000002' });
    await w.app.act(owned, { kind: 'take' }, sam);
    expect(await w.app.act(owned, { kind: 'accept', deal }, dana)).toMatchObject({ status: 'changed', lead: { owner: { name: 'Sam Lee' } } });
  });

  it('refuses ownership changes on an archived lead, and from people without a role', async () => {
    const w = await world();
    const id = await newLead(w);
    expect(await w.app.act(id, { kind: 'take' }, viewer)).toMatchObject({ status: 'rejected', error: { code: 'forbidden', command: 'take' } });
    await w.app.act(id, { kind: 'decline', reason: 'budget' }, dana);
    // Answered meanwhile: the card shows who declined it, and nothing changes.
    expect(await w.app.act(id, { kind: 'take' }, sam)).toMatchObject({ status: 'conflict', lead: { stage: 'Archived', outcome: 'Declined' } });
    expect(await w.app.act(id, { kind: 'assign', owner: { id: SAM_ID, name: 'Sam Lee' } }, dana)).toMatchObject({ status: 'conflict', lead: { stage: 'Archived' } });
    expect((await w.app.leads.get(id))?.lead.owner).toBeUndefined();
  });
});

describe('my leads and unassigned, from their index', () => {
  it('pages the owner’s leads (waiting, soonest deadline first, then accepted) and the unassigned ones, and follows a reassignment', async () => {
    const w = await world();
    const ids: string[] = [];
    // 12 leads, deadlines one hour apart, ingested latest deadline first.
    for (let i = 11; i >= 0; i--) ids[i] = await newLead(w, { id: `c0000000-0000-4000-8000-0000000000${String(i).padStart(2, '0')}`, createdDateTime: new Date(T0.getTime() + i * HOUR).toISOString() });
    for (const i of [0, 3, 5, 7, 9]) await w.app.act(ids[i]!, { kind: 'assign', owner: { id: SAM_ID, name: 'Sam Lee' } }, dana);
    await w.app.act(ids[5]!, { kind: 'accept', deal }, dana);
    await w.settle();

    const page1 = await w.app.views.owned(SAM_ID, { size: 3 });
    const page2 = await w.app.views.owned(SAM_ID, { size: 3, cursor: page1.next });
    expect([...page1.items, ...page2.items].map((l) => [l.id, l.stage])).toEqual([
      [ids[0], 'Received'],
      [ids[3], 'Received'],
      [ids[7], 'Received'],
      [ids[9], 'Received'],
      [ids[5], 'Accepted'],
    ]);
    expect(page2.next).toBeUndefined();

    const unassigned = [];
    let cursor: string | undefined;
    do {
      const page = await w.app.views.unassigned({ size: 4, cursor });
      unassigned.push(...page.items.map((l) => l.id));
      cursor = page.next;
    } while (cursor);
    expect(unassigned).toEqual([1, 2, 4, 6, 8, 10, 11].map((i) => ids[i]));

    // Reassigned from Sam to Kim: off Sam's list, on Kim's; taken by nobody, a lead stays unassigned.
    await w.app.act(ids[3]!, { kind: 'assign', owner: { id: KIM_ID, name: 'Kim Ito' } }, dana);
    await w.app.act(ids[1]!, { kind: 'take' }, kim);
    await w.settle();
    expect((await w.app.views.owned(SAM_ID, { size: 10 })).items.map((l) => l.id)).toEqual([ids[0], ids[7], ids[9], ids[5]]);
    expect((await w.app.views.owned(KIM_ID, { size: 10 })).items.map((l) => [l.id, l.owner])).toEqual([
      [ids[1], 'Kim Ito'],
      [ids[3], 'Kim Ito'],
    ]);
    expect((await w.app.views.unassigned({ size: 10 })).items.map((l) => l.id)).toEqual([2, 4, 6, 8, 10, 11].map((i) => ids[i]));
    // The shared lists show each lead's owner.
    const marketplace = await w.app.views.page('marketplace', { size: 20 });
    expect(marketplace.items.find((l) => l.id === ids[3])?.owner).toBe('Kim Ito');
  });

  it('drops a lead from the owner’s list once it is archived', async () => {
    const w = await world();
    const id = await newLead(w);
    await w.app.act(id, { kind: 'take' }, sam);
    await w.app.act(id, { kind: 'accept', deal }, sam);
    await w.app.act(id, { kind: 'markWon' }, sam);
    await w.settle();
    expect((await w.app.views.owned(SAM_ID, { size: 10 })).items).toEqual([]);
  });
});

describe('reminders to the owner', () => {
  it('go to the owner’s personal chat, opened once and reused, instead of the rooms', async () => {
    const w = await world();
    const { expires } = await samsLead(w);

    w.clock.set(new Date(expires - 72 * HOUR + 1000));
    await w.tick();
    w.clock.set(new Date(expires - 24 * HOUR + 1000));
    await w.tick();
    const reminders = w.gateway.of('reminder');
    expect(reminders.map((r) => [r.conversationId, r.message.kind === 'reminder' && r.message.hours, r.message.kind === 'reminder' && r.message.personal])).toEqual([
      [SAM_CHAT, 72, true],
      [SAM_CHAT, 24, true],
    ]);
    expect(w.gateway.opened).toEqual(['29:sam']);
    const chat = await w.app.conversations.personalChatOf(SAM_ID);
    expect(chat).toMatchObject({ scope: 'personal', userId: SAM_ID, subscribed: false, installed: true });

    // The expiry notice too.
    w.clock.set(new Date(expires + 1000));
    await w.tick();
    expect(w.gateway.of('expiredNotice').map((r) => r.conversationId)).toEqual([SAM_CHAT]);
    expect(w.gateway.opened).toEqual(['29:sam']);
  });

  it('go to the lead’s rooms with an @mention of the owner when Teams will not open the chat (403)', async () => {
    const w = await world();
    const id = await newLead(w);
    await w.app.act(id, { kind: 'take', teamsUserId: '29:sam' }, sam);
    w.gateway.unreachable.add('29:sam');
    await w.settle();
    w.clock.set(new Date(T0.getTime() + 14 * 24 * HOUR - 72 * HOUR + 1000));
    await w.tick();
    await w.tick();
    const reminders = w.gateway.of('reminder');
    expect(reminders.map((r) => r.conversationId).sort()).toEqual([GROUP_CHAT, CHANNEL].sort());
    for (const r of reminders) expect(r.message).toMatchObject({ kind: 'reminder', hours: 72, mention: { teamsUserId: '29:sam', name: 'Sam Lee' } });
  });

  it('keep today’s behaviour for a lead without an owner: every room where it is posted', async () => {
    const w = await world();
    await newLead(w);
    w.clock.set(new Date(T0.getTime() + 14 * 24 * HOUR - 72 * HOUR + 1000));
    await w.tick();
    expect(w.gateway.of('reminder').map((r) => [r.conversationId, r.message.kind === 'reminder' && r.message.mention]).sort()).toEqual([
      [GROUP_CHAT, undefined],
      [CHANNEL, undefined],
    ].sort());
    expect(w.gateway.opened).toEqual([]);
  });

  it('a snoozed reminder comes back once, with two instances and across a restart, and holds back the reminder it put off', async () => {
    const w = await world({ instances: 2 });
    const { id, expires } = await samsLead(w);

    w.clock.set(new Date(expires - 72 * HOUR + 1000));
    await w.tick();
    expect(w.gateway.of('reminder')).toHaveLength(1);
    // Sam snoozes until a day before the deadline: the 24 h reminder is that moment, so it comes once, not twice.
    const until = new Date(expires - 24 * HOUR);
    expect(await w.apps[1]!.act(id, { kind: 'snooze', until: until.toISOString() }, sam)).toMatchObject({ status: 'changed' });
    await w.settle();

    w.clock.set(new Date(until.getTime() + 1000));
    await w.tick();
    await w.tick();
    const restarted = makeApp(w.tables, { clock: w.clock, gateway: w.gateway, instanceId: 'restarted' });
    restarted.tick();
    await restarted.settle();
    restarted.kickSends();
    await restarted.settle();
    await w.tick();
    await restarted.stop();

    expect(w.gateway.of('reminder').map((r) => r.conversationId)).toEqual([SAM_CHAT, SAM_CHAT]);
  });

  it('a reminder snoozed for a day comes back after a day, and only to the person who snoozed', async () => {
    const w = await world();
    const { id, expires } = await samsLead(w);
    w.clock.set(new Date(expires - 72 * HOUR + 1000));
    await w.tick();
    await w.app.act(id, { kind: 'snooze', until: new Date(w.clock.now().getTime() + 24 * HOUR).toISOString() }, sam);
    await w.settle();
    w.clock.advance(23 * HOUR);
    await w.tick();
    expect(w.gateway.of('reminder')).toHaveLength(1);
    w.clock.advance(HOUR + 1000);
    await w.tick();
    expect(w.gateway.of('reminder').map((r) => r.conversationId)).toEqual([SAM_CHAT, SAM_CHAT]);
  });

  it('refuses a snooze past the deadline', async () => {
    const w = await world();
    const id = await newLead(w);
    const result = await w.app.act(id, { kind: 'snooze', until: new Date(T0.getTime() + 15 * 24 * HOUR).toISOString() }, sam);
    expect(result).toMatchObject({ status: 'rejected', error: { code: 'validation', issues: [{ path: 'until' }] } });
  });
});

describe('notify me', () => {
  it('@mentions the people who asked for that kind of lead on its first post in the conversation, not on updates', async () => {
    const w = await world();
    const channel = conversationKey(CHANNEL);
    await w.app.conversations.setNotify(channel, { personId: SAM_ID, name: 'Sam Lee', teamsUserId: '29:sam', kinds: ['marketplace'] });
    await w.app.conversations.setNotify(channel, { personId: KIM_ID, name: 'Kim Ito', teamsUserId: '29:kim', kinds: ['qualified'] });
    const id = await newLead(w); // a customer inquiry: a marketplace lead
    const posts = w.gateway.of('leadCard', 'post');
    expect(posts.map((p) => [p.conversationId, p.message.kind === 'leadCard' && p.message.mentions])).toEqual(
      expect.arrayContaining([
        [CHANNEL, [{ teamsUserId: '29:sam', name: 'Sam Lee' }]],
        [GROUP_CHAT, undefined],
      ]),
    );
    await w.app.act(id, { kind: 'take' }, kim);
    await w.settle();
    const updates = w.gateway.of('leadCard', 'update');
    expect(updates.length).toBeGreaterThan(0);
    for (const u of updates) expect(u.message.kind === 'leadCard' && u.message.mentions).toBeUndefined();

    // Off: no more mentions.
    await w.app.conversations.setNotify(channel, { personId: SAM_ID, name: 'Sam Lee', teamsUserId: '29:sam', kinds: [] });
    expect(await w.app.conversations.notifyWishes(channel)).toEqual([{ personId: KIM_ID, name: 'Kim Ito', teamsUserId: '29:kim', kinds: ['qualified'] }]);
  });
});
