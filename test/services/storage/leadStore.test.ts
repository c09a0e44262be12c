import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmbeddedAzurite } from '../../../services/storage/embeddedAzurite';
import { ConfigError } from '../../../services/errors';
import { checkLayout, ensureTables, openTables } from '../../../services/storage/tables';
import { referral } from '../../fixtures/referrals';
import { partnerCenterOf } from '../../../services/partnerCenter/referrals/referralState';
import { admin, dealInput, viewer } from '../../fixtures/leads';
import { makeApp } from '../../support/app';
import { startTestStorage, type TestStorage } from '../../support/storage';

let storage: TestStorage;
beforeAll(async () => {
  storage = await startTestStorage();
});
afterAll(() => storage.close());

describe('leads in Azure Tables', () => {
  it('stores a referral once and reads it back with its history', async () => {
    const app = makeApp(await storage.freshTables());
    const input = referral({ details: { customerRequestedContact: true, notes: 'Call me' } });
    const [result] = await app.ingest([input]);
    expect(result).toEqual({ id: input.id, duplicate: false });

    const stored = await app.leads.get(input.id);
    expect(stored?.lead).toMatchObject({ id: input.id, stage: 'Received', flame: true, need: 'Call me', type: 'customerInquiry' });
    expect(await app.leads.history(input.id)).toEqual([expect.objectContaining({ type: 'receive', seq: 1 })]);
  });

  it('when 20 copies of one referral arrive at once, then exactly one lead is stored', async () => {
    const app = makeApp(await storage.freshTables());
    const input = referral();
    const results = await Promise.all(Array.from({ length: 20 }, () => app.ingest([input])));
    const created = results.flat().filter((r) => !r.duplicate);
    expect(created).toHaveLength(1);
    expect(await app.leads.history(input.id)).toHaveLength(1);
  });

  it('when 20 admins accept the same lead at once, then exactly one wins and the others get the current lead', async () => {
    const app = makeApp(await storage.freshTables());
    const input = referral();
    await app.ingest([input]);
    const actors = Array.from({ length: 20 }, (_, i) => ({ ...admin, id: `00000000-0000-4000-8000-0000000001${String(i).padStart(2, '0')}`, name: `Admin ${i}` }));
    const results = await Promise.all(actors.map((actor) => app.act(input.id, { kind: 'accept', deal: dealInput }, actor)));

    const winners = results.filter((r) => r.status === 'changed');
    const conflicts = results.filter((r) => r.status === 'conflict');
    expect(winners).toHaveLength(1);
    expect(conflicts).toHaveLength(19);
    for (const r of conflicts) expect('lead' in r && r.lead.stage).toBe('Accepted');
    const history = await app.leads.history(input.id);
    expect(history.filter((e) => e.type === 'accept')).toHaveLength(1);
  });

  it('answers a retried accept by the same admin as unchanged, not as an error', async () => {
    const app = makeApp(await storage.freshTables());
    const input = referral();
    await app.ingest([input]);
    expect((await app.act(input.id, { kind: 'accept', deal: dealInput }, admin)).status).toBe('changed');
    expect((await app.act(input.id, { kind: 'accept', deal: dealInput }, admin)).status).toBe('unchanged');
    expect((await app.leads.history(input.id)).map((e) => e.type)).toEqual(['receive', 'accept']);
  });

  it('keeps both favorites when two people favorite at once', async () => {
    const app = makeApp(await storage.freshTables());
    const input = referral();
    await app.ingest([input]);
    await Promise.all([app.act(input.id, { kind: 'favorite' }, admin), app.act(input.id, { kind: 'favorite' }, viewer)]);
    const stored = await app.leads.get(input.id);
    expect(stored?.lead.favorites.map((f) => f.name).sort()).toEqual(['Dana Admin', 'Vic Viewer']);
  });

  it('never loses an Accept that races with a favorite click', async () => {
    const app = makeApp(await storage.freshTables());
    const input = referral();
    await app.ingest([input]);
    const results = await Promise.all([
      app.act(input.id, { kind: 'accept', deal: dealInput }, admin),
      ...Array.from({ length: 5 }, () => app.act(input.id, { kind: 'favorite' }, viewer)),
    ]);
    expect(results[0]?.status).toBe('changed');
    const stored = await app.leads.get(input.id);
    expect(stored?.lead.stage).toBe('Accepted');
    expect(stored?.lead.favorites.map((f) => f.name)).toEqual(['Vic Viewer']);
  });

  it('leaves no projection hint behind for a click that changed nothing', async () => {
    const app = makeApp(await storage.freshTables());
    const input = referral();
    await app.ingest([input]);
    await app.settle();
    expect((await app.act(input.id, { kind: 'accept', deal: dealInput }, viewer, await app.leads.getForChange(input.id))).status).toBe('rejected');
    expect(await app.leads.getForChange('no-such-lead')).toBeUndefined();
    expect(await app.leads.hinted()).toEqual([]);
  });

  it('stores nothing when the command is invalid', async () => {
    const app = makeApp(await storage.freshTables());
    const input = referral();
    await app.ingest([input]);
    const result = await app.act(input.id, { kind: 'accept', deal: { ...dealInput, name: '' } }, admin);
    expect(result.status).toBe('rejected');
    expect((await app.leads.get(input.id))?.lead.stage).toBe('Received');
    expect(await app.leads.history(input.id)).toHaveLength(1);
  });

  it('stores a large lead over several properties and reads it back whole', async () => {
    const app = makeApp(await storage.freshTables());
    const contacts = Array.from({ length: 20 }, (_, i) => ({ firstName: 'A'.repeat(100), lastName: `${i}`, email: `c${i}@example.com` }));
    const solutions = Array.from({ length: 20 }, (_, i) => ({ name: `${'S'.repeat(190)}${i}` }));
    const input = referral({
      customerProfile: { name: 'Big', team: contacts },
      details: { notes: 'N'.repeat(4000), requirements: { solutions, products: Array(20).fill('P'.repeat(100)) } },
    });
    await app.ingest([input]);
    const stored = await app.leads.get(input.id);
    expect(stored?.lead.contacts).toHaveLength(20);
    expect(stored?.lead.requirements).toHaveLength(40);
  });
});

describe('embedded storage on disk', () => {
  it('keeps every acknowledged lead across a graceful restart', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'leads-'));
    try {
      const first = await startEmbeddedAzurite({ dataDir: dir });
      const tables = openTables(first.connectionString);
      await ensureTables(tables);
      const inputs = Array.from({ length: 25 }, () => referral());
      await makeApp(tables).ingest(inputs);
      await first.close();

      const second = await startEmbeddedAzurite({ dataDir: dir });
      const reopened = makeApp(openTables(second.connectionString));
      const found = await Promise.all(inputs.map((r) => reopened.leads.get(r.id)));
      await second.close();
      expect(found.filter(Boolean)).toHaveLength(25);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('storage written by another version', () => {
  it('marks new storage with its row layout and opens it again', async () => {
    const tables = await storage.freshTables();
    await checkLayout(tables, 'DATA_DIR');
    expect((await tables.Meta.getEntity<{ version: number }>('layout', 'rows')).version).toBe(4);
    await makeApp(tables).ingest([referral()]);
    await expect(checkLayout(tables, 'DATA_DIR')).resolves.toBeUndefined();
  });

  it("opens the previous release's storage as it is: its leads keep their Partner Center record, and the storage is marked for this release", async () => {
    const tables = await storage.freshTables();
    const app = makeApp(tables);
    const input = referral({ eTag: '"pc-1"', engagementId: 'eng-7' });
    await app.ingest([input]);
    // The lead as the previous release stored it: Partner Center's record at the top of the lead.
    const row = await tables.Leads.getEntity<{ data0: string; chunks: number }>(input.id, `lead|${input.id}`);
    const { external, ...lead } = JSON.parse(row.data0) as { external: { partnerCenter: Record<string, unknown> } };
    const old = JSON.stringify({ ...lead, partnerCenter: { status: 'New', substatus: 'Received', ...external.partnerCenter } });
    await tables.Leads.updateEntity({ partitionKey: input.id, rowKey: `lead|${input.id}`, data0: old, chunks: 1 }, 'Merge');
    await tables.Meta.upsertEntity({ partitionKey: 'layout', rowKey: 'rows', version: 3 }, 'Replace');

    await checkLayout(tables, 'DATA_DIR');
    expect((await tables.Meta.getEntity<{ version: number }>('layout', 'rows')).version).toBe(4);
    const read = (await app.leads.get(input.id))!.lead;
    expect(partnerCenterOf(read)).toMatchObject({ engagementId: 'eng-7', synced: { eTag: '"pc-1"' } });
    // Written again by this release, it keeps the record where this release keeps it.
    await app.act(input.id, { kind: 'favorite' }, admin);
    const rewritten = JSON.parse((await tables.Leads.getEntity<{ data0: string }>(input.id, `lead|${input.id}`)).data0) as Record<string, unknown>;
    expect(rewritten).not.toHaveProperty('partnerCenter');
    expect(partnerCenterOf((await app.leads.get(input.id))!.lead).synced?.eTag).toBe('"pc-1"');
  });

  it('accepts unmarked storage whose leads are in the layout before, and marks it moved once the first start has moved it', async () => {
    const tables = await storage.freshTables();
    await makeApp(tables).ingest([referral()]);
    await checkLayout(tables, 'DATA_DIR');
    expect((await tables.Meta.getEntity<{ version: number }>('layout', 'rows')).version).toBe(2);
    await makeApp(tables).prepare();
    // A release that reads layout 2 now refuses it (it would undo the move: its updates replace the lead's row).
    expect((await tables.Meta.getEntity<{ version: number }>('layout', 'rows')).version).toBe(4);
    await expect(checkLayout(tables, 'DATA_DIR')).resolves.toBeUndefined();
  });

  it('refuses storage that holds leads from a build before the layout mark, naming the setting to change', async () => {
    const tables = await storage.freshTables();
    // A lead as builds before the mark stored it: RowKey 'lead' in every partition.
    await tables.Leads.createEntity({ partitionKey: 'old-lead', rowKey: 'lead', data0: '{}' });
    const refused = checkLayout(tables, 'TABLE_PREFIX');
    await expect(refused).rejects.toBeInstanceOf(ConfigError);
    await expect(refused).rejects.toThrow(/TABLE_PREFIX: the storage it points to holds leads in row layout 1/);
  });
});
