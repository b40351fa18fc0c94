import type { ValueType } from '../ir/expression.js';
import { formatPosition, type Span } from '../source/source-file.js';
import type { DatasetExpectation, ExpectedValue, RowPattern } from './definition-test.js';

/** A row the extract produced: its fields as text (null: SQL NULL, which the CSV writes as nothing; '' the empty text, written ""), and its test patient when one of its fields identifies them. */
export interface ActualRow {
  values: Record<string, string | null>;
  patient?: string;
}

/** One expectation checked: a name that stays the same from run to run, and on failure a readable diff. */
export interface CheckResult {
  dataset: string;
  kind: 'row' | 'absent' | 'count';
  /** e.g. `children: row { patient: alice, birth_month: 2008-03-01 }`. */
  name: string;
  span: Span;
  passed: boolean;
  /** Why it failed, in one line. */
  message?: string;
  /** The diff: expected against the closest actual rows, or the rows present unexpectedly. */
  detail?: string[];
}

export interface DatasetRows {
  name: string;
  /** The output fields, in order (exdef's own columns, record_id and change_type, left out). */
  fields: string[];
  /** Each field's type in the language: numeric fields are compared as numbers, the others as text. */
  types: Record<string, ValueType>;
  rows: ActualRow[];
  /** Whether rows can be told apart by patient (a field holds an NHS number or a pseudonym of it). */
  identifiesPatients: boolean;
}

/** Checks one dataset's expectations against the rows it produced. */
export function checkExpectations(expectation: DatasetExpectation, actual: DatasetRows): CheckResult[] {
  const results: CheckResult[] = [];
  const dataset = expectation.dataset;
  const unusable = (pattern: RowPattern): string | undefined => {
    if (pattern.patient !== undefined && !actual.identifiesPatients) {
      return `dataset ${dataset} has no field that identifies a patient (an NHS number or a pseudonym of it), so \`patient: ${pattern.patient}\` cannot be checked: match on field values instead`;
    }
    const unknown = Object.keys(pattern.fields).filter((f) => !actual.fields.includes(f));
    if (unknown.length > 0) return `dataset ${dataset} has no field ${unknown.map((f) => `\`${f}\``).join(', ')} (its fields: ${actual.fields.join(', ')})`;
    return undefined;
  };

  // Each expected row needs a row of its own: a maximum matching, so the order patterns are written in does not matter.
  const assignment = matchPatterns(expectation.rows, actual);
  expectation.rows.forEach((pattern, i) => {
    const name = `${dataset}: row ${describePattern(pattern)}`;
    const problem = unusable(pattern);
    if (problem) {
      results.push({ dataset, kind: 'row', name, span: pattern.span, passed: false, message: problem });
      return;
    }
    if (assignment[i] !== undefined) {
      results.push({ dataset, kind: 'row', name, span: pattern.span, passed: true });
      return;
    }
    results.push({ dataset, kind: 'row', name, span: pattern.span, passed: false, ...missingRow(pattern, actual, expectation.rows) });
  });

  for (const pattern of expectation.absent) {
    const name = `${dataset}: absent ${describePattern(pattern)}`;
    const problem = unusable(pattern);
    if (problem) {
      results.push({ dataset, kind: 'absent', name, span: pattern.span, passed: false, message: problem });
      continue;
    }
    const found = actual.rows.filter((row) => matches(pattern, row, actual.types));
    if (found.length === 0) {
      results.push({ dataset, kind: 'absent', name, span: pattern.span, passed: true });
      continue;
    }
    const who = pattern.patient ?? patientsOf(found);
    results.push({
      dataset,
      kind: 'absent',
      name,
      span: pattern.span,
      passed: false,
      message: `${who ? `${who} is present unexpectedly` : 'rows are present unexpectedly'}: ${found.length} row${found.length === 1 ? '' : 's'} of ${dataset} match${found.length === 1 ? 'es' : ''} ${describePattern(pattern)}`,
      detail: [`must not match: ${describePattern(pattern)}`, ...found.slice(0, 5).map((row) => `found:         ${describeRow(row, actual.fields)}`), ...(found.length > 5 ? [`... and ${found.length - 5} more`] : [])],
    });
  }

  if (expectation.count) {
    const expected = expectation.count.value;
    const got = actual.rows.length;
    const name = `${dataset}: count ${expected}`;
    if (got === expected) results.push({ dataset, kind: 'count', name, span: expectation.count.span, passed: true });
    else {
      // Rows no expected row accounts for are the likely culprits of too many; missing rows are reported by their own checks.
      const accounted = new Set(assignment.filter((j): j is number => j !== undefined));
      const unaccounted = actual.rows.filter((_, j) => !accounted.has(j));
      const extra = got > expected && unaccounted.length > 0 && expectation.rows.length > 0 ? `; rows no expected row accounts for: ${rowsByPatient(unaccounted)}` : '';
      results.push({
        dataset,
        kind: 'count',
        name,
        span: expectation.count.span,
        passed: false,
        message: `dataset ${dataset} has ${got} row${got === 1 ? '' : 's'}, not ${expected}${extra}`,
        detail: got === 0 ? ['no rows'] : [`rows by patient: ${rowsByPatient(actual.rows)}`],
      });
    }
  }
  return results;
}

/** Whether a row has every value the pattern asks for. */
export function matches(pattern: RowPattern, row: ActualRow, types: Readonly<Record<string, ValueType>>): boolean {
  if (pattern.patient !== undefined && row.patient !== pattern.patient) return false;
  return Object.entries(pattern.fields).every(([field, expected]) => sameValue(expected, row.values[field] ?? null, types[field]));
}

/** The types whose values are compared as numbers. */
const NUMERIC: ReadonlySet<ValueType> = new Set(['integer', 'numeric']);

/**
 * An expected value against a field as the extract writes it. null is SQL NULL only and '' the
 * empty text only, as the CSV tells them apart (nothing against ""). A numeric field is compared
 * as a decimal (`120.50` is `120.5`, `7` is `7.0`); any other field as text, exactly, so a YAML
 * number against a text field matches only its digits as written (7700900002 is not 07700900002).
 */
export function sameValue(expected: ExpectedValue, actual: string | null, type?: ValueType): boolean {
  if (expected === null || actual === null) return expected === actual;
  if (expected === actual) return true;
  if (type === undefined || !NUMERIC.has(type)) return false;
  const a = canonicalDecimal(expected);
  return a !== undefined && a === canonicalDecimal(actual);
}

function canonicalDecimal(text: string): string | undefined {
  const m = /^([-+]?)(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!m) return undefined;
  const whole = m[2]!.replace(/^0+(?=\d)/, '');
  const fraction = (m[3] ?? '').replace(/0+$/, '');
  const sign = m[1] === '-' && !(whole === '0' && fraction === '') ? '-' : '';
  return `${sign}${whole}${fraction ? `.${fraction}` : ''}`;
}

/** Pattern i → the index of the row it is matched with (Kuhn's augmenting paths; tests are small). */
function matchPatterns(patterns: readonly RowPattern[], actual: DatasetRows): (number | undefined)[] {
  const candidates = patterns.map((p) => actual.rows.flatMap((row, j) => (matches(p, row, actual.types) ? [j] : [])));
  const rowOwner = new Map<number, number>();
  const tryAssign = (i: number, seen: Set<number>): boolean => {
    for (const j of candidates[i]!) {
      if (seen.has(j)) continue;
      seen.add(j);
      const owner = rowOwner.get(j);
      if (owner === undefined || tryAssign(owner, seen)) {
        rowOwner.set(j, i);
        return true;
      }
    }
    return false;
  };
  patterns.forEach((_, i) => tryAssign(i, new Set()));
  const assignment: (number | undefined)[] = patterns.map(() => undefined);
  for (const [row, pattern] of rowOwner) assignment[pattern] = row;
  return assignment;
}

/** Why an expected row was not found: the patient missing altogether, or the closest rows with each difference. */
function missingRow(pattern: RowPattern, actual: DatasetRows, all: readonly RowPattern[]): { message: string; detail: string[] } {
  const detail = [`expected: ${describePattern(pattern)}`];
  const matching = actual.rows.filter((row) => matches(pattern, row, actual.types));
  if (matching.length > 0) {
    // It matches rows, but other expected rows took them all.
    const others = all.filter((p) => p !== pattern && matching.some((row) => matches(p, row, actual.types))).length;
    return {
      message: `dataset ${actual.name} has ${matching.length} row${matching.length === 1 ? '' : 's'} like ${describePattern(pattern)}, and ${others + 1} expected rows need one each`,
      detail: [...detail, ...matching.map((row) => `found:    ${describeRow(row, actual.fields)}`)],
    };
  }
  if (pattern.patient !== undefined && !actual.rows.some((row) => row.patient === pattern.patient)) {
    return { message: `${pattern.patient} is missing: dataset ${actual.name} has no row for ${pattern.patient}`, detail: [...detail, actual.rows.length === 0 ? 'the dataset has no rows' : `rows by patient: ${rowsByPatient(actual.rows)}`] };
  }
  const scored = actual.rows
    .map((row) => ({ row, score: agreement(pattern, row, actual.types) }))
    .filter((s) => s.score > 0)
    .sort((a, b) => b.score - a.score)
    .slice(0, 3);
  if (scored.length === 0) {
    return { message: `no row of ${actual.name} is like ${describePattern(pattern)}`, detail: [...detail, actual.rows.length === 0 ? 'the dataset has no rows' : `rows by patient: ${rowsByPatient(actual.rows)}`] };
  }
  for (const { row } of scored) {
    detail.push(`closest:  ${describeRow(row, actual.fields)}`);
    if (pattern.patient !== undefined && row.patient !== pattern.patient) detail.push(`            patient: expected ${pattern.patient}, got ${row.patient ?? '(none of the test patients)'}`);
    for (const [field, expected] of Object.entries(pattern.fields)) {
      const got = row.values[field] ?? null;
      if (!sameValue(expected, got, actual.types[field])) detail.push(`            ${field}: expected ${show(expected)}, got ${show(got)}`);
    }
  }
  const who = pattern.patient ? `${pattern.patient}'s row` : 'the row';
  return { message: `${who} in ${actual.name} differs from ${describePattern(pattern)}`, detail };
}

function agreement(pattern: RowPattern, row: ActualRow, types: Readonly<Record<string, ValueType>>): number {
  let score = pattern.patient !== undefined && row.patient === pattern.patient ? 2 : 0;
  for (const [field, expected] of Object.entries(pattern.fields)) if (sameValue(expected, row.values[field] ?? null, types[field])) score++;
  return score;
}

function patientsOf(rows: readonly ActualRow[]): string | undefined {
  const names = [...new Set(rows.map((r) => r.patient).filter((p): p is string => p !== undefined))];
  return names.length > 0 ? names.join(', ') : undefined;
}

/** `alice ×2, bob, (not a test patient) ×1`. */
function rowsByPatient(rows: readonly ActualRow[]): string {
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(row.patient ?? '(unidentified)', (counts.get(row.patient ?? '(unidentified)') ?? 0) + 1);
  return [...counts].map(([name, n]) => (n === 1 ? name : `${name} ×${n}`)).join(', ');
}

export function describePattern(pattern: RowPattern): string {
  const parts = [...(pattern.patient !== undefined ? [`patient: ${pattern.patient}`] : []), ...Object.entries(pattern.fields).map(([k, v]) => `${k}: ${show(v)}`)];
  return `{ ${parts.join(', ')} }`;
}

export function describeRow(row: ActualRow, fields: readonly string[]): string {
  const parts = [...(row.patient !== undefined ? [`patient: ${row.patient}`] : []), ...fields.map((f) => `${f}: ${show(row.values[f] ?? null)}`)];
  return `{ ${parts.join(', ')} }`;
}

/** A value as a person reads it: null for SQL NULL, "" for the empty text, quotes wherever bare text would mislead. */
function show(value: string | null): string {
  if (value === null) return 'null';
  return /^[\w.:@/+-]+$/.test(value) && value !== 'null' && value.length <= 80 ? value : JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
}

export function checkLocation(check: CheckResult): string {
  return formatPosition(check.span);
}
