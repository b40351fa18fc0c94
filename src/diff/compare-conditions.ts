import type { Ecl, IrExpr } from '../ir/expression.js';
import { chainOperands } from '../ir/walk.js';
import { canonicalKey } from './canonical-key.js';

/**
 * How the set of rows a filter admits changed: `wider` (admits at least as much, and more),
 * `narrower`, `same` (an equivalent rewrite, e.g. conjuncts reordered), or `unknown` when it
 * cannot be told by looking at the two expressions. The analysis is deliberately syntactic and
 * conservative: it only claims a direction when one filter is visibly the other with a condition
 * added or removed, a bound moved, a list or code set grown or shrunk.
 */
export type Relation = 'same' | 'wider' | 'narrower' | 'unknown';

/** Compares an old and a new filter; an absent filter admits everything. */
export function compareConditions(before: IrExpr | undefined, after: IrExpr | undefined): Relation {
  if (canonicalKey(before) === canonicalKey(after)) return 'same';
  return compareLists(conjuncts(before), conjuncts(after), compareAtom, 'narrower');
}

export function invert(r: Relation): Relation {
  return r === 'wider' ? 'narrower' : r === 'narrower' ? 'wider' : r;
}

/**
 * Compares two lists of parts joined by one operator. `growth` is what adding a part does:
 * narrower for `and`, wider for `or`. Common parts cancel; when one part differs on each side
 * the parts themselves are compared, and several are matched up pairwise when each pair agrees.
 */
function compareLists<T>(before: T[], after: T[], compare: (a: T, b: T) => Relation, growth: 'narrower' | 'wider'): Relation {
  const [onlyBefore, onlyAfter] = removeCommon(before, after);
  if (onlyBefore.length === 0 && onlyAfter.length === 0) return 'same';
  if (onlyBefore.length === 0) return growth;
  if (onlyAfter.length === 0) return invert(growth);
  if (onlyBefore.length !== onlyAfter.length) return 'unknown';
  const unmatched = [...onlyAfter];
  const directions = new Set<Relation>();
  for (const a of onlyBefore) {
    const index = unmatched.findIndex((b) => compare(a, b) !== 'unknown');
    if (index < 0) return 'unknown';
    directions.add(compare(a, unmatched[index]!));
    unmatched.splice(index, 1);
  }
  directions.delete('same');
  if (directions.size === 0) return 'same';
  return directions.size === 1 ? [...directions][0]! : 'unknown';
}

function removeCommon<T>(before: T[], after: T[]): [T[], T[]] {
  const remaining = after.map((b) => ({ b, key: canonicalKey(b) }));
  const onlyBefore: T[] = [];
  for (const a of before) {
    const key = canonicalKey(a);
    const index = remaining.findIndex((r) => r.key === key);
    if (index >= 0) remaining.splice(index, 1);
    else onlyBefore.push(a);
  }
  return [onlyBefore, remaining.map((r) => r.b)];
}

const isAnd = (e: IrExpr) => e.kind === 'binary' && e.op === 'and';
const conjuncts = (e: IrExpr | undefined): IrExpr[] => (e ? chainOperands(e, isAnd) : []);

const isOr = (e: IrExpr) => e.kind === 'binary' && e.op === 'or';
const disjuncts = (e: IrExpr): IrExpr[] => chainOperands(e, isOr);

const same = (a: IrExpr, b: IrExpr) => canonicalKey(a) === canonicalKey(b);

/** Two conditions that are not `and` chains. */
function compareAtom(a: IrExpr, b: IrExpr): Relation {
  if (same(a, b)) return 'same';
  if (isOr(a) || isOr(b)) return compareLists(disjuncts(a), disjuncts(b), (x, y) => compareConditions(x, y), 'wider');
  if (a.kind === 'not' && b.kind === 'not') return invert(compareConditions(a.operand, b.operand));
  if (a.kind === 'inCodeSet' && b.kind === 'inCodeSet' && same(a.operand, b.operand) && a.negated === b.negated) {
    const r = compareEcl(a.codeSet, b.codeSet);
    return a.negated ? invert(r) : r;
  }
  if (a.kind === 'inList' && b.kind === 'inList' && same(a.operand, b.operand) && a.negated === b.negated) {
    const r = compareLists(a.items, b.items, () => 'unknown', 'wider');
    return a.negated ? invert(r) : r;
  }
  if (a.kind === 'between' && b.kind === 'between' && same(a.operand, b.operand) && a.negated === b.negated) {
    const low = compareBound(a.low, b.low);
    const high = compareBound(a.high, b.high);
    if (low === undefined || high === undefined) return 'unknown';
    // A lower low bound or a higher high bound admits more.
    const r = combine(low === 0 ? 'same' : low < 0 ? 'wider' : 'narrower', high === 0 ? 'same' : high > 0 ? 'wider' : 'narrower');
    return a.negated ? invert(r) : r;
  }
  if (a.kind === 'binary' && b.kind === 'binary' && same(a.left, b.left)) return compareComparison(a, b);
  if (a.kind === 'exists' && b.kind === 'exists' && canonicalKey(a.relation) === canonicalKey(b.relation)) return compareConditions(a.where, b.where);
  return 'unknown';
}

function combine(x: Relation, y: Relation): Relation {
  if (x === 'same') return y;
  if (y === 'same') return x;
  return x === y ? x : 'unknown';
}

const UPPER = new Set(['<', '<=']);
const LOWER = new Set(['>', '>=']);

/** `x < 20` against `x < 25`: the same left side, bounds in the same direction. */
function compareComparison(a: Extract<IrExpr, { kind: 'binary' }>, b: Extract<IrExpr, { kind: 'binary' }>): Relation {
  const upper = UPPER.has(a.op) && UPPER.has(b.op);
  const lower = LOWER.has(a.op) && LOWER.has(b.op);
  if (!upper && !lower) return 'unknown';
  const moved = compareBound(a.right, b.right);
  if (moved === undefined) return 'unknown';
  if (moved === 0) {
    if (a.op === b.op) return 'same';
    // Same bound: the inclusive comparison admits the bound itself as well.
    return b.op.endsWith('=') ? 'wider' : 'narrower';
  }
  return (upper ? moved > 0 : moved < 0) ? 'wider' : 'narrower';
}

/**
 * The sign of new bound − old bound, when both are numbers, dates, or the snapshot date plus or
 * minus an interval; undefined when they cannot be compared.
 */
function compareBound(before: IrExpr, after: IrExpr): number | undefined {
  const x = boundValue(before);
  const y = boundValue(after);
  if (!x || !y || x.scale !== y.scale) return undefined;
  return Math.sign(y.value - x.value);
}

const UNIT_DAYS: Record<string, number> = { year: 365.25, month: 30.44, week: 7, day: 1, hour: 1 / 24, minute: 1 / 1440 };

function boundValue(e: IrExpr): { scale: 'number' | 'date' | 'relative'; value: number } | undefined {
  if (e.kind === 'literal' && typeof e.value === 'string') {
    if (e.type === 'integer' || e.type === 'numeric') return { scale: 'number', value: Number(e.value) };
    if (e.type === 'date') {
      const t = Date.parse(`${e.value}T00:00:00Z`);
      return Number.isNaN(t) ? undefined : { scale: 'date', value: t / 86_400_000 };
    }
    return undefined;
  }
  if (e.kind === 'negate') {
    const inner = boundValue(e.operand);
    return inner?.scale === 'number' ? { scale: 'number', value: -inner.value } : undefined;
  }
  if (e.kind === 'call' && e.fn === 'today' && e.args.length === 0) return { scale: 'relative', value: 0 };
  if (e.kind === 'binary' && (e.op === '+' || e.op === '-') && e.left.kind === 'call' && e.left.fn === 'today') {
    const days = e.right.kind === 'literal' && e.right.type === 'interval' && typeof e.right.value === 'string' ? intervalDays(e.right.value) : undefined;
    return days === undefined ? undefined : { scale: 'relative', value: e.op === '+' ? days : -days };
  }
  return undefined;
}

function intervalDays(text: string): number | undefined {
  let total = 0;
  const parts = text.trim().split(/\s+/);
  if (parts.length % 2 !== 0) return undefined;
  for (let i = 0; i < parts.length; i += 2) {
    const n = Number(parts[i]);
    const unit = UNIT_DAYS[parts[i + 1]!.toLowerCase().replace(/s$/, '')];
    if (!Number.isFinite(n) || unit === undefined) return undefined;
    total += n * unit;
  }
  return total;
}

/** How the concepts an ECL code set admits changed. */
export function compareEcl(before: Ecl, after: Ecl): Relation {
  if (canonicalKey(before) === canonicalKey(after)) return 'same';
  return compareLists(eclDisjuncts(before), eclDisjuncts(after), compareEclAtom, 'wider');
}

function eclDisjuncts(e: Ecl): Ecl[] {
  return e.kind === 'or' ? [...eclDisjuncts(e.left), ...eclDisjuncts(e.right)] : [e];
}

function compareEclAtom(a: Ecl, b: Ecl): Relation {
  const eq = (x: Ecl, y: Ecl) => canonicalKey(x) === canonicalKey(y);
  if (eq(a, b)) return 'same';
  // << X (descendants or self) ⊇ < X (descendants) and ⊇ X (the concept alone).
  if (a.kind === 'descendantOrSelf' && (b.kind === 'descendant' || b.kind === 'concept') && eq(a.operand, b.kind === 'concept' ? b : b.operand)) return 'narrower';
  if (b.kind === 'descendantOrSelf' && (a.kind === 'descendant' || a.kind === 'concept') && eq(b.operand, a.kind === 'concept' ? a : a.operand)) return 'wider';
  // X MINUS Y ⊆ X.
  if (b.kind === 'minus' && eq(a, b.left)) return 'narrower';
  if (a.kind === 'minus' && eq(a.left, b)) return 'wider';
  if (a.kind === 'minus' && b.kind === 'minus') {
    if (eq(a.left, b.left)) return invert(compareEcl(a.right, b.right));
    if (eq(a.right, b.right)) return compareEcl(a.left, b.left);
  }
  // X AND Y ⊆ X.
  if (b.kind === 'and' && (eq(a, b.left) || eq(a, b.right))) return 'narrower';
  if (a.kind === 'and' && (eq(a.left, b) || eq(a.right, b))) return 'wider';
  return 'unknown';
}
