import { countBySeverity, sortDiagnostics, type Diagnostic, type Severity } from '../diagnostic.js';
import { repoPath, ruleHelpUri, type FormatContext } from './format-options.js';
import type { LintFileResult } from './lint-result.js';

/** Rows shown at most; GitHub caps a step summary at 1 MiB. */
export const MARKDOWN_MAX_ROWS = 200;
const MAX_CELL = 1000;

const label: Record<Severity, string> = { error: '❌ error', warning: '⚠️ warning', info: 'ℹ️ info' };
const rank: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/**
 * A summary for a person reading CI results, e.g. `>> $GITHUB_STEP_SUMMARY`: a heading, the
 * counts, and a table of findings, errors first.
 */
export function formatMarkdown(
  results: readonly LintFileResult[],
  context: Pick<FormatContext, 'cwd' | 'tool' | 'rules'>,
  maxRows: number = MARKDOWN_MAX_ROWS,
): string {
  const rows: { file: string; d: Diagnostic }[] = [];
  for (const result of results) {
    for (const d of sortDiagnostics(result.diagnostics)) rows.push({ file: result.file, d });
  }
  // Stable: within a severity the order stays by file and position.
  rows.sort((a, b) => rank[a.d.severity] - rank[b.d.severity]);
  const c = countBySeverity(rows.map((r) => r.d));
  const files = `${results.length} definition file${results.length === 1 ? '' : 's'}`;
  const out = ['## exdef lint', ''];
  if (rows.length === 0) {
    out.push(`✅ No problems found in ${files}.`);
    return `${out.join('\n')}\n`;
  }
  const counts = [`${c.error} error${c.error === 1 ? '' : 's'}`, `${c.warning} warning${c.warning === 1 ? '' : 's'}`, `${c.info} info`];
  out.push(`${c.error > 0 ? '❌' : c.warning > 0 ? '⚠️' : '✅'} ${files} checked: **${counts.join(', ')}**`, '');
  out.push('| location | severity | rule | message |', '|---|---|---|---|');
  const policyRules = new Set(context.rules.map((r) => r.id));
  for (const { file, d } of rows.slice(0, maxRows)) {
    const path = repoPath(d.span?.file ?? file, context.cwd).path;
    const location = d.span ? `${path}:${d.span.start.line}:${d.span.start.column}` : path;
    const helpUri = policyRules.has(d.code) ? ruleHelpUri(context.tool, d.code) : undefined;
    const rule = helpUri ? `[${cell(d.code)}](${helpUri})` : cell(d.code);
    const message = [d.message, ...(d.hints ?? []).map((h) => `hint: ${h}`)].join('\n');
    out.push(`| ${cell(location)} | ${label[d.severity]} | ${rule} | ${cell(message)} |`);
  }
  if (rows.length > maxRows) {
    out.push('', `… and ${rows.length - maxRows} more finding${rows.length - maxRows === 1 ? '' : 's'} not shown: run \`exdef lint\` for all of them.`);
  }
  return `${out.join('\n')}\n`;
}

/**
 * Text in a table cell: backslashes and `|` are escaped (GitHub splits cells on any `|` that is not
 * escaped, even inside code), `<`, `>` and `&` are written as entities so that no text becomes
 * HTML, and line breaks become `<br>`.
 */
export function markdownCell(value: string): string {
  const clipped = value.length > MAX_CELL ? `${value.slice(0, MAX_CELL - 1)}…` : value;
  return clipped
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\r\n|\r|\n|\u2028|\u2029/g, '<br>');
}

const cell = markdownCell;
