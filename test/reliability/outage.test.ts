/**
 * A storage outage under load: Azurite is stopped while leads arrive and people click. The app
 * says so honestly (503 + Retry-After, a "try again" answer on the card, /readyz failing), writes
 * nothing half-way, and recovers by itself when storage is back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { referral } from '../fixtures/referrals';
import { admins, cardText, settledDeliveries, startLiveWorld, type LiveWorld } from '../support/liveWorld';
import { getJson } from '../support/http';
import { eventually, startAzurite, type AzuriteProcess } from '../support/processes';
import { acceptForm, execute } from '../support/teamsActivities';

const [dana] = admins(1);

describe('storage stops under load, then comes back', () => {
  let location: string;
  let azurite: AzuriteProcess;
  let world: LiveWorld;
  beforeAll(async () => {
    // On disk, so the data outlives the stop.
    location = mkdtempSync(path.join(tmpdir(), 'leads-outage-'));
    azurite = await startAzurite({ location });
    world = await startLiveWorld({ azurite, env: { LEAD_ADMIN_IDS: dana!.aadObjectId } });
  });
  afterAll(async () => {
    await world.close();
    await azurite.stop();
    rmSync(location, { recursive: true, force: true });
  });

  it('answers 503 with Retry-After and "try again" while down, loses nothing, and recovers by itself', async () => {
    const before = Array.from({ length: 20 }, (_, i) => referral({ name: `Before outage ${i}` }));
    expect((await world.ingest(before)).status).toBe(201);
    const [place] = world.places;
    const accept = (leadId: string) =>
      world.teams(
        execute(place!, dana!, 'lead.accept', acceptForm(leadId, 'Outage deal'), world.connector.url),
      );

    // Load: callers ingesting and admins accepting, until storage has been down for a while.
    const acknowledged = new Set(before.map((r) => r.id));
    const during = { unavailable: 0, retryAfter: 0, other: [] as number[], tryAgain: 0 };
    let stopLoad = false;
    let n = 0;
    const ingester = async () => {
      while (!stopLoad) {
        const r = referral({ name: `Under load ${n++}` });
        const answer = await world.ingest(r);
        if (answer.status === 201) acknowledged.add(r.id);
        else if (answer.status === 503) {
          during.unavailable++;
          if (Number(answer.headers.get('retry-after')) > 0) during.retryAfter++;
        } else during.other.push(answer.status);
      }
    };
    const clicker = async () => {
      for (let i = 0; !stopLoad; i++) {
        const answer = await accept(before[i % before.length]!.id);
        expect(answer.status).toBe(200);
        if (cardText(answer.body).includes('Please try again')) during.tryAgain++;
      }
    };
    const load = Promise.all([ingester(), ingester(), ingester(), ingester(), clicker()]);

    await eventually('some leads to be ingested under load', async () => acknowledged.size >= 40, 30_000, 10);
    await azurite.stop();
    await eventually('ingestion to answer 503', async () => during.unavailable >= 20 && during.tryAgain >= 3, 30_000, 20);
    const ready = await getJson(`${world.app.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(Number(ready.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await getJson(`${world.app.url}/healthz`)).status).toBe(200); // alive, just not ready

    await azurite.restart();
    await eventually('the app to be ready again', async () => (await getJson(`${world.app.url}/readyz`)).status === 200, 30_000, 100);
    const afterOutage = referral({ name: 'After outage' });
    await eventually('ingestion to work again', async () => (await world.ingest(afterOutage)).status < 300, 30_000, 100);
    acknowledged.add(afterOutage.id);
    stopLoad = true;
    await load;

    expect(during.other).toEqual([]); // only 201 or 503, never a 500
    expect(during.retryAfter).toBe(during.unavailable);

    // Nothing lost, nothing half-written: every acknowledged lead is stored whole, with its history.
    const stored = new Set(await world.storedLeadIds());
    expect([...acknowledged].filter((id) => !stored.has(id))).toEqual([]);
    const leads: { id: string; name: string }[] = [];
    for (const id of stored) {
      const lead = (await world.lead(id)).body;
      expect(lead.history).toHaveLength(lead.revision);
      leads.push({ id, name: lead.name });
    }
    // And every stored lead reached the channel once, the ones that arrived during the outage too.
    const counts = await settledDeliveries(world, leads);
    expect([...counts].filter(([, times]) => times !== 1)).toEqual([]);
  });

});
