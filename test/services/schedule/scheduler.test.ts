/** Time at work: reminders, expiry, the flame turning, and "time left" on posted cards. */
import { renderLeadCard } from '../../../cards';
import { referral } from '../../fixtures/referrals';
import { HOUR, T0, worldsOnOneStorage } from '../../support/world';

const world = worldsOnOneStorage();

describe('reminders', () => {
  it('sends the 72 h and the 24 h reminder exactly once each, with two instances', async () => {
    const { app, gateway, clock, tick, settle } = await world({ instances: 2 });
    const input = referral({ createdDateTime: T0.toISOString() });
    await app.ingest([input]);
    await settle();
    const expires = T0.getTime() + 14 * 24 * HOUR;

    clock.set(new Date(expires - 72 * HOUR + 1000));
    await tick();
    await tick();
    expect(gateway.of('reminder').map((r) => r.message.kind === 'reminder' && r.message.hours)).toEqual([72, 72]);

    clock.set(new Date(expires - 24 * HOUR + 1000));
    await tick();
    await tick();
    const reminders = gateway.of('reminder');
    expect(reminders).toHaveLength(4);
    expect(reminders.filter((r) => r.message.kind === 'reminder' && r.message.hours === 24).map((r) => r.conversationId).sort()).toEqual([
      '19:chat@thread.v2',
      '19:sales@thread.tacv2',
    ]);
  });

  it('sends one reminder, not two, for a lead that arrives with 20 hours left', async () => {
    const { app, gateway, tick, settle } = await world();
    const input = referral({ createdDateTime: new Date(T0.getTime() - 13 * 24 * HOUR - 4 * HOUR).toISOString() });
    await app.ingest([input]);
    await settle();
    await tick();
    await tick();
    expect(gateway.of('reminder').map((r) => r.message.kind === 'reminder' && r.message.hours)).toEqual([24, 24]);
  });

  it('sends no reminder for a lead that was accepted', async () => {
    const { app, gateway, clock, tick, settle } = await world();
    const input = referral({ createdDateTime: T0.toISOString() });
    await app.ingest([input]);
    await app.act(input.id, { kind: 'accept', deal: { name: 'D', value: 1, currency: 'USD', purchaseDate: '2027-01-01' } }, { kind: 'user', id: 'a', name: 'A', canManage: true });
    await settle();
    clock.advance(13 * 24 * HOUR);
    await tick();
    expect(gateway.of('reminder')).toHaveLength(0);
  });

  it('files only the next due time of a lead, and each pass the one after it, until the lead is answered', async () => {
    const { app, clock, tick, settle, tables } = await world();
    const input = referral({ createdDateTime: T0.toISOString() });
    await app.ingest([input]);
    await settle();
    const dueRows = async () => {
      const rows: string[] = [];
      for await (const row of tables.DueIndex.listEntities<{ kind: string; dueAt: string }>()) rows.push(`${row.kind} ${row.dueAt}`);
      return rows;
    };
    const first = await dueRows();
    expect(first).toHaveLength(1);
    // Its time comes: handled, and the next one filed in its place.
    clock.set(new Date(Date.parse(first[0]!.split(' ')[1]!) + 1000));
    await tick();
    const second = await dueRows();
    expect(second).toHaveLength(1);
    expect(second).not.toEqual(first);
    // Answered: the next pass files nothing more.
    await app.act(input.id, { kind: 'accept', deal: { name: 'D', value: 1, currency: 'USD', purchaseDate: '2027-01-01' } }, { kind: 'user', id: 'a', name: 'A', canManage: true });
    await settle();
    clock.set(new Date(Date.parse(second[0]!.split(' ')[1]!) + 1000));
    await tick();
    expect(await dueRows()).toEqual([]);
  });
});

describe('expiry', () => {
  it('archives an unanswered lead at 14 days, updates every card and posts the notice', async () => {
    const { app, gateway, clock, tick, settle } = await world();
    const input = referral({ createdDateTime: T0.toISOString() });
    await app.ingest([input]);
    await settle();

    clock.set(new Date(T0.getTime() + 14 * 24 * HOUR + 1000));
    await tick();
    const stored = await app.leads.get(input.id);
    expect(stored?.lead).toMatchObject({ stage: 'Archived', outcome: 'Expired', lastAction: { kind: 'expire', by: { id: 'system' } } });
    expect(gateway.of('leadCard', 'update').filter((u) => u.message.kind === 'leadCard' && u.message.lead.outcome === 'Expired')).toHaveLength(2);
    expect(gateway.of('expiredNotice')).toHaveLength(2);
    expect((await app.leads.history(input.id)).map((e) => e.type)).toContain('expire');
  });

  it('expires a lead even when someone favorites it at that very moment', async () => {
    const { app, clock, tick, settle } = await world();
    const input = referral({ createdDateTime: T0.toISOString() });
    await app.ingest([input]);
    await settle();
    clock.set(new Date(T0.getTime() + 14 * 24 * HOUR + 1000));
    app.tick();
    await Promise.all(Array.from({ length: 5 }, (_, i) => app.act(input.id, { kind: 'favorite' }, { kind: 'user', id: `u${i}`, name: `U${i}`, canManage: false })));
    await settle();
    await tick();
    expect((await app.leads.get(input.id))?.lead.outcome).toBe('Expired');
  });

  it('catches up after downtime: a lead that expired while no scheduler ran is expired at the next pass', async () => {
    const { app, clock, tick, settle } = await world();
    const input = referral({ createdDateTime: T0.toISOString() });
    await app.ingest([input]);
    await settle();
    await tick();
    clock.advance(20 * 24 * HOUR);
    await tick();
    expect((await app.leads.get(input.id))?.lead.outcome).toBe('Expired');
  });
});

describe('flame leads', () => {
  it('raises one alert in each team channel on arrival, and turns every card to ⏳ after 72 hours', async () => {
    const { app, gateway, clock, tick, settle } = await world();
    const input = referral({ createdDateTime: T0.toISOString(), details: { customerRequestedContact: true } });
    await app.ingest([input]);
    await settle();
    expect(gateway.of('flameAlert').map((a) => a.conversationId)).toEqual(['19:sales@thread.tacv2']);
    expect(gateway.of('leadCard', 'update')).toHaveLength(0);

    clock.set(new Date(T0.getTime() + 72 * HOUR + 1000));
    await tick();
    const turned = gateway.of('leadCard', 'update');
    expect(turned).toHaveLength(2);
    for (const update of turned) {
      if (update.message.kind !== 'leadCard') throw new Error('expected a lead card');
      const card = renderLeadCard(update.message.lead, { locale: 'en', now: new Date(update.at), flameWindowHours: 72 });
      expect(JSON.stringify(card.content)).toContain('⏳ Customer asked to be contacted 3 days ago — still waiting');
    }
    await tick();
    expect(gateway.of('leadCard', 'update')).toHaveLength(2);
  });
});


describe('time left on posted cards', () => {
  it('updates every copy of a waiting card when the days left change, and only then', async () => {
    const { app, gateway, clock, tick, settle } = await world();
    const input = referral({ createdDateTime: new Date(T0.getTime() - 60_000).toISOString() }); // posted with 13 days 23 h left
    await app.ingest([input]);
    await settle();
    clock.advance(6 * HOUR);
    await tick();
    expect(gateway.of('leadCard', 'update')).toHaveLength(0);
    clock.set(new Date(T0.getTime() - 60_000 + 24 * HOUR + 2000));
    await tick();
    const updates = gateway.of('leadCard', 'update');
    expect(updates).toHaveLength(2);
    const message = updates[0]?.message;
    if (message?.kind !== 'leadCard') throw new Error('expected a lead card update');
    const shown = renderLeadCard(message.lead, { locale: 'en', now: clock.now(), flameWindowHours: 72 });
    expect(JSON.stringify(shown.content)).toContain('(12 days left)');

    await app.act(input.id, { kind: 'decline', reason: 'spam' }, { kind: 'user', id: 'a', name: 'A', canManage: true });
    await settle();
    const afterDecline = gateway.of('leadCard', 'update').length;
    clock.advance(2 * 24 * HOUR);
    await tick();
    expect(gateway.of('leadCard', 'update')).toHaveLength(afterDecline);
  });

  it('updates hourly in the last two days', async () => {
    const { app, gateway, clock, tick, settle } = await world({ env: { REMINDER_HOURS_BEFORE_EXPIRY: '1' } });
    const input = referral({ createdDateTime: new Date(T0.getTime() - 12 * 24 * HOUR - 1000).toISOString() }); // just under 2 days left
    await app.ingest([input]);
    await settle();
    for (let hour = 1; hour <= 3; hour++) {
      clock.advance(HOUR);
      await tick();
      expect(gateway.of('leadCard', 'update')).toHaveLength(2 * hour);
    }
  });
});
