import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Diagnostic } from '../../../src/diagnostics/diagnostic.js';
import type { FormatContext } from '../../../src/diagnostics/formats/format-options.js';
import type { LintFileResult } from '../../../src/diagnostics/formats/lint-result.js';
import { RULES } from '../../../src/policy/rules/index.js';
import { packageRoot } from '../../../src/resources.js';
import type { Span } from '../../../src/source/source-file.js';

/** Synthetic lint results for the format tests: every severity, spans and none, hostile text. */
export const CWD = '/repo';

export function span(file: string, line: number, column: number, endLine = line, endColumn = column + 5): Span {
  return { file, start: { offset: line * 100 + column, line, column }, end: { offset: endLine * 100 + endColumn, line: endLine, column: endColumn } };
}

export const HOSTILE = 'line one\nline two\r\n100% sure: a,b | c::d %0A <tag attr="v"> & \'q\' — ünïcödé 🚑 \u0000nul \u001bescape';

const A = 'definitions/a.exdef.yaml';
export const sensitive: Diagnostic = {
  code: 'sensitive-codes',
  severity: 'error',
  stage: 'policy',
  message: 'this code set asks for HIV/STI codes (sensitive set `hiv`), which are never extracted without an exemption',
  span: span(A, 12, 14, 12, 40),
  hints: ['remove the code set from the filter', 'or add an exemption naming the set and its legal basis'],
};
export const review: Diagnostic = {
  code: 'review-current',
  severity: 'warning',
  stage: 'policy',
  message: 'the last review was on 2025-01-15, more than 3 months before 2026-11-21',
  span: span(A, 28, 18, 30, 3),
};
export const risk: Diagnostic = { code: 'disclosure-risk', severity: 'info', stage: 'policy', message: 'dataset `people`: 7.6 bits (low risk)', span: span(A, 52, 11) };
export const spanless: Diagnostic = { code: 'governance-complete', severity: 'error', stage: 'policy', message: 'the definition states no DPIA reference' };
export const hostile: Diagnostic = { code: 'justification-meaningful', severity: 'error', stage: 'policy', message: HOSTILE, span: span(A, 60, 7), hints: [HOSTILE] };
export const syntaxError: Diagnostic = {
  code: 'syntax-error',
  severity: 'error',
  stage: 'parse',
  message: "expected FROM after the fields, found 'FORM'",
  span: span('definitions/b.exdef', 3, 1, 3, 5),
  hints: ['write FROM'],
};

export const RESULTS: LintFileResult[] = [
  { file: A, syntax: 'yaml', diagnostics: [risk, review, hostile, sensitive, spanless] },
  { file: 'definitions/b.exdef', syntax: 'exdef', diagnostics: [syntaxError] },
  { file: 'definitions/clean.exdef.yaml', syntax: 'yaml', diagnostics: [] },
];

export function context(overrides: Partial<FormatContext> = {}): FormatContext {
  return {
    rules: RULES.map((r) => r.meta),
    tool: { name: 'exdef', version: '0.1.0' },
    cwd: CWD,
    codes: new Map([['syntax-error', { severity: 'error', stage: 'parse' }]]),
    ...overrides,
  };
}

let validator: ((data: unknown) => boolean) & { errors?: unknown } | undefined;

/** The official SARIF 2.1.0 schema (vendored in test/fixtures), with formats checked. */
export function validateSarif(log: unknown): { valid: boolean; errors: unknown } {
  if (!validator) {
    const schema = JSON.parse(readFileSync(join(packageRoot, 'test', 'fixtures', 'sarif-schema-2.1.0.json'), 'utf8')) as object;
    const require = createRequire(import.meta.url);
    const { Ajv } = require('ajv') as typeof import('ajv');
    const addFormats = require('ajv-formats') as typeof import('ajv-formats').default;
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    validator = ajv.compile(schema);
  }
  const valid = validator(log);
  return { valid, errors: validator.errors };
}
