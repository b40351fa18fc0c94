import { EOF, type ILexingError, type IRecognitionException, type IToken, type TokenType } from '../../grammar/chevrotain.js';
import { allTokens } from '../../grammar/tokens.js';
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
  'misspelt-keyword': {
    severity: 'error',
    stage: 'parse',
    message: (p: { found: string; keyword: string }) => `\`${p.found}\` is not an exdef keyword; did you mean ${p.keyword}?`,
  },
  'unescaped-quote': {
    severity: 'error',
    stage: 'parse',
    message: () => "this ' ends the quoted text early: a quote inside a text is written twice ('')",
  },
  'too-long': {
    severity: 'error',
    stage: 'parse',
    message: (p: { what: string; length: string; limit: string; closed: boolean }) =>
      p.closed
        ? `this ${p.what} is too long: ${p.length} characters, more than the limit of ${p.limit}`
        : `this ${p.what} is never closed: it runs on to the end of the file, more than the limit of ${p.limit} characters`,
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

/**
 * The most characters one quoted text ('...') or quoted name ("...") may have between its quotes.
 * The lexer matches a quoted text with one regular expression whose backtracking grows with the
 * text: several million characters overflow its stack. No title or justification comes near this.
 */
export const MAX_QUOTED_LENGTH = 1_000_000;

const withCommas = (n: number) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/**
 * A diagnostic at each quoted text or quoted name longer than MAX_QUOTED_LENGTH (or never closed
 * and running on past it). Checked before lexing, so such input is an error, not a crash. The scan
 * finds quotes where the lexer would start a token: not inside comments, |terms| or other quotes.
 */
export function tooLongDiagnostics(text: string, span: SpanMaker): Diagnostic[] {
  const found: Diagnostic[] = [];
  const n = text.length;
  // Nothing can be too long in a text shorter than the limit.
  if (n <= MAX_QUOTED_LENGTH) return found;
  let unclosedComment = false;
  let i = 0;
  while (i < n) {
    const c = text[i]!;
    const next = text[i + 1];
    if (c === '-' && next === '-') {
      // -- comment, to the end of the line.
      while (i < n && text[i] !== '\n' && text[i] !== '\r') i++;
    } else if (c === '/' && next === '*') {
      // /* comment */; unclosed, the lexer reads `/` and goes on (and no later one closes either).
      const close = unclosedComment ? -1 : text.indexOf('*/', i + 2);
      if (close < 0) unclosedComment = true;
      i = close < 0 ? i + 1 : close + 2;
    } else if (c === '|') {
      // |term| on one line; otherwise `|` alone and the lexer goes on.
      let j = i + 1;
      while (j < n && text[j] !== '|' && text[j] !== '\n' && text[j] !== '\r') j++;
      i = j < n && text[j] === '|' ? j + 1 : i + 1;
    } else if (c === "'" || c === '"') {
      // As the patterns '(?:[^']|'')*' and "(?:[^"]|"")+" read it: a doubled quote is a quote inside.
      let j = i + 1;
      let lastDoubled = -1;
      let close = -1;
      while (j < n) {
        const q = text.indexOf(c, j);
        if (q < 0) break;
        if (text[q + 1] === c) {
          lastDoubled = q;
          j = q + 2;
        } else {
          close = q;
          break;
        }
      }
      // How far the lexer reads before it finds the end (or the end of the file).
      const read = (close < 0 ? n : close) - (i + 1);
      if (read > MAX_QUOTED_LENGTH) {
        const what = c === "'" ? 'quoted text' : 'quoted name';
        const closed = close >= 0;
        const hint = closed ? `shorten it: no ${c === "'" ? 'text' : 'name'} in a definition needs more than ${withCommas(MAX_QUOTED_LENGTH)} characters` : `end the ${c === "'" ? 'text' : 'name'} with ${c}`;
        found.push({ ...syntaxCodes.make('too-long', { what, length: withCommas(read), limit: withCommas(MAX_QUOTED_LENGTH), closed }, span(i, i)), hints: [hint] });
        if (!closed) break;
      }
      // Where the lexer goes on: after the closing quote, at the last doubled one, or past a quote
      // that starts nothing ("" is no name: a quoted name has at least one character).
      if (c === '"' && close === i + 1) i += 1;
      else i = close >= 0 ? close + 1 : lastDoubled >= 0 ? lastDoubled + 1 : i + 1;
    } else i++;
  }
  return found;
}

/** Lexing errors as diagnostics: each unexpected character run at its place. */
export function lexingDiagnostics(errors: readonly ILexingError[], text: string, span: SpanMaker): Diagnostic[] {
  return errors.map((error) => {
    const fragment = text.slice(error.offset, error.offset + Math.max(1, error.length));
    const shown = fragment.length > 20 ? `${fragment.slice(0, 17)}...` : fragment;
    return syntaxCodes.make('unexpected-character', { text: JSON.stringify(shown) }, span(error.offset, error.offset + Math.max(0, error.length - 1)));
  });
}

/** The words of exdef's keywords (TITLE, JUSTIFY, ...), for suggestions. */
const KEYWORDS: readonly string[] = allTokens
  .map((type: TokenType) => type.PATTERN)
  .filter((pattern): pattern is RegExp => pattern instanceof RegExp && pattern.flags.includes('i') && /^[a-z0-9]+$/.test(pattern.source))
  .map((pattern) => pattern.source.toUpperCase());

/** Optimal string alignment distance: edits, counting a swap of neighbours as one. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** The keyword a plain word was probably meant to be (`TITEL` → TITLE), if one is close enough. */
export function keywordMeant(word: string): string | undefined {
  if (word.length < 4) return undefined;
  const upper = word.toUpperCase();
  const limit = word.length >= 7 ? 2 : 1;
  let best: { keyword: string; distance: number } | undefined;
  for (const keyword of KEYWORDS) {
    if (keyword.length < 4) continue;
    const distance = editDistance(upper, keyword);
    if (distance <= limit && (!best || distance < best.distance)) best = { keyword, distance };
  }
  return best?.keyword;
}

/**
 * A quote inside a quoted text that was not doubled (`'the patient's age'`): the text ends at it
 * and the next word touches it. Every error after it follows from it, so only it is reported.
 */
export function unescapedQuoteDiagnostics(tokens: readonly IToken[], span: SpanMaker): Diagnostic[] {
  const found: Diagnostic[] = [];
  for (let i = 0; i + 1 < tokens.length; i++) {
    const text = tokens[i]!;
    const next = tokens[i + 1]!;
    if (text.tokenType.name !== 'StringLiteral' || next.startOffset !== (text.endOffset ?? text.startOffset) + 1 || !/^[A-Za-z0-9_]/.test(next.image)) continue;
    const quote = text.endOffset ?? text.startOffset;
    // A long text is shown by its end, where the quote is.
    const inside = text.image.slice(1, -1);
    const before = inside.length > 40 ? `...${inside.slice(-30)}` : inside;
    const word = next.image.length > 30 ? next.image.slice(0, 30) : next.image;
    found.push({ ...syntaxCodes.make('unescaped-quote', {}, span(quote, quote)), hints: [`double it: '${before}''${word}...'`] });
    break;
  }
  return found;
}

/** How the parser's message for a missing comma between fields begins (grammar/error-messages.ts). */
export const MISSING_COMMA = 'expected `,` before';

/**
 * Parse errors as diagnostics. When recovery invented a token (or the error is at the end of the
 * input), the diagnostic is anchored just after the previous real token, where the problem is.
 * `readsAsField` says whether the tokens from one on read as a field of a SELECT list.
 */
export function parsingDiagnostics(
  errors: readonly IRecognitionException[],
  textLength: number,
  span: SpanMaker,
  readsAsField: (token: IToken) => boolean = () => false,
): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const seen = new Set<number>();
  for (const error of errors) {
    const token = error.token;
    const previous = (error as IRecognitionException & { previousToken?: IToken }).previousToken;
    const invented = token.tokenType === EOF || Number.isNaN(token.startOffset) || token.isInsertedInRecovery === true;
    // Something missing at the end of a line (typically `;`) is reported there, not at the next line.
    // A misspelt keyword is reported at the word, with the keyword it is close to.
    // But where a comma is missing before a field (`JUSTIFY '...'` then `code AS condition_code`),
    // a field named like a keyword (code ~ MODE) is still a field: the comma is what is wrong.
    const missingComma = error.message.startsWith(MISSING_COMMA) && readsAsField(token);
    const meant = !invented && !missingComma && token.tokenType.name === 'Identifier' ? keywordMeant(token.image) : undefined;
    if (meant) {
      if (seen.has(token.startOffset)) continue;
      seen.add(token.startOffset);
      diagnostics.push({ ...syntaxCodes.make('misspelt-keyword', { found: token.image, keyword: meant }, span(token.startOffset, token.endOffset ?? token.startOffset)), hints: [`write ${meant}`] });
      continue;
    }
    // A missing `;` or `)` belongs at the end of the line before; anything else (a missing comma,
    // a misspelt word) is at the token found.
    const closesLine = error.message.startsWith('expected `;`') || error.message.startsWith('expected `)`');
    const missingAtLineEnd =
      closesLine && error.name === 'MismatchedTokenException' && previous !== undefined && !Number.isNaN(previous.startOffset) && previous.tokenType !== EOF && (token.startLine ?? 0) > (previous.endLine ?? previous.startLine ?? 0);
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
