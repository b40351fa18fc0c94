import { columnRef, type ColumnExpr, type ColumnRef, type IrExpr } from '../ir/expression.js';
import type { Transform } from '../ir/extract-definition.js';
import { walkIr } from '../ir/walk.js';
import { GENERALISING } from './functions.js';

/**
 * How much of a column a value lets out, at one place the column is read:
 * - `pseudonymised`: only through a keyed pseudonym (whatever is done before or after the hash,
 *   the value cannot be recovered without the key);
 * - `generalised`: only through a generalising function (year, month, age, age band, postcode
 *   district) whose argument is the column itself, unchanged but for coalesce(), date_of() or a
 *   shift by a value that reads no column, and that fits the column (postcode_district() of anything
 *   but a postcode changes nothing). Arithmetic that mixes the column into its own argument
 *   (`year(d0 + (date_of_birth - d1) * 365)`) scales precision back in, so it is not generalised;
 * - `raw`: anything else. Arithmetic, coalesce() and case changes keep a value's precision
 *   (`date_of_birth + 0` is still a date of birth; `lower(given_name)` is still a name).
 */
export type Protection = 'raw' | 'generalised' | 'pseudonymised';

export interface Exposure {
  /** The column as read from the expression's table (relation path included). */
  column: ColumnRef;
  node: ColumnExpr;
  protection: Protection;
  /** The protecting function (pseudonym or the generalising one), when there is one. */
  by?: Transform;
}

/** Every place an expression reads a column, with how much of the column it lets out there. */
export function exposures(expression: IrExpr | undefined): Exposure[] {
  const found: Exposure[] = [];
  walkIr(expression, (node, at) => {
    if (node.kind !== 'column') return;
    found.push({ column: columnRef(node, at.relationPath), node, ...protectionOf(node, at.ancestors) });
  });
  return found;
}

function protectionOf(column: ColumnExpr, ancestors: readonly IrExpr[]): { protection: Protection; by?: Transform } {
  if (ancestors.some((a) => a.kind === 'call' && a.fn === 'pseudonym')) return { protection: 'pseudonymised', by: 'pseudonym' };
  return generalisation(column, ancestors);
}

/**
 * Whether a column, read under `ancestors`, is cut by a generalising function (and which), the
 * pseudonym aside: a pseudonym passes on every distinction of its argument, so `pseudonym(x, k)`
 * is `raw` here and `pseudonym(year(x), k)` generalised. The disclosure module measures what a
 * pseudonym splits people by with it.
 */
export function generalisation(column: ColumnExpr, ancestors: readonly IrExpr[]): { protection: 'raw' | 'generalised'; by?: Transform } {
  // The innermost generalising function counts, and only if nothing between it and the column can
  // spread the column's precision over the generalised unit.
  let child: IrExpr = column;
  for (let i = ancestors.length - 1; i >= 0; i--) {
    const node = ancestors[i]!;
    if (node.kind === 'call' && GENERALISING.has(node.fn as Transform)) {
      // postcode_district() cuts a postcode; on any other text (an NHS number, a name) it changes nothing.
      const fits = node.fn !== 'postcode_district' || (column.kind === 'column' && column.format === 'postcode');
      return fits ? { protection: 'generalised', by: node.fn as Transform } : { protection: 'raw' };
    }
    if (!keepsPrecision(node, child)) return { protection: 'raw' };
    child = node;
  }
  return { protection: 'raw' };
}

/** A node that passes its operand `child` on without multiplying what it reveals. */
function keepsPrecision(node: IrExpr, child: IrExpr): boolean {
  if (node.kind === 'call') return node.fn === 'coalesce' || node.fn === 'date_of' || node.fn === 'lower' || node.fn === 'upper';
  if (node.kind === 'binary' && (node.op === '+' || node.op === '-')) {
    const other = node.left === child ? node.right : node.left;
    return !readsColumn(other);
  }
  return false;
}

function readsColumn(expression: IrExpr): boolean {
  let found = false;
  walkIr(expression, (node) => {
    if (node.kind === 'column') found = true;
  });
  return found;
}

/**
 * A field's transform: `none` for a bare column; the pseudonymising or generalising function when
 * every column the value reads goes through it, the same one everywhere (`year(date_of_birth)`,
 * `coalesce(year(date_of_birth), 0)` and `year(date_of_birth) * 1` let out a year and nothing
 * more); otherwise `computed`, which the policy treats as the precision of what it reads.
 */
export function transformOf(value: IrExpr): Transform {
  if (value.kind === 'column') return 'none';
  const all = exposures(value);
  const by = new Set(all.map((e) => (e.protection === 'raw' ? 'raw' : e.by)));
  if (all.length > 0 && by.size === 1 && !by.has('raw')) return [...by][0] as Transform;
  return 'computed';
}
