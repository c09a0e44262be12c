import { parseReferrals } from '../../../services/partnerCenter/referrals/intake';
import { referralSchema } from '../../../services/partnerCenter/referrals/referral';
import { referral } from '../../fixtures/referrals';

describe('the Partner Center referral schema', () => {
  it('accepts a full referral and drops fields it does not know', () => {
    const parsed = referralSchema.parse({ ...referral(), somethingNew: 42 });
    expect(parsed).not.toHaveProperty('somethingNew');
    expect(parsed.customerProfile.name).toBe('Fabrikam Ltd');
  });

  it('accepts the minimum: id, qualification and customer name', () => {
    expect(referralSchema.safeParse({ id: 'a1', qualification: 'SalesQualified', customerProfile: { name: 'Contoso' } }).success).toBe(true);
  });

  it.each([
    ['no id', { id: undefined }, 'id'],
    ['an id with a slash', { id: 'a/b' }, 'id'],
    ['an unknown qualification', { qualification: 'Hot' }, 'qualification'],
    ['no customer name', { customerProfile: { name: '' } }, 'customerProfile.name'],
    ['a bad contact e-mail', { customerProfile: { name: 'C', team: [{ email: 'not-an-email' }] } }, 'customerProfile.team.0.email'],
    ['a date that is not ISO', { createdDateTime: '26/11/2026' }, 'createdDateTime'],
    ['a lower-case currency', { details: { currency: 'eur' } }, 'details.currency'],
    ['a negative deal value', { details: { dealValue: -5 } }, 'details.dealValue'],
    ['a string for a boolean', { details: { customerRequestedContact: 'yes' } }, 'details.customerRequestedContact'],
    ['a name that is too long', { name: 'x'.repeat(201) }, 'name'],
    ['a three-letter country', { customerProfile: { name: 'C', address: { country: 'DEU' } } }, 'customerProfile.address.country'],
  ])('rejects %s, naming the field', (_what, change, path) => {
    const result = parseReferrals({ ...referral(), ...change });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues.map((i) => i.path)).toContain(path);
  });

  it('names the item of a batch that is wrong', () => {
    const result = parseReferrals([referral(), referral({ qualification: 'Nope' as never })]);
    expect(result).toEqual({ ok: false, issues: [expect.objectContaining({ path: '1.qualification' })] });
  });

  it('refuses more than 100 referrals at once and an empty batch', () => {
    const many = Array.from({ length: 101 }, () => referral());
    expect(parseReferrals(many).ok).toBe(false);
    expect(parseReferrals([]).ok).toBe(false);
  });

  it('accepts the live API spelling of the share consent', () => {
    const parsed = referralSchema.parse({ ...referral(), consentDetails: { consentToToShareInfoWithOthers: true } });
    expect(parsed.consentDetails?.consentToToShareInfoWithOthers).toBe(true);
  });
});
