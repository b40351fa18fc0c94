import { describe, expect, it } from 'vitest';
import { Lexer, type TokenType } from '../../../grammar/chevrotain.js';
import { allTokens, exdefLexer } from '../../../grammar/tokens.js';

/**
 * Keywords say up front that they never span lines and which characters they start with, so that
 * the lexer skips analysing their patterns at every start. A lexer left to work both out itself
 * must read every text the same.
 */
describe('keyword hints', () => {
  const keywords = allTokens.filter((t) => t.PATTERN instanceof RegExp && t.PATTERN.flags === 'i' && /^[a-z]+$/.test(t.PATTERN.source));

  it('are given for every keyword, and are what the pattern implies', () => {
    expect(keywords.length).toBeGreaterThan(50);
    for (const token of keywords) {
      const word = (token.PATTERN as RegExp).source;
      expect(token.LINE_BREAKS, token.name).toBe(false);
      expect(token.START_CHARS_HINT, token.name).toEqual([word[0], word[0]!.toUpperCase()]);
    }
  });

  it('lex every keyword, in any case, as a lexer without them does', () => {
    // The same token types (categories, longer_alt and all), the hints taken off: analysed as before.
    const unhinted = new Lexer(
      allTokens.map((t) => {
        if (!keywords.includes(t)) return t;
        const copy = Object.assign(Object.create(Object.getPrototypeOf(t)), t) as TokenType & Record<string, unknown>;
        delete copy['START_CHARS_HINT'];
        delete copy['LINE_BREAKS'];
        return copy;
      }),
      { positionTracking: 'full' },
    );
    const words = keywords.map((t) => (t.PATTERN as RegExp).source);
    const text = [...words, ...words.map((w) => w.toUpperCase()), ...words.map((w) => `${w[0]!.toUpperCase()}${w.slice(1)}`), ...words.map((w) => `${w}_x`)].join(' \n');
    const shape = (tokens: { image: string; startOffset: number; startLine?: number; tokenType: TokenType }[]) => tokens.map((t) => [t.image, t.startOffset, t.startLine, t.tokenType.name]);
    const hinted = exdefLexer.tokenize(text);
    const analysed = unhinted.tokenize(text);
    expect(hinted.errors).toEqual([]);
    expect(shape(hinted.tokens)).toEqual(shape(analysed.tokens));
  });
});
