/**
 * Adversarial r11/5: keyless datasets of one table linked by the order of their rows, with
 * filters written to look different (tautologies, reordered conjuncts), and a dataset split into
 * subsets that another dataset's own columns pick out (one per sex), whose union rebuilds the
 * identifying table. Filters are folded before they are compared (src/disclosure/row-filter.ts).
 */
import { base, testRule, variant } from '../support/rule-tester.js';

function withDatasets(yaml: string): string {
  return variant(base.indirect(), /\ndatasets:\n[\s\S]*$/, `\ndatasets:\n${yaml}`);
}

/** Month of birth and sex (alone: about 11 of 24,000 share each combination). */
const births = (name: string, where?: string) => `  - name: ${name}
    from: patient
${where ? `    where: ${where}\n` : ''}    fields:
      - name: birth_month
        value: month(date_of_birth)
        justification: Age in months drives the paediatric growth model.
      - name: sex
        value: sex
        justification: Prevalence and risk models differ by sex.
`;

/** The full postcode (alone: about 12 of 24,000 share each). */
const homes = (name: string, where?: string, value = 'postcode') => `  - name: ${name}
    from: patient
${where ? `    where: ${where}\n` : ''}    fields:
      - name: home
        value: ${value}
        justification: Locates each household for outreach.
`;

const joined = /^datasets `births` \+ `⟦?homes[^`]*`.* are linked \(rows in the same order.*and, joined, single people out/;

testRule('disclosure-risk', {
  valid: [
    { name: 'clean: a contradiction (1 = 2) selects no rows: nothing to line up', text: withDatasets(births('births') + homes('homes', '1 = 2')) },
    { name: 'clean: a subset by a condition on a column the other dataset does not show is not linked', text: withDatasets(births('births') + homes('homes', "postcode_district(postcode) in ('TS1', 'TS2', 'TS3', 'TS4', 'TS5', 'TS6', 'TS7', 'TS8')", 'postcode_district(postcode)')) },
  ],
  invalid: [
    { name: 'a tautology 1 = 1 on one of them', text: withDatasets(births('births', '1 = 1') + homes('⟦homes')), findings: [{ message: /^datasets `births` \+ `homes` are linked \(rows in the same order.*single people out/ }] },
    { name: 'a reflexive sex = sex', text: withDatasets(births('births') + homes('⟦homes', 'sex = sex')), findings: [{ message: /single people out/ }] },
    { name: "a disjunction with true: postcode_district(postcode) = 'TS1' or true", text: withDatasets(births('births') + homes('⟦homes', "postcode_district(postcode) = 'TS1' or true")), findings: [{ message: /single people out/ }] },
    { name: 'tautologies joined by and: 1 = 1 and 2 = 2', text: withDatasets(births('births', '1 = 1 and 2 = 2') + homes('⟦homes', 'not (1 = 2)')), findings: [{ message: /single people out/ }] },
    { name: 'P and true against P', text: withDatasets(births('births', "sex <> 'unknown' and true") + homes('⟦homes', "sex <> 'unknown'")), findings: [{ message: /single people out/ }] },
    { name: 'the same conjuncts in another order', text: withDatasets(births('births', "age_years(date_of_birth) >= 18 and sex <> 'unknown'") + homes('⟦homes', "sex <> 'unknown' and age_years(date_of_birth) >= 18")), findings: [{ message: /single people out/ }] },
    { name: 'a repeated conjunct (P and P against P)', text: withDatasets(births('births', "sex <> 'unknown'") + homes('⟦homes', "sex <> 'unknown' and sex <> 'unknown'")), findings: [{ message: /single people out/ }] },
    {
      name: 'a subset the other dataset tells apart (the men, whose sex births shows)',
      text: withDatasets(births('births') + homes('⟦⟦homes', "sex = 'male'")),
      findings: [{ severity: 'warning', message: /^dataset `homes` leaves small groups/ }, { message: /^datasets `births` \+ `homes` are linked \(rows in the same order: the patient rows of homes are those of births that its own columns select/ }],
    },
    {
      name: 'a dataset split into one subset per sex, rebuilt whole by lining each up with births',
      text: withDatasets(births('births') + homes('⟦homes_men', "sex = 'male'") + homes('⟦⟦homes_women', "sex = 'female'")),
      findings: [
        { severity: 'warning', message: /^dataset `homes_men` leaves small groups/ },
        { severity: 'warning', message: /^dataset `homes_women` leaves small groups/ },
        { message: /^datasets `births` \+ `homes_men` \+ `homes_women` are linked .*and, joined, single people out/ },
      ],
    },
  ],
});
