import { problemSpan, quoteText, textProblems } from '../meaningful-text.js';
import type { RuleModule } from '../rule.js';

export const justificationMeaningful: RuleModule = {
  meta: {
    id: 'justification-meaningful',
    category: 'minimisation',
    description: 'Every field has a justification that says why that field is needed: not blank, not a placeholder or stock phrase, nothing hidden, enough real words.',
    rationale:
      'The IM1 Data Protection Policy, "GDPR - Minimisation of Data Egress": "The consumer will only be granted access to data fields that have a clear legal basis for disclosure. As part of the extract definition, consumers must provide clear justification for the data extracted." The IM1 Bulk Extract guide: reviews confirm "that the justifications provided ... are still correct". A reviewer approves what the text shows, so a text that hides characters or only looks like words justifies nothing.',
    source: 'IM1 Data Protection Policy (Minimisation of Data Egress); IM1 Bulk Extract guide (review)',
    triggers:
      "A field's justification (as shown: NFKC, look-alike letters folded, hidden characters removed) is blank; hides zero-width, invisible or bidirectional-control characters or Cyrillic/Greek letters inside Latin words; is a placeholder (n/a, TBC, none, \"-\", \"...\", \"?\", x, TODO..., a <...> or [insert ...] slot); is one of the policy's stock phrases whatever its case, punctuation, padding words or synonyms (\"Required for analytical purposes\" is \"needed for analysis\"), or is made only of generic words (generic_words) and the field's own name; is lorem ipsum or keyboard mashing; repeats itself to look longer; is shorter than justification_min_length (15) characters; or has fewer than justification_min_words (3) distinct real words.",
    defaultSeverity: 'error',
    hard: false,
    messages: {
      blank: 'field `{field}` has no justification',
      placeholder: 'the justification of `{field}` is still a placeholder ("{text}")',
      placeholderWhy: 'the justification of `{field}` is still a placeholder ("{text}"): {detail}',
      boilerplate: 'the justification of `{field}` ("{text}") is a stock phrase: say why this field is needed for the use case',
      short: 'the justification of `{field}` ("{text}") is too short to say why the field is needed',
      hidden: 'the justification of `{field}` ("{text}") {detail}: the file says something other than what a reviewer sees',
      filler: 'the justification of `{field}` ("{text}") is not written in words: {detail}',
      'few-words': 'the justification of `{field}` ("{text}") says too little: {detail}',
      repetitive: 'the justification of `{field}` ("{text}") repeats the same words to look longer',
    },
    optionSchema: {
      type: 'object',
      properties: {
        justification_min_length: { type: 'integer' },
        justification_min_words: { type: 'integer' },
        boilerplate_justifications: { type: 'array', items: { type: 'string' } },
        generic_words: { type: 'array', items: { type: 'string' } },
      },
    },
    examples: {
      failing: {
        yaml: 'datasets:\n  - name: people\n    from: patient\n    fields:\n      - name: sex\n        value: sex\n        justification: Required for analytical purposes.',
        note: 'A stock phrase ("needed for analysis" in other words) says nothing about this field.',
      },
      passing: { yaml: 'datasets:\n  - name: people\n    from: patient\n    fields:\n      - name: sex\n        value: sex\n        justification: Prevalence and risk models differ by sex.' },
    },
  },
  check({ definition, policy, report, spanAt }) {
    definition.datasets.forEach((dataset, i) => {
      dataset.fields.forEach((field, j) => {
        const pointer = `/datasets/${i}/fields/${j}/justification`;
        const problem = textProblems(field.justification, 'justification', policy, { subject: [field.name] })[0];
        if (!problem) return;
        const span = problemSpan(definition, pointer, problem, spanAt);
        const params = { field: `${dataset.name}.${field.name}`, text: quoteText(field.justification), detail: problem.detail };
        const messageId = problem.kind === 'stock' ? 'boilerplate' : problem.kind === 'vague-reference' ? 'few-words' : problem.kind === 'placeholder' && problem.phrase ? 'placeholderWhy' : problem.kind;
        const hints = [`write what ${field.name} is used for in ${dataset.name}, e.g. "Links each reading to the person."`];
        if (problem.kind === 'hidden') hints.unshift('retype the text without the hidden characters');
        report({ messageId, params, ...(span ? { span } : {}), hints });
      });
    });
  },
};
