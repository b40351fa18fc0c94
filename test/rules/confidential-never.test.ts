import { base, testRule } from '../support/rule-tester.js';
import { bloodPressureField, bloodPressureWhere, populationWhere } from './hard-rules.fixtures.js';

testRule('confidential-never', {
  valid: [{ name: 'confidential items excluded without asking', text: base.indirect() }],
  invalid: [
    { name: 'a filter on the flag', text: bloodPressureWhere('code in << 75367002 and not ⟦confidential'), findings: [{ message: /^`confidential` marks items confidential from third parties/ }] },
    { name: 'the flag as a field', text: bloodPressureField('confidential', '⟦confidential'), findings: [{ message: /blood_pressure.confidential/ }] },
    { name: 'the flag of a related table inside exists()', text: populationWhere('exists(referrals where ⟦confidential = true)'), findings: [{ message: /`referrals.confidential`/ }] },
  ],
});
