import { base, testRule, variant } from '../support/rule-tester.js';

const phm = base.indirect();

testRule('direct-identifiers-need-basis', {
  valid: [
    { name: 'pseudonymised indirect care', text: phm },
    { name: 'identifiers in direct care', text: base.recall() },
    {
      name: 'identifiers in indirect care with a data provision notice',
      text: variant(
        variant(phm, "value: pseudonym(nhs_number, 'phm-icb-key')", 'value: nhs_number'),
        '  article_9: 9(2)(h) management of health care systems\n',
        '  article_9: 9(2)(h) management of health care systems\n  data_provision_notice: DPN-2026-004 (Direction under section 254)\n',
      ),
      // The other datasets still carry its pseudonym: a re-identification table (its own rule).
      alsoTriggers: ['no-pseudonym-beside-raw'],
    },
  ],
  invalid: [
    { name: 'the NHS number in a warehouse feed', text: variant(phm, "value: pseudonym(nhs_number, 'phm-icb-key')", 'value: ⟦nhs_number'), alsoTriggers: ['no-pseudonym-beside-raw'], findings: [{ message: /^`people.person_key` exposes `nhs_number`, a direct identifier, but this is indirect care without a statutory basis/ }] },
    { name: 'a name through a relation', text: variant(phm, "value: pseudonym(patient.nhs_number, 'phm-icb-key')\n        justification: Links each diagnosis", 'value: ⟦lower(patient.family_name)\n        justification: Links each diagnosis'), findings: [{ message: /`patient.family_name`/ }] },
    {
      name: 'an address and a phone number',
      text: variant(phm, '      - name: sex\n        value: sex\n', '      - name: address\n        value: ⟦address_line\n        justification: Posts the survey to the household.\n      - name: phone_number\n        value: ⟦phone\n        justification: Texts the survey link to the patient.\n      - name: sex\n        value: sex\n'),
      findings: [{ message: /address_line/ }, { message: /phone/ }],
    },
  ],
});
