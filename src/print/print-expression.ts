import { reservedWords } from '../../grammar/tokens.js';
import type { TokenType } from '../../grammar/chevrotain.js';
import { And, Caret, DescendantOrSelf, EclMinus, exdefLexer, Integer, Less, LParen, Or, RParen, Term } from '../../grammar/tokens.js';
import type { Ecl } from '../ir/expression.js';
import { PRECEDENCE, type ExprAst } from '../parse/expression-ast.js';

/**
 * The canonical text of an expression: keywords in lower case, ECL operators in capitals, one
 * space around operators, and exactly the parentheses precedence needs, so that printing and
 * parsing again gives the same tree.
 */
export function printExpression(node: ExprAst): string {
  switch (node.kind) {
    case 'number':
      return node.text;
    case 'string':
      return quote(node.value);
    case 'boolean':
      return node.value ? 'true' : 'false';
    case 'null':
      return 'null';
    case 'date':
      return `date ${quote(node.value)}`;
    case 'interval':
      return `interval ${quote(node.text)}`;
    case 'path':
      return node.segments.map(printName).join('.');
    case 'call':
      return `${node.name}(${node.args.map(printExpression).join(', ')})`;
    case 'exists':
      return `exists(${node.path.join('.')}${node.where ? ` where ${printExpression(node.where)}` : ''})`;
    case 'not':
      return `not ${wrap(node.operand, precedenceOf(node.operand) < PRECEDENCE['not']!)}`;
    case 'negate': {
      const inner = wrap(node.operand, precedenceOf(node.operand) < PRECEDENCE['negate']!);
      // `--` would start a comment: a negated negation is written -(-a).
      return inner.startsWith('-') ? `-(${inner})` : `-${inner}`;
    }
    case 'binary': {
      const p = PRECEDENCE[node.op]!;
      const comparison = p === PRECEDENCE['=']!;
      const leftWrapped = comparison ? precedenceOf(node.left) <= p : precedenceOf(node.left) < p;
      const right = wrap(node.right, precedenceOf(node.right) <= p);
      // `code in << 1 and 5 < x` would read `<< 1 AND 5` as one code set: close it with parentheses.
      const left = wrap(node.left, leftWrapped || (eclAtEnd(node.left) && continuesEcl(right)));
      return `${left} ${node.op} ${right}`;
    }
    case 'isNull':
      return `${operand(node.operand)} is ${node.negated ? 'not ' : ''}null`;
    case 'between':
      return `${operand(node.operand)} ${node.negated ? 'not ' : ''}between ${operand(node.low)} and ${operand(node.high)}`;
    case 'in': {
      const target = node.ecl ? printEclOperand(node.ecl) : `(${(node.list ?? []).map(printExpression).join(', ')})`;
      return `${operand(node.operand)} ${node.negated ? 'not ' : ''}in ${target}`;
    }
  }
}

/**
 * Like printExpression, but a long top-level chain of `and` (or `or`) puts each operand on its
 * own line, the operator first, indented by `indent`. Parsing it again gives the same tree.
 */
export function printExpressionLines(node: ExprAst, indent: string, width = 80): string {
  const flat = printExpression(node);
  if (flat.length <= width || node.kind !== 'binary' || (node.op !== 'and' && node.op !== 'or')) return flat;
  const op = node.op;
  const { texts } = chainTexts(node, op);
  return texts.map((text, i) => (i === 0 ? text : `\n${indent}${op} ${text}`)).join('');
}

/**
 * An expression laid out within `width` columns, for a block of its own: a long `and`/`or` chain
 * puts each operand on its own line, and so does a long condition inside exists(...), aligned
 * after `exists(`. A line only ever breaks where printExpression writes one space between two
 * operands, never inside a code set, a term or a string, so the text means the same.
 */
export function printExpressionBlock(node: ExprAst, width: number): string {
  const flat = printExpression(node);
  const laid = layout(node, 0, width);
  // Belt and braces: each line break must stand for exactly one space of the flat text.
  return laid.replace(/\n */g, ' ') === flat ? laid : flat;
}

/** `column`: where the node's text starts; continuation lines of a chain start there too. */
function layout(node: ExprAst, column: number, width: number): string {
  const flat = printExpression(node);
  if (column + flat.length <= width) return flat;
  if (node.kind === 'binary' && (node.op === 'and' || node.op === 'or')) {
    const op = node.op;
    const { operands, texts } = chainTexts(node, op);
    return operands
      .map((operandNode, i) => {
        const start = i === 0 ? column : column + op.length + 1;
        const parenthesised = texts[i] !== printExpression(operandNode);
        const text = parenthesised ? `(${layout(operandNode, start + 1, width)})` : layout(operandNode, start, width);
        return i === 0 ? text : `\n${' '.repeat(column)}${op} ${text}`;
      })
      .join('');
  }
  if (node.kind === 'not' && precedenceOf(node.operand) >= PRECEDENCE['not']!) return `not ${layout(node.operand, column + 4, width)}`;
  if (node.kind === 'exists' && node.where) {
    const head = `exists(${node.path.join('.')} where `;
    return `${head}${layoutAfter(node.where, column + head.length, column + 'exists('.length, width)})`;
  }
  return flat;
}

/** A chain whose first operand starts at `first` and whose further lines start at `continuation`. */
function layoutAfter(node: ExprAst, first: number, continuation: number, width: number): string {
  if (first + printExpression(node).length <= width || node.kind !== 'binary' || (node.op !== 'and' && node.op !== 'or')) return layout(node, first, width);
  // Too long after the head: laid out as a chain whose further lines start at the continuation column.
  return layout(node, continuation, width);
}

/**
 * The operands of a chain of one `and`/`or` operator, and each printed with the parentheses it
 * needs in the chain — as in printExpression, a code set followed by what would extend it is
 * closed with parentheses.
 */
function chainTexts(node: ExprAst, op: 'and' | 'or'): { operands: ExprAst[]; texts: string[] } {
  const operands: ExprAst[] = [];
  let current: ExprAst = node;
  while (current.kind === 'binary' && current.op === op) {
    operands.unshift(current.right);
    current = current.left;
  }
  operands.unshift(current);
  const p = PRECEDENCE[op]!;
  const texts = operands.map((operandNode, i) => wrap(operandNode, i === 0 ? precedenceOf(operandNode) < p : precedenceOf(operandNode) <= p));
  for (let i = 0; i + 1 < texts.length; i++) {
    if (!texts[i]!.startsWith('(') && eclAtEnd(operands[i]!) && continuesEcl(texts[i + 1]!)) texts[i] = `(${texts[i]})`;
  }
  return { operands, texts };
}

/**
 * Whether the printed expression ends with an ECL code set (`code in << 73211009`), which the
 * grammar extends over a following `and`/`or` when a set can follow: `... and 5 < x` would be
 * read as the code set `<< 73211009 AND 5`.
 */
function eclAtEnd(node: ExprAst): boolean {
  switch (node.kind) {
    case 'in':
      return node.ecl !== undefined;
    case 'not':
      return precedenceOf(node.operand) >= PRECEDENCE['not']! && eclAtEnd(node.operand);
    case 'binary':
      // A right operand that binds as tightly as the operator is parenthesised, so nothing leaks.
      return precedenceOf(node.right) > PRECEDENCE[node.op]! && eclAtEnd(node.right);
    default:
      return false;
  }
}

const ECL_TOKENS = new Set<TokenType>([Integer, DescendantOrSelf, Less, Caret, Term, EclMinus, Or, And]);

/**
 * Whether `text`, written after an ECL code set and `and`/`or`, would be read as more of the
 * code set: it starts with a concept id, or with parentheses holding only ECL tokens (the
 * parser's eclStartsAt).
 */
function continuesEcl(text: string): boolean {
  const tokens = exdefLexer.tokenize(text).tokens;
  const first = tokens[0];
  if (!first) return false;
  if (first.tokenType === Integer) return true;
  if (first.tokenType !== LParen) return false;
  let depth = 0;
  for (const token of tokens) {
    if (token.tokenType === LParen) depth++;
    else if (token.tokenType === RParen) {
      depth--;
      if (depth === 0) return true;
    } else if (!ECL_TOKENS.has(token.tokenType)) return false;
  }
  return false;
}

/** An operand of a comparison-level construct: anything looser than + and - needs parentheses. */
function operand(node: ExprAst): string {
  return wrap(node, precedenceOf(node) <= PRECEDENCE['=']!);
}

function wrap(node: ExprAst, parenthesise: boolean): string {
  const text = printExpression(node);
  return parenthesise ? `(${text})` : text;
}

function precedenceOf(node: ExprAst): number {
  switch (node.kind) {
    case 'binary':
      return PRECEDENCE[node.op]!;
    case 'not':
      return PRECEDENCE['not']!;
    case 'negate':
      return PRECEDENCE['negate']!;
    case 'isNull':
    case 'between':
    case 'in':
      return PRECEDENCE['in']!;
    default:
      return 100;
  }
}

const RESERVED = new Set(reservedWords);
const BARE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A name as the language writes it: bare when it can be, else in double quotes ("select"). */
export function printName(name: string): string {
  return BARE_NAME.test(name) && !RESERVED.has(name.toLowerCase()) ? name : `"${name.replace(/"/g, '""')}"`;
}

export function quote(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** A code set after IN: compound sets in parentheses, for readability. */
/**
 * ECL as written in exdef: `<< 73211009 |Diabetes mellitus| OR << 38341003`. Takes the parsed
 * tree or the resolved one (the same shape; the IR's spans are optional).
 */
export function printEcl(ecl: Ecl): string {
  switch (ecl.kind) {
    case 'concept':
      return ecl.term ? `${ecl.id} |${ecl.term}|` : ecl.id;
    case 'descendantOrSelf':
      return `<< ${eclFocus(ecl.operand)}`;
    case 'descendant':
      return `< ${eclFocus(ecl.operand)}`;
    case 'memberOf':
      return `^ ${eclFocus(ecl.operand)}`;
    case 'or':
    case 'and':
    case 'minus': {
      const word = ecl.kind.toUpperCase();
      // Left-nested chains of one operator print flat; anything else is parenthesised.
      const left = ecl.left.kind === ecl.kind && ecl.kind !== 'minus' ? printEcl(ecl.left) : printEclOperand(ecl.left);
      return `${left} ${word} ${printEclOperand(ecl.right)}`;
    }
  }
}

/** A code set as an operand: compound ones in parentheses. */
export function printEclOperand(ecl: Ecl): string {
  return ecl.kind === 'or' || ecl.kind === 'and' || ecl.kind === 'minus' ? `(${printEcl(ecl)})` : printEcl(ecl);
}

/** The focus of <<, < or ^: a concept, a member-of, or a parenthesised expression. */
function eclFocus(ecl: Ecl): string {
  if (ecl.kind === 'concept' || ecl.kind === 'memberOf') return printEcl(ecl);
  return `(${printEcl(ecl)})`;
}
