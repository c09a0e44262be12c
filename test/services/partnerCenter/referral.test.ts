/**
 * Reading a referral as real Partner Center data comes: leniently. Only what a lead cannot exist
 * without is required; what does not fit is normalized when its meaning is plain, else kept as given.
 */
import { parseReferrals } from '../../../services/partnerCenter/referrals/intake';
import { readAmount, readReferral } from '../../../services/partnerCenter/referrals/readReferral';
import { referralSchema } from '../../../services/partnerCenter/referrals/referral';
import { referral } from '../../fixtures/referrals';

describe('the Partner Center referral schema', () => {
  it('accepts a full referral and drops fields it does not know', () => {
    const parsed = referralSchema.parse({ ...referral(), somethingNew: 42 });
    expect(parsed).not.toHaveProperty('somethingNew');
    expect(parsed.customerProfile.name).toBe('Fabrikam Ltd');
  });

  it('accepts the live API spelling of the share consent', () => {
    const parsed = referralSchema.parse({ ...referral(), consentDetails: { consentToToShareInfoWithOthers: true } });
    expect(parsed.consentDetails?.consentToToShareInfoWithOthers).toBe(true);
  });
});

describe('reading a referral leniently', () => {
  it('needs only an id and a status: the rest has defaults (a customer not named, a customer inquiry)', () => {
    const read = readReferral({ id: 'a1', status: 'New' });
    expect(read).toMatchObject({ ok: true, referral: { id: 'a1', qualification: 'Direct', customerProfile: { name: 'Unnamed customer' } } });
  });

  it.each([
    ['no id', { id: undefined }, 'it has no id'],
    ['an id with a slash', { id: 'a/b' }, 'its id "a/b" is not one a lead can be kept by'],
    ['a status this version does not know', { status: 'Paused' }, 'its status "Paused" is not one this version knows (None, New, Active, Closed)'],
    ['a type this version does not know', { type: 'Joint' }, 'its type "Joint" is not one this version knows (Independent, Shared)'],
    ['a direction this version does not know', { direction: 'Sideways' }, 'its direction "Sideways" is not one this version knows (Incoming, Outgoing)'],
    ['no status', { status: undefined }, 'it has no status'],
    // Guessed, an unknown substatus of a decided referral would show a Won as Expired, or be "corrected" by a write-back.
    ['an Active referral whose substatus this version does not know', { status: 'Active', substatus: 'Engaged' }, 'its substatus "Engaged" is not one this version knows (None, Pending, Received, Accepted, Won, Lost, Declined, Expired)'],
    ['a Closed referral without a substatus', { status: 'Closed', substatus: undefined }, 'it has no substatus'],
    ['not an object', 'a string', 'it is not a referral object'],
  ])('cannot read one with %s, and says why', (_what, change, reason) => {
    const sent = typeof change === 'string' ? change : { ...referral(), ...change };
    expect(readReferral(sent)).toMatchObject({ ok: false, reason });
  });

  it.each([
    ['qualification "None" (documented)', { qualification: 'None' }, (r: any) => r.qualification === 'Direct', ['qualification']],
    ['a substatus it does not know', { substatus: 'OnHold' }, (r: any) => r.substatus === undefined, ['substatus']],
    ['a lowercase country code', { customerProfile: { name: 'C', address: { country: 'de' } } }, (r: any) => r.customerProfile.address.country === 'DE', []],
    ['a three-letter country', { customerProfile: { name: 'C', address: { country: 'DEU' } } }, (r: any) => r.customerProfile.address.country === 'DEU', []],
    ['a malformed contact e-mail', { customerProfile: { name: 'C', team: [{ firstName: 'Ann', email: 'ann at contoso' }] } }, (r: any) => r.customerProfile.team[0].email === 'ann at contoso', []],
    ['more than 20 team members', { customerProfile: { name: 'C', team: Array.from({ length: 30 }, (_, i) => ({ firstName: `P${i}` })) } }, (r: any) => r.customerProfile.team.length === 30, []],
    ['notes over 4,000 characters', { details: { notes: 'n'.repeat(9_000) } }, (r: any) => r.details.notes.length === 9_000, []],
    ['a deal value of "1,000"', { details: { dealValue: '1,000' } }, (r: any) => r.details.dealValue === 1000, []],
    ['a closing date without a time zone', { details: { closingDateTime: '2027-03-31T12:00:00' } }, (r: any) => r.details.closingDateTime === '2027-03-31T12:00:00Z', []],
    ['a lowercase currency', { details: { currency: 'eur' } }, (r: any) => r.details.currency === 'EUR', []],
    ['a deal value that is not a number', { details: { dealValue: 'about 10k' } }, (r: any) => r.details.dealValue === undefined, ['details.dealValue']],
    ['a date that is not a date', { createdDateTime: '26/11/2026' }, (r: any) => r.createdDateTime === undefined, ['createdDateTime']],
    ['a string for a yes/no', { details: { customerRequestedContact: 'yes' } }, (r: any) => r.details.customerRequestedContact === undefined, ['details.customerRequestedContact']],
    ['no customer name', { customerProfile: { name: '' } }, (r: any) => r.customerProfile.name === 'Unnamed customer', []],
  ])('reads one with %s, keeping what does not fit as given', (_what, change, holds, asGiven) => {
    const read = readReferral({ ...referral(), ...change });
    expect(read.ok).toBe(true);
    if (!read.ok) return;
    expect(holds(read.referral)).toBe(true);
    expect(read.asGiven.map((a) => a.path)).toEqual(asGiven);
  });

  it('keeps the beginning of what is longer than it keeps, and says so', () => {
    const read = readReferral({ ...referral(), details: { notes: 'x'.repeat(40_000) }, team: Array.from({ length: 150 }, (_, i) => ({ firstName: `T${i}` })) });
    expect(read.ok && read.referral.details?.notes?.length).toBe(30_000);
    expect(read.ok && read.referral.team?.length).toBe(100);
    expect(read.ok && read.asGiven).toEqual([
      { path: 'team', value: '150 entries', why: 'more than 100: the first 100 are kept' },
      { path: 'details.notes', value: '40,000 characters', why: 'longer than 30,000 characters: the first 30,000 are kept' },
    ]);
  });

  it.each([
    [1000, 1000],
    ['1000', 1000],
    ['1,000,000', 1000000],
    ['1,000.50', 1000.5],
    ['1.000,50', 1000.5],
    ['12 500', 12500],
    ['€ 1,000', 1000],
    ['1,000', 1000],
    ['USD 250', 250],
    ['250 EUR', 250],
    ['10,5', 10.5],
    // A point and three digits: a thousand in one half of the world, one in the other.
    ['1.000', undefined],
    ['1.500', undefined],
    ['10 Mio', undefined],
    ['2 mln', undefined],
    ['about 10k', undefined],
    [-5, undefined],
    ['1,00,000', undefined],
  ])('reads the amount %p as %p', (given, amount) => {
    expect(readAmount(given)).toBe(amount);
  });
});

describe('the leads API', () => {
  it('refuses a referral it cannot read, naming the item of a batch that is wrong and why', () => {
    expect(parseReferrals({ ...referral(), id: 'a/b' })).toEqual({ ok: false, issues: [{ path: 'id', message: 'its id "a/b" is not one a lead can be kept by' }] });
    const result = parseReferrals([referral(), referral({ status: 'Paused' as never })]);
    expect(result).toEqual({ ok: false, issues: [{ path: '1.status', message: expect.stringContaining('its status "Paused"') }] });
    expect(parseReferrals('a string')).toEqual({ ok: false, issues: [{ path: '(root)', message: 'it is not a referral object' }] });
  });

  it('takes what merely does not fit, and keeps it as given', () => {
    const result = parseReferrals([referral({ qualification: 'None' as never })]);
    expect(result).toMatchObject({ ok: true, batch: true, referrals: [{ asGiven: [{ path: 'qualification', value: 'None' }] }] });
  });

  it('refuses more than 100 referrals at once and an empty batch', () => {
    const many = Array.from({ length: 101 }, () => referral());
    expect(parseReferrals(many).ok).toBe(false);
    expect(parseReferrals([]).ok).toBe(false);
  });
});
