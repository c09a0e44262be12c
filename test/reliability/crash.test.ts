/**
 * Crashes: the app is killed with SIGKILL (no chance to finish anything) while storage lives on,
 * in the middle of an ingest burst and in the middle of sending cards. After a restart, every
 * lead the API acknowledged is there and reaches every conversation once — or, where the crash
 * fell between Teams taking a card and the app recording it, the delivery says it may show twice.
 */
import { referral } from '../fixtures/referrals';
import { conversationKey } from '../../services/storage/conversationStore';
import { deliveriesOf } from '../../services/delivery/deliveryStore';
import { leadRowKey } from '../../services/storage/leadStore';
import { settledDeliveries, startLiveWorld, type LiveWorld } from '../support/liveWorld';
import { eventually } from '../support/processes';
import { channel, groupChat, type Place } from '../support/teamsActivities';

/** Waits until the restarted app has sent everything; then checks each (conversation, lead) pair. */
async function expectEachDeliveredOnce(world: LiveWorld, leads: { id: string; name?: string }[]): Promise<void> {
  const counts = await settledDeliveries(world, leads, 90_000);
  const leadRows = world.table('Leads');
  for (const place of world.places) {
    for (const lead of leads) {
      const times = counts.get(`${place.conversation.id}|${lead.id}`);
      if (times === 1) continue;
      // Shown twice only where the record says so: the crash cut a send short after Teams had it.
      expect(times).toBe(2);
      const row = await leadRows.getEntity<Record<string, unknown>>(lead.id, leadRowKey(lead.id));
      const record = deliveriesOf(lead.id, row).find((d) => d.conversationKey === conversationKey(place.conversation.id));
      expect(record?.maybeDuplicate).toBe(true);
    }
  }
}

const places = (n: number): Place[] => [
  channel('19:crash-sales@thread.tacv2'),
  ...Array.from({ length: n - 1 }, (_, i) => groupChat(`19:crash-chat-${i}@thread.v2`)),
];

describe('the app is killed during an ingest burst', () => {
  let world: LiveWorld;
  beforeAll(async () => {
    world = await startLiveWorld({ places: places(2) });
  });
  afterAll(() => world.close());

  it('keeps every acknowledged lead and delivers each once after the restart', async () => {
    const referrals = Array.from({ length: 400 }, (_, i) => referral({ name: `Burst lead ${String(i).padStart(3, '0')}` }));
    const acknowledged = new Set<string>();
    let next = 0;
    let killed = false;
    // 16 callers post one referral after another until the app dies under them.
    const caller = async () => {
      while (!killed && next < referrals.length) {
        const r = referrals[next++]!;
        try {
          const answer = await world.ingest(r);
          if (answer.status === 201 || answer.status === 200) acknowledged.add(r.id);
        } catch {
          return; // the app is gone: this request was never acknowledged
        }
        if (acknowledged.size === 120 && !killed) {
          killed = true;
          await world.app.kill();
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, caller));
    expect(killed).toBe(true);
    expect(acknowledged.size).toBeGreaterThanOrEqual(120);

    await world.restartApp();
    for (const id of acknowledged) expect((await world.lead(id)).status).toBe(200);
    // Also a lead stored by a request whose answer the crash swallowed is delivered, once.
    const stored = new Set(await world.storedLeadIds());
    expect([...acknowledged].filter((id) => !stored.has(id))).toEqual([]);
    await expectEachDeliveredOnce(
      world,
      referrals.filter((r) => stored.has(r.id)).map((r) => ({ id: r.id, name: r.name })),
    );
  });
});

describe('the app is killed while it sends cards', () => {
  let world: LiveWorld;
  beforeAll(async () => {
    // Ten conversations, one card each per lead (no digests): 300 cards take about six seconds at Teams' 50/s.
    world = await startLiveWorld({ places: places(10), env: { DIGEST_THRESHOLD: '100' } });
  });
  afterAll(() => world.close());

  it('finishes sending after the restart without losing or silently repeating a card', async () => {
    const referrals = Array.from({ length: 30 }, (_, i) => referral({ name: `Drain lead ${String(i).padStart(2, '0')}` }));
    const answer = await world.ingest(referrals);
    expect(answer.status).toBe(201);

    await eventually('the first 80 cards to be sent', async () => world.connector.posts().length >= 80 + world.places.length, 30_000, 5);
    await world.app.kill();
    const sentBeforeCrash = world.connector.posts().length;
    expect(sentBeforeCrash).toBeLessThan(300 + world.places.length);

    await world.restartApp();
    await expectEachDeliveredOnce(world, referrals.map((r) => ({ id: r.id, name: r.name })));
    expect(world.connector.posts().length).toBeGreaterThan(sentBeforeCrash);
  });
});
