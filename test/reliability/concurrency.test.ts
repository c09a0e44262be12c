/**
 * Concurrency against the running app: many admins clicking at once on one lead, and a storm of
 * ingests with duplicates. Exactly one change wins, everyone else is told who won, and every
 * lead reaches every conversation once.
 */
import { referral } from '../fixtures/referrals';
import { admins, cardText, settledDeliveries, startLiveWorld, type LiveWorld } from '../support/liveWorld';
import { eventually } from '../support/processes';
import { acceptForm, channel, execute, groupChat } from '../support/teamsActivities';

const ADMINS = admins(50);

describe('50 admins act on one lead at the same moment', () => {
  let world: LiveWorld;
  beforeAll(async () => {
    world = await startLiveWorld({ env: { LEAD_ADMIN_IDS: ADMINS.map((a) => a.aadObjectId).join(',') } });
  });
  afterAll(() => world.close());

  it('applies exactly one of the conflicting actions, audits it once and tells every other admin who won', async () => {
    const input = referral({ name: 'Contested lead' });
    expect((await world.ingest(input)).status).toBe(201);
    const [place] = world.places;
    const card = await eventually('the lead card', async () => world.connector.posts().find((p) => cardText(p.activity).includes('Contested lead')));

    // Half accept (each with their own deal name), half decline.
    const answers = await Promise.all(
      ADMINS.map((admin, i) => {
        const data =
          i % 2 === 0
            ? acceptForm(input.id, `Deal of ${admin.name}`)
            : { leadId: input.id, revision: 1, reason: 'budget', notes: `Declined by ${admin.name}` };
        return world.teams(execute(place!, admin, i % 2 === 0 ? 'lead.accept' : 'lead.decline', data, world.connector.url, { replyToId: card.activityId }));
      }),
    );
    expect(answers.map((a) => a.status)).toEqual(ADMINS.map(() => 200));

    const stored = (await world.lead(input.id)).body;
    expect(stored.history.map((e: { type: string }) => e.type)).toHaveLength(2); // receive + the one winner
    const winner = stored.history[1];
    expect(['accept', 'decline']).toContain(winner.type);
    const winnerName: string = winner.actor.name;
    const winnerIndex = ADMINS.findIndex((a) => a.name === winnerName);
    expect(winnerIndex).toBeGreaterThanOrEqual(0);
    if (winner.type === 'accept') expect(stored.deal.name).toBe(`Deal of ${winnerName}`);

    const verb = winner.type === 'accept' ? 'accepted' : 'declined';
    answers.forEach((answer, i) => {
      const text = cardText(answer.body);
      if (i === winnerIndex) expect(text).not.toContain('Already');
      else expect(text).toContain(`Already ${verb} by ${winnerName}`);
    });
  });
});

describe('500 concurrent ingests of 100 referrals, each sent five times', () => {
  let world: LiveWorld;
  beforeAll(async () => {
    world = await startLiveWorld({ places: [channel('19:storm-sales@thread.tacv2'), groupChat('19:storm-chat@thread.v2')] });
  });
  afterAll(() => world.close());

  it('stores exactly 100 leads and delivers each once to every conversation (own card or digest line)', async () => {
    const distinct = Array.from({ length: 100 }, (_, i) => referral({ name: `Storm lead ${String(i).padStart(3, '0')}` }));
    const calls = Array.from({ length: 500 }, (_, i) => distinct[i % 100]!);
    const answers = await Promise.all(calls.map((r) => world.ingest(r)));

    expect(answers.map((a) => a.status).filter((status) => status !== 201 && status !== 200)).toEqual([]);
    expect(answers.filter((a) => a.status === 201)).toHaveLength(100);
    expect(answers.filter((a) => a.body.duplicate === true)).toHaveLength(400);
    expect((await world.storedLeadIds()).sort()).toEqual(distinct.map((r) => r.id).sort());

    const leads = distinct.map((r) => ({ id: r.id, name: r.name }));
    const counts = await settledDeliveries(world, leads);
    expect([...counts].filter(([, n]) => n !== 1)).toEqual([]);
    for (const place of world.places) {
      for (const lead of leads) expect(counts.get(`${place.conversation.id}|${lead.id}`)).toBe(1);
    }
  });
});
