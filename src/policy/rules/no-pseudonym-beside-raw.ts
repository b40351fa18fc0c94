import { exposures } from '../../resolve/exposure.js';
import { columnName, expressionSites } from '../expression-sites.js';
import type { RuleModule } from '../rule.js';

export const noPseudonymBesideRaw: RuleModule = {
  meta: {
    id: 'no-pseudonym-beside-raw',
    category: 'minimisation',
    description: 'An extract never carries a pseudonym together with the value it is derived from, in the same dataset or in another dataset of the extract.',
    rationale:
      'The IM1 Data Protection Policy: pseudonymised data must not allow "singling out" or linkage back to the person. A keyed pseudonym protects only while the key and the mapping stay with the provider; a row that holds `pseudonym(nhs_number, key)` beside `nhs_number` (or `pseudonym(patient_id, key)` beside `patient_id`) is that mapping: a re-identification table for every other feed pseudonymised with the same key. Datasets of one extract arrive together, so the same holds across them.',
    source: 'IM1 Data Protection Policy (Minimisation of Data Egress; singling out; linkability)',
    triggers: 'A field reads a column other than through pseudonym() and a field of the same extract (any dataset) reads the same column through pseudonym().',
    defaultSeverity: 'error',
    hard: false,
    messages: {
      beside: '`{field}` gives `{column}` as it is, and `{pseudonym}` gives its pseudonym: together they map pseudonyms back to the value, a re-identification table',
    },
    examples: {
      failing: {
        base: 'direct',
        yaml: "datasets:\n  - name: children\n    from: patient\n    fields:\n      - name: nhs_number\n        value: nhs_number\n        justification: Matches each child to the child health record.\n      - name: person_key\n        value: pseudonym(nhs_number, 'chis-key')\n        justification: Links the child to the immunisation history held elsewhere.",
      },
      passing: {
        base: 'direct',
        yaml: 'datasets:\n  - name: children\n    from: patient\n    fields:\n      - name: nhs_number\n        value: nhs_number\n        justification: Matches each child to the child health record.',
      },
    },
  },
  check({ definition, catalogue, report, spanAt }) {
    const sites = expressionSites(definition, catalogue.population.patient.table).filter((s) => s.role === 'field');
    // The first field that pseudonymises each column (table.column, whatever relation reaches it).
    const pseudonymised = new Map<string, string>();
    for (const site of sites) {
      for (const e of exposures(site.expression)) {
        const key = `${e.column.table}.${e.column.column}`;
        if (e.protection === 'pseudonymised' && !pseudonymised.has(key)) pseudonymised.set(key, `${site.dataset}.${site.field!.name}`);
      }
    }
    if (pseudonymised.size === 0) return;
    for (const site of sites) {
      const field = `${site.dataset}.${site.field!.name}`;
      const raw = exposures(site.expression).find((e) => e.protection !== 'pseudonymised' && pseudonymised.has(`${e.column.table}.${e.column.column}`));
      if (!raw) continue;
      const span = spanAt(site.pointer);
      report({
        messageId: 'beside',
        params: { field, column: columnName(raw.column), pseudonym: pseudonymised.get(`${raw.column.table}.${raw.column.column}`)! },
        ...(span ? { span } : {}),
        scope: { field },
        hints: ['keep one of the two: the value where the recipient may know who the patient is, or the pseudonym where it may not'],
      });
    }
  },
};
