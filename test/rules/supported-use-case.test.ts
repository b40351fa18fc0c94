import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resources } from '../../src/resources.js';
import { base, testRule, variant, INDIRECT_BASE } from '../support/rule-tester.js';

const phm = base.indirect();
const chis = base.direct();

testRule('supported-use-case', {
  valid: [
    { name: 'targeted reporting for direct care (CHIS)', text: chis },
    { name: 'a data warehouse for indirect care', text: phm },
    { name: 'direct care planning by the practice', text: base.recall() },
    { name: 'targeted reporting for indirect care', text: variant(phm, 'use_case: data_warehouse', 'use_case: targeted_reporting') },
  ],
  invalid: [
    { name: 'a record viewer', text: variant(phm, 'use_case: data_warehouse', 'use_case: ⟦record_viewer'), findings: [{ message: /^`record_viewer` is not a use case IM1 Bulk supports: .*use IM1 transactional$/ }] },
    { name: 'a patient-facing service', text: variant(phm, 'use_case: data_warehouse', 'use_case: ⟦patient_facing'), findings: [{ message: /use IM1 PFS$/ }] },
    { name: 'data migration', text: variant(phm, 'use_case: data_warehouse', 'use_case: ⟦data_migration'), findings: [{ message: /use the NHS data migration standard$/ }] },
    { name: 'clinical decision support', text: variant(phm, 'use_case: data_warehouse', 'use_case: ⟦clinical_decision_support'), findings: [{ message: /IM1 transactional/ }] },
    {
      name: 'in the exdef language',
      syntax: 'exdef',
      text: variant(readFileSync(INDIRECT_BASE.exdef, 'utf8'), 'USE CASE data_warehouse', 'USE CASE ⟦data_migration'),
      findings: [{ message: /data migration standard/ }],
    },
    {
      name: 'direct care planning called indirect care',
      text: variant(variant(base.recall(), 'care_type: direct', 'care_type: ⟦indirect'), 'type1_opt_out: override', 'type1_opt_out: respect'),
      alsoTriggers: ['direct-identifiers-need-basis'],
      findings: [{ message: /direct_care_planning is direct care/ }],
    },
    {
      // Its intended use and legal basis statement speak of population health, not of the care of individuals.
      name: 'a warehouse called direct care',
      text: variant(variant(variant(phm, 'care_type: indirect', 'care_type: ⟦direct'), 'intended_use: >-', 'intended_use: ⟦>-'), '  statement: >-', '  statement: ⟦>-'),
      findings: [{ message: /data warehouse feed serves a population/ }, { message: /^intended_use speaks of "population health"/ }, { message: /^legal_basis.statement speaks of "population health"/ }],
    },
  ],
});
