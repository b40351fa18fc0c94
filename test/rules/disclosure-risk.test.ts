import { base, testRule, variant } from '../support/rule-tester.js';

const phm = base.indirect();
const people = (fields: string) => variant(phm, /  - name: people\n    from: patient\n    fields:\n([\s\S]*?)\n\n/, `  - name: ⟦people\n    from: patient\n    fields:\n${fields}\n\n`);
const field = (name: string, value: string, justification: string) => `      - name: ${name}\n        value: ${value}\n        justification: ${justification}\n`;
const sex = field('sex', 'sex', 'Prevalence and risk models differ by sex.');
/** phm-warehouse with a second dataset of patients after people (the observation datasets stay). */
const withSecond = (peopleFields: string, name: string, fields: string, markPeople = false, from = 'patient') =>
  variant(
    markPeople ? people(peopleFields) : people(peopleFields).replace('⟦', ''),
    /\n  - name: long_term_conditions\n/,
    `\n  - name: ${name}\n    from: ${from}\n    fields:\n${fields}\n  - name: long_term_conditions\n`,
  );
const key = (k: string, of = 'nhs_number', why = 'Links the rows of a person without revealing who they are.') => field('person_key', `pseudonym(${of}, '${k}')`, why);
const month = field('birth_month', 'month(date_of_birth)', 'Age in months drives the paediatric growth model.');
const home = field('home', 'postcode', 'Locates each household for outreach planning.');

testRule('disclosure-risk', {
  valid: [
    { name: 'year of birth, sex and district (reported as information)', text: phm },
    { name: 'identifiers by design in direct care', text: base.recall() },
    { name: 'age band only', text: people(field('age', 'age_band(date_of_birth)', 'Age drives the risk models.')).replace('⟦', '') },
    {
      // Of another table: the rows of the two do not line up either.
      name: 'two datasets with the same quasi-identifiers alone, linked by a different key',
      text: withSecond(key('phm-icb-key') + month + sex, 'addresses', key('address-key', 'patient.nhs_number', 'Joins the addresses of one person.') + field('home', 'patient.postcode', 'Locates each household for outreach planning.'), false, 'registration'),
    },
    {
      name: 'linked datasets in direct care identify people by design',
      text: variant(withSecond(key('phm-icb-key') + month + sex, 'addresses', key('phm-icb-key', 'nhs_number', 'Joins the addresses of one person.') + home), /care_type: indirect/, 'care_type: direct'),
      alsoTriggers: ['supported-use-case', 'governance-complete'],
    },
  ],
  invalid: [
    {
      name: 'a different key does not keep apart two datasets of the patient table: their rows line up in the same order',
      text: withSecond(key('phm-icb-key') + month + sex, '⟦addresses', key('address-key', 'nhs_number', 'Joins the addresses of one person.') + home),
      findings: [{ message: /^datasets `people` \+ `addresses` are linked \(.*rows in the same order: the same patient rows \(no filter\) in people, addresses\) and, joined, single people out: .* = 22\.1 bits/ }],
    },
    {
      name: 'full date of birth, full postcode and sex single people out',
      text: people(field('born', 'date_of_birth', 'Exact age in days drives the neonatal risk model.') + field('home', 'postcode', 'Locates each household for outreach planning.') + sex),
      alsoTriggers: [],
      findings: [{ message: /^dataset `people` singles people out: date_of_birth \(full date, 15.0 bits\) \+ postcode \(full postcode, 11.0 bits\) \+ sex \(category, 1.0 bits\) = 27.0 bits, so about 0.00018 of 24,000 patients share each combination$/ }],
    },
    {
      name: 'month of birth, sex and district leave small groups (a warning)',
      text: people(field('born', 'month(date_of_birth)', 'Age in months drives the neonatal risk model.') + sex + field('district', 'postcode_district(postcode)', 'Locates need by neighbourhood.')),
      findings: [{ severity: 'warning', message: /leaves small groups: .* = 13.4 bits; about 2.2 of 24,000 patients share each combination, below the threshold of 10$/ }],
    },
    {
      name: 'the score is an information finding when groups are large',
      text: people(field('age', 'age_band(date_of_birth)', 'Age drives the risk models.')),
      findings: [{ severity: 'info', message: /age band, 4.2 bits\) = 4.2 bits; about 1,263 of 24,000 patients share each combination \(low risk of singling out\)$/ }],
    },
    {
      name: 'the mosaic: each dataset passes alone, joined by the shared pseudonym they single people out',
      text: withSecond(key('phm-icb-key') + month + sex, '⟦addresses', key('phm-icb-key', 'nhs_number', 'Joins the addresses of one person.') + home),
      findings: [
        {
          message:
            /^datasets `people` \+ `addresses` are linked \(a pseudonym of patient\.nhs_number keyed 'phm-icb-key' in people, addresses, long_term_conditions, blood_pressure\) and, joined, single people out: people\.birth_month: date_of_birth \(month, 10\.1 bits\) \+ people\.sex: sex \(category, 1\.0 bits\) \+ addresses\.home: postcode \(full postcode, 11\.0 bits\) = 22\.1 bits, so about 0\.0054 of 24,000 patients share each combination$/,
        },
      ],
    },
    {
      name: 'the mosaic as information when the joined groups stay large (each dataset scored, then the join)',
      text: withSecond(
        key('phm-icb-key') + field('birth_year', 'year(date_of_birth)', 'Age is the main driver of risk stratification.'),
        '⟦⟦areas',
        key('phm-icb-key', 'nhs_number', 'Joins the area to the person.') + field('district', 'postcode_district(postcode)', 'Locates need by neighbourhood.'),
        true,
      ),
      findings: [
        { severity: 'info', message: /^dataset `people`: date_of_birth \(year, 6\.5 bits\) = 6\.5 bits/ },
        { severity: 'info', message: /^dataset `areas`: postcode \(postcode district, 2\.3 bits\) = 2\.3 bits/ },
        { severity: 'info', message: /^datasets `people` \+ `areas` are linked .*: people\.birth_year: date_of_birth \(year, 6\.5 bits\) \+ areas\.district: postcode \(postcode district, 2\.3 bits\) = 8\.8 bits; about 53 of 24,000 patients share each combination \(medium risk of singling out\)$/ },
      ],
    },
    {
      name: 'one key over two identifiers in two datasets',
      text: withSecond(key('phm-icb-key') + month, 'households', field('person_key', "⟦pseudonym(patient_id, 'phm-icb-key')", 'Joins the households of one patient.')),
      findings: [{ severity: 'warning', message: /^the pseudonym key 'phm-icb-key' is used over patient here and over patient\.nhs_number in dataset `people`: one key for two identifiers/ }],
    },
  ],
});
