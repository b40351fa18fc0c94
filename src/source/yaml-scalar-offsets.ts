import { isScalar, type Node } from 'yaml';

/**
 * For a YAML scalar, the file offset of each character of its value (and one past the end), so
 * that a problem found in an expression string is shown where it is written. Quoting, escapes,
 * block headers and line folding are stepped over by aligning the value with the source text.
 */
export function scalarOffsets(text: string, node: Node, value: string): number[] {
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
    while (k < valueEnd && text[k] !== ch && !(ch === ' ' && (text[k] === '\n' || text[k] === '\r'))) k++;
    if (k >= valueEnd) {
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
