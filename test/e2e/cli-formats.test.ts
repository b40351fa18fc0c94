import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { resources } from '../../src/resources.js';
import { runCli } from '../support/cli.js';
import { validateSarif } from '../unit/formats/sample-results.js';

const TODAY = ['--today', '2026-11-21'];
const NEW_FORMATS = ['sarif', 'github', 'junit', 'markdown'] as const;

interface SarifLog {
  runs: {
    tool: { driver: { name: string; rules: { id: string }[] } };
    results: { ruleId: string; level: string; locations: { physicalLocation: { artifactLocation: { uri: string; uriBaseId?: string }; region: { startLine: number } } }[] }[];
  }[];
}

const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', isArray: (name) => name === 'testsuite' || name === 'testcase' });
type Junit = { testsuites: { '@_tests': string; '@_failures': string; testsuite: { '@_name': string; testcase: { '@_name': string; failure?: { '@_type': string } }[] }[] } };
function parseJunit(text: string): Junit {
  expect(XMLValidator.validate(text)).toBe(true);
  return xml.parse(text) as Junit;
}

let work: string;
/** The line of the broken definition's hourly schedule. */
let frequencyLine = 0;
/** The line of the stale definition's review date. */
let reviewLine = 0;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'exdef-formats-'));
  const phm = readFileSync(join(resources.definitions, 'phm-warehouse.exdef.yaml'), 'utf8');
  const stale = phm.replace('last_reviewed: 2026-09-15', 'last_reviewed: 2025-01-15');
  expect(stale).not.toBe(phm);
  // An hourly schedule (error), a full date of birth (an error and a warning) and an old review (a warning).
  const broken = stale.replace('frequency: weekly', 'frequency: hourly').replace('value: age_band(date_of_birth, 10)', 'value: date_of_birth');
  // Each its own id: two definitions of one lint run sharing an id is an error of its own.
  reviewLine = stale.split('\n').findIndex((l) => l.includes('last_reviewed: 2025-01-15')) + 1;
  frequencyLine = broken.split('\n').findIndex((l) => l.includes('frequency: hourly')) + 1;
  writeFileSync(join(work, 'broken.exdef.yaml'), broken.replace('id: phm-warehouse\n', 'id: phm-warehouse-broken\n'));
  writeFileSync(join(work, 'syntax.exdef.yaml'), 'exdef: 1\nid: [oops\n');
  writeFileSync(join(work, 'stale.exdef.yaml'), stale.replace('id: phm-warehouse\n', 'id: phm-warehouse-stale\n'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('exdef lint --format', () => {
  it('lists every format in --help', () => {
    const { status, stdout } = runCli(['lint', '--help']);
    expect(status).toBe(0);
    expect(stdout).toContain('stylish|json|sarif|github|junit|markdown');
  });

  it('refuses an unknown format with exit code 2', () => {
    const { status, stderr, stdout } = runCli(['lint', 'definitions', '--format', 'xml']);
    expect(status).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('one of: stylish, json, sarif, github, junit, markdown');
  });

  it.each(NEW_FORMATS)('%s: the shipped definitions are clean (exit 0)', (format) => {
    const { status, stdout, stderr } = runCli(['lint', 'definitions', ...TODAY, '--format', format]);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    if (format === 'sarif') {
      const log = JSON.parse(stdout) as SarifLog;
      expect(validateSarif(log).errors).toBeNull();
      const results = log.runs[0]!.results;
      expect(results.every((r) => r.level === 'note')).toBe(true);
      for (const r of results) expect(r.locations[0]!.physicalLocation.artifactLocation).toMatchObject({ uri: expect.stringMatching(/^definitions\/[\w.-]+$/), uriBaseId: '%SRCROOT%' });
    } else if (format === 'junit') {
      const report = parseJunit(stdout);
      expect(report.testsuites['@_failures']).toBe('0');
      expect(report.testsuites.testsuite.length).toBeGreaterThanOrEqual(12);
    } else if (format === 'github') {
      const lines = stdout.trimEnd().split('\n');
      expect(lines.at(-1)).toMatch(/^exdef: \d+ files checked: 0 errors, 0 warnings, \d+ info$/);
      for (const line of lines.slice(0, -1)) expect(line).toMatch(/^::notice file=definitions\/[\w.-]+,line=\d+,col=\d+,endLine=\d+,endColumn=\d+,title=exdef [\w-]+::/);
    } else {
      expect(stdout).toMatch(/^## exdef lint\n\n✅ \d+ definition files checked: \*\*0 errors, 0 warnings, \d+ info\*\*/);
    }
  });

  it.each(NEW_FORMATS)('%s: a broken definition and a syntax error are reported, exit 1', (format) => {
    const { status, stdout } = runCli(['lint', '.', ...TODAY, '--format', format], { cwd: work });
    expect(status).toBe(1);
    if (format === 'sarif') {
      const log = JSON.parse(stdout) as SarifLog;
      expect(validateSarif(log).errors).toBeNull();
      const run = log.runs[0]!;
      const errors = run.results.filter((r) => r.level === 'error');
      expect(errors.map((r) => r.ruleId).sort()).toEqual(['disclosure-risk', 'schedule-at-most-daily', 'yaml-syntax']);
      expect(run.tool.driver.rules.map((r) => r.id)).toContain('yaml-syntax');
      const schedule = errors.find((r) => r.ruleId === 'schedule-at-most-daily')!;
      expect(schedule.locations[0]!.physicalLocation.artifactLocation).toEqual({ uri: 'broken.exdef.yaml', uriBaseId: '%SRCROOT%' });
      expect(schedule.locations[0]!.physicalLocation.region.startLine).toBe(frequencyLine);
      expect(run.results.filter((r) => r.level === 'warning').map((r) => r.ruleId).sort()).toEqual(['generalise-quasi-identifiers', 'review-current', 'review-current']);
    } else if (format === 'junit') {
      const report = parseJunit(stdout);
      const suites = Object.fromEntries(report.testsuites.testsuite.map((s) => [s['@_name'], s]));
      expect(Object.keys(suites).sort()).toEqual(['broken.exdef.yaml', 'stale.exdef.yaml', 'syntax.exdef.yaml']);
      expect(suites['broken.exdef.yaml']!.testcase.filter((t) => t.failure).map((t) => t['@_name'])).toEqual(['disclosure-risk', 'schedule-at-most-daily']);
      expect(suites['syntax.exdef.yaml']!.testcase.map((t) => [t['@_name'], t.failure?.['@_type']])).toEqual([['yaml-syntax', 'error']]);
      expect(suites['stale.exdef.yaml']!.testcase.every((t) => !t.failure)).toBe(true);
      expect(report.testsuites['@_failures']).toBe('3');
    } else if (format === 'github') {
      expect(stdout).toMatch(new RegExp(`^::error file=broken\\.exdef\\.yaml,line=${frequencyLine},col=14,endLine=${frequencyLine},endColumn=20,title=exdef schedule-at-most-daily::schedule\\.frequency hourly .*%0Ahint: `, 'm'));
      expect(stdout).toMatch(new RegExp(`^::warning file=stale\\.exdef\\.yaml,line=${reviewLine},col=18,.*title=exdef review-current::`, "m"));
      expect(stdout).toMatch(/^::error file=syntax\.exdef\.yaml,line=\d+,.*title=exdef yaml-syntax::YAML syntax error/m);
      expect(stdout.trimEnd().split('\n').at(-1)).toBe('exdef: 3 files checked: 3 errors, 3 warnings, 1 info');
    } else {
      expect(stdout).toContain('❌ 3 definition files checked: **3 errors, 3 warnings, 1 info**');
      expect(stdout).toMatch(new RegExp(`^\\| broken\\.exdef\\.yaml:${frequencyLine}:14 \\| ❌ error \\| schedule-at-most-daily \\| schedule\\.frequency hourly`, 'm'));
    }
  });

  it('warnings alone exit 0; past --max-warnings they exit 1 and fail the JUnit report too', () => {
    const within = runCli(['lint', 'stale.exdef.yaml', ...TODAY, '--format', 'junit'], { cwd: work });
    expect(within.status).toBe(0);
    expect(parseJunit(within.stdout).testsuites['@_failures']).toBe('0');
    const over = runCli(['lint', 'stale.exdef.yaml', ...TODAY, '--format', 'junit', '--max-warnings', '0'], { cwd: work });
    expect(over.status).toBe(1);
    const report = parseJunit(over.stdout);
    expect(report.testsuites['@_failures']).toBe('1');
    expect(report.testsuites.testsuite[0]!.testcase.find((t) => t['@_name'] === 'review-current')!.failure!['@_type']).toBe('warning');
  });

  it('--quiet keeps errors only, in every format', () => {
    const { status, stdout } = runCli(['lint', '.', ...TODAY, '--format', 'github', '--quiet'], { cwd: work });
    expect(status).toBe(1);
    const commands = stdout.split('\n').filter((l) => l.startsWith('::'));
    expect(commands).toHaveLength(3);
    expect(commands.every((l) => l.startsWith('::error '))).toBe(true);
  });
});
