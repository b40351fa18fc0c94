import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { xmlAttribute as attr, xmlText as text } from '../diagnostics/formats/junit.js';
import { plain, renderDiagnostics, type Palette } from '../diagnostics/render-terminal.js';
import { formatPosition } from '../source/source-file.js';
import type { DefinitionTestResult } from './run-definition-test.js';

/** A test file that could not be run at all (unreadable, invalid, or without a definition). */
export interface UnusableTestFile {
  testFile: string;
  diagnostics: Diagnostic[];
}

export interface TestReport {
  results: DefinitionTestResult[];
  unusable: UnusableTestFile[];
}

export type TestReportFormat = 'stylish' | 'junit' | 'json';

export function formatTestReport(report: TestReport, format: TestReportFormat, palette: Palette = plain, options: { verbose?: boolean } = {}): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify({ summary: summary(report), results: report.results, unusable: report.unusable }, null, 2)}\n`;
    case 'junit':
      return formatTestJunit(report);
    default:
      return formatTestStylish(report, palette, options);
  }
}

export function summary(report: TestReport): { tests: number; passed: number; failed: number; unusable: number; notApprovable: number; checks: number; failedChecks: number } {
  const checks = report.results.flatMap((r) => r.checks);
  return {
    tests: report.results.length,
    passed: report.results.filter((r) => r.status === 'passed').length,
    failed: report.results.filter((r) => r.status === 'failed').length,
    unusable: report.unusable.length,
    notApprovable: report.results.filter((r) => r.notApprovable.length > 0).length,
    checks: checks.length,
    failedChecks: checks.filter((c) => !c.passed).length,
  };
}

/** For people: one line per test that passed (each check with --verbose); each failure with its place and its diff. */
export function formatTestStylish(report: TestReport, p: Palette = plain, options: { verbose?: boolean } = {}): string {
  const lines: string[] = [];
  for (const u of report.unusable) {
    lines.push(`${p.red('ERROR')} ${u.testFile}`);
    lines.push(indent(renderDiagnostics(u.diagnostics, undefined, p).trimEnd(), '  '));
  }
  for (const r of report.results) {
    const head = `${r.testFile} → ${r.definitionFile}`;
    const passed = r.checks.filter((c) => c.passed).length;
    if (r.status === 'passed') {
      lines.push(`${p.bold('PASS')} ${head} ${p.dim(`(${plural(passed, 'check')}, ${r.seconds.toFixed(2)} s)`)}`);
      lines.push(...notApprovable(r, p));
      if (options.verbose) for (const c of r.checks) lines.push(`  ${p.dim('✓')} ${c.name}  ${p.dim(formatPosition(c.span))}`);
      continue;
    }
    lines.push(`${p.red('FAIL')} ${head}`);
    lines.push(...notApprovable(r, p));
    if (r.diagnostics.length > 0) {
      lines.push(`  the definition cannot be tested:`);
      lines.push(indent(renderDiagnostics(r.diagnostics, undefined, p).trimEnd(), '  '));
    }
    for (const c of r.checks.filter((x) => options.verbose || !x.passed)) {
      if (c.passed) {
        lines.push(`  ${p.dim('✓')} ${c.name}  ${p.dim(formatPosition(c.span))}`);
        continue;
      }
      lines.push(`  ${p.red('✗')} ${c.name}  ${p.dim(formatPosition(c.span))}`);
      if (c.message) lines.push(`      ${c.message}`);
      for (const d of c.detail ?? []) lines.push(`        ${d}`);
    }
    if (r.checks.length > 0) lines.push(p.dim(`  ${passed} of ${plural(r.checks.length, 'check')} passed`));
  }
  const s = summary(report);
  lines.push('');
  const parts = [
    `${s.passed} passed`,
    ...(s.failed > 0 ? [p.red(`${s.failed} failed`)] : []),
    ...(s.unusable > 0 ? [p.red(`${plural(s.unusable, 'test file')} unusable`)] : []),
    ...(s.notApprovable > 0 ? [`${s.notApprovable} not yet approvable`] : []),
  ];
  lines.push(`${plural(s.tests, 'definition test')}: ${parts.join(', ')} (${plural(s.checks, 'check')}, ${s.failedChecks} failed)`);
  return `${lines.join('\n')}\n`;
}

/**
 * The paperwork a definition still lacks (errors of the governance rules): a note, listed once
 * per definition tested, that does not fail the test but that lint, compile and run refuse.
 */
function notApprovable(r: DefinitionTestResult, p: Palette): string[] {
  if (r.notApprovable.length === 0) return [];
  return [
    `  ${p.yellow('note:')} not yet approvable — ${plural(r.notApprovable.length, 'governance finding')}, which \`exdef compile\` and \`exdef run\` refuse; the test ran regardless:`,
    ...r.notApprovable.map((d) => `    ${p.dim(d.span ? formatPosition(d.span) : r.definitionFile)} ${d.message} ${p.dim(`[${d.code}]`)}`),
  ];
}

/** `1 check`, `2 checks`. */
function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/**
 * JUnit XML for CI: one <testsuite> per test file and definition file, one <testcase> per
 * expectation (its name stays the same from run to run, so CI tells a new failure from a fixed
 * one); lint errors of the definition are one failing testcase, `lint`; an unusable test file is
 * a suite with one <error>.
 */
export function formatTestJunit(report: TestReport): string {
  const suites: string[] = [];
  let tests = 0;
  let failures = 0;
  let errors = 0;
  for (const u of report.unusable) {
    const body = u.diagnostics.map(describeDiagnostic).join('\n');
    const first = u.diagnostics[0];
    suites.push(
      `  <testsuite name=${attr(u.testFile)} tests="1" failures="0" errors="1" skipped="0" time="0">\n` +
        `    <testcase name="read test file" classname=${attr(u.testFile)} file=${attr(u.testFile)} time="0">\n` +
        `      <error message=${attr(first ? describeDiagnostic(first) : 'unusable')} type="error">${text(body)}</error>\n    </testcase>\n  </testsuite>`,
    );
    tests++;
    errors++;
  }
  for (const r of report.results) {
    const classname = `${r.testFile} (${r.definitionFile})`;
    const cases: string[] = [];
    let suiteFailures = 0;
    if (r.diagnostics.length > 0) {
      suiteFailures++;
      const body = r.diagnostics.map(describeDiagnostic).join('\n');
      cases.push(
        `    <testcase name="lint" classname=${attr(classname)} file=${attr(r.definitionFile)} time="0">\n      <failure message=${attr(`${r.definitionFile} cannot be tested: ${r.diagnostics.length} error${r.diagnostics.length === 1 ? '' : 's'}`)} type="error">${text(body)}</failure>\n    </testcase>`,
      );
    }
    for (const c of r.checks) {
      const open = `    <testcase name=${attr(c.name)} classname=${attr(classname)} file=${attr(r.testFile)} line="${c.span.start.line}" time="0"`;
      if (c.passed) {
        cases.push(`${open}/>`);
        continue;
      }
      suiteFailures++;
      const body = [`${formatPosition(c.span)}: ${c.message ?? 'failed'}`, ...(c.detail ?? []).map((d) => `  ${d}`)].join('\n');
      cases.push(`${open}>\n      <failure message=${attr(c.message ?? 'failed')} type="expectation">${text(body)}</failure>\n    </testcase>`);
    }
    tests += cases.length;
    failures += suiteFailures;
    // The paperwork still missing fails nothing; CI shows it with the suite.
    const note =
      r.notApprovable.length > 0
        ? `\n    <system-out>${text(['not yet approvable (exdef compile and exdef run refuse it until these are resolved):', ...r.notApprovable.map(describeDiagnostic)].join('\n'))}</system-out>`
        : '';
    suites.push(
      `  <testsuite name=${attr(classname)} tests="${cases.length}" failures="${suiteFailures}" errors="0" skipped="0" time="${r.seconds.toFixed(3)}">\n${cases.join('\n')}${note}\n  </testsuite>`,
    );
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="exdef test" tests="${tests}" failures="${failures}" errors="${errors}" skipped="0" time="0">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}

function describeDiagnostic(d: Diagnostic): string {
  return [`${d.span ? `${formatPosition(d.span)} ` : ''}${d.severity} ${d.message} [${d.code}]`, ...(d.hints ?? []).map((h) => `  hint: ${h}`)].join('\n');
}

function indent(block: string, prefix: string): string {
  return block
    .split('\n')
    .map((l) => (l === '' ? l : `${prefix}${l}`))
    .join('\n');
}
