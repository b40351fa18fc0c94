import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { referenceCatalogue } from '../../src/catalogue/load-catalogue.js';
import { canonicalDefinition } from '../../src/ir/fingerprint.js';
import { checkDefinitionFile } from '../../src/pipeline/check-definition.js';
import { packageRoot, resources } from '../../src/resources.js';
import { runCli } from '../support/cli.js';

let work: string;
/** The warehouse feed as it was with a year of birth (frozen: the shipped one now bands ages). */
const INDIRECT_BASE = join(packageRoot, 'test', 'fixtures', 'indirect-base', 'phm-warehouse.exdef.yaml');
const examples = ['chis-immunisations', 'diabetes-recall', 'phm-warehouse'];

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'exdef-lang-'));
  mkdirSync(join(work, 'defs', 'nested'), { recursive: true });
  for (const name of examples) copyFileSync(join(resources.definitions, `${name}.exdef.yaml`), join(work, 'defs', `${name}.exdef.yaml`));
  // Another definition (another id): two files of one lint run sharing an id is an error of its own.
  copyFileSync(join(resources.definitions, 'two-week-wait-audit.exdef'), join(work, 'defs', 'nested', 'two-week-wait-audit.exdef'));
  writeFileSync(
    join(work, 'broken.exdef.yaml'),
    readFileSync(INDIRECT_BASE, 'utf8').replace('value: year(date_of_birth)', 'value: year(postcode)').replace('id: phm-warehouse\n', 'id: phm-warehouse-broken\n'),
  );
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('exdef lint', () => {
  it('lints the shipped examples clean, unchanged, with --today 2026-11-21', () => {
    const { status, stdout } = runCli(['lint', ...examples.map((n) => join(resources.definitions, `${n}.exdef.yaml`)), '--today', '2026-11-21']);
    expect(stdout).toMatch(/✔ 3 files checked: no errors or warnings, \d+ info\n$/);
    expect(stdout).not.toMatch(/ (error|warning) /);
    expect(status).toBe(0);
  });

  it('takes directories (recursively) and quoted globs', () => {
    const dir = runCli(['lint', join(work, 'defs')]);
    expect(dir.stdout).toContain('4 files checked: no errors or warnings');
    const glob = runCli(['lint', `${work}/defs/**/*.exdef*`]);
    expect(glob.stdout).toContain('4 files checked: no errors or warnings');
  });

  it('reports findings with a code frame and exits 1', () => {
    const { status, stdout } = runCli(['lint', join(work, 'broken.exdef.yaml')]);
    expect(status).toBe(1);
    expect(stdout).toMatch(/broken\.exdef\.yaml:\d+:21 error the first argument of `year\(\)` must be a date or a timestamp, not text \(`postcode`\) \[wrong-argument-type\]/);
    expect(stdout).toMatch(/\n\s+\d+ \|\s+value: year\(postcode\)\n\s+\| \s+\^{8}/);
    expect(stdout).toContain('✖ 1 file checked: 1 error, 0 warnings');
  });

  it('writes JSON for machines, with spans and codes', () => {
    const { status, stdout } = runCli(['lint', join(work, 'broken.exdef.yaml'), join(work, 'defs'), '--format', 'json']);
    expect(status).toBe(1);
    const report = JSON.parse(stdout) as { summary: Record<string, number>; results: { file: string; diagnostics: { code: string; span: { start: { line: number } } }[] }[] };
    expect(report.summary).toMatchObject({ files: 5, error: 1, warning: 0 });
    const broken = report.results.find((r) => r.file.endsWith('broken.exdef.yaml'))!;
    expect(broken.diagnostics.filter((d) => d.code !== 'disclosure-risk').map((d) => d.code)).toEqual(['wrong-argument-type']);
    const line = readFileSync(join(work, 'broken.exdef.yaml'), 'utf8').split('\n').findIndex((l) => l.includes('year(postcode)')) + 1;
    expect(broken.diagnostics[0]!.span.start.line).toBe(line);
  });

  it('exits 2 on usage errors: no matching files, a bad --today, a bad format', () => {
    expect(runCli(['lint', join(work, 'nothing-here', '*.exdef')]).status).toBe(2);
    const today = runCli(['lint', join(work, 'defs'), '--today', '21/11/2026']);
    expect([today.status, today.stderr.trim()]).toEqual([2, 'error: --today must be a date written YYYY-MM-DD, not "21/11/2026"']);
    expect(runCli(['lint', join(work, 'defs'), '--format', 'xml']).status).toBe(2);
  });

  it('reports a missing file as a usage error (exit 2, the contract of every command), not a crash', () => {
    const { status, stdout, stderr } = runCli(['lint', join(work, 'missing.exdef.yaml')]);
    expect(status).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim()).toBe(`error: ${join(work, 'missing.exdef.yaml')}: no such file or directory`);
  });
});

describe('exdef convert and fmt', () => {
  it('converts YAML to the exdef language and back to the same meaning', () => {
    const source = join(resources.definitions, 'diabetes-recall.exdef.yaml');
    const exdefFile = join(work, 'recall.exdef');
    const yamlFile = join(work, 'recall.exdef.yaml');
    expect(runCli(['convert', source, '--to', 'exdef', '-o', exdefFile]).status).toBe(0);
    expect(readFileSync(exdefFile, 'utf8')).toContain("DATASET due_for_review AS\nSELECT\n  nhs_number\n    JUSTIFY 'Identifies the patient to invite.',");
    const back = runCli(['convert', exdefFile, '--to', 'yaml']);
    expect(back.status).toBe(0);
    writeFileSync(yamlFile, back.stdout);
    const catalogue = referenceCatalogue();
    const irs = [source, exdefFile, yamlFile].map((f) => checkDefinitionFile(f, { catalogue }).definition!);
    expect(canonicalDefinition(irs[1]!)).toEqual(canonicalDefinition(irs[0]!));
    expect(canonicalDefinition(irs[2]!)).toEqual(canonicalDefinition(irs[0]!));
  });

  it('keeps comments across conversion', () => {
    const file = join(work, 'commented.exdef.yaml');
    const text = readFileSync(INDIRECT_BASE, 'utf8')
      .replace('population:\n', '# Population agreed with the practices in October.\npopulation:\n')
      .replace('      - name: birth_year\n', '      # Year only: month of birth was refused by the DPO.\n      - name: birth_year\n');
    writeFileSync(file, text);
    const exdefText = runCli(['convert', file, '--to', 'exdef']).stdout;
    expect(exdefText).toContain('-- Population agreed with the practices in October.\nPOPULATION');
    expect(exdefText).toContain('  -- Year only: month of birth was refused by the DPO.\n  year(date_of_birth) AS birth_year');
    const exdefFile = join(work, 'commented.exdef');
    writeFileSync(exdefFile, exdefText);
    const yamlText = runCli(['convert', exdefFile, '--to', 'yaml']).stdout;
    expect(yamlText).toContain('# Population agreed with the practices in October.\npopulation:');
    expect(yamlText).toContain('      # Year only: month of birth was refused by the DPO.\n      - name: birth_year');
  });

  it('refuses to convert a file with syntax errors (exit 1, diagnostics on stderr)', () => {
    const file = join(work, 'syntax.exdef');
    writeFileSync(file, 'EXTRACT x VERSION;');
    const { status, stderr, stdout } = runCli(['convert', file, '--to', 'yaml']);
    expect(status).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain(`${file}:1:18 error expected a whole number but found \`;\``);
  });

  it('formats in place, idempotently, and --check reports what is not formatted', () => {
    const dir = join(work, 'fmt');
    mkdirSync(dir);
    const file = join(dir, 'x.exdef');
    writeFileSync(file, readFileSync(join(resources.definitions, 'chis-immunisations.exdef'), 'utf8').replace(/\n  /g, '\n      ').replace('AS birth_month', 'as   birth_month'));
    const check = runCli(['fmt', '--check', dir]);
    expect([check.status, check.stdout.trim()]).toEqual([1, file]);
    expect(runCli(['fmt', dir]).status).toBe(0);
    const once = readFileSync(file, 'utf8');
    expect(once).toBe(readFileSync(join(resources.definitions, 'chis-immunisations.exdef'), 'utf8'));
    expect(runCli(['fmt', dir]).stderr).toBe('');
    expect(readFileSync(file, 'utf8')).toBe(once);
    expect(runCli(['fmt', '--check', dir]).status).toBe(0);
  });

  it('the shipped definitions are formatted: fmt --check definitions/ exits 0 (docs/ci.md)', () => {
    const check = runCli(['fmt', '--check', resources.definitions]);
    expect([check.status, check.stdout]).toEqual([0, '']);
  });

  it('formats YAML idempotently, keeping its comments', () => {
    const file = join(work, 'fmt-yaml.exdef.yaml');
    writeFileSync(file, `# Header comment\n${readFileSync(join(resources.definitions, 'chis-immunisations.exdef.yaml'), 'utf8')}`);
    expect(runCli(['fmt', file]).status).toBe(0);
    const once = readFileSync(file, 'utf8');
    expect(once.startsWith('# Header comment\n')).toBe(true);
    expect(runCli(['fmt', '--check', file]).status).toBe(0);
  });
});

describe('exdef schema', () => {
  it('prints the JSON Schema of the format', () => {
    const { status, stdout } = runCli(['schema']);
    expect(status).toBe(0);
    const schema = JSON.parse(stdout) as { title: string; properties: Record<string, unknown> };
    expect(schema.title).toBe('exdef extract definition');
    expect(Object.keys(schema.properties)).toContain('datasets');
  });
});
