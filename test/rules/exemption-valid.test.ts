import { exemptionYaml, VALID_BASIS, withExemptions } from '../support/exemption-yaml.js';
import { base, testRule, variant } from '../support/rule-tester.js';

const phm = base.indirect();
const hivFilter = (text: string) => variant(text, "    where: code in << 75367002 |Blood pressure| and effective_date >= today() - interval '2 years'", '    where: code in << 86406008');
const one = (parts: Parameters<typeof exemptionYaml>[0]) => withExemptions(phm, exemptionYaml(parts));

testRule('exemption-valid', {
  valid: [
    { name: 'no exemptions', text: phm },
    { name: 'a complete exemption from sensitive-codes', text: one({}) },
    { name: 'an exemption that expires today', text: one({ expires: '2026-11-21' }) },
    { name: 'an exemption that expires 36 months from today', text: one({ expires: '2029-11-21' }) },
    { name: 'under a notice and an approval', text: one({ legal_basis: { ...VALID_BASIS, notice: 'COPI notice 2020 regulation 3(4)' } }) },
  ],
  invalid: [
    { name: 'a hard rule', text: one({ rule: '⟦no-free-text', code_set: undefined }), findings: [{ message: /^`no-free-text` is a hard rule: no exemption can lift it$/ }] },
    { name: 'an unknown rule', text: one({ rule: '⟦free-text-allowed', code_set: undefined }), findings: [{ message: /^the exemption names `free-text-allowed`, which is not a rule$/ }] },
    {
      name: 'a rule the policy does not let exemptions waive',
      text: one({ rule: '⟦governance-complete', code_set: undefined }),
      findings: [{ message: /^the policy does not let an exemption waive `governance-complete`: governance paperwork is what a reviewer relies on$/ }],
    },
    {
      name: 'no legal basis: it exempts nothing',
      text: hivFilter(one({ rule: '⟦sensitive-codes', legal_basis: undefined })),
      alsoTriggers: ['sensitive-codes'],
      findings: [{ message: /^the exemption from `sensitive-codes` gives no legal basis \(legal_basis: article_6, article_9 and a notice or approval\)$/ }],
    },
    {
      name: 'an Article 6 condition not in the list',
      text: one({ legal_basis: { ...VALID_BASIS, article_6: '⟦public task' } }),
      findings: [{ message: /^`public task` is not a UK GDPR Article 6\(1\) condition$/ }],
    },
    {
      name: 'no Article 6 condition (at legal_basis)',
      text: withExemptions(phm, exemptionYaml({ legal_basis: { article_9: '9(2)(i) public health', approval: 'CAG 21/CAG/0123' } }).replace('legal_basis:', '⟦legal_basis:')),
      findings: [{ message: /^the legal basis of the exemption from `sensitive-codes` gives no UK GDPR Article 6 condition \(legal_basis.article_6\)$/ }],
    },
    {
      name: 'a placeholder reference',
      text: one({ legal_basis: { ...VALID_BASIS, approval: '⟦TBC' } }),
      findings: [{ message: /^`TBC` is not the reference of a notice or approval: a reference identifies the document$/ }],
    },
    { name: 'no justification', text: one({ rule: '⟦sensitive-codes', justification: undefined }), findings: [{ message: /^the exemption from `sensitive-codes` gives no justification$/ }] },
    { name: 'no code set', text: one({ rule: '⟦sensitive-codes', code_set: undefined }), findings: [{ message: /must name the code set it admits \(code_set: one of gender_reassignment, sexuality, hiv_sti, termination_of_pregnancy or assisted_fertilisation\)/ }] },
    { name: 'an unknown code set', text: one({ code_set: '⟦hiv' }), findings: [{ message: /`hiv` is not a sensitive code set/ }] },
    { name: 'expired', text: one({ expires: '⟦2026-10-31' }), findings: [{ message: /^the exemption from `sensitive-codes` expired on 2026-10-31$/ }] },
    { name: 'no expiry', text: one({ rule: '⟦sensitive-codes', expires: undefined }), findings: [{ message: /^the exemption from `sensitive-codes` has no expiry date \(expires\)/ }] },
    { name: 'an expiry too far ahead', text: one({ expires: '⟦2029-11-22' }), findings: [{ message: /more than 36 months ahead: set an expiry by 2029-11-21$/ }] },
    { name: 'no datasets', text: one({ rule: '⟦sensitive-codes', datasets: undefined }), findings: [{ message: /^the exemption from `sensitive-codes` names no datasets \(datasets\)/ }] },
    { name: 'an unknown dataset', text: one({ datasets: '[⟦bp]' }), findings: [{ message: /^`bp` is not a dataset of this definition$/ }] },
    { name: 'an unknown field', text: one({ fields: '[⟦blood_pressure.code]' }), findings: [{ message: /^`blood_pressure.code` is not a field of this definition \(write dataset.field\)$/ }] },
    {
      name: 'several problems, each at its place, in order',
      text: one({ legal_basis: { ...VALID_BASIS, article_9: '⟦9(3)(a)', approval: '⟦n/a' }, expires: '⟦2020-01-01' }),
      findings: [{ message: /Article 9\(2\) condition/ }, { message: /not the reference/ }, { message: /expired on 2020-01-01/ }],
    },
  ],
});
