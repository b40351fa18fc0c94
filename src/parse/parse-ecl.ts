import { defineCodes } from '../diagnostics/define-codes.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { EclAst } from './expression-ast.js';
import type { SpanMaker } from './expression-from-cst.js';
import { parseExpressionText } from './parse-expression.js';

export const eclCodes = defineCodes({
  'not-ecl': {
    severity: 'error',
    stage: 'parse',
    message: () => 'this is not an ECL expression: write concepts with <<, <, ^, OR, AND, MINUS and parentheses, e.g. << 118199002 OR ^ 999004381000000103',
  },
});

const PREFIX = 'code in (';

/**
 * Parses an ECL expression on its own (a policy file's sensitive code set), with the grammar the
 * definitions use: it is parsed as the code set of `code in (...)`, offsets mapped back.
 */
export function parseEclText(text: string, span: SpanMaker): { ecl?: EclAst; diagnostics: Diagnostic[] } {
  const wrapped = `${PREFIX}${text})`;
  const shift = (offset: number) => Math.min(Math.max(offset - PREFIX.length, 0), text.length);
  const { expression, diagnostics } = parseExpressionText(wrapped, (start, end) => span(shift(start), shift(end)));
  if (!expression) return { diagnostics };
  if (expression.kind !== 'in' || !expression.ecl) {
    return { diagnostics: [...diagnostics, eclCodes.make('not-ecl', {}, span(0, Math.max(0, text.length - 1)))] };
  }
  return { ecl: expression.ecl, diagnostics };
}
