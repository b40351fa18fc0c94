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
      expect(failed.map((c) => c.name)).toEqual(['children: absent { patient: on-20th-birthday }', 'children: count 6', 'immunisations: absent { patient: on-20th-birthday }', 'immunisations: count 3']);
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
});
