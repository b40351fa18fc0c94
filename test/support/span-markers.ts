/**
 * Inline span markers for tests: write `⟦` where a diagnostic must start (and optionally `⟧`
 * where it ends) in the source text. `marked()` removes the markers and returns the positions.
 */
export interface MarkedSource {
  text: string;
  /** 1-based line:column of each ⟦, in order. */
  starts: string[];
  /** line:column of each ⟧ (exclusive end), in order. */
  ends: string[];
}

export function marked(source: string): MarkedSource {
  let text = '';
  const starts: string[] = [];
  const ends: string[] = [];
  let line = 1;
  let column = 1;
  for (const ch of source) {
    if (ch === '⟦') {
      starts.push(`${line}:${column}`);
      continue;
    }
    if (ch === '⟧') {
      ends.push(`${line}:${column}`);
      continue;
    }
    text += ch;
    if (ch === '\n') {
      line++;
      column = 1;
    } else {
      column += ch.length;
    }
  }
  return { text, starts, ends };
}

/** `line:column` of a diagnostic's start. */
export function at(d: { span?: { start: { line: number; column: number } } }): string {
  return d.span ? `${d.span.start.line}:${d.span.start.column}` : 'no span';
}

export function endOf(d: { span?: { end: { line: number; column: number } } }): string {
  return d.span ? `${d.span.end.line}:${d.span.end.column}` : 'no span';
}
