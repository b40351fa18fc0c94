import { base, testRule, variant } from '../support/rule-tester.js';

const phm = base.indirect();
const people = (fields: string) => variant(phm, /  - name: people\n    from: patient\n    fields:\n([\s\S]*?)\n\n/, `  - name: ⟦people\n    from: patient\n    fields:\n${fields}\n\n`);
const field = (name: string, value: string, justification: string) => `      - name: ${name}\n        value: ${value}\n        justification: ${justification}\n`;
const sex = field('sex', 'sex', 'Prevalence and risk models differ by sex.');

testRule('disclosure-risk', {
  valid: [
    { name: 'year of birth, sex and district (reported as information)', text: phm },
    { name: 'identifiers by design in direct care', text: base.recall() },
    { name: 'age band only', text: people(field('age', 'age_band(date_of_birth)', 'Age drives the risk models.')).replace('⟦', '') },
  ],
  invalid: [
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
  ],
});
