import { hiddenCharacters } from '../source/hidden-characters.js';
import { textProblems } from './meaningful-text.js';
import type { Policy } from './policy.js';

/**
 * Whether an exemption's texts say something: the reference of its notice or approval, and its
 * justification. Both go through the one meaningful-text check (meaningful-text.ts) that every
 * text a reviewer relies on goes through; a reference must also name a document (it has a number).
 */

/**
 * True when a text holds a character a reviewer would not see or would misread (a zero-width
 * space, a control, a Cyrillic letter inside a Latin word): the one list of hidden-characters.ts.
 */
export function hasInvisibleCharacters(text: string): boolean {
  return hiddenCharacters(text).length > 0;
}

/** Words that stand in for a reference or a reason without being one. */
const PLACEHOLDER_WORDS = new Set([
  'n', 'a', 'na', 'none', 'nil', 'null', 'nothing', 'tbc', 'tbd', 'tba', 'todo', 'fixme', 'pending', 'unknown', 'awaiting', 'to', 'follow',
  'follows', 'later', 'see', 'above', 'below', 'dpia', 'not', 'applicable', 'required', 'needed', 'ref', 'reference', 'no', 'number',
  'xxx', 'xx', 'x', 'test', 'dummy', 'example', 'placeholder', 'same', 'as', 'various', 'approved', 'approval', 'yes', 'ok', 'notice',
  'statutory', 'legal', 'basis', 'exemption', 'exempt', 'the', 'per', 'agreed', 'applied', 'for', 'in', 'progress', 'lorem', 'ipsum',
]);

/** The words of a text (letters only, lower case); single letters are not words here. */
function words(text: string): string[] {
  return (text.toLowerCase().match(/\p{L}+/gu) ?? []).filter((w) => w.length > 1);
}

/**
 * Why a reference (of a notice, an s251 approval, ...) is not one, or undefined when it may be:
 * a reference identifies a document, so it has a number and a word that is not a placeholder
 * (`CAG 21/CAG/0123`, `DPN 2024-017`); `n/a`, `TBC`, `-`, `s251`, `see DPIA` and `ref 000` are not.
 */
export function referenceProblem(text: string, policy: Policy): 'invisible' | 'placeholder' | undefined {
  if (hasInvisibleCharacters(text)) return 'invisible';
  const general = textProblems(text, 'reference', policy)[0];
  if (general) return general.kind === 'hidden' ? 'invisible' : 'placeholder';
  const visible = text.replace(/\s+/g, '');
  if (visible.length < 6) return 'placeholder';
  const digits = visible.replace(/\D/g, '');
  if (digits.length === 0 || /^(\d)\1*$/.test(digits)) return 'placeholder';
  if (words(text).every((w) => PLACEHOLDER_WORDS.has(w))) return 'placeholder';
  return undefined;
}

/**
 * Why a justification is not one, or undefined: shorter than the policy's minimum once spaces and
 * punctuation are set aside, or made only of placeholder words, or holding invisible characters.
 */
export function justificationProblem(text: string, policy: Policy): 'invisible' | 'placeholder' | undefined {
  if (hasInvisibleCharacters(text)) return 'invisible';
  const general = textProblems(text, 'justification', policy)[0];
  if (general) return general.kind === 'hidden' ? 'invisible' : 'placeholder';
  const minLength = policy.thresholds.justificationMinLength;
  const letters = text.replace(/[^\p{L}\p{N}]/gu, '');
  if (letters.length < minLength) return 'placeholder';
  if (words(text).every((w) => PLACEHOLDER_WORDS.has(w))) return 'placeholder';
  return undefined;
}
