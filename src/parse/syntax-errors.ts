import { EOF, type ILexingError, type IRecognitionException, type IToken } from 'chevrotain';
import { defineCodes } from '../diagnostics/define-codes.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { SpanMaker } from './expression-from-cst.js';

export const syntaxCodes = defineCodes({
  'syntax-error': {
    severity: 'error',
    stage: 'parse',
    message: (p: { reason: string }) => p.reason,
  },
  'unexpected-character': {
    severity: 'error',
    stage: 'parse',
    message: (p: { text: string }) => `unexpected character ${p.text}`,
  },
});

/** Lexing errors as diagnostics: each unexpected character run at its place. */
export function lexingDiagnostics(errors: readonly ILexingError[], text: string, span: SpanMaker): Diagnostic[] {
  return errors.map((error) => {
    const fragment = text.slice(error.offset, error.offset + Math.max(1, error.length));
    const shown = fragment.length > 20 ? `${fragment.slice(0, 17)}...` : fragment;
    return syntaxCodes.make('unexpected-character', { text: JSON.stringify(shown) }, span(error.offset, error.offset + Math.max(0, error.length - 1)));
  });
}

/**
 * Parse errors as diagnostics. When recovery invented a token (or the error is at the end of the
 * input), the diagnostic is anchored just after the previous real token, where the problem is.
 */
export function parsingDiagnostics(errors: readonly IRecognitionException[], textLength: number, span: SpanMaker): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const seen = new Set<number>();
  for (const error of errors) {
    const token = error.token;
    const previous = (error as IRecognitionException & { previousToken?: IToken }).previousToken;
    const invented = token.tokenType === EOF || Number.isNaN(token.startOffset) || token.isInsertedInRecovery === true;
    // Something missing at the end of a line (typically `;`) is reported there, not at the next line.
    const missingAtLineEnd =
      error.name === 'MismatchedTokenException' && previous !== undefined && !Number.isNaN(previous.startOffset) && previous.tokenType !== EOF && (token.startLine ?? 0) > (previous.endLine ?? previous.startLine ?? 0);
    let start: number;
    let end: number;
    if (!invented && !missingAtLineEnd) {
      start = token.startOffset;
      end = token.endOffset ?? token.startOffset;
    } else if (previous && !Number.isNaN(previous.startOffset) && previous.tokenType !== EOF) {
      // Just after the previous real token.
      start = (previous.endOffset ?? previous.startOffset) + 1;
      end = start;
    } else {
      start = textLength;
      end = textLength;
    }
    if (seen.has(start)) continue;
    seen.add(start);
    diagnostics.push(syntaxCodes.make('syntax-error', { reason: error.message }, span(start, Math.max(start, end))));
  }
  return diagnostics;
}
