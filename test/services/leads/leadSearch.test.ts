/** How text becomes search words, which prefixes a lead is found by, and what a query asks. */
import { matchesAll, MAX_KEYS_PER_LEAD, MAX_PREFIX, parseQuery, prefixesOf, searchWords, wordsOf } from '../../../services/leads/leadSearch';
import { apply, receivedLead } from '../../fixtures/leads';

describe('words', () => {
  it.each([
    ['Contoso Ltd', ['contoso', 'ltd']],
    ['CONTOSO, Ltd.', ['contoso', 'ltd']],
    ['Crème Brûlée S.A.', ['creme', 'brulee', 's', 'a']],
    ['Straße & Söhne', ['strasse', 'sohne', 'soehne']],
    ['Müller-Lüdenscheidt GmbH', ['muller', 'mueller', 'ludenscheidt', 'luedenscheidt', 'gmbh']],
    ['Ærø Øresund Łódź', ['aero', 'oresund', 'lodz']],
    ['4F2C1A7E-9b31-4c5e-8d2a-0e6f1b2c3d4e', ['4f2c1a7e', '9b31', '4c5e', '8d2a', '0e6f1b2c3d4e']],
    ['CRM-00123/2026', ['crm', '00123', '2026']],
    ['  —  !!! ', []],
    ['İstanbul Şirketi', ['istanbul', 'sirketi']],
    // Nonspacing marks go on both sides (index and query), so such words still match each other.
    ['हिन्दी सेवा', ['हिनदी', 'सवा']],
  ])('%s → %j', (text, words) => {
    expect(wordsOf(text)).toEqual(words);
  });

  it('a lead is found by customer, lead name, deal name, referral id, CRM id and campaign id', () => {
    const lead = apply(receivedLead({ id: 'ref-77a', name: 'Teams Rooms rollout', customerProfile: { name: 'Fabrikam Ltd', team: [] } } as never), {
      kind: 'accept',
      deal: { name: 'Phoenix', value: 1, currency: 'EUR', purchaseDate: '2027-01-01', crmId: 'OPP-4711', campaignId: 'FY27 Spring' },
    });
    expect(searchWords(lead).sort()).toEqual(['4711', '77a', 'fabrikam', 'fy27', 'ltd', 'opp', 'phoenix', 'ref', 'rollout', 'rooms', 'spring', 'teams'].sort());
  });

  it('keys are whole characters, and a lead with very long names keeps its ids among its bounded keys', () => {
    const keys = prefixesOf(wordsOf('𠮷野家 株式会社𠮷野家'));
    expect(() => keys.map((k) => encodeURIComponent(k))).not.toThrow();
    expect(keys).toContain('株式会社𠮷');
    const long = searchWords({ id: 'ref-4711', name: Array.from({ length: 60 }, (_, i) => `Wort${i}lang`).join(' '), customer: { name: 'Müller' }, deal: undefined });
    const bounded = prefixesOf(long);
    expect(bounded).toHaveLength(MAX_KEYS_PER_LEAD);
    expect(bounded).toEqual(expect.arrayContaining(['re', 'ref', '47', '4711', 'mu', 'muller']));
  });

  it('indexes every prefix from two letters up to a bound, once', () => {
    expect(prefixesOf(['contoso', 'co'])).toEqual(['co', 'con', 'cont', 'conto', 'contos', 'contoso']);
    expect(prefixesOf(['x'])).toEqual([]);
    const long = prefixesOf(['0e6f1b2c3d4e5f']);
    expect(long).toHaveLength(MAX_PREFIX - 1);
    expect(long.at(-1)).toBe('0e6f1b2c3d');
  });
});

describe('queries', () => {
  it('reads the rows of the word likely to match fewest (the longest, one with digits first), cut to the indexed length', () => {
    expect(parseQuery('Contos')).toEqual({ ok: true, words: ['contos'], key: 'contos' });
    expect(parseQuery('ltd Fabrikam')).toEqual({ ok: true, words: ['ltd', 'fabrikam'], key: 'fabrikam' });
    expect(parseQuery('rollout 4711')).toEqual({ ok: true, words: ['rollout', '4711'], key: '4711' });
    expect(parseQuery('rollouts 40')).toMatchObject({ key: 'rollouts' });
    expect(parseQuery('0E6F1B2C3D4E')).toEqual({ ok: true, words: ['0e6f1b2c3d4e'], key: '0e6f1b2c3d' });
    // Typed with an umlaut, a word is searched without one, as leads spelled either way are indexed.
    expect(parseQuery('MÜLLER')).toMatchObject({ words: ['mueller'], key: 'mueller' });
    // Characters, not UTF-16 units: a letter outside the BMP is never cut in half.
    const astral = parseQuery('株式会社𠮷野家ホールディングス');
    expect(astral.ok && Array.from(astral.key)).toHaveLength(10);
    // The SDK URI-encodes keys: half a character would throw (URIError) and stall every projection.
    expect(() => astral.ok && encodeURIComponent(astral.key)).not.toThrow();
  });

  it('refuses what cannot be searched, saying why', () => {
    expect(parseQuery('   ')).toEqual({ ok: false, reason: 'empty' });
    expect(parseQuery('?!')).toEqual({ ok: false, reason: 'empty' });
    expect(parseQuery('a b')).toEqual({ ok: false, reason: 'tooShort' });
    expect(parseQuery('x'.repeat(101))).toEqual({ ok: false, reason: 'tooLong' });
  });

  it('a lead answers when each query word starts one of its words', () => {
    const words = wordsOf('Müller Maschinenbau GmbH Azure migration');
    expect(matchesAll(words, ['mueller', 'azu'])).toBe(true);
    expect(matchesAll(words, ['muller', 'masch'])).toBe(true);
    expect(matchesAll(words, ['muller', 'aws'])).toBe(false);
    // Inside a word is not a start.
    expect(matchesAll(words, ['schinen'])).toBe(false);
  });
});
