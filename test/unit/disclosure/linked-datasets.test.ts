import { describe, expect, it } from 'vitest';
import { referenceCatalogue } from '../../../src/catalogue/load-catalogue.js';
import { linkedGroups, measuredMembers, sharedKeys } from '../../../src/disclosure/linked-datasets.js';
import { compileText } from '../../support/compile.js';
import { resolved, withDatasets } from './definitions.js';

const catalogue = referenceCatalogue();
const names = (groups: ReturnType<typeof linkedGroups>) => groups.map((g) => g.datasets.map((d) => d.name));

describe('linked datasets (the mosaic effect)', () => {
  it('links datasets by the same key over the same source, the key compared as the run finds it', () => {
    const { definition } = resolved({
      a: ['patient', [['k', "pseudonym(nhs_number, 'shared-key')"], ['s', 'sex']]],
      b: ['observation', [['k', "pseudonym(patient.nhs_number, 'SHARED_KEY')"], ['c', 'code']]],
      // Of other tables than a (whose rows would line up with its rows).
      c: ['registration', [['k', "pseudonym(patient.nhs_number, 'other-key')"], ['s', 'patient.sex']]],
      d: ['consultation', [['s', 'patient.sex']]],
    });
    const groups = linkedGroups(definition, catalogue);
    expect(names(groups)).toEqual([['a', 'b']]);
    expect(groups[0]!.links).toEqual([{ description: "a pseudonym of patient.nhs_number keyed 'shared-key' in a, b", patient: true }]);
    // b shows no quasi-identifier: nothing to combine.
    expect(measuredMembers(catalogue, groups[0]!).map((d) => d.name)).toEqual(['a']);
  });

  it('is transitive, and links by the patient key under any name and by the raw key', () => {
    const { definition } = resolved({
      a: ['patient', [['k1', "pseudonym(nhs_number, 'k1')"], ['s', 'sex']]],
      bridge: ['patient', [['k1', "pseudonym(nhs_number, 'k1')"], ['k2', "pseudonym(patient_id, 'k2')"]]],
      c: ['observation', [['k2', "pseudonym(patient_id, 'k2')"], ['y', 'year(patient.date_of_birth)']]],
      raw1: ['referral', [['p', 'patient_id'], ['c', 'code']]],
      raw2: ['referral', [['p', 'patient_id'], ['c', 'code']]],
    });
    expect(names(linkedGroups(definition, catalogue))).toEqual([['a', 'bridge', 'c'], ['raw1', 'raw2']]);
  });

  it('links datasets by a pseudonym of a record key (the run joins them on the patient it determines), and not by pseudonyms of names or quasi-identifiers', () => {
    const { definition } = resolved({
      visits: ['consultation', [['v', "pseudonym(consultation_id, 'visit-key')"], ['s', 'patient.sex']]],
      findings: ['observation', [['v', "pseudonym(consultation_id, 'visit-key')"], ['y', 'year(patient.date_of_birth)']]],
      names1: ['patient', [['n', "pseudonym(family_name, 'name-key')"], ['s', 'sex']]],
      names2: ['registration', [['n', "pseudonym(patient.family_name, 'name-key')"], ['y', 'year(patient.date_of_birth)']]],
    });
    const groups = linkedGroups(definition, catalogue, { patientLinksOnly: true });
    expect(names(groups)).toEqual([['visits', 'findings']]);
    expect(groups[0]!.links).toEqual([{ description: "a pseudonym of consultation.consultation_id keyed 'visit-key' in visits, findings", patient: true }]);
    expect(measuredMembers(catalogue, groups[0]!).map((d) => d.name)).toEqual(['visits', 'findings']);
  });

  it('links datasets of one table by their record ids in delta mode, by the order of their rows in full mode', () => {
    const datasets = { a: ['patient', [['s', 'sex']]], b: ['patient', [['y', 'year(date_of_birth)']]], c: ['observation', [['x', 'code']]] } as const;
    const copy = JSON.parse(JSON.stringify(datasets));
    const full = linkedGroups(resolved(copy).definition, catalogue);
    expect(names(full)).toEqual([['a', 'b']]);
    expect(full[0]!.links).toEqual([{ description: 'rows in the same order: the same patient rows (no filter) in a, b', patient: true, rowOrder: true }]);
    const delta = resolved(copy, { mode: 'delta' }).definition;
    expect(names(linkedGroups(delta, catalogue))).toEqual([['a', 'b']]);
    expect(linkedGroups(delta, catalogue)[0]!.links[0]!.description).toBe('record ids of patient rows in a, b');
  });

  it('links datasets of one table with the same filter by the order of their rows, compared structurally, and names it only where no key links them', () => {
    const withWhere = (text: string, dataset: string, where: string) => text.replace(`  - name: ${dataset}\n    from: `, `  - name: ${dataset}\n    where: ${JSON.stringify(where)}\n    from: `);
    let text = withDatasets({
      old1: ['patient', [['m', 'month(date_of_birth)'], ['s', 'sex']]],
      old2: ['patient', [['d', 'postcode_district(postcode)']]],
      young: ['patient', [['e', 'ethnicity_code']]],
      obs1: ['observation', [['c', 'code'], ['s', 'patient.sex']]],
      obs2: ['observation', [['y', 'year(patient.date_of_birth)']]],
      keyed1: ['consultation', [['k', "pseudonym(patient.nhs_number, 'k')"], ['s', 'patient.sex']]],
      keyed2: ['consultation', [['k', "pseudonym(patient.nhs_number, 'k')"], ['y', 'year(patient.date_of_birth)']]],
    });
    text = withWhere(text, 'old1', 'year(date_of_birth) < 1970');
    text = withWhere(text, 'old2', '(year( date_of_birth )<1970)');
    text = withWhere(text, 'young', 'year(date_of_birth) >= 1970');
    text = withWhere(text, 'obs1', "code in (<< 73211009)");
    text = withWhere(text, 'obs2', "code in (<< 38341003)");
    const { definition } = compileText(text);
    const groups = linkedGroups(definition, catalogue);
    // young selects other rows, obs1 and obs2 other codes: their rows do not correspond.
    expect(names(groups)).toEqual([['old1', 'old2'], ['keyed1', 'keyed2']]);
    expect(groups[0]!.links).toEqual([{ description: 'rows in the same order: the same patient rows (the same filter) in old1, old2', patient: true, rowOrder: true }]);
    // keyed1 and keyed2 also give the same rows in the same order, but the pseudonym already joins them.
    expect(groups[1]!.links).toEqual([{ description: "a pseudonym of patient.nhs_number keyed 'k' in keyed1, keyed2", patient: true }]);
    expect(names(linkedGroups(definition, catalogue, { patientLinksOnly: true }))).toEqual([['old1', 'old2'], ['keyed1', 'keyed2']]);
  });

  it('reports one key over different identifiers at its later use', () => {
    const { definition } = resolved({
      a: ['patient', [['k', "pseudonym(nhs_number, 'the-key')"]]],
      b: ['observation', [['c', 'code'], ['k', "pseudonym(patient_id, 'The_Key')"]]],
      c: ['observation', [['k', "pseudonym(patient.nhs_number, 'the-key')"]]],
    });
    expect(sharedKeys(definition, catalogue)).toEqual([{ keyName: 'The_Key', first: { dataset: 'a', source: 'patient.nhs_number' }, dataset: 1, field: 1, source: 'patient' }]);
  });
});
