import type { ExtractDefinition } from '../../ir/extract-definition.js';
import { contentWords, quoteText, textSimilarity } from '../meaningful-text.js';
import type { RuleModule } from '../rule.js';

/** A text that justifies or states one thing, where it is written and what it is for. */
interface TextUse {
  pointer: string;
  /** people.sex, population.deceased_justification, intended_use */
  label: string;
  text: string;
  purpose: 'field' | 'population' | 'governance';
  dataset?: number;
  /** Words naming what the text is about (the field's name): they do not make two texts differ. */
  subject?: string[];
}

/** Every justification and governance statement of a definition, in document order. */
export function textUses(definition: ExtractDefinition): TextUse[] {
  const uses: TextUse[] = [];
  const governance: [string, string, string | undefined][] = [
    ['/intended_use', 'intended_use', definition.intendedUse],
    ['/legal_basis/statement', 'legal_basis.statement', definition.legalBasis.statement],
    ['/risk/singling_out', 'risk.singling_out', definition.risk.singlingOut],
    ['/risk/linkability', 'risk.linkability', definition.risk.linkability],
  ];
  for (const [pointer, label, text] of governance) if (text?.trim()) uses.push({ pointer, label, text, purpose: 'governance' });
  const p = definition.population;
  const population: [string, string | undefined][] = [
    ['registration_justification', p.registrationJustification],
    ['deceased_justification', p.deceasedJustification],
    ['type1_opt_out_justification', p.type1OptOutJustification],
    ['national_data_opt_out_justification', p.nationalDataOptOutJustification],
  ];
  for (const [key, text] of population) if (text?.trim()) uses.push({ pointer: `/population/${key}`, label: `population.${key}`, text, purpose: 'population' });
  definition.datasets.forEach((dataset, i) => {
    dataset.fields.forEach((field, j) => {
      if (field.justification.trim()) {
        uses.push({ pointer: `/datasets/${i}/fields/${j}/justification`, label: `${dataset.name}.${field.name}`, text: field.justification, purpose: 'field', dataset: i, subject: [field.name] });
      }
    });
  });
  // A text with no words at all is justification-meaningful's to report, not a copy of anything.
  return uses.filter((u) => contentWords(u.text).length > 0);
}

export const justificationNotRepeated: RuleModule = {
  meta: {
    id: 'justification-not-repeated',
    category: 'minimisation',
    description: 'Each field and each population choice is justified on its own: one text, or near copies of it, is not pasted on many fields or reused for another purpose.',
    rationale:
      'The IM1 Data Protection Policy asks for "clear justification for the data extracted" field by field ("only ... data fields that have a clear legal basis for disclosure"). The same sentence pasted on every field justifies none of them: it is how unneeded fields slip through review. Changing one word per field does not make the sentence say more, and a population justification that repeats the intended use or another justification says nothing about the choice it is attached to.',
    source: 'IM1 Data Protection Policy (Minimisation of Data Egress)',
    triggers:
      'One justification, or texts near-identical to it (content words overlapping at least near_duplicate_similarity, 0.7, as a reader sees them, ignoring the field\'s own name), is used on more than justification_max_repeats (2) fields, or on every field of a dataset of three or more fields; or a field or population justification is a near copy of a governance statement (intended use, legal basis statement, risk statements) or of another population justification.',
    defaultSeverity: 'error',
    hard: false,
    messages: {
      repeated: 'the same justification is used on {count} fields ({fields}){worded}: justify each field for what it is',
      copied: 'the justification `{label}` ("{text}") repeats `{other}`: say why this {purpose} is needed, not what the extract is for',
    },
    optionSchema: { type: 'object', properties: { justification_max_repeats: { type: 'integer' }, near_duplicate_similarity: { type: 'number' } } },
    examples: {
      failing: {
        yaml: 'datasets:\n  - name: people\n    from: patient\n    fields:\n      - name: birth_year\n        value: year(date_of_birth)\n        justification: Required for the ICB risk stratification programme (age).\n      - name: sex\n        value: sex\n        justification: Required for the ICB risk stratification programme (gender).\n      - name: district\n        value: postcode_district(postcode)\n        justification: Required for the ICB risk stratification programme (place).',
        note: 'One sentence with a word changed per field justifies none of them.',
      },
      passing: {
        yaml: 'datasets:\n  - name: people\n    from: patient\n    fields:\n      - name: birth_year\n        value: year(date_of_birth)\n        justification: Age is the main driver of risk stratification.\n      - name: sex\n        value: sex\n        justification: Prevalence and risk models differ by sex.',
      },
    },
  },
  check({ definition, policy, report, spanAt }) {
    const threshold = policy.thresholds.nearDuplicateSimilarity;
    const maxRepeats = policy.thresholds.justificationMaxRepeats;
    const uses = textUses(definition);
    const alike = (a: TextUse, b: TextUse) => textSimilarity(a.text, b.text, { ...(a.subject ? { a: a.subject } : {}), ...(b.subject ? { b: b.subject } : {}) }) >= threshold;
    const at = (use: TextUse) => {
      const span = spanAt(use.pointer);
      return span ? { span } : {};
    };

    // Field justifications: groups of near-identical texts (each text joins the first group it is like).
    const fields = uses.filter((u) => u.purpose === 'field');
    const groups: TextUse[][] = [];
    for (const use of fields) {
      const group = groups.find((g) => g.some((member) => alike(member, use)));
      if (group) group.push(use);
      else groups.push([use]);
    }
    for (const group of groups) {
      const everyFieldOfADataset = definition.datasets.some((d, i) => d.fields.length >= 3 && d.fields.every((_, j) => group.some((u) => u.pointer === `/datasets/${i}/fields/${j}/justification`)));
      if (group.length <= maxRepeats && !everyFieldOfADataset) continue;
      const exact = group.every((u) => u.text.trim() === group[0]!.text.trim());
      // Reported once, at the first repetition beyond the allowed number.
      const where = group[Math.min(maxRepeats, group.length - 1)]!;
      report({ messageId: 'repeated', params: { count: group.length, fields: group.map((u) => u.label).join(', '), worded: exact ? '' : ', worded slightly differently' }, ...at(where) });
    }

    // A field or population justification that copies a governance statement or another population
    // justification: reported at the copy (the later of two population justifications).
    const population = uses.filter((u) => u.purpose === 'population');
    const governance = uses.filter((u) => u.purpose === 'governance');
    for (const use of [...population, ...fields]) {
      const earlierPopulation = use.purpose === 'population' ? population.slice(0, population.indexOf(use)) : population;
      const original = [...governance, ...earlierPopulation].find((other) => alike(use, other));
      if (!original) continue;
      report({
        messageId: 'copied',
        params: { label: use.label, text: quoteText(use.text), other: original.label, purpose: use.purpose === 'field' ? 'field' : 'population choice' },
        ...at(use),
      });
    }
  },
};
