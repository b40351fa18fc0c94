import { exposures } from '../../resolve/exposure.js';
import { columnName, expressionSites } from '../expression-sites.js';
import { statutoryNotice } from '../legal-basis.js';
import type { RuleModule } from '../rule.js';

export const directIdentifiersNeedBasis: RuleModule = {
  meta: {
    id: 'direct-identifiers-need-basis',
    category: 'minimisation',
    description:
      'An indirect-care extract processes direct identifiers (NHS number, names, address, phone, email) only with a statutory basis such as a data provision notice: not as fields (unless pseudonymised), and not in filters.',
    rationale:
      'The IM1 Data Protection Policy: "The consumer will only be granted access to data fields that have a clear legal basis for disclosure." Implied consent covers direct care only ("it is generally possible to imply consent for the use of confidential information for direct care purposes but not for other purposes"); outside direct care, identifying a patient needs a statutory basis such as "a statutory data provision notice". A keyed pseudonym links records without revealing who they are. Selecting rows by an identifier is processing it too: `nhs_number = \'9434765919\'` in a filter singles out one named patient as surely as a column of NHS numbers, and a case change or coalesce() of a name is still the name.',
    source: 'IM1 Data Protection Policy (Definitions; Minimisation of Data Egress; Patient Consent)',
    triggers:
      'care_type is indirect, legal_basis has no data_provision_notice that is a real reference (a placeholder, or a notice that is requested, pending, awaited, applied for, in draft, to follow or TBC, or a "see ..." pointer, counts as none: governance-complete reports it), and a field reads a column classified direct_identifier other than through pseudonym(), or a filter (population, dataset, or inside exists) reads one at all.',
    defaultSeverity: 'error',
    hard: false,
    messages: {
      identifier: '`{field}` exposes {column}, a direct identifier, but this is indirect care without a statutory basis (a data provision notice)',
      filter: 'the filter of {where} reads `{column}`, a direct identifier: selecting patients by it processes the identifier, and this is indirect care without a statutory basis (a data provision notice)',
    },
    examples: {
      failing: { yaml: 'datasets:\n  - name: people\n    from: patient\n    fields:\n      - name: nhs_number\n        value: nhs_number\n        justification: Links the warehouse records of a person.' },
      passing: { yaml: "datasets:\n  - name: people\n    from: patient\n    fields:\n      - name: person_key\n        value: pseudonym(nhs_number, 'phm-icb-key')\n        justification: Links the warehouse records of a person without revealing who they are." },
    },
  },
  check({ definition, catalogue, policy, report, spanAt }) {
    // A notice that is not a reference (a placeholder, "requested", "TBC") is no notice.
    if (definition.careType !== 'indirect' || statutoryNotice(definition, policy)) return;
    for (const site of expressionSites(definition, catalogue.population.patient.table)) {
      const identifiers = exposures(site.expression).filter((e) => e.column.classification === 'direct_identifier');
      if (site.role === 'field') {
        // A pseudonym hides the value; anything else (case, coalesce, comparison) lets it out.
        const raw = identifiers.filter((e) => e.protection !== 'pseudonymised');
        if (raw.length === 0) continue;
        const names = [...new Set(raw.map((e) => columnName(e.column)))];
        const field = `${site.dataset}.${site.field!.name}`;
        const span = spanAt(site.pointer);
        report({
          messageId: 'identifier',
          params: { field, column: names.map((n) => `\`${n}\``).join(' and ') },
          ...(span ? { span } : {}),
          scope: { field },
          hints: [`use pseudonym(${names[0]}, 'your-key-name') to link records without identifying the patient, or cite the data provision notice in legal_basis.data_provision_notice`],
        });
        continue;
      }
      // In a filter even a pseudonym singles out: whoever knows the pseudonym picks the patient.
      for (const e of identifiers) {
        const span = e.node.span ?? spanAt(site.pointer);
        report({
          messageId: 'filter',
          params: { where: site.dataset ? `dataset \`${site.dataset}\`` : 'the population', column: columnName(e.column) },
          ...(span ? { span } : {}),
          hints: ['choose patients by clinical or administrative criteria, not by who they are; or cite the data provision notice in legal_basis.data_provision_notice'],
        });
      }
    }
  },
};
