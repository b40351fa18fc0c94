import { base, testRule, variant } from '../support/rule-tester.js';
import { bloodPressureField, bloodPressureWhere, populationWhere } from './hard-rules.fixtures.js';

testRule('no-control-tables', {
  valid: [
    { name: 'opt-outs applied by the population settings', text: base.indirect() },
    { name: 'a to-many relation that is not a control table', text: populationWhere("exists(registrations where registration_type = 'permanent')") },
  ],
  invalid: [
    { name: 'whether a patient opted out, in the population filter', text: populationWhere('not exists(⟦opt_outs)'), findings: [{ message: /^exists\(opt_outs\) tests `opt_out`, a control table .*\(population\)$/ }] },
    { name: 'opt-outs tested in a dataset filter', text: bloodPressureWhere('exists(⟦patient.opt_outs)'), findings: [{ message: /exists\(patient.opt_outs\) tests `opt_out`.*\(blood_pressure\)$/ }] },
    { name: 'opt-outs tested in a field', text: bloodPressureField('opted_out', 'exists(⟦patient.opt_outs)'), findings: [{ message: /\(blood_pressure.opted_out\)$/ }] },
    {
      name: 'the opt-out table as a dataset', alsoTriggers: ['record-keys-pseudonymised'],
      text: variant(base.indirect(), /datasets:\n[\s\S]*$/, 'datasets:\n  - name: opt_outs\n    from: ⟦opt_out\n    fields:\n      - name: record\n        value: opt_out_id\n        justification: Counts the records the practice holds.\n'),
      findings: [{ message: /^dataset opt_outs reads `opt_out`, a control table/ }],
    },
  ],
});
