import { base, testRule, variant } from '../support/rule-tester.js';

const phm = base.indirect();

testRule('generalise-quasi-identifiers', {
  valid: [
    { name: 'year of birth and district', text: phm },
    { name: 'age band and month', text: variant(phm, 'value: year(date_of_birth)', 'value: age_band(date_of_birth, 10)') },
    { name: 'full postcode in direct care (posting letters)', text: base.recall() },
  ],
  invalid: [
    { name: 'the full date of birth', text: variant(phm, 'value: year(date_of_birth)', 'value: ⟦date_of_birth'), alsoTriggers: ['disclosure-risk'], findings: [{ severity: 'warning', message: /^`people.birth_year` exposes the full date_of_birth: year\(date_of_birth\), month\(date_of_birth\) or age_band\(date_of_birth\) would do/ }] },
    { name: 'the full postcode', text: variant(phm, 'value: postcode_district(postcode)', 'value: ⟦postcode'), alsoTriggers: ['disclosure-risk'], findings: [{ severity: 'warning', message: /postcode_district\(postcode\)/ }] },
    { name: 'a computed value of the full postcode', text: variant(phm, 'value: postcode_district(postcode)', 'value: ⟦upper(postcode)'), alsoTriggers: ['disclosure-risk'], findings: [{ severity: 'warning', message: /full postcode/ }] },
    {
      name: 'the date of death through a relation',
      text: variant(phm, "        value: month(effective_date)\n        justification: Duration", "        value: ⟦patient.date_of_death\n        justification: Duration"),
      alsoTriggers: ['disclosure-risk', 'deceased-excluded'],
      findings: [{ severity: 'warning', message: /patient.date_of_death/ }],
    },
  ],
});
