/**
 * Two instances on one storage, and a lead that arrives through the one that neither sends nor runs
 * the scheduler: its card waits in the outbox until the sending instance comes to it, while the
 * scheduling instance may reach the lead's first due time before that. Whatever the order, the
 * reminder, the expiry and the 🔥 turn each happen once, within a pass.
 */
import { renderLeadCard } from '../../../cards';
import type { LeadsApp } from '../../../services/app/leadsApp';
import type { Recorded } from '../../support/recordingGateway';
import { referral } from '../../fixtures/referrals';
import { HOUR, T0, worldsOnOneStorage } from '../../support/world';

const world = worldsOnOneStorage();
const MINUTE = 60_000;

/** A world of two instances in which the first holds the sender lease; the second only takes leads in. */
async function twoInstances() {
  const w = await world({ instances: 2 });
  const [sender, other] = w.apps as [LeadsApp, LeadsApp];
  // The first instance sends (and so holds the sender lease).
  await sender.ingest([referral({ id: 'warm-up', createdDateTime: T0.toISOString() })]);
  await w.settle();
  /** A scheduler pass on the first instance only, then whatever it sends. */
  const schedule = async () => {
    sender.tick();
    await sender.settle();
    sender.kickSends();
    await sender.settle();
  };
  const about = (id: string) => (r: Recorded) => 'lead' in r.message && r.message.lead.id === id;
  return { ...w, sender, other, schedule, about };
}

describe('a lead that arrives through the instance that neither sends nor schedules', () => {
  it('gets its one reminder (24 h) in every conversation, once, at the next scheduler pass', async () => {
    const { other, gateway, schedule, about } = await twoInstances();
    const late = referral({ id: 'late', createdDateTime: new Date(T0.getTime() - 13 * 24 * HOUR).toISOString() }); // 24 h left
    await other.ingest([late]);
    await other.settle();

    await schedule();
    const reminders = gateway.of('reminder').filter(about('late'));
    expect(reminders.map((r) => [r.conversationId, r.message.kind === 'reminder' && r.message.hours]).sort()).toEqual([
      ['19:chat@thread.v2', 24],
      ['19:sales@thread.tacv2', 24],
    ]);
    // Its card is there too, and went first.
    expect(gateway.of('leadCard', 'post').filter(about('late'))).toHaveLength(2);
    await schedule();
    expect(gateway.of('reminder').filter(about('late'))).toHaveLength(2);
  });

  it('expires once, with its notice in every conversation and its card showing it', async () => {
    const { other, gateway, clock, schedule, about } = await twoInstances();
    const closing = referral({ id: 'closing', createdDateTime: new Date(T0.getTime() - 14 * 24 * HOUR + 10 * MINUTE).toISOString() }); // 10 min left
    await other.ingest([closing]);
    await other.settle();
    clock.advance(11 * MINUTE);

    await schedule();
    expect(gateway.of('expiredNotice').filter(about('closing')).map((r) => r.conversationId).sort()).toEqual(['19:chat@thread.v2', '19:sales@thread.tacv2']);
    const cards = gateway.sent.filter((r) => r.message.kind === 'leadCard' && about('closing')(r));
    const last = cards.at(-1)!.message;
    expect(last.kind === 'leadCard' && last.lead.outcome).toBe('Expired');
    await schedule();
    expect(gateway.of('expiredNotice').filter(about('closing'))).toHaveLength(2);
  });

  it('turns 🔥 to ⏳ once on every card', async () => {
    const { other, gateway, clock, schedule, about } = await twoInstances();
    const hot = referral({ id: 'hot', createdDateTime: new Date(T0.getTime() - 72 * HOUR + MINUTE).toISOString(), details: { customerRequestedContact: true } });
    await other.ingest([hot]);
    await other.settle();
    clock.advance(2 * MINUTE);

    await schedule();
    const shown = (r: Recorded) => (r.message.kind === 'leadCard' ? JSON.stringify(renderLeadCard(r.message.lead, { locale: 'en', now: new Date(r.at), flameWindowHours: 72 }).content) : '');
    for (const conversation of ['19:sales@thread.tacv2', '19:chat@thread.v2']) {
      const cards = gateway.sent.filter((r) => r.message.kind === 'leadCard' && about('hot')(r) && r.conversationId === conversation);
      expect(shown(cards.at(-1)!)).toContain('⏳ Customer asked to be contacted 3 days ago — still waiting');
    }
    const sent = gateway.sent.length;
    await schedule();
    expect(gateway.sent.length).toBe(sent);
  });
});
