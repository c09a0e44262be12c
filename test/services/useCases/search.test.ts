/**
 * Search over storage: what a query finds and in which order, that it reads only the rows of one
 * word prefix, and that the index follows every change (renamed deal, added CRM id, archived)
 * also when two projectors race.
 */
import { actOnLead } from '../../../services/useCases/actOnLead';
import { searchLeads, type SearchAnswer } from '../../../services/useCases/readLeads';
import type { LeadsApp } from '../../../services/app/leadsApp';
import { referral } from '../../fixtures/referrals';
import { admin, dealInput } from '../../fixtures/leads';
import { makeApp } from '../../support/app';
import { startTestStorage, type TestStorage } from '../../support/storage';

let storage: TestStorage;
beforeAll(async () => {
  storage = await startTestStorage();
});
afterAll(() => storage.close());

const names = (answer: SearchAnswer) => (answer.ok ? answer.page.items.map((l) => l.name) : answer.reason);
const find = async (app: LeadsApp, text: string) => names(await searchLeads(app.views, text));

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();
const customer = (name: string) => ({ customerProfile: { name, team: [] } });

describe('searching leads', () => {
  it('finds word prefixes in any case and with or without accents, open leads newest first and archived ones last', async () => {
    const app = makeApp(await storage.freshTables());
    const [oldest, archived, middle, newest] = [
      referral({ name: 'Rooms for Contoso', createdDateTime: minutesAgo(40), ...customer('Contoso Ltd') }),
      referral({ name: 'Contoso archive', createdDateTime: minutesAgo(5), ...customer('Contoso Ltd') }),
      referral({ name: 'Müller Maschinenbau migration', createdDateTime: minutesAgo(20), ...customer('Müller GmbH') }),
      referral({ name: 'CONTOSO Copilot', createdDateTime: minutesAgo(10), ...customer('Contoso Pharma') }),
    ];
    await app.ingest([oldest, archived, middle, newest, referral({ name: 'Unrelated', ...customer('Fabrikam') })]);
    await app.act(archived.id, { kind: 'decline', reason: 'budget' }, admin);
    await app.settle();

    expect(await find(app, 'contos')).toEqual(['CONTOSO Copilot', 'Rooms for Contoso', 'Contoso archive']);
    expect(await find(app, 'CONTOSO pharma')).toEqual(['CONTOSO Copilot']);
    for (const spelling of ['müller', 'MULLER', 'mueller', 'mü']) expect(await find(app, spelling)).toEqual(['Müller Maschinenbau migration']);
    // Spelled without umlauts in Partner Center, found as typed with them.
    await app.ingest([referral({ name: 'Kühne rollout', createdDateTime: minutesAgo(1), ...customer('Kuehne Logistik') })]);
    await app.settle();
    expect(await find(app, 'kühne logistik')).toEqual(['Kühne rollout']);
    expect(await find(app, 'maschinenbau mig')).toEqual(['Müller Maschinenbau migration']);
    expect(await find(app, 'schinen')).toEqual([]);
    expect(await find(app, 'c')).toBe('tooShort');
  });

  it('finds a lead by its referral id, and once accepted by deal name, CRM id and campaign id', async () => {
    const app = makeApp(await storage.freshTables());
    const input = referral({ id: '4f2c1a7e-9b31-4c5e-8d2a-0e6f1b2c3d4e', name: 'Teams Rooms' });
    await app.ingest([input]);
    await app.settle();
    expect(await find(app, '4F2C1A7E')).toEqual(['Teams Rooms']);
    expect(await find(app, '4f2c1a7e-9b31-4c5e-8d2a-0e6f1b2c3d4e')).toEqual(['Teams Rooms']);
    expect(await find(app, 'phoenix')).toEqual([]);

    await app.act(input.id, { kind: 'accept', deal: { ...dealInput, name: 'Phoenix rollout', crmId: 'OPP-4711', campaignId: 'FY27-Spring' } }, admin);
    await app.settle();
    for (const text of ['phoenix', 'opp-4711', '4711', 'fy27 spring']) expect(await find(app, text)).toEqual(['Teams Rooms']);
  });

  it('follows edits: a renamed deal is found by its new name only, and a removed CRM id finds nothing', async () => {
    const app = makeApp(await storage.freshTables());
    const input = referral({ name: 'Fabrikam rooms' });
    await app.ingest([input]);
    await app.act(input.id, { kind: 'accept', deal: { ...dealInput, name: 'Phoenix', crmId: 'OPP-1' } }, admin);
    await app.settle();
    await app.act(input.id, { kind: 'edit', deal: { ...dealInput, name: 'Atlas' } }, admin);
    await app.settle();

    expect(await find(app, 'phoenix')).toEqual([]);
    expect(await find(app, 'opp')).toEqual([]);
    expect(await find(app, 'atlas')).toEqual(['Fabrikam rooms']);
    // Archived, it moves behind the open leads in every one of its prefixes.
    await app.act(input.id, { kind: 'markLost', reason: 'budget' }, admin);
    await app.ingest([referral({ name: 'Fabrikam analytics', createdDateTime: minutesAgo(60 * 24) })]);
    await app.settle();
    expect(await find(app, 'fabrikam')).toEqual(['Fabrikam analytics', 'Fabrikam rooms']);
    const answer = await searchLeads(app.views, 'atlas');
    expect(answer.ok && answer.page.items.map((l) => [l.stage, l.outcome])).toEqual([['Archived', 'Lost']]);
  });

  it('pages 10 at a time to the last match, and a page reads only the rows of its prefix', async () => {
    const app = makeApp(await storage.freshTables());
    const matching = Array.from({ length: 23 }, (_, i) => referral({ name: `Northwind ${i}`, createdDateTime: minutesAgo(i), ...customer('Northwind Traders') }));
    const others = Array.from({ length: 40 }, (_, i) => referral({ name: `Other ${i}`, ...customer('Nordic Rails') }));
    await app.ingest([...matching, ...others]);
    await app.settle();

    const pages: string[][] = [];
    let cursor: string | undefined;
    let reads = 0;
    do {
      const answer = await searchLeads(app.views, 'northw', { cursor });
      if (!answer.ok) throw new Error(answer.reason);
      pages.push(answer.page.items.map((l) => l.name));
      reads += answer.rowsRead;
      cursor = answer.page.next;
    } while (cursor);
    expect(pages.map((p) => p.length)).toEqual([10, 10, 3]);
    expect(pages.flat()).toEqual(matching.map((r) => r.name));
    // Each page reads one index row past its end to know there is more (11 + 11 + 3, never the 40
    // others), then the summaries of its leads from their list rows (10 + 10 + 3).
    expect(reads).toBe(25 + 23);

    // A second word filters the rows of the longest one.
    const both = await searchLeads(app.views, 'nor traders');
    expect(both.ok && both.page.items).toHaveLength(10);
    const nordic = await searchLeads(app.views, 'nordic');
    expect(nordic.ok && nordic.rowsRead).toBe(11 + 10);
  });

  it('shows a lead as it is now without writing its search rows again: an answer, an owner or a favorite leaves them as they are', async () => {
    const tables = await storage.freshTables();
    const app = makeApp(tables);
    const input = referral({ name: 'Litware rollout', ...customer('Litware') });
    await app.ingest([input]);
    await app.settle();
    const etags = async () => {
      const found: string[] = [];
      for await (const row of tables.SearchIndex.listEntities()) found.push(`${row.rowKey} ${row.etag}`);
      return found.sort();
    };
    const before = await etags();
    await app.act(input.id, { kind: 'favorite' }, admin);
    // Accepted under the lead's own name (the Accept form's default): no new word.
    await app.act(input.id, { kind: 'accept', deal: { name: 'Litware rollout', value: 1, currency: 'EUR', purchaseDate: '2027-01-01' } }, admin);
    await app.settle();
    expect(await etags()).toEqual(before);
    const answer = await searchLeads(app.views, 'litware');
    expect(answer.ok && answer.page.items.map((l) => [l.name, l.stage])).toEqual([['Litware rollout', 'Accepted']]);
  });

  it('records what an archived lead with long names leaves behind in a few properties, and removes every stale row', async () => {
    const tables = await storage.freshTables();
    const app = makeApp(tables);
    const name = Array.from({ length: 40 }, (_, i) => `Wort${i}lang`).join(' ');
    const input = referral({ name, ...customer('Müller Maschinenbau Gesellschaft') });
    await app.ingest([input]);
    await app.settle();
    // Declined and not yet projected: every one of its ~150 search rows is stale (archived leads sort last).
    await actOnLead(input.id, { kind: 'decline', reason: 'budget' }, admin, { leads: app.leads, now: () => new Date() });
    const pending = await tables.Leads.getEntity(input.id, `pending|${input.id}`);
    // Azure allows 252 properties a row: far from it.
    expect(Object.keys(pending).length).toBeLessThan(40);

    await app.projector.project(input.id);
    const rows: string[] = [];
    for await (const row of tables.SearchIndex.listEntities({ queryOptions: { select: ['RowKey'] } })) rows.push(row.rowKey ?? '');
    // Only the archived rows are left (their order starts with 1), one per key.
    expect(rows.length).toBe(150);
    expect(rows.every((key) => key.split('|')[1]?.startsWith('1'))).toBe(true);
    expect(await find(app, 'müller wort1lang')).toEqual([name]);
  });

  it('reads on until the page is full when the other words of a query filter out most of its rows', async () => {
    const app = makeApp(await storage.freshTables());
    const rare = referral({ name: 'Contoso zeta', createdDateTime: minutesAgo(100) });
    await app.ingest([rare, ...Array.from({ length: 30 }, (_, i) => referral({ name: `Contoso ${i}`, createdDateTime: minutesAgo(i) }))]);
    await app.settle();
    // "contoso" is the key (longer than "zeta"); each read of the index takes 10 rows here.
    const answer = await searchLeads(app.views, 'contoso zeta', { rowsPerRead: 10 });
    expect(answer.ok && answer.page.items.map((l) => l.name)).toEqual(['Contoso zeta']);
    expect(answer.ok && answer.rowsRead).toBe(31 + 1);
    expect(answer.ok && answer.page.next).toBeUndefined();
  });

  it('keeps the index right when a slower projector writes the rows of an older version last', async () => {
    const tables = await storage.freshTables();
    const [fast, slow] = [makeApp(tables, { instanceId: 'fast' }), makeApp(tables, { instanceId: 'slow' })];
    const input = referral({ name: 'Raced rooms' });
    await fast.ingest([input]);
    await fast.act(input.id, { kind: 'accept', deal: { ...dealInput, name: 'Phoenix' } }, admin);
    await fast.settle();
    // Renamed (not yet projected). The slow projector reads that; before it writes, the deal is
    // renamed again and the fast projector projects everything.
    await actOnLead(input.id, { kind: 'edit', deal: { ...dealInput, name: 'Atlas' } }, admin, { leads: fast.leads, now: () => new Date() });
    const read = slow.leads.get.bind(slow.leads);
    slow.leads.get = async (id) => {
      slow.leads.get = read;
      const older = await read(id);
      await actOnLead(input.id, { kind: 'edit', deal: { ...dealInput, name: 'Zephyr' } }, admin, { leads: fast.leads, now: () => new Date() });
      await fast.projector.project(input.id);
      return older;
    };
    await slow.projector.project(input.id);
    await slow.settle();

    expect(await find(slow, 'zephyr')).toEqual(['Raced rooms']);
    expect(await find(slow, 'atlas')).toEqual([]);
    expect(await find(slow, 'phoenix')).toEqual([]);
  });
});
