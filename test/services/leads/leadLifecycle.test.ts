import type { Lead, Stage } from '../../../services/leads/lead';
import { transition } from '../../../services/leads/leadLifecycle';
import type { LeadCommand } from '../../../services/leads/leadCommands';
import { acceptedLead, admin, dealInput, declinedLead, expiredLead, NOW, receivedLead, system, viewer, wonLead } from '../../fixtures/leads';

const commands: Record<LeadCommand['kind'], LeadCommand> = {
  accept: { kind: 'accept', deal: dealInput },
  decline: { kind: 'decline', reason: 'otherVendor', notes: 'Went with a competitor' },
  edit: { kind: 'edit', deal: { ...dealInput, value: 150000 } },
  addEmployee: { kind: 'addEmployee', employee: { name: 'Sam Seller', email: 'sam@partner.example' } },
  removeEmployee: { kind: 'removeEmployee', employeeId: 'nobody' },
  markWon: { kind: 'markWon' },
  markLost: { kind: 'markLost', reason: 'budget' },
  expire: { kind: 'expire' },
  favorite: { kind: 'favorite' },
  unfavorite: { kind: 'unfavorite' },
  take: { kind: 'take' },
  assign: { kind: 'assign', owner: { id: '6f1c1a52-3d1e-4a8e-9b44-2b1f7d0c9e10', name: 'Sam Lee', teamsUserId: '29:sam' } },
  snooze: { kind: 'snooze', until: '2026-11-21T10:00:00Z' },
};

type Expect = { stage: Stage; outcome?: string } | 'invalid_transition' | 'validation';

// What each command does in each stage. Archived takes nothing.
const table: Array<[Stage, () => Lead, LeadCommand['kind'], Expect]> = [
  ['Received', receivedLead, 'accept', { stage: 'Accepted' }],
  ['Received', receivedLead, 'decline', { stage: 'Archived', outcome: 'Declined' }],
  ['Received', receivedLead, 'edit', 'invalid_transition'],
  ['Received', receivedLead, 'addEmployee', 'invalid_transition'],
  ['Received', receivedLead, 'removeEmployee', 'invalid_transition'],
  ['Received', receivedLead, 'markWon', 'invalid_transition'],
  ['Received', receivedLead, 'markLost', 'invalid_transition'],
  ['Received', receivedLead, 'expire', { stage: 'Archived', outcome: 'Expired' }],
  ['Received', receivedLead, 'favorite', { stage: 'Received' }],
  ['Received', receivedLead, 'unfavorite', { stage: 'Received' }],
  ['Received', receivedLead, 'take', { stage: 'Received' }],
  ['Received', receivedLead, 'assign', { stage: 'Received' }],
  ['Received', receivedLead, 'snooze', { stage: 'Received' }],
  ['Accepted', acceptedLead, 'accept', 'invalid_transition'],
  ['Accepted', acceptedLead, 'decline', 'invalid_transition'],
  ['Accepted', acceptedLead, 'edit', { stage: 'Accepted' }],
  ['Accepted', acceptedLead, 'addEmployee', { stage: 'Accepted' }],
  ['Accepted', acceptedLead, 'removeEmployee', 'validation'],
  ['Accepted', acceptedLead, 'markWon', { stage: 'Archived', outcome: 'Won' }],
  ['Accepted', acceptedLead, 'markLost', { stage: 'Archived', outcome: 'Lost' }],
  ['Accepted', acceptedLead, 'expire', 'invalid_transition'],
  ['Accepted', acceptedLead, 'favorite', { stage: 'Accepted' }],
  ['Accepted', acceptedLead, 'unfavorite', { stage: 'Accepted' }],
  ['Accepted', acceptedLead, 'take', { stage: 'Accepted' }],
  ['Accepted', acceptedLead, 'assign', { stage: 'Accepted' }],
  ['Accepted', acceptedLead, 'snooze', 'invalid_transition'],
  ...(['accept', 'decline', 'edit', 'addEmployee', 'removeEmployee', 'markWon', 'markLost', 'expire', 'favorite', 'unfavorite', 'take', 'assign', 'snooze'] as const).flatMap(
    (kind) =>
      [wonLead, declinedLead, expiredLead].map((make): [Stage, () => Lead, LeadCommand['kind'], Expect] => ['Archived', make, kind, 'invalid_transition']),
  ),
];

describe('the lead lifecycle', () => {
  it.each(table)('%s × %s: %s', (_stage, make, kind, expected) => {
    const lead = make();
    const result = transition(lead, commands[kind], kind === 'expire' ? system : admin, NOW);
    if (typeof expected === 'string') {
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error.code).toBe(expected);
      return;
    }
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.lead.stage).toBe(expected.stage);
    expect(result.lead.outcome).toBe(expected.outcome);
    expect(result.lead.version).toBe(lead.version + 1);
  });

  it('records who accepted, when, and the deal, with a before → after audit event', () => {
    const result = transition(receivedLead(), commands.accept, admin, NOW);
    if (!result.ok) throw new Error('expected success');
    expect(result.lead.deal).toMatchObject({ name: 'Fabrikam migration', value: 120000, currency: 'EUR' });
    expect(result.lead.lastAction).toEqual({ kind: 'accept', by: { id: admin.kind === 'user' ? admin.id : '', name: 'Dana Admin' }, at: NOW.toISOString() });
    expect(result.events).toEqual([
      expect.objectContaining({ type: 'accept', seq: 2, before: expect.objectContaining({ stage: 'Received' }), after: expect.objectContaining({ stage: 'Accepted' }) }),
    ]);
  });

  it('refuses lifecycle commands from someone who is not an admin, but lets them favorite', () => {
    const refused = transition(receivedLead(), commands.accept, viewer, NOW);
    expect(refused).toEqual({ ok: false, error: { code: 'forbidden', command: 'accept' } });
    const favorited = transition(receivedLead(), commands.favorite, viewer, NOW);
    expect(favorited.ok && favorited.lead.favorites.map((f) => f.name)).toEqual(['Vic Viewer']);
  });

  it('lets only the system expire a lead', () => {
    expect(transition(receivedLead(), commands.expire, admin, NOW)).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  });

  it('requires notes when the decline reason is "Others"', () => {
    const result = transition(receivedLead(), { kind: 'decline', reason: 'others' }, admin, NOW);
    expect(result).toEqual({ ok: false, error: { code: 'validation', issues: [{ path: 'notes', message: 'Notes are required for "Others"' }] } });
  });

  it('names every bad deal field', () => {
    const result = transition(receivedLead(), { kind: 'accept', deal: { name: '', value: 'lots' as never, currency: 'euro', purchaseDate: 'soon' } }, admin, NOW);
    expect(result.ok).toBe(false);
    if (!result.ok && result.error.code === 'validation') {
      expect(result.error.issues.map((i) => i.path).sort()).toEqual(['deal.currency', 'deal.name', 'deal.purchaseDate', 'deal.value']);
    }
  });

  it('refuses an edit made on an older revision of the deal', () => {
    const lead = acceptedLead();
    const result = transition(lead, { kind: 'edit', deal: dealInput, expectedRevision: lead.revision - 1 }, admin, NOW);
    expect(result).toMatchObject({ ok: false, error: { code: 'stale' } });
  });

  it('favorites per user without changing the deal revision', () => {
    const lead = receivedLead();
    const result = transition(lead, commands.favorite, admin, NOW);
    if (!result.ok) throw new Error('expected success');
    expect(result.lead.revision).toBe(lead.revision);
    expect(result.lead.favorites.map((f) => f.id)).toEqual([admin.kind === 'user' && admin.id]);
    const again = transition(result.lead, commands.unfavorite, admin, NOW);
    expect(again.ok && again.lead.favorites).toEqual([]);
  });

  it('adds and removes employees on an accepted deal, refusing the same person twice', () => {
    const withSam = transition(acceptedLead(), commands.addEmployee, admin, NOW);
    if (!withSam.ok) throw new Error('expected success');
    expect(transition(withSam.lead, commands.addEmployee, admin, NOW)).toMatchObject({ ok: false, error: { code: 'validation' } });
    const samId = withSam.lead.employees[0]?.id ?? '';
    const removed = transition(withSam.lead, { kind: 'removeEmployee', employeeId: samId }, admin, NOW);
    expect(removed.ok && removed.lead.employees).toEqual([]);
  });

  it('archives a referral that arrives already past its expiry as Expired', () => {
    const lead = receivedLead({ createdDateTime: '2026-10-01T00:00:00Z' });
    expect(lead).toMatchObject({ stage: 'Archived', outcome: 'Expired' });
  });

  it('takes the expiry from Partner Center, else 14 days after creation', () => {
    expect(receivedLead().expiresAt).toBe('2026-12-04T10:00:00.000Z');
    expect(receivedLead({ expirationDateTime: '2026-11-30T00:00:00Z' }).expiresAt).toBe('2026-11-30T00:00:00.000Z');
  });
});
