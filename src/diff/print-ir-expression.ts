import type { IrExpr } from '../ir/expression.js';
import { printEclOperand, quote } from '../print/print-expression.js';

/**
 * Canonical exdef text of a resolved expression, for people reading a diff: keywords in lower
 * case, ECL operators in capitals, the parentheses precedence needs, ECL terms kept (they are
 * comments, so two expressions that differ only in terms are not a change). The IR keeps no
 * parentheses or spelling, so the same meaning prints the same whichever syntax it came from.
 */
export function printIrExpression(node: IrExpr): string {
  switch (node.kind) {
    case 'literal':
      return printLiteral(node);
    case 'column':
      return [...node.path, node.column].join('.');
    case 'call':
      return `${node.fn}(${node.args.map(printIrExpression).join(', ')})`;
    case 'exists':
      return `exists(${node.relation.map((r) => r.relation).join('.')}${node.where ? ` where ${printIrExpression(node.where)}` : ''})`;
    case 'not':
      return `not ${wrap(node.operand, precedence(node.operand) < PREC.not)}`;
    case 'negate': {
      const inner = wrap(node.operand, precedence(node.operand) < PREC.negate);
      return inner.startsWith('-') ? `-(${inner})` : `-${inner}`;
    }
    case 'binary': {
      const p = precedence(node);
      const comparison = p === PREC.comparison;
      const right = wrap(node.right, precedence(node.right) <= p);
      // `code in << 1 and 5 < x` would read `<< 1 AND 5` as one code set: close the set first.
      const closeSet = (node.op === 'and' || node.op === 'or') && eclAtEnd(node.left) && /^[0-9(]/.test(right);
      const left = wrap(node.left, closeSet || (comparison ? precedence(node.left) <= p : precedence(node.left) < p));
      return `${left} ${node.op} ${right}`;
    }
    case 'isNull':
      return `${operand(node.operand)} is ${node.negated ? 'not ' : ''}null`;
    case 'between':
      return `${operand(node.operand)} ${node.negated ? 'not ' : ''}between ${operand(node.low)} and ${operand(node.high)}`;
    case 'inList':
      return `${operand(node.operand)} ${node.negated ? 'not ' : ''}in (${node.items.map(printIrExpression).join(', ')})`;
    case 'inCodeSet': {
      return `${operand(node.operand)} ${node.negated ? 'not ' : ''}in ${printEclOperand(node.codeSet)}`;
    }
  }
}

const PREC = { or: 1, and: 2, not: 3, comparison: 4, additive: 5, multiplicative: 6, negate: 7, atom: 100 } as const;

function precedence(node: IrExpr): number {
  switch (node.kind) {
    case 'binary':
      if (node.op === 'or') return PREC.or;
      if (node.op === 'and') return PREC.and;
      if (node.op === '+' || node.op === '-') return PREC.additive;
      if (node.op === '*' || node.op === '/') return PREC.multiplicative;
      return PREC.comparison;
    case 'not':
      return PREC.not;
    case 'negate':
      return PREC.negate;
    case 'isNull':
    case 'between':
    case 'inList':
    case 'inCodeSet':
      return PREC.comparison;
    default:
      return PREC.atom;
  }
}

/** Whether the printed expression ends with a code set that a following `and`/`or` could extend. */
function eclAtEnd(node: IrExpr): boolean {
  if (node.kind === 'inCodeSet') return true;
  if (node.kind === 'not') return precedence(node.operand) >= PREC.not && eclAtEnd(node.operand);
  if (node.kind === 'binary') return precedence(node.right) > precedence(node) && eclAtEnd(node.right);
  return false;
}

function printLiteral(node: Extract<IrExpr, { kind: 'literal' }>): string {
  if (node.value === null) return 'null';
  if (typeof node.value === 'boolean') return node.value ? 'true' : 'false';
  switch (node.type) {
    case 'text':
      return quote(node.value);
    case 'date':
      return `date ${quote(node.value)}`;
    case 'interval':
      return `interval ${quote(node.value)}`;
    default:
      return node.value;
  }
}

/** An operand of a comparison-level construct: anything looser than + and - needs parentheses. */
function operand(node: IrExpr): string {
  return wrap(node, precedence(node) <= PREC.comparison);
}

function wrap(node: IrExpr, parenthesise: boolean): string {
  const text = printIrExpression(node);
  return parenthesise ? `(${text})` : text;
}
