import { columnName } from '../expression-sites.js';
import type { RuleModule } from '../rule.js';

export const directIdentifiersNeedBasis: RuleModule = {
  meta: {
    id: 'direct-identifiers-need-basis',
    category: 'minimisation',
    description: 'An indirect-care extract carries direct identifiers (NHS number, names, address, phone, email) only with a statutory basis such as a data provision notice; otherwise it uses a pseudonym.',
    rationale:
      'Seed 002: "The consumer will only be granted access to data fields that have a clear legal basis for disclosure." Implied consent covers direct care only ("it is generally possible to imply consent for the use of confidential information for direct care purposes but not for other purposes"); outside direct care, identifying a patient needs a statutory basis such as "a statutory data provision notice". A keyed pseudonym links records without revealing who they are.',
    source: 'seed 002 (Definitions; Minimisation of Data Egress; Patient Consent)',
    triggers: 'care_type is indirect, legal_basis has no data_provision_notice, and a field exposes a column classified direct_identifier (not through pseudonym()).',
    defaultSeverity: 'error',
    hard: false,
    messages: { identifier: '`{field}` exposes {column}, a direct identifier, but this is indirect care without a statutory basis (a data provision notice)' },
    examples: {
      failing: { yaml: 'datasets:\n  - name: people\n    from: patient\n    fields:\n      - name: nhs_number\n        value: nhs_number\n        justification: Links the warehouse records of a person.' },
      passing: { yaml: "datasets:\n  - name: people\n    from: patient\n    fields:\n      - name: person_key\n        value: pseudonym(nhs_number, 'phm-icb-key')\n        justification: Links the warehouse records of a person without revealing who they are." },
    },
  },
  check({ definition, report, spanAt }) {
    if (definition.careType !== 'indirect' || definition.legalBasis.dataProvisionNotice) return;
    definition.datasets.forEach((dataset, i) => {
      dataset.fields.forEach((field, j) => {
        if (field.transform === 'pseudonym') return;
        const identifiers = field.sources.filter((s) => s.classification === 'direct_identifier');
        if (identifiers.length === 0) return;
        const column = identifiers.map((s) => `\`${columnName(s)}\``).join(' and ');
        const source = identifiers[0]!;
        const span = spanAt(`/datasets/${i}/fields/${j}/value`);
        report({
          messageId: 'identifier',
          params: { field: `${dataset.name}.${field.name}`, column },
          ...(span ? { span } : {}),
          scope: { field: `${dataset.name}.${field.name}` },
          hints: [`use pseudonym(${columnName(source)}, 'your-key-name') to link records without identifying the patient, or cite the data provision notice in legal_basis.data_provision_notice`],
        });
      });
    });
  },
};
