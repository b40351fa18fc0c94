import type { RuleModule } from '../rule.js';

export const type1OptOut: RuleModule = {
  meta: {
    id: 'type1-opt-out',
    category: 'population',
    description: 'Type 1 opt-outs are respected, unless the extract is for direct care or a statutory data provision notice overrides them — and then only with a justification.',
    rationale:
      'Seed 002, "Patient Consent & Type 1 Opt-out": "Patients with Type 1 opt-out will not be included in the extract unless the use case is direct care OR there is a statutory data provision notice which overrides this."',
    source: 'seed 002 (Patient Consent & Type 1 Opt-out)',
    triggers:
      'population.type1_opt_out is override and either care_type is indirect with no legal_basis.data_provision_notice, or there is no type1_opt_out_justification. The first can also be met by a valid exemption from type1-opt-out, which the policy allows only under a statutory notice (legal_basis.notice) and only naming every dataset; no exemption stands in for the justification.',
    defaultSeverity: 'error',
    hard: false,
    messages: {
      notAllowed: 'Type 1 opt-outs can be overridden only for direct care or under a statutory data provision notice; this is indirect care without one',
      unjustified: 'overriding Type 1 opt-outs needs a justification (type1_opt_out_justification)',
    },
    examples: {
      failing: { yaml: 'population:\n  registration: permanent\n  deceased: exclude\n  type1_opt_out: override\n  type1_opt_out_justification: The warehouse needs complete data.\n  practices: [A81001, A81002, A81003]' },
      passing: { yaml: 'population:\n  registration: permanent\n  deceased: exclude\n  type1_opt_out: respect\n  practices: [A81001, A81002, A81003]' },
    },
  },
  check({ definition, report, spanAt }) {
    const p = definition.population;
    if (p.type1OptOut !== 'override') return;
    const span = spanAt('/population/type1_opt_out');
    const at = span ? { span } : {};
    if (definition.careType === 'indirect' && !definition.legalBasis.dataProvisionNotice) {
      report({
        messageId: 'notAllowed',
        params: {},
        ...at,
        hints: ['use type1_opt_out: respect, or cite the notice in legal_basis.data_provision_notice (or in an exemption from type1-opt-out: legal_basis.notice, every dataset, an expiry)'],
      });
    }
    if (!p.type1OptOutJustification?.trim()) report({ messageId: 'unjustified', params: {}, ...at, hints: ['add population.type1_opt_out_justification'] });
  },
};
