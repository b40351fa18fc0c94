import { isScalar, type Node } from 'yaml';

/**
 * For a YAML scalar, the file offset of each character of its value (and one past the end), so
 * that a problem found in an expression string is shown where it is written. Quoting, escapes,
 * block headers and line folding are stepped over by aligning the value with the source text.
 */
export function scalarOffsets(text: string, node: Node, value: string): number[] {
  const cached = cache.get(node);
  if (cached && cached.text === text && cached.value === value) return cached.offsets;
  const offsets = computeOffsets(text, node, value);
  cache.set(node, { text, value, offsets });
  return offsets;
}

/** Offsets by node: a file's problems ask for many characters of the same scalar. */
const cache = new WeakMap<Node, { text: string; value: string; offsets: number[] }>();

/**
 * How far ahead of the last matched character the source may be for the next: the longest escape
 * (`\U0010FFFF`) and a folded line's indentation fit with room to spare. A character the source
 * writes in a form not found within it (an escape of a lone surrogate, say) keeps the last
 * position, so the work stays linear in the scalar's length whatever it holds.
 */
const LOOKAHEAD = 256;

function computeOffsets(text: string, node: Node, value: string): number[] {
  const range = node.range;
  if (!range || !isScalar(node)) return Array.from({ length: value.length + 1 }, () => 0);
  const [start, valueEnd] = range;
  let j = start;
  const type = node.type;
  if (type === 'BLOCK_FOLDED' || type === 'BLOCK_LITERAL') {
    const newline = text.indexOf('\n', j);
    j = newline === -1 ? valueEnd : newline + 1;
  } else if (type === 'QUOTE_DOUBLE' || type === 'QUOTE_SINGLE') {
    j++;
  }
  const offsets: number[] = new Array(value.length + 1);
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    // Step over what the source has and the value does not: indentation, escapes, doubled quotes.
    let k = j;
    const limit = Math.min(valueEnd, j + LOOKAHEAD);
    while (k < limit && text[k] !== ch && !(ch === ' ' && (text[k] === '\n' || text[k] === '\r'))) k++;
    if (k >= limit) {
      offsets[i] = Math.min(j, valueEnd);
      continue;
    }
    offsets[i] = k;
    j = k + 1;
    // A folded line break: the value's space stands for the newline and the next line's indentation.
    if (ch === ' ' && (text[k] === '\n' || text[k] === '\r')) {
      while (j < valueEnd && /\s/.test(text[j]!)) j++;
    }
  }
  offsets[value.length] = Math.min(j, valueEnd);
  return offsets;
}
