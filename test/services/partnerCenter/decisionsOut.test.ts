/** Decisions out: every change made in Teams reaches Partner Center once, through 412, 429, 401, 400 and outages. */
import type { LeadsApp } from '../../../services/app/leadsApp';
import { partnerCenterOf } from '../../../services/partnerCenter/referrals/referralState';
import type { Actor } from '../../../services/leads/leadLifecycle';
import { admin, dealInput } from '../../fixtures/leads';
import { referral } from '../../fixtures/referrals';
import { FAKES, syncWorldsOnOneStorage, type syncWorld } from '../../support/partnerCenterWorld';
import { PARTNER_ADMIN_ID } from '../../support/settings';
import { T0 } from '../../support/world';

describe.each(FAKES)('against the %s fake Partner Center', (_fake, unkind) => {
  const worlds = syncWorldsOnOneStorage({ unkind });

  type World = Awaited<ReturnType<typeof syncWorld>>;

  /** A lead that came from Partner Center, its card posted in both conversations. */
  async function leadFromPartnerCenter(world: World, overrides: Record<string, unknown> = {}) {
    const created = world.partnerCenter.create(referral({ createdDateTime: T0.toISOString(), ...overrides }));
    await world.pull();
    return created.id as string;
  }

  async function act(app: LeadsApp, leadId: string, command: Parameters<LeadsApp['act']>[1], actor: Actor = admin) {
    const result = await app.act(leadId, command, actor);
    expect(result.status).toBe('changed');
  }


  describe('each decision, written back', () => {
    it('writes an Accept as Active/Accepted with the deal, its ids and closing date, If-Match the eTag Partner Center gave', async () => {
      const world = await worlds.world();
      const id = await leadFromPartnerCenter(world);
      const eTag = world.partnerCenter.referral(id).eTag;
      await act(world.app, id, { kind: 'accept', deal: { ...dealInput, value: 99000, crmId: 'CRM-42', campaignId: 'CMP-7' } });
      await world.settle();
      const [patch] = world.partnerCenter.patches(id);
      expect(patch).toMatchObject({ ifMatch: eTag, prefer: 'return=representation' });
      expect(patch!.body).toEqual([
        { op: 'replace', path: '/status', value: 'Active' },
        { op: 'replace', path: '/substatus', value: 'Accepted' },
        { op: 'replace', path: '/details/dealValue', value: 99000 },
        { op: 'add', path: '/details/closingDateTime', value: '2027-03-31T00:00:00Z' },
        { op: 'replace', path: '/details/notes', value: dealInput.notes },
        { op: 'add', path: '/campaignId', value: 'CMP-7' },
        { op: 'add', path: '/externalReferenceId', value: 'CRM-42' },
        // Whoever accepts a lead nobody owns becomes its owner, and joins the referral's team.
        { op: 'add', path: '/team/-', value: { firstName: 'Dana', lastName: 'Admin' } },
      ]);
      expect(world.partnerCenter.referral(id)).toMatchObject({ status: 'Active', substatus: 'Accepted', externalReferenceId: 'CRM-42', campaignId: 'CMP-7', details: { dealValue: 99000 } });
      // The answer's eTag is the new base: nothing is left to send.
      expect(partnerCenterOf((await world.app.leads.get(id))!.lead).synced?.eTag).toBe(world.partnerCenter.referral(id).eTag);
      await world.writeBacks();
      expect(world.partnerCenter.patches(id)).toHaveLength(1);
    });

    it.each([
      ['a Decline', [{ kind: 'decline', reason: 'otherVendor', notes: 'Went with Contoso' }], [
        { op: 'replace', path: '/status', value: 'Closed' },
        { op: 'replace', path: '/substatus', value: 'Declined' },
        { op: 'add', path: '/statusReason', value: 'Customer chose another vendor: Went with Contoso' },
      ]],
      ['a Won', [{ kind: 'accept', deal: { ...dealInput, value: 120000 } }, { kind: 'markWon' }], [
        { op: 'replace', path: '/status', value: 'Closed' },
        { op: 'replace', path: '/substatus', value: 'Won' },
      ]],
      ['a Lost with its reason', [{ kind: 'accept', deal: { ...dealInput, value: 120000 } }, { kind: 'markLost', reason: 'budget' }], [
        { op: 'replace', path: '/status', value: 'Closed' },
        { op: 'replace', path: '/substatus', value: 'Lost' },
        { op: 'add', path: '/statusReason', value: 'Project budget is not adequate' },
      ]],
      ['an edit of the deal value', [{ kind: 'accept', deal: { ...dealInput, value: 120000 } }, { kind: 'edit', deal: { ...dealInput, value: 150000 } }], [
        { op: 'replace', path: '/details/dealValue', value: 150000 },
      ]],
      ['an employee added', [{ kind: 'accept', deal: { ...dealInput, value: 120000 } }, { kind: 'addEmployee', employee: { name: 'Sam Lee', email: 'sam@partner.example' } }], [
        { op: 'add', path: '/team/-', value: { firstName: 'Sam', lastName: 'Lee', email: 'sam@partner.example' } },
      ]],
      ['a lead assigned to an owner', [{ kind: 'assign', owner: { id: '6f1c1a52-3d1e-4a8e-9b44-2b1f7d0c9e10', name: 'Sam Lee', email: 'sam@partner.example' } }], [
        { op: 'add', path: '/team/-', value: { firstName: 'Sam', lastName: 'Lee', email: 'sam@partner.example' } },
      ]],
    ] as const)('writes %s as exactly the fields it changed', async (_what, commands, expected) => {
      const world = await worlds.world();
      const id = await leadFromPartnerCenter(world);
      for (const command of commands) {
        await act(world.app, id, command as never);
        await world.settle();
      }
      const last = world.partnerCenter.patches(id).at(-1);
      expect(last?.body).toEqual(expected);
      expect(last?.ifMatch).toMatch(/^"[0-9a-f-]{36}"$/);
    });
  });

  describe('in the order Partner Center expects', () => {
    it('writes a lead accepted and won before either reached Partner Center as Accepted, then Won', async () => {
      const world = await worlds.world();
      const id = await leadFromPartnerCenter(world);
      world.partnerCenter.down = true;
      await act(world.app, id, { kind: 'accept', deal: dealInput });
      await act(world.app, id, { kind: 'markWon' });
      await world.settle();
      world.partnerCenter.down = false;
      world.clock.advance(10 * 60_000);
      await world.writeBacks();
      expect(world.partnerCenter.patches(id).map((p) => p.body[1].value)).toEqual(['Accepted', 'Won']);
      expect(world.partnerCenter.referral(id)).toMatchObject({ status: 'Closed', substatus: 'Won', details: { dealValue: dealInput.value } });
    });

    it('reads the referral when Partner Center answers a write-back with a bare 204', async () => {
      const world = await worlds.world();
      world.partnerCenter.representation = false;
      const id = await leadFromPartnerCenter(world);
      await act(world.app, id, { kind: 'accept', deal: dealInput });
      await world.settle();
      expect(world.partnerCenter.patches(id).map((p) => p.status)).toEqual([204]);
      expect(partnerCenterOf((await world.app.leads.get(id))!.lead).synced?.eTag).toBe(world.partnerCenter.referral(id).eTag);
      expect(world.cardText(id)).not.toContain('reaching Partner Center');
    });
  });

  describe('when Partner Center changed the referral meanwhile (412)', () => {
    it("merges: takes Partner Center's change, then sends its own again with the new eTag", async () => {
      const world = await worlds.world();
      const id = await leadFromPartnerCenter(world);
      // Edited in the portal after the poll read it: the lead's base eTag is stale.
      world.partnerCenter.portalChange(id, (r) => (r.expirationDateTime = new Date(T0.getTime() + 20 * 86_400_000).toISOString()));
      await act(world.app, id, { kind: 'accept', deal: dealInput });
      await world.settle();
      const patches = world.partnerCenter.requests.filter((r) => r.method === 'PATCH');
      // Where the list gave no eTag (the unkind service), the referral is read just before the PATCH: no 412 to merge.
      expect(patches.map((p) => p.status)).toEqual(unkind ? [200] : [412, 200]);
      if (!unkind) expect(patches[1]!.ifMatch).not.toBe(patches[0]!.ifMatch);
      expect(world.partnerCenter.referral(id)).toMatchObject({ status: 'Active', substatus: 'Accepted' });
      expect((await world.app.leads.get(id))?.lead.expiresAt).toBe(new Date(T0.getTime() + 20 * 86_400_000).toISOString());
    });

    it("drops a change Partner Center's state forbids: the lead takes that state, and the person who clicked is told once", async () => {
      const world = await worlds.world();
      await world.app.conversations.save({ conversationId: 'a:dana-personal', scope: 'personal', userId: admin.kind === 'user' ? admin.id : '', subscribed: false, installed: true, reference: {} });
      const id = await leadFromPartnerCenter(world);
      world.partnerCenter.portalChange(id, (r) => Object.assign(r, { status: 'Closed', substatus: 'Declined', statusReason: 'Not a customer' }));
      await act(world.app, id, { kind: 'accept', deal: dealInput });
      await world.settle();
      // Refused by the state it found: a 412 (kind), or seen before sending (unkind: the referral is read first).
      expect(world.partnerCenter.requests.filter((r) => r.method === 'PATCH').map((p) => p.status)).toEqual(unkind ? [] : [412]);
      expect((await world.app.leads.get(id))?.lead).toMatchObject({ stage: 'Archived', outcome: 'Declined', lastAction: { by: { id: 'partner-center' } } });
      const told = world.gateway.of('overruled');
      expect(told.map((m) => m.conversationId)).toEqual(['a:dana-personal']);
      expect(told[0]!.message).toMatchObject({ kind: 'overruled', action: 'accept' });
      expect(world.cardText(id)).toContain('Declined in Partner Center');
      await world.writeBacks();
      expect(world.gateway.of('overruled')).toHaveLength(1);
    });
  });

  describe('when Partner Center is busy, down or refuses', () => {
    it('waits as long as Retry-After says on 429, then writes back once', async () => {
      const world = await worlds.world();
      const id = await leadFromPartnerCenter(world);
      world.partnerCenter.failNext({ status: 429, retryAfterSeconds: 30, method: 'PATCH' });
      await act(world.app, id, { kind: 'accept', deal: dealInput });
      await world.settle();
      expect(world.partnerCenter.requests.filter((r) => r.method === 'PATCH').map((p) => p.status)).toEqual([429]);
      world.clock.advance(29_000);
      await world.writeBacks();
      expect(world.partnerCenter.patches(id)).toHaveLength(0);
      world.clock.advance(2_000);
      await world.writeBacks();
      expect(world.partnerCenter.patches(id)).toHaveLength(1);
    });

    it('refreshes the access token once on 401, then retries', async () => {
      const world = await worlds.world();
      const id = await leadFromPartnerCenter(world);
      const refreshes = world.identity.grants('refresh_token').length;
      world.identity.expireAccessTokens();
      const before = world.partnerCenter.requests.length;
      await act(world.app, id, { kind: 'accept', deal: dealInput });
      await world.settle();
      // The first request after (a read of the referral, where the list gave no eTag; else the PATCH) is refused once, then goes through.
      const after = world.partnerCenter.requests.slice(before);
      expect(after[0]?.status).toBe(401);
      expect(after.filter((r) => r.method === 'PATCH').at(-1)?.status).toBe(200);
      expect(world.identity.grants('refresh_token').length).toBe(refreshes + 1);
    });

    it('dead-letters a change Partner Center refuses (400) with its words, and the card says it did not reach Partner Center', async () => {
      const world = await worlds.world();
      const id = await leadFromPartnerCenter(world);
      world.partnerCenter.failNext({ status: 400, method: 'PATCH' });
      await act(world.app, id, { kind: 'accept', deal: dealInput });
      await world.settle();
      const dead = await world.app.outbox.deadLetters();
      expect(dead).toEqual([expect.objectContaining({ kind: 'writeBack', leadId: id, lastError: expect.stringContaining('Partner Center answered 400 invalidRequest') })]);
      expect(partnerCenterOf((await world.app.leads.get(id))!.lead).rejected?.message).toContain('400');
      expect(world.cardText(id)).toContain('This change did not reach Partner Center: Partner Center answered 400');
      await world.writeBacks();
      expect(world.partnerCenter.patches(id)).toHaveLength(0);
    });

    it('refuses one referral (403) without calling the connection broken', async () => {
      const world = await worlds.world();
      const id = await leadFromPartnerCenter(world);
      world.partnerCenter.failNext({ status: 403, method: 'PATCH' });
      await act(world.app, id, { kind: 'accept', deal: dealInput });
      await world.settle();
      expect(world.cardText(id)).toContain('This change did not reach Partner Center: Partner Center answered 403');
      expect(await world.app.syncStatus()).not.toHaveProperty('broken');
      expect(world.gateway.sent.filter((s) => s.message.kind === 'syncHealth')).toHaveLength(0);
    });

    it('writes back every Accept made during an outage once Partner Center answers again, exactly once each; cards say "reaching Partner Center" meanwhile', async () => {
      const world = await worlds.world();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push(await leadFromPartnerCenter(world, { name: `Outage lead ${i}` }));
      world.partnerCenter.down = true;
      for (const id of ids) await act(world.app, id, { kind: 'accept', deal: dealInput });
      await world.settle();
      for (let minute = 0; minute < 3; minute++) {
        world.clock.advance(60_000);
        await world.writeBacks();
      }
      expect(world.partnerCenter.patches()).toHaveLength(0);
      for (const id of ids) expect(world.cardText(id)).toContain('Saved in Teams · reaching Partner Center…');

      world.partnerCenter.down = false;
      world.clock.advance(6 * 60_000);
      await world.writeBacks();
      // The cards' updates go out within Teams' limits (7 a second per conversation): a few seconds later.
      world.clock.advance(5_000);
      await world.writeBacks();
      for (const id of ids) {
        expect(world.partnerCenter.patches(id)).toHaveLength(1);
        expect(world.partnerCenter.referral(id)).toMatchObject({ status: 'Active', substatus: 'Accepted' });
        expect(world.cardText(id)).not.toContain('reaching Partner Center');
      }
      world.clock.advance(10 * 60_000);
      await world.writeBacks();
      expect(world.partnerCenter.patches()).toHaveLength(5);
      expect(await world.app.syncStatus()).toMatchObject({ waiting: 0, lastPushAt: expect.any(String) });
    });
  });

  describe('health, for the people who depend on it', () => {
    it('tells every partner admin once when the sign-in is refused, however many instances see it, and once when it works again', async () => {
      const world = await worlds.world({ instances: 2 });
      await world.app.conversations.save({ conversationId: 'a:pat-personal', scope: 'personal', userId: PARTNER_ADMIN_ID, subscribed: false, installed: true, reference: {} });
      world.identity.revokeAll();
      for (const app of world.apps) {
        await app.partnerCenter!.poll();
        await app.partnerCenter!.poll();
      }
      await world.settle();
      const broken = world.gateway.of('text').concat(world.gateway.sent.filter((s) => s.message.kind === 'syncHealth'));
      expect(broken.map((m) => [m.conversationId, m.message.kind === 'syncHealth' && m.message.health.state])).toEqual([['a:pat-personal', 'broken']]);
      expect(await world.app.syncStatus()).toMatchObject({ broken: 'refused', lastError: expect.stringContaining('npm run partner-center:connect') });

      // Minutes later a Referrals admin signs in again (the connect command stores a new token).
      world.clock.advance(5 * 60_000);
      await world.syncStore().saveConnection({ refreshToken: world.identity.issueRefreshToken(), clientType: 'confidential', origin: 'connect' }, new Date());
      for (const app of world.apps) await app.partnerCenter!.poll();
      await world.settle();
      const health = world.gateway.sent.filter((s) => s.message.kind === 'syncHealth').map((m) => m.message.kind === 'syncHealth' && m.message.health.state);
      expect(health).toEqual(['broken', 'restored']);
      expect(await world.app.syncStatus()).not.toHaveProperty('broken');
    });

    it('is not called mended by an instance still working on an access token from before the sign-in was refused', async () => {
      const world = await worlds.world({ instances: 2 });
      const [first, second] = world.apps as [LeadsApp, LeadsApp];
      await world.app.conversations.save({ conversationId: 'a:pat-personal', scope: 'personal', userId: PARTNER_ADMIN_ID, subscribed: false, installed: true, reference: {} });
      await second.partnerCenter!.poll(); // the second instance holds an access token
      world.identity.revokeAll();
      await first.partnerCenter!.poll(); // the first needs one: refused
      world.clock.advance(2 * 60_000);
      await second.partnerCenter!.poll(); // works on its old token
      world.clock.advance(2 * 60_000);
      await first.partnerCenter!.poll();
      await world.settle();
      expect(world.gateway.sent.filter((s) => s.message.kind === 'syncHealth').map((m) => m.message.kind === 'syncHealth' && m.message.health.state)).toEqual(['broken']);
      expect(await world.app.syncStatus()).toMatchObject({ broken: 'refused' });
    });

    it('tells admins once when Partner Center has been failing for more than 10 minutes (in the channels, when no admin has a personal chat)', async () => {
      const world = await worlds.world();
      world.partnerCenter.down = true;
      for (let minute = 0; minute <= 12; minute += 3) {
        await world.app.partnerCenter!.poll();
        world.clock.advance(3 * 60_000);
      }
      await world.settle();
      const health = world.gateway.sent.filter((s) => s.message.kind === 'syncHealth');
      expect(health.map((m) => m.conversationId)).toEqual(['19:sales@thread.tacv2']);
      expect(health[0]!.message).toMatchObject({ health: { state: 'broken', cause: 'unavailable' } });
    });
  });
});
