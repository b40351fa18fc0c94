import { base, testRule } from '../support/rule-tester.js';
import { bloodPressureField, populationWhere } from './hard-rules.fixtures.js';

testRule('pds-sensitive-never', {
  valid: [{ name: 'PDS-sensitive patients excluded without asking', text: base.indirect() }],
  invalid: [
    { name: 'a population filter on the flag', text: populationWhere('⟦pds_sensitive = false'), findings: [{ message: /^`pds_sensitive` is the PDS sensitive flag: PDS-sensitive patients are never extracted and the flag is not readable \(population\)$/ }] },
    { name: 'the flag as a field, through a relation', text: bloodPressureField('sensitive', '⟦patient.pds_sensitive'), findings: [{ message: /`patient.pds_sensitive`.*\(blood_pressure.sensitive\)/ }] },
  ],
});
