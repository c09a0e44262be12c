/** The projector publishes each change to its reactions; a reaction's failure costs no change and no other lead. */
import { leadFromReferral } from '../../../services/partnerCenter/referrals/leadFromReferral';
import { receiveEvent } from '../../../services/useCases/receiveLeads';
import { referral } from '../../fixtures/referrals';
import { T0, worldsOnOneStorage } from '../../support/world';

const world = worldsOnOneStorage();

describe('when a reaction fails', () => {
  it('a change whose cards were about to go from memory is projected again by the next sweep, its cards posted once', async () => {
    const { app, gateway, settle } = await world();
    // This instance takes the sender lease, so a fresh change's cards go from memory.
    app.kickSends();
    await settle();
    // The sums reaction fails once with an error that is not an outage (a bug, a 400 from Azure…), while the card reaction holds the change.
    const apply = app.stats.apply.bind(app.stats);
    let failures = 1;
    app.stats.apply = async (changes) => {
      if (failures-- > 0) throw new Error('the sums could not be written');
      return apply(changes);
    };
    const input = referral({ createdDateTime: T0.toISOString() });
    await app.ingest([input]);
    await settle();
    await app.projector.sweep();
    await settle();
    expect(gateway.of('leadCard', 'post').map((p) => p.conversationId).sort()).toEqual(['19:chat@thread.v2', '19:sales@thread.tacv2']);
    expect(await app.leads.pending(input.id)).toBeUndefined();
  });

  it('for one lead of a batch, that lead fails alone: the others are projected', async () => {
    const { app, gateway, settle } = await world();
    const now = app.now();
    // Its expiry cannot be read as a date: its due time cannot be computed.
    const broken = { ...leadFromReferral(referral({ createdDateTime: T0.toISOString() }), { now, responseDays: 14 }), expiresAt: 'not a date' };
    const fine = leadFromReferral(referral({ createdDateTime: T0.toISOString() }), { now, responseDays: 14 });
    await app.leads.create(broken, receiveEvent(broken, now), { fanOut: true });
    await app.leads.create(fine, receiveEvent(fine, now), { fanOut: true });

    expect(await app.projector.projectMany([broken.id, fine.id])).toBe(1);
    app.kickSends();
    await settle();
    expect(await app.leads.pending(fine.id)).toBeUndefined();
    expect(gateway.of('leadCard', 'post').filter((p) => p.message.kind === 'leadCard' && p.message.lead.id === fine.id)).toHaveLength(2);
    expect(await app.leads.pending(broken.id)).toBeDefined();
  });
});
