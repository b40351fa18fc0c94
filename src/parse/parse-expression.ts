import { EOF } from '../../grammar/chevrotain.js';
import { exdefParser } from '../../grammar/parser.js';
import { exdefLexer } from '../../grammar/tokens.js';
import type { StandaloneExpressionCstNode } from '../../grammar/cst.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { ExprAst } from './expression-ast.js';
import { wholeExpressionFromCst, type SpanMaker } from './expression-from-cst.js';
import { lexingDiagnostics, nestingDiagnostic, parsingDiagnostics, syntaxCodes, tooLongDiagnostics } from './syntax-errors.js';

/**
 * Parses an expression written on its own (a YAML `where:` or `value:`), with the same grammar
 * the exdef language uses. `span` maps offsets in `text` to the file.
 */
export function parseExpressionText(text: string, span: SpanMaker): { expression?: ExprAst; diagnostics: Diagnostic[] } {
  // A quoted text too long for the lexer is reported instead of lexed (it would overflow its stack).
  const tooLong = tooLongDiagnostics(text, span);
  if (tooLong.length > 0) return { diagnostics: tooLong };
  const lexed = exdefLexer.tokenize(text);
  const diagnostics = lexingDiagnostics(lexed.errors, text, span);
  const tooDeep = nestingDiagnostic(lexed.tokens, span);
  if (tooDeep) return { diagnostics: [...diagnostics, tooDeep] };
  exdefParser.input = lexed.tokens;
  const cst = exdefParser.standaloneExpression() as StandaloneExpressionCstNode;
  diagnostics.push(...parsingDiagnostics(exdefParser.errors, text.length, span));
  const next = exdefParser.nextUnconsumed();
  if (exdefParser.errors.length === 0 && next.tokenType !== EOF) {
    diagnostics.push(
      syntaxCodes.make('syntax-error', { reason: `unexpected \`${next.image}\`: the expression should end before it` }, span(next.startOffset, next.endOffset ?? next.startOffset)),
    );
  }
  if (diagnostics.length > 0) return { diagnostics };
  const converted: Diagnostic[] = [];
  const expression = wholeExpressionFromCst({ span, diagnostics: converted }, cst.children.expression[0]!);
  return converted.length > 0 ? { diagnostics: converted } : { expression, diagnostics: [] };
}
