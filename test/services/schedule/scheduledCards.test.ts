/** The morning digest and the weekly insights: each once per occurrence and conversation, with two instances and across a restart; and every proactive send honouring a conversation's settings. */
import type { LeadsApp } from '../../../services/app/leadsApp';
import { conversationKey, defaultSettings } from '../../../services/storage/conversationStore';
import { admin, dealInput } from '../../fixtures/leads';
import { referral } from '../../fixtures/referrals';
import { makeApp } from '../../support/app';
import { HOUR, T0, worldsOnOneStorage } from '../../support/world';

const world = worldsOnOneStorage();
const CHANNEL = '19:sales@thread.tacv2';
const CHAT = '19:chat@thread.v2';

// T0 is Monday 2026-11-02, 09:00 UTC: the digest (08:30) and the weekly insights (Monday 09:00) are due.
describe('the morning digest', () => {
  it('lists the leads still waiting, soonest deadline first, once a day in each conversation, with two instances and across a restart', async () => {
    const { apps, app, tables, clock, gateway, tick, settle } = await world({ instances: 2 });
    const later = referral({ name: 'Later', createdDateTime: new Date(T0.getTime() - 2 * HOUR).toISOString() });
    const sooner = referral({ name: 'Sooner', createdDateTime: new Date(T0.getTime() - 5 * 24 * HOUR).toISOString() });
    await app.ingest([later, sooner]);
    await settle();
    await tick();
    await tick();
    const digests = () => gateway.of('needsAnswer');
    expect(digests().map((d) => d.conversationId).sort()).toEqual([CHAT, CHANNEL].sort());
    const first = digests()[0]!.message;
    expect(first.kind === 'needsAnswer' && first.leads.map((l) => l.name)).toEqual(['Sooner', 'Later']);

    // A restarted instance does not send this morning's again.
    await apps[1]!.stop();
    const restarted = makeApp(tables, { clock, gateway, instanceId: 'restarted' });
    restarted.tick();
    await restarted.settle();
    expect(digests()).toHaveLength(2);

    // The next morning: once more each.
    clock.set(new Date(T0.getTime() + 24 * HOUR));
    await tick();
    restarted.tick();
    await restarted.settle();
    expect(digests()).toHaveLength(4);
    await restarted.stop();
  });

  it('is not sent when nothing waits for an answer', async () => {
    const { app, gateway, tick, settle } = await world();
    const input = referral({ createdDateTime: T0.toISOString() });
    await app.ingest([input]);
    await app.act(input.id, { kind: 'accept', deal: dealInput }, admin);
    await settle();
    await tick();
    expect(gateway.of('needsAnswer')).toHaveLength(0);
  });
});

describe('the weekly insights', () => {
  it('go to the channel once a week, with two instances; chats get them only when they ask', async () => {
    const { apps, clock, gateway, tick } = await world({ instances: 2 });
    await tick();
    await tick();
    expect(gateway.of('insights').map((m) => m.conversationId)).toEqual([CHANNEL]);
    const [sent] = gateway.of('insights');
    expect(sent?.message.kind === 'insights' && sent.message.insights.period).toBe('7d');

    clock.set(new Date(T0.getTime() + 3 * 24 * HOUR));
    await tick();
    expect(gateway.of('insights')).toHaveLength(1);
    clock.set(new Date(T0.getTime() + 7 * 24 * HOUR + HOUR));
    await tick();
    expect(gateway.of('insights')).toHaveLength(2);
    expect(apps).toHaveLength(2);
  });

  it('are not sent late after a day of downtime', async () => {
    const { clock, gateway, tick } = await world();
    clock.set(new Date(T0.getTime() + 26 * HOUR));
    await tick();
    expect(gateway.of('insights')).toHaveLength(0);
  });
});

describe("a conversation's settings", () => {
  async function configured(app: LeadsApp, conversationId: string, change: Partial<ReturnType<typeof defaultSettings>>) {
    const key = conversationKey(conversationId);
    const current = (await app.conversations.get(key))!.settings;
    await app.conversations.saveSettings(key, { ...current, ...change });
  }

  it('decide which new leads are posted, and whether 🔥 alerts, reminders, expiry notices, digests and insights go there', async () => {
    const { app, clock, gateway, tick, settle } = await world({ env: { INSIGHTS_SCHEDULE: 'off' } });
    await configured(app, CHANNEL, { leadKinds: ['qualified'], reminders: false, digest: false });
    await configured(app, CHAT, { leadKinds: ['marketplace', 'qualified'], insights: true });
    const inquiry = referral({ qualification: 'Direct', createdDateTime: T0.toISOString(), details: { customerRequestedContact: true } });
    const qualified = referral({ qualification: 'SalesQualified', createdDateTime: T0.toISOString() });
    await app.ingest([inquiry, qualified]);
    await settle();
    const posted = (leadId: string) => gateway.of('leadCard', 'post').filter((p) => p.message.kind === 'leadCard' && p.message.lead.id === leadId).map((p) => p.conversationId);
    expect(posted(inquiry.id)).toEqual([CHAT]);
    expect(posted(qualified.id).sort()).toEqual([CHAT, CHANNEL].sort());
    // The 🔥 alert goes to channels only, and this one took no customer inquiries.
    expect(gateway.of('flameAlert')).toHaveLength(0);

    await tick();
    expect(gateway.of('needsAnswer').map((d) => d.conversationId)).toEqual([CHAT]);

    clock.set(new Date(Date.parse((await app.leads.get(qualified.id))!.lead.expiresAt) - 72 * HOUR + 1000));
    await tick();
    expect(gateway.of('reminder').map((r) => r.conversationId)).toEqual([CHAT, CHAT]);

    await configured(app, CHAT, { reminders: false });
    clock.set(new Date(Date.parse((await app.leads.get(qualified.id))!.lead.expiresAt) + 1000));
    await tick();
    expect(gateway.of('expiredNotice')).toHaveLength(0);
  });

  it('turn the 🔥 alert off in a channel', async () => {
    const { app, gateway, settle } = await world();
    await configured(app, CHANNEL, { flameAlerts: false });
    await app.ingest([referral({ createdDateTime: T0.toISOString(), details: { customerRequestedContact: true } })]);
    await settle();
    expect(gateway.of('leadCard', 'post')).toHaveLength(2);
    expect(gateway.of('flameAlert')).toHaveLength(0);
  });
});
