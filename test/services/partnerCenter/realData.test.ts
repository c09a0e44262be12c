/**
 * Real Partner Center data, tried as a partner would meet it: every referral the unkind service
 * sends becomes a card or is named to the partner admins with its reason; a pull failing for any
 * reason is reported once; a retried write on a closed referral is not called failed; a wait
 * Partner Center asks for is honoured as given.
 */
import type { LeadsApp } from '../../../services/app/leadsApp';
import { admin, dealInput } from '../../fixtures/leads';
import { referral } from '../../fixtures/referrals';
import { FAKES, syncWorldsOnOneStorage, type syncWorld } from '../../support/partnerCenterWorld';
import { PARTNER_ADMIN_ID } from '../../support/settings';
import { T0 } from '../../support/world';

type World = Awaited<ReturnType<typeof syncWorld>>;

/** Partner admin Pat's personal chat: where the sync's notices go. */
const patsChat = (world: World) =>
  world.app.conversations.save({ conversationId: 'a:pat-personal', scope: 'personal', userId: PARTNER_ADMIN_ID, subscribed: false, installed: true, reference: {} });
const adminTexts = (world: World) => world.gateway.of('text').map((m) => (m.message.kind === 'text' ? m.message.text : ''));
const healthStates = (world: World) => world.gateway.sent.flatMap((m) => (m.message.kind === 'syncHealth' ? [`${m.message.health.state}${m.message.health.cause ? `:${m.message.health.cause}` : ''}`] : []));

async function accept(app: LeadsApp, leadId: string) {
  expect((await app.act(leadId, { kind: 'accept', deal: dealInput }, admin)).status).toBe('changed');
}

describe.each(FAKES)('against the %s fake Partner Center', (_fake, unkind) => {
  const worlds = syncWorldsOnOneStorage({ unkind });

  it('makes a card of every referral the strict reading refused: values kept as given, shown on the card', async () => {
    // Each its own card (not a digest of the burst).
    const world = await worlds.world({ env: { DIGEST_THRESHOLD: '100' } });
    const odd = [
      referral({ name: 'Qualification None', qualification: 'None' as never }),
      referral({ name: 'Unknown substatus', substatus: 'OnHold' as never }),
      referral({ name: 'Lowercase country', customerProfile: { name: 'Contoso', address: { country: 'de' } } as never }),
      referral({ name: 'Bad e-mail', customerProfile: { name: 'Contoso', team: [{ firstName: 'Ann', email: 'ann at contoso' }] } as never }),
      referral({ name: 'Big team', customerProfile: { name: 'Contoso', team: Array.from({ length: 25 }, (_, i) => ({ firstName: `P${i}` })) } as never }),
      referral({ name: 'Long notes', details: { notes: 'n'.repeat(6_000) } as never }),
      referral({ name: 'Value as text', details: { dealValue: '1,000' as never, currency: 'EUR' } }),
      referral({ name: 'Date without zone', details: { closingDateTime: '2027-03-31T12:00:00' } as never }),
    ];
    for (const r of odd) world.partnerCenter.create({ ...r, createdDateTime: T0.toISOString() });
    await world.pull();
    for (const r of odd) expect([r.name, (await world.app.leads.get(r.id))?.lead.name]).toEqual([r.name, r.name]);
    expect((await world.app.leads.get(odd[6]!.id))?.lead.estimate?.value).toBe(1000);
    expect((await world.app.leads.get(odd[4]!.id))?.lead.contacts).toHaveLength(25);
    expect((await world.app.leads.get(odd[5]!.id))?.lead.need).toHaveLength(6_000);
    expect(world.cardText(odd[0]!.id)).toContain('As Partner Center sent it: qualification “None”');
    expect(world.cardText(odd[1]!.id)).toContain('substatus “OnHold”');
    // Long notes are whole in storage, shortened on the card.
    expect(world.cardText(odd[5]!.id)).toContain('n…');
    expect(world.cardText(odd[5]!.id)).not.toContain('n'.repeat(2_000));
    expect(await world.app.syncStatus()).toMatchObject({ parked: { count: 0 } });
  });

  it('parks a referral it cannot read, tells partner admins once with its id, name and why, and imports it on retry once it can', async () => {
    const world = await worlds.world();
    await patsChat(world);
    const fine = world.partnerCenter.create(referral({ name: 'Readable', createdDateTime: T0.toISOString() }));
    const paused = world.partnerCenter.create(referral({ name: 'Paused one', status: 'Paused' as never, createdDateTime: T0.toISOString() }));
    await world.pull();
    expect(await world.app.leads.get(fine.id)).toBeDefined();
    expect(await world.app.leads.get(paused.id)).toBeUndefined();
    const status = await world.app.syncStatus();
    expect(status).toMatchObject({ parked: { count: 1, first: [{ id: paused.id, name: 'Paused one', reason: expect.stringContaining('its status "Paused"') }] } });
    expect(adminTexts(world)).toEqual([expect.stringContaining(`• ${paused.id} (Paused one): its status "Paused" is not one this version knows`)]);

    // Read again by the next pass (it changed meanwhile): parked still, and nobody is told twice.
    world.clock.advance(60_000);
    world.partnerCenter.portalChange(paused.id, (r) => (r.notes = 'touched'));
    await world.pull();
    expect(adminTexts(world)).toHaveLength(1);

    // Partner Center mends it; a partner admin's retry imports it and unparks it.
    world.partnerCenter.portalChange(paused.id, (r) => (r.status = 'New'));
    expect(await world.app.partnerCenter!.retryReferral(paused.id)).toEqual({ outcome: 'imported', leadId: paused.id });
    await world.settle();
    expect((await world.app.leads.get(paused.id))?.lead.name).toBe('Paused one');
    expect(await world.app.syncStatus()).toMatchObject({ parked: { count: 0 } });
    expect(await world.app.partnerCenter!.retryReferral(paused.id)).toEqual({ outcome: 'notParked' });
  });

  it('never guesses where a decided referral stands: an unknown substatus parks it, writes nothing back, and leaves its lead as it was', async () => {
    const world = await worlds.world();
    await patsChat(world);
    const engaged = world.partnerCenter.create(referral({ name: 'Engaged somehow', status: 'Active', substatus: 'Engaged' as never, createdDateTime: T0.toISOString() }));
    const accepted = world.partnerCenter.create(referral({ name: 'Accepted here', createdDateTime: T0.toISOString() }));
    await world.pull();
    await accept(world.app, accepted.id);
    await world.writeBacks();
    const patches = world.partnerCenter.requests.filter((r) => r.method === 'PATCH').length;

    // Partner Center closes the accepted one with a substatus this version does not know (a Won under review, say).
    world.clock.advance(60_000);
    world.partnerCenter.portalChange(accepted.id, (r) => Object.assign(r, { status: 'Closed', substatus: 'WonPendingReview' }));
    await world.pull();
    await world.writeBacks();

    expect(await world.app.leads.get(engaged.id)).toBeUndefined();
    expect((await world.app.leads.get(accepted.id))?.lead).toMatchObject({ stage: 'Accepted' });
    expect(world.partnerCenter.requests.filter((r) => r.method === 'PATCH')).toHaveLength(patches);
    expect(world.gateway.of('expiredNotice')).toEqual([]);
    const parked = (await world.app.syncStatus()) as { parked: { first: { id: string; reason: string }[] } };
    expect(parked.parked.first.map((p) => [p.id, p.reason]).sort()).toEqual(
      [
        [engaged.id, expect.stringContaining('its substatus "Engaged" is not one this version knows')],
        [accepted.id, expect.stringContaining('its substatus "WonPendingReview"')],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
  });

  it('parks a referral no longer once Partner Center mends it: the next pull imports it, no retry needed', async () => {
    const world = await worlds.world();
    const paused = world.partnerCenter.create(referral({ name: 'Paused for now', status: 'Paused' as never, createdDateTime: T0.toISOString() }));
    await world.pull();
    expect(await world.app.syncStatus()).toMatchObject({ parked: { count: 1 } });

    world.clock.advance(60_000);
    world.partnerCenter.portalChange(paused.id, (r) => (r.status = 'New'));
    await world.pull();

    expect((await world.app.leads.get(paused.id))?.lead.name).toBe('Paused for now');
    expect(await world.app.syncStatus()).toMatchObject({ parked: { count: 0 } });
  });

  it('says so when a retried referral reads now and is not a lead (a co-sell opportunity): no card, and set aside no longer', async () => {
    const world = await worlds.world();
    const cosell = world.partnerCenter.create(referral({ name: 'Co-sell, oddly typed', type: 'Joint' as never, createdDateTime: T0.toISOString() }));
    await world.pull();
    world.partnerCenter.portalChange(cosell.id, (r) => Object.assign(r, { type: 'Shared', qualification: 'SalesQualified', invitedBy: { organizationId: 'partner-org' } }));

    expect(await world.app.partnerCenter!.retryReferral(cosell.id)).toEqual({ outcome: 'notALead' });
    expect(await world.app.leads.get(cosell.id)).toBeUndefined();
    expect(await world.app.syncStatus()).toMatchObject({ parked: { count: 0 } });
  });

  it('imports, at its first pull, what an earlier release parked and this one can read', async () => {
    const world = await worlds.world();
    const readable = referral({ name: 'Parked by an earlier release', createdDateTime: T0.toISOString() });
    await world.app.partnerCenter!.parked.park(readable, { referralId: readable.id, name: readable.name, reason: 'an earlier release could not read it' }, new Date());
    expect(await world.app.syncStatus()).toMatchObject({ parked: { count: 1 } });
    expect(await world.app.partnerCenter!.readParkedAgain()).toBe(1);
    expect((await world.app.leads.get(readable.id))?.lead.name).toBe('Parked by an earlier release');
    expect(await world.app.syncStatus()).toMatchObject({ parked: { count: 0 } });
  });

  it('tells partner admins once when no pull has succeeded for the alert time, whatever the cause, and once when pulls work again', async () => {
    const world = await worlds.world({ env: { PARTNER_CENTER_POLL_SECONDS: '20', PARTNER_CENTER_ALERT_AFTER_MINUTES: '1' } });
    await patsChat(world);
    world.partnerCenter.create(referral({ createdDateTime: T0.toISOString() }));
    await world.pull();
    // The list answers 400 from now on (a 4xx other than sign-in or access never broke the connection before).
    world.partnerCenter.failNext(...Array.from({ length: 6 }, () => ({ status: 400, method: 'GET' as const })));
    for (let tick = 0; tick < 6; tick++) {
      world.clock.advance(20_000);
      await world.pull();
    }
    expect(healthStates(world)).toEqual(['broken:stalled']);
    const notice = world.gateway.sent.find((m) => m.message.kind === 'syncHealth');
    expect(notice?.message.kind === 'syncHealth' && notice.message.health.detail).toMatch(/^no referrals pulled from Partner Center for \d+ minutes \(the last error: Partner Center answered 400/);
    expect(await world.app.syncStatus()).toMatchObject({ broken: 'stalled', lastError: expect.stringContaining('400') });
    world.clock.advance(20_000);
    await world.pull();
    expect(healthStates(world)).toEqual(['broken:stalled', 'restored']);
    expect(await world.app.syncStatus()).not.toHaveProperty('broken');
  });

  it('never waits less than three poll intervals before telling, and tells when a first import has never succeeded', async () => {
    const world = await worlds.world({ env: { PARTNER_CENTER_POLL_SECONDS: '60', PARTNER_CENTER_ALERT_AFTER_MINUTES: '1' } });
    await patsChat(world);
    world.partnerCenter.down = true;
    for (let minute = 0; minute < 2; minute++) {
      await world.pull();
      world.clock.advance(60_000);
    }
    expect(healthStates(world)).toEqual([]);
    world.clock.advance(60_000);
    await world.pull();
    expect(healthStates(world)).toEqual(['broken:stalled']);
  });

  it('does not call a retried write on a closed referral failed when Partner Center already has it', async () => {
    const world = await worlds.world();
    const created = world.partnerCenter.create(referral({ createdDateTime: T0.toISOString() }));
    await world.pull();
    await accept(world.app, created.id);
    await world.settle();
    // Won lands in Partner Center, but its answer is lost: the write-back is tried again on a referral now closed.
    world.partnerCenter.loseNextAnswer = 500;
    expect((await world.app.act(created.id, { kind: 'markWon' }, admin)).status).toBe('changed');
    await world.settle();
    expect(world.partnerCenter.referral(created.id)).toMatchObject({ status: 'Closed', substatus: 'Won' });
    world.clock.advance(60_000);
    await world.writeBacks();
    const tried = world.partnerCenter.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith(created.id)).map((r) => r.status);
    // The Accept, the Won whose answer was lost, and its retry: the unkind service answers 400 before it looks at
    // If-Match, the kind one 412. Either way the referral was read, and found to have it.
    expect(tried).toEqual([200, 500, unkind ? 400 : 412]);
    expect(await world.app.syncStatus()).toMatchObject({ waiting: 0 });
    expect(world.cardText(created.id)).not.toContain('did not reach Partner Center');
    expect(world.cardText(created.id)).not.toContain('reaching Partner Center');
  });

  it('still dead-letters a write Partner Center really refuses, after reading the referral first', async () => {
    const world = await worlds.world();
    const created = world.partnerCenter.create(referral({ createdDateTime: T0.toISOString() }));
    await world.pull();
    world.partnerCenter.failNext({ status: 400, method: 'PATCH' });
    await accept(world.app, created.id);
    await world.settle();
    // Read after the refusal (the unkind fake's lists have no eTag, so a read before the PATCH proves nothing).
    const { requests } = world.partnerCenter;
    const refused = requests.findIndex((r) => r.method === 'PATCH' && r.status === 400);
    expect(refused).toBeGreaterThanOrEqual(0);
    expect(requests.slice(refused + 1).some((r) => r.method === 'GET' && r.path.includes(created.id))).toBe(true);
    expect(world.cardText(created.id)).toContain('did not reach Partner Center');
  });

  it('dead-letters a write refused with 403 whose referral cannot be read either (403), once, and the card says so: no retry loop', async () => {
    const world = await worlds.world();
    const created = world.partnerCenter.create(referral({ createdDateTime: T0.toISOString() }));
    await world.pull();
    world.partnerCenter.failNext({ status: 403, method: 'PATCH' }, { status: 403, method: 'GET' });
    await accept(world.app, created.id);
    await world.settle();
    for (let i = 0; i < 3; i++) {
      world.clock.advance(60_000);
      await world.writeBacks();
    }

    expect(world.partnerCenter.requests.filter((r) => r.method === 'PATCH').map((r) => r.status)).toEqual([403]);
    expect(world.cardText(created.id)).toContain('did not reach Partner Center');
    expect(await world.app.syncStatus()).toMatchObject({ waiting: 0 });
  });

  it('honours a Retry-After longer than five minutes as given', async () => {
    const world = await worlds.world();
    const created = world.partnerCenter.create(referral({ createdDateTime: T0.toISOString() }));
    await world.pull();
    world.partnerCenter.failNext({ status: 429, method: 'PATCH', retryAfterSeconds: 600 });
    await accept(world.app, created.id);
    await world.settle();
    world.clock.advance(6 * 60_000);
    await world.writeBacks();
    expect(world.partnerCenter.referral(created.id)).toMatchObject({ status: 'New' });
    world.clock.advance(5 * 60_000);
    await world.writeBacks();
    expect(world.partnerCenter.referral(created.id)).toMatchObject({ status: 'Active', substatus: 'Accepted' });
  });
});
