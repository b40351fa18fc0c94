import { childrenOf } from '../ir/walk.js';
import { printIrExpression } from '../diff/print-ir-expression.js';
import type { IrExpr } from '../ir/expression.js';
import type { Span } from '../source/source-file.js';
import type { CodeSetIndex } from './code-sets.js';
import {
  complement,
  type ConceptLeaf,
  type ConceptSelection,
  eclSelection,
  EVERYTHING,
  intersect,
  leafSelection,
  NOTHING,
  unite,
} from './concept-selection.js';

/**
 * What an expression selects on one code column, read as a whole: every test of that column in
 * one row scope (the site's rows, or the rows an exists(...) looks at) combined through the
 * boolean structure around them (and, or, not, `not in`, `<>`, `= false`, double negation).
 */
export interface CodeColumnSelection {
  /** The code value tested, as written: `code`, `dmd_code`, `coalesce(code, 0)`. */
  column: string;
  /** The relations from the site's table to the rows tested (exists(...) bodies), outermost first. */
  rows: string[];
  /**
   * How the rows are wanted: `selected` when the expression keeps the rows it matches (a filter,
   * an exists), `excluded` when it keeps rows that do not match (under not, not exists). A
   * field shows its value either way, so it is read both ways.
   */
  reading: 'selected' | 'excluded';
  /** The concepts the rows may have, with why each is in or out. */
  selection: ConceptSelection;
  /** What was written in the tests of this column: concepts and ranges. */
  leaves: ConceptLeaf[];
  /** How many tests of the column were combined. */
  tests: number;
  /** The code set of the one test, or the smallest stretch of text that holds all the tests. */
  span?: Span;
}

/**
 * The sets of concepts an expression selects on its code columns, against the terminology.
 * `role` field: a field's value shows the test's result both ways, so each set is read as
 * selected and as excluded.
 */
export function codeSetMeaning(expression: IrExpr, index: CodeSetIndex, role: 'filter' | 'field'): CodeColumnSelection[] {
  const results: CodeColumnSelection[] = [];
  const units: Unit[] = [{ root: expression, rows: [], readings: role === 'field' ? [1, -1] : [1] }];
  for (let unit = units.shift(); unit; unit = units.shift()) results.push(...analyseUnit(unit, index, (next) => units.push(next)));
  return results;
}

type Reading = 1 | -1;

/** A boolean formula over one row scope, read with the polarities it has where it stands. */
interface Unit {
  root: IrExpr;
  rows: string[];
  readings: Reading[];
}

/** For one code column: the concepts for which the formula can be true (sel) and must be true (must). */
interface Bounds {
  sel: ConceptSelection;
  must: ConceptSelection;
}

/** The bounds of a formula on every column it tests; `other` for the columns it does not test. */
interface Formula {
  columns: Map<string, Bounds>;
  other: Bounds;
}

interface ColumnTests {
  column: string;
  leaves: ConceptLeaf[];
  /** The code set (or value) part of each test, and each whole test. */
  spans: Span[];
  tests: Span[];
  count: number;
}

const UNKNOWN: Bounds = { sel: EVERYTHING, must: NOTHING };
const TRUE: Bounds = { sel: EVERYTHING, must: EVERYTHING };
const FALSE: Bounds = { sel: NOTHING, must: NOTHING };

function analyseUnit(unit: Unit, index: CodeSetIndex, enqueue: (unit: Unit) => void): CodeColumnSelection[] {
  const tested = new Map<string, ColumnTests>();
  let nextLeaf = 0;

  /** A test of a code value: its key and the concepts for which it can and must hold, or undefined when it is none. */
  const codeTest = (node: IrExpr): { operand: IrExpr; bounds: Bounds; span?: Span } | undefined => {
    const leaves: ConceptLeaf[] = [];
    const newLeaf = (leaf: Omit<ConceptLeaf, 'id'>): ConceptLeaf => {
      const made = { ...leaf, id: nextLeaf++ };
      leaves.push(made);
      return made;
    };
    const record = (operand: IrExpr, bounds: Bounds, span: Span | undefined) => {
      const key = printIrExpression(operand);
      const entry = tested.get(key) ?? { column: key, leaves: [], spans: [], tests: [], count: 0 };
      entry.leaves.push(...leaves);
      if (span) entry.spans.push(span);
      if (node.span) entry.tests.push(node.span);
      entry.count++;
      tested.set(key, entry);
      return { operand, bounds, ...(span ? { span } : {}) };
    };
    const exactly = (selection: ConceptSelection): Bounds => ({ sel: selection, must: selection });
    const conceptLeaf = (e: IrExpr, id: string) => leafSelection(newLeaf({ kind: 'concept', concept: id, ...(e.span ? { span: e.span } : {}) }), [id]);
    const range = (low: string | undefined, high: string | undefined, span: Span | undefined) => {
      const leaf = newLeaf({ kind: 'range', ...(low !== undefined ? { low } : {}), ...(high !== undefined ? { high } : {}), ...(span ? { span } : {}) });
      // Read symmetric whatever SQL does with reversed bounds: lint may be stricter than the run, never looser.
      const [a, b] = [low === undefined ? undefined : BigInt(low), high === undefined ? undefined : BigInt(high)];
      const inside = new Set(a !== undefined && b !== undefined && a > b ? index.between(b, a) : index.between(a, b));
      // Ids have no order of meaning, so a range is a list written short, and so is what it leaves
      // out: under a complement the concepts outside it are selected for the range's sake.
      const selection = leafSelection(leaf, inside);
      const listed = new Map(selection.listed);
      for (const c of index.between(undefined, undefined)) if (!inside.has(c)) listed.set(c, { selected: false, why: new Set([leaf.id]) });
      return { rest: false, listed };
    };
    /**
     * A code column inside a function lint cannot see through, compared with `other`: any concept
     * may pass (judged as a broad set), and every concept id written in `other` is asked for by
     * name, whatever function it is under. Whether the test must hold for a concept is unknown.
     */
    const unseen = (other: IrExpr[], span: Span | undefined): Bounds => {
      let sel = leafSelection(newLeaf({ kind: 'any', ...(span ? { span } : {}) }), index.between(undefined, undefined));
      for (const o of other) for (const { node: at, id } of constantsIn(o)) sel = unite(sel, conceptLeaf(at, id));
      return { sel, must: NOTHING };
    };
    const negated = (b: Bounds, yes: boolean): Bounds => (yes ? { sel: complement(b.must), must: complement(b.sel) } : b);
    /** `left op right` where one side holds a code column: `=` and `<>` see through the same injective function on both sides. */
    const compare = (left: IrExpr, right: IrExpr, op: string, span: Span | undefined): { operand: IrExpr; bounds: Bounds; span?: Span } | undefined => {
      const [l, r] = op === '=' || op === '<>' ? peel(left, right) : [left, right];
      const leftCode = isCodeValue(l);
      const rightCode = isCodeValue(r);
      if (leftCode || rightCode) {
        const [operand, value, o] = leftCode ? [l, r, op] : [r, l, flip(op)];
        const v = constantValue(value);
        if (v === undefined) {
          // Another column: no concept named, unless one is written under a function beside it.
          if (hasCodeColumn(value) || constantsIn(value).length === 0) return undefined;
          return { operand, bounds: negated(unseen([value], span), o === '<>'), ...(span ? { span } : {}) };
        }
        const id = String(v);
        let set: ConceptSelection;
        if (o === '=' || o === '<>') set = conceptLeaf(value, id);
        // Ids compare as numbers in SQL; the resolver refuses < and > on codes, this keeps lint honest if it ever allows them.
        else if (o === '<' || o === '<=') set = range(undefined, o === '<' ? String(v - 1n) : id, span);
        else set = range(o === '>' ? String(v + 1n) : id, undefined, span);
        return { operand, bounds: exactly(o === '<>' ? complement(set) : set), ...(o === '=' || o === '<>' ? (value.span ?? span ? { span: value.span ?? span } : {}) : span ? { span } : {}) };
      }
      const inside = hasCodeColumn(left) ? left : hasCodeColumn(right) ? right : undefined;
      if (!inside) return undefined;
      const other = inside === left ? right : left;
      return { operand: outerCode(inside)!, bounds: negated(unseen([other], span), op === '<>'), ...(span ? { span } : {}) };
    };
    switch (node.kind) {
      case 'inCodeSet': {
        const set = eclSelection(node.codeSet, index, newLeaf);
        const operand = isCodeValue(node.operand) ? node.operand : outerCode(node.operand);
        if (!operand) return undefined;
        return record(operand, exactly(node.negated ? complement(set) : set), node.codeSet.span ?? node.span);
      }
      case 'inList': {
        if (isCodeValue(node.operand)) {
          let set = NOTHING;
          for (const item of node.items) {
            const v = constantValue(item);
            // An item that is another column names no concept.
            if (v !== undefined) set = unite(set, conceptLeaf(item, String(v)));
          }
          return record(node.operand, exactly(node.negated ? complement(set) : set), node.span);
        }
        if (!hasCodeColumn(node.operand)) return undefined;
        // `pseudonym(code, 'k') in (pseudonym(86406008, 'k'), ...)`: each item an equality.
        let bounds: Bounds = { sel: NOTHING, must: NOTHING };
        let operand: IrExpr | undefined;
        for (const item of node.items) {
          const one = compare(node.operand, item, '=', item.span ?? node.span) ?? { operand: outerCode(node.operand)!, bounds: unseen([item], node.span) };
          operand ??= one.operand;
          bounds = { sel: unite(bounds.sel, one.bounds.sel), must: unite(bounds.must, one.bounds.must) };
        }
        return record(operand ?? outerCode(node.operand)!, negated(bounds, node.negated), node.span);
      }
      case 'between': {
        if (!isCodeValue(node.operand)) {
          if (!hasCodeColumn(node.operand)) return undefined;
          return record(outerCode(node.operand)!, negated(unseen([node.low, node.high], node.span), node.negated), node.span);
        }
        const [lv, hv] = [constantValue(node.low), constantValue(node.high)];
        if (lv === undefined && hv === undefined) return undefined;
        // A bound that is not a constant is unknown: the range is open on that side.
        const set = range(lv === undefined ? undefined : String(lv), hv === undefined ? undefined : String(hv), node.span);
        return record(node.operand, exactly(node.negated ? complement(set) : set), node.span);
      }
      case 'binary': {
        if (!['=', '<>', '<', '<=', '>', '>='].includes(node.op) || node.left.type === 'boolean') return undefined;
        const found = compare(node.left, node.right, node.op, node.span);
        return found ? record(found.operand, found.bounds, found.span) : undefined;
      }
      default:
        return undefined;
    }
  };

  const opaque = (node: IrExpr, pol: Reading): Formula => {
    if (node.kind === 'exists') {
      if (node.where) enqueue({ root: node.where, rows: [...unit.rows, ...node.relation.map((r) => r.relation)], readings: unit.readings.map((r) => (r * pol) as Reading) });
    } else {
      discover(node);
    }
    return { columns: new Map(), other: UNKNOWN };
  };

  /** Boolean parts of an opaque node (an argument, an `is null` operand; exists(...) is boolean too) are read both ways. */
  const discover = (node: IrExpr): void => {
    for (const child of children(node)) {
      if (child.type === 'boolean') enqueue({ root: child, rows: unit.rows, readings: [1, -1] });
      else discover(child);
    }
  };

  const formula = (node: IrExpr, pol: Reading): Formula => {
    switch (node.kind) {
      case 'literal':
        if (node.type === 'boolean') return { columns: new Map(), other: node.value === true ? TRUE : FALSE };
        return { columns: new Map(), other: UNKNOWN };
      case 'not':
        return negate(formula(node.operand, (-pol) as Reading));
      case 'binary': {
        if (node.op === 'and') return conjuncts(node).map((c) => formula(c, pol)).reduce((a, b) => combine(a, b, true));
        if (node.op === 'or') return combine(formula(node.left, pol), formula(node.right, pol), false);
        if ((node.op === '=' || node.op === '<>') && node.left.type === 'boolean' && node.right.type === 'boolean') {
          // `(test) = false`, `(test) <> true`: a negation written as a comparison.
          const literal = node.left.kind === 'literal' ? node.left : node.right.kind === 'literal' ? node.right : undefined;
          const other = literal === node.left ? node.right : node.left;
          if (literal && typeof literal.value === 'boolean') {
            const keeps = (node.op === '=') === literal.value;
            return keeps ? formula(other, pol) : negate(formula(other, (-pol) as Reading));
          }
          return opaque(node, pol);
        }
        break;
      }
      case 'call':
        if (node.fn === 'coalesce' && node.type === 'boolean' && node.args.length > 0) {
          // For a row that has a code, a test is never null: coalesce(test, ...) is the test, or the rest when it is null.
          const [first, ...rest] = node.args.map((a) => formula(a, pol));
          let sel = first!;
          for (const r of rest) sel = combine(sel, r, false);
          return { columns: new Map([...sel.columns].map(([k, b]) => [k, { sel: b.sel, must: first!.columns.get(k)?.must ?? first!.other.must }])), other: { sel: sel.other.sel, must: first!.other.must } };
        }
        break;
      default:
        break;
    }
    const test = codeTest(node);
    if (test) {
      const key = printIrExpression(test.operand);
      return { columns: new Map([[key, test.bounds]]), other: UNKNOWN };
    }
    return opaque(node, pol);
  };

  const root = formula(unit.root, 1);
  const results: CodeColumnSelection[] = [];
  for (const [key, bounds] of root.columns) {
    const tests = tested.get(key)!;
    for (const reading of unit.readings) {
      const span = tests.count === 1 ? tests.spans[0] : coverSpans(tests.tests);
      results.push({
        column: tests.column,
        rows: unit.rows,
        reading: reading === 1 ? 'selected' : 'excluded',
        selection: reading === 1 ? bounds.sel : complement(bounds.must),
        leaves: tests.leaves,
        tests: tests.count,
        ...(span ? { span } : {}),
      });
    }
  }
  return results;
}

/**
 * The parts of an AND chain, where `exists(r where P) and not exists(r where Q)` over the same
 * relations is read as `exists(r where P and not Q) and not exists(r where Q)` (the same
 * meaning: every row of r fails Q, so the row found fails it too). The rows looked for are then
 * known to be those of P left after Q, which is how a sliver is chosen by elimination.
 */
function conjuncts(node: IrExpr): IrExpr[] {
  const parts: IrExpr[] = [];
  const flatten = (n: IrExpr): void => {
    if (n.kind === 'binary' && n.op === 'and') {
      flatten(n.left);
      flatten(n.right);
    } else parts.push(n);
  };
  flatten(node);
  const path = (n: Extract<IrExpr, { kind: 'exists' }>) => n.relation.map((r) => r.relation).join('.');
  const excluded = new Map<string, IrExpr[]>();
  for (const part of parts) {
    if (part.kind === 'not' && part.operand.kind === 'exists' && part.operand.where) {
      excluded.set(path(part.operand), [...(excluded.get(path(part.operand)) ?? []), part.operand.where]);
    }
  }
  return parts.map((part) => {
    const others = part.kind === 'exists' && part.where ? excluded.get(path(part)) : undefined;
    if (part.kind !== 'exists' || !part.where || !others) return part;
    const rest = others.reduce((a, b): IrExpr => ({ kind: 'binary', op: 'or', left: a, right: b, type: 'boolean' }));
    return { ...part, where: { kind: 'binary', op: 'and', left: part.where, right: { kind: 'not', operand: rest, type: 'boolean' }, type: 'boolean' } };
  });
}

function negate(f: Formula): Formula {
  const swap = (b: Bounds): Bounds => ({ sel: complement(b.must), must: complement(b.sel) });
  return { columns: new Map([...f.columns].map(([k, b]) => [k, swap(b)])), other: swap(f.other) };
}

function combine(a: Formula, b: Formula, and: boolean): Formula {
  const op = and ? intersect : unite;
  const both = (x: Bounds, y: Bounds): Bounds => ({ sel: op(x.sel, y.sel), must: op(x.must, y.must) });
  const columns = new Map<string, Bounds>();
  for (const [k, x] of a.columns) columns.set(k, both(x, b.columns.get(k) ?? b.other));
  for (const [k, y] of b.columns) if (!a.columns.has(k)) columns.set(k, both(a.other, y));
  return { columns, other: both(a.other, b.other) };
}

/** Functions that give different results for different codes (a keyed hash): `f(code) = f(X)` holds exactly when `code = X`. */
const INJECTIVE: ReadonlySet<string> = new Set(['pseudonym']);

/**
 * The two sides of an equality with the same injective function taken off both, as often as it
 * is written: `pseudonym(code, 'k') = pseudonym(86406008, 'k')` is `code = 86406008`. The function
 * must be the same, with the same parameters (a pseudonym under another key is another function).
 */
function peel(left: IrExpr, right: IrExpr): [IrExpr, IrExpr] {
  let [l, r] = [left, right];
  for (;;) {
    if (l.kind !== 'call' || r.kind !== 'call' || l.fn !== r.fn || !INJECTIVE.has(l.fn)) return [l, r];
    const [la, ra] = [l.args, r.args];
    if (la.length !== ra.length || la.length === 0 || !la.slice(1).every((a, i) => printIrExpression(a) === printIrExpression(ra[i + 1]!))) return [l, r];
    [l, r] = [la[0]!, ra[0]!];
  }
}

/** A code value that is read from a row (not a constant): what a test of a code column tests. */
function isCodeValue(e: IrExpr): boolean {
  return e.type === 'code' && hasCodeColumn(e);
}

/** Whether a code column is read anywhere in the expression (outside exists bodies). */
function hasCodeColumn(e: IrExpr): boolean {
  if (e.kind === 'column') return e.type === 'code';
  return children(e).some(hasCodeColumn);
}

/** The outermost code-typed value read from a row inside an expression: the key its tests are combined under. */
function outerCode(e: IrExpr): IrExpr | undefined {
  if (isCodeValue(e)) return e;
  for (const child of children(e)) {
    const found = outerCode(child);
    if (found) return found;
  }
  return undefined;
}

/**
 * The whole number a constant expression always has, when lint can tell: a literal id (a code, a
 * whole number, or text of digits, which is what a hash of a code reads), arithmetic on such,
 * abs, coalesce. Lint may read more concepts into a filter than the run matches, never fewer.
 */
export function constantValue(e: IrExpr): bigint | undefined {
  switch (e.kind) {
    case 'literal': {
      if (typeof e.value !== 'string') return undefined;
      const text = e.value.trim();
      if (/^[+-]?\d+$/.test(text)) return BigInt(text);
      if (/^[+-]?\d+\.0*$/.test(text)) return BigInt(text.replace(/\.0*$/, ''));
      return undefined;
    }
    case 'negate': {
      const v = constantValue(e.operand);
      return v === undefined ? undefined : -v;
    }
    case 'binary': {
      if (!['+', '-', '*', '/'].includes(e.op)) return undefined;
      const [a, b] = [constantValue(e.left), constantValue(e.right)];
      if (a === undefined || b === undefined) return undefined;
      if (e.op === '+') return a + b;
      if (e.op === '-') return a - b;
      if (e.op === '*') return a * b;
      return b === 0n ? undefined : a / b;
    }
    case 'call': {
      if (e.fn === 'abs' || e.fn === 'round') {
        const v = e.args[0] ? constantValue(e.args[0]) : undefined;
        return v === undefined ? undefined : e.fn === 'abs' && v < 0n ? -v : v;
      }
      if (e.fn === 'coalesce') {
        for (const a of e.args) {
          if (a.kind === 'literal' && a.value === null) continue;
          return constantValue(a);
        }
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

/** The literal parameters of a call (a pseudonym key, an age band width): names, not values. */
const PARAMETERS: Record<string, number[]> = { pseudonym: [1], age_band: [1], round: [1] };

/**
 * Every concept id written in an expression, under whatever function: the largest constant
 * parts that are whole numbers, and the literals inside the others.
 */
function constantsIn(e: IrExpr): { node: IrExpr; id: string }[] {
  const v = constantValue(e);
  if (v !== undefined) return v > 0n ? [{ node: e, id: String(v) }] : [];
  const skip = e.kind === 'call' ? (PARAMETERS[e.fn] ?? []) : [];
  return children(e).flatMap((c, i) => (skip.includes(i) ? [] : constantsIn(c)));
}

/** The comparison read from the other side: `86406008 < code` is `code > 86406008`. */
function flip(op: string): string {
  return op === '<' ? '>' : op === '>' ? '<' : op === '<=' ? '>=' : op === '>=' ? '<=' : op;
}

/** The direct sub-expressions of a node (exists bodies are their own scope and are not among them). */
function children(node: IrExpr): IrExpr[] {
  return node.kind === 'exists' ? [] : childrenOf(node);
}

/** The smallest span holding all of them (they are in one expression, so in one file). */
export function coverSpans(spans: Span[]): Span | undefined {
  if (spans.length === 0) return undefined;
  let start = spans[0]!.start;
  let end = spans[0]!.end;
  for (const s of spans) {
    if (s.start.offset < start.offset) start = s.start;
    if (s.end.offset > end.offset) end = s.end;
  }
  return { file: spans[0]!.file, start, end };
}
