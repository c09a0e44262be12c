/** Referrals in: the catch-up poll (paging, cursor, overlap), what becomes a lead, and changes made in Partner Center. */
import { referral } from '../../fixtures/referrals';
import { FAKES, syncWorldsOnOneStorage, type syncWorld } from '../../support/partnerCenterWorld';
import { HOUR, T0 } from '../../support/world';

describe.each(FAKES)('against the %s fake Partner Center', (_fake, unkind) => {
  const worlds = syncWorldsOnOneStorage({ unkind });

  type World = Awaited<ReturnType<typeof syncWorld>>;
  const lists = (world: World) => world.partnerCenter.requests.filter((r) => r.method === 'GET' && /\/referrals(\?|$)/.test(r.path));

  describe('the catch-up poll', () => {
    it('follows @odata.nextLink through every page of a first import, and stores each incoming lead once', async () => {
      const world = await worlds.world();
      world.partnerCenter.pageSize = 40;
      const ids = Array.from({ length: 100 }, (_, i) => world.partnerCenter.create(referral({ name: `Lead ${i}`, createdDateTime: T0.toISOString() })).id);
      await world.pull();
      expect(lists(world).map((r) => r.path.split('?')[0])).toEqual(['/v1.0/engagements/referrals', '/v1.0/referrals', '/v1.0/referrals']);
      const stored = await Promise.all(ids.map((id) => world.app.leads.get(id)));
      expect(ids.filter((_, i) => !stored[i])).toEqual([]);
      // Each one reaches both subscribed conversations, as a lead from the leads API does: as its own card or a digest line.
      // Teams takes at most 8 messages in 2 s per conversation: some 20 each here (cards, then digests).
      for (let second = 0; second < 10; second++) {
        world.app.kickSends();
        await world.settle();
        world.clock.advance(1000);
      }
      const shown = world.gateway.sent.flatMap((s) => (s.op !== 'post' ? [] : s.message.kind === 'leadCard' ? [s.message.lead.id] : s.message.kind === 'digest' ? s.message.leads.map((l) => l.id) : []));
      expect(ids.filter((id) => shown.filter((shownId) => shownId === id).length !== 2)).toEqual([]);
    });

    it('reads, on the next pass, only what changed since the last one (with a few minutes of overlap)', async () => {
      const world = await worlds.world();
      world.partnerCenter.pageSize = 10;
      world.clock.set(new Date(T0.getTime() - 2 * HOUR));
      for (let i = 0; i < 30; i++) world.partnerCenter.create(referral({ createdDateTime: T0.toISOString() }));
      world.clock.set(new Date(T0.getTime() - HOUR));
      for (let i = 0; i < 10; i++) world.partnerCenter.create(referral({ createdDateTime: T0.toISOString() }));
      await world.pull();
      const firstPass = lists(world).length;
      expect(firstPass).toBe(4);

      world.clock.set(T0);
      const arrived = world.partnerCenter.create(referral({ name: 'Arrived between passes', createdDateTime: T0.toISOString() }));
      await world.pull();
      // Three pages: the new referral and the last pass's newest (within the overlap), then one of
      // nothing new (pages after the first come by next-page links, whose order is not assumed).
      expect(lists(world).length - firstPass).toBe(3);
      expect((await world.app.leads.get(arrived.id))?.lead.name).toBe('Arrived between passes');
    });

    it('reads a referral changed while a pass pages through the list on the next pass', async () => {
      const world = await worlds.world();
      world.partnerCenter.pageSize = 10;
      const ids = Array.from({ length: 30 }, () => world.partnerCenter.create(referral({ createdDateTime: T0.toISOString() })).id);
      await world.pull();
      const oldest = ids[0]!;
      // While the second pass reads its second page, the oldest referral (on a page already passed by the order) is accepted in the portal.
      world.clock.advance(HOUR);
      world.partnerCenter.create(referral({ createdDateTime: T0.toISOString() }));
      world.partnerCenter.beforePage = (offset) => {
        if (offset === 10) world.partnerCenter.portalChange(oldest, (r) => Object.assign(r, { status: 'Active', substatus: 'Accepted' }));
      };
      await world.pull();
      world.partnerCenter.beforePage = undefined;
      await world.pull();
      expect((await world.app.leads.get(oldest))?.lead.stage).toBe('Accepted');
    });

    it('never skips a referral whose timestamp equals the last one seen, or lags a little behind it', async () => {
      const world = await worlds.world();
      const first = world.partnerCenter.create(referral({ createdDateTime: T0.toISOString() }));
      await world.pull();
      // Partner Center stamped a change a minute before the newest one the poll saw (its clocks are not ours).
      const late = world.partnerCenter.create(referral({ name: 'Stamped late', createdDateTime: T0.toISOString() }));
      world.partnerCenter.portalChange(late.id, (r) => (r.updatedDateTime = new Date(Date.parse(first.updatedDateTime) - 60_000).toISOString()));
      await world.pull();
      expect((await world.app.leads.get(late.id))?.lead.name).toBe('Stamped late');
    });

    it('takes only incoming Marketplace and Qualified leads: no co-sell opportunities, no referrals the partner sent', async () => {
      const world = await worlds.world();
      const lead = world.partnerCenter.create(referral({ qualification: 'SalesQualified' }));
      const coSell = world.partnerCenter.create(referral({ type: 'Shared', qualification: 'SalesQualified' }));
      const fromPartner = world.partnerCenter.create(referral({ inviteContext: { invitedBy: { organizationId: 'a-partner-org', organizationName: 'Adatum' } } }));
      const outgoing = world.partnerCenter.create(referral({ direction: 'Outgoing' }));
      await world.pull();
      expect(await world.app.leads.get(lead.id)).toBeDefined();
      for (const other of [coSell, fromPartner, outgoing]) expect(await world.app.leads.get(other.id)).toBeUndefined();
      expect(await world.app.syncStatus()).toMatchObject({ on: true, lastPullAt: expect.any(String) });
    });
  });

  describe('one lead per referral, whichever way it arrives first', () => {
    it('stores a referral posted to the leads API, polled, and polled again once', async () => {
      const world = await worlds.world();
      const created = world.partnerCenter.create(referral({ createdDateTime: T0.toISOString() }));
      const [posted] = await world.app.ingest([referral({ id: created.id, createdDateTime: T0.toISOString() })]);
      expect(posted?.duplicate).toBe(false);
      await world.pull();
      await world.pull();
      expect(world.gateway.of('leadCard', 'post')).toHaveLength(2);
      const history = await world.app.leads.history(created.id);
      expect(history.filter((e) => e.type === 'receive')).toHaveLength(1);
    });
  });

  describe('a referral changed in Partner Center', () => {
    it('changes the lead with Partner Center as the actor and updates every posted card', async () => {
      const world = await worlds.world();
      const created = world.partnerCenter.create(referral({ createdDateTime: T0.toISOString() }));
      await world.pull();
      world.partnerCenter.portalChange(created.id, (r) => Object.assign(r, { status: 'Closed', substatus: 'Declined', statusReason: 'Customer did not respond' }));
      await world.pull();
      const stored = await world.app.leads.get(created.id);
      expect(stored?.lead).toMatchObject({ stage: 'Archived', outcome: 'Declined', closeReason: { code: 'noResponse' }, lastAction: { kind: 'decline', by: { id: 'partner-center', name: 'Partner Center' } } });
      expect(world.gateway.of('leadCard', 'update').filter((u) => u.message.kind === 'leadCard' && u.message.lead.outcome === 'Declined')).toHaveLength(2);
      expect(world.cardText(created.id)).toContain('Declined in Partner Center on');
      const history = await world.app.leads.history(created.id);
      expect(history.at(-1)).toMatchObject({ type: 'partnerCenter', actor: { id: 'partner-center' } });
      // Nothing is written back for a change Partner Center made itself.
      await world.writeBacks();
      expect(world.partnerCenter.patches()).toHaveLength(0);
    });

    it('takes an edited deal value, notes, team and a new deadline', async () => {
      const world = await worlds.world();
      const created = world.partnerCenter.create(referral({ createdDateTime: T0.toISOString() }));
      await world.pull();
      const later = new Date(T0.getTime() + 20 * 24 * HOUR).toISOString();
      world.partnerCenter.portalChange(created.id, (r) => {
        Object.assign(r, { status: 'Active', substatus: 'Accepted', expirationDateTime: later, team: [{ firstName: 'Kim', lastName: 'Ito', email: 'kim@partner.example' }] });
        r.details.dealValue = 250000;
      });
      await world.pull();
      const lead = (await world.app.leads.get(created.id))!.lead;
      expect(lead).toMatchObject({ stage: 'Accepted', deal: { value: 250000 }, expiresAt: later, employees: [expect.objectContaining({ name: 'Kim Ito' })] });
      expect(world.cardText(created.id)).toContain('Accepted in Partner Center');
    });
  });

  describe('expiry, with the sync on', () => {
    it("follows Partner Center at the deadline: a lead accepted in the portal is not expired here", async () => {
      const world = await worlds.world();
      const created = world.partnerCenter.create(referral({ createdDateTime: T0.toISOString() }));
      await world.pull();
      world.partnerCenter.portalChange(created.id, (r) => Object.assign(r, { status: 'Active', substatus: 'Accepted' }));
      world.clock.set(new Date(T0.getTime() + 14 * 24 * HOUR + 1000));
      await world.tick();
      expect((await world.app.leads.get(created.id))?.lead).toMatchObject({ stage: 'Accepted', lastAction: { by: { id: 'partner-center' } } });
      expect(world.gateway.of('expiredNotice')).toHaveLength(0);
    });

    it('keeps its own deadline for a lead Partner Center does not have (one posted to the leads API)', async () => {
      const world = await worlds.world();
      const [posted] = await world.app.ingest([referral({ createdDateTime: T0.toISOString() })]);
      await world.settle();
      world.clock.set(new Date(T0.getTime() + 14 * 24 * HOUR + 1000));
      await world.tick();
      expect((await world.app.leads.get(posted!.id))?.lead).toMatchObject({ stage: 'Archived', outcome: 'Expired' });
    });

    it('expires a lead when Partner Center has expired it, with the notice where its cards are', async () => {
      const world = await worlds.world();
      const created = world.partnerCenter.create(referral({ createdDateTime: T0.toISOString() }));
      await world.pull();
      world.clock.set(new Date(T0.getTime() + 14 * 24 * HOUR + 1000));
      // Not yet expired in Partner Center: the lead waits, and is asked about again later.
      await world.tick();
      expect((await world.app.leads.get(created.id))?.lead.stage).toBe('Received');
      world.partnerCenter.portalChange(created.id, (r) => Object.assign(r, { status: 'Closed', substatus: 'Expired' }));
      world.clock.advance(HOUR);
      await world.tick();
      expect((await world.app.leads.get(created.id))?.lead).toMatchObject({ stage: 'Archived', outcome: 'Expired', lastAction: { kind: 'expire', by: { id: 'partner-center' } } });
      expect(world.gateway.of('expiredNotice')).toHaveLength(2);
    });
  });
});
