import { describe, expect, it } from 'vitest';
import { referenceCatalogue } from '../../../src/catalogue/load-catalogue.js';
import { combinedDisclosureScore, disclosureScore, explainScore } from '../../../src/disclosure/static-score.js';
import { resolved } from './definitions.js';

const catalogue = referenceCatalogue();
const score = (fields: [string, string][]) => {
  const { definition } = resolved({ people: ['patient', fields] });
  return disclosureScore(definition.datasets[0]!, definition, catalogue, 8000, 10);
};

describe('the static score', () => {
  it('counts a column shown twice at its most precise, whichever field comes first', () => {
    const a = score([['y', 'year(date_of_birth)'], ['d', 'date_of_birth']]);
    const b = score([['d', 'date_of_birth'], ['y', 'year(date_of_birth)']]);
    expect(explainScore(a)).toBe('date_of_birth (full date, 15.0 bits)');
    expect(a.bits).toBe(b.bits);
    expect(a.identifiers.map((q) => q.field)).toEqual(['d']);
  });

  it('scores a pseudonymised quasi-identifier as what it hashes', () => {
    expect(explainScore(score([['p', "pseudonym(postcode, 'area-key')"]]))).toBe('postcode (full postcode, 11.0 bits)');
    expect(explainScore(score([['p', "pseudonym(year(date_of_birth), 'year-key')"]]))).toBe('date_of_birth (year, 6.5 bits)');
    expect(explainScore(score([['p', "pseudonym(age_band(date_of_birth, 10), 'age-key')"]]))).toBe('date_of_birth (10-year age band, 3.2 bits)');
  });

  it('never scores a linkage key, and scores an unknown derivation as the column itself', () => {
    expect(score([['k', "pseudonym(nhs_number, 'k')"]]).identifiers).toEqual([]);
    expect(explainScore(score([['d', "date_of_birth + interval '1 day'"]]))).toBe('date_of_birth (full date, 15.0 bits)');
    expect(score([['n', 'nhs_number']]).directIdentifiers).toEqual(['n (nhs_number)']);
  });

  it('scores linked datasets on the union of their quasi-identifiers, each with the field that shows it', () => {
    const { definition } = resolved({
      people: ['patient', [['k', "pseudonym(nhs_number, 'k')"], ['m', 'month(date_of_birth)'], ['s', 'sex']]],
      homes: ['patient', [['k', "pseudonym(nhs_number, 'k')"], ['y', 'year(date_of_birth)'], ['h', 'postcode']]],
    });
    const s = combinedDisclosureScore(definition.datasets, definition, catalogue, 8000, 10);
    expect(s.dataset).toBe('people + homes');
    expect(explainScore(s, true)).toBe('people.m: date_of_birth (month, 10.1 bits) + people.s: sex (category, 1.0 bits) + homes.h: postcode (full postcode, 11.0 bits)');
    expect(s.level).toBe('very high');
    expect(s.expectedGroupSize).toBeLessThan(1);
  });
});
