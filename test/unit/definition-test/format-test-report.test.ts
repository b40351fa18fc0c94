import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { formatTestJunit, formatTestStylish, type TestReport } from '../../../src/definition-test/format-test-report.js';
import { spanOf, sourceFile } from '../../../src/source/source-file.js';

const file = sourceFile('definitions/chis.test.yaml', 'a\nb\nc\n      - { patient: bob }\n');
const at = spanOf(file, 12, 30);
const REPORT: TestReport = {
  results: [
    {
      testFile: 'definitions/chis.test.yaml',
      definitionFile: 'definitions/chis.exdef',
      status: 'failed',
      diagnostics: [],
      notApprovable: [],
      checks: [
        { dataset: 'children', kind: 'row', name: 'children: row { patient: alice }', span: at, passed: true },
        {
          dataset: 'children',
          kind: 'absent',
          name: 'children: absent { patient: bob }',
          span: at,
          passed: false,
          message: 'bob is present unexpectedly: 1 row of children matches { patient: bob }',
          detail: ['must not match: { patient: bob }', 'found:         { patient: bob, note: "<&>" }'],
        },
      ],
      rows: { children: 2 },
      seconds: 0.1,
    },
    {
      testFile: 'definitions/chis.test.yaml',
      definitionFile: 'definitions/chis.exdef.yaml',
      status: 'failed',
      diagnostics: [{ code: 'no-free-text', severity: 'error', stage: 'policy', message: 'free text is never extracted', span: spanOf(sourceFile('definitions/chis.exdef.yaml', 'x'), 0, 1) }],
      notApprovable: [],
      checks: [],
      rows: {},
      seconds: 0.05,
    },
  ],
  unusable: [{ testFile: 'definitions/bad.test.yaml', diagnostics: [{ code: 'test-bad-date', severity: 'error', stage: 'schema', message: '`today` is not a date of the calendar: 2026-13-01', span: spanOf(sourceFile('definitions/bad.test.yaml', 'today: 2026-13-01\n'), 7, 17) }] }],
};

describe('test reports', () => {
  it('writes JUnit XML: a suite per test and definition file, a testcase per expectation, lint errors and unusable files', () => {
    const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(formatTestJunit(REPORT));
    const root = xml.testsuites;
    expect(root).toMatchObject({ name: 'exdef test', tests: '4', failures: '2', errors: '1' });
    const [bad, yaml, lint] = root.testsuite;
    expect(bad.testcase.error.message).toBe('definitions/bad.test.yaml:1:8 error `today` is not a date of the calendar: 2026-13-01 [test-bad-date]');
    expect(yaml.name).toBe('definitions/chis.test.yaml (definitions/chis.exdef)');
    expect(yaml.testcase.map((c: { name: string }) => c.name)).toEqual(['children: row { patient: alice }', 'children: absent { patient: bob }']);
    expect(yaml.testcase[0].failure).toBeUndefined();
    expect(yaml.testcase[1].line).toBe('4');
    expect(yaml.testcase[1].failure.message).toBe('bob is present unexpectedly: 1 row of children matches { patient: bob }');
    expect(yaml.testcase[1].failure['#text']).toContain('definitions/chis.test.yaml:4:7: bob is present unexpectedly');
    expect(yaml.testcase[1].failure['#text']).toContain('note: "<&>"');
    expect(lint.testcase.name).toBe('lint');
    expect(lint.testcase.failure['#text']).toBe('definitions/chis.exdef.yaml:1:1 error free text is never extracted [no-free-text]');
  });

  it('writes a readable summary for people', () => {
    const text = formatTestStylish(REPORT);
    expect(text).toContain('FAIL definitions/chis.test.yaml → definitions/chis.exdef\n  ✗ children: absent { patient: bob }  definitions/chis.test.yaml:4:7\n      bob is present unexpectedly');
    expect(text).toContain('  the definition cannot be tested:');
    expect(text).toContain('ERROR definitions/bad.test.yaml');
    expect(text.trimEnd().split('\n').pop()).toBe('2 definition tests: 0 passed, 2 failed, 1 test file unusable (2 checks, 1 failed)');
    expect(text).not.toContain('children: row { patient: alice }');
  });

  it('lists every expectation, passed ones too, with --verbose', () => {
    const text = formatTestStylish(REPORT, undefined, { verbose: true });
    expect(text).toContain('FAIL definitions/chis.test.yaml → definitions/chis.exdef\n  ✓ children: row { patient: alice }  definitions/chis.test.yaml:4:7\n  ✗ children: absent { patient: bob }');
    const passing: TestReport = { results: [{ ...REPORT.results[0]!, status: 'passed', checks: [REPORT.results[0]!.checks[0]!] }], unusable: [] };
    expect(formatTestStylish(passing, undefined, { verbose: true })).toMatch(/^PASS definitions\/chis\.test\.yaml → definitions\/chis\.exdef \(1 check, 0\.10 s\)\n {2}✓ children: row \{ patient: alice \} {2}definitions\/chis\.test\.yaml:4:7\n/);
    expect(formatTestStylish(passing)).not.toContain('✓');
  });

  it('says "1 check", not "1 checks", everywhere', () => {
    const one: TestReport = { results: [{ ...REPORT.results[0]!, checks: [REPORT.results[0]!.checks[1]!] }], unusable: [] };
    const text = formatTestStylish(one);
    expect(text).toContain('  0 of 1 check passed');
    expect(text.trimEnd().split('\n').pop()).toBe('1 definition test: 0 passed, 1 failed (1 check, 1 failed)');
  });

  it('notes the governance paperwork a definition lacks once per definition, without failing it', () => {
    const missing = {
      code: 'governance-complete',
      severity: 'error' as const,
      stage: 'policy' as const,
      message: 'the governance of this extract is missing the date of the last review (review.last_reviewed)',
      span: spanOf(sourceFile('definitions/chis.exdef.yaml', 'a\nreview:\n'), 2, 8),
    };
    const passed: TestReport = { results: [{ ...REPORT.results[0]!, status: 'passed', checks: [REPORT.results[0]!.checks[0]!], notApprovable: [missing] }], unusable: [] };
    const text = formatTestStylish(passed);
    expect(text).toContain(
      [
        'PASS definitions/chis.test.yaml → definitions/chis.exdef (1 check, 0.10 s)',
        '  note: not yet approvable — 1 governance finding, which `exdef compile` and `exdef run` refuse; the test ran regardless:',
        '    definitions/chis.exdef.yaml:2:1 the governance of this extract is missing the date of the last review (review.last_reviewed) [governance-complete]',
      ].join('\n'),
    );
    expect(text.match(/not yet approvable/g)).toHaveLength(2);
    expect(text.trimEnd().split('\n').pop()).toBe('1 definition test: 1 passed, 1 not yet approvable (1 check, 0 failed)');
    const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(formatTestJunit(passed));
    expect(xml.testsuites.failures).toBe('0');
    expect(xml.testsuites.testsuite['system-out']).toContain('definitions/chis.exdef.yaml:2:1 error the governance of this extract is missing');
  });
});
