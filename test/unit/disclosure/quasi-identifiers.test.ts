import { describe, expect, it } from 'vitest';
import { referenceCatalogue } from '../../../src/catalogue/load-catalogue.js';
import { identification, isPatientKey, linkageKey, measuredValue, quasiIdentifierFields } from '../../../src/disclosure/quasi-identifiers.js';
import { resolved } from './definitions.js';

const catalogue = referenceCatalogue();

describe('quasi-identifiers and linkage keys: one definition', () => {
  it('knows the patient key under every name', () => {
    expect(isPatientKey(catalogue, { table: 'patient', column: 'patient_id' })).toBe(true);
    expect(isPatientKey(catalogue, { table: 'observation', column: 'patient_id' })).toBe(true);
    expect(isPatientKey(catalogue, { table: 'registration', column: 'patient_id' })).toBe(true);
    expect(isPatientKey(catalogue, { table: 'observation', column: 'observation_id' })).toBe(false);
    expect(isPatientKey(catalogue, { table: 'patient', column: 'nhs_number' })).toBe(false);
  });

  it('a pseudonym of an identifier is a linkage key; of a quasi-identifier, a quasi-identifier', () => {
    const { definition } = resolved({
      people: [
        'patient',
        [
          ['a', "pseudonym(nhs_number, 'My-Key')"],
          ['b', "pseudonym(patient_id, 'my_key')"],
          ['c', "pseudonym(postcode, 'area-key')"],
          ['d', 'year(date_of_birth)'],
          ['e', 'patient_id'],
          ['f', 'sex'],
        ],
      ],
    });
    const [a, b, c, d, e, f] = definition.datasets[0]!.fields;
    expect(linkageKey(catalogue, a!)).toMatchObject({ key: 'EXDEF_KEY_MY_KEY', keyName: 'My-Key', source: 'patient.nhs_number', patient: true });
    expect(linkageKey(catalogue, b!)).toMatchObject({ key: 'EXDEF_KEY_MY_KEY', keyName: 'my_key', source: 'patient', patient: true });
    expect(linkageKey(catalogue, c!)).toBeUndefined();
    expect(linkageKey(catalogue, d!)).toBeUndefined();
    expect(linkageKey(catalogue, e!)).toMatchObject({ source: 'patient', patient: true });
    expect(linkageKey(catalogue, e!)?.key).toBeUndefined();
    expect(quasiIdentifierFields(catalogue, definition.datasets[0]!).map((x) => x.name)).toEqual(['c', 'd', 'f']);
    // Measured on what the pseudonym hashes (no key needed, the same partition).
    expect(measuredValue(c!)).toMatchObject({ kind: 'column', column: 'postcode' });
    expect(measuredValue(f!)).toBe(f!.value);
  });

  it('identification: a direct identifier shown as it is, a linkage key, or neither', () => {
    const { definition } = resolved({
      named: ['patient', [['nhs', 'nhs_number'], ['sex', 'sex']]],
      keyed: ['patient', [['person', "pseudonym(nhs_number, 'k')"], ['sex', 'sex']]],
      raw_key: ['observation', [['patient', 'patient_id'], ['code', 'code']]],
      plain: ['patient', [['sex', 'sex']]],
      computed: ['patient', [['nhs', 'coalesce(nhs_number, given_name)']]],
      decoy: ['patient', [['decoy', "pseudonym(sex, 'k')"], ['born', 'date_of_birth']]],
    });
    // A pseudonym of a quasi-identifier names nobody: the dataset stays de-identified (below k, the run fails).
    expect(definition.datasets.map((d) => identification(catalogue, d))).toEqual(['identified', 'pseudonymised', 'pseudonymised', 'de-identified', 'identified', 'de-identified']);
  });

  it('counts quasi-identifiers read through relations and inside computations', () => {
    const { definition } = resolved({ readings: ['observation', [['born', 'patient.date_of_birth'], ['late', "effective_date > patient.date_of_birth + interval '80 years'"], ['code', 'code']]] });
    expect(quasiIdentifierFields(catalogue, definition.datasets[0]!).map((x) => x.name)).toEqual(['born', 'late']);
  });
});
