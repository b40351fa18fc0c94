import type { RuleModule } from '../rule.js';

/** A justification compared with the stock phrases: lower case, letters, digits and spaces only. */
/**
 * A placeholder left for the author to fill in, as `exdef init` writes them: text starting with
 * TODO, TBD or FIXME, or a whole `<...>` slot. Never a statement of anything.
 */
export function isPlaceholder(text: string): boolean {
  const t = text.trim();
  return /^(TODO|TBD|FIXME)\b/i.test(t) || /^<[^<>]*>$/.test(t);
}

export function normaliseJustification(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9/ ]+/g, ' ').replace(/\s+/g, ' ').trim();
}

export const justificationMeaningful: RuleModule = {
  meta: {
    id: 'justification-meaningful',
    category: 'minimisation',
    description: 'Every field has a justification that says why that field is needed: not blank, not a stock phrase, not a few words.',
    rationale:
      'Seed 002, "GDPR - Minimisation of Data Egress": "The consumer will only be granted access to data fields that have a clear legal basis for disclosure. As part of the extract definition, consumers must provide clear justification for the data extracted." Seed 000: reviews confirm "that the justifications provided ... are still correct".',
    source: 'seed 002 (Minimisation of Data Egress); seed 000 (review)',
    triggers: "A field's justification is blank, is a placeholder (starting TODO, TBD or FIXME, or a whole <...> slot, as `exdef init` writes them), is one of the policy's stock phrases (\"needed\", \"for analysis\", \"business need\", ...), or is shorter than justification_min_length (15) characters.",
    defaultSeverity: 'error',
    hard: false,
    messages: {
      blank: 'field `{field}` has no justification',
      placeholder: 'the justification of `{field}` is still a placeholder ("{text}")',
      boilerplate: 'the justification of `{field}` ("{text}") is a stock phrase: say why this field is needed for the use case',
      short: 'the justification of `{field}` ("{text}") is too short to say why the field is needed',
    },
    optionSchema: { type: 'object', properties: { justification_min_length: { type: 'integer' }, boilerplate_justifications: { type: 'array', items: { type: 'string' } } } },
    examples: {
      failing: {
        yaml: 'datasets:\n  - name: people\n    from: patient\n    fields:\n      - name: sex\n        value: sex\n        justification: Needed for analysis.',
        note: 'A stock phrase says nothing about this field.',
      },
      passing: { yaml: 'datasets:\n  - name: people\n    from: patient\n    fields:\n      - name: sex\n        value: sex\n        justification: Prevalence and risk models differ by sex.' },
    },
  },
  check({ definition, policy, report, spanAt }) {
    const stock = new Set(policy.boilerplate.map(normaliseJustification));
    definition.datasets.forEach((dataset, i) => {
      dataset.fields.forEach((field, j) => {
        const text = field.justification.trim();
        const span = spanAt(`/datasets/${i}/fields/${j}/justification`);
        const params = { field: `${dataset.name}.${field.name}`, text };
        const at = span ? { span } : {};
        const hint = [`write what ${field.name} is used for in ${dataset.name}, e.g. "Links each reading to the person."`];
        if (text === '') report({ messageId: 'blank', params, ...at, hints: hint });
        else if (isPlaceholder(text)) report({ messageId: 'placeholder', params, ...at, hints: hint });
        else if (stock.has(normaliseJustification(text))) report({ messageId: 'boilerplate', params, ...at, hints: hint });
        else if (text.length < policy.thresholds.justificationMinLength) report({ messageId: 'short', params, ...at, hints: hint });
      });
    });
  },
};
