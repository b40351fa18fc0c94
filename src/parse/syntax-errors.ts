import { EOF, type ILexingError, type IRecognitionException, type IToken } from '../../grammar/chevrotain.js';
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
  'nested-too-deeply': {
    severity: 'error',
    stage: 'parse',
    message: (p: { limit: number }) => `this is nested more than ${p.limit} levels deep (parentheses, not, unary minus); write it more simply`,
  },
});

/**
 * How deeply parentheses and prefix operators (`not`, unary `-`) may nest. The parser descends a
 * chain of rules for each level, so a few hundred levels overflow the stack; no definition needs
 * more than a handful.
 */
export const MAX_NESTING = 64;

/**
 * A diagnostic at the first token that nests deeper than MAX_NESTING, counting open parentheses
 * and runs of `not` and `-`. Checked before parsing, so deep input is an error, not a crash.
 */
export function nestingDiagnostic(tokens: readonly IToken[], span: SpanMaker): Diagnostic | undefined {
  let open = 0;
  let prefixes = 0;
  for (const token of tokens) {
    const name = token.tokenType.name;
    if (name === 'LParen') open++;
    else if (name === 'RParen') open = Math.max(0, open - 1);
    prefixes = name === 'Not' || name === 'Minus' ? prefixes + 1 : 0;
    if (open + prefixes > MAX_NESTING) {
      return syntaxCodes.make('nested-too-deeply', { limit: MAX_NESTING }, span(token.startOffset, token.endOffset ?? token.startOffset));
    }
  }
  return undefined;
}

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
