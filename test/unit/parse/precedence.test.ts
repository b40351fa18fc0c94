import { describe, expect, it } from 'vitest';
import { spanOf, sourceFile } from '../../../src/source/source-file.js';
import type { EclAst, ExprAst } from '../../../src/parse/expression-ast.js';
import { withoutSpans } from '../../../src/parse/expression-ast.js';
import { parseExpressionText } from '../../../src/parse/parse-expression.js';
import { printExpression } from '../../../src/print/print-expression.js';

function parse(text: string): ExprAst {
  const file = sourceFile('e', text);
  const { expression, diagnostics } = parseExpressionText(text, (s, e) => spanOf(file, s, e + 1));
  expect(diagnostics.map((d) => d.message), text).toEqual([]);
  return expression!;
}

/** The tree as an s-expression, so tests state the grouping explicitly. */
function tree(node: ExprAst): string {
  switch (node.kind) {
    case 'binary':
      return `(${node.op} ${tree(node.left)} ${tree(node.right)})`;
    case 'not':
      return `(not ${tree(node.operand)})`;
    case 'negate':
      return `(neg ${tree(node.operand)})`;
    case 'isNull':
      return `(${node.negated ? 'is-not-null' : 'is-null'} ${tree(node.operand)})`;
    case 'between':
      return `(${node.negated ? 'not-between' : 'between'} ${tree(node.operand)} ${tree(node.low)} ${tree(node.high)})`;
    case 'in':
      return `(${node.negated ? 'not-in' : 'in'} ${tree(node.operand)} ${node.ecl ? ecl(node.ecl) : `[${(node.list ?? []).map(tree).join(' ')}]`})`;
    case 'path':
      return node.segments.join('.');
    case 'number':
      return node.text;
    case 'string':
      return `'${node.value}'`;
    case 'call':
      return `${node.name}(${node.args.map(tree).join(' ')})`;
    case 'exists':
      return `(exists ${node.path.join('.')}${node.where ? ` ${tree(node.where)}` : ''})`;
    case 'interval':
      return `interval:${node.text}`;
    case 'date':
      return `date:${node.value}`;
    default:
      return node.kind;
  }
}

function ecl(node: EclAst): string {
  switch (node.kind) {
    case 'concept':
      return node.id;
    case 'descendantOrSelf':
      return `<<${ecl(node.operand)}`;
    case 'descendant':
      return `<${ecl(node.operand)}`;
    case 'memberOf':
      return `^${ecl(node.operand)}`;
    default:
      return `{${node.kind} ${ecl(node.left)} ${ecl(node.right)}}`;
  }
}

/** Precedence, loosest first: or < and < not < comparison < + - < * / < unary minus. */
const GROUPING: [string, string][] = [
  ['a or b and c', '(or a (and b c))'],
  ['a and b or c', '(or (and a b) c)'],
  ['not a = b', '(not (= a b))'],
  ['not a and b', '(and (not a) b)'],
  ['not not a', '(not (not a))'],
  ['a = b and c <> d', '(and (= a b) (<> c d))'],
  ['a + b * c = d', '(= (+ a (* b c)) d)'],
  ['a - b - c', '(- (- a b) c)'],
  ['a / b * c', '(* (/ a b) c)'],
  ['-a * b', '(* (neg a) b)'],
  ['- - a', '(neg (neg a))'],
  ['a < b + 1', '(< a (+ b 1))'],
  ['(a or b) and c', '(and (or a b) c)'],
  ['a is not null and b is null', '(and (is-not-null a) (is-null b))'],
  ['a between 1 and 2 and b', '(and (between a 1 2) b)'],
  ['a not between 1 + 1 and 2 * 3 or c', '(or (not-between a (+ 1 1) (* 2 3)) c)'],
  ["x in ('a', 'b') or y not in (1)", "(or (in x ['a' 'b']) (not-in y [1]))"],
  ["effective_date >= today() - interval '12 months'", '(>= effective_date (- today() interval:12 months))'],
  ['code in << 1 and x = 2', '(and (in code <<1) (= x 2))'],
  ['code in << 1 and (<< 2 or << 3)', '(in code {and <<1 {or <<2 <<3}})'],
  ['code in << 1 AND << 2 or x', '(or (in code {and <<1 <<2}) x)'],
  ['code in (<< 1 OR << 2 OR ^ 3)', '(in code {or {or <<1 <<2} ^3})'],
  ['code in (<< 1 MINUS (< 2 OR 3))', '(in code {minus <<1 {or <2 3}})'],
  ['code in << ^ 3 |refset| and not exists(observations where code in << 4)', '(and (in code <<^3) (not (exists observations (in code <<4))))'],
  ['exists(patient.observations)', '(exists patient.observations)'],
];

describe('operator precedence', () => {
  it.each(GROUPING)('%s groups as %s', (text, expected) => {
    expect(tree(parse(text))).toBe(expected);
  });

  it.each(GROUPING)('%s prints in a form that parses back to the same tree', (text) => {
    const first = parse(text);
    const printed = printExpression(first);
    expect(withoutSpans(parse(printed))).toEqual(withoutSpans(first));
    expect(printExpression(parse(printed))).toBe(printed);
  });

  it('keeps the parentheses a right-nested chain needs', () => {
    expect(printExpression(parse('a - (b - c)'))).toBe('a - (b - c)');
    expect(printExpression(parse('a and (b and c)'))).toBe('a and (b and c)');
    expect(printExpression(parse('(a = b) = c'))).toBe('(a = b) = c');
    expect(printExpression(parse('not (a or b)'))).toBe('not (a or b)');
    expect(printExpression(parse('-(a + b)'))).toBe('-(a + b)');
  });

  it('keywords are case-insensitive, ECL operators print in capitals', () => {
    expect(printExpression(parse('A AND NOT b OR code IN << 1 or << 2'))).toBe('A and not b or code in (<< 1 OR << 2)');
  });
});
