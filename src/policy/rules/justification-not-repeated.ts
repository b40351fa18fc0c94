import type { RuleModule } from '../rule.js';
import { normaliseJustification } from './justification-meaningful.js';

export const justificationNotRepeated: RuleModule = {
  meta: {
    id: 'justification-not-repeated',
    category: 'minimisation',
    description: 'Each field is justified on its own: one text is not pasted on many fields.',
    rationale:
      'Seed 002 asks for "clear justification for the data extracted" field by field ("only ... data fields that have a clear legal basis for disclosure"). The same sentence pasted on every field justifies none of them: it is how unneeded fields slip through review.',
    source: 'seed 002 (Minimisation of Data Egress)',
    triggers: 'One justification text is used on more than justification_max_repeats (2) fields, or on every field of a dataset of three or more fields.',
    defaultSeverity: 'error',
    hard: false,
    messages: { repeated: 'the same justification is used on {count} fields ({fields}): justify each field for what it is' },
    optionSchema: { type: 'object', properties: { justification_max_repeats: { type: 'integer' } } },
    examples: {
      failing: {
        yaml: 'datasets:\n  - name: people\n    from: patient\n    fields:\n      - name: birth_year\n        value: year(date_of_birth)\n        justification: Required for the ICB risk stratification programme.\n      - name: sex\n        value: sex\n        justification: Required for the ICB risk stratification programme.\n      - name: district\n        value: postcode_district(postcode)\n        justification: Required for the ICB risk stratification programme.',
      },
      passing: {
        yaml: 'datasets:\n  - name: people\n    from: patient\n    fields:\n      - name: birth_year\n        value: year(date_of_birth)\n        justification: Age is the main driver of risk stratification.\n      - name: sex\n        value: sex\n        justification: Prevalence and risk models differ by sex.',
      },
    },
  },
  check({ definition, policy, report, spanAt }) {
    const uses = new Map<string, { field: string; pointer: string }[]>();
    definition.datasets.forEach((dataset, i) => {
      const inDataset = new Map<string, number>();
      dataset.fields.forEach((field, j) => {
        const key = normaliseJustification(field.justification);
        if (key === '') return;
        inDataset.set(key, (inDataset.get(key) ?? 0) + 1);
        const list = uses.get(key) ?? [];
        list.push({ field: `${dataset.name}.${field.name}`, pointer: `/datasets/${i}/fields/${j}/justification` });
        uses.set(key, list);
      });
      // One text on every field of a dataset of three or more fields.
      if (dataset.fields.length >= 3 && inDataset.size === 1) {
        const key = [...inDataset.keys()][0]!;
        const list = uses.get(key)!;
        if (list.length <= policy.thresholds.justificationMaxRepeats) uses.set(key, [...list, { field: '', pointer: '' }]);
      }
    });
    for (const list of uses.values()) {
      const real = list.filter((u) => u.field !== '');
      if (list.length <= policy.thresholds.justificationMaxRepeats) continue;
      // Reported once, at the first repetition beyond the allowed number.
      const at = real[Math.min(policy.thresholds.justificationMaxRepeats, real.length - 1)]!;
      const span = spanAt(at.pointer);
      report({ messageId: 'repeated', params: { count: real.length, fields: real.map((u) => u.field).join(', ') }, ...(span ? { span } : {}) });
    }
  },
};
