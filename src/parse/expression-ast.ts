import type { Span } from '../source/source-file.js';

/**
 * Expressions as written (names not yet resolved), shared by both syntaxes. Parentheses are not
 * kept: the printer puts back those that precedence needs. Every node has its span in the file.
 */
export type ExprAst =
  | { kind: 'number'; text: string; span: Span }
  | { kind: 'string'; value: string; span: Span }
  | { kind: 'boolean'; value: boolean; span: Span }
  | { kind: 'null'; span: Span }
  | { kind: 'date'; value: string; span: Span }
  | { kind: 'interval'; text: string; span: Span }
  | { kind: 'path'; segments: string[]; span: Span }
  | { kind: 'call'; name: string; args: ExprAst[]; span: Span; nameSpan: Span }
  | { kind: 'exists'; path: string[]; where?: ExprAst; span: Span; pathSpan: Span }
  | { kind: 'not'; operand: ExprAst; span: Span }
  | { kind: 'negate'; operand: ExprAst; span: Span }
  | { kind: 'binary'; op: BinaryOperator; left: ExprAst; right: ExprAst; span: Span; opSpan: Span }
  | { kind: 'isNull'; operand: ExprAst; negated: boolean; span: Span }
  | { kind: 'in'; operand: ExprAst; negated: boolean; list?: ExprAst[]; ecl?: EclAst; span: Span }
  | { kind: 'between'; operand: ExprAst; low: ExprAst; high: ExprAst; negated: boolean; span: Span };

export type BinaryOperator = 'or' | 'and' | '=' | '<>' | '<' | '<=' | '>' | '>=' | '+' | '-' | '*' | '/';

/** SNOMED CT Expression Constraint Language, the subset exdef supports. */
export type EclAst =
  | { kind: 'concept'; id: string; term?: string; span: Span }
  | { kind: 'descendantOrSelf'; operand: EclAst; span: Span }
  | { kind: 'descendant'; operand: EclAst; span: Span }
  | { kind: 'memberOf'; operand: EclAst; span: Span }
  | { kind: 'or' | 'and' | 'minus'; left: EclAst; right: EclAst; span: Span };

/**
 * Binding strength, loosest first (documented in docs/language.md and tested):
 * or < and < not < comparison (= <> < <= > >= in, is null, between) < + - < * / < unary minus.
 */
export const PRECEDENCE: Record<string, number> = {
  or: 1,
  and: 2,
  not: 3,
  '=': 4,
  '<>': 4,
  '<': 4,
  '<=': 4,
  '>': 4,
  '>=': 4,
  in: 4,
  isNull: 4,
  between: 4,
  '+': 5,
  '-': 5,
  '*': 6,
  '/': 6,
  negate: 7,
};

/** Strips spans: two expressions are the same when their shapes are (used by tests and convert). */
export function withoutSpans<T>(node: T): T {
  if (Array.isArray(node)) return node.map(withoutSpans) as T;
  if (node && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) {
      if (k === 'span' || k.endsWith('Span')) continue;
      out[k] = withoutSpans(v);
    }
    return out as T;
  }
  return node;
}
