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

  /** A test of a code value: its key and the concepts it selects, or undefined when it is none. */
  const codeTest = (node: IrExpr): { operand: IrExpr; selection: ConceptSelection; span?: Span } | undefined => {
    const leaves: ConceptLeaf[] = [];
    const newLeaf = (leaf: Omit<ConceptLeaf, 'id'>): ConceptLeaf => {
      const made = { ...leaf, id: nextLeaf++ };
      leaves.push(made);
      return made;
    };
    const record = (operand: IrExpr, selection: ConceptSelection, span: Span | undefined) => {
      const key = printIrExpression(operand);
      const entry = tested.get(key) ?? { column: key, leaves: [], spans: [], tests: [], count: 0 };
      entry.leaves.push(...leaves);
      if (span) entry.spans.push(span);
      if (node.span) entry.tests.push(node.span);
      entry.count++;
      tested.set(key, entry);
      return { operand, selection, ...(span ? { span } : {}) };
    };
    const conceptOf = (e: IrExpr): string | undefined =>
      e.kind === 'literal' && (e.type === 'code' || e.type === 'integer') && typeof e.value === 'string' && /^\d+$/.test(e.value) ? e.value : undefined;
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
    switch (node.kind) {
      case 'inCodeSet': {
        const set = eclSelection(node.codeSet, index, newLeaf);
        return record(node.operand, node.negated ? complement(set) : set, node.codeSet.span ?? node.span);
      }
      case 'inList': {
        if (node.operand.type !== 'code') return undefined;
        let set = NOTHING;
        for (const item of node.items) {
          const id = conceptOf(item);
          // An item that is another column names no concept.
          if (id !== undefined) set = unite(set, conceptLeaf(item, id));
        }
        return record(node.operand, node.negated ? complement(set) : set, node.span);
      }
      case 'between': {
        if (node.operand.type !== 'code') return undefined;
        const [low, high] = [conceptOf(node.low), conceptOf(node.high)];
        if (low === undefined && high === undefined) return undefined;
        // A bound that is not a literal is unknown: the range is open on that side.
        const set = range(low, high, node.span);
        return record(node.operand, node.negated ? complement(set) : set, node.span);
      }
      case 'binary': {
        if (!['=', '<>', '<', '<=', '>', '>='].includes(node.op)) return undefined;
        const leftCode = node.left.type === 'code' && conceptOf(node.left) === undefined;
        const rightCode = node.right.type === 'code' && conceptOf(node.right) === undefined;
        const [operand, value, op] = leftCode ? [node.left, node.right, node.op] : rightCode ? [node.right, node.left, flip(node.op)] : [undefined, undefined, node.op];
        const id = value ? conceptOf(value) : undefined;
        if (!operand || !value || id === undefined) return undefined;
        let set: ConceptSelection;
        if (op === '=' || op === '<>') set = conceptLeaf(value, id);
        // Ids compare as numbers in SQL; the resolver refuses < and > on codes, this keeps lint honest if it ever allows them.
        else if (op === '<' || op === '<=') set = range(undefined, op === '<' ? String(BigInt(id) - 1n) : id, node.span);
        else set = range(op === '>' ? String(BigInt(id) + 1n) : id, undefined, node.span);
        return record(operand, op === '<>' ? complement(set) : set, op === '=' || op === '<>' ? (value.span ?? node.span) : node.span);
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
      return { columns: new Map([[key, { sel: test.selection, must: test.selection }]]), other: UNKNOWN };
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

/** The comparison read from the other side: `86406008 < code` is `code > 86406008`. */
function flip(op: string): string {
  return op === '<' ? '>' : op === '>' ? '<' : op === '<=' ? '>=' : op === '>=' ? '<=' : op;
}

/** The direct sub-expressions of a node (exists bodies are their own scope and are not among them). */
function children(node: IrExpr): IrExpr[] {
  switch (node.kind) {
    case 'call':
      return node.args;
    case 'not':
    case 'negate':
    case 'isNull':
    case 'inCodeSet':
      return [node.operand];
    case 'binary':
      return [node.left, node.right];
    case 'inList':
      return [node.operand, ...node.items];
    case 'between':
      return [node.operand, node.low, node.high];
    default:
      return [];
  }
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
