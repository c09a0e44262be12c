/** Projection and sending: every card reaches every conversation once, within Teams' limits, through crashes and restarts. */
import { actOnLead } from '../../../services/useCases/actOnLead';
import { listLeads } from '../../../services/useCases/readLeads';
import { leadRowKey } from '../../../services/storage/leadStore';
import { createLogger } from '../../../services/logger';
import { ingestReferrals } from '../../../services/partnerCenter/referrals/intake';
import { SendFailure } from '../../../services/delivery/teamsGateway';
import { admin, dealInput, viewer } from '../../fixtures/leads';
import { referral } from '../../fixtures/referrals';
import type { LeadsApp } from '../../../services/app/leadsApp';
import { makeApp } from '../../support/app';
import { RecordingGateway } from '../../support/recordingGateway';
import { T0, worldsOnOneStorage } from '../../support/world';

const world = worldsOnOneStorage();

describe('new leads reach every subscribed conversation', () => {
  it('posts one card per conversation, and updates that card when the lead changes', async () => {
    const { app, gateway, settle } = await world();
    const input = referral({ createdDateTime: T0.toISOString() });
    await app.ingest([input]);
    await settle();
    expect(gateway.of('leadCard', 'post').map((s) => s.conversationId).sort()).toEqual(['19:chat@thread.v2', '19:sales@thread.tacv2']);

    await app.act(input.id, { kind: 'decline', reason: 'spam' }, { kind: 'user', id: 'a', name: 'A', canManage: true });
    await settle();
    const updates = gateway.of('leadCard', 'update');
    expect(updates).toHaveLength(2);
    expect(updates.map((u) => u.message.kind === 'leadCard' && u.message.lead.outcome)).toEqual(['Declined', 'Declined']);
  });

  it('never posts the same card twice, even when the projection runs again', async () => {
    const { app, gateway, settle } = await world();
    const input = referral({ createdDateTime: T0.toISOString() });
    await app.ingest([input]);
    await settle();
    await app.projector.project(input.id);
    await app.projector.sweep();
    await settle();
    expect(gateway.of('leadCard', 'post')).toHaveLength(2);
  });
});

describe('cards of a change made here', () => {
  it('go straight from memory while this instance holds the sender lease: nothing is queued, each card is recorded on its lead', async () => {
    const { app, gateway, tables, settle } = await world();
    app.kickSends(); // the sender's first pass takes the lease
    await settle();
    const input = referral({ createdDateTime: T0.toISOString() });
    await app.ingest([input]);
    await settle();
    const posted = gateway.of('leadCard', 'post');
    expect(posted.map((s) => s.conversationId).sort()).toEqual(['19:chat@thread.v2', '19:sales@thread.tacv2']);
    const queued: unknown[] = [];
    for await (const row of tables.Outbox.listEntities()) queued.push(row);
    expect(queued).toEqual([]);
    const recorded = await app.deliveries.forLead(input.id);
    expect(recorded.map((d) => d.activityId).sort()).toEqual(posted.map((p) => p.activityId).sort());
    expect(await app.leads.pending(input.id)).toBeUndefined();
    expect(await app.leads.hinted()).toEqual([]);

    // A change updates those cards the same way.
    await app.act(input.id, { kind: 'accept', deal: dealInput }, admin);
    await settle();
    expect(gateway.of('leadCard', 'update').map((u) => u.activityId).sort()).toEqual(posted.map((p) => p.activityId).sort());
    for await (const row of tables.Outbox.listEntities()) queued.push(row);
    expect(queued).toEqual([]);
  });

  it('are posted once when storage refuses to record them: the record is tried again on the next pass, and sweeps leave the lead alone meanwhile', async () => {
    const { app, gateway, tables, settle } = await world();
    app.kickSends();
    await settle();
    const input = referral({ createdDateTime: T0.toISOString() });
    // The record after the posts fails once (an outage at that moment); the next projection pass records them.
    const settleOnce = app.leads.settle.bind(app.leads);
    let failures = 0;
    app.leads.settle = async (...args) => {
      if (failures++ === 0) throw new Error('storage is unavailable');
      return settleOnce(...args);
    };
    await app.ingest([input]);
    await settle();
    expect(gateway.of('leadCard', 'post')).toHaveLength(2);
    await app.projector.sweep();
    await settle();
    expect(gateway.of('leadCard', 'post')).toHaveLength(2);
    expect((await app.deliveries.forLead(input.id)).every((d) => d.activityId && !d.postingSince)).toBe(true);
    expect(await app.leads.pending(input.id)).toBeUndefined();
    const queued: unknown[] = [];
    for await (const row of tables.Outbox.listEntities()) queued.push(row);
    expect(queued).toEqual([]);
  });
});

describe('sending within Teams limits', () => {
  it('sends at most 7 messages a second and 8 in two seconds to one conversation, and loses none', async () => {
    const { app, gateway, clock, settle } = await world({ env: { DIGEST_THRESHOLD: '100' } });
    await app.conversations.setSubscribed((await app.conversations.subscribed()).find((c) => c.scope === 'groupChat')?.key ?? '', false);
    await app.ingest(Array.from({ length: 20 }, () => referral({ createdDateTime: T0.toISOString() })));
    await settle();
    expect(gateway.sent).toHaveLength(7);
    for (let second = 0; second < 10 && gateway.sent.length < 20; second++) {
      clock.advance(1000);
      app.kickSends();
      await settle();
    }
    expect(gateway.sent).toHaveLength(20);
    const inWindow = (ms: number) => Math.max(...gateway.sent.map((s) => gateway.sent.filter((o) => o.at >= s.at && o.at < s.at + ms).length));
    expect(inWindow(1000)).toBeLessThanOrEqual(7);
    expect(inWindow(2000)).toBeLessThanOrEqual(8);
  });

  it('keeps to the limits with two instances sending for one storage account', async () => {
    const { apps, gateway, clock, settle } = await world({ instances: 2, env: { DIGEST_THRESHOLD: '100' } });
    const [first, second] = apps as [LeadsApp, LeadsApp];
    await first.conversations.setSubscribed((await first.conversations.subscribed()).find((c) => c.scope === 'groupChat')?.key ?? '', false);
    await first.ingest(Array.from({ length: 10 }, () => referral({ createdDateTime: T0.toISOString() })));
    await settle();
    second.kickSends();
    await settle();
    expect(gateway.sent.length).toBeLessThanOrEqual(7);
    for (let s = 0; s < 5; s++) {
      clock.advance(1000);
      first.kickSends();
      second.kickSends();
      await settle();
    }
    expect(gateway.of('leadCard', 'post')).toHaveLength(10);
  });

  it('posts digest cards instead of a burst of more than 5 new cards, naming every lead once', async () => {
    const { app, gateway, settle } = await world();
    const burst = Array.from({ length: 25 }, () => referral({ createdDateTime: T0.toISOString() }));
    await app.ingest(burst);
    await settle();
    const digests = gateway.of('digest').map((d) => (d.message.kind === 'digest' ? d.message : undefined));
    // Two conversations; at most 20 lines a card, so 25 leads make two digests in each.
    expect(digests.map((d) => d?.leads.length).sort()).toEqual([20, 20, 5, 5]);
    const listed = digests.flatMap((d) => d?.leads.map((l) => l.id) ?? []);
    expect(listed.sort()).toEqual([...burst.map((r) => r.id), ...burst.map((r) => r.id)].sort());
    expect(gateway.of('leadCard')).toHaveLength(0);

    // A later change to a digested lead does not post a card of its own.
    const favorited = await app.act(burst[0]!.id, { kind: 'favorite' }, { kind: 'user', id: 'u1', name: 'U', canManage: false });
    expect(favorited.status).toBe('changed');
    await settle();
    expect(gateway.of('leadCard')).toHaveLength(0);
  });

  it('waits for Retry-After on 429, pausing the conversation, and loses nothing', async () => {
    const { app, gateway, clock, settle } = await world();
    await app.conversations.setSubscribed((await app.conversations.subscribed()).find((c) => c.scope === 'groupChat')?.key ?? '', false);
    gateway.failNext(new SendFailure(429, 'throttled', 5000));
    const input = referral({ createdDateTime: T0.toISOString() });
    await app.ingest([input, referral({ createdDateTime: T0.toISOString() })]);
    await settle();
    expect(gateway.sent).toHaveLength(0);
    clock.advance(4000);
    app.kickSends();
    await settle();
    expect(gateway.sent).toHaveLength(0);
    clock.advance(1500);
    app.kickSends();
    await settle();
    expect(gateway.of('leadCard', 'post')).toHaveLength(2);
  });

  it('retries 5xx with backoff and posts each card exactly once', async () => {
    const { app, gateway, clock, settle } = await world();
    gateway.failNext(new SendFailure(500, 'boom'), new SendFailure(503, 'busy'), new SendFailure(500, 'boom'));
    await app.ingest([referral({ createdDateTime: T0.toISOString() })]);
    await settle();
    for (let i = 0; i < 4; i++) {
      clock.advance(61_000);
      app.kickSends();
      await settle();
    }
    expect(gateway.of('leadCard', 'post').map((s) => s.conversationId).sort()).toEqual(['19:chat@thread.v2', '19:sales@thread.tacv2']);
  });

  it('unsubscribes a conversation that answers 403', async () => {
    const { app, gateway, settle } = await world();
    gateway.failNext(new SendFailure(403, 'BotNotInConversationRoster'));
    await app.ingest([referral({ createdDateTime: T0.toISOString() })]);
    await settle();
    expect(await app.conversations.subscribed()).toHaveLength(1);
  });

  it('dead-letters a send after the last try and tells partner admins once', async () => {
    const { app, gateway, clock, settle } = await world({ env: { SEND_MAX_ATTEMPTS: '2' } });
    await app.conversations.save({ conversationId: 'a:pat', scope: 'personal', userId: '00000000-0000-4000-8000-00000000000b', subscribed: false, installed: true, reference: {} });
    gateway.failNext(...Array.from({ length: 4 }, () => new SendFailure(500, 'down')));
    await app.ingest([referral({ createdDateTime: T0.toISOString() })]);
    await settle();
    clock.advance(120_000);
    app.kickSends();
    await settle();
    expect(await app.outbox.deadLetters()).toHaveLength(2);
    clock.advance(1000);
    app.kickSends();
    await settle();
    expect(gateway.sent.filter((s) => s.message.kind === 'text' && s.conversationId === 'a:pat')).toHaveLength(2);
  });
});

describe('crashes and restarts', () => {
  it('posts the card of a lead that was stored just before a crash, once, after the restart', async () => {
    const { tables, clock, gateway, app } = await world();
    const input = referral({ createdDateTime: T0.toISOString() });
    // Stored, then the process died before its projection ran.
    await ingestReferrals([input], { leads: app.leads, now: clock.now, responseDays: 14 });
    expect(gateway.sent).toHaveLength(0);

    const restarted = makeApp(tables, { clock, gateway });
    await restarted.projector.sweep();
    restarted.kickSends();
    await restarted.settle();
    await restarted.projector.sweep();
    restarted.kickSends();
    await restarted.settle();
    expect(gateway.of('leadCard', 'post').map((s) => s.conversationId).sort()).toEqual(['19:chat@thread.v2', '19:sales@thread.tacv2']);
  });

  it('finishes projections a crash cut short, for a burst of leads projected together, and shows each lead once where it belongs', async () => {
    const { tables, clock, gateway, app } = await world();
    const burst = Array.from({ length: 40 }, () => referral({ createdDateTime: T0.toISOString() }));
    await ingestReferrals(burst, { leads: app.leads, now: clock.now, responseDays: 14 });
    // The process died part-way through projecting them: three leads' cards were already queued,
    // and one lead's hint was already cleared.
    const conversations = await app.conversations.subscribed();
    for (const r of burst.slice(0, 3)) {
      await app.outbox.enqueueCardUpdates(conversations.map((c) => ({ leadId: r.id, conversationKey: c.key, urgent: true })), clock.now());
    }
    await app.leads.clearHints((await app.leads.hinted()).filter((h) => h.leadId === burst[3]!.id).map((h) => h.rowKey));

    const restarted = makeApp(tables, { clock, gateway });
    expect(await restarted.projector.projectMany(burst.map((r) => r.id))).toBe(40);
    for (let second = 0; second < 5; second++) {
      restarted.kickSends();
      await restarted.settle();
      clock.advance(1000);
    }
    // Each lead reaches each conversation once: as a card of its own or as a line in a digest.
    const shown = gateway.sent.flatMap((s) => {
      if (s.op !== 'post') return [];
      if (s.message.kind === 'leadCard') return [`${s.conversationId} ${s.message.lead.id}`];
      if (s.message.kind === 'digest') return s.message.leads.map((l) => `${s.conversationId} ${l.id}`);
      return [];
    });
    const expected = conversations.flatMap((c) => burst.map((r) => `${c.conversationId} ${r.id}`));
    expect(shown.sort()).toEqual(expected.sort());
    expect(await restarted.leads.hinted()).toEqual([]);
    expect(await Promise.all(burst.map((r) => restarted.leads.pending(r.id)))).toEqual(burst.map(() => undefined));
    const listed = await restarted.views.page('marketplace', { size: 50 });
    expect(listed.items.map((l) => l.id).sort()).toEqual(burst.map((r) => r.id).sort());
  });

  it('keeps the hint of a change still on its way to storage, so a sweep in between cannot lose the change', async () => {
    const { clock, gateway, app, settle } = await world();
    const input = referral({ createdDateTime: T0.toISOString() });
    await app.ingest([input]);
    await settle();
    // An Accept has written its hint and read the lead; while its transaction is in flight, a sweep runs.
    const read = await app.leads.getForChange(input.id);
    await app.projector.sweep();
    // The transaction lands, and the process that made it dies before it projects the change:
    // only a later sweep can find it.
    const accepted = await actOnLead(input.id, { kind: 'accept', deal: dealInput }, admin, { leads: app.leads, now: clock.now }, read);
    expect(accepted.status).toBe('changed');
    await app.projector.sweep();
    app.kickSends();
    await settle();
    const updates = gateway.of('leadCard', 'update');
    expect(updates.map((u) => u.message.kind === 'leadCard' && u.message.lead.stage)).toEqual(['Accepted', 'Accepted']);
  });

  it('keeps the hint of a second change while the first one is projected, so neither can be lost', async () => {
    const { clock, gateway, app, settle } = await world();
    const input = referral({ createdDateTime: T0.toISOString() });
    await app.ingest([input]);
    await settle();
    const leadsOnly = { leads: app.leads, now: clock.now };
    // A favorite is stored; before it is projected, an Accept reads the lead and writes its hint.
    expect((await actOnLead(input.id, { kind: 'favorite' }, viewer, leadsOnly)).status).toBe('changed');
    const read = await app.leads.getForChange(input.id);
    // The favorite's projection clears its hint — only its own — and its card updates go out.
    await app.projector.project(input.id);
    app.kickSends();
    await settle();
    expect(gateway.of('leadCard', 'update').map((u) => u.message.kind === 'leadCard' && u.message.lead.stage)).toEqual(['Received', 'Received']);
    // The Accept lands, and the process that made it dies before projecting it: a sweep finds it.
    expect((await actOnLead(input.id, { kind: 'accept', deal: dealInput }, admin, leadsOnly, read)).status).toBe('changed');
    await app.projector.sweep();
    app.kickSends();
    await settle();
    const stages = gateway.of('leadCard', 'update').map((u) => u.message.kind === 'leadCard' && u.message.lead.stage);
    expect(stages).toEqual(['Received', 'Received', 'Accepted', 'Accepted']);
    expect((await listLeads(app.views, 'marketplace')).items.map((l) => l.stage)).toEqual(['Accepted']);
  });

  it('projects the rest of a batch when one lead cannot be, parks that lead after 5 tries, tells admins once, and retries it on request', async () => {
    const { tables, clock, gateway } = await world();
    const lines: Array<{ level: number; msg: string; leadId?: string }> = [];
    const log = createLogger('info', { destination: { write: (line: string) => void lines.push(JSON.parse(line)) } });
    const [broken, fine] = [referral({ createdDateTime: T0.toISOString() }), referral({ createdDateTime: T0.toISOString() })];
    await ingestReferrals([broken, fine], { leads: makeApp(tables, { clock }).leads, now: clock.now, responseDays: 14 });
    // Another process stored them (this one has not seen the changes, so it reads what they left).
    const app = makeApp(tables, { clock, gateway, log });
    // The broken lead's row no longer parses (say, written by a newer version).
    const good = await tables.Leads.getEntity<Record<string, unknown>>(broken.id, leadRowKey(broken.id));
    await tables.Leads.updateEntity({ partitionKey: broken.id, rowKey: leadRowKey(broken.id), data0: '{"not":"a lead"}' }, 'Merge');

    for (let sweep = 0; sweep < 8; sweep++) await app.projector.sweep();
    app.kickSends();
    await app.settle();
    expect(gateway.of('leadCard', 'post').map((p) => p.message.kind === 'leadCard' && p.message.lead.id)).toEqual([fine.id, fine.id]);
    expect(lines.filter((l) => l.msg.startsWith('projection failed for some leads'))).toHaveLength(1);
    expect(lines.filter((l) => l.msg.startsWith('projection of a lead keeps failing')).map((l) => l.leadId)).toEqual([broken.id]);
    // Set aside after 5 tries: sweeps leave it alone; partner admins were told once.
    expect(await app.leads.hinted()).toEqual([]);
    expect((await app.leads.parked()).map((p) => p.leadId)).toEqual([broken.id]);
    const notices = gateway.of('text', 'post').filter((p) => p.message.kind === 'text' && p.message.text.includes(`retry ${broken.id}`));
    // With no partner admin's personal chat on file, the subscribed channel hears it (not the group chat).
    expect(notices.map((n) => n.conversationId)).toEqual([expect.stringMatching(/@thread\.tacv2$/)]);

    // Retried before the cause is fixed: it fails, is answered with why, and stays set aside.
    expect(await app.retryProjection(broken.id)).toMatchObject({ outcome: 'failed', reason: expect.stringMatching(/\S/) });
    expect((await app.leads.parked()).map((p) => p.leadId)).toEqual([broken.id]);
    // Fixed, then retried: projected, its cards go out; a lead that is not parked has nothing to retry.
    const { etag: _etag, timestamp: _timestamp, ...row } = good;
    await tables.Leads.upsertEntity(row as { partitionKey: string; rowKey: string }, 'Replace');
    expect(await app.retryProjection(broken.id)).toEqual({ outcome: 'projected' });
    app.kickSends();
    await app.settle();
    expect(gateway.of('leadCard', 'post').filter((p) => p.message.kind === 'leadCard' && p.message.lead.id === broken.id)).toHaveLength(2);
    expect(await app.leads.parked()).toEqual([]);
    expect(await app.retryProjection(fine.id)).toEqual({ outcome: 'notParked' });
    // The failed retry told nobody again; a later change that cannot be processed either is a new parking, told again.
    const told = () => gateway.of('text', 'post').filter((p) => p.message.kind === 'text' && p.message.text.includes(`retry ${broken.id}`));
    expect(told()).toHaveLength(1);
    await actOnLead(broken.id, { kind: 'favorite' }, viewer, { leads: makeApp(tables, { clock }).leads, now: clock.now });
    await tables.Leads.updateEntity({ partitionKey: broken.id, rowKey: leadRowKey(broken.id), data0: '{"not":"a lead"}' }, 'Merge');
    for (let sweep = 0; sweep < 6; sweep++) await app.projector.sweep();
    app.kickSends();
    await app.settle();
    expect((await app.leads.parked()).map((p) => p.leadId)).toEqual([broken.id]);
    expect(told()).toHaveLength(2);
  });

  it('never parks leads for a failure that is not their own: fixing the cause heals them all', async () => {
    const { tables, clock, gateway } = await world();
    const app = makeApp(tables, { clock, gateway });
    const inputs = [referral({ createdDateTime: T0.toISOString() }), referral({ createdDateTime: T0.toISOString() })];
    await ingestReferrals(inputs, { leads: app.leads, now: clock.now, responseDays: 14 });
    // Something every projection needs fails (a bug, a shared row): not the leads' own rows.
    const subscribed = app.conversations.subscribed.bind(app.conversations);
    app.conversations.subscribed = async () => {
      throw new Error('a shared row cannot be read');
    };
    for (let sweep = 0; sweep < 8; sweep++) await app.projector.sweep();
    expect(await app.leads.parked()).toEqual([]);
    expect(new Set((await app.leads.hinted()).map((h) => h.leadId))).toEqual(new Set(inputs.map((r) => r.id)));

    app.conversations.subscribed = subscribed;
    await app.projector.sweep();
    app.kickSends();
    await app.settle();
    expect(gateway.of('leadCard', 'post')).toHaveLength(4);
    expect(gateway.of('text', 'post')).toEqual([]);
  });

  it('hands sending over at once when the sending instance stops', async () => {
    const { tables, clock, gateway, app, settle } = await world();
    await app.ingest([referral({ createdDateTime: T0.toISOString() })]);
    await settle();
    expect(gateway.of('leadCard', 'post')).toHaveLength(2); // this instance now holds the sender lease
    await app.stop();

    const next = makeApp(tables, { clock, gateway, instanceId: 'after-restart' });
    await next.ingest([referral({ createdDateTime: T0.toISOString() })]);
    await next.settle();
    expect(gateway.of('leadCard', 'post')).toHaveLength(4);
  });

  it('resumes pending sends after a restart', async () => {
    const { tables, clock, app } = await world({ connected: false });
    // An instance with no Teams connection queues sends but cannot deliver them.
    await app.ingest([referral({ createdDateTime: T0.toISOString() }), referral({ createdDateTime: T0.toISOString() })]);
    await app.settle();
    expect(await app.outbox.pendingCount()).toBe(4);
    await app.stop();

    const gateway = new RecordingGateway(clock.now);
    const restarted = makeApp(tables, { clock, gateway });
    restarted.kickSends();
    await restarted.settle();
    expect(gateway.of('leadCard', 'post')).toHaveLength(4);
    expect(await restarted.outbox.pendingCount()).toBe(0);
  });
});
