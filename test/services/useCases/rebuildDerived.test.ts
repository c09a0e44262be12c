/**
 * Storage written by an earlier version (leads, no insights sums, no per-owner or per-kind lists):
 * the first start of this version builds them once from the leads, exactly, with two instances
 * starting together, and with a change of this version already waiting for its projection.
 */
import { makeApp } from '../../support/app';
import { acceptedLead, admin, apply, declinedLead, NOW, receivedLead, wonLead } from '../../fixtures/leads';
import { leadEntity } from '../../../services/storage/leadStore';
import { readInsights } from '../../../services/useCases/readInsights';
import type { Lead } from '../../../services/leads/lead';
import { worldsOnOneStorage } from '../../support/world';
import { parseQuery } from '../../../services/leads/leadSearch';

const parseOk = (text: string) => {
  const query = parseQuery(text);
  if (!query.ok) throw new Error(query.reason);
  return query;
};

const world = worldsOnOneStorage();

/** The rows an earlier version left: the lead and nothing derived from it. */
async function storedByAnEarlierVersion(w: Awaited<ReturnType<typeof world>>, leads: Lead[]) {
  for (const lead of leads) await w.tables.Leads.createEntity(leadEntity(lead));
}

describe('building lists and insights from leads an earlier version stored', () => {
  it('counts every stored lead once, lists the waiting one, and later changes move the sums from there', async () => {
    const w = await world({ instances: 2 });
    w.clock.set(NOW);
    const waiting = receivedLead({ name: 'Waiting' });
    const accepted = { ...acceptedLead(), id: 'a0000000-0000-4000-8000-000000000001' };
    const won = { ...wonLead(), id: 'a0000000-0000-4000-8000-000000000002' };
    const declined = { ...declinedLead(), id: 'a0000000-0000-4000-8000-000000000003' };
    await storedByAnEarlierVersion(w, [waiting, accepted, won, declined]);

    // Two instances start at once: one builds, the other waits for it.
    const outcomes = await Promise.all(w.apps.map((app) => app.prepare()));
    expect(outcomes.filter((o) => o.ran)).toEqual([{ ran: true, leads: 4 }]);

    const { insights } = await readInsights('30d', { stats: w.app.stats, now: w.app.now });
    expect(insights.current).toMatchObject({ receivedTotal: 4, answered: 3, accepted: 2, declined: 1, won: 1 });
    expect(insights.pipeline).toMatchObject({ open: 1, value: [{ currency: 'EUR', value: 120000 }] });
    expect((await w.app.needsAnswer(['marketplace', 'qualified'])).map((l) => l.name)).toEqual(['Waiting']);
    expect((await w.app.views.unassigned({ size: 10 })).items.map((l) => l.name)).toEqual(['Waiting']);

    // A change after the build moves the sums by its difference: the accepted lead is won, nothing goes negative.
    await w.app.act(accepted.id, { kind: 'markWon' }, admin);
    await w.settle();
    const after = (await readInsights('30d', { stats: w.app.stats, now: w.app.now })).insights;
    expect(after.current).toMatchObject({ won: 2, accepted: 2 });
    expect(after.pipeline).toEqual({ open: 0, value: [] });

    // Built once: a restart finds the mark.
    expect(await makeApp(w.tables, { clock: w.clock }).prepare()).toEqual({ ran: false, why: 'current' });
  });

  it('does not count twice a change of this version that waits for its projection when the build runs', async () => {
    const w = await world();
    w.clock.set(NOW);
    const lead = receivedLead({ name: 'Changed just before the build' });
    await storedByAnEarlierVersion(w, [lead]);
    // This version accepts it (its pending row holds the difference), and no projection has run yet.
    const stored = await w.app.leads.get(lead.id);
    const next = apply(lead, { kind: 'accept', deal: { name: 'D', value: 500, currency: 'USD', purchaseDate: '2027-01-01' } });
    expect((await w.app.leads.update(next, stored!, [])).ok).toBe(true);

    expect(await w.app.prepare()).toEqual({ ran: true, leads: 1 });
    await w.app.projector.project(lead.id);
    const { insights } = await readInsights('30d', { stats: w.app.stats, now: w.app.now });
    expect(insights.current).toMatchObject({ receivedTotal: 1, answered: 1, accepted: 1 });
    expect(insights.pipeline).toEqual({ open: 1, value: [{ currency: 'USD', value: 500 }] });
  });

  it('coming from version 2, adds the search rows and leaves the sums as they are', async () => {
    const w = await world();
    w.clock.set(NOW);
    // Version 2 stored these leads with their lists and sums, and had no search index.
    const stored = [receivedLead({ name: 'Contoso rooms' }), { ...wonLead(), id: 'a0000000-0000-4000-8000-000000000009', name: 'Contoso copilot' }];
    await storedByAnEarlierVersion(w, stored);
    expect(await w.app.prepare()).toEqual({ ran: true, leads: 2 });
    for await (const row of w.tables.SearchIndex.listEntities()) await w.tables.SearchIndex.deleteEntity(row.partitionKey ?? '', row.rowKey ?? '');
    await w.tables.Meta.upsertEntity({ partitionKey: 'layout', rowKey: 'derived', version: 2 }, 'Replace');
    // Weeks later its markers are tidied: a baseline added again would count twice now.
    expect(await w.app.stats.forgetMarkers(new Date(Date.now() + 60_000), async () => [])).toBeGreaterThan(0);
    expect((await w.app.views.search(parseOk('contoso'), { size: 10 })).items).toEqual([]);

    expect(await w.app.prepare()).toEqual({ ran: true, leads: 2 });
    const found = await w.app.views.search(parseOk('contoso'), { size: 10 });
    expect(found.items.map((l) => l.name)).toEqual(['Contoso rooms', 'Contoso copilot']);
    const { insights } = await readInsights('30d', { stats: w.app.stats, now: w.app.now });
    expect(insights.current).toMatchObject({ receivedTotal: 2, won: 1 });
  });

  it('coming from version 3 (a partition per list), moves every list into one partition and leaves none of the old rows', async () => {
    const w = await world();
    w.clock.set(NOW);
    const waiting = receivedLead({ name: 'Waiting in v3' });
    const accepted = { ...acceptedLead(), id: 'a0000000-0000-4000-8000-000000000011', name: 'Accepted in v3' };
    await storedByAnEarlierVersion(w, [waiting, accepted]);
    expect(await w.app.prepare()).toEqual({ ran: true, leads: 2 });
    // Version 3 kept each list in a partition of its own, keyed by the row's order alone.
    for await (const row of w.tables.LeadIndex.listEntities<{ summary: string }>()) {
      const [list, ...order] = (row.rowKey ?? '').split('|');
      await w.tables.LeadIndex.deleteEntity(row.partitionKey ?? '', row.rowKey ?? '');
      await w.tables.LeadIndex.createEntity({ partitionKey: list ?? '', rowKey: order.join('|'), summary: row.summary });
    }
    await w.tables.Meta.upsertEntity({ partitionKey: 'layout', rowKey: 'derived', version: 3 }, 'Replace');
    expect((await w.app.views.unassigned({ size: 10 })).items).toEqual([]);

    expect(await w.app.prepare()).toEqual({ ran: true, leads: 2 });
    expect((await w.app.views.unassigned({ size: 10 })).items.map((l) => l.name)).toEqual(['Waiting in v3']);
    expect((await w.app.views.page('marketplace', { size: 10 })).items.map((l) => l.name).sort()).toEqual(['Accepted in v3', 'Waiting in v3']);
    const partitions = new Set<string>();
    for await (const row of w.tables.LeadIndex.listEntities()) partitions.add(row.partitionKey ?? '');
    expect([...partitions]).toEqual(['lists']);
  });

  it('coming from version 4, moves where each card is posted onto the lead, so the next change updates those cards', async () => {
    const w = await world();
    w.clock.set(NOW);
    const lead = receivedLead({ name: 'Posted in v4' });
    await storedByAnEarlierVersion(w, [lead]);
    expect(await w.app.prepare()).toEqual({ ran: true, leads: 1 });
    // Version 4 kept a row per (lead, conversation) in Deliveries.
    const [place] = await w.app.conversations.subscribed();
    await w.tables.Deliveries.createEntity({ partitionKey: lead.id, rowKey: `${lead.id}|${place!.key}`, activityId: 'activity-from-v4', renderKey: 'old' });
    await w.tables.Meta.upsertEntity({ partitionKey: 'layout', rowKey: 'derived', version: 4 }, 'Replace');

    expect(await w.app.prepare()).toEqual({ ran: true, leads: 1 });
    expect(await w.app.deliveries.forLead(lead.id)).toEqual([expect.objectContaining({ conversationKey: place!.key, activityId: 'activity-from-v4', renderKey: 'old' })]);
    const left: unknown[] = [];
    for await (const row of w.tables.Deliveries.listEntities()) left.push(row);
    expect(left).toEqual([]);
    await w.app.act(lead.id, { kind: 'favorite' }, admin);
    await w.settle();
    expect(w.gateway.of('leadCard', 'update').map((u) => u.activityId)).toEqual(['activity-from-v4']);
  });

  it('coming from version 5, moves the sums of a partition per week into one, and insights read the same', async () => {
    const w = await world();
    w.clock.set(NOW);
    await storedByAnEarlierVersion(w, [receivedLead({ name: 'Counted in v5' }), { ...wonLead(), id: 'a0000000-0000-4000-8000-000000000021' }]);
    expect(await w.app.prepare()).toEqual({ ran: true, leads: 2 });
    const before = (await readInsights('30d', { stats: w.app.stats, now: w.app.now })).insights;
    // Version 5 kept a partition per week (row 'totals') and one for the pipeline, each with its markers.
    for await (const row of w.tables.Stats.listEntities<Record<string, unknown>>()) {
      const { partitionKey, rowKey, etag: _etag, timestamp: _timestamp, ...properties } = row;
      await w.tables.Stats.deleteEntity(partitionKey ?? '', rowKey ?? '');
      if (rowKey?.startsWith('m|')) await w.tables.Stats.createEntity({ partitionKey: 'w|2026-01-05', rowKey, ...properties });
      else await w.tables.Stats.createEntity({ partitionKey: rowKey ?? '', rowKey: 'totals', ...properties });
    }
    await w.tables.Meta.upsertEntity({ partitionKey: 'layout', rowKey: 'derived', version: 5 }, 'Replace');

    expect(await w.app.prepare()).toEqual({ ran: true, leads: 2 });
    const after = (await readInsights('30d', { stats: w.app.stats, now: w.app.now })).insights;
    expect(after.current).toEqual(before.current);
    expect(after.pipeline).toEqual(before.pipeline);
    expect(before.current).toMatchObject({ receivedTotal: 2, won: 1 });
    const partitions = new Set<string>();
    for await (const row of w.tables.Stats.listEntities()) partitions.add(row.partitionKey ?? '');
    expect([...partitions]).toEqual(['sums']);
  });

  it('marks new storage without reading anything more', async () => {
    const w = await world();
    expect(await w.app.prepare()).toEqual({ ran: false, why: 'fresh' });
    expect(await w.app.prepare()).toEqual({ ran: false, why: 'current' });
  });
});
