import { countBySeverity } from '../diagnostic.js';
import { paletteFor, renderDiagnostics, summaryLine, type Palette } from '../render-terminal.js';
import type { LintFileResult } from './lint-result.js';

/** The terminal format: each finding with a code frame and a caret, then one summary line. */
export function formatStylish(results: readonly LintFileResult[], palette: Palette = paletteFor(process.stdout)): string {
  const all = results.flatMap((r) => r.diagnostics);
  const body = results.map((r) => renderDiagnostics(r.diagnostics, undefined, palette)).join('');
  const counts = countBySeverity(all);
  const files = `${results.length} file${results.length === 1 ? '' : 's'}`;
  const clean = counts.error === 0 && counts.warning === 0;
  const summary = all.length === 0 ? `${files} checked: no problems` : clean ? `${files} checked: no errors or warnings, ${counts.info} info` : `${files} checked: ${summaryLine(all, palette)}`;
  return `${body}${body ? '\n' : ''}${counts.error > 0 ? palette.red('✖') : '✔'} ${summary}\n`;
}
