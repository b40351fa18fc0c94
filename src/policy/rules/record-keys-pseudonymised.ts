import type { IrExpr } from '../../ir/expression.js';
import { walkIr } from '../../ir/walk.js';
import { exposures } from '../../resolve/exposure.js';
import { columnName, expressionSites } from '../expression-sites.js';
import type { RuleModule } from '../rule.js';

export const recordKeysPseudonymised: RuleModule = {
  meta: {
    id: 'record-keys-pseudonymised',
    category: 'minimisation',
    description:
      "In indirect care, the internal keys of patients' records (patient_id, observation_id, consultation_id and every other key or reference of a patient-linked table) leave only as a keyed pseudonym, and filters do not pick records out by key.",
    rationale:
      'The IM1 Data Protection Policy: "The consumer will only be granted access to data fields that have a clear legal basis for disclosure" and must consider "singling out" and linkability. A record key is an identifier: it is the same in every extract and in the supplier\'s own system, so whoever holds it can single the patient out and join any other release that carries it. A keyed pseudonym links the rows of one feed without that; a filter such as `patient_id = 1042` picks one patient out by key.',
    source: 'IM1 Data Protection Policy (Minimisation of Data Egress; singling out; linkability)',
    triggers:
      'care_type is indirect and a field reads a column the catalogue makes a record key (a system column that is the primary key of a patient-linked table or refers to a key) other than through pseudonym(), or a filter compares a record key (or its pseudonym) with anything.',
    defaultSeverity: 'error',
    hard: false,
    messages: {
      field: '`{field}` exposes the record key `{column}`: in indirect care an internal key is an identifier, so it leaves only as a keyed pseudonym',
      filter: 'the filter of {where} compares the record key `{column}`: in indirect care a filter does not pick patients or records out by an internal identifier',
    },
    examples: {
      failing: { yaml: 'datasets:\n  - name: people\n    from: patient\n    fields:\n      - name: patient_key\n        value: patient_id\n        justification: Links the warehouse records of a person.' },
      passing: { yaml: "datasets:\n  - name: people\n    from: patient\n    fields:\n      - name: patient_key\n        value: pseudonym(patient_id, 'phm-icb-key')\n        justification: Links the warehouse records of a person without revealing who they are." },
    },
  },
  check({ definition, catalogue, report, spanAt }) {
    if (definition.careType !== 'indirect') return;
    for (const site of expressionSites(definition, catalogue.population.patient.table)) {
      if (site.role === 'field') {
        const keys = exposures(site.expression).filter((e) => e.column.recordKey && e.protection !== 'pseudonymised');
        if (keys.length === 0) continue;
        const field = `${site.dataset}.${site.field!.name}`;
        const name = columnName(keys[0]!.column);
        const span = spanAt(site.pointer);
        report({
          messageId: 'field',
          params: { field, column: name },
          ...(span ? { span } : {}),
          scope: { field },
          hints: [`write value: pseudonym(${name}, 'your-key-name') to link rows without the supplier's own key`],
        });
        continue;
      }
      for (const node of keysCompared(site.expression)) {
        const span = node.span ?? spanAt(site.pointer);
        report({
          messageId: 'filter',
          params: { where: site.dataset ? `dataset \`${site.dataset}\`` : 'the population', column: columnName(node) },
          ...(span ? { span } : {}),
          hints: ['choose records by clinical or administrative criteria, not by their key'],
        });
      }
    }
  },
};

type KeyColumn = Extract<IrExpr, { kind: 'column' }>;

/**
 * Record-key columns that a comparison, list or range tests. Whatever the other side is
 * (`patient_id = 1042`, `patient_id = 1042 + 0 * observation_id`), a key compared with anything
 * but itself only ever picks records out by who they are; `is null` is left alone.
 */
function keysCompared(expression: IrExpr): KeyColumn[] {
  const found: KeyColumn[] = [];
  // A pseudonym of a key compared with a constant singles out as well as the key.
  const keysIn = (e: IrExpr) => exposures(e).filter((x) => x.column.recordKey).map((x) => x.node);
  walkIr(expression, (node) => {
    if (node.kind === 'binary' && ['=', '<>', '<', '<=', '>', '>='].includes(node.op)) {
      found.push(...keysIn(node.left), ...keysIn(node.right));
      return 'skip';
    }
    if (node.kind === 'inList' || node.kind === 'between') {
      found.push(...keysIn(node));
      return 'skip';
    }
    return undefined;
  });
  return found;
}
