import { XMLParser } from 'fast-xml-parser';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/resources.js';
import { runCli } from '../support/cli.js';

const DEFINITIONS = join(packageRoot, 'definitions');
const NAMES = ['cervical-screening-recall', 'chis-immunisations', 'diabetes-recall', 'flu-vaccination-uptake', 'phm-warehouse', 'two-week-wait-audit'];
const temporary = mkdtempSync(join(tmpdir(), 'exdef-cli-test-'));
afterAll(() => rmSync(temporary, { recursive: true, force: true }));

interface JsonReport {
  summary: { tests: number; passed: number; failed: number; failedChecks: number };
  results: { testFile: string; definitionFile: string; status: string; checks: { name: string; passed: boolean; message?: string; detail?: string[] }[] }[];
}

/** A copy of a shipped definition (both syntaxes) and its companion test in a directory of its own, each definition changed by `mutate`. */
function copyWith(name: string, directory: string, mutate: (text: string, file: string) => string): string {
  const dir = join(temporary, directory);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  for (const file of [`${name}.exdef.yaml`, `${name}.exdef`]) {
    const original = readFileSync(join(DEFINITIONS, file), 'utf8');
    const changed = mutate(original, file);
    writeFileSync(join(dir, file), changed);
  }
  copyFileSync(join(DEFINITIONS, `${name}.test.yaml`), join(dir, `${name}.test.yaml`));
  return dir;
}

describe('exdef test', () => {
  it('passes every companion test of the shipped definitions, in both syntaxes, and writes JUnit XML for CI', () => {
    const report = join(temporary, 'junit.xml');
    const result = runCli(['test', '--format', 'junit', '-o', report]);
    expect(result.stderr).toContain('12 definition tests: 12 passed');
    expect(result.status).toBe(0);
    const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(readFileSync(report, 'utf8'));
    const suites = xml.testsuites.testsuite as { name: string; failures: string; testcase: unknown[] }[];
    expect(suites.map((s) => s.name).sort()).toEqual(NAMES.flatMap((n) => [`definitions/${n}.test.yaml (definitions/${n}.exdef)`, `definitions/${n}.test.yaml (definitions/${n}.exdef.yaml)`]).sort());
    expect(suites.every((s) => s.failures === '0' && s.testcase.length >= 10)).toBe(true);
    expect(xml.testsuites.failures).toBe('0');
  });

  it('fails when the age limit moves by one (< 20 to <= 20), naming exactly the child on their 20th birthday', () => {
    // chis-immunisations is the definition with an age limit of `< 20`.
    const dir = copyWith('chis-immunisations', 'boundary', (text) => {
      expect(text).toContain('age_years(date_of_birth) < 20');
      return text.replace('age_years(date_of_birth) < 20', 'age_years(date_of_birth) <= 20');
    });
    const result = runCli(['test', dir, '--format', 'json']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(1);
    const report = JSON.parse(result.stdout) as JsonReport;
    expect(report.results.map((r) => [r.definitionFile.replace(`${dir}/`, ''), r.status])).toEqual([
      ['chis-immunisations.exdef', 'failed'],
      ['chis-immunisations.exdef.yaml', 'failed'],
    ]);
    const companion = readFileSync(join(DEFINITIONS, 'chis-immunisations.test.yaml'), 'utf8');
    const patientsBlock = companion.slice(companion.indexOf('\npatients:'), companion.indexOf('\nexpect:'));
    const patients = patientsBlock.match(/^ {2}([a-z][\w-]*):/gm)!.map((l) => l.trim().slice(0, -1));
    expect(patients.length).toBeGreaterThan(10);
    expect(patients).toContain('on-20th-birthday');
    for (const r of report.results) {
      const failed = r.checks.filter((c) => !c.passed);
      expect(failed.map((c) => c.name)).toEqual(['children: absent { patient: on-20th-birthday }', 'children: count 5', 'immunisations: absent { patient: on-20th-birthday }', 'immunisations: count 3']);
      for (const check of failed) {
        expect(check.message).toContain('on-20th-birthday');
        const named = patients.filter((p) => new RegExp(`(^|[^\\w-])${p}([^\\w-]|$)`).test(check.message!));
        expect(named).toEqual(['on-20th-birthday']);
      }
    }
  });

  it('shows a failing expectation as a readable diff, at the line of the test file', () => {
    const dir = copyWith('chis-immunisations', 'diff', (text) => text);
    const test = join(dir, 'chis-immunisations.test.yaml');
    writeFileSync(test, readFileSync(test, 'utf8').replace('{ patient: alice, birth_month: 2010-05-01, practice: A81001 }', '{ patient: alice, birth_month: 2010-06-01, practice: A81001 }'));
    const line = readFileSync(test, 'utf8').split('\n').findIndex((l) => l.includes('birth_month: 2010-06-01')) + 1;
    const result = runCli(['test', join(dir, 'chis-immunisations.exdef')]);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(
      [
        `FAIL ${test} → ${join(dir, 'chis-immunisations.exdef')}`,
        `  ✗ children: row { patient: alice, birth_month: 2010-06-01, practice: A81001 }  ${test}:${line}:9`,
        "      alice's row in children differs from { patient: alice, birth_month: 2010-06-01, practice: A81001 }",
        '        expected: { patient: alice, birth_month: 2010-06-01, practice: A81001 }',
      ].join('\n'),
    );
    expect(result.stdout).toMatch(/ {8}closest: {2}\{ patient: alice, nhs_number: \d{10}, birth_month: 2010-05-01, practice: A81001 \}\n {20}birth_month: expected 2010-06-01, got 2010-05-01\n/);
    // Only the definition file named was tested.
    expect(result.stdout).not.toContain('.exdef.yaml');
    expect(result.stdout).toContain('1 definition test: 0 passed, 1 failed (30 checks, 1 failed)');
  });

  it('fails a definition with lint errors with its diagnostics, and refuses an unreadable test file with exit 2 at file:line:col', () => {
    const dir = copyWith('diabetes-recall', 'lint', (text, file) =>
      file.endsWith('.yaml') ? text.replace('value: phone', 'value: email_address') : text,
    );
    const lint = runCli(['test', join(dir, 'diabetes-recall.exdef.yaml')]);
    expect(lint.status).toBe(1);
    expect(lint.stdout).toContain('the definition cannot be tested:');
    expect(lint.stdout).toMatch(/diabetes-recall\.exdef\.yaml:\d+:\d+/);
    expect(lint.stdout).toContain('email_address');

    const bad = join(temporary, 'bad.test.yaml');
    writeFileSync(bad, 'today: 2026-11-20\npatients:\n  alice: { born: 2008-02-30 }\nexpect:\n  children: { absent: [{ patient: bobby }] }\n');
    writeFileSync(join(temporary, 'bad.exdef.yaml'), readFileSync(join(DEFINITIONS, 'chis-immunisations.exdef.yaml'), 'utf8'));
    const unusable = runCli(['test', bad]);
    expect(unusable.status).toBe(2);
    expect(unusable.stdout).toContain(`${bad}:3:18`);
    expect(unusable.stdout).toContain('2008-02-30');
    expect(unusable.stdout).toContain(`${bad}:5:35`);
    expect(unusable.stdout).toContain('no test patient is called `bobby`');
    expect(unusable.stdout + unusable.stderr).not.toMatch(/\n\s+at /);

    const usage = runCli(['test', join(temporary, 'nowhere.test.yaml')]);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('nowhere.test.yaml: no such file or directory');
  });

  it('has examples in --help', () => {
    const help = runCli(['test', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('EXAMPLES');
    expect(help.stdout.match(/\$ exdef test/g)!.length).toBeGreaterThanOrEqual(2);
  });

  it('refuses two test patients with the same NHS number (exit 2, at the second) instead of crediting one with the rows of the other', () => {
    const dir = join(temporary, 'twins');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'twins.exdef.yaml'), readFileSync(join(DEFINITIONS, 'chis-immunisations.exdef.yaml'), 'utf8'));
    const test = join(dir, 'twins.test.yaml');
    writeFileSync(test, "today: 2026-11-20\npatients:\n  alice: { born: 2010-05-15, nhs_number: '9990000018' }\n  bob: { born: 2010-05-15, nhs_number: '9990000018', registered: [] }\nexpect:\n  children: { rows: [{ patient: bob }] }\n");
    const result = runCli(['test', test]);
    expect(result.status).toBe(2);
    expect(result.stdout).toContain(`${test}:4:40`);
    expect(result.stdout).toContain('`bob` has the NHS number 9990000018 of `alice`');
  });

  it('credits a row only through a field that holds the NHS number or its pseudonym, never a value that happens to equal one', () => {
    // The mobile field comes first and alice's phone is bob's NHS number: her row is hers, not bob's.
    const dir = copyWith('diabetes-recall', 'attribution', (text, file) => {
      if (!file.endsWith('.yaml')) return text;
      const mobile = '      - name: mobile\n        value: phone\n        justification: An SMS reminder follows the letter.\n';
      expect(text).toContain(mobile);
      return text.replace(mobile, '').replace('    fields:\n      - name: nhs_number\n', `    fields:\n${mobile}      - name: nhs_number\n`);
    });
    const test = join(dir, 'diabetes-recall.test.yaml');
    writeFileSync(test, "today: 2026-11-20\npatients:\n  alice:\n    phone: '9990000026'\n    observations: [{ code: 44054006, date: 2019-04-01 }]\n  bob:\n    nhs_number: '9990000026'\nexpect:\n  due_for_review:\n    rows: [{ patient: alice }, { patient: bob }]\n");
    const result = runCli(['test', join(dir, 'diabetes-recall.exdef.yaml'), '--format', 'json']);
    expect(result.status).toBe(1);
    const report = JSON.parse(result.stdout) as JsonReport;
    expect(report.results[0]!.checks.map((c) => [c.name, c.passed])).toEqual([
      ['due_for_review: row { patient: alice }', true],
      ['due_for_review: row { patient: bob }', false],
    ]);
    expect(report.results[0]!.checks[1]!.message).toBe('bob is missing: dataset due_for_review has no row for bob');
  });

  it('runs the tests of a definition that lacks only its review date, noting it is not yet approvable; a real policy error still fails', () => {
    const draft = copyWith('chis-immunisations', 'draft', (text, file) => {
      const changed = file.endsWith('.yaml') ? text.replace('  last_reviewed: 2026-10-01\n', '') : text.replace('REVIEWED 2026-10-01 BY', 'REVIEWED BY');
      expect(changed).not.toBe(text);
      return changed;
    });
    const result = runCli(['test', draft]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout.match(/^PASS /gm)).toHaveLength(2);
    expect(result.stdout.match(/not yet approvable — 1 governance finding/g)).toHaveLength(2);
    expect(result.stdout).toMatch(/chis-immunisations\.exdef\.yaml:\d+:\d+ the governance of this extract is missing the date of the last review \(review\.last_reviewed\) \[governance-complete\]/);
    expect(result.stdout).toContain('2 definition tests: 2 passed, 2 not yet approvable');
    // compile and run still refuse it.
    const compile = runCli(['compile', join(draft, 'chis-immunisations.exdef.yaml')]);
    expect(compile.status).not.toBe(0);
    expect(compile.stdout + compile.stderr).toContain('governance-complete');

    const freeText = copyWith('chis-immunisations', 'draft-free-text', (text, file) => {
      if (!file.endsWith('.yaml')) return text;
      const anchor = '      - name: vaccination_date\n';
      expect(text).toContain(anchor);
      return text.replace('  last_reviewed: 2026-10-01\n', '').replace(anchor, `      - name: comment\n        value: comment\n        justification: The comment explains why a dose was given late.\n${anchor}`);
    });
    const failed = runCli(['test', join(freeText, 'chis-immunisations.exdef.yaml')]);
    expect(failed.status).toBe(1);
    expect(failed.stdout).toContain('the definition cannot be tested:');
    expect(failed.stdout).toContain('[no-free-text]');
    expect(failed.stdout).toContain('not yet approvable');
  });

  it('matches a YAML number against a text field only as written: no leading zero implied', () => {
    const dir = copyWith('diabetes-recall', 'leading-zero', (text) => text);
    const test = join(dir, 'diabetes-recall.test.yaml');
    const original = readFileSync(test, 'utf8');
    expect(original).toContain("mobile: '07700900002'");
    writeFileSync(test, original.replace("mobile: '07700900002'", 'mobile: 7700900002'));
    const phone = runCli(['test', join(dir, 'diabetes-recall.exdef.yaml')]);
    expect(phone.status).toBe(1);
    expect(phone.stdout).toContain('mobile: expected 7700900002, got 07700900002');

    const chis = copyWith('chis-immunisations', 'zero-padded-code', (text) => text);
    const chisTest = join(chis, 'chis-immunisations.test.yaml');
    const companion = readFileSync(chisTest, 'utf8');
    expect(companion).toContain('vaccination_code: 86198006,');
    writeFileSync(chisTest, companion.replace('vaccination_code: 86198006,', 'vaccination_code: 086198006,'));
    const code = runCli(['test', join(chis, 'chis-immunisations.exdef.yaml')]);
    expect(code.status).toBe(1);
    expect(code.stdout).toContain('vaccination_code: expected 086198006, got 86198006');
  });

  it('tells an empty text from a missing value, in the data, the match and the diff', () => {
    const dir = copyWith('diabetes-recall', 'empty', (text) => text);
    const test = join(dir, 'diabetes-recall.test.yaml');
    const write = (expectations: string) =>
      writeFileSync(test, `today: 2026-11-20\npatients:\n  no-phone:\n    observations: [{ code: 44054006, date: 2019-04-01 }]\n  empty-phone:\n    phone: ''\n    observations: [{ code: 44054006, date: 2019-04-01 }]\nexpect:\n  due_for_review:\n${expectations}`);
    write("    rows: [{ patient: no-phone, mobile: null }, { patient: empty-phone, mobile: '' }]\n    absent: [{ patient: no-phone, mobile: '' }, { patient: empty-phone, mobile: null }]\n");
    const right = runCli(['test', join(dir, 'diabetes-recall.exdef.yaml')]);
    expect(right.stdout).toContain('1 definition test: 1 passed (4 checks, 0 failed)');
    expect(right.status).toBe(0);
    write("    rows: [{ patient: no-phone, mobile: '' }, { patient: empty-phone, mobile: null }]\n");
    const wrong = runCli(['test', join(dir, 'diabetes-recall.exdef.yaml')]);
    expect(wrong.status).toBe(1);
    expect(wrong.stdout).toContain('mobile: expected "", got null');
    expect(wrong.stdout).toContain('mobile: expected null, got ""');
  });

  it('exits 2 when the report cannot be written (1 means a failed test)', () => {
    const result = runCli(['test', join(DEFINITIONS, 'diabetes-recall.exdef.yaml'), '--format', 'junit', '-o', join(temporary, 'no-such-directory', 'report.xml')]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('no such directory');
  });
});
