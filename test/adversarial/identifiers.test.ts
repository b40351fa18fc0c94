/**
 * Adversarial corpus, identifiers (issue 11, item 7): definitions written to get identifiers out
 * past the policy — in filters, through relations and exists(), as internal record keys, beside
 * their own pseudonym, hidden in arithmetic, or as the date of death of a population that excludes
 * the deceased. Each case asserts the rule and the position; the clean ones must stay clean.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resources } from '../../src/resources.js';
import { base, testRule, variant, INDIRECT_BASE } from '../support/rule-tester.js';

const phm = base.indirect();
const chis = base.direct();
const phmText = readFileSync(INDIRECT_BASE.exdef, 'utf8');

/** phm-warehouse with one more field in `people` (from patient). */
const peopleField = (value: string, name = 'extra', justification = 'Checks the attack is refused at lint time.') =>
  variant(
    phm,
    '        justification: Locates need by neighbourhood for service planning.\n',
    `        justification: Locates need by neighbourhood for service planning.\n      - name: ${name}\n        value: ${value}\n        justification: ${justification}\n`,
  );
/** phm-warehouse with one more field in `long_term_conditions` (from observation). */
const conditionField = (value: string, name = 'extra') =>
  variant(phm, '        justification: Identifies the long-term condition.\n', `        justification: Identifies the long-term condition.\n      - name: ${name}\n        value: ${value}\n        justification: Checks the attack is refused at lint time.\n`);
/** phm-warehouse with a filter on `people`. */
const peopleWhere = (where: string) => variant(phm, '  - name: people\n    from: patient\n', `  - name: people\n    from: patient\n    where: ${where}\n`);
/** phm-warehouse with a population filter. */
const populationWhere = (where: string) => variant(phm, '  practices: [A81001, A81002, A81003]\n', `  practices: [A81001, A81002, A81003]\n  where: ${where}\n`);
/** phm-warehouse with the blood pressure filter replaced. */
const readingsWhere = (where: string) =>
  variant(phm, "    where: code in << 75367002 |Blood pressure| and effective_date >= today() - interval '2 years'\n", `    where: ${where}\n`);
/** chis-immunisations (direct care) with one more field in `children`. */
const childField = (value: string, name = 'extra') =>
  variant(chis, /(  - name: children\n(?:.*\n)*?    fields:\n)/, (m) => `${m}      - name: ${name}\n        value: ${value}\n        justification: Checks the attack is refused at lint time.\n`);
/** phm-warehouse in the exdef syntax, with `from` replaced by `to`. */
const exdef = (from: string | RegExp, to: string) => ({ syntax: 'exdef' as const, text: variant(phmText, from, to) });

testRule('direct-identifiers-need-basis', {
  valid: [
    { name: 'clean: pseudonymised NHS number alone', text: phm },
    { name: 'clean: direct care with NHS number, names and address', text: base.recall() },
    { name: 'clean: direct care filters on the NHS number', text: variant(base.recall(), '    where: |-\n', '    where: |-\n      nhs_number is not null and\n') },
    { name: 'clean: a clinical filter in indirect care', text: peopleWhere('exists(observations where code in << 73211009)') },
  ],
  invalid: [
    { name: 'singling out one patient by NHS number in a dataset filter', text: peopleWhere("⟦nhs_number = '9434765919'"), findings: [{ message: /^the filter of dataset `people` reads `nhs_number`, a direct identifier/ }] },
    { name: 'NHS number in the population filter', text: populationWhere('⟦nhs_number is not null'), findings: [{ message: /^the filter of the population reads `nhs_number`/ }] },
    { name: 'a name in lower case inside exists', text: readingsWhere("exists(patient.observations where ⟦patient.given_name = 'Ann')"), findings: [{ message: /reads `patient.observations.patient.given_name`|reads `.*given_name`/ }] },
    { name: 'lower(given_name) inside exists in the population', text: populationWhere("exists(observations where lower(⟦patient.given_name) = 'x')"), findings: [{ message: /given_name/ }] },
    { name: 'a name through a relation in an observation filter', text: readingsWhere("lower(⟦patient.family_name) in ('smith', 'jones')"), findings: [{ message: /`patient.family_name`/ }] },
    { name: 'a phone number range in a filter', text: peopleWhere("⟦phone between '07700900000' and '07700900009'"), findings: [{ message: /`phone`/ }] },
    { name: 'an email domain in a filter', text: peopleWhere("⟦email is not null and sex = 'female'"), findings: [{ message: /`email`/ }] },
    { name: 'two identifiers in one filter', text: peopleWhere("⟦given_name = 'Ann' and ⟦family_name = 'Example'"), findings: [{ message: /given_name/ }, { message: /family_name/ }] },
    { name: 'the pseudonym of one patient in a filter', text: peopleWhere("pseudonym(⟦nhs_number, 'phm-icb-key') = 'ab12'"), findings: [{ message: /`nhs_number`/ }] },
    { name: 'lower(given_name) as a field', text: peopleField('⟦lower(given_name)'), findings: [{ message: /`people.extra` exposes `given_name`/ }] },
    { name: 'coalesce of the NHS number', alsoTriggers: ['no-pseudonym-beside-raw'], text: peopleField("⟦coalesce(nhs_number, 'unknown')"), findings: [{ message: /`nhs_number`/ }] },
    { name: 'postcode_district() of an NHS number changes nothing', alsoTriggers: ['no-pseudonym-beside-raw'], text: peopleField('⟦postcode_district(nhs_number)'), findings: [{ message: /`nhs_number`/ }] },
    { name: 'a boolean that singles one patient out', alsoTriggers: ['no-pseudonym-beside-raw'], text: peopleField("⟦nhs_number = '9434765919'"), findings: [{ message: /`nhs_number`/ }] },
    { name: 'the address line through a relation', text: conditionField('⟦upper(patient.address_line)'), findings: [{ message: /`patient.address_line`/ }] },
    { name: 'exdef syntax: NHS number in the WHERE of a dataset', ...exdef('  postcode_district(postcode) AS postcode_district\n    JUSTIFY \'Locates need by neighbourhood for service planning.\'\nFROM patient;', "  postcode_district(postcode) AS postcode_district\n    JUSTIFY 'Locates need by neighbourhood for service planning.'\nFROM patient\nWHERE ⟦nhs_number = '9434765919';"), findings: [{ message: /`nhs_number`/ }] },
  ],
});

testRule('record-keys-pseudonymised', {
  valid: [
    { name: 'clean: no record keys', text: phm },
    { name: 'clean: a pseudonymised patient key', text: variant(phm, "value: pseudonym(nhs_number, 'phm-icb-key')", "value: pseudonym(patient_id, 'phm-icb-key')") },
    { name: 'clean: a record key tested for null, not compared', text: readingsWhere('code in << 75367002 and consultation_id is null') },
    { name: 'clean: record keys in direct care', text: childField('patient_id') },
  ],
  invalid: [
    { name: 'patient_id as a field in indirect care', text: peopleField('⟦patient_id'), findings: [{ message: /^`people.extra` exposes the record key `patient_id`/ }] },
    { name: 'observation_id raw', text: conditionField('⟦observation_id'), findings: [{ message: /`observation_id`/ }] },
    { name: 'patient.patient_id through a relation', text: conditionField('⟦patient.patient_id'), findings: [{ message: /`patient.patient_id`/ }] },
    { name: 'a reference to another record', text: conditionField('⟦consultation_id'), findings: [{ message: /`consultation_id`/ }] },
    { name: 'a record key hidden in arithmetic', text: peopleField('⟦patient_id + 0'), findings: [{ message: /`patient_id`/ }] },
    { name: 'a record key hidden in coalesce', text: conditionField('⟦coalesce(consultation_id, 0)'), findings: [{ message: /`consultation_id`/ }] },
    { name: 'a key two relations away', text: conditionField('⟦consultation.consultation_id'), findings: [{ message: /`consultation.consultation_id`/ }] },
    { name: 'one patient picked out by key', text: peopleWhere('⟦patient_id = 1042'), findings: [{ message: /^the filter of dataset `people` compares the record key `patient_id`/ }] },
    { name: 'a key compared with a constant disguised as a column expression', text: peopleWhere('⟦patient_id = 1042 + 0 * year(date_of_birth)'), findings: [{ message: /`patient_id`/ }] },
    { name: 'records picked out by a list of keys', text: readingsWhere('⟦observation_id in (1, 2, 3)'), findings: [{ message: /`observation_id`/ }] },
    { name: 'a range of keys in the population', text: populationWhere('⟦patient_id between 1000 and 1001'), findings: [{ message: /the population.*`patient_id`/ }] },
    { name: 'a pseudonymised key compared with a constant', text: peopleWhere("pseudonym(⟦patient_id, 'phm-icb-key') = 'ab12'"), findings: [{ message: /`patient_id`/ }] },
    { name: 'exdef syntax: patient_id in the SELECT list', ...exdef("  sex\n    JUSTIFY 'Prevalence and risk models differ by sex.',", "  sex\n    JUSTIFY 'Prevalence and risk models differ by sex.',\n  ⟦patient_id AS patient_key\n    JUSTIFY 'Checks the attack is refused at lint time.',"), findings: [{ message: /`patient_id`/ }] },
  ],
});

testRule('no-pseudonym-beside-raw', {
  valid: [
    { name: 'clean: the pseudonym alone, in every dataset', text: phm },
    { name: 'clean: the NHS number alone in direct care', text: chis },
    { name: 'clean: pseudonyms of two different columns', text: variant(phm, "value: pseudonym(patient.nhs_number, 'phm-icb-key')\n        justification: Links each reading", "value: pseudonym(patient.patient_id, 'phm-icb-key')\n        justification: Links each reading") },
  ],
  invalid: [
    {
      name: 'the pseudonym beside the NHS number, same dataset (and so beside the other dataset too)',
      text: childField("pseudonym(nhs_number, 'chis-key')", 'person_key')
        .replace('      - name: nhs_number\n        value: nhs_number', '      - name: nhs_number\n        value: ⟦nhs_number')
        .replace('value: patient.nhs_number', 'value: ⟦patient.nhs_number'),
      findings: [{ message: /^`children.nhs_number` gives `nhs_number` as it is, and `children.person_key` gives its pseudonym/ }, {}],
    },
    {
      name: 'the pseudonym in one dataset, the raw value through a relation in another',
      text: variant(chis, '      - name: nhs_number\n        value: nhs_number', "      - name: person_key\n        value: pseudonym(nhs_number, 'chis-key')").replace('value: patient.nhs_number', 'value: ⟦patient.nhs_number'),
      findings: [{ message: /^`immunisations.nhs_number` gives `patient.nhs_number` as it is, and `children.person_key` gives its pseudonym/ }],
    },
    { name: 'lower() of the raw value beside its pseudonym', text: childField("pseudonym(nhs_number, 'chis-key')", 'person_key').replace('      - name: nhs_number\n        value: nhs_number', '      - name: nhs_number\n        value: ⟦lower(nhs_number)').replace('value: patient.nhs_number', 'value: ⟦patient.nhs_number'), findings: [{}, {}] },
    {
      name: 'pseudonym(patient_id) beside patient_id in indirect care',
      text: variant(peopleField('⟦patient_id', 'patient_key'), "value: pseudonym(patient.nhs_number, 'phm-icb-key')\n        justification: Links each reading", "value: pseudonym(patient.patient_id, 'phm-icb-key')\n        justification: Links each reading"),
      alsoTriggers: ['record-keys-pseudonymised'],
      findings: [{ message: /`patient_id`/ }],
    },
    { name: 'the raw NHS number beside the warehouse pseudonym', text: peopleField('⟦nhs_number', 'nhs'), alsoTriggers: ['direct-identifiers-need-basis'], findings: [{ message: /`people.nhs` gives `nhs_number`/ }] },
  ],
});

testRule('generalise-quasi-identifiers', {
  valid: [
    { name: 'clean: age band', text: variant(phm, 'value: year(date_of_birth)', 'value: age_band(date_of_birth, 10)') },
    { name: 'clean: year of birth', text: phm },
    { name: 'clean: year of birth times one stays a year', text: variant(phm, 'value: year(date_of_birth)', 'value: year(date_of_birth) * 1') },
    { name: 'clean: a generalised value in coalesce', text: variant(phm, 'value: year(date_of_birth)', 'value: coalesce(year(date_of_birth), 0)') },
    { name: 'clean: postcode district of the upper-cased postcode', text: variant(phm, 'value: postcode_district(postcode)', 'value: postcode_district(upper(postcode))') },
    { name: 'clean: a birth date range in a filter', text: peopleWhere("date_of_birth < 2000-01-01") },
    { name: 'clean: a postcode district in a filter', text: peopleWhere("postcode_district(postcode) = 'LS1'") },
  ],
  invalid: [
    { name: 'date of birth plus one', text: variant(phm, 'value: year(date_of_birth)', 'value: ⟦date_of_birth + 1'), alsoTriggers: ['disclosure-risk'], findings: [{ severity: 'warning', message: /full date_of_birth/ }] },
    { name: 'date of birth minus nothing', text: variant(phm, 'value: year(date_of_birth)', 'value: ⟦date_of_birth - 0'), alsoTriggers: ['disclosure-risk'], findings: [{ severity: 'warning' }] },
    {
      name: 'arithmetic inside year() scales the day of birth into the year',
      text: variant(phm, 'value: year(date_of_birth)', 'value: ⟦year(today() + (date_of_birth - today()) * 365)'),
      alsoTriggers: ['disclosure-risk'],
      findings: [{ severity: 'warning', message: /date_of_birth/ }],
    },
    { name: 'the date mixed into its own age', text: variant(phm, 'value: year(date_of_birth)', 'value: ⟦⟦age_years(date_of_birth + (date_of_birth - today()))'), alsoTriggers: ['disclosure-risk'], findings: [{ message: /releases an age in years of date_of_birth in a weekly extract/ }, { severity: 'warning' }] },
    { name: 'the district with the full postcode as a fallback', text: variant(phm, 'value: postcode_district(postcode)', 'value: ⟦coalesce(postcode_district(postcode), postcode)'), alsoTriggers: ['disclosure-risk'], findings: [{ severity: 'warning', message: /full postcode postcode/ }] },
    { name: 'the postcode in lower case', text: variant(phm, 'value: postcode_district(postcode)', 'value: ⟦lower(postcode)'), alsoTriggers: ['disclosure-risk'], findings: [{ severity: 'warning' }] },
    { name: 'one household picked out by its full postcode', alsoTriggers: ['disclosure-risk'], text: peopleWhere("⟦postcode = 'LS1 4AP'"), findings: [{ severity: 'error', message: /^the filter of dataset `people` picks patients by their exact postcode/ }] },
    { name: 'one person picked out by date of birth and postcode', alsoTriggers: ['disclosure-risk'], text: populationWhere("⟦date_of_birth = 1980-05-12 and upper(⟦postcode) in ('LS1 4AP')"), findings: [{ severity: 'error', message: /date_of_birth/ }, { severity: 'error', message: /postcode/ }] },
    { name: 'an exact birth date through a relation', text: readingsWhere("code in << 75367002 and ⟦patient.date_of_birth + 0 = date '1980-05-13'"), findings: [{ severity: 'error', message: /patient.date_of_birth/ }] },
    { name: 'an exact birth date disguised as a column expression', text: peopleWhere("⟦date_of_birth = date '1980-05-12' + 0 * year(date_of_birth)"), findings: [{ severity: 'error', message: /date_of_birth/ }] },
    { name: 'exdef syntax: arithmetic on the date of birth', ...exdef('year(date_of_birth) AS birth_year', '⟦date_of_birth + 0 AS birth_year'), alsoTriggers: ['disclosure-risk'], findings: [{ severity: 'warning' }] },
  ],
});

testRule('deceased-excluded', {
  valid: [
    { name: 'clean: no date of death', text: phm },
    {
      name: 'clean: date of death with deceased patients included, justified',
      text: variant(peopleField('year(date_of_death)', 'death_year'), 'deceased: exclude', 'deceased: include\n  deceased_justification: Mortality review of the long-term condition cohort.'),
      alsoTriggers: ['disclosure-risk'],
    },
  ],
  invalid: [
    { name: 'a date_of_death field with deceased: exclude', text: peopleField('⟦date_of_death', 'died'), alsoTriggers: ['disclosure-risk'], findings: [{ message: /^`people.died` reads `date_of_death`, the date of death, but the population excludes deceased patients/ }] },
    { name: 'the year of death', text: peopleField('⟦year(date_of_death)', 'death_year'), alsoTriggers: ['disclosure-risk'], findings: [{}] },
    { name: 'the date of death through a relation', text: conditionField('⟦month(patient.date_of_death)', 'death_month'), alsoTriggers: ['disclosure-risk'], findings: [{ message: /`patient.date_of_death`/ }] },
    { name: 'a filter on the date of death', text: peopleWhere('⟦date_of_death is not null'), findings: [{ message: /^the filter of dataset `people` reads `date_of_death`/ }] },
    { name: 'the date of death inside exists in the population', text: populationWhere('exists(observations where effective_date > ⟦patient.date_of_death)'), findings: [{ message: /the population/ }] },
  ],
});
