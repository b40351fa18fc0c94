import { hiddenCharacters, lookAlikeSkeleton, showHidden, type HiddenCharacter } from '../source/hidden-characters.js';
import type { Span } from '../source/source-file.js';
import type { Policy } from './policy.js';

/**
 * The one check of every text a reviewer relies on: field and population justifications, the
 * intended use, the legal basis statement, risk statements, the DPIA and other references, and
 * exemption texts. A text passes when it can say something: it is not blank, hides nothing, is not
 * a placeholder or a stock phrase, and has enough distinct real words (not padded by repetition,
 * keyboard mashing or lorem ipsum). Near-duplicates across purposes are found with `textSimilarity`.
 *
 * Texts are compared as a reader sees them (lookAlikeSkeleton: NFKC, hidden characters removed,
 * look-alike letters folded), so a homoglyph, a zero-width space or padding changes nothing.
 */

/**
 * What a text is for, which decides its shape:
 * - justification: why one field or population choice is needed (short but specific is fine);
 * - statement: intended use, legal basis statement, risk statements (a few sentences);
 * - reference: a DPIA, notice, approval or legal-basis reference (short is fine, a placeholder is not);
 * - name: who reviewed it.
 */
export type TextKind = 'justification' | 'statement' | 'reference' | 'name';

export type TextProblemKind = 'blank' | 'hidden' | 'placeholder' | 'stock' | 'filler' | 'short' | 'few-words' | 'repetitive' | 'vague-reference';

export interface TextProblem {
  kind: TextProblemKind;
  /** Says what is wrong, for a message: 'a zero-width space (U+200B) at character 7'. */
  detail: string;
  /** The hidden character, for `hidden` (its index in the text locates it in the file). */
  hidden?: HiddenCharacter;
  /** For a `placeholder` written to look like a text: the words that give it away ("to be confirmed", "requested"). */
  phrase?: string;
}

export interface TextOptions {
  /** Words that name what is justified (the field's name): they do not make a text specific. */
  subject?: readonly string[];
}

/** Words that carry no meaning on their own. */
const STOP_WORDS = new Set(
  'a an the and or but nor of to in on at by for with from as is are was were be been being it its this that these those there here we our us they their them he she his her i me my you your so if then than not no all any each per via into onto also etc eg ie e g s do does done has have had will would shall should can could may might which who whom whose what when where why how such only very just'.split(' '),
);

/** Words that a stock phrase pads itself with ("for reporting purposes", "the data field"). */
const PADDING_WORDS = new Set('purpose purposes reason reasons data field fields information info use used usage item items value values column columns please basis'.split(' '));

/** Spellings of one meaning, folded so that "Required for analytical purposes" is "needed for analysis". */
const SYNONYMS: Record<string, string> = {};
for (const [canonical, words] of Object.entries({
  need: 'need needs needed required require requires requirement requirements necessary necessity essential mandatory must want wanted',
  analysis: 'analysis analyses analyse analyze analysing analyzing analysed analyzed analytic analytics analytical analyst analysts',
  report: 'report reports reporting reported',
  useful: 'useful usefulness helpful valuable',
  important: 'important importance key critical crucial',
  standard: 'standard standards usual normal normally typical typically common default',
  agreement: 'agreement agreed agree contract contractual',
  request: 'request requested requests asked ask',
})) {
  for (const word of words.split(' ')) SYNONYMS[word] = canonical;
}

/**
 * Texts that stand for "not written yet" whatever else they say. Compared on the skeleton,
 * lower case, with surrounding punctuation and white space removed.
 */
const PLACEHOLDER_TEXTS = new Set([
  'n/a', 'n.a.', 'n.a', 'na', 'n a', 'not applicable', 'tbc', 'tba', 'tbd', 'to be confirmed', 'to be decided', 'to be determined', 'to be agreed', 'to follow',
  'none', 'nil', 'null', 'nothing', 'no', 'nope', 'unknown', 'not known', 'blank', 'empty', 'pending', 'various', 'ditto', 'same', 'same as above', 'as above', 'see above', 'see below',
  'x', 'xx', 'xxx', 'xxxx', 'test', 'testing', 'placeholder', 'todo', 'fixme', 'later', 'wip', 'misc', 'other', 'etc', 'yes', 'ok', 'okay', 'on file', 'available on request', 'see attached',
]);

/** Distinctive lorem ipsum words (the ones that are not also English or Latin words in ordinary use). */
const LOREM = new Set(
  'lorem ipsum dolor amet consectetur consectetuer adipiscing adipisicing elit eiusmod tempor incididunt labore dolore aliqua veniam nostrud exercitation ullamco laboris nisi aliquip commodo consequat duis aute irure reprehenderit voluptate velit esse cillum fugiat nulla pariatur excepteur sint occaecat cupidatat proident sunt culpa officia deserunt mollit laborum'.split(' '),
);

const KEYBOARD_ROWS = ['qwertyuiop', 'asdfghjkl', 'zxcvbnm'];
/** The rows both ways: a run may go right to left ("lkjh"). */
const KEYBOARD_RUNS = KEYBOARD_ROWS.flatMap((row) => [row, [...row].reverse().join('')]);

/** A run along a keyboard row ("asdf", "lkjh"), one letter repeated ("aaaa"), or a long word with no vowel ("sdfghk"). */
function isKeyboardMash(word: string): boolean {
  // Numbers are references and values ("DPIA-2026-031", "000123"), never mashing.
  if (!/^[a-z]+$/.test(word)) return false;
  if (/^(.)\1{2,}$/.test(word)) return true;
  if (word.length >= 3 && KEYBOARD_RUNS.some((run) => run.includes(word))) return true;
  return word.length >= 5 && !/[aeiouy]/.test(word);
}

/**
 * Words and content words of the texts seen so far. The same texts are compared pairwise (every
 * justification with every other) and checked by several rules, and a lint of many definitions
 * meets the same stock texts again: each text is taken apart once. Bounded, for a long-lived process.
 */
const wordsSeen = new Map<string, { words: readonly string[]; content?: readonly string[] }>();
const WORDS_SEEN_LIMIT = 50_000;

function wordsOf(text: string): { words: readonly string[]; content?: readonly string[] } {
  let seen = wordsSeen.get(text);
  if (!seen) {
    if (wordsSeen.size >= WORDS_SEEN_LIMIT) wordsSeen.clear();
    seen = { words: lookAlikeSkeleton(text).toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [] };
    wordsSeen.set(text, seen);
  }
  return seen;
}

/** The words of a text as a reader sees them, lower case, with where each starts in the skeleton. */
export function textWords(text: string): string[] {
  return [...wordsOf(text).words];
}

function stem(word: string): string {
  const folded = SYNONYMS[word];
  if (folded) return folded;
  // Plural and possessive endings only: enough to make "readings" a "reading".
  if (word.length > 4 && word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss') && !word.endsWith('is') && !word.endsWith('us')) return word.slice(0, -1);
  return word;
}

/** The content words of a text: no stop words, stemmed, folded synonyms. */
export function contentWords(text: string): string[] {
  return [...contentOf(text)];
}

function contentOf(text: string): readonly string[] {
  const seen = wordsOf(text);
  seen.content ??= seen.words.filter((w) => !STOP_WORDS.has(w) && /\p{L}/u.test(w)).map(stem);
  return seen.content;
}

/** How a text compares with the policy's stock phrases: content words and numbers, without padding. */
export function stockKey(text: string): string {
  return wordsOf(text)
    .words.filter((w) => !STOP_WORDS.has(w))
    .map(stem)
    .filter((w) => !PADDING_WORDS.has(w))
    .join(' ');
}

function isPlaceholderText(skeleton: string): boolean {
  const bare = skeleton.toLowerCase().replace(/^[\s\p{P}\p{S}]+|[\s\p{P}\p{S}]+$/gu, '').replace(/\s+/g, ' ');
  if (bare === '') return true; // only punctuation: "-", "...", "?"
  if (PLACEHOLDER_TEXTS.has(bare) || PLACEHOLDER_TEXTS.has(skeleton.toLowerCase().trim())) return true;
  // Left for the author to fill in: TODO/TBD/TBC/FIXME/XXX at the start.
  return /^(todo|tbd|tbc|tba|fixme|xxx)\b/i.test(skeleton.trim());
}

/**
 * A placeholder token the text starts with, whatever follows it ("N/A field kept for the load",
 * "TBC - to be agreed", "- kept"): the words after it cannot make the text say why. "None of ...",
 * "Na" (sodium) and "Nil by mouth" are English, not placeholders.
 */
function leadingPlaceholder(skeleton: string): string | undefined {
  const text = skeleton.trim();
  const token =
    text.match(/^(?:n\s*[/.\\]\s*a\.?|tbc|tbd|tba|todo|fixme|none(?!\s+(?:of|other|but|except)\b)|nil(?!\s+by\b))(?![\p{L}\p{N}])/iu)?.[0] ??
    text.match(/^(?:NA|na)(?![\p{L}\p{N}])/u)?.[0] ??
    (text.includes('\n') ? undefined : text.match(/^(?:-{1,3}|[–—]|\?+|\.{3}|…)(?=\s|$)/u)?.[0]);
  return token;
}

/**
 * Phrases that say the text is not written yet, wherever they stand: "to be confirmed", "not yet",
 * "will be provided in a later version", "confirmed with the controller later", "to follow",
 * "Nobody yet", "pending approval". Each is written to leave ordinary clinical English alone
 * ("to follow up", "patients awaiting treatment", "diagnosis confirmed later by biopsy" is caught,
 * which is the price of "later").
 */
const DEFERRALS: RegExp[] = [
  /\bnot\s+yet\b/iu,
  /\byet\s+to\s+be\b/iu,
  /\b(?:nobody|no[\s-]one|none)\s+yet\b/iu,
  /\bto\s+be\s+(?:confirmed|decided|determined|agreed|provided|written|supplied|defined|finalised|finalized|clarified|documented|specified|completed|filled\s+in|justified|explained)\b/iu,
  /\b(?:will|shall|would)\s+be\s+(?:provided|added|written|supplied|given|documented|confirmed|completed|finalised|finalized|agreed|decided|defined|explained|justified|filled\s+in)\s+(?:later|in\s+(?:a|the)\s+(?:later|future|next|subsequent)|in\s+due\s+course|at\s+a\s+later|once|when|after)\b/iu,
  /\b(?:justification|reason|rationale|explanation|details?|description|wording|text)\s+(?:will|to)\s+(?:be\s+(?:provided|added|written|supplied|given|confirmed|decided|agreed)|follow)\b/iu,
  /\b(?:provided|added|confirmed|written|supplied|given|decided|agreed|completed|finalised|finalized|clarified|documented|justified|explained|filled\s+in|sorted(?:\s+out)?)\b(?:\s+[\p{L}\p{N}'’-]+){0,6}\s+later\b/iu,
  /\b(?:in|at)\s+a\s+later\s+(?:version|release|revision|draft|iteration|update|stage)\b/iu,
  /\bto\s+follow\b(?!\s*-?\s*up\b|\s+(?:the|a|an|each|every|their|his|her|its|patients?|people|children|them)\b)/iu,
  /\bin\s+due\s+course\b/iu,
  /\bcoming\s+soon\b/iu,
  /\b(?:pending|awaiting|awaits|awaited)\s+(?:(?:the|an?|our|its|formal|final)\s+)?(?:approval|confirmation|sign[\s-]?off|agreement|decision|notice|dpn|dpia|cag|reference|completion)\b/iu,
];

/**
 * Words that say a reference (a notice, an approval, a DPIA) does not exist yet: asked for, being
 * drafted, pending. A reference names a document that exists; "CAG application pending 2027",
 * "Awaiting DPN 001" and "Notice requested from NHS England" name none. The NHS England Data
 * Access Request Service (DARS) is a name, not a request.
 */
const NOT_YET_ISSUED =
  /\b(?:pending|awaiting|awaited|applied|applying|apply|applications?|requested|requesting|requests?|draft(?:ed|ing)?|proposed|proposal|submitted|submission|planned|sought|outstanding|intended|to\s+be|not\s+yet|tbc|tba|tbd|to\s+follow|in\s+progress|under\s+(?:review|consideration|discussion)|being\s+(?:sought|prepared|drafted|agreed|obtained))\b/iu;

/** Who reviewed it is a person or a role, not "nobody", "unknown" or "vacant". */
const NO_ONE = /\b(?:nobody|no[\s-]one|none|unknown|vacant|unassigned|not\s+(?:yet\s+)?(?:assigned|appointed|reviewed|known)|to\s+be\s+(?:appointed|assigned|confirmed|named)|pending|awaiting|tbc|tbd|tba|n\/a)\b/iu;

/** Where a deferral is in the text, for a message: the phrase and its character (1-based). */
function deferral(skeleton: string, kind: TextKind): { phrase: string; index: number; why: string } | undefined {
  const leading = leadingPlaceholder(skeleton);
  if (leading !== undefined) return { phrase: leading, index: 0, why: 'it starts with a placeholder' };
  const pointer = skeleton.match(/^(?:see|refer\s+to|as\s+per|cf\.?)(?![\p{L}\p{N}])/iu);
  if (pointer) return { phrase: pointer[0], index: 0, why: 'it points somewhere else instead of saying it' };
  if (kind === 'name') {
    const m = skeleton.match(NO_ONE);
    if (m) return { phrase: m[0], index: m.index!, why: 'it names nobody' };
  }
  if (kind === 'reference') {
    const m = skeleton.replace(/\bdata\s+access\s+request\s+service\b/giu, (s) => ' '.repeat(s.length)).match(NOT_YET_ISSUED);
    if (m) return { phrase: m[0], index: m.index!, why: 'it says the document does not exist yet' };
  }
  for (const re of DEFERRALS) {
    const m = skeleton.match(re);
    if (m) return { phrase: m[0], index: m.index!, why: 'it puts off saying it' };
  }
  return undefined;
}

/** A template slot anywhere in the text: <why ...>, [insert ...], {{...}}, ${...}. */
function templateSlot(skeleton: string): string | undefined {
  return (
    skeleton.match(/<[A-Za-z][^<>]{0,80}>/)?.[0] ??
    skeleton.match(/\[\s*(insert|add|enter|your|fill|describe|reason|justification|tbc|tbd|todo|placeholder)\b[^\]]{0,80}\]/i)?.[0] ??
    skeleton.match(/\{\{[^{}]{0,80}\}\}|\$\{[^{}]{0,80}\}/)?.[0]
  );
}

/**
 * What is wrong with a text a reviewer relies on, most important first (empty when nothing is).
 * `kind` decides the shape expected; the policy gives the stock phrases and thresholds.
 */
export function textProblems(text: string, kind: TextKind, policy: Policy, options: TextOptions = {}): TextProblem[] {
  // A pure function of the text, its kind and subject and the policy: a lint of many definitions
  // meets the same texts again, and each is judged once (a copy is returned each time).
  let judged = problemsSeen.get(policy);
  if (!judged) problemsSeen.set(policy, (judged = new Map()));
  // JSON escapes control characters: the subject part holds no raw \u0001.
  const key = `${kind}\u0001${JSON.stringify(options.subject ?? [])}\u0001${text}`;
  let found = judged.get(key);
  if (!found) {
    if (judged.size >= WORDS_SEEN_LIMIT) judged.clear();
    found = judgeText(text, kind, policy, options);
    judged.set(key, found);
  }
  return found.map((p) => (p.hidden ? { ...p, hidden: { ...p.hidden } } : { ...p }));
}

/** Per policy, what textProblems found in each text (by kind, subject and text). */
const problemsSeen = new WeakMap<Policy, Map<string, readonly TextProblem[]>>();

function judgeText(text: string, kind: TextKind, policy: Policy, options: TextOptions): TextProblem[] {
  const problems: TextProblem[] = [];
  const hidden = hiddenCharacters(text);
  const skeleton = lookAlikeSkeleton(text);
  if (skeleton === '') {
    problems.push(hidden.length > 0 ? hiddenProblem(hidden) : { kind: 'blank', detail: 'it is blank' });
    return problems;
  }
  if (hidden.length > 0) problems.push(hiddenProblem(hidden));

  const slot = templateSlot(skeleton);
  if (isPlaceholderText(skeleton) || slot !== undefined) {
    problems.push({ kind: 'placeholder', detail: slot !== undefined && !isPlaceholderText(skeleton) ? `it has a slot left to fill in (${slot})` : 'it is a placeholder' });
    return problems;
  }
  const words = wordsOf(text).words;
  const content = contentOf(text);
  const distinct = new Set(content.filter((w) => w.length >= 2));
  const lorem = new Set(words.filter((w) => LOREM.has(w)));
  if (lorem.size >= 2) {
    problems.push({ kind: 'filler', detail: `it is lorem ipsum filler (${[...lorem].slice(0, 3).join(', ')})` });
    return problems;
  }
  const mashed = words.filter(isKeyboardMash);
  if (mashed.length > 0) {
    problems.push({ kind: 'filler', detail: `"${mashed[0]}" is keyboard mashing, not a word` });
    return problems;
  }
  if (kind !== 'name' && kind !== 'reference' && (repeatsItself(words) || (content.length >= 6 && distinct.size / content.length < 0.5))) {
    problems.push({ kind: 'repetitive', detail: 'it repeats the same words to look longer' });
    return problems;
  }
  const key = stockKey(text);
  // A reference's number is what makes it specific ("DPIA-2026-031"), however generic its words.
  const numbered = kind === 'reference' && words.some((w) => /\d/.test(w));
  if (boilerplateKeys(policy).has(key) || (key !== '' && kind !== 'name' && !numbered && allGeneric(key, policy, options))) {
    problems.push({ kind: 'stock', detail: 'it is a stock phrase that says nothing specific' });
    return problems;
  }
  // Written to look like a text, but it is a placeholder: "N/A field kept ...", "to be confirmed", "Nobody yet", "Awaiting DPN 001".
  const deferred = deferral(skeleton, kind);
  if (deferred) {
    problems.push({ kind: 'placeholder', detail: `${deferred.why} ("${deferred.phrase}" at character ${deferred.index + 1})`, phrase: deferred.phrase });
    return problems;
  }
  if (kind === 'name') return problems;

  if (kind === 'reference') {
    // A reference is short by nature, but it must point somewhere: an identifier with a number,
    // or a name of a few words ("Health Service (Control of Patient Information) Regulations").
    if (!words.some((w) => /\d/.test(w)) && distinct.size < 3) problems.push({ kind: 'vague-reference', detail: 'it does not identify a document (give its reference number or full title)' });
    return problems;
  }
  const visibleLength = skeleton.length;
  const minLength = kind === 'statement' ? policy.thresholds.statementMinLength : policy.thresholds.justificationMinLength;
  const minWords = kind === 'statement' ? policy.thresholds.statementMinWords : policy.thresholds.justificationMinWords;
  if (visibleLength < minLength) {
    problems.push({ kind: 'short', detail: `it is too short to say why (${visibleLength} characters; at least ${minLength})` });
    return problems;
  }
  if (distinct.size < minWords) {
    problems.push({ kind: 'few-words', detail: `it has too few distinct words to say why (${distinct.size}; at least ${minWords})` });
  }
  return problems;
}

function hiddenProblem(hidden: HiddenCharacter[]): TextProblem {
  const first = hidden[0]!;
  const more = hidden.length > 1 ? ` and ${hidden.length - 1} more` : '';
  return { kind: 'hidden', detail: `it hides a ${first.name} at character ${first.index + 1}${more}`, hidden: first };
}

/** What the policy's word lists come to, worked out once per policy rather than at every text. */
const preparedLists = new WeakMap<Policy, { boilerplate: Set<string>; generic: Set<string> }>();

function prepared(policy: Policy): { boilerplate: Set<string>; generic: Set<string> } {
  let lists = preparedLists.get(policy);
  if (!lists) {
    lists = {
      boilerplate: new Set(policy.boilerplate.map(stockKey)),
      generic: new Set([...policy.genericWords.map((w) => stem(w.toLowerCase())), ...PADDING_WORDS]),
    };
    preparedLists.set(policy, lists);
  }
  return lists;
}

/** The stock keys of the policy's boilerplate phrases. */
function boilerplateKeys(policy: Policy): Set<string> {
  return prepared(policy).boilerplate;
}

/** Every content word is generic (need, analysis, report, ...) or names the subject itself. */
function allGeneric(key: string, policy: Policy, options: TextOptions): boolean {
  const generic = prepared(policy).generic;
  const subject = subjectWords(options.subject);
  return key.split(' ').every((w) => generic.has(w) || subject.has(w));
}

/** The stemmed words of a text's subject (a field's name): `date_of_birth` is date, of, birth. */
const subjectsSeen = new Map<string, ReadonlySet<string>>();
function subjectWords(subject: readonly string[] = []): ReadonlySet<string> {
  const key = subject.join('\0');
  let words = subjectsSeen.get(key);
  if (!words) {
    if (subjectsSeen.size >= WORDS_SEEN_LIMIT) subjectsSeen.clear();
    words = new Set(subject.flatMap((s) => s.toLowerCase().split(/[^\p{L}\p{N}]+/u)).map(stem));
    subjectsSeen.set(key, words);
  }
  return words;
}

/** The content words textSimilarity compares: the text's own, less its subject's. Each pair of a definition's texts meets them again. */
// By subject, then by the text itself (a text's hash is kept with the string: no key is built per lookup).
const comparedSeen = new Map<string, Map<string, ReadonlySet<string>>>();
let comparedCount = 0;
function comparedWords(text: string, subject: readonly string[] = []): ReadonlySet<string> {
  const subjectKey = subject.length === 0 ? '' : subject.length === 1 ? `\u0001${subject[0]}` : `\u0001${subject.join('\0')}`;
  let bySubject = comparedSeen.get(subjectKey);
  let words = bySubject?.get(text);
  if (!words) {
    if (comparedCount >= WORDS_SEEN_LIMIT) {
      comparedSeen.clear();
      comparedCount = 0;
      bySubject = undefined;
    }
    if (!bySubject) comparedSeen.set(subjectKey, (bySubject = new Map()));
    const own = subjectWords(subject);
    words = new Set(contentOf(text).filter((w) => !own.has(w)));
    bySubject.set(text, words);
    comparedCount++;
  }
  return words;
}

/** The words are one shorter run written two or more times ("age band risk age band risk"). */
function repeatsItself(words: readonly string[]): boolean {
  const n = words.length;
  if (n < 4) return false;
  for (let period = 1; period * 2 <= n; period++) {
    let repeats = true;
    for (let i = period; i < n && repeats; i++) if (words[i] !== words[i - period]) repeats = false;
    if (repeats) return true;
  }
  return false;
}

/**
 * How alike two texts are, 0 to 1: Jaccard similarity of their sets of content words (stemmed,
 * synonyms folded, the texts' own subject words left out), as a reader sees them. One word
 * changed in a sentence of six content words still scores 5/7.
 */
export function textSimilarity(a: string, b: string, subjects: { a?: readonly string[]; b?: readonly string[] } = {}): number {
  const x = comparedWords(a, subjects.a);
  const y = comparedWords(b, subjects.b);
  if (x.size === 0 && y.size === 0) return lookAlikeSkeleton(a).toLowerCase() === lookAlikeSkeleton(b).toLowerCase() ? 1 : 0;
  let shared = 0;
  for (const w of x) if (y.has(w)) shared++;
  return shared / (x.size + y.size - shared);
}

/** Text as shown in a message: hidden characters made visible, long texts cut. */
export function quoteText(text: string): string {
  const shown = showHidden(text.trim());
  return shown.length > 80 ? `${shown.slice(0, 77)}...` : shown;
}

/**
 * Where a problem of the text at `pointer` is shown: the hidden character itself when the source
 * says where it is written, otherwise the whole value.
 */
export function problemSpan(
  definition: { source: { characterSpans?: Record<string, Span> } },
  pointer: string,
  problem: TextProblem,
  spanAt: (pointer: string) => Span | undefined,
): Span | undefined {
  if (problem.hidden) {
    const at = definition.source.characterSpans?.[`${pointer}#${problem.hidden.index}`];
    if (at) return at;
  }
  return spanAt(pointer);
}
