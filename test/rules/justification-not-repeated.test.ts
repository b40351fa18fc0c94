import { base, testRule, variant } from '../support/rule-tester.js';

const phm = base.indirect();
const same = 'Required for the ICB risk stratification programme.';

testRule('justification-not-repeated', {
  valid: [
    { name: 'each field justified on its own', text: phm },
    { name: 'one text on two fields (names on a letter)', text: base.recall() },
  ],
  invalid: [
    {
      name: 'one text on three fields of a dataset',
      text: variant(
        variant(
          variant(phm, 'justification: Age is the main driver of risk stratification.', `justification: ${same}`),
          'justification: Prevalence and risk models differ by sex.',
          `justification: ${same}`,
        ),
        'justification: Locates need by neighbourhood for service planning.',
        `justification: ⟦${same}`,
      ),
      findings: [{ message: /^the same justification is used on 3 fields \(people.birth_year, people.sex, people.postcode_district\)/ }],
    },
    {
      name: 'one text across datasets',
      text: variant(
        variant(
          variant(phm, 'justification: Links each diagnosis to the person.', `justification: ${same}`),
          'justification: Identifies the long-term condition.',
          `justification: ${same}`,
        ),
        'justification: Links each reading to the person.',
        `justification: ⟦${same}`,
      ),
      findings: [{ message: /used on 3 fields \(long_term_conditions.person_key, long_term_conditions.condition_code, blood_pressure.person_key\)/ }],
    },
  ],
});
