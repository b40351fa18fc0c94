/**
 * A source text and the means to turn offsets into line:column positions. Every diagnostic with a
 * location is anchored in one of these.
 */
export interface SourceFile {
  /** The path as the user gave it (relative paths stay relative, for messages and SARIF URIs). */
  readonly path: string;
  readonly text: string;
  /** Offset of the first character of each line. */
  readonly lineStarts: readonly number[];
}

/** A position in a source file: 0-based offset, 1-based line and column (in UTF-16 units). */
export interface Position {
  offset: number;
  line: number;
  column: number;
}

/** A half-open range [start, end) in one file. Plain data, so it serialises into JSON and SARIF. */
export interface Span {
  file: string;
  start: Position;
  end: Position;
}

export function sourceFile(path: string, text: string): SourceFile {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 10) lineStarts.push(i + 1);
    else if (ch === 13 && text.charCodeAt(i + 1) !== 10) lineStarts.push(i + 1);
  }
  return { path, text, lineStarts };
}

export function positionAt(file: SourceFile, offset: number): Position {
  const clamped = Math.max(0, Math.min(offset, file.text.length));
  let lo = 0;
  let hi = file.lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((file.lineStarts[mid] ?? 0) <= clamped) lo = mid;
    else hi = mid - 1;
  }
  return { offset: clamped, line: lo + 1, column: clamped - (file.lineStarts[lo] ?? 0) + 1 };
}

export function spanOf(file: SourceFile, start: number, end: number): Span {
  const from = positionAt(file, start);
  return { file: file.path, start: from, end: positionAt(file, Math.max(end, from.offset)) };
}

/** The text of one line (1-based), without its line ending. */
export function lineText(file: SourceFile, line: number): string {
  const start = file.lineStarts[line - 1];
  if (start === undefined) return '';
  const next = file.lineStarts[line];
  const raw = file.text.slice(start, next ?? file.text.length);
  return raw.replace(/\r?\n$|\r$/, '');
}

export function formatPosition(span: Span): string {
  return `${span.file}:${span.start.line}:${span.start.column}`;
}
