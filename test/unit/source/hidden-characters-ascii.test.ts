import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hiddenCharacters, lookAlikeSkeleton } from '../../../src/source/hidden-characters.js';

// Any ASCII text, control characters included (those take the general path).
const ascii = fc.array(fc.integer({ min: 0, max: 0x7f }), { maxLength: 60 }).map((codes) => String.fromCharCode(...codes));

describe('plain ASCII texts take a short path that gives what the general one gives', () => {
  it('lookAlikeSkeleton: the same skeleton as when a non-ASCII letter forces the general path', () => {
    fc.assert(
      fc.property(ascii, (text) => {
        // "x" and "é" are both kept as they are; only the second one sends the text down the general path.
        expect(lookAlikeSkeleton(`x${text}`).slice(1)).toBe(lookAlikeSkeleton(`é${text}`).slice(1));
      }),
      { numRuns: 500 },
    );
  });

  it('hiddenCharacters: the same characters, at the same places, as on the general path', () => {
    fc.assert(
      fc.property(ascii, (text) => {
        const general = hiddenCharacters(`é${text}`).map((h) => ({ ...h, index: h.index - 1 }));
        expect(hiddenCharacters(text)).toEqual(general);
      }),
      { numRuns: 500 },
    );
  });

  it('still finds what plain ASCII cannot hold', () => {
    expect(hiddenCharacters('needed\u200bfor').map((h) => h.index)).toEqual([6]);
    expect(hiddenCharacters('a\u0007b').map((h) => h.kind)).toEqual(['control']);
    expect(lookAlikeSkeleton('N\u0435eded  for\tcare ')).toBe('Needed for care');
  });
});
