/**
 * Adversarial review r1 (/work/wt/bypasses), disclosure class: definitions that linted clean but
 * single people out. Each case asserts the rule and the position (⟦ marks where the finding is
 * expected: the dataset name for disclosure-risk, the field value or filter operand otherwise).
 */
import { base, testRule, variant } from '../support/rule-tester.js';

/** The shipped indirect-care definition with its datasets replaced by `yaml` (a `datasets:` list body). */
function withDatasets(yaml: string): string {
  return variant(base.indirect(), /\ndatasets:\n[\s\S]*$/, `\ndatasets:\n${yaml}`);
}

const person = (k = 'phm-icb-key', of = 'nhs_number') => `      - name: person_key
        value: pseudonym(${of}, '${k}')
        justification: Links a person's records across datasets without revealing who they are.
`;

testRule('disclosure-risk', {
  valid: [
    {
      name: 'a pseudonym of the patient key and one of the NHS number are linkage keys, not quasi-identifiers',
      text: withDatasets(`  - name: people
    from: patient
    fields:
${person('phm-icb-key', 'patient_id')}      - name: birth_year
        value: year(date_of_birth)
        justification: Age is the main driver of risk stratification.
      - name: sex
        value: sex
        justification: Prevalence and risk models differ by sex.
`),
    },
    {
      name: 'a pseudonym of a record key in one dataset only links nothing',
      text: withDatasets(`  - name: visits
    from: consultation
    fields:
      - name: visit_key
        value: pseudonym(consultation_id, 'visit-key')
        justification: Identifies the consultation so activity is counted once.
      - name: birth_year
        value: year(patient.date_of_birth)
        justification: Age is the main driver of activity planning.
`),
    },
  ],
  invalid: [
    {
      name: 'bypass 06: pseudonym(coalesce(postcode, nhs_number)) and pseudonym(coalesce(date_of_birth - d, patient_id)) are quasi-identifiers, scored as what they hash',
      text: withDatasets(`  - name: ⟦people
    from: patient
    fields:
${person()}      - name: household_key
        value: pseudonym(coalesce(postcode, nhs_number), 'phm-hh-key')
        justification: Groups people living at one address for household risk of infection spread.
      - name: birth_key
        value: pseudonym(coalesce(date_of_birth - 1900-01-01, patient_id), 'phm-dob-key')
        justification: Matches twins and same-day births for maternity cohort deduplication.
      - name: sex
        value: sex
        justification: Prevalence and risk models differ by sex.
`),
      findings: [{ message: /^dataset `people` singles people out: postcode \(full postcode, 11\.0 bits\) \+ date_of_birth \(full date, 15\.0 bits\) \+ sex \(category, 1\.0 bits\) = 27\.0 bits/ }],
    },
    {
      name: 'bypass 13: pseudonyms of the family and given names are quasi-identifiers (a frequency attack), not linkage keys',
      text: withDatasets(`  - name: ⟦people
    from: patient
    fields:
${person('phm-icb-key', 'patient_id')}      - name: family_key
        value: pseudonym(family_name, 'phm-icb-key')
        justification: Finds members of one family for household outreach planning.
      - name: first_name_key
        value: pseudonym(given_name, 'phm-icb-key')
        justification: Separates relatives sharing a surname when planning family outreach.
      - name: birth_year
        value: year(date_of_birth)
        justification: Age is the main driver of risk stratification.
      - name: sex
        value: sex
        justification: Prevalence and risk models differ by sex.
`),
      findings: [{ message: /^dataset `people` singles people out: family_name \(name or contact detail, 12\.0 bits\) \+ given_name \(name or contact detail, 12\.0 bits\) \+ date_of_birth \(year, 6\.5 bits\) \+ sex/ }],
    },
    {
      name: 'a pseudonym of the address line alone leaves small groups (it is not a linkage key that makes the dataset pseudonymised)',
      text: withDatasets(`  - name: ⟦homes
    from: patient
    fields:
      - name: address_key
        value: pseudonym(address_line, 'home-key')
        justification: Groups the people of one household for outreach planning.
`),
      findings: [{ severity: 'warning', message: /^dataset `homes` leaves small groups: address_line \(name or contact detail, 12\.0 bits\)/ }],
    },
    {
      name: 'bypass 05: datasets linked by a pseudonym of a record key (consultation_id) are one table',
      text: withDatasets(`  - name: births
    from: consultation
    fields:
      - name: visit_key
        value: pseudonym(consultation_id, 'visit-key')
        justification: Identifies the consultation so activity is counted once.
      - name: birth_month
        value: month(patient.date_of_birth)
        justification: Age in months drives the childhood schedule of risk models.
      - name: sex
        value: patient.sex
        justification: Prevalence and risk models differ by sex.
  - name: ⟦places
    from: consultation
    fields:
      - name: visit_key
        value: pseudonym(consultation_id, 'visit-key')
        justification: Joins the area of the visit to the activity counts of the consultation.
      - name: postcode_district
        value: postcode_district(patient.postcode)
        justification: Locates need by neighbourhood for service planning.
      - name: ethnic_group
        value: patient.ethnicity_code
        justification: Health inequalities monitoring across ethnic groups in each district.
`),
      findings: [{ message: /^datasets `births` \+ `places` are linked \(a pseudonym of consultation\.consultation_id keyed 'visit-key' in births, places\) and, joined, single people out: .* = 15\.4 bits/ }],
    },
    {
      name: 'a record key and the reference to it in another table are one source (observation.consultation_id is consultation.consultation_id)',
      text: withDatasets(`  - name: births
    from: consultation
    fields:
      - name: visit_key
        value: pseudonym(consultation_id, 'visit-key')
        justification: Identifies the consultation so activity is counted once.
      - name: birth_month
        value: month(patient.date_of_birth)
        justification: Age in months drives the childhood schedule of risk models.
      - name: sex
        value: patient.sex
        justification: Prevalence and risk models differ by sex.
  - name: ⟦findings
    from: observation
    fields:
      - name: visit_key
        value: pseudonym(consultation_id, 'visit-key')
        justification: Joins each finding to the consultation it was recorded in.
      - name: postcode_district
        value: postcode_district(patient.postcode)
        justification: Locates need by neighbourhood for service planning.
      - name: ethnic_group
        value: patient.ethnicity_code
        justification: Health inequalities monitoring across ethnic groups in each district.
`),
      findings: [{ message: /^datasets `births` \+ `findings` are linked \(a pseudonym of consultation\.consultation_id keyed 'visit-key' in births, findings\) and, joined, single people out/ }],
    },
  ],
});

const months = (ks: number[]) =>
  ks
    .map(
      (k) => `      - name: birth_month_${k}
        value: ${k === 0 ? '' : '⟦'}month(date_of_birth${k === 0 ? '' : ` + ${k}`})
        justification: Recall cut-off number ${k} of the childhood schedule, by month.
`,
    )
    .join('');

testRule('disclosure-risk', {
  valid: [
    {
      name: 'year and month of birth side by side nest (month refines year): scored at the month, not the day',
      text: withDatasets(`  - name: people
    from: patient
    fields:
${person()}      - name: birth_year
        value: year(date_of_birth)
        justification: Age is the main driver of risk stratification.
      - name: birth_month
        value: month(date_of_birth)
        justification: Age in months drives the childhood schedule of risk models.
`),
    },
  ],
  invalid: [
    {
      name: 'bypass 03: shifted months of the date of birth tell the day, scored at full precision',
      text: withDatasets(`  - name: ⟦people
    from: patient
    fields:
${person()}${months([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]).replaceAll('⟦', '')}      - name: sex
        value: sex
        justification: Prevalence and risk models differ by sex.
`),
      findings: [{ message: /^dataset `people` singles people out: date_of_birth \(full date, told by 16 different generalisations, 15\.0 bits\) \+ sex/ }],
      // The test's justifications differ only by a number (the bypass wrote distinct ones).
      alsoTriggers: ['generalise-quasi-identifiers', 'justification-not-repeated'],
    },
  ],
});

testRule('generalise-quasi-identifiers', {
  valid: [
    {
      name: 'a range of birth dates that is a cohort (a year) is not a pin',
      text: withDatasets(`  - name: conditions
    from: observation
    where: patient.date_of_birth >= 1997-01-01 and patient.date_of_birth < 1998-01-01
    fields:
      - name: condition_code
        value: code
        justification: Identifies the long-term condition recorded for planning.
`),
    },
    {
      name: 'year and age band of 10 beside an age band of 5 nest',
      text: withDatasets(`  - name: people
    from: patient
    fields:
${person()}      - name: band_five
        value: age_band(date_of_birth, 5)
        justification: Five-year bands are what the national tables use.
      - name: band_ten
        value: age_band(date_of_birth, 10)
        justification: Ten-year bands are what the ICB board papers use.
`),
    },
  ],
  invalid: [
    {
      name: 'bypass 02: the exact date of birth and postcode written as ranges, in a dataset filter',
      text: withDatasets(`  - name: conditions
    from: observation
    where: >-
      patient.date_of_birth >= 1997-08-30 and ⟦patient.date_of_birth <= 1997-08-30
      and ⟦patient.postcode between 'TS7 5NJ' and 'TS7 5NJ' and patient.sex = 'male'
    fields:
      - name: condition_code
        value: code
        justification: Identifies the long-term condition recorded for planning.
`),
      findings: [
        { severity: 'error', message: /pins patient\.date_of_birth to the one day 1997-08-30/ },
        { severity: 'error', message: /pins patient\.postcode to the one postcode 'TS7 5NJ'/ },
      ],
    },
    {
      name: 'review 2026-12-03: the date of birth pinned through a difference in days (between 13 and 13, 13 to 15)',
      text: withDatasets(`  - name: conditions
    from: observation
    where: ⟦patient.date_of_birth - 1928-02-19 between 13 and 13 or ⟦patient.date_of_birth - 1928-02-19 between 13 and 15
    fields:
      - name: condition_code
        value: code
        justification: Identifies the long-term condition recorded for planning.
`),
      findings: [
        { severity: 'error', message: /pins patient\.date_of_birth to the one value 13 \(computed from the full date\)/ },
        { severity: 'error', message: /pins patient\.date_of_birth to 13 to 15 \(2 apart, computed from the full date\)/ },
      ],
    },
    {
      name: 'review 2026-12-03: one postcode unit as a range of skewed bounds (TS10 5PZZ to TS10 5QA0 holds only TS10 5QA)',
      text: withDatasets(`  - name: conditions
    from: observation
    where: ⟦patient.postcode between 'TS10 5PZZ' and 'TS10 5QA0'
    fields:
      - name: condition_code
        value: code
        justification: Identifies the long-term condition recorded for planning.
`),
      findings: [{ severity: 'error', message: /pins patient\.postcode to the postcodes 'TS10 5PZZ' to 'TS10 5QA0' \(a range of full postcodes\)/ }],
    },
    {
      name: 'bypass 17-style: the population pinned by a narrow range of birth dates (bounds in reverse order, 3 days)',
      text: variant(
        base.indirect(),
        /\n  practices: (.*)\n/,
        (m) => `${m}  where: 2001-03-04 >= date_of_birth and sex = 'male' and ⟦date_of_birth > 2001-03-01\n`,
      ),
      findings: [{ severity: 'error', message: /^the filter of the population pins date_of_birth to 2001-03-01 to 2001-03-04 \(3 days\)/ }],
    },
    {
      name: 'equality on the full date of birth in the population is an error now, not a warning',
      text: variant(base.indirect(), /\n  practices: (.*)\n/, (m) => `${m}  where: ⟦date_of_birth = 1950-01-01\n`),
      findings: [{ severity: 'error', message: /picks patients by their exact date_of_birth/ }],
      // The pinned date also narrows the scored population to a fraction of a patient.
      alsoTriggers: ['disclosure-risk'],
    },
    {
      name: 'bypass 03: the second, shifted generalisation of the date of birth is warned at the field that completes the set',
      text: withDatasets(`  - name: people
    from: patient
    fields:
${person()}${months([0, 1])}`),
      findings: [{ severity: 'warning', message: /^`people\.birth_month_1` generalises date_of_birth differently from `people\.birth_month_0`/ }],
      alsoTriggers: ['disclosure-risk'],
    },
    {
      name: 'year in one dataset and a shifted month in a linked one',
      text: withDatasets(`  - name: people
    from: patient
    fields:
${person()}      - name: birth_year
        value: year(date_of_birth)
        justification: Age is the main driver of risk stratification.
  - name: cohorts
    from: patient
    fields:
      - name: person_key
        value: pseudonym(nhs_number, 'phm-icb-key')
        justification: Joins the school cohort to the person it belongs to.
      - name: school_month
        value: ⟦month(date_of_birth + 120)
        justification: The school year starts in September, so the month is shifted.
`),
      findings: [{ severity: 'warning', message: /^`cohorts\.school_month` generalises date_of_birth differently from `people\.birth_year` \(in datasets people, cohorts, linked\)/ }],
      alsoTriggers: ['disclosure-risk'],
    },
    {
      name: 'age bands of widths 5 and 7 do not nest: together they narrow the age',
      text: withDatasets(`  - name: people
    from: patient
    fields:
${person()}      - name: band_five
        value: age_band(date_of_birth, 5)
        justification: Five-year bands are what the national tables use.
      - name: band_seven
        value: ⟦age_band(date_of_birth, 7)
        justification: Seven-year bands are what the local screening tables use.
`),
      findings: [{ severity: 'warning', message: /^`people\.band_seven` generalises date_of_birth differently from `people\.band_five`/ }],
      alsoTriggers: ['disclosure-risk'],
    },
  ],
});

testRule('disclosure-risk', {
  valid: [
    {
      name: 'a population of women (one pinned sex) across three practices still leaves large groups of year and district',
      text: variant(
        withDatasets(`  - name: people
    from: patient
    fields:
${person()}      - name: birth_year
        value: year(date_of_birth)
        justification: Age is the main driver of risk stratification.
`),
        /\n  practices: (.*)\n/,
        (m) => `${m}  where: sex = 'female'\n`,
      ),
    },
  ],
  invalid: [
    {
      name: 'bypass 17: the population narrowed to a handful (one practice, aged 103 or over, one sex): the score counts the filters',
      text: variant(
        withDatasets(`  - name: ⟦people
    from: patient
    fields:
${person()}      - name: birth_year
        value: year(date_of_birth)
        justification: Age is the main driver of risk stratification.
      - name: postcode_district
        value: postcode_district(postcode)
        justification: Locates need by neighbourhood for service planning.
`),
        /\n  practices: (.*)\n/,
        "\n  practices: [A81001]\n  where: age_years(date_of_birth) >= 103 and sex = 'male' and exists(observations where code in << 254837009 |Malignant neoplasm of breast|)\n",
      ),
      findings: [{ message: /^dataset `people` singles people out: .* = 8\.8 bits, so about 0\.000\d+ of 0\.24 patients in scope after the filters \(aged 103 or over; sex \(category\) pinned\)/ }],
    },
  ],
});
