import { countBySeverity, sortDiagnostics } from '../diagnostic.js';
import type { LintFileResult } from './lint-result.js';

/** Machine-readable results: every diagnostic with its code, severity, span and hints. */
export function formatJson(results: readonly LintFileResult[]): string {
  const all = results.flatMap((r) => r.diagnostics);
  return `${JSON.stringify(
    {
      version: 1,
      summary: { files: results.length, ...countBySeverity(all) },
      results: results.map((r) => ({ file: r.file, syntax: r.syntax, diagnostics: sortDiagnostics(r.diagnostics) })),
    },
    null,
    2,
  )}\n`;
}
