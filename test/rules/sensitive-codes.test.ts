import { exemptionYaml } from '../support/exemption-yaml.js';
import { base, testRule, variant } from '../support/rule-tester.js';

const phm = base.indirect();
/** phm-warehouse with the long_term_conditions filter replaced. */
const ltc = (where: string) => variant(phm, /    where: >-\n      code in \(<< 73211009[^\n]*\n[^\n]*\n/, `    where: ${where}\n`);
/** phm-warehouse with a population filter. */
const population = (where: string) => variant(phm, '  practices: [A81001, A81002, A81003]\n', `  practices: [A81001, A81002, A81003]\n  where: ${where}\n`);

testRule('sensitive-codes', {
  valid: [
    { name: 'the shipped warehouse feed', text: phm },
    { name: 'a set that holds no sensitive codes', text: ltc('code in << 73211009 |Diabetes mellitus|') },
    { name: 'the parent of a refset member that is not itself a member', text: ltc('code in 40733004 |Infectious disease|') },
    { name: 'a broad set that merely contains sensitive codes (information only)', text: ltc('code in << 64572001 |Disease|') },
    {
      name: 'an exemption that names the set and a legal basis',
      text: variant(
        ltc('code in ^ 999004381000000103'),
        'datasets:\n',
        `exemptions:\n${exemptionYaml({ datasets: '[long_term_conditions]', justification: 'Communicable disease surveillance by the health protection team.' })}datasets:\n`,
      ),
    },
  ],
  invalid: [
    { name: 'a refset by ^', text: ltc('code in ⟦^ 999004381000000103 |STD exclusion refset|'), findings: [{ message: /asks for HIV status and sexually transmitted disease codes \(sensitive set `hiv_sti`\)/ }] },
    { name: 'descendants-or-self of a sexuality concept', text: ltc('code in ⟦<< 118199002'), findings: [{ message: /sensitive set `sexuality`/ }] },
    { name: 'descendants (<) of a sexuality concept', text: ltc('code in ⟦< 365956009'), findings: [{ message: /sexuality/ }] },
    { name: 'a concept three levels below a sexuality concept', text: ltc('code in ⟦<< 999900041000000105'), findings: [{ message: /sexuality/ }] },
    { name: 'one concept with =', text: ltc('code = ⟦86406008'), findings: [{ message: /hiv_sti/ }] },
    { name: 'a list of values', text: ltc('code in (73211009, ⟦714812005, 59621000)'), findings: [{ message: /termination_of_pregnancy/ }] },
    { name: 'hidden inside an OR', text: ltc('code in (<< 73211009 OR ⟦^ 999004371000000100 OR << 195967001)'), findings: [{ message: /assisted_fertilisation/ }] },
    { name: 'thinned with MINUS', text: ltc('code in (⟦<< 118199002 MINUS << 38628009)'), findings: [{ message: /sexuality/ }] },
    { name: 'both gender refsets', text: ltc('code in (⟦^ 999004351000000109 OR ⟦^ 1955851000000101)'), findings: [{ message: /gender_reassignment/ }, { message: /gender_reassignment/ }] },
    {
      name: 'inside exists() in the population filter',
      text: population('exists(observations where code in ⟦<< 86406008)'),
      findings: [{ message: /hiv_sti/ }],
    },
    {
      name: 'in a field value',
      text: variant(phm, '        value: code\n        justification: Identifies the long-term condition.', '        value: code\n        justification: Identifies the long-term condition.\n      - name: hiv\n        value: code = ⟦86406008\n        justification: Flags the condition for the clinical team.'),
      findings: [{ message: /hiv_sti/ }],
    },
    {
      name: 'excluding sensitive codes has no effect (a warning)',
      text: population('not exists(observations where code in ⟦^ 999004381000000103)'),
      findings: [{ severity: 'warning', message: /has no effect/ }],
    },
    {
      name: 'an exemption for another set does not cover this one',
      text: variant(
        ltc('code in ⟦^ 999004361000000107'),
        'datasets:\n',
        `exemptions:\n${exemptionYaml({ datasets: '[long_term_conditions]', justification: 'Communicable disease surveillance.' })}datasets:\n`,
      ),
      findings: [{ message: /termination_of_pregnancy/ }],
    },
    {
      name: 'a broad set is reported as information, with the count',
      text: ltc('code in ⟦<< 64572001 |Disease|'),
      findings: [{ severity: 'info', message: /^6 concepts of this code set are sensitive \(gender_reassignment, hiv_sti\) and will be excluded at run time$/ }],
    },
    {
      // Changed on purpose (issue 11, code sets by meaning): this case used to be information. In the
      // sample terminology every child of Infectious disease is an HIV/STI concept, so without them
      // the set keeps one concept (fewer than code_set_min_remaining): it asks for hiv_sti.
      name: 'a "broad" set that is mostly sensitive concepts',
      text: ltc('code in ⟦<< 40733004 |Infectious disease|'),
      findings: [{ message: /holds 5 HIV status and sexually transmitted disease concepts \(sensitive set `hiv_sti`\) and only 1 other concept besides/ }],
    },
  ],
});
