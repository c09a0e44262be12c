import type { Lead } from '../../../services/leads/lead';
import { leadFromReferral } from '../../../services/partnerCenter/referrals/leadFromReferral';
import { readReferral } from '../../../services/partnerCenter/referrals/readReferral';
import { isIncomingLead, referralSchema, withoutNulls } from '../../../services/partnerCenter/referrals/referral';
import { partnerCenterOf, referralState, withPartnerCenter, type ReferralState } from '../../../services/partnerCenter/referrals/referralState';
import { partnerCenterFields } from '../../../services/partnerCenter/referrals/referralView';
import { applyReferral, patchFor, pendingFields, PARTNER_CENTER_ACTOR, stillApplies } from '../../../services/partnerCenter/referrals/referralSync';
import { acceptedLead, apply, dealInput, NOW, receivedLead } from '../../fixtures/leads';
import { referral } from '../../fixtures/referrals';

const LATER = new Date(NOW.getTime() + 3_600_000);

/** The referral as Partner Center has it after a change made in its portal. */
function changedThere(lead: Lead, change: Partial<ReferralState>): ReferralState {
  return { ...partnerCenterOf(lead).synced!, eTag: '"changed-there"', updatedDateTime: LATER.toISOString(), ...change };
}

describe('what a lead owes Partner Center', () => {
  it('owes nothing when it arrives', () => {
    expect(pendingFields(receivedLead())).toEqual([]);
  });

  it('owes the status, the deal and its ids once accepted in Teams, and the accepter (its owner now) on the team', () => {
    const lead = apply(receivedLead(), { kind: 'accept', deal: { ...dealInput, crmId: 'CRM-7', campaignId: 'CMP-1' } });
    expect(pendingFields(lead).sort()).toEqual(['campaignId', 'closingDate', 'externalReferenceId', 'notes', 'status', 'team'].sort());
    expect(patchFor(['team'], lead, partnerCenterOf(lead).synced!)).toEqual([{ op: 'add', path: '/team/-', value: { firstName: 'Dana', lastName: 'Admin' } }]);
    // Value and currency equal what the referral already said (120,000 EUR): nothing to send for them.
    expect(pendingFields(lead)).not.toContain('dealValue');
  });

  it('patches with replace where the referral has a value and add where it has none, the status and substatus together', () => {
    const lead = apply(receivedLead(), { kind: 'accept', deal: { ...dealInput, value: 99000, crmId: 'CRM-7' } });
    expect(patchFor(pendingFields(lead), lead, partnerCenterOf(lead).synced!)).toEqual(
      expect.arrayContaining([
        { op: 'replace', path: '/status', value: 'Active' },
        { op: 'replace', path: '/substatus', value: 'Accepted' },
        { op: 'replace', path: '/details/dealValue', value: 99000 },
        { op: 'add', path: '/details/closingDateTime', value: '2027-03-31T00:00:00Z' },
        { op: 'add', path: '/externalReferenceId', value: 'CRM-7' },
      ]),
    );
  });

  it('writes a decline as Closed/Declined with the reason in words', () => {
    const lead = apply(receivedLead(), { kind: 'decline', reason: 'otherVendor', notes: 'Went with Contoso' });
    expect(patchFor(pendingFields(lead), lead, partnerCenterOf(lead).synced!)).toEqual([
      { op: 'replace', path: '/status', value: 'Closed' },
      { op: 'replace', path: '/substatus', value: 'Declined' },
      { op: 'add', path: '/statusReason', value: 'Customer chose another vendor: Went with Contoso' },
    ]);
  });

  it('adds new team members one at a time, as Partner Center documents it; its own members stay as they are', () => {
    const lead = apply(acceptedLead(), { kind: 'addEmployee', employee: { name: 'Sam Lee', email: 'sam@partner.example' } });
    const kim = { firstName: 'Kim', lastName: 'Ito', email: 'kim@partner.example', contactPreference: { locale: 'ja-JP', disableNotifications: true } };
    const theirs = changedThere(lead, { team: [kim] });
    expect(patchFor(['team'], lead, theirs)).toEqual([
      { op: 'add', path: '/team/-', value: { firstName: 'Sam', lastName: 'Lee', email: 'sam@partner.example' } },
      { op: 'add', path: '/team/-', value: { firstName: 'Dana', lastName: 'Admin' } },
    ]);
  });

  it('replaces the team whole when someone was removed in Teams (adding one at a time cannot remove anyone)', () => {
    const withSam = apply(acceptedLead(), { kind: 'addEmployee', employee: { name: 'Sam Lee', email: 'sam@partner.example' } });
    const sam = { firstName: 'Sam', lastName: 'Lee', email: 'sam@partner.example' };
    const synced = applyReferral(withSam, changedThere(withSam, { team: [{ firstName: 'Dana', lastName: 'Admin' }, sam] }), NOW)!.lead;
    const employee = synced.employees.find((e) => e.name === 'Sam Lee')!;
    const without = apply(synced, { kind: 'removeEmployee', employeeId: employee.id });
    expect(patchFor(['team'], without, partnerCenterOf(without).synced!)).toEqual([{ op: 'replace', path: '/team', value: [{ firstName: 'Dana', lastName: 'Admin' }] }]);
  });

  it('adds an owner who is not on the team yet, once, and leaves one who is', () => {
    const owned = apply(receivedLead(), { kind: 'assign', owner: { id: '6f1c1a52-3d1e-4a8e-9b44-2b1f7d0c9e10', name: 'Sam Lee', email: 'sam@partner.example' } });
    expect(pendingFields(owned)).toEqual(['team']);
    expect(patchFor(['team'], owned, partnerCenterOf(owned).synced!)).toEqual([{ op: 'add', path: '/team/-', value: { firstName: 'Sam', lastName: 'Lee', email: 'sam@partner.example' } }]);
    const alreadyThere = changedThere(owned, { team: [{ firstName: 'Sam', lastName: 'Lee', email: 'SAM@partner.example' }] });
    expect(pendingFields(applyReferral(owned, alreadyThere, NOW)!.lead)).toEqual([]);
  });

  it('sends a lead accepted and won before Partner Center heard of either as Accepted first', () => {
    const won = apply(apply(receivedLead(), { kind: 'accept', deal: dealInput }), { kind: 'markWon' });
    expect(patchFor(['status'], won, partnerCenterOf(won).synced!)).toEqual([
      { op: 'replace', path: '/status', value: 'Active' },
      { op: 'replace', path: '/substatus', value: 'Accepted' },
    ]);
    expect(patchFor(['status'], won, changedThere(won, { status: 'Active', substatus: 'Accepted' }))).toEqual([
      { op: 'replace', path: '/status', value: 'Closed' },
      { op: 'replace', path: '/substatus', value: 'Won' },
    ]);
  });

  it('does not write an expiry: Partner Center expires leads itself', () => {
    const lead = apply(receivedLead(), { kind: 'expire' }, { kind: 'system' });
    expect(pendingFields(lead)).toEqual([]);
  });
});

describe('whether a change made in Teams still makes sense in Partner Center', () => {
  it.each([
    ['an Accept on a referral still new', () => apply(receivedLead(), { kind: 'accept', deal: dealInput }), { status: 'New', substatus: 'Pending' }, true],
    ['a Won on a referral accepted there', () => apply(acceptedLead(), { kind: 'markWon' }), { status: 'Active', substatus: 'Accepted' }, true],
    ['a Decline on a referral accepted in the portal', () => apply(receivedLead(), { kind: 'decline', reason: 'budget' }), { status: 'Active', substatus: 'Accepted' }, false],
    ['an Accept on a referral declined in the portal', () => apply(receivedLead(), { kind: 'accept', deal: dealInput }), { status: 'Closed', substatus: 'Declined' }, false],
    ['an edit on a referral closed there', () => apply(acceptedLead(), { kind: 'edit', deal: { ...dealInput, value: 1 } }), { status: 'Closed', substatus: 'Won' }, false],
  ])('%s: %s', (_what, make, state, applies) => {
    const lead = make();
    expect(stillApplies(lead, changedThere(lead, state))).toBe(applies);
  });
});

describe("Partner Center's changes, taken by the lead", () => {
  it('takes a decline made in the portal, with Partner Center as the actor and its time', () => {
    const lead = receivedLead();
    const taken = applyReferral(lead, changedThere(lead, { status: 'Closed', substatus: 'Declined', statusReason: 'Customer chose another vendor' }), NOW)!;
    expect(taken.lead).toMatchObject({ stage: 'Archived', outcome: 'Declined', closeReason: { code: 'otherVendor' }, lastAction: { kind: 'decline', by: PARTNER_CENTER_ACTOR, at: LATER.toISOString() } });
    expect(taken.events).toEqual([expect.objectContaining({ type: 'partnerCenter', actor: PARTNER_CENTER_ACTOR, after: expect.objectContaining({ stage: 'Archived' }) })]);
    expect(taken.lead.revision).toBe(lead.revision + 1);
  });

  it('ignores a copy older than the one it already has (a poll page read before a write-back answered)', () => {
    const lead = receivedLead();
    const newer = applyReferral(lead, changedThere(lead, { status: 'Active', substatus: 'Accepted' }), NOW)!.lead;
    const older = { ...partnerCenterOf(lead).synced!, eTag: '"older"', updatedDateTime: new Date(NOW.getTime() - 60_000).toISOString() };
    expect(applyReferral(newer, older, NOW)).toBeUndefined();
  });

  it('changes nothing the second time the same referral comes in', () => {
    const lead = receivedLead();
    const theirs = changedThere(lead, { status: 'Active', substatus: 'Accepted', dealValue: 5000 });
    const once = applyReferral(lead, theirs, NOW)!;
    expect(applyReferral(once.lead, theirs, NOW)).toBeUndefined();
  });

  it('keeps a change of its own on the way, and takes what Partner Center changed beside it', () => {
    const lead = apply(receivedLead(), { kind: 'accept', deal: dealInput });
    const later = new Date(Date.parse(lead.expiresAt) + 86_400_000).toISOString();
    const taken = applyReferral(lead, changedThere(lead, { expirationDateTime: later }), NOW)!;
    expect(taken.lead.stage).toBe('Accepted');
    expect(taken.lead.expiresAt).toBe(later);
    expect(taken.overruled).toEqual([]);
    expect(pendingFields(taken.lead)).toContain('status');
    expect(partnerCenterOf(taken.lead).synced?.eTag).toBe('"changed-there"');
  });

  it("takes Partner Center's state whole when it overrules the lead's own change, and says which", () => {
    const lead = apply(receivedLead(), { kind: 'accept', deal: dealInput });
    const taken = applyReferral(lead, changedThere(lead, { status: 'Closed', substatus: 'Declined', statusReason: 'Not a customer' }), NOW)!;
    expect(taken.lead).toMatchObject({ stage: 'Archived', outcome: 'Declined', closeReason: { code: 'notACustomer' } });
    expect(taken.overruled).toContain('status');
    expect(pendingFields(taken.lead)).toEqual([]);
  });

  it('clears a refusal once nothing is left to write back', () => {
    const accepted = apply(receivedLead(), { kind: 'accept', deal: dealInput });
    const refused: Lead = withPartnerCenter(accepted, { ...partnerCenterOf(accepted), rejected: { message: 'Partner Center answered 400', at: NOW.toISOString(), revision: accepted.revision } });
    const written = changedThere(refused, {
      status: 'Active',
      substatus: 'Accepted',
      closingDate: '2027-03-31',
      notes: dealInput.notes,
      currency: 'EUR',
      dealValue: 120000,
      team: [{ firstName: 'Dana', lastName: 'Admin' }],
    });
    expect(partnerCenterOf(applyReferral(refused, written, NOW)!.lead).rejected).toBeUndefined();
  });
});

describe('a referral that arrives already answered (a first import)', () => {
  it('comes in accepted, with its deal and the date Partner Center accepted it', () => {
    const lead = leadFromReferral(
      referral({ status: 'Active', substatus: 'Accepted', acceptedDateTime: '2026-11-10T08:00:00Z', externalReferenceId: 'CRM-1', details: { dealValue: 5000, currency: 'USD', closingDateTime: '2027-01-31T00:00:00Z' } }),
      { now: NOW, responseDays: 14 },
    );
    expect(lead).toMatchObject({ stage: 'Accepted', deal: { value: 5000, currency: 'USD', purchaseDate: '2027-01-31', crmId: 'CRM-1' }, lastAction: { kind: 'accept', by: PARTNER_CENTER_ACTOR, at: '2026-11-10T08:00:00Z' } });
    expect(pendingFields(lead)).toEqual([]);
  });

  it('comes in archived with its outcome and reason', () => {
    const lead = leadFromReferral(referral({ status: 'Closed', substatus: 'Lost', statusReason: 'Project budget is not adequate', closedDateTime: '2026-10-01T00:00:00Z' }), { now: NOW, responseDays: 14 });
    expect(lead).toMatchObject({ stage: 'Archived', outcome: 'Lost', closeReason: { code: 'budget' }, lastAction: { kind: 'markLost', at: '2026-10-01T00:00:00Z' } });
  });

  it('reads requirements as Partner Center sends them ({ id } objects) and nulls as absent', () => {
    const lead = leadFromReferral(
      referralSchema.parse(withoutNulls(referral({ externalReferenceId: null, statusReason: null, details: { notes: null, requirements: { industries: [{ id: 'Healthcare' }], products: [{ id: 'p1', name: 'Teams Rooms' }] } } } as never))),
      { now: NOW, responseDays: 14 },
    );
    expect(lead.requirements).toEqual(['Teams Rooms', 'Healthcare']);
    expect(lead.need).toBeUndefined();
  });

  it("brings the partner's people already on the referral as employees", () => {
    const lead = leadFromReferral(referral({ team: [{ firstName: 'Kim', lastName: 'Ito', email: 'kim@partner.example' }] }), { now: NOW, responseDays: 14 });
    expect(lead.employees).toEqual([expect.objectContaining({ name: 'Kim Ito', email: 'kim@partner.example' })]);
    expect(referralState(referral()).team).toEqual([]);
  });
});

describe('which referrals are leads', () => {
  it.each([
    ['a customer inquiry from the marketplace', true, { type: 'Independent', qualification: 'Direct' }],
    ['a customer inquiry Microsoft sent', true, { type: 'Independent', qualification: 'Direct', inviteContext: { invitedBy: { organizationId: 'msft' } } }],
    ['a sales-qualified lead from Microsoft', true, { type: 'Independent', qualification: 'SalesQualified', inviteContext: { invitedBy: { organizationId: 'msft' } } }],
    ['a marketing-qualified lead from Microsoft', true, { type: 'Independent', qualification: 'MarketingQualified', inviteContext: { invitedBy: { organizationId: 'msft' } } }],
    ['a co-sell opportunity (Shared)', false, { type: 'Shared', qualification: 'SalesQualified' }],
    ['an opportunity from another partner', false, { type: 'Independent', qualification: 'SalesQualified', inviteContext: { invitedBy: { organizationId: 'partner-123' } } }],
    ['a referral the partner sent', false, { type: 'Independent', qualification: 'Direct', direction: 'Outgoing' }],
  ])('%s: a lead? %s', (_what, lead, fields) => {
    const read = readReferral({ ...referral(), id: 'r1', ...fields });
    expect(read.ok && isIncomingLead(read.referral)).toBe(lead);
  });

  it("reads a qualification it does not know (\"None\") as a customer inquiry from Microsoft, and keeps it as given", () => {
    const read = readReferral({ ...referral(), type: 'Independent', qualification: 'None' });
    expect(read.ok && isIncomingLead(read.referral)).toBe(true);
    expect(read.ok && read.asGiven).toEqual([{ path: 'qualification', value: 'None', why: 'not a kind this version knows: shown as a customer inquiry' }]);
  });
});

describe("the lead's Partner Center fields, as the leads API shows them", () => {
  it('say the status Partner Center has (or will have once written back), and the reason in its words', () => {
    const declined = apply(receivedLead(), { kind: 'decline', reason: 'otherVendor', notes: 'Went with a competitor' });
    expect(partnerCenterFields(declined)).toMatchObject({ status: 'Closed', substatus: 'Declined', statusReason: 'Customer chose another vendor: Went with a competitor' });
    expect(partnerCenterFields(apply(receivedLead(), { kind: 'accept', deal: dealInput }))).toMatchObject({ status: 'Active', substatus: 'Accepted' });
  });

  it("keep Partner Center's own words for a lead that arrived closed, until a change in Teams says otherwise", () => {
    const lost = leadFromReferral(referral({ status: 'Closed', substatus: 'Lost', statusReason: 'Went dark after the demo' }), { now: NOW, responseDays: 14 });
    expect(partnerCenterFields(lost)).toMatchObject({ status: 'Closed', substatus: 'Lost', statusReason: 'Went dark after the demo' });
  });
});
