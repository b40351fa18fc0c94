import { countBySeverity, sortDiagnostics, type Diagnostic } from '../diagnostic.js';
import { repoPath, type FormatContext } from './format-options.js';
import type { LintFileResult } from './lint-result.js';

/**
 * JUnit XML for CI test reports (GitLab `artifacts:reports:junit`, Jenkins `junit`).
 *
 * One <testsuite> per definition file; in it one <testcase> per rule or code that found
 * something in that file (name = the rule id, classname = the file), so a test keeps its name
 * from one commit to the next and CI can tell a new failure from a fixed one. All the findings
 * of that rule in that file go into its text, each at line:col with its hints. A file with no
 * findings has one passing testcase, `exdef lint`.
 *
 * A testcase fails when it has an error; warnings fail it only when `--max-warnings` is exceeded,
 * so the report fails exactly when `exdef lint` exits 1. Otherwise warnings and information are
 * passing testcases whose findings are in <system-out>.
 */
export function formatJunit(results: readonly LintFileResult[], context: Pick<FormatContext, 'cwd' | 'rules' | 'maxWarnings'>): string {
  const all = results.flatMap((r) => r.diagnostics);
  const warningsFail = context.maxWarnings !== undefined && countBySeverity(all).warning > context.maxWarnings;
  const descriptions = new Map(context.rules.map((rule) => [rule.id, rule.description]));

  let totalTests = 0;
  let totalFailures = 0;
  const suites: string[] = [];
  for (const result of results) {
    const file = repoPath(result.file, context.cwd).path;
    const byCode = new Map<string, Diagnostic[]>();
    for (const d of sortDiagnostics(result.diagnostics)) {
      const group = byCode.get(d.code) ?? [];
      group.push(d);
      byCode.set(d.code, group);
    }
    const cases: string[] = [];
    let failures = 0;
    if (byCode.size === 0) {
      cases.push(`    <testcase name="exdef lint" classname=${attr(file)} file=${attr(file)} time="0"/>`);
    }
    for (const code of [...byCode.keys()].sort()) {
      const found = byCode.get(code) as Diagnostic[];
      const failing = found.filter((d) => d.severity === 'error' || (warningsFail && d.severity === 'warning'));
      const details = found.map((d) => describe(d, file)).join('\n');
      const about = descriptions.get(code);
      const body = about ? `${details}\n\n${code}: ${about}\nexdef explain ${code} explains the rule.` : details;
      const open = `    <testcase name=${attr(code)} classname=${attr(file)} file=${attr(file)} time="0">`;
      if (failing.length > 0) {
        failures++;
        const first = failing[0] as Diagnostic;
        const summary = failing.length === 1 ? `${where(first)}: ${first.message}` : `${failing.length} findings; first at ${where(first)}: ${first.message}`;
        cases.push(`${open}\n      <failure message=${attr(summary)} type=${attr(failing.some((d) => d.severity === 'error') ? 'error' : 'warning')}>${text(body)}</failure>\n    </testcase>`);
      } else {
        cases.push(`${open}\n      <system-out>${text(body)}</system-out>\n    </testcase>`);
      }
    }
    totalTests += cases.length;
    totalFailures += failures;
    suites.push(
      `  <testsuite name=${attr(file)} tests="${cases.length}" failures="${failures}" errors="0" skipped="0" time="0">\n${cases.join('\n')}\n  </testsuite>`,
    );
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="exdef lint" tests="${totalTests}" failures="${totalFailures}" errors="0" skipped="0" time="0">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}

function where(d: Diagnostic): string {
  return d.span ? `${d.span.start.line}:${d.span.start.column}` : 'file';
}

function describe(d: Diagnostic, file: string): string {
  const location = d.span ? `${d.span.file === file ? file : d.span.file}:${d.span.start.line}:${d.span.start.column}` : file;
  return [`${location} ${d.severity} ${d.message} [${d.code}]`, ...(d.hints ?? []).map((h) => `  hint: ${h}`)].join('\n');
}

/**
 * Characters XML 1.0 does not allow at all (most C0 controls, U+FFFE, U+FFFF, unpaired
 * surrogates): replaced by U+FFFD, as no escape can carry them.
 */
const ILLEGAL_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Element text (a carriage return is kept as a character reference: parsers would turn it into a line feed). */
export function xmlText(value: string): string {
  return value.replace(ILLEGAL_XML, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
}

/** A quoted attribute value; tabs and line breaks are kept as character references. */
export function xmlAttribute(value: string): string {
  const escaped = xmlText(value)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;');
  return `"${escaped}"`;
}

const attr = xmlAttribute;
const text = xmlText;
