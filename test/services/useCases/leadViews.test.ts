import { actOnLead } from '../../../services/useCases/actOnLead';
import { sharedViewOf } from '../../../services/leads/leadViews';
import { listLeads } from '../../../services/useCases/readLeads';
import { referral } from '../../fixtures/referrals';
import { acceptedLead, admin, dealInput, declinedLead, expiredLead, receivedLead, viewer, wonLead } from '../../fixtures/leads';
import { makeApp } from '../../support/app';
import { startTestStorage, type TestStorage } from '../../support/storage';

describe('which list a lead appears in', () => {
  it.each([
    ['an open customer inquiry', () => receivedLead({ qualification: 'Direct' }), 'marketplace'],
    ['an accepted customer inquiry', acceptedLead, 'marketplace'],
    ['an open marketing-qualified lead', () => receivedLead({ qualification: 'MarketingQualified' }), 'qualified'],
    ['an open sales-qualified lead', () => receivedLead({ qualification: 'SalesQualified' }), 'qualified'],
    ['a won lead', wonLead, 'archived'],
    ['a declined lead', declinedLead, 'archived'],
    ['an expired lead', expiredLead, 'archived'],
  ])('%s → %s', (_what, make, view) => {
    expect(sharedViewOf(make())).toBe(view);
  });
});

describe('list views over storage', () => {
  let storage: TestStorage;
  beforeAll(async () => {
    storage = await startTestStorage();
  });
  afterAll(() => storage.close());

  it('pages a view newest first, 10 at a time, to the last lead', async () => {
    const app = makeApp(await storage.freshTables());
    const base = Date.now();
    const inputs = Array.from({ length: 23 }, (_, i) =>
      referral({ name: `Lead ${i}`, qualification: 'Direct', createdDateTime: new Date(base - i * 60_000).toISOString() }),
    );
    await app.ingest(inputs);
    await app.ingest([referral({ qualification: 'SalesQualified' })]);
    await app.settle();

    const first = await listLeads(app.views, 'marketplace');
    const second = await listLeads(app.views, 'marketplace', { cursor: first.next });
    const third = await listLeads(app.views, 'marketplace', { cursor: second.next });
    expect(first.items.map((l) => l.name)).toEqual(inputs.slice(0, 10).map((r) => r.name));
    expect(second.items.map((l) => l.name)).toEqual(inputs.slice(10, 20).map((r) => r.name));
    expect(third.items.map((l) => l.name)).toEqual(inputs.slice(20).map((r) => r.name));
    expect(third.next).toBeUndefined();
    expect((await listLeads(app.views, 'qualified')).items).toHaveLength(1);
  });

  it('moves a lead to Archived when it is declined, and keeps favorites per user', async () => {
    const app = makeApp(await storage.freshTables());
    const [a, b] = [referral({ name: 'Alpha' }), referral({ name: 'Beta' })];
    await app.ingest([a, b]);
    await app.act(a.id, { kind: 'favorite' }, viewer);
    await app.act(b.id, { kind: 'favorite' }, admin);
    await app.act(b.id, { kind: 'decline', reason: 'budget' }, admin);
    await app.settle();

    expect((await listLeads(app.views, 'marketplace')).items.map((l) => l.name)).toEqual(['Alpha']);
    expect((await listLeads(app.views, 'archived')).items.map((l) => [l.name, l.outcome])).toEqual([['Beta', 'Declined']]);
    expect((await listLeads(app.views, 'favorites', { userId: viewer.kind === 'user' ? viewer.id : '' })).items.map((l) => l.name)).toEqual(['Alpha']);
    expect((await listLeads(app.views, 'favorites', { userId: admin.kind === 'user' ? admin.id : '' })).items.map((l) => l.name)).toEqual(['Beta']);

    // Two people take it off their lists before the projection runs: both lists lose it.
    await app.act(a.id, { kind: 'favorite' }, admin);
    await app.settle();
    await Promise.all([app.act(a.id, { kind: 'unfavorite' }, viewer), app.act(a.id, { kind: 'unfavorite' }, admin)]);
    await app.settle();
    expect((await listLeads(app.views, 'favorites', { userId: viewer.kind === 'user' ? viewer.id : '' })).items).toEqual([]);
    expect((await listLeads(app.views, 'favorites', { userId: admin.kind === 'user' ? admin.id : '' })).items.map((l) => l.name)).toEqual(['Beta']);
  });

  it('lists an accepted lead with its new stage', async () => {
    const app = makeApp(await storage.freshTables());
    const input = referral();
    await app.ingest([input]);
    await app.act(input.id, { kind: 'accept', deal: dealInput }, admin);
    await app.settle();
    expect((await listLeads(app.views, 'marketplace')).items[0]).toMatchObject({ id: input.id, stage: 'Accepted' });
  });

  describe('two projectors on one lead (two instances)', () => {
    it('puts the list rows right again when a slower projector wrote them from an older lead', async () => {
      const tables = await storage.freshTables();
      const [fast, slow] = [makeApp(tables, { instanceId: 'fast' }), makeApp(tables, { instanceId: 'slow' })];
      const input = referral({ name: 'Raced' });
      await fast.ingest([input]);
      await fast.settle();
      // Accepted (not yet projected). The slow projector reads that; before it writes, the lead is
      // marked lost and the fast projector projects everything and clears the pending row.
      await actOnLead(input.id, { kind: 'accept', deal: dealInput }, admin, { leads: fast.leads, now: () => new Date() });
      const read = slow.leads.get.bind(slow.leads);
      slow.leads.get = async (id) => {
        slow.leads.get = read;
        const accepted = await read(id);
        await actOnLead(input.id, { kind: 'markLost', reason: 'budget' }, admin, { leads: fast.leads, now: () => new Date() });
        await fast.projector.project(input.id);
        return accepted;
      };
      await slow.projector.project(input.id);

      expect((await listLeads(slow.views, 'marketplace')).items).toEqual([]);
      expect((await listLeads(slow.views, 'archived')).items.map((l) => [l.name, l.outcome])).toEqual([['Raced', 'Lost']]);
    });
  });
});
