import { base, testRule } from '../support/rule-tester.js';
import { populationWhere } from './hard-rules.fixtures.js';

testRule('no-control-columns', {
  valid: [{ name: 'opt-outs applied by the population settings', text: base.indirect() }],
  invalid: [
    { name: 'filtering on opt-out records', text: populationWhere("exists(opt_outs where ⟦opt_out_type = 'type1')"), findings: [{ message: /^`opt_outs.opt_out_type` is a control column/ }], alsoTriggers: ['no-control-tables'] },
    { name: 'filtering on when an opt-out ended', text: populationWhere('exists(opt_outs where ⟦effective_to is not null)'), findings: [{ message: /`opt_outs.effective_to`/ }], alsoTriggers: ['no-control-tables'] },
    { name: 'two control columns in one filter', text: populationWhere("exists(opt_outs where ⟦opt_out_type = 'type1' and ⟦effective_from > date '2020-01-01')"), findings: [{ message: /opt_out_type/ }, { message: /effective_from/ }], alsoTriggers: ['no-control-tables'] },
  ],
});
