import { findColumn, findTable, type Catalogue } from '../../catalogue/catalogue.js';
import type { Dataset, ExtractDefinition, Field } from '../../ir/extract-definition.js';
import { columnName } from '../expression-sites.js';
import type { RuleModule } from '../rule.js';

/** One quasi-identifier of a dataset and how much it narrows down who a row is. */
export interface QuasiIdentifierScore {
  field: string;
  column: string;
  /** How the field shows it (full, year, month, age band, district...). */
  granularity: string;
  /** Bits of identifying information: each bit halves the group a row could belong to. */
  bits: number;
}

export interface DisclosureScore {
  dataset: string;
  identifiers: QuasiIdentifierScore[];
  directIdentifiers: string[];
  bits: number;
  population: number;
  /** Patients expected to share one combination of the quasi-identifiers. */
  expectedGroupSize: number;
  level: 'low' | 'medium' | 'high' | 'very high';
}

const log2 = Math.log2;

/**
 * Bits of identifying information of one quasi-identifying field, by what it shows: a full date
 * of birth is one day in some 33,000 (15 bits); its month one in 1,100; its year one in 90.
 */
function score(field: Field, column: { type: string; format?: string; values?: string[]; name: string }): { granularity: string; bits: number } | undefined {
  const t = field.transform;
  if (column.type === 'date') {
    if (t === 'none' || t === 'computed') return { granularity: 'full date', bits: log2(90 * 365.25) };
    if (t === 'month') return { granularity: 'month', bits: log2(90 * 12) };
    if (t === 'year' || t === 'age_years') return { granularity: t === 'year' ? 'year' : 'age in years', bits: log2(90) };
    if (t === 'age_band') {
      const width = field.value.kind === 'call' && field.value.args[1]?.kind === 'literal' ? Number(field.value.args[1].value) : 5;
      return { granularity: `${width}-year age band`, bits: log2(95 / Math.max(1, width)) };
    }
    return undefined;
  }
  if (column.format === 'postcode') {
    // A practice's patients live in some 2,000 postcodes and a handful of districts.
    if (t === 'postcode_district') return { granularity: 'postcode district', bits: log2(5) };
    if (t === 'none' || t === 'computed') return { granularity: 'full postcode', bits: 11 };
    return undefined;
  }
  if (t === 'pseudonym') return undefined;
  // A handful of categories where one or two dominate (sex): about one bit.
  if (column.values) return { granularity: 'category', bits: column.values.length <= 4 ? 1 : Math.min(log2(column.values.length), 3) };
  if (column.name.startsWith('ethnic')) return { granularity: 'category', bits: 2 };
  return { granularity: 'value', bits: 3 };
}

/** The static disclosure-risk score of a dataset (also shown by `exdef report`). */
export function disclosureScore(dataset: Dataset, definition: ExtractDefinition, catalogue: Catalogue, assumedListSize: number, k: number): DisclosureScore {
  const identifiers: QuasiIdentifierScore[] = [];
  const direct = new Set<string>();
  const seen = new Set<string>();
  for (const field of dataset.fields) {
    for (const source of field.sources) {
      if (source.classification === 'direct_identifier' && field.transform !== 'pseudonym') direct.add(field.name === source.column && source.path.length === 0 ? field.name : `${field.name} (${columnName(source)})`);
      if (source.classification !== 'quasi_identifier') continue;
      const table = findTable(catalogue, source.table);
      const column = table && findColumn(table, source.column);
      if (!column) continue;
      const scored = score(field, column);
      const key = `${source.table}.${source.column}`;
      if (!scored || seen.has(key)) continue;
      seen.add(key);
      identifiers.push({ field: field.name, column: columnName(source), ...scored });
    }
  }
  const bits = identifiers.reduce((sum, q) => sum + q.bits, 0);
  const population = definition.population.practices.length * assumedListSize;
  const expectedGroupSize = population / 2 ** bits;
  const level = expectedGroupSize < 1 ? 'very high' : expectedGroupSize < k ? 'high' : expectedGroupSize < k * 10 ? 'medium' : 'low';
  return { dataset: dataset.name, identifiers, directIdentifiers: [...direct], bits, population, expectedGroupSize, level };
}

function explain(s: DisclosureScore): string {
  return s.identifiers.map((q) => `${q.column} (${q.granularity}, ${q.bits.toFixed(1)} bits)`).join(' + ');
}

export const disclosureRisk: RuleModule = {
  meta: {
    id: 'disclosure-risk',
    category: 'disclosure',
    description: 'The combination of quasi-identifiers in each dataset is scored: in indirect care, rows must not be expected to single people out.',
    rationale:
      'Seed 002: "the consumer must give special consideration to, and provide a statement on the risk of a) singling out b) linkability (otherwise known as the mosaic effect)" (ICO guidance). Each quasi-identifier narrows the group a row could belong to: a full date of birth with a full postcode and sex singles out almost everyone, while year of birth, sex and district leave large groups. The score is the expected number of patients sharing one combination among those in scope (practices times an assumed list size); `exdef run` measures the real smallest group (k-anonymity) before anything leaves.',
    source: 'seed 002 (Anonymisation & Minimisation: singling out, linkability); DESIGN.md (Policy 10)',
    triggers:
      'In indirect care: a dataset whose quasi-identifiers leave an expected group smaller than k_anonymity (10) patients is a warning, smaller than one patient an error. Otherwise, and in direct care, the score is reported as information.',
    defaultSeverity: 'error',
    hard: false,
    messages: {
      score: 'dataset `{dataset}`: {explanation} = {bits} bits; about {group} of {population} patients share each combination ({level} risk of singling out)',
      singlesOut: 'dataset `{dataset}` singles people out: {explanation} = {bits} bits, so about {group} of {population} patients share each combination',
      smallGroups: 'dataset `{dataset}` leaves small groups: {explanation} = {bits} bits; about {group} of {population} patients share each combination, below the threshold of {k}',
      identifying: 'dataset `{dataset}` identifies patients by design ({fields}): direct care only',
    },
    optionSchema: { type: 'object', properties: { k_anonymity: { type: 'integer' }, assumed_list_size: { type: 'integer' } } },
    examples: {
      failing: {
        yaml: 'datasets:\n  - name: people\n    from: patient\n    fields:\n      - name: date_of_birth\n        value: date_of_birth\n        justification: Exact age in days drives the neonatal models.\n      - name: postcode\n        value: postcode\n        justification: Locates each household for outreach.\n      - name: sex\n        value: sex\n        justification: Prevalence and risk models differ by sex.',
        note: 'Full date of birth + full postcode + sex: about 27 bits; everyone is unique.',
      },
      passing: {
        yaml: 'datasets:\n  - name: people\n    from: patient\n    fields:\n      - name: birth_year\n        value: year(date_of_birth)\n        justification: Age is the main driver of risk stratification.\n      - name: district\n        value: postcode_district(postcode)\n        justification: Locates need by neighbourhood.\n      - name: sex\n        value: sex\n        justification: Prevalence and risk models differ by sex.',
      },
    },
  },
  check({ definition, catalogue, policy, report, spanAt }) {
    const k = policy.thresholds.kAnonymity;
    definition.datasets.forEach((dataset, i) => {
      const s = disclosureScore(dataset, definition, catalogue, policy.thresholds.assumedListSize, k);
      const span = spanAt(`/datasets/${i}/name`);
      const at = span ? { span } : {};
      if (s.directIdentifiers.length > 0 && definition.careType === 'direct') {
        report({ messageId: 'identifying', params: { dataset: dataset.name, fields: s.directIdentifiers.join(', ') }, ...at, severity: 'info' });
        return;
      }
      if (s.identifiers.length === 0) return;
      const params = {
        dataset: dataset.name,
        explanation: explain(s),
        bits: s.bits.toFixed(1),
        group: s.expectedGroupSize >= 10 ? Math.round(s.expectedGroupSize).toLocaleString('en-GB') : s.expectedGroupSize.toPrecision(2),
        population: s.population.toLocaleString('en-GB'),
        level: s.level,
        k,
      };
      if (definition.careType === 'indirect' && s.expectedGroupSize < 1) {
        report({ messageId: 'singlesOut', params, ...at, hints: ['generalise: year(date_of_birth) or age_band(...) instead of the date, postcode_district(postcode) instead of the postcode'] });
      } else if (definition.careType === 'indirect' && s.expectedGroupSize < k) {
        report({ messageId: 'smallGroups', params, ...at, severity: 'warning', hints: ['generalise the quasi-identifiers (coarser dates, districts, age bands) or drop one'] });
      } else {
        report({ messageId: 'score', params, ...at, severity: 'info' });
      }
    });
  },
};
