/**
 * Characters a reader of a definition does not see, or sees as something they are not: zero-width
 * and invisible characters, bidirectional controls (which reorder what is shown), control
 * characters, and letters of another script inside a Latin word (Cyrillic "а" in "Nееded"). A
 * reviewer approves what is displayed; these make the file say something else than it shows, so
 * every text a reviewer relies on and every key is checked for them.
 */
export interface HiddenCharacter {
  /** Index of the character in the text (UTF-16 units). */
  index: number;
  /** The character itself (one code point). */
  char: string;
  /** What it is, for messages: "zero-width space (U+200B)". */
  name: string;
  kind: 'invisible' | 'bidi' | 'control' | 'look-alike';
}

const NAMED: Record<number, string> = {
  0x00ad: 'soft hyphen',
  0x034f: 'combining grapheme joiner',
  0x061c: 'Arabic letter mark',
  0x115f: 'Hangul choseong filler',
  0x1160: 'Hangul jungseong filler',
  0x180e: 'Mongolian vowel separator',
  0x200b: 'zero-width space',
  0x200c: 'zero-width non-joiner',
  0x200d: 'zero-width joiner',
  0x200e: 'left-to-right mark',
  0x200f: 'right-to-left mark',
  0x202a: 'left-to-right embedding',
  0x202b: 'right-to-left embedding',
  0x202c: 'pop directional formatting',
  0x202d: 'left-to-right override',
  0x202e: 'right-to-left override',
  0x2028: 'line separator',
  0x2029: 'paragraph separator',
  0x2060: 'word joiner',
  0x2061: 'invisible function application',
  0x2062: 'invisible times',
  0x2063: 'invisible separator',
  0x2064: 'invisible plus',
  0x2066: 'left-to-right isolate',
  0x2067: 'right-to-left isolate',
  0x2068: 'first strong isolate',
  0x2069: 'pop directional isolate',
  0x2800: 'braille blank',
  0x3164: 'Hangul filler',
  0xfeff: 'zero-width no-break space (byte order mark)',
  0xffa0: 'halfwidth Hangul filler',
};

const BIDI = new Set([0x061c, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069]);

/** U+XXXX */
export function codePointLabel(char: string): string {
  return `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

const PLAIN_ASCII = /^[\t\n\r\x20-\x7e]*$/;
const CONTROL = /\p{Cc}/u;
const UNSEEN = /\p{Cf}|\p{Co}|\p{Cn}/u;

function classify(char: string): Omit<HiddenCharacter, 'index' | 'char'> | undefined {
  const cp = char.codePointAt(0)!;
  // Tab and line breaks are ordinary layout in YAML block scalars.
  if (cp === 0x09 || cp === 0x0a || cp === 0x0d) return undefined;
  // Printable ASCII, most of any file, is never hidden.
  if (cp >= 0x20 && cp < 0x7f) return undefined;
  const named = NAMED[cp];
  if (named) return { name: `${named} (${codePointLabel(char)})`, kind: BIDI.has(cp) ? 'bidi' : 'invisible' };
  if (CONTROL.test(char)) return { name: `control character (${codePointLabel(char)})`, kind: 'control' };
  if ((cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0100 && cp <= 0xe01ef)) return { name: `variation selector (${codePointLabel(char)})`, kind: 'invisible' };
  if (cp >= 0xe0000 && cp <= 0xe007f) return { name: `tag character (${codePointLabel(char)})`, kind: 'invisible' };
  // Any other format character (Cf) is invisible by definition; private-use and unassigned code
  // points show as nothing or a box.
  if (UNSEEN.test(char)) return { name: `invisible character (${codePointLabel(char)})`, kind: 'invisible' };
  return undefined;
}

/**
 * Letters of Cyrillic and Greek that are drawn like Latin ones. Used to fold look-alike spellings
 * together and to find them inside Latin words. (Full-width forms and ligatures are folded by NFKC.)
 */
export const LOOK_ALIKE_LETTERS: Record<string, string> = {
  // Cyrillic
  а: 'a', в: 'b', е: 'e', ё: 'e', к: 'k', м: 'm', н: 'h', о: 'o', р: 'p', с: 'c', т: 't', у: 'y', х: 'x', ѕ: 's', і: 'i', ї: 'i', ј: 'j', ԁ: 'd', ԛ: 'q', ԝ: 'w', һ: 'h', ӏ: 'l', ɡ: 'g',
  А: 'A', В: 'B', Е: 'E', К: 'K', М: 'M', Н: 'H', О: 'O', Р: 'P', С: 'C', Т: 'T', У: 'Y', Х: 'X', Ѕ: 'S', І: 'I', Ј: 'J', Ԛ: 'Q', Ԝ: 'W',
  // Greek
  α: 'a', ο: 'o', ρ: 'p', ν: 'v', τ: 't', υ: 'u', ι: 'i', κ: 'k', χ: 'x', ε: 'e',
  Α: 'A', Β: 'B', Ε: 'E', Ζ: 'Z', Η: 'H', Ι: 'I', Κ: 'K', Μ: 'M', Ν: 'N', Ο: 'O', Ρ: 'P', Τ: 'T', Υ: 'Y', Χ: 'X',
  // Latin letters that pass for others
  ı: 'i', ſ: 's', ℓ: 'l',
};

/**
 * Every hidden or look-alike character of `text`, in order. A look-alike letter counts only inside
 * a word that also has Latin letters: a Greek or Russian word on its own is written honestly.
 */
export function hiddenCharacters(text: string): HiddenCharacter[] {
  // Printable ASCII, tabs and line breaks (most texts) hide nothing and have no look-alike letters.
  if (PLAIN_ASCII.test(text)) return [];
  const found: HiddenCharacter[] = [];
  let index = 0;
  for (const char of text) {
    const hidden = classify(char);
    if (hidden) found.push({ index, char, ...hidden });
    index += char.length;
  }
  for (const word of text.matchAll(/[\p{L}\p{M}]+/gu)) {
    if (!/[A-Za-z]/.test(word[0])) continue;
    let offset = word.index;
    for (const char of word[0]) {
      if (LOOK_ALIKE_LETTERS[char] !== undefined) {
        found.push({ index: offset, char, name: `${/\p{Script=Cyrillic}/u.test(char) ? 'Cyrillic' : /\p{Script=Greek}/u.test(char) ? 'Greek' : 'look-alike'} "${char}" (${codePointLabel(char)}) that looks like "${LOOK_ALIKE_LETTERS[char]}"`, kind: 'look-alike' });
      }
      offset += char.length;
    }
  }
  return found.sort((a, b) => a.index - b.index);
}

/** `text` with every hidden character removed (look-alike letters stay; see lookAlikeSkeleton). */
export function withoutHiddenCharacters(text: string): string {
  let out = '';
  for (const char of text) if (!classify(char)) out += char;
  return out;
}

/**
 * What `text` looks like to a reader: NFKC (full-width, ligatures, compatibility spaces), hidden
 * characters removed, look-alike letters folded to Latin, white space collapsed. Two texts with
 * the same skeleton are indistinguishable on screen.
 */
export function lookAlikeSkeleton(text: string): string {
  // Plain ASCII: nothing hidden, NFKC leaves it as it is, no look-alike letters.
  if (PLAIN_ASCII.test(text)) return text.replace(/\s+/g, ' ').trim();
  let out = '';
  for (const char of withoutHiddenCharacters(text).normalize('NFKC')) out += LOOK_ALIKE_LETTERS[char] ?? char;
  return out.replace(/\s+/gu, ' ').trim();
}

/** `text` with hidden characters written as \u{XXXX}, so a message shows what is really there. */
export function showHidden(text: string): string {
  let out = '';
  for (const char of text) out += classify(char) ? `\\u{${char.codePointAt(0)!.toString(16).toUpperCase()}}` : char;
  return out;
}
