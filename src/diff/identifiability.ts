import type { Classification } from '../catalogue/catalogue.js';
import type { ColumnRef } from '../ir/expression.js';
import { CLASSIFICATION_RANK, type Field, type Transform } from '../ir/extract-definition.js';
import type { ChangeKind } from './change.js';
import { canonicalKey } from './canonical-key.js';

/**
 * How much a transform reveals of the value it is applied to, least first: a keyed pseudonym,
 * an age band, the year, the month, the age in years (which, re-extracted daily, gives away the
 * birthday), and the value itself. A postcode district reveals about as much as a year.
 * `computed` (any other derivation) has no rank: exdef cannot tell what it reveals.
 */
const TRANSFORM_RANK: Partial<Record<Transform, number>> = {
  pseudonym: 1,
  age_band: 2,
  year: 3,
  postcode_district: 3,
  month: 4,
  age_years: 5,
  none: 6,
};

const TRANSFORM_TEXT: Record<Transform, string> = {
  none: 'as it is',
  year: 'as its year',
  month: 'as its month',
  age_years: 'as an age in years',
  age_band: 'as an age band',
  postcode_district: 'as its postcode district',
  pseudonym: 'as a keyed pseudonym',
  computed: 'as a computed value',
};

export function describeTransform(transform: Transform): string {
  return TRANSFORM_TEXT[transform];
}

export function describeClassification(c: Classification): string {
  return c.replace(/_/g, ' ');
}

/** `nhs_number (direct identifier) as it is`: what a field sends, for explanations. */
export function describeField(field: Field): string {
  const columns = field.sources.map(columnName);
  const from = columns.length === 0 ? 'no column' : `${columns.join(', ')} (${describeClassification(field.sourceClassification)})`;
  return `${from} ${describeTransform(field.transform)}`;
}

function columnName(c: ColumnRef): string {
  return [...c.path, c.column].join('.');
}

function sourceKeys(field: Field): Set<string> {
  return new Set(field.sources.map((s) => `${s.table}:${columnName(s)}`));
}

/** How a field whose value changed compares with its old self. */
export interface FieldValueComparison {
  kind: Extract<ChangeKind, 'field-value-changed' | 'transform-finer' | 'transform-coarser' | 'pseudonym-key-changed'>;
  /** Whether what the field reveals may have grown (needs IG review). */
  grows: boolean;
  explanation: string;
}

/** Compares the values of a field kept under the same name (they are known to differ). */
export function compareFieldValues(before: Field, after: Field): FieldValueComparison {
  const beforeSources = sourceKeys(before);
  const afterSources = sourceKeys(after);
  const sameSources = beforeSources.size === afterSources.size && [...beforeSources].every((s) => afterSources.has(s));
  const classUp = CLASSIFICATION_RANK[after.sourceClassification] > CLASSIFICATION_RANK[before.sourceClassification];
  const rankBefore = TRANSFORM_RANK[before.transform];
  const rankAfter = TRANSFORM_RANK[after.transform];

  if (sameSources && before.transform === after.transform) {
    const special = sameTransform(before, after);
    if (special) return special;
  }
  if (sameSources && rankBefore !== undefined && rankAfter !== undefined && rankBefore !== rankAfter) {
    if (rankAfter > rankBefore) {
      const rawIdentifier = before.transform === 'pseudonym' && after.transform === 'none' && after.sourceClassification === 'direct_identifier';
      return {
        kind: 'transform-finer',
        grows: true,
        explanation: rawIdentifier
          ? `a raw direct identifier replaces its pseudonym: a large increase in identifiability`
          : `less generalised: ${describeField(after)} instead of ${describeTransform(before.transform)}`,
      };
    }
    return { kind: 'transform-coarser', grows: false, explanation: `more generalised: ${describeField(after)} instead of ${describeTransform(before.transform)}` };
  }
  const newColumns = [...afterSources].filter((s) => !beforeSources.has(s));
  const knownNotFiner = rankBefore !== undefined && rankAfter !== undefined && rankAfter <= rankBefore;
  const grows = classUp || newColumns.length > 0 || !knownNotFiner;
  const reason = classUp
    ? `it now reads ${describeClassification(after.sourceClassification)} data (was ${describeClassification(before.sourceClassification)})`
    : newColumns.length > 0
      ? `it now reads ${newColumns.map((c) => c.split(':')[1]).join(', ')}`
      : grows
        ? 'exdef cannot tell whether the new value reveals more'
        : 'it reads no more than before, no less generalised';
  return { kind: 'field-value-changed', grows, explanation: `the value changed: sends ${describeField(after)}; ${reason}` };
}

/** Same columns, same transform: an age band's width or a pseudonym's key changed. */
function sameTransform(before: Field, after: Field): FieldValueComparison | undefined {
  if (before.value.kind !== 'call' || after.value.kind !== 'call') return undefined;
  if (before.value.fn === 'age_band' && after.value.fn === 'age_band') {
    const [w0, w1] = [before.value.width, after.value.width];
    if (canonicalKey(before.value.args[0]) === canonicalKey(after.value.args[0]) && w0 !== w1) {
      return w1 < w0
        ? { kind: 'transform-finer', grows: true, explanation: `narrower age bands: ${w1} years instead of ${w0}` }
        : { kind: 'transform-coarser', grows: false, explanation: `wider age bands: ${w1} years instead of ${w0}` };
    }
  }
  if (before.value.fn === 'pseudonym' && after.value.fn === 'pseudonym' && canonicalKey(before.value.args[0]) === canonicalKey(after.value.args[0])) {
    return {
      kind: 'pseudonym-key-changed',
      grows: true,
      explanation: 'the pseudonym is keyed differently: every value changes, and it becomes linkable with whatever else uses the new key',
    };
  }
  return undefined;
}
