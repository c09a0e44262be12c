/** Insights over storage: the sums stay right under concurrent changes, lost races, replays and projections run twice. */
import type { LeadsApp } from '../../../services/app/leadsApp';
import { readInsights } from '../../../services/useCases/readInsights';
import { ingestReferrals } from '../../../services/partnerCenter/referrals/intake';
import { admins } from '../../support/liveWorld';
import { referral } from '../../fixtures/referrals';
import { dealInput } from '../../fixtures/leads';
import { T0, worldsOnOneStorage } from '../../support/world';
import { StatsStore } from '../../../services/storage/statsStore';

const world = worldsOnOneStorage();
const DAY = 86_400_000;

const insights = (app: LeadsApp, period: '7d' | '30d' | '90d' = '30d') => readInsights(period, { stats: app.stats, now: app.now });
const actor = (i: number) => {
  const user = admins(i + 1)[i]!;
  return { kind: 'user' as const, id: user.aadObjectId, name: user.name, canManage: true };
};

describe('insights over storage', () => {
  it('counts every lead once, with two instances projecting and admins racing on each lead', async () => {
    const { apps, settle } = await world({ instances: 2 });
    const [first, second] = apps as [LeadsApp, LeadsApp];
    const inputs = Array.from({ length: 6 }, () => referral({ createdDateTime: T0.toISOString() }));
    await first.ingest(inputs.slice(0, 3));
    await second.ingest(inputs.slice(3));
    // Each lead: one admin accepts on one instance while another declines on the other; one wins.
    const results = await Promise.all(
      inputs.flatMap((input, i) => [
        first.act(input.id, { kind: 'accept', deal: { ...dealInput, value: 1000, currency: 'EUR' } }, actor(i)),
        second.act(input.id, { kind: 'decline', reason: 'budget' }, actor(i + 6)),
      ]),
    );
    // A retried click (Teams retries) changes nothing.
    await first.act(inputs[0]!.id, { kind: 'accept', deal: { ...dealInput, value: 1000, currency: 'EUR' } }, actor(0));
    await settle();
    const accepted = results.filter((r, i) => i % 2 === 0 && r.status === 'changed').length;
    const declined = results.filter((r, i) => i % 2 === 1 && r.status === 'changed').length;
    expect(accepted + declined).toBe(6);

    const { insights: figures } = await insights(first);
    expect(figures.current).toMatchObject({ receivedTotal: 6, answered: 6, accepted, declined });
    expect(figures.pipeline).toEqual({ open: accepted, value: accepted ? [{ currency: 'EUR', value: 1000 * accepted }] : [] });

    // Projecting again (a sweep, another instance) adds nothing.
    for (const input of inputs) await second.projector.project(input.id);
    await first.projector.sweep();
    expect((await insights(second)).insights.current).toMatchObject({ receivedTotal: 6, answered: 6, accepted, declined });
  });

  it('adds a change once when a projection that already added it is cut short and run again', async () => {
    const { app, clock, settle } = await world();
    const input = referral({ createdDateTime: T0.toISOString() });
    // Stored; then a projector added its sums and died before clearing what the change owed.
    await ingestReferrals([input], { leads: app.leads, now: clock.now, responseDays: 14 });
    const pending = await app.leads.pending(input.id);
    await app.stats.apply((pending?.effects.stats ?? []).map(({ version, delta }) => ({ leadId: input.id, version, delta })));
    await app.projector.project(input.id);
    await settle();
    expect((await insights(app)).insights.current.receivedTotal).toBe(1);
  });

  it('keeps the duplicate guard of a change still waiting for its projection, however old, and tidies the rest', async () => {
    const { app, clock } = await world();
    const waiting = referral({ createdDateTime: T0.toISOString() });
    const done = referral({ createdDateTime: T0.toISOString() });
    // Both added to the sums; the first one's projection then keeps failing, so its change stays pending.
    await ingestReferrals([waiting, done], { leads: app.leads, now: clock.now, responseDays: 14 });
    for (const input of [waiting, done]) {
      const pending = await app.leads.pending(input.id);
      await app.stats.apply((pending?.effects.stats ?? []).map(({ version, delta }) => ({ leadId: input.id, version, delta })));
    }
    await app.projector.project(done.id);
    const pendingVersions = async (leadId: string) => ((await app.leads.pending(leadId))?.effects.stats ?? []).map((s) => s.version);
    // A day later (by storage's clock: everything is older than "in an hour").
    expect(await app.stats.forgetMarkers(new Date(Date.now() + 3_600_000), pendingVersions)).toBe(1);
    // The pending change is finally projected: its guard held, so it is not added twice.
    await app.projector.project(waiting.id);
    expect((await insights(app)).insights.current.receivedTotal).toBe(2);
  });

  it('counts an imported lead by its own dates, not on the day it arrives', async () => {
    const { app, settle } = await world();
    const long = new Date(T0.getTime() - 40 * DAY).toISOString();
    const accepted = new Date(T0.getTime() - 38 * DAY).toISOString();
    await app.ingest([referral({ createdDateTime: long, status: 'Active', substatus: 'Accepted', acceptedDateTime: accepted, expirationDateTime: new Date(T0.getTime() + DAY).toISOString(), details: { dealValue: 500, currency: 'USD' } })]);
    await settle();
    const { insights: month } = await insights(app, '30d');
    expect(month.current.receivedTotal).toBe(0);
    expect(month.previous).toMatchObject({ receivedTotal: 1, accepted: 1 });
    expect(month.pipeline.open).toBe(1);
  });

  it('reads one row per week of the two periods, whatever number of leads is stored', async () => {
    const { app, settle } = await world();
    const few = await insights(app, '90d');
    await app.ingest(Array.from({ length: 30 }, () => referral({ createdDateTime: T0.toISOString() })));
    await settle();
    const many = await insights(app, '90d');
    // 180 days span 26 or 27 weeks (one row each, when it exists) and the pipeline row.
    expect(many.rowsRead).toBeLessThanOrEqual(28);
    expect(many.insights.current.receivedTotal).toBe(30);
    expect(few.rowsRead).toBeLessThanOrEqual(many.rowsRead);
  });
});

describe('the sums with two writers', () => {
  it('adds every change once when each writer starts from the totals it wrote last and the other wrote since', async () => {
    const { tables } = await world();
    const [a, b] = [new StatsStore(tables.Stats), new StatsStore(tables.Stats)];
    const day = '2026-11-20';
    const change = (leadId: string) => ({ leadId, version: 1, delta: { days: { [day]: { received: 1 } }, pipeline: { open: 1 } } });
    await a.apply([change('l1')]);
    await b.apply([change('l2')]);
    // a's remembered totals are stale now: its write is refused (412), it reads and adds again.
    await a.apply([change('l3')]);
    await b.apply([change('l4'), change('l3')]);
    expect((await a.days([day])).byDay[day]).toEqual({ received: 4 });
    expect(await b.pipeline()).toEqual({ open: 4 });

    // Many at once in one instance (they wait for each other), and in the other.
    await Promise.all([...Array.from({ length: 6 }, (_, i) => a.apply([change(`m${i}`)])), ...Array.from({ length: 6 }, (_, i) => b.apply([change(`n${i}`)]))]);
    expect((await b.days([day])).byDay[day]).toEqual({ received: 16 });
  });
  it('adds a page of old leads spread over many weeks (a first import) in transactions small enough to be taken', async () => {
    const { app } = await world();
    // 90 leads, each received in a different week: 90 week rows and 90 markers would not fit one transaction.
    const changes = Array.from({ length: 90 }, (_, i) => ({
      leadId: `old-${i}`,
      version: 1,
      delta: { days: { [new Date(T0.getTime() - i * 7 * DAY).toISOString().slice(0, 10)]: { received: 1 } }, pipeline: {} },
    }));
    await app.stats.apply(changes);
    const days = changes.map((c) => Object.keys(c.delta.days)[0]!);
    const { byDay } = await app.stats.days(days);
    expect(days.filter((day) => byDay[day]?.received !== 1)).toEqual([]);
  });
});
