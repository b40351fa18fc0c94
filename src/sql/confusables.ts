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

/**
 * What the guard drops before it looks for a term (a PostgreSQL regex): the accents NFKD splits
 * off, and characters that show nothing (soft hyphen, zero-width space and joiners, direction
 * marks, word joiner, byte order mark) — 'G\u200bUM' is GUM.
 */
export const DROPPED = '[\\u0300-\\u036f\\u00ad\\u034f\\u061c\\u180e\\u200b-\\u200f\\u202a-\\u202e\\u2060-\\u2064\\ufeff]+';

/**
 * Letters left after all that which are not plain Latin: the letters of Latin-1 and the Latin
 * extensions that NFKD does not take apart (ı, ł, ø), IPA and phonetic letters (ɩ), and every
 * other script (Greek, Cyrillic, Armenian, Cherokee, ...). A look-alike table can never list them
 * all, so a text holding one is treated as naming a sensitive service: the guard fails closed
 * (such a text is rare in a UK practice's service names; a false exclusion loses a row, a false
 * inclusion discloses one).
 */
export const OTHER_SCRIPTS = '[\\u00c0-\\u1fff\\u2c00-\\u2dff\\ua640-\\uabff]';
