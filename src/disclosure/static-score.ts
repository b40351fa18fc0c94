import { findColumn, findTable, type Catalogue, type CatalogueColumn } from '../catalogue/catalogue.js';
import type { ColumnRef, IrExpr } from '../ir/expression.js';
import { exposures } from '../resolve/exposure.js';
import type { Dataset, ExtractDefinition, Field, Transform } from '../ir/extract-definition.js';
import { reconstructedColumns } from './derivations.js';
import { exactDates } from './exact-dates.js';
import { directIdentifierFields, quasiIdentifierFields, uniqueIdentifier } from './quasi-identifiers.js';

/** One quasi-identifying column of a dataset (or of linked datasets) and how much it narrows down who a row is. */
export interface QuasiIdentifierScore {
  /** The field that shows it most precisely (dataset.field when several datasets are combined). */
  field: string;
  /** The column as the field reads it (with its relation path). */
  column: string;
  /** How the field shows it (full, year, month, age band, district...). */
  granularity: string;
  /** Bits of identifying information: each bit halves the group a row could belong to. */
  bits: number;
}

export interface DisclosureScore {
  /** The dataset, or the linked datasets joined with ` + `. */
  dataset: string;
  identifiers: QuasiIdentifierScore[];
  directIdentifiers: string[];
  bits: number;
  population: number;
  /** What the filters are taken to narrow the population by (empty when nothing). */
  narrowedBy: string[];
  /** Patients expected to share one combination of the quasi-identifiers. */
  expectedGroupSize: number;
  level: 'low' | 'medium' | 'high' | 'very high';
}

const log2 = Math.log2;
const GENERALISING: ReadonlySet<string> = new Set(['year', 'month', 'age_years', 'age_band', 'postcode_district']);

/**
 * How a field shows its columns: its transform, except that a pseudonym shows what it hashes (a
 * pseudonym of year(date_of_birth) splits people by year; of the full date, by day).
 */
function shownAs(field: Field): { transform: Transform; width?: number } {
  let value = field.value;
  let transform = field.transform;
  if (transform === 'pseudonym' && value.kind === 'call') {
    value = value.args[0]!;
    transform = value.kind === 'call' && GENERALISING.has(value.fn) ? (value.fn as Transform) : value.kind === 'column' ? 'none' : 'computed';
  }
  if (transform === 'age_band' && value.kind === 'call') {
    const width = value.args[1]?.kind === 'literal' ? Number(value.args[1].value) : 5;
    return { transform, width: Number.isFinite(width) && width >= 1 ? width : 1 };
  }
  return { transform };
}

/**
 * Bits of identifying information of one quasi-identifying column as a field shows it: a full
 * date of birth is one day in some 33,000 (15 bits); its month one in 1,100; its year one in 90.
 * Anything the score does not know is scored as the column itself (never as nothing).
 */
function score(field: Field, column: CatalogueColumn, full = false): { granularity: string; bits: number } {
  const { transform: t, width } = full ? { transform: 'none' as Transform, width: undefined } : shownAs(field);
  // A name, an address line, a phone number or an email address behind a pseudonym: few patients
  // share one (rare surnames are unique), so it narrows a row down as much as a full postcode or more.
  if (column.classification === 'direct_identifier') return { granularity: 'name or contact detail', bits: 12 };
  if (column.type === 'date' || column.type === 'timestamptz') {
    if (t === 'month') return { granularity: 'month', bits: log2(90 * 12) };
    if (t === 'year' || t === 'age_years') return { granularity: t === 'year' ? 'year' : 'age in years', bits: log2(90) };
    if (t === 'age_band') return { granularity: `${width ?? 5}-year age band`, bits: log2(95 / Math.max(1, width ?? 5)) };
    return { granularity: 'full date', bits: log2(90 * 365.25) };
  }
  if (column.format === 'postcode') {
    // A practice's patients live in some 2,000 postcodes and a handful of districts.
    if (t === 'postcode_district') return { granularity: 'postcode district', bits: log2(5) };
    return { granularity: 'full postcode', bits: 11 };
  }
  // A handful of categories where one or two dominate (sex): about one bit.
  if (column.values) return { granularity: 'category', bits: column.values.length <= 4 ? 1 : Math.min(log2(column.values.length), 3) };
  if (column.name.startsWith('ethnic')) return { granularity: 'category', bits: 2 };
  return { granularity: 'value', bits: 3 };
}

function columnLabel(source: ColumnRef): string {
  return [...source.path, source.column].join('.');
}

/**
 * The quasi-identifying columns the fields show, each once, at its most precise: a column shown
 * twice (year(date_of_birth) and date_of_birth) counts as the more precise of the two, whichever
 * field comes first. `label` names the field (dataset.field when datasets are combined).
 */
function scoreColumns(fields: { field: Field; label: string }[], catalogue: Catalogue): QuasiIdentifierScore[] {
  const best = new Map<string, QuasiIdentifierScore>();
  for (const { field, label } of fields) {
    // A direct identifier shown as it is makes the dataset identified (listed apart); behind a
    // pseudonym, one that is not unique to the patient is a quasi-identifier and scored.
    const hidden = field.transform === 'pseudonym';
    for (const source of field.sources) {
      const direct = source.classification === 'direct_identifier' && hidden && !uniqueIdentifier(catalogue, source);
      if (source.classification !== 'quasi_identifier' && !direct) continue;
      const table = findTable(catalogue, source.table);
      const column = table && findColumn(table, source.column);
      if (!column) continue;
      const key = `${source.table}.${source.column}`;
      const scored = { field: label, column: columnLabel(source), ...score(field, column) };
      const previous = best.get(key);
      if (!previous || scored.bits > previous.bits) best.set(key, scored);
    }
    // A date or timestamp of a patient's row at full precision (exact-dates.ts); dates the catalogue
    // calls quasi-identifying (date of birth, of death) are scored above.
    for (const exact of exactDates(catalogue, field.value)) {
      if (exact.column.classification === 'quasi_identifier' || exact.column.classification === 'direct_identifier') continue;
      const key = `${exact.column.table}.${exact.column.column}`;
      const scored = { field: label, column: columnLabel(exact.column), ...exactDateScore(exact.type) };
      const previous = best.get(key);
      if (!previous || scored.bits > previous.bits) best.set(key, scored);
    }
  }
  // Several different generalisations of one column (month(date_of_birth + 1), month(date_of_birth + 2)...) tell it in full.
  for (const [key, count] of reconstructedColumns(fields.map((f) => f.field), catalogue)) {
    const previous = best.get(key);
    const [tableName, columnName] = key.split('.') as [string, string];
    const table = findTable(catalogue, tableName);
    const column = table && findColumn(table, columnName);
    if (!column) continue;
    const identifying = column.classification === 'quasi_identifier' || column.classification === 'direct_identifier';
    const full = identifying ? score(fields[0]!.field, column, true) : exactDateScore(column.type === 'date' ? 'date' : 'timestamp');
    const first = fields.find(({ field }) => field.sources.some((s) => s.table === tableName && s.column === columnName));
    const base = previous ?? { field: first?.label ?? '', column: first ? columnLabel(first.field.sources.find((s) => s.table === tableName && s.column === columnName)!) : columnName, granularity: '', bits: 0 };
    if (full.bits > base.bits) best.set(key, { ...base, granularity: `${full.granularity}, told by ${count} different generalisations`, bits: full.bits });
  }
  return [...best.values()];
}

/**
 * Bits of an exact date or timestamp of a patient's row (a registration, an appointment, a
 * recorded time): one day in twenty years of records (about 13 bits); a time as well, one minute
 * of those days (about 23 bits).
 */
function exactDateScore(type: 'date' | 'timestamp'): { granularity: string; bits: number } {
  return type === 'date' ? { granularity: 'exact date', bits: log2(20 * 365.25) } : { granularity: 'exact date and time', bits: log2(20 * 365.25 * 24 * 60) };
}

/**
 * The share of the population aged `age` or over (England, rounded up): the tail that a filter like
 * `age_years(date_of_birth) >= 103` leaves. Only the oldest ages are taken into account (90 and
 * over), where a filter leaves a handful; other ranges are left to the run's measurement.
 */
const AGE_TAIL: [age: number, share: number][] = [
  [90, 0.01],
  [95, 0.003],
  [100, 0.0003],
  [103, 0.00006],
  [105, 0.00002],
  [108, 0.000002],
];

function ageTail(age: number): number | undefined {
  let share: number | undefined;
  for (const [a, s] of AGE_TAIL) if (age >= a) share = s;
  return share;
}

/** The conjuncts of a filter (the top-level chain of `and`). */
function conjuncts(e: IrExpr | undefined): IrExpr[] {
  if (!e) return [];
  return e.kind === 'binary' && e.op === 'and' ? [...conjuncts(e.left), ...conjuncts(e.right)] : [e];
}

/**
 * How much the filters (the population's and the dataset's) narrow who is in scope, cheaply and
 * only where it is sure: a conjunct that pins a quasi-identifier (`sex = 'male'`, `year(date_of_birth)
 * in (1950, 1951)`, `postcode_district(postcode) = 'LS1'`) keeps the share of one of its values
 * (the bits it would score as a field); `age_years(date_of_birth) >= N` for N of 90 or more keeps
 * the oldest tail. Anything else (ranges in general, exists(...) on clinical codes) is not estimated:
 * the run measures k on the data.
 */
function narrowing(filters: (IrExpr | undefined)[], catalogue: Catalogue): { factor: number; by: string[] } {
  let factor = 1;
  const by: string[] = [];
  for (const c of filters.flatMap(conjuncts)) {
    if ((c.kind === 'binary' && c.op === '=') || (c.kind === 'inList' && !c.negated)) {
      const side = c.kind === 'inList' ? c.operand : c.left.kind === 'literal' ? c.right : c.left;
      const other = c.kind === 'inList' ? c.items : [c.left.kind === 'literal' ? c.left : c.right];
      if (!other.every((o) => o.kind === 'literal')) continue;
      const qi = exposures(side).filter((e) => e.column.classification === 'quasi_identifier');
      if (qi.length !== 1) continue;
      const e = qi[0]!;
      const table = findTable(catalogue, e.column.table);
      const column = table && findColumn(table, e.column.column);
      if (!column) continue;
      const field = { value: side, transform: e.protection === 'raw' ? (side.kind === 'column' ? 'none' : 'computed') : e.by } as Field;
      const { bits, granularity } = score(field, column);
      factor *= Math.min(1, other.length / 2 ** bits);
      by.push(`${columnLabel(e.column)} (${granularity}) pinned`);
    } else if (c.kind === 'binary' && (c.op === '>=' || c.op === '>') && c.left.kind === 'call' && c.left.fn === 'age_years' && c.right.kind === 'literal') {
      const age = Number(c.right.value) + (c.op === '>' ? 1 : 0);
      const share = Number.isFinite(age) ? ageTail(age) : undefined;
      if (share === undefined) continue;
      factor *= share;
      by.push(`aged ${age} or over`);
    }
  }
  return { factor, by };
}

function assess(dataset: string, identifiers: QuasiIdentifierScore[], direct: string[], definition: ExtractDefinition, assumedListSize: number, k: number, narrowed = { factor: 1, by: [] as string[] }): DisclosureScore {
  const bits = identifiers.reduce((sum, q) => sum + q.bits, 0);
  const population = Math.max(0, definition.population.practices.length * assumedListSize * narrowed.factor);
  const expectedGroupSize = population / 2 ** bits;
  const level = expectedGroupSize < 1 ? 'very high' : expectedGroupSize < k ? 'high' : expectedGroupSize < k * 10 ? 'medium' : 'low';
  return { dataset, identifiers, directIdentifiers: direct, bits, population, narrowedBy: narrowed.by, expectedGroupSize, level };
}

/** The static disclosure-risk score of a dataset (the disclosure-risk rule's, also shown by `exdef report`). */
export function disclosureScore(dataset: Dataset, definition: ExtractDefinition, catalogue: Catalogue, assumedListSize: number, k: number): DisclosureScore {
  const identifiers = scoreColumns(quasiIdentifierFields(catalogue, dataset).map((field) => ({ field, label: field.name })), catalogue);
  const direct = directIdentifierFields(dataset).flatMap((field) =>
    field.sources.filter((s) => s.classification === 'direct_identifier').map((s) => (field.name === s.column && s.path.length === 0 ? field.name : `${field.name} (${columnLabel(s)})`)),
  );
  return assess(dataset.name, identifiers, [...new Set(direct)], definition, assumedListSize, k, narrowing([definition.population.where, dataset.where], catalogue));
}

/**
 * The static score of datasets linked by a linkage key, as the one table an attacker joins them
 * into: the union of their quasi-identifiers, each column at its most precise.
 */
export function combinedDisclosureScore(datasets: Dataset[], definition: ExtractDefinition, catalogue: Catalogue, assumedListSize: number, k: number): DisclosureScore {
  const fields = datasets.flatMap((dataset) => quasiIdentifierFields(catalogue, dataset).map((field) => ({ field, label: `${dataset.name}.${field.name}` })));
  // Only the population's filter narrows every dataset of the group.
  return assess(datasets.map((d) => d.name).join(' + '), scoreColumns(fields, catalogue), [], definition, assumedListSize, k, narrowing([definition.population.where], catalogue));
}

/**
 * The score as a sum: `date_of_birth (full date, 15.0 bits) + sex (category, 1.0 bits)`; for
 * linked datasets each column with the dataset field that shows it: `people.born: date_of_birth (...)`.
 */
export function explainScore(s: DisclosureScore, withFields = false): string {
  return s.identifiers.map((q) => `${withFields ? `${q.field}: ` : ''}${q.column} (${q.granularity}, ${q.bits.toFixed(1)} bits)`).join(' + ');
}

/** The expected group size as the messages show it. */
export function groupText(expected: number): string {
  return expected >= 10 ? Math.round(expected).toLocaleString('en-GB') : expected.toPrecision(2);
}
