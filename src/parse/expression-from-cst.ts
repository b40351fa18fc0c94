import type { CstNode, IToken } from 'chevrotain';
import type {
  AdditiveCstNode,
  AndExpressionCstNode,
  EclExpressionCstNode,
  EclSubExpressionCstNode,
  ExistsExpressionCstNode,
  ExpressionCstNode,
  FunctionCallCstNode,
  MultiplicativeCstNode,
  NameCstNode,
  NotExpressionCstNode,
  OrExpressionCstNode,
  PathCstNode,
  PredicateCstNode,
  PrimaryCstNode,
  UnaryCstNode,
} from '../../grammar/cst.js';
import { defineCodes } from '../diagnostics/define-codes.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { Span } from '../source/source-file.js';
import type { BinaryOperator, EclAst, ExprAst } from './expression-ast.js';

export const expressionCodes = defineCodes({
  'ecl-mixed-operators': {
    severity: 'error',
    stage: 'parse',
    message: (p: { first: string; second: string }) =>
      p.first === 'MINUS' && p.second === 'MINUS'
        ? 'ECL needs parentheses around each MINUS: write (a MINUS b) MINUS c'
        : `ECL needs parentheses when ${p.first} and ${p.second} are mixed: write (a ${p.first} b) ${p.second} c`,
  },
  'invalid-date-literal': {
    severity: 'error',
    stage: 'parse',
    message: (p: { text: string }) => (/^"\d{4}-\d{2}-\d{2}"$/.test(p.text) ? `${p.text} is not a date that exists` : `${p.text} is not a date; write dates as YYYY-MM-DD`),
  },
  'expression-too-deep': {
    severity: 'error',
    stage: 'parse',
    message: (p: { limit: number }) =>
      `this expression is more than ${p.limit} operators deep; for many alternatives use \`in (...)\` or an ECL code set`,
  },
});

/**
 * How deep an expression tree may be. Long chains (`a or b or c ...`) make deep trees, which the
 * resolver, the printers and the compiler walk recursively: thousands of levels would overflow
 * the stack.
 */
export const MAX_EXPRESSION_DEPTH = 500;

/** Turns offsets of the text being parsed into file spans (they differ inside YAML strings). */
export type SpanMaker = (startOffset: number, endOffsetInclusive: number) => Span;

export interface ConversionContext {
  span: SpanMaker;
  diagnostics: Diagnostic[];
}

export function tokenSpan(ctx: ConversionContext, token: IToken): Span {
  return ctx.span(token.startOffset, token.endOffset ?? token.startOffset);
}

export function nodeSpan(ctx: ConversionContext, node: CstNode): Span {
  const location = node.location;
  if (!location || Number.isNaN(location.startOffset)) return ctx.span(0, 0);
  return ctx.span(location.startOffset, location.endOffset ?? location.startOffset);
}

function between(ctx: ConversionContext, from: Span, to: Span): Span {
  return { file: from.file, start: from.start, end: to.end };
}

/** The text of a string literal: quotes removed, '' as '. */
export function stringValue(token: IToken): string {
  return token.image.slice(1, -1).replace(/''/g, "'");
}

export function nameText(node: NameCstNode): string {
  const quoted = node.children.QuotedName?.[0];
  if (quoted) return quoted.image.slice(1, -1).replace(/""/g, '"');
  const token = node.children.Identifier?.[0] ?? node.children.SoftKeyword?.[0];
  return token?.image ?? '';
}

/** Tokens recovered by Chevrotain (inserted) have no image: treat the result as absent. */
function first<T>(items: T[] | undefined): T | undefined {
  return items?.[0];
}

export function expressionFromCst(ctx: ConversionContext, node: ExpressionCstNode): ExprAst {
  return orFromCst(ctx, node.children.orExpression[0]!);
}

/**
 * A whole expression (a filter or a field's value). One deeper than MAX_EXPRESSION_DEPTH is
 * reported and replaced by `null`, so that nothing after parsing walks the deep tree.
 */
export function wholeExpressionFromCst(ctx: ConversionContext, node: ExpressionCstNode): ExprAst {
  const expression = expressionFromCst(ctx, node);
  if (expressionDepth(expression) <= MAX_EXPRESSION_DEPTH) return expression;
  ctx.diagnostics.push(expressionCodes.make('expression-too-deep', { limit: MAX_EXPRESSION_DEPTH }, expression.span));
  return { kind: 'null', span: expression.span };
}

/** The depth of an expression tree, ECL included, measured without recursion. */
function expressionDepth(root: ExprAst): number {
  let deepest = 0;
  const stack: [ExprAst | EclAst, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    deepest = Math.max(deepest, depth);
    const children: (ExprAst | EclAst | undefined)[] = [];
    switch (node.kind) {
      case 'call':
        children.push(...node.args);
        break;
      case 'exists':
        children.push(node.where);
        break;
      case 'not':
      case 'negate':
      case 'isNull':
        children.push(node.operand);
        break;
      case 'binary':
        children.push(node.left, node.right);
        break;
      case 'in':
        children.push(node.operand, ...(node.list ?? []), node.ecl);
        break;
      case 'between':
        children.push(node.operand, node.low, node.high);
        break;
      case 'descendantOrSelf':
      case 'descendant':
      case 'memberOf':
        children.push(node.operand);
        break;
      case 'or':
      case 'and':
      case 'minus':
        children.push(node.left, node.right);
        break;
      default:
        break;
    }
    for (const child of children) if (child) stack.push([child, depth + 1]);
  }
  return deepest;
}

function orFromCst(ctx: ConversionContext, node: OrExpressionCstNode): ExprAst {
  const parts = node.children.andExpression.map((n) => andFromCst(ctx, n));
  return foldBinary(ctx, parts, node.children.Or ?? [], 'or');
}

function andFromCst(ctx: ConversionContext, node: AndExpressionCstNode): ExprAst {
  const parts = node.children.notExpression.map((n) => notFromCst(ctx, n));
  return foldBinary(ctx, parts, node.children.And ?? [], 'and');
}

function foldBinary(ctx: ConversionContext, parts: ExprAst[], operators: IToken[], op: BinaryOperator): ExprAst {
  let result = parts[0]!;
  for (let i = 1; i < parts.length; i++) {
    const right = parts[i]!;
    const operator = operators[i - 1];
    result = { kind: 'binary', op, left: result, right, span: between(ctx, result.span, right.span), opSpan: operator ? tokenSpan(ctx, operator) : right.span };
  }
  return result;
}

function notFromCst(ctx: ConversionContext, node: NotExpressionCstNode): ExprAst {
  if (node.children.Not && node.children.notExpression) {
    const operand = notFromCst(ctx, node.children.notExpression[0]!);
    return { kind: 'not', operand, span: between(ctx, tokenSpan(ctx, node.children.Not[0]!), operand.span) };
  }
  return predicateFromCst(ctx, node.children.predicate![0]!);
}

function predicateFromCst(ctx: ConversionContext, node: PredicateCstNode): ExprAst {
  const c = node.children;
  const left = additiveFromCst(ctx, c.additive[0]!);
  const span = nodeSpan(ctx, node);
  if (c.comparisonOperator) {
    const operatorNode = c.comparisonOperator[0]!;
    const token = Object.values(operatorNode.children).flat()[0] as IToken;
    const op = (token.image === '!=' ? '<>' : token.image) as BinaryOperator;
    const right = additiveFromCst(ctx, c.additive[1]!);
    return { kind: 'binary', op, left, right, span, opSpan: tokenSpan(ctx, token) };
  }
  const negated = (c.Not?.length ?? 0) > 0;
  if (c.Is) return { kind: 'isNull', operand: left, negated, span };
  if (c.Between) {
    return { kind: 'between', operand: left, low: additiveFromCst(ctx, c.additive[1]!), high: additiveFromCst(ctx, c.additive[2]!), negated, span };
  }
  if (c.In && c.inTarget) {
    const target = c.inTarget[0]!.children;
    if (target.eclExpression) return { kind: 'in', operand: left, negated, ecl: eclFromCst(ctx, target.eclExpression[0]!), span };
    const list = target.valueList?.[0]?.children.expression.map((e) => expressionFromCst(ctx, e)) ?? [];
    return { kind: 'in', operand: left, negated, list, span };
  }
  return left;
}

function additiveFromCst(ctx: ConversionContext, node: AdditiveCstNode): ExprAst {
  const parts = node.children.multiplicative.map((n) => multiplicativeFromCst(ctx, n));
  const operators = [...(node.children.Plus ?? []), ...(node.children.Minus ?? [])].sort((a, b) => a.startOffset - b.startOffset);
  return foldOperators(ctx, parts, operators);
}

function multiplicativeFromCst(ctx: ConversionContext, node: MultiplicativeCstNode): ExprAst {
  const parts = node.children.unary.map((n) => unaryFromCst(ctx, n));
  const operators = [...(node.children.Star ?? []), ...(node.children.Slash ?? [])].sort((a, b) => a.startOffset - b.startOffset);
  return foldOperators(ctx, parts, operators);
}

function foldOperators(ctx: ConversionContext, parts: ExprAst[], operators: IToken[]): ExprAst {
  let result = parts[0]!;
  for (let i = 1; i < parts.length; i++) {
    const token = operators[i - 1];
    const right = parts[i]!;
    const op = (token?.image ?? '+') as BinaryOperator;
    result = { kind: 'binary', op, left: result, right, span: between(ctx, result.span, right.span), opSpan: token ? tokenSpan(ctx, token) : right.span };
  }
  return result;
}

function unaryFromCst(ctx: ConversionContext, node: UnaryCstNode): ExprAst {
  if (node.children.Minus && node.children.unary) {
    const operand = unaryFromCst(ctx, node.children.unary[0]!);
    return { kind: 'negate', operand, span: between(ctx, tokenSpan(ctx, node.children.Minus[0]!), operand.span) };
  }
  return primaryFromCst(ctx, node.children.primary![0]!);
}

function primaryFromCst(ctx: ConversionContext, node: PrimaryCstNode): ExprAst {
  const c = node.children;
  const span = nodeSpan(ctx, node);
  if (c.Integer) return { kind: 'number', text: c.Integer[0]!.image, span };
  if (c.Decimal) return { kind: 'number', text: c.Decimal[0]!.image, span };
  if (c.DateKeyword && c.StringLiteral) return dateLiteral(ctx, stringValue(c.StringLiteral[0]!), span);
  if (c.Interval && c.StringLiteral) return { kind: 'interval', text: stringValue(c.StringLiteral[0]!), span };
  if (c.StringLiteral) return { kind: 'string', value: stringValue(c.StringLiteral[0]!), span };
  if (c.True) return { kind: 'boolean', value: true, span };
  if (c.False) return { kind: 'boolean', value: false, span };
  if (c.Null) return { kind: 'null', span };
  if (c.DateLiteral) return dateLiteral(ctx, c.DateLiteral[0]!.image, span);
  if (c.existsExpression) return existsFromCst(ctx, c.existsExpression[0]!);
  if (c.functionCall) return callFromCst(ctx, c.functionCall[0]!);
  if (c.path) return { kind: 'path', segments: pathSegments(c.path[0]!), span };
  if (c.expression) return expressionFromCst(ctx, c.expression[0]!);
  // Only reachable after error recovery: an empty operand, reported by the parser already.
  return { kind: 'null', span };
}

function dateLiteral(ctx: ConversionContext, text: string, span: Span): ExprAst {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  const valid = m !== null && new Date(`${text}T00:00:00Z`).toISOString().slice(0, 10) === text;
  if (!valid) ctx.diagnostics.push(expressionCodes.make('invalid-date-literal', { text: JSON.stringify(text) }, span));
  return { kind: 'date', value: text, span };
}

export function pathSegments(node: PathCstNode): string[] {
  return node.children.name.map(nameText);
}

function existsFromCst(ctx: ConversionContext, node: ExistsExpressionCstNode): ExprAst {
  const path = node.children.path[0]!;
  const where = node.children.expression?.[0];
  const result: ExprAst = { kind: 'exists', path: pathSegments(path), span: nodeSpan(ctx, node), pathSpan: nodeSpan(ctx, path) };
  if (where) result.where = expressionFromCst(ctx, where);
  return result;
}

function callFromCst(ctx: ConversionContext, node: FunctionCallCstNode): ExprAst {
  const nameNode = node.children.name[0]!;
  return {
    kind: 'call',
    name: nameText(nameNode),
    args: (node.children.expression ?? []).map((e) => expressionFromCst(ctx, e)),
    span: nodeSpan(ctx, node),
    nameSpan: nodeSpan(ctx, nameNode),
  };
}

export function eclFromCst(ctx: ConversionContext, node: EclExpressionCstNode): EclAst {
  const subs = node.children.eclSubExpression.map((s) => eclSubFromCst(ctx, s));
  const operators = [...(node.children.Or ?? []), ...(node.children.And ?? []), ...(node.children.EclMinus ?? [])].sort((a, b) => a.startOffset - b.startOffset);
  let result = subs[0]!;
  let firstOperator: string | undefined;
  for (let i = 1; i < subs.length; i++) {
    const token = operators[i - 1];
    const word = (token?.image ?? 'OR').toUpperCase();
    if (firstOperator === undefined) firstOperator = word;
    else if (word !== firstOperator || word === 'MINUS') {
      // ECL forbids mixing binary operators without parentheses (and chaining MINUS).
      ctx.diagnostics.push(expressionCodes.make('ecl-mixed-operators', { first: firstOperator, second: word }, token ? tokenSpan(ctx, token) : subs[i]!.span));
    }
    const right = subs[i]!;
    const kind = word === 'AND' ? 'and' : word === 'MINUS' ? 'minus' : 'or';
    result = { kind, left: result, right, span: between(ctx, result.span, right.span) };
  }
  return result;
}

function eclSubFromCst(ctx: ConversionContext, node: EclSubExpressionCstNode): EclAst {
  const c = node.children;
  const span = nodeSpan(ctx, node);
  let focus: EclAst;
  if (c.Integer) {
    const id = c.Integer[0]!;
    const term = first(c.Term);
    focus = { kind: 'concept', id: id.image, span: tokenSpan(ctx, id) };
    // The term is a comment for people: the concept's span is its id.
    if (term) focus.term = term.image.slice(1, -1).trim();
  } else if (c.eclExpression) {
    focus = eclFromCst(ctx, c.eclExpression[0]!);
  } else {
    focus = { kind: 'concept', id: '', span };
  }
  if (c.Caret) focus = { kind: 'memberOf', operand: focus, span: between(ctx, tokenSpan(ctx, c.Caret[0]!), focus.span) };
  if (c.DescendantOrSelf) return { kind: 'descendantOrSelf', operand: focus, span };
  if (c.Less) return { kind: 'descendant', operand: focus, span };
  return focus;
}
