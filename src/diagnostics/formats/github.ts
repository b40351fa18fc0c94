import { countBySeverity, sortDiagnostics, type Severity } from '../diagnostic.js';
import { messageWithHints, repoPath, type FormatContext } from './format-options.js';
import type { LintFileResult } from './lint-result.js';

/**
 * GitHub Actions workflow commands: one `::error`, `::warning` or `::notice` line per finding,
 * which GitHub shows as an annotation on the file and line (in a pull request's diff too), then a
 * plain summary line for the log. A finding without a span has no file property; its message
 * starts with the definition file it was found in.
 */
export function formatGithub(results: readonly LintFileResult[], context: Pick<FormatContext, 'cwd'>): string {
  const lines: string[] = [];
  for (const result of results) {
    for (const d of sortDiagnostics(result.diagnostics)) {
      const properties: [string, string | number][] = [];
      let message = messageWithHints(d.message, d.hints);
      if (d.span) {
        const { start, end } = d.span;
        properties.push(['file', repoPath(d.span.file, context.cwd).path], ['line', start.line]);
        // GitHub takes columns only for a one-line range.
        if (end.line > start.line) properties.push(['endLine', end.line]);
        else properties.push(['col', start.column], ['endLine', start.line], ['endColumn', Math.max(end.column, start.column)]);
      } else {
        message = `${repoPath(result.file, context.cwd).path}: ${message}`;
      }
      properties.push(['title', `exdef ${d.code}`]);
      const props = properties.map(([key, value]) => `${key}=${escapeProperty(String(value))}`).join(',');
      lines.push(`::${command(d.severity)} ${props}::${escapeData(message)}`);
    }
  }
  const all = results.flatMap((r) => r.diagnostics);
  const c = countBySeverity(all);
  const files = `${results.length} file${results.length === 1 ? '' : 's'}`;
  lines.push(
    all.length === 0
      ? `exdef: ${files} checked: no problems`
      : `exdef: ${files} checked: ${c.error} error${c.error === 1 ? '' : 's'}, ${c.warning} warning${c.warning === 1 ? '' : 's'}, ${c.info} info`,
  );
  return `${lines.join('\n')}\n`;
}

function command(severity: Severity): string {
  return severity === 'error' ? 'error' : severity === 'warning' ? 'warning' : 'notice';
}

/** The data of a workflow command (after `::`): %, CR and LF are encoded, as @actions/core does. */
export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A property value of a workflow command: as data, and also `:` and `,`. */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}
