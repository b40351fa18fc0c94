import type { RuleModule } from '../rule.js';

/**
 * Refused use cases (record viewers, patient-facing services, data migration) never reach the IR:
 * the format's schema lists them as refused (x-refused) and lint reports them under this rule's id
 * (see policy/refused-values.ts). On the IR the rule checks that the use case fits the care type.
 */
export const supportedUseCase: RuleModule = {
  meta: {
    id: 'supported-use-case',
    category: 'use-case',
    description:
      'IM1 Bulk supports three use cases only — targeted reporting, data warehouse, and direct care planning by an organisation with a legitimate relationship — and each must fit its care type.',
    rationale:
      'Seed 002, "Supported Use Cases": "The only supported use cases for IM1 Bulk Extracts are: targeted extracts for specific reporting use cases (e.g. CH-IS extracts); broad data extract to transfer to data warehouse (e.g. PHM/extracts); direct care planning where the organisation has a legitimate relationship (e.g. the GP Practice themselves running call/recall processes)." It must not be used for direct care by third parties (record viewers, clinical decision support: use IM1 transactional), patient-facing services (use IM1 PFS) or data migration (use the NHS data migration standard). Seed 002 defines risk stratification and service planning as indirect care.',
    source: 'seed 002 (Supported Use Cases; Definitions)',
    triggers:
      'use_case is record_viewer, clinical_decision_support, patient_facing or data_migration; direct_care_planning with care_type indirect; data_warehouse with care_type direct.',
    defaultSeverity: 'error',
    hard: false,
    messages: {
      refused: '`{value}` is not a use case IM1 Bulk supports: {reason}',
      planningIsDirect: 'direct_care_planning is direct care, but care_type says indirect',
      warehouseIsIndirect: 'a data warehouse feed serves a population (indirect care), but care_type says direct',
    },
    examples: {
      failing: { yaml: 'use_case: record_viewer', note: 'A record viewer is direct care by a third party: IM1 transactional is the route for it.' },
      passing: { yaml: 'use_case: data_warehouse\ncare_type: indirect' },
    },
  },
  check({ definition, report, spanAt }) {
    if (definition.useCase === 'direct_care_planning' && definition.careType === 'indirect') {
      report({ messageId: 'planningIsDirect', params: {}, span: spanAt('/care_type'), hints: ['set care_type: direct, or choose targeted_reporting or data_warehouse'] });
    }
    if (definition.useCase === 'data_warehouse' && definition.careType === 'direct') {
      report({
        messageId: 'warehouseIsIndirect',
        params: {},
        span: spanAt('/care_type'),
        hints: ['set care_type: indirect; direct care by a third party uses IM1 transactional, not a bulk extract'],
      });
    }
  },
};
