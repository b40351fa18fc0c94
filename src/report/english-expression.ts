import { printEcl, printIrExpression } from '../diff/print-ir-expression.js';
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
 */
export function describeCondition(node: IrExpr): string {
  if (node.kind === 'binary' && node.op === 'and') {
    const parts = conjuncts(node).map(describeCondition);
    // Parts that have commas or "and" of their own are kept apart with semicolons.
    return parts.some((p) => /,| and /.test(p)) ? `${parts.slice(0, -1).join('; ')}; and ${parts.at(-1)}` : listAnd(parts);
  }
  if (node.kind === 'binary' && node.op === 'or') return `either ${listOr(disjuncts(node).map((d) => clause(d)))}`;
  return clause(node);
}

/** The conditions on the rows an exists() looks for, one after another: "coded as X, whose ...". */
function describeQualifiers(node: IrExpr): string {
  if (node.kind === 'binary' && node.op === 'and') return conjuncts(node).map(describeQualifiers).join(', ');
  return describeCondition(node);
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

function clause(node: IrExpr): string {
  switch (node.kind) {
    case 'binary':
      if (node.op === 'and' || node.op === 'or') return `(${describeCondition(node)})`;
      return comparison(node) ?? code(node);
    case 'between':
      return betweenWords(node);
    case 'inList':
      return `whose ${describeValue(node.operand)} is ${node.negated ? 'none' : 'one'} of ${listOr(node.items.map(describeValue))}`;
    case 'inCodeSet':
      return codedAs(node);
    case 'isNull':
      return `whose ${describeValue(node.operand)} is ${node.negated ? '' : 'not '}recorded`;
    case 'exists':
      return existsWords(node, false);
    case 'not':
      return negated(node.operand);
    case 'column':
      if (node.type === 'boolean') return `whose ${columnWords(node)} is true`;
      return code(node);
    case 'literal':
      return node.value === true ? 'all of them (the condition is always true)' : node.value === false ? 'none of them (the condition is never true)' : code(node);
    default:
      return code(node);
  }
}

function negated(operand: IrExpr): string {
  switch (operand.kind) {
    case 'exists':
      return existsWords(operand, true);
    case 'inCodeSet':
      return codedAs({ ...operand, negated: !operand.negated });
    case 'inList':
    case 'isNull':
    case 'between':
      return clause({ ...operand, negated: !operand.negated });
    case 'binary': {
      const inverse = INVERSE[operand.op];
      if (inverse) return clause({ ...operand, op: inverse });
      if (operand.op === 'or') return listAnd(disjuncts(operand).map(negated));
      return `not ${clause(operand)}`;
    }
    case 'column':
      if (operand.type === 'boolean') return `whose ${columnWords(operand)} is not true`;
      return `not ${code(operand)}`;
    default:
      return `not ${clause(operand)}`;
  }
}

const INVERSE: Partial<Record<Extract<IrExpr, { kind: 'binary' }>['op'], Extract<IrExpr, { kind: 'binary' }>['op']>> = {
  '=': '<>',
  '<>': '=',
  '<': '>=',
  '>=': '<',
  '>': '<=',
  '<=': '>',
};

type Binary = Extract<IrExpr, { kind: 'binary' }>;
type Comparison = Binary & { op: '=' | '<>' | '<' | '<=' | '>' | '>=' };

function comparison(node: Binary): string | undefined {
  if (!['=', '<>', '<', '<=', '>', '>='].includes(node.op)) return undefined;
  const c = node as Comparison;
  // Constants on the left read better on the right: 20 > age → age < 20.
  if (isConstant(c.left) && !isConstant(c.right)) return comparison({ ...c, left: c.right, right: c.left, op: MIRROR[c.op] });
  const age = ageOf(c.left);
  if (age && c.right.kind === 'literal') return `${age.subject} ${AGE_WORDS[c.op](describeValue(c.right))} on the extract date`;
  const dates = isDateLike(c.left) || isDateLike(c.right);
  if (dates) {
    return `whose ${describeValue(c.left)} is ${DATE_WORDS[c.op]} ${describeValue(c.right)}`;
  }
  return `whose ${describeValue(c.left)} ${VALUE_WORDS[c.op]} ${describeValue(c.right)}`;
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

function betweenWords(node: Extract<IrExpr, { kind: 'between' }>): string {
  const age = ageOf(node.operand);
  const low = describeValue(node.low);
  const high = describeValue(node.high);
  if (age) return `${age.subject} ${node.negated ? 'under' : ''}${node.negated ? ` ${low} or over ${high}` : `${low} to ${high}`} on the extract date`;
  const word = isDateLike(node.operand) ? 'from' : 'between';
  const joiner = word === 'from' ? 'to' : 'and';
  return `whose ${describeValue(node.operand)} is ${node.negated ? 'not ' : ''}${word} ${low} ${joiner} ${high} (inclusive)`;
}

/** age_years(date_of_birth): "aged"; age_years(other date): "whose age in years of other date is". */
function ageOf(node: IrExpr): { subject: string } | undefined {
  if (node.kind !== 'call' || node.fn !== 'age_years' || node.args.length !== 1) return undefined;
  const arg = node.args[0]!;
  if (arg.kind === 'column' && arg.column === 'date_of_birth') return { subject: arg.path.length === 0 ? 'aged' : `whose ${possessive(arg.path)} age is` };
  return { subject: `whose years since ${describeValue(arg)} are` };
}

function codedAs(node: Extract<IrExpr, { kind: 'inCodeSet' }>): string {
  const set = describeCodeSet(node.codeSet);
  const operand = node.operand;
  // The table's own code: "coded as ..."; another coded column: "whose ethnicity code is ...".
  if (operand.kind === 'column' && operand.path.length === 0 && operand.column === 'code') return `${node.negated ? 'not ' : ''}coded as ${set}`;
  return `whose ${describeValue(operand)} is ${node.negated ? 'not ' : ''}${set}`;
}

function existsWords(node: Extract<IrExpr, { kind: 'exists' }>, negate: boolean): string {
  const thing = node.table.replace(/_/g, ' ');
  const via = node.relation.length > 1 ? ` (through ${node.relation.map((r) => r.relation).join('.')})` : '';
  const where = node.where ? ` ${describeQualifiers(node.where)}` : '';
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
      const width = node.args[1]?.kind === 'literal' ? String(node.args[1].value) : '5';
      return `the ${width}-year age band on the extract date (from ${arg(0)})`;
    }
    case 'postcode_district':
      return `the postcode district of ${arg(0)}`;
    case 'pseudonym': {
      const key = node.args[1]?.kind === 'literal' ? String(node.args[1].value) : '?';
      return `a keyed pseudonym of ${arg(0)} (key ‘${key}’)`;
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

function conjuncts(node: IrExpr): IrExpr[] {
  return node.kind === 'binary' && node.op === 'and' ? [...conjuncts(node.left), ...conjuncts(node.right)] : [node];
}

function disjuncts(node: IrExpr): IrExpr[] {
  return node.kind === 'binary' && node.op === 'or' ? [...disjuncts(node.left), ...disjuncts(node.right)] : [node];
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

/** ECL as written, for the reference next to the words. */
export { printEcl };
