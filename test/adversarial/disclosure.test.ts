/**
 * Adversarial corpus, disclosure class: definitions written to get a singling-out combination of
 * quasi-identifiers past the disclosure-risk rule — mostly by splitting it across datasets that the
 * recipient joins again (the mosaic effect), or by hiding a quasi-identifier from the score. Each
 * case asserts the rule and the position (⟦: the dataset whose link completes the combination, or
 * the field that carries a shared key). The clean cases must stay clean: honest linked datasets.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resources } from '../../src/resources.js';
import { base, testRule, variant, INDIRECT_BASE } from '../support/rule-tester.js';

interface Spec {
  /** The dataset's name; ⟦ before it marks the expected finding. */
  name: string;
  from: string;
  /** The dataset's filter, when it has one. */
  where?: string;
  fields: [name: string, value: string][];
}

/** Justifications, one per field name, each saying what that field is for (never the same sentence twice). */
const WHY: Record<string, string> = {
  person_key: 'Joins the rows of one person without revealing who they are',
  born: 'Exact age in days drives the neonatal risk model',
  birth_year: 'Age is the main driver of risk stratification',
  birth_month: 'Age in months drives the paediatric growth model',
  age: 'Age bands are what the planning tables are broken down by',
  sex: 'Prevalence and risk models differ by sex',
  home: 'Locates each household for outreach planning',
  district: 'Locates need by neighbourhood for service planning',
  area_key: 'Groups households without showing the postcode',
  ethnicity: 'Health inequalities are monitored by ethnic group',
  code: 'Identifies the condition recorded',
  month: 'Recency of the record matters; the month is precise enough',
  patient_ref: 'Joins the rows of one patient in the warehouse',
  contact_key: 'Joins the contact records of one person',
  any_sex: 'Sex as recorded, with gaps filled for the models',
};

/** The person key's purpose, said differently in each dataset (the same sentence thrice is a repeated justification). */
const PERSON_WHY: Record<string, string> = {
  sexes: 'Attaches the recorded sex to the right person in the warehouse',
  bridge: 'Carries the person across to the second key for the address join',
  addresses: 'Ties each address to the person it belongs to',
};

function why(field: string, dataset: string): string {
  const text = (field === 'person_key' ? PERSON_WHY[dataset.replaceAll('⟦', '')] : undefined) ?? WHY[field];
  if (!text) throw new Error(`no justification for ${field}`);
  return `${text} (in ${dataset.replaceAll('⟦', '')}).`;
}

/** The shipped indirect-care definition with its datasets replaced (and optionally its mode). */
function definition(datasets: Spec[], mode: 'full' | 'delta' = 'full'): string {
  const yaml = datasets
    .map(
      (d) =>
        `  - name: ${d.name}\n    from: ${d.from}\n${d.where ? `    where: ${JSON.stringify(d.where)}\n` : ''}    fields:\n` +
        d.fields.map(([name, value]) => `      - name: ${name}\n        value: ${value.includes(':') || value.startsWith('⟦') ? JSON.stringify(value).replace(/^"⟦/, '⟦"') : value}\n        justification: ${why(name, d.name)}\n`).join(''),
    )
    .join('\n');
  const text = variant(base.indirect(), /\ndatasets:\n[\s\S]*$/, `\ndatasets:\n${yaml}`);
  return mode === 'delta' ? variant(text, /\nmode: full\n/, '\nmode: delta\n') : text;
}

const key = (k = 'phm-icb-key', of = 'nhs_number'): [string, string] => ['person_key', `pseudonym(${of}, '${k}')`];
const born: [string, string] = ['born', 'date_of_birth'];
/** The month of birth and sex pass alone (about 11 of 24,000 share each); so does a full postcode (about 12). */
const month: [string, string] = ['birth_month', 'month(date_of_birth)'];
const home: [string, string] = ['home', 'postcode'];
const sex: [string, string] = ['sex', 'sex'];
const SINGLES_OUT = /^datasets .* are linked \(.*\) and, joined, single people out: .* bits, so about 0\.\d+ of 24,000 patients share each combination$/;
/** Datasets that carry no key but give the same rows in the same order (the table's key). */
const ROW_ORDER = (table: string, names: string, filter = 'no filter') => new RegExp(`^datasets .* are linked \\(rows in the same order: the same ${table} rows \\(${filter}\\) in ${names}\\) and, joined, single people out: .* so about 0\\.\\d+ of 24,000 patients share each combination$`);
const ethnicity: [string, string] = ['ethnicity', 'ethnicity_code'];
const district: [string, string] = ['district', 'postcode_district(postcode)'];

/** The shipped warehouse in the exdef syntax with its datasets replaced by `datasets`. */
const exdef = (datasets: string) => variant(readFileSync(INDIRECT_BASE.exdef, 'utf8'), /\nDATASET people AS[\s\S]*$/, `\n${datasets}`);

const SMALL = /^datasets .* are linked \(.*\) and, joined, leave small groups: .* below the threshold of 10$/;

// Quasi-identifiers that a full date, a full postcode and sex make: the generalise rule warns on the
// full values (a warning), so it is not an error of another rule.
testRule('disclosure-risk', {
  valid: [
    { name: 'the shipped warehouse: people linked to observations that show no quasi-identifier', text: base.indirect() },
    {
      name: 'linked datasets whose joined quasi-identifiers still leave large groups (year, sex | district)',
      text: definition([
        { name: 'people', from: 'patient', fields: [key(), ['birth_year', 'year(date_of_birth)'], sex] },
        { name: 'areas', from: 'patient', fields: [key(), ['district', 'postcode_district(postcode)']] },
      ]),
    },
    {
      name: 'datasets with different pseudonym keys are not joined (month and sex | district)',
      text: definition([
        { name: 'people', from: 'patient', fields: [key('people-key'), ['birth_month', 'month(date_of_birth)'], sex] },
        { name: 'areas', from: 'registration', fields: [key('areas-key', 'patient.nhs_number'), ['district', 'postcode_district(patient.postcode)']] },
      ]),
    },
    {
      name: 'datasets without a pseudonym whose different filters select different rows do not line up (month and sex | district)',
      text: definition([
        { name: 'people', from: 'patient', where: 'year(date_of_birth) < 1970', fields: [['birth_month', 'month(date_of_birth)'], sex] },
        { name: 'areas', from: 'patient', where: 'year(date_of_birth) >= 1970', fields: [['district', 'postcode_district(postcode)']] },
      ]),
    },
    {
      name: 'one dataset of patient rows without a key: nothing to line its rows up with',
      text: definition([{ name: 'people', from: 'patient', fields: [month, sex] }]),
    },
    {
      name: 'datasets of different tables without a key: their rows do not correspond (month and sex | codes)',
      text: definition([
        { name: 'people', from: 'patient', fields: [month, sex] },
        { name: 'conditions', from: 'observation', fields: [['code', 'code'], ['month', 'month(effective_date)']] },
      ]),
    },
    {
      name: 'a pseudonym of the patient in observations is a linkage key, not a quasi-identifier',
      text: definition([
        { name: 'people', from: 'patient', fields: [key(), ['age', 'age_band(date_of_birth, 10)'], sex] },
        { name: 'conditions', from: 'observation', fields: [key('phm-icb-key', 'patient.nhs_number'), ['code', 'code'], ['month', 'month(effective_date)']] },
      ]),
    },
    {
      name: 'delta mode: record ids of different tables do not join datasets (month and sex | postcode of readings)',
      text: definition(
        [
          { name: 'people', from: 'patient', fields: [month, sex] },
          { name: 'readings', from: 'observation', fields: [['home', 'patient.postcode'], ['code', 'code']] },
        ],
        'delta',
      ),
    },
  ],
  invalid: [
    {
      name: 'row order: two datasets of the patient table with no key and no filter, written in the same order (bypass 04)',
      text: definition([
        { name: 'people', from: 'patient', fields: [month, sex] },
        { name: '⟦origins', from: 'patient', fields: [district, ethnicity] },
      ]),
      findings: [{ message: ROW_ORDER('patient', 'people, origins') }],
    },
    {
      name: 'row order: the same filter on both datasets, written with other spacing and parentheses',
      text: definition([
        { name: 'people', from: 'patient', where: 'year(date_of_birth) < 1970', fields: [month, sex] },
        { name: '⟦origins', from: 'patient', where: '(year( date_of_birth )<1970)', fields: [district, ethnicity] },
      ]),
      findings: [{ message: ROW_ORDER('patient', 'people, origins', 'the same filter') }],
    },
    {
      name: 'row order: three keyless datasets of the patient table, one quasi-identifier or two each',
      text: definition([
        { name: 'births', from: 'patient', fields: [month] },
        { name: 'sexes', from: 'patient', fields: [sex] },
        { name: '⟦origins', from: 'patient', fields: [district, ethnicity] },
      ]),
      findings: [{ message: /^datasets `births` \+ `sexes` \+ `origins` are linked \(rows in the same order: the same patient rows \(no filter\) in births, sexes, origins\) and, joined, single people out/ }],
    },
    {
      name: 'row order: two keyless datasets of observations with the same filter, quasi-identifiers through the patient relation',
      text: definition([
        { name: 'conditions', from: 'observation', where: 'effective_date >= 2020-01-01', fields: [['code', 'code'], ['birth_month', 'month(patient.date_of_birth)'], ['sex', 'patient.sex']] },
        { name: '⟦readings', from: 'observation', where: 'effective_date >= 2020-01-01', fields: [['home', 'patient.postcode']] },
      ]),
      findings: [{ message: ROW_ORDER('observation', 'conditions, readings', 'the same filter') }],
    },
    {
      name: 'row order in the exdef syntax: two keyless SELECTs FROM patient',
      syntax: 'exdef',
      text: exdef(
        "DATASET births AS\nSELECT\n  month(date_of_birth) AS birth_month\n    JUSTIFY 'Age in months drives the childhood schedule of risk models.',\n  sex\n    JUSTIFY 'Prevalence and risk models differ by sex.'\nFROM patient;\n\n" +
          "DATASET ⟦places AS\nSELECT\n  postcode_district(postcode) AS postcode_district\n    JUSTIFY 'Locates need by neighbourhood for service planning.',\n  ethnicity_code AS ethnic_group\n    JUSTIFY 'Health inequalities monitoring across ethnic groups in each district.'\nFROM patient;\n",
      ),
      findings: [{ message: ROW_ORDER('patient', 'births, places') }],
    },
    {
      name: 'month of birth, postcode and sex split over two datasets linked by one pseudonym',
      text: definition([
        { name: 'people', from: 'patient', fields: [key(), month, sex] },
        { name: '⟦addresses', from: 'patient', fields: [key(), home] },
      ]),
      findings: [{ message: /^datasets `people` \+ `addresses` are linked \(a pseudonym of patient\.nhs_number keyed 'phm-icb-key' in people, addresses\) and, joined, single people out: people\.birth_month: date_of_birth \(month, 10\.1 bits\) \+ people\.sex: sex \(category, 1\.0 bits\) \+ addresses\.home: postcode \(full postcode, 11\.0 bits\) = 22\.1 bits/ }],
      alsoTriggers: [],
    },
    {
      name: 'one quasi-identifier per dataset, three datasets, one key', alsoTriggers: ['justification-not-repeated'],
      text: definition([
        { name: 'births', from: 'patient', fields: [key(), month] },
        { name: 'homes', from: 'patient', fields: [key(), home] },
        { name: '⟦sexes', from: 'patient', fields: [key(), sex] },
      ]),
      findings: [{ message: /^datasets `births` \+ `homes` \+ `sexes` are linked .* single people out/ }],
    },
    {
      name: 'the postcode moved to an observation dataset that carries the person pseudonym through its relation',
      text: definition([
        { name: 'people', from: 'patient', fields: [key(), month, sex] },
        { name: '⟦conditions', from: 'observation', fields: [key('phm-icb-key', 'patient.nhs_number'), ['code', 'code'], ['home', 'patient.postcode']] },
      ]),
      findings: [{ message: SINGLES_OUT }],
    },
    {
      name: 'the same key spelt with other case and separators (the run reads both from EXDEF_KEY_PHM_ICB_KEY)',
      text: definition([
        { name: 'people', from: 'patient', fields: [key('phm-icb-key'), month, sex] },
        { name: '⟦addresses', from: 'patient', fields: [key('PHM_ICB_KEY'), home] },
      ]),
      findings: [{ message: SINGLES_OUT }],
    },
    {
      name: 'a pseudonym of the patient key in one dataset and of the foreign key in the other (the same values)',
      text: definition([
        { name: 'people', from: 'patient', fields: [key('phm-icb-key', 'patient_id'), month, sex] },
        { name: '⟦readings', from: 'observation', fields: [key('phm-icb-key', 'patient_id'), ['home', 'patient.postcode']] },
      ]),
      findings: [{ message: /a pseudonym of patient keyed 'phm-icb-key' in people, readings\) and, joined, single people out/ }],
    },
    {
      name: 'linked through delta record ids: two datasets of the patient table, no pseudonym at all',
      text: definition(
        [
          { name: 'people', from: 'patient', fields: [month, sex] },
          { name: '⟦addresses', from: 'patient', fields: [home] },
        ],
        'delta',
      ),
      findings: [{ message: /linked \(record ids of patient rows in people, addresses\) and, joined, single people out/ }],
    },
    {
      name: 'a chain: the middle dataset carries both keys and no quasi-identifier', alsoTriggers: ['justification-not-repeated'],
      text: definition([
        { name: 'people', from: 'patient', fields: [key('key-one'), month, sex] },
        { name: 'bridge', from: 'patient', fields: [key('key-one'), ['patient_ref', "pseudonym(nhs_number, 'key-two')"]] },
        { name: '⟦addresses', from: 'patient', fields: [key('key-two'), home] },
      ]),
      findings: [{ message: /^datasets `people` \+ `addresses` are linked \(.*key-one.*; .*key-two.*\) and, joined, single people out/ }],
    },
    {
      name: 'the pseudonym computed differently in the two datasets (lower() of a number is the number)',
      text: definition([
        { name: 'people', from: 'patient', fields: [key(), month, sex] },
        { name: '⟦addresses', from: 'patient', fields: [['person_key', "pseudonym(lower(nhs_number), 'phm-icb-key')"], home] },
      ]),
      findings: [{ message: SINGLES_OUT }],
    },
    {
      name: 'both datasets of observations, quasi-identifiers reached through the patient relation',
      text: definition([
        { name: 'conditions', from: 'observation', fields: [key('phm-icb-key', 'patient.nhs_number'), ['code', 'code'], ['birth_month', 'month(patient.date_of_birth)'], ['sex', 'patient.sex']] },
        { name: '⟦readings', from: 'observation', fields: [key('phm-icb-key', 'patient.nhs_number'), ['home', 'patient.postcode']] },
      ]),
      findings: [{ message: SINGLES_OUT }],
    },
    {
      name: 'a registrations dataset linked to people by the pseudonym through its patient relation',
      text: definition([
        { name: 'people', from: 'patient', fields: [key(), month, sex] },
        { name: '⟦moves', from: 'registration', fields: [key('phm-icb-key', 'patient.nhs_number'), ['home', 'patient.postcode']] },
      ]),
      findings: [{ message: SINGLES_OUT }],
    },
    {
      name: 'modest generalisations that only join into small groups (month and sex | district)',
      text: definition([
        { name: 'people', from: 'patient', fields: [key(), month, sex] },
        { name: '⟦areas', from: 'patient', fields: [key(), ['district', 'postcode_district(postcode)']] },
      ]),
      findings: [{ severity: 'warning', message: SMALL }],
    },
    {
      name: 'linked by the raw patient key instead of a pseudonym',
      text: definition([
        { name: 'people', from: 'patient', fields: [['patient_ref', 'patient_id'], month, sex] },
        { name: '⟦readings', from: 'observation', fields: [['patient_ref', 'patient_id'], ['home', 'patient.postcode']] },
      ]),
      // The raw key is itself refused where record keys must be pseudonymised (another rule).
      alsoTriggers: ['record-keys-pseudonymised'],
      findings: [{ message: /linked \(the raw patient key in people, readings\) and, joined, single people out/ }],
    },
    {
      name: 'delta mode: two observation datasets joined by the record ids of the same rows',
      text: definition(
        [
          { name: 'conditions', from: 'observation', fields: [['code', 'code'], ['birth_month', 'month(patient.date_of_birth)'], ['sex', 'patient.sex']] },
          { name: '⟦readings', from: 'observation', fields: [['home', 'patient.postcode']] },
        ],
        'delta',
      ),
      findings: [{ message: /linked \(record ids of observation rows in conditions, readings\) and, joined, single people out/ }],
    },
    {
      name: 'ethnicity and district moved to a second linked dataset',
      text: definition([
        { name: 'people', from: 'patient', fields: [key(), month, sex] },
        { name: '⟦origins', from: 'patient', fields: [key(), ['ethnicity', 'ethnicity_code'], ['district', 'postcode_district(postcode)']] },
      ]),
      findings: [{ message: /people\.birth_month: .* \+ origins\.ethnicity: ethnicity_code \(category, 2\.0 bits\) \+ origins\.district: postcode \(postcode district, 2\.3 bits\) = 15\.4 bits, so about 0\.5\d of 24,000/ }],
    },
    {
      name: 'sex disguised by coalesce() beside the postcode: small groups alone, singling out when joined',
      text: definition([
        { name: 'people', from: 'patient', fields: [key(), month] },
        { name: '⟦⟦addresses', from: 'patient', fields: [key(), ['any_sex', "coalesce(sex, 'unknown')"], home] },
      ]),
      findings: [{ severity: 'warning', message: /^dataset `addresses` leaves small groups: sex \(category, 1\.0 bits\) \+ postcode/ }, { message: SINGLES_OUT }],
    },
    {
      name: 'a pseudonym of the email address: not unique (a household shares one), so a quasi-identifier in each dataset, not a linkage key (the rows still line up)',
      text: definition([
        { name: '⟦people', from: 'patient', fields: [['contact_key', "pseudonym(email, 'contact-key')"], month, sex] },
        { name: '⟦⟦addresses', from: 'patient', fields: [['contact_key', "pseudonym(email, 'contact-key')"], home] },
      ]),
      findings: [
        { message: /^dataset `people` singles people out: email \(name or contact detail, 12\.0 bits\) \+ date_of_birth \(month, 10\.1 bits\)/ },
        { message: /^dataset `addresses` singles people out: email \(name or contact detail, 12\.0 bits\) \+ postcode/ },
        { message: /^datasets `people` \+ `addresses` are linked \(rows in the same order: the same patient rows \(no filter\) in people, addresses\)/ },
      ],
    },
    {
      name: 'row order: pseudonyms under different keys do not stop rows of one table lining up (month and sex | district)',
      text: definition([
        { name: 'people', from: 'patient', fields: [key('people-key'), month, sex] },
        { name: '⟦areas', from: 'patient', fields: [key('areas-key'), district] },
      ]),
      findings: [{ severity: 'warning', message: /^datasets `people` \+ `areas` are linked \(rows in the same order: the same patient rows \(no filter\) in people, areas\) and, joined, leave small groups/ }],
    },
    {
      name: 'a postcode hidden in a pseudonym: it splits people exactly as the postcode does',
      text: definition([{ name: '⟦people', from: 'patient', fields: [key(), born, sex, ['area_key', "pseudonym(postcode, 'area-key')"]] }]),
      findings: [{ message: /^dataset `people` singles people out: date_of_birth \(full date, 15\.0 bits\) \+ sex \(category, 1\.0 bits\) \+ postcode \(full postcode, 11\.0 bits\) = 27\.0 bits/ }],
    },
    {
      name: 'the full date of birth after its year: the column counts at its most precise, whichever comes first',
      text: definition([{ name: '⟦people', from: 'patient', fields: [key(), ['birth_year', 'year(date_of_birth)'], born, sex, ['district', 'postcode_district(postcode)']] }]),
      findings: [{ message: /^dataset `people` singles people out: date_of_birth \(full date, 15\.0 bits\) \+ sex .* = 18\.3 bits/ }],
    },
    {
      name: 'a pseudonym of a generalised value still scores what it hashes (the year), linked with the rest',
      text: definition([
        { name: 'people', from: 'patient', fields: [key(), ['birth_year', "pseudonym(year(date_of_birth), 'year-key')"], sex] },
        { name: '⟦addresses', from: 'patient', fields: [key(), home] },
      ]),
      findings: [{ message: /people\.birth_year: date_of_birth \(year, 6\.5 bits\) \+ people\.sex: sex \(category, 1\.0 bits\) \+ addresses\.home: postcode \(full postcode, 11\.0 bits\) = 18\.5 bits/ }],
    },
    {
      name: 'one key over the NHS number in one dataset and the patient key in another',
      text: definition([
        { name: 'people', from: 'patient', fields: [key(), ['birth_year', 'year(date_of_birth)']] },
        { name: 'conditions', from: 'observation', fields: [['person_key', "⟦pseudonym(patient_id, 'phm-icb-key')"], ['code', 'code']] },
      ]),
      findings: [{ severity: 'warning', message: /^the pseudonym key 'phm-icb-key' is used over patient here and over patient\.nhs_number in dataset `people`/ }],
    },
  ],
});
