import { base, testRule } from '../support/rule-tester.js';
import { bloodPressureField, bloodPressureWhere, populationWhere } from './hard-rules.fixtures.js';

testRule('no-free-text', {
  valid: [
    { name: 'coded data only', text: base.indirect() },
    { name: 'a coded column beside free text', text: bloodPressureField('unit', 'value_unit') },
  ],
  invalid: [
    { name: 'a comment as a field', text: bloodPressureField('note', '⟦comment'), findings: [{ message: /^`comment` is free text, which is never extracted \(field blood_pressure.note\)$/ }] },
    { name: 'a comment in a filter', text: bloodPressureWhere("code in << 75367002 and ⟦comment is not null"), findings: [{ message: /^`comment` is free text, which cannot be used in a filter either \(blood_pressure\)$/ }] },
    { name: 'free text inside a function', text: bloodPressureField('note', 'lower(⟦comment)'), findings: [{ message: /field blood_pressure.note/ }] },
    { name: 'free text of a related table inside exists()', text: populationWhere("exists(referrals where ⟦notes = 'urgent')"), findings: [{ message: /`referrals.notes` is free text.*\(population\)/ }] },
    { name: 'a consultation summary through a relation', text: bloodPressureField('summary', '⟦consultation.summary'), findings: [{ message: /`consultation.summary`/ }] },
  ],
});
