/**
 * Letters of other scripts that look like Latin ones (Unicode's confusables, for the Cyrillic and
 * Greek letters a keyboard reaches): the sensitive-terms guard reads a text as Latin letters
 * before it looks for a term, so that "Аbortion service" with a Cyrillic А still names one.
 * Uppercase and lowercase separately, before the text is lowered: Greek Η looks like H, its
 * lowercase η like n. NFKD has already made fullwidth and other compatibility forms plain.
 */
const PAIRS: readonly (readonly [string, string])[] = [
  // Cyrillic capitals
  ['А', 'A'], ['В', 'B'], ['Е', 'E'], ['Ѕ', 'S'], ['І', 'I'], ['Ј', 'J'], ['К', 'K'], ['М', 'M'], ['Н', 'H'], ['О', 'O'], ['Р', 'P'], ['С', 'C'], ['Т', 'T'], ['У', 'Y'], ['Х', 'X'], ['Ү', 'Y'], ['Һ', 'H'], ['Ԛ', 'Q'], ['Ԝ', 'W'],
  // Cyrillic small letters
  ['а', 'a'], ['в', 'b'], ['е', 'e'], ['ѕ', 's'], ['і', 'i'], ['ј', 'j'], ['к', 'k'], ['м', 'm'], ['н', 'h'], ['о', 'o'], ['р', 'p'], ['с', 'c'], ['т', 't'], ['у', 'y'], ['х', 'x'], ['ү', 'y'], ['һ', 'h'], ['ԁ', 'd'], ['ԛ', 'q'], ['ԝ', 'w'], ['ɡ', 'g'],
  // Greek capitals
  ['Α', 'A'], ['Β', 'B'], ['Ε', 'E'], ['Ζ', 'Z'], ['Η', 'H'], ['Ι', 'I'], ['Κ', 'K'], ['Μ', 'M'], ['Ν', 'N'], ['Ο', 'O'], ['Ρ', 'P'], ['Τ', 'T'], ['Υ', 'Y'], ['Χ', 'X'],
  // Greek small letters
  ['α', 'a'], ['β', 'b'], ['γ', 'y'], ['ε', 'e'], ['η', 'n'], ['ι', 'i'], ['κ', 'k'], ['ν', 'v'], ['ο', 'o'], ['ρ', 'p'], ['τ', 't'], ['υ', 'u'], ['χ', 'x'], ['ω', 'w'],
];

/** translate()'s two arguments: each character of the first becomes the one at its place in the second. */
export const CONFUSABLE_FROM = PAIRS.map(([from]) => from).join('');
export const CONFUSABLE_TO = PAIRS.map(([, to]) => to).join('');
