import { canonicalKey } from '../diff/canonical-key.js';
import type { IrExpr } from '../ir/expression.js';
import type { Dataset } from '../ir/extract-definition.js';

/**
 * The rows a dataset's filter selects, written so that filters that select the same rows however
 * they are written compare equal (the row order link of linked-datasets.ts): tautologies and
 * contradictions are folded (`1 = 1`, `x = x`, `x <= x`, `code in (...) or true`, `not false`,
 * `P and true`, `P or false`), the conjuncts of a chain of `and` are sorted and deduplicated.
 * `x = x` is false where x is null, so folding it to true may call two filters the same that
 * differ on rows with an empty x: that links datasets that are not quite aligned, which is the
 * safe side (the recipient may line them up; the measurement then judges them together).
 */
export type Folded = { kind: 'true' } | { kind: 'false' } | { kind: 'expr'; expr: IrExpr };

const TRUE: Folded = { kind: 'true' };
const FALSE: Folded = { kind: 'false' };

/** The expression a folded filter stands for (true and false as literals). */
function unfold(f: Folded): IrExpr {
  if (f.kind === 'expr') return f.expr;
  return { kind: 'literal', type: 'boolean', value: f.kind === 'true' };
}

const same = (a: IrExpr, b: IrExpr) => canonicalKey(a) === canonicalKey(b);

export function foldFilter(e: IrExpr): Folded {
  if (e.kind === 'literal' && e.type === 'boolean') return e.value === true ? TRUE : e.value === false ? FALSE : { kind: 'expr', expr: e };
  if (e.kind === 'not') {
    const inner = foldFilter(e.operand);
    return inner.kind === 'true' ? FALSE : inner.kind === 'false' ? TRUE : { kind: 'expr', expr: { ...e, operand: inner.expr } };
  }
  if (e.kind === 'binary' && (e.op === 'and' || e.op === 'or')) {
    const left = foldFilter(e.left);
    const right = foldFilter(e.right);
    const absorbing = e.op === 'and' ? 'false' : 'true';
    const neutral = e.op === 'and' ? 'true' : 'false';
    if (left.kind === absorbing || right.kind === absorbing) return e.op === 'and' ? FALSE : TRUE;
    if (left.kind === neutral) return right;
    if (right.kind === neutral) return left;
    return { kind: 'expr', expr: { ...e, left: unfold(left), right: unfold(right) } };
  }
  if (e.kind === 'binary' && ['=', '<=', '>=', '<>', '<', '>'].includes(e.op)) {
    const reflexive = same(e.left, e.right);
    const literals = e.left.kind === 'literal' && e.right.kind === 'literal' && e.left.value !== null && e.right.value !== null;
    if (reflexive || literals) {
      const equal = reflexive || (e.left as { value: unknown }).value === (e.right as { value: unknown }).value;
      if (equal) return e.op === '=' || e.op === '<=' || e.op === '>=' ? TRUE : FALSE;
      if (e.op === '=') return FALSE;
      if (e.op === '<>') return TRUE;
    }
  }
  return { kind: 'expr', expr: e };
}

/** The conjunct expressions of a folded filter (empty: every row; undefined: no row). */
export function filterConjunctExprs(where: IrExpr | undefined): IrExpr[] | undefined {
  if (!where) return [];
  const folded = foldFilter(where);
  if (folded.kind === 'true') return [];
  if (folded.kind === 'false') return undefined;
  const out: IrExpr[] = [];
  const flatten = (x: IrExpr): void => {
    if (x.kind === 'binary' && x.op === 'and') {
      flatten(x.left);
      flatten(x.right);
    } else out.push(x);
  };
  flatten(folded.expr);
  return out;
}

/** The conjuncts of a folded filter, as canonical keys, sorted and without repeats (none: no row). */
export function filterConjuncts(where: IrExpr | undefined): string[] | 'none' {
  const exprs = filterConjunctExprs(where);
  return exprs === undefined ? 'none' : [...new Set(exprs.map((c) => canonicalKey(c)))].sort();
}

/** A key equal for datasets of one table whose filters select the same rows (as far as folding tells). */
export function rowSetKey(dataset: Dataset): string {
  const conjuncts = filterConjuncts(dataset.where);
  return `${dataset.table} ${conjuncts === 'none' ? 'no rows' : JSON.stringify(conjuncts)}`;
}
