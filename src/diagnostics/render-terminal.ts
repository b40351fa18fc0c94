import { readFileSync } from 'node:fs';
import { lineText, sourceFile, type SourceFile } from '../source/source-file.js';
import { countBySeverity, sortDiagnostics, type Diagnostic, type Severity } from './diagnostic.js';

export interface Palette {
  red(text: string): string;
  yellow(text: string): string;
  blue(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

const ansi = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;
export const colours: Palette = { red: ansi(31, 39), yellow: ansi(33, 39), blue: ansi(34, 39), dim: ansi(2, 22), bold: ansi(1, 22) };
export const plain: Palette = { red: (t) => t, yellow: (t) => t, blue: (t) => t, dim: (t) => t, bold: (t) => t };

/** Colours when writing to a terminal, unless NO_COLOR is set (https://no-color.org). */
export function paletteFor(stream: NodeJS.WriteStream): Palette {
  return stream.isTTY && !process.env['NO_COLOR'] ? colours : plain;
}

/** Finds the text of a file named in a span (for the code frame). */
export type SourceLookup = (path: string) => SourceFile | undefined;

const cache = new Map<string, SourceFile | undefined>();
/** Reads the file from disk (once); RF2 files and other large inputs are not framed. */
export function readSource(path: string): SourceFile | undefined {
  if (!cache.has(path)) {
    try {
      const text = readFileSync(path, 'utf8');
      cache.set(path, text.length > 5_000_000 ? undefined : sourceFile(path, text));
    } catch {
      cache.set(path, undefined);
    }
  }
  return cache.get(path);
}

const severityLabel = (severity: Severity, p: Palette): string =>
  severity === 'error' ? p.red('error') : severity === 'warning' ? p.yellow('warning') : p.blue('info');

/**
 * Diagnostics for a person at a terminal: `file:line:col severity message [code]`, the source
 * line with a caret under the span, then the hints.
 */
export function renderDiagnostics(diagnostics: readonly Diagnostic[], sources: SourceLookup = readSource, p: Palette = plain): string {
  const out: string[] = [];
  for (const d of sortDiagnostics(diagnostics)) {
    const where = d.span ? `${d.span.file}:${d.span.start.line}:${d.span.start.column}` : d.stage;
    out.push(`${p.bold(where)} ${severityLabel(d.severity, p)} ${d.message} ${p.dim(`[${d.code}]`)}`);
    // Information is one line; errors and warnings show where, with a code frame.
    const source = d.span && d.severity !== 'info' ? sources(d.span.file) : undefined;
    if (d.span && source) out.push(...codeFrame(source, d.span.start.line, d.span.start.column, d.span.end.line === d.span.start.line ? d.span.end.column : undefined, p));
    for (const hint of d.hints ?? []) out.push(`  ${p.blue('hint:')} ${hint}`);
  }
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}

function codeFrame(source: SourceFile, line: number, column: number, endColumn: number | undefined, p: Palette): string[] {
  const text = lineText(source, line);
  if (text === '' && line > source.lineStarts.length) return [];
  const gutter = String(line).length;
  const width = Math.max(1, (endColumn ?? column + 1) - column);
  const shown = text.length > 160 ? `${text.slice(0, 157)}...` : text;
  const pad = shown.slice(0, column - 1).replace(/[^\t]/g, ' ');
  return [
    `  ${p.dim(`${String(line).padStart(gutter)} |`)} ${shown}`,
    `  ${p.dim(`${' '.repeat(gutter)} |`)} ${pad}${p.red('^'.repeat(Math.min(width, Math.max(1, shown.length - column + 1))))}`,
  ];
}

export function summaryLine(diagnostics: readonly Diagnostic[], p: Palette = plain): string {
  const c = countBySeverity(diagnostics);
  const parts = [
    `${c.error} error${c.error === 1 ? '' : 's'}`,
    `${c.warning} warning${c.warning === 1 ? '' : 's'}`,
  ];
  if (c.info > 0) parts.push(`${c.info} info`);
  const text = parts.join(', ');
  return c.error > 0 ? p.red(text) : c.warning > 0 ? p.yellow(text) : text;
}
