import { base, testRule, variant } from '../support/rule-tester.js';
import { bloodPressureWhere } from './hard-rules.fixtures.js';

testRule('known-concepts', {
  valid: [
    { name: 'concepts of the sample terminology', text: base.indirect() },
    { name: 'a list of known concepts', text: bloodPressureWhere('code in (271649006, 271650006)') },
  ],
  invalid: [
    { name: 'a well-formed id the terminology does not know', text: bloodPressureWhere('code in << 75367002 OR << ⟦1234567009'), findings: [{ severity: 'warning', message: /^concept 1234567009 is not in the sample terminology \(105 concepts\)/ }] },
    { name: 'an inactive concept', text: bloodPressureWhere('code = ⟦999900031000000101'), findings: [{ severity: 'warning', message: /is inactive/ }] },
  ],
});
