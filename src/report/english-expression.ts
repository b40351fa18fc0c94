import { findColumn, findTable, type Catalogue } from '../catalogue/catalogue.js';
import { printIrExpression } from '../diff/print-ir-expression.js';
import type { Ecl, IrExpr } from '../ir/expression.js';

/**
 * Plain English for the resolved expressions of a definition (filters, derived values), for the
 * IG reviewer's report. The common constructs read as English — comparisons, age_years(),
 * today(), date intervals, exists(table where ...), code sets, and/or/not, in-lists — and
 * anything without an English phrasing is quoted as canonical exdef text between backticks
 * (the report sets those in code type), so nothing is ever left out or guessed.
 *
 * A condition reads as a qualifier of the rows it filters: "patients aged under 20 on the
 * extract date", "observations coded as Diabetes mellitus (73211009) or any of its subtypes".
 * An `or` inside an `and` (and an `and` inside an `or`) is put in brackets, so `(A or B) and C`
 * and `A or (B and C)` never read alike. The catalogue says which columns can be empty: a
 * negative test of one (`<>`, `not in`, `not between`, `not ...`) is false for an empty value in
 * SQL, and the English says those rows are left out.
 */
export function describeCondition(node: IrExpr, catalogue: Catalogue): string {
  return render(reading(node, false, catalogue), false);
}

/**
 * A condition as the reader takes it in: one phrase, or all or any of several. `not` is pushed
 * down to the phrases (De Morgan), which is exact in SQL's three-valued logic too:
 * NOT (A AND B) is (NOT A) OR (NOT B) for every A and B, null included.
 */
type Reading = { kind: 'phrase'; text: string } | { kind: 'all' | 'any'; parts: Reading[] };

function reading(node: IrExpr, negate: boolean, catalogue: Catalogue): Reading {
  if (node.kind === 'not') return reading(node.operand, !negate, catalogue);
  if (node.kind === 'binary' && (node.op === 'and' || node.op === 'or')) {
    const kind = (node.op === 'and') !== negate ? 'all' : 'any';
    const parts = [reading(node.left, negate, catalogue), reading(node.right, negate, catalogue)];
    return { kind, parts: parts.flatMap((p) => (p.kind === kind ? p.parts : [p])) };
  }
  return { kind: 'phrase', text: clause(node, negate, catalogue) };
}

/** A nested group is bracketed: "(either A or B) and C", "either A or (B and C)". */
function render(r: Reading, nested: boolean): string {
  if (r.kind === 'phrase') return r.text;
  const parts = r.parts.map((p) => render(p, true));
  const text = r.kind === 'all' ? joinAll(parts) : `either ${joinAny(parts)}`;
  return nested ? `(${text})` : text;
}

/** Parts that have commas or "and" of their own are kept apart with semicolons. */
function joinAll(parts: string[]): string {
  return parts.some((p) => /,| and /.test(unbracketed(p))) ? `${parts.slice(0, -1).join('; ')}; and ${parts.at(-1)}` : listAnd(parts);
}

/** Likewise for alternatives, which also keep apart parts with an "or" of their own ("or any of its subtypes"). */
function joinAny(parts: string[]): string {
  return parts.some((p) => /,| and | or /.test(unbracketed(p))) ? `${parts.slice(0, -1).join('; ')}; or ${parts.at(-1)}` : listOr(parts);
}

/** The text outside quoted values, code spans and brackets: the words that join at this level. */
function unbracketed(text: string): string {
  let out = text.replace(/‘[^’]*’/g, '‘’').replace(/`[^`]*`/g, '``');
  for (let before = ''; before !== out; ) {
    before = out;
    out = out.replace(/\([^()]*\)/g, '');
  }
  return out;
}

/**
 * The conditions on the rows an exists() looks for, one after another: "coded as X, whose ...".
 * Alternatives are bracketed, and so is a part with commas of its own (an exists() inside).
 */
function qualifiers(node: IrExpr, catalogue: Catalogue): string {
  const r = reading(node, false, catalogue);
  if (r.kind !== 'all') return render(r, true);
  return r.parts
    .map((p) => render(p, true))
    .map((text) => (/,/.test(unbracketed(text)) ? `(${text})` : text))
    .join(', ');
}

/** A value (a field's derivation, an operand) as a noun phrase: "the month of effective date". */
export function describeValue(node: IrExpr): string {
  switch (node.kind) {
    case 'literal':
      return literal(node);
    case 'column':
      return columnWords(node);
    case 'call':
      return callWords(node);
    case 'binary':
      return arithmetic(node) ?? code(node);
    case 'negate':
      return `minus ${describeValue(node.operand)}`;
    default:
      return code(node);
  }
}

/** An ECL code set in words: "Asthma (195967001) or any of its subtypes". */
export function describeCodeSet(ecl: Ecl): string {
  switch (ecl.kind) {
    case 'concept':
      return concept(ecl);
    case 'descendantOrSelf':
      return ecl.operand.kind === 'concept' ? `${concept(ecl.operand)} or any of its subtypes` : `${describeCodeSet(ecl.operand)}, or any of their subtypes`;
    case 'descendant':
      return ecl.operand.kind === 'concept' ? `any subtype of ${concept(ecl.operand)} (not the concept itself)` : `any subtype of ${describeCodeSet(ecl.operand)}`;
    case 'memberOf':
      return `a member of the reference set ${describeCodeSet(ecl.operand)}`;
    case 'or': {
      const items = flattenEcl(ecl, 'or');
      // << A OR << B OR << C: "A, B or C, or any of their subtypes".
      if (items.every((i) => i.kind === 'descendantOrSelf' && i.operand.kind === 'concept')) {
        return `${listOr(items.map((i) => concept((i as { operand: Extract<Ecl, { kind: 'concept' }> }).operand)))}, or any of their subtypes`;
      }
      return listOr(items.map(describeCodeSet));
    }
    case 'and':
      return `both ${listAnd(flattenEcl(ecl, 'and').map(describeCodeSet))}`;
    case 'minus':
      return `${describeCodeSet(ecl.left)}, except ${describeCodeSet(ecl.right)}`;
  }
}

// ------------------------------------------------------------------------------------------

/** One test, read as a qualifier: "whose sex is ‘female’", or its negation when `negate`. */
function clause(node: IrExpr, negate: boolean, catalogue: Catalogue): string {
  switch (node.kind) {
    case 'binary': {
      const op = negate ? INVERSE[node.op] : node.op;
      if (op === undefined || !isComparisonOp(op)) return negate ? `not ${code(node)}` : code(node);
      // not (x <= 140) drops an empty x just as x <> 'a' does; x = 'a' plainly needs an x.
      return comparison({ ...node, op } as Comparison, (negate && op !== '=') || op === '<>', catalogue) ?? code(node);
    }
    case 'between':
      return betweenWords({ ...node, negated: node.negated !== negate }, catalogue);
    case 'inList': {
      const negated = node.negated !== negate;
      const empty = negated ? emptyValues(catalogue, node.operand, node.items) : NO_EMPTY_VALUES;
      return `whose ${describeValue(node.operand)} ${empty.recorded}is ${negated ? 'none' : 'one'} of ${listOr(node.items.map(describeValue))}${empty.leftOut}`;
    }
    case 'inCodeSet':
      return codedAs({ ...node, negated: node.negated !== negate }, catalogue);
    case 'isNull':
      return `whose ${describeValue(node.operand)} is ${node.negated !== negate ? '' : 'not '}recorded`;
    case 'exists':
      return existsWords(node, negate, catalogue);
    case 'column': {
      if (node.type !== 'boolean') return negate ? `not ${code(node)}` : code(node);
      if (!negate) return `whose ${columnWords(node)} is true`;
      return `whose ${columnWords(node)} ${emptyValues(catalogue, node).recorded}is not true`;
    }
    case 'literal':
      if (typeof node.value === 'boolean') return node.value !== negate ? 'all of them (the condition is always true)' : 'none of them (the condition is never true)';
      return negate ? `not ${code(node)}` : code(node);
    default:
      return negate ? `not ${code(node)}` : code(node);
  }
}

const INVERSE: Partial<Record<Binary['op'], Binary['op']>> = {
  '=': '<>',
  '<>': '=',
  '<': '>=',
  '>=': '<',
  '>': '<=',
  '<=': '>',
};

type Binary = Extract<IrExpr, { kind: 'binary' }>;
type Comparison = Binary & { op: '=' | '<>' | '<' | '<=' | '>' | '>=' };

function isComparisonOp(op: Binary['op']): op is Comparison['op'] {
  return ['=', '<>', '<', '<=', '>', '>='].includes(op);
}

/**
 * How a negative test's English says that SQL leaves out rows with an empty value: "whose value
 * unit is recorded and is none of ...", or, when the empty value is not the subject's own column,
 * "... (only where value numeric is recorded)". Nothing when no column read can be empty.
 */
interface EmptyValues {
  /** Goes between "whose X " and "is ...". */
  recorded: string;
  /** Goes at the end of the phrase. */
  leftOut: string;
}

const NO_EMPTY_VALUES: EmptyValues = { recorded: '', leftOut: '' };

function emptyValues(catalogue: Catalogue, subject: IrExpr, others: readonly IrExpr[] = []): EmptyValues {
  const own = subject.kind === 'column' && isNullable(catalogue, subject) ? columnWords(subject) : undefined;
  const rest = [...new Set([subject, ...others].flatMap((e) => nullableColumns(catalogue, e)).map(columnWords))].filter((w) => w !== own);
  return {
    recorded: own !== undefined ? 'is recorded and ' : '',
    leftOut: rest.length > 0 ? ` (only where ${listAnd(rest)} ${rest.length === 1 ? 'is' : 'are'} recorded)` : '',
  };
}

/** The columns whose emptiness makes the value empty (coalesce() is empty only when every argument is). */
function nullableColumns(catalogue: Catalogue, node: IrExpr): Extract<IrExpr, { kind: 'column' }>[] {
  switch (node.kind) {
    case 'column':
      return isNullable(catalogue, node) ? [node] : [];
    case 'call': {
      const each = node.args.map((a) => nullableColumns(catalogue, a));
      if (node.fn === 'coalesce') return each.every((c, i) => c.length > 0 || (node.args[i]!.kind === 'literal' && node.args[i]!.value === null)) ? each.flat() : [];
      return each.flat();
    }
    case 'binary':
      return [...nullableColumns(catalogue, node.left), ...nullableColumns(catalogue, node.right)];
    case 'negate':
      return nullableColumns(catalogue, node.operand);
    default:
      return [];
  }
}

function isNullable(catalogue: Catalogue, node: Extract<IrExpr, { kind: 'column' }>): boolean {
  const table = findTable(catalogue, node.table);
  return (table && findColumn(table, node.column)?.nullable) ?? false;
}

/** A comparison; `negative` when SQL's dropping of empty values is worth saying (see emptyValues). */
function comparison(node: Comparison, negative: boolean, catalogue: Catalogue): string | undefined {
  // Constants on the left read better on the right: 20 > age → age < 20.
  if (isConstant(node.left) && !isConstant(node.right)) return comparison({ ...node, left: node.right, right: node.left, op: MIRROR[node.op] }, negative, catalogue);
  const empty = negative ? emptyValues(catalogue, node.left, [node.right]) : NO_EMPTY_VALUES;
  const age = ageOf(node.left);
  if (age && node.right.kind === 'literal') return `${age.subject} ${AGE_WORDS[node.op](describeValue(node.right))} on the extract date${ageLeftOut(empty, node.left)}`;
  if (isDateLike(node.left) || isDateLike(node.right)) {
    return `whose ${describeValue(node.left)} ${empty.recorded}is ${DATE_WORDS[node.op]} ${describeValue(node.right)}${empty.leftOut}`;
  }
  return `whose ${describeValue(node.left)} ${empty.recorded}${VALUE_WORDS[node.op]} ${describeValue(node.right)}${empty.leftOut}`;
}

/** "aged ..." has no "whose X" to put "is recorded" in: an empty date of birth is said at the end. */
function ageLeftOut(empty: EmptyValues, age: IrExpr): string {
  if (empty.recorded === '') return empty.leftOut;
  const dateOfBirth = age.kind === 'call' ? age.args[0] : undefined;
  const words = dateOfBirth?.kind === 'column' ? columnWords(dateOfBirth) : describeValue(age);
  return ` (only where ${words} is recorded)`;
}

const MIRROR: Record<Comparison['op'], Comparison['op']> = { '=': '=', '<>': '<>', '<': '>', '>': '<', '<=': '>=', '>=': '<=' };

const AGE_WORDS: Record<Comparison['op'], (n: string) => string> = {
  '<': (n) => `under ${n}`,
  '<=': (n) => `${n} or under`,
  '>': (n) => `over ${n}`,
  '>=': (n) => `${n} or over`,
  '=': (n) => `exactly ${n}`,
  '<>': (n) => `any age but ${n}`,
};

const DATE_WORDS: Record<Comparison['op'], string> = { '=': 'on', '<>': 'not on', '<': 'before', '<=': 'on or before', '>': 'after', '>=': 'on or after' };
const VALUE_WORDS: Record<Comparison['op'], string> = {
  '=': 'is',
  '<>': 'is not',
  '<': 'is less than',
  '<=': 'is at most',
  '>': 'is more than',
  '>=': 'is at least',
};

function betweenWords(node: Extract<IrExpr, { kind: 'between' }>, catalogue: Catalogue): string {
  const empty = node.negated ? emptyValues(catalogue, node.operand, [node.low, node.high]) : NO_EMPTY_VALUES;
  const age = ageOf(node.operand);
  const low = describeValue(node.low);
  const high = describeValue(node.high);
  if (age) return `${age.subject} ${node.negated ? `under ${low} or over ${high}` : `${low} to ${high}`} on the extract date${ageLeftOut(empty, node.operand)}`;
  const word = isDateLike(node.operand) ? 'from' : 'between';
  const joiner = word === 'from' ? 'to' : 'and';
  return `whose ${describeValue(node.operand)} ${empty.recorded}is ${node.negated ? 'not ' : ''}${word} ${low} ${joiner} ${high} (inclusive)${empty.leftOut}`;
}

/** age_years(date_of_birth): "aged"; age_years(other date): "whose age in years of other date is". */
function ageOf(node: IrExpr): { subject: string } | undefined {
  if (node.kind !== 'call' || node.fn !== 'age_years' || node.args.length !== 1) return undefined;
  const arg = node.args[0]!;
  if (arg.kind === 'column' && arg.column === 'date_of_birth') return { subject: arg.path.length === 0 ? 'aged' : `whose ${possessive(arg.path)} age is` };
  return { subject: `whose years since ${describeValue(arg)} are` };
}

function codedAs(node: Extract<IrExpr, { kind: 'inCodeSet' }>, catalogue: Catalogue): string {
  const set = describeCodeSet(node.codeSet);
  const operand = node.operand;
  const empty = node.negated ? emptyValues(catalogue, operand) : NO_EMPTY_VALUES;
  // The table's own code: "coded as ..."; another coded column: "whose ethnicity code is ...".
  if (operand.kind === 'column' && operand.path.length === 0 && operand.column === 'code') {
    return `${node.negated ? 'not ' : ''}coded as ${set}${empty.recorded !== '' ? ' (only where code is recorded)' : empty.leftOut}`;
  }
  return `whose ${describeValue(operand)} ${empty.recorded}is ${node.negated ? 'not ' : ''}${set}${empty.leftOut}`;
}

function existsWords(node: Extract<IrExpr, { kind: 'exists' }>, negate: boolean, catalogue: Catalogue): string {
  const thing = node.table.replace(/_/g, ' ');
  const via = node.relation.length > 1 ? ` (through ${node.relation.map((r) => r.relation).join('.')})` : '';
  const where = node.where ? ` ${qualifiers(node.where, catalogue)}` : '';
  return negate ? `with no ${thing}${via}${where}` : `with ${article(thing)} ${thing}${via}${where}`;
}

function callWords(node: Extract<IrExpr, { kind: 'call' }>): string {
  const arg = (i: number) => describeValue(node.args[i]!);
  switch (node.fn) {
    case 'today':
      return 'the extract date';
    case 'year':
      return `the year of ${arg(0)}`;
    case 'month':
      return `the month of ${arg(0)}`;
    case 'age_years':
      return `the age in years on the extract date (from ${arg(0)})`;
    case 'age_band': {
      return `the ${node.width}-year age band on the extract date (from ${arg(0)})`;
    }
    case 'postcode_district':
      return `the postcode district of ${arg(0)}`;
    case 'pseudonym': {
      return `a keyed pseudonym of ${arg(0)} (key ‘${node.key}’)`;
    }
    case 'date_of':
      return `the date of ${arg(0)}`;
    case 'lower':
      return `${arg(0)} in lower case`;
    case 'upper':
      return `${arg(0)} in upper case`;
    case 'coalesce':
      return `the first recorded of ${listAnd(node.args.map(describeValue))}`;
    default:
      return code(node);
  }
}

/** Date arithmetic: "the date 12 months before the extract date", "the date 30 days after date of birth". */
function arithmetic(node: Binary): string | undefined {
  if (node.op !== '+' && node.op !== '-') return undefined;
  if (!isDateLike(node.left) || node.right.kind !== 'literal') return undefined;
  const amount = node.right.type === 'interval' ? String(node.right.value) : node.right.type === 'integer' ? `${String(node.right.value)} days` : undefined;
  if (amount === undefined) return undefined;
  return `the date ${amount} ${node.op === '-' ? 'before' : 'after'} ${describeValue(node.left)}`;
}

function literal(node: Extract<IrExpr, { kind: 'literal' }>): string {
  if (node.value === null) return 'nothing (null)';
  if (typeof node.value === 'boolean') return node.value ? 'true' : 'false';
  if (node.type === 'text') return `‘${node.value}’`;
  return node.value;
}

function columnWords(node: Extract<IrExpr, { kind: 'column' }>): string {
  const own = node.column.replace(/_/g, ' ').replace(/\bnhs\b/, 'NHS').replace(/\bods\b/, 'ODS');
  return node.path.length === 0 ? own : `${possessive(node.path)} ${own}`;
}

function possessive(path: readonly string[]): string {
  return path.map((p, i) => `${i === 0 ? 'the ' : ''}${p.replace(/_/g, ' ')}’s`).join(' ');
}

function concept(ecl: Extract<Ecl, { kind: 'concept' }>): string {
  return ecl.term ? `${ecl.term} (${ecl.id})` : `concept ${ecl.id}`;
}

function flattenEcl(ecl: Ecl, kind: 'or' | 'and'): Ecl[] {
  return ecl.kind === kind ? [...flattenEcl(ecl.left, kind), ...flattenEcl(ecl.right, kind)] : [ecl];
}

function isToday(node: IrExpr): boolean {
  return node.kind === 'call' && node.fn === 'today';
}

function isConstant(node: IrExpr): boolean {
  return node.kind === 'literal' || isToday(node) || (node.kind === 'binary' && isConstant(node.left) && isConstant(node.right));
}

function isDateLike(node: IrExpr): boolean {
  return node.type === 'date' || node.type === 'timestamp';
}

function article(noun: string): string {
  return /^[aeiou]/i.test(noun) ? 'an' : 'a';
}

/** exdef text for what has no English phrasing, between backticks (set in code type). */
function code(node: IrExpr): string {
  return `\`${printIrExpression(node)}\``;
}

export function listAnd(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

export function listOr(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}

