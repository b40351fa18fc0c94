import { base, testRule, variant } from '../support/rule-tester.js';

const phm = base.indirect();
const withExemption = (yaml: string) => variant(phm, 'datasets:\n', `exemptions:\n${yaml}datasets:\n`);
const hivFilter = (text: string) => variant(text, "    where: code in << 75367002 |Blood pressure| and effective_date >= today() - interval '2 years'", '    where: code in << 86406008');

testRule('exemption-valid', {
  valid: [
    { name: 'no exemptions', text: phm },
    {
      name: 'a complete exemption from sensitive-codes',
      text: withExemption('  - rule: sensitive-codes\n    code_set: hiv_sti\n    legal_basis: Health Service (Control of Patient Information) Regulations 2002, regulation 3.\n    justification: Surveillance of communicable disease.\n    expires: 2027-06-30\n'),
    },
  ],
  invalid: [
    { name: 'a hard rule', text: withExemption('  - rule: ⟦no-free-text\n    legal_basis: Consent.\n    justification: The comment is needed.\n'), findings: [{ message: /^`no-free-text` is a hard rule: no exemption can lift it$/ }] },
    { name: 'an unknown rule', text: withExemption('  - rule: ⟦free-text-allowed\n    legal_basis: Consent.\n    justification: The comment is needed.\n'), findings: [{ message: /is not a rule/ }] },
    {
      name: 'no legal basis: it exempts nothing',
      text: hivFilter(withExemption('  - rule: ⟦sensitive-codes\n    code_set: hiv_sti\n    justification: Surveillance of communicable disease.\n')),
      alsoTriggers: ['sensitive-codes'],
      findings: [{ message: /gives no legal basis/ }],
    },
    { name: 'no justification', text: withExemption('  - rule: ⟦sensitive-codes\n    code_set: hiv_sti\n    legal_basis: Regulation 3.\n'), findings: [{ message: /gives no justification/ }] },
    { name: 'no code set', text: withExemption('  - rule: ⟦sensitive-codes\n    legal_basis: Regulation 3.\n    justification: Surveillance.\n'), findings: [{ message: /must name the code set it admits \(code_set: one of gender_reassignment, sexuality, hiv_sti, termination_of_pregnancy or assisted_fertilisation\)/ }] },
    { name: 'an unknown code set', text: withExemption('  - rule: sensitive-codes\n    code_set: ⟦hiv\n    legal_basis: Regulation 3.\n    justification: Surveillance.\n'), findings: [{ message: /`hiv` is not a sensitive code set/ }] },
    { name: 'expired', text: withExemption('  - rule: sensitive-codes\n    code_set: hiv_sti\n    legal_basis: Regulation 3.\n    justification: Surveillance.\n    expires: ⟦2026-10-31\n'), findings: [{ message: /expired on 2026-10-31/ }] },
  ],
});
