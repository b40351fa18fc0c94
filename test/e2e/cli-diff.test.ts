import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referenceCatalogue } from '../../src/catalogue/load-catalogue.js';
import { fingerprint } from '../../src/ir/fingerprint.js';
import { checkDefinitionFile } from '../../src/pipeline/check-definition.js';
import { resources } from '../../src/resources.js';
import { runCli } from '../support/cli.js';

let work: string;
/** A shipped definition; the warehouse feed as it was with a year of birth (frozen: the shipped one now bands ages). */
const example = (name: string) =>
  name.startsWith('phm-warehouse.') ? join(resources.definitions, '..', 'test', 'fixtures', 'indirect-base', name) : join(resources.definitions, name);
const PHM = readFileSync(example('phm-warehouse.exdef.yaml'), 'utf8');
const at = (name: string) => join(work, name);

function variant(name: string, ...edits: [string, string][]): string {
  let text = PHM;
  for (const [from, to] of edits) {
    if (!text.includes(from)) throw new Error(`edit target not found: ${from}`);
    text = text.replace(from, to);
  }
  writeFileSync(at(name), text);
  return at(name);
}

interface JsonReport {
  base?: string;
  failOn: string;
  failed: boolean;
  summary: Record<string, number>;
  comparisons: {
    status: string;
    old?: { file: string; id?: string; version?: number; fingerprint?: string };
    new?: { file: string; id?: string; version?: number; fingerprint?: string };
    fingerprintChanged: boolean;
    class: string;
    changes: { kind: string; class: string; path: string; before?: string; after?: string; changesFingerprint: boolean; explanation: string }[];
  }[];
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'exdef-diff-'));
  variant('phm-v2.exdef.yaml', ['version: 1', 'version: 2'], ['value: year(date_of_birth)', 'value: month(date_of_birth)'], ['dpia: DPIA-2026-031', 'dpia: DPIA-2026-032'], ['mode: full', 'mode: delta']);
  variant('phm-narrowed.exdef.yaml', ['A81002, A81003]', 'A81002]']);
  variant('phm-governance.exdef.yaml', ['dpia: DPIA-2026-031', 'dpia: DPIA-2026-032']);
  variant('phm-broken.exdef.yaml', ['value: year(date_of_birth)', 'value: year(postcode)']);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('exdef diff OLD NEW', () => {
  it('prints the changes grouped by class, with a summary, and exits 1 when one needs IG review', () => {
    const { status, stdout, stderr } = runCli(['diff', example('phm-warehouse.exdef.yaml'), at('phm-v2.exdef.yaml')]);
    expect(stderr).toBe('');
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`${example('phm-warehouse.exdef.yaml')} → ${at('phm-v2.exdef.yaml')} (phm-warehouse v1 → v2)`);
    expect(lines.slice(1).map((l) => l.replace(/ — .*$/, '').replace(/\s+/g, ' ').trim())).toEqual([
      'needs IG review (1):',
      'transform-finer datasets.people.fields.birth_year: year(date_of_birth) → month(date_of_birth)',
      'needs a new baseline (1):',
      'mode-changed mode: full → delta',
      'no effect on the data (2):',
      'version-changed version: 1 → 2',
      'governance-changed dpia: DPIA-2026-031 → DPIA-2026-032',
      '1 change needs IG review, 1 needs a new baseline, 2 have no effect on the data; the fingerprint changed: the next run is a full extract',
    ]);
    expect(stdout).toContain('— less generalised: date_of_birth (quasi identifier) as its month instead of as its year');
    expect(status).toBe(1);
  });

  it('writes JSON with both fingerprints', () => {
    const { status, stdout } = runCli(['diff', example('phm-warehouse.exdef.yaml'), at('phm-v2.exdef.yaml'), '--json']);
    expect(status).toBe(1);
    const report = JSON.parse(stdout) as JsonReport;
    const catalogue = referenceCatalogue();
    const [before, after] = [example('phm-warehouse.exdef.yaml'), at('phm-v2.exdef.yaml')].map((f) => checkDefinitionFile(f, { catalogue }).definition!);
    expect(report).toMatchObject({ failOn: 'needs-ig-review', failed: true, summary: { definitions: 1, 'needs-ig-review': 1, 'needs-new-baseline': 1, 'no-effect': 2, fingerprintChanged: 1, errors: 0 } });
    expect(report.base).toBeUndefined();
    const [c] = report.comparisons;
    expect(c).toMatchObject({
      status: 'changed',
      old: { file: example('phm-warehouse.exdef.yaml'), id: 'phm-warehouse', version: 1, fingerprint: fingerprint(before!) },
      new: { file: at('phm-v2.exdef.yaml'), id: 'phm-warehouse', version: 2, fingerprint: fingerprint(after!) },
      fingerprintChanged: true,
      class: 'needs-ig-review',
    });
    expect(c!.changes[0]).toEqual({
      kind: 'transform-finer',
      class: 'needs-ig-review',
      path: 'datasets.people.fields.birth_year',
      dataset: 'people',
      field: 'birth_year',
      before: 'year(date_of_birth)',
      after: 'month(date_of_birth)',
      changesFingerprint: true,
      explanation: 'less generalised: date_of_birth (quasi identifier) as its month instead of as its year',
    });
  });

  it('finds no change between the two syntaxes of one definition (exit 0)', () => {
    const { status, stdout } = runCli(['diff', example('chis-immunisations.exdef.yaml'), example('chis-immunisations.exdef')]);
    expect(stdout).toBe(`${example('chis-immunisations.exdef.yaml')} → ${example('chis-immunisations.exdef')} (chis-immunisations v3)\n  no change in meaning; the fingerprint is unchanged\n`);
    expect(status).toBe(0);
  });

  it('exits 0 unless a change reaches --fail-on', () => {
    const narrowed = ['diff', example('phm-warehouse.exdef.yaml'), at('phm-narrowed.exdef.yaml')];
    const first = runCli(narrowed);
    expect(first.stdout).toContain('practices-removed  population.practices: A81001, A81002, A81003 → A81001, A81002 — 1 practice no longer in scope: A81003');
    expect(first.stdout).toContain('1 change needs a new baseline; nothing needs IG review; the fingerprint changed: the next run is a full extract');
    expect(first.status).toBe(0);
    expect(runCli([...narrowed, '--fail-on', 'needs-new-baseline']).status).toBe(1);
    const governance = ['diff', example('phm-warehouse.exdef.yaml'), at('phm-governance.exdef.yaml')];
    const second = runCli(governance);
    expect(second.stdout).toContain('1 change has no effect on the data; nothing needs IG review; the fingerprint is unchanged: delta runs carry on');
    expect(second.status).toBe(0);
    expect(runCli([...governance, '--fail-on', 'needs-new-baseline']).status).toBe(0);
    expect(runCli([...governance, '--fail-on', 'any']).status).toBe(1);
  });

  it('exits 2 with the diagnostics when a definition does not resolve, naming the file', () => {
    const { status, stdout, stderr } = runCli(['diff', example('phm-warehouse.exdef.yaml'), at('phm-broken.exdef.yaml')]);
    expect(status).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(`${at('phm-broken.exdef.yaml')} does not parse or resolve:`);
    expect(stderr).toMatch(/phm-broken\.exdef\.yaml:\d+:\d+ error .*year\(\).* \[wrong-argument-type\]/);
    expect(stderr).toContain(`error: cannot compare: ${at('phm-broken.exdef.yaml')} does not parse or resolve (see above)`);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(runCli(['diff', example('phm-warehouse.exdef.yaml'), at('missing.exdef.yaml')]).status).toBe(2);
  });

  it('exits 2 on usage errors', () => {
    const one = runCli(['diff', example('phm-warehouse.exdef.yaml')]);
    expect([one.status, one.stderr.trim()]).toEqual([2, 'error: diff needs two files, OLD and NEW, or --base GIT_REF [PATHS...]; got 1 argument']);
    expect(runCli(['diff', example('phm-warehouse.exdef.yaml'), at('phm-v2.exdef.yaml'), '--fail-on', 'sometimes']).status).toBe(2);
  });

  it('documents itself with examples', () => {
    const { status, stdout } = runCli(['diff', '--help']);
    expect(status).toBe(0);
    expect(stdout).toContain('EXAMPLES');
    expect(stdout).toContain('$ exdef diff --base origin/main');
    expect(stdout).toContain('needs-ig-review');
  });
});

describe('exdef diff --base GIT_REF', () => {
  let repo: string;
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=exdef test', '-c', 'user.email=test@example.org', '-c', 'commit.gpgsign=false', ...args], { cwd: repo, stdio: 'pipe' });

  beforeAll(() => {
    repo = join(work, 'repo');
    mkdirSync(join(repo, 'defs', 'old'), { recursive: true });
    copyFileSync(example('phm-warehouse.exdef.yaml'), join(repo, 'defs', 'phm-warehouse.exdef.yaml'));
    copyFileSync(example('chis-immunisations.exdef'), join(repo, 'defs', 'chis-immunisations.exdef'));
    copyFileSync(example('diabetes-recall.exdef.yaml'), join(repo, 'defs', 'old', 'diabetes-recall.exdef.yaml'));
    copyFileSync(example('two-week-wait-audit.exdef.yaml'), join(repo, 'defs', 'two-week-wait-audit.exdef.yaml'));
    copyFileSync(example('cervical-screening-recall.exdef.yaml'), join(repo, 'defs', 'cervical-screening-recall.exdef.yaml'));
    writeFileSync(join(repo, 'README.md'), 'not a definition\n');
    writeFileSync(join(repo, 'defs', 'fixed.exdef.yaml'), readFileSync(at('phm-broken.exdef.yaml'), 'utf8').replace('id: phm-warehouse', 'id: phm-fixed'));
    git('init', '-q');
    git('add', '-A');
    git('commit', '-q', '-m', 'approved definitions');
    git('tag', 'approved');
    // The pull request: one definition changed, one added, one deleted, one moved, one untouched.
    writeFileSync(join(repo, 'defs', 'phm-warehouse.exdef.yaml'), PHM.replace('A81003]', 'A81003, A81004]'));
    copyFileSync(example('flu-vaccination-uptake.exdef.yaml'), join(repo, 'defs', 'flu-vaccination-uptake.exdef.yaml'));
    unlinkSync(join(repo, 'defs', 'old', 'diabetes-recall.exdef.yaml'));
    renameSync(join(repo, 'defs', 'two-week-wait-audit.exdef.yaml'), join(repo, 'defs', 'two-week-wait.exdef.yaml'));
    writeFileSync(join(repo, 'defs', 'fixed.exdef.yaml'), PHM.replace('id: phm-warehouse', 'id: phm-fixed'));
  });

  it('compares each definition with its version at the ref: changed, new, removed, moved; unchanged files are skipped', () => {
    const { status, stdout, stderr } = runCli(['diff', '--base', 'approved'], { cwd: repo });
    expect(stderr).toBe('warning: approved:defs/fixed.exdef.yaml does not parse or resolve; defs/fixed.exdef.yaml is compared as a new definition\n');
    expect(stdout).toContain('new definition: defs/fixed.exdef.yaml (phm-fixed v1)\n  needs IG review (1):\n    definition-added  (none) → phm-fixed version 1 — the version at approved does not parse or resolve, so this is reviewed as a new definition');
    expect(stdout).toContain('new definition: defs/flu-vaccination-uptake.exdef.yaml (flu-vaccination-uptake v1)\n  needs IG review (1):\n    definition-added  (none) → flu-vaccination-uptake version 1 — new definition: needs IG review');
    expect(stdout).toContain('approved:defs/phm-warehouse.exdef.yaml → defs/phm-warehouse.exdef.yaml (phm-warehouse v1)\n  needs IG review (1):\n    practices-added  population.practices:');
    expect(stdout).toContain('removed definition: defs/old/diabetes-recall.exdef.yaml (diabetes-recall v2)\n  no effect on the data (1):\n    definition-removed');
    expect(stdout).toContain('approved:defs/two-week-wait-audit.exdef.yaml → defs/two-week-wait.exdef.yaml (two-week-wait-audit v1)\n  no change in meaning');
    expect(stdout).not.toContain('chis-immunisations');
    expect(stdout).not.toContain('cervical-screening-recall');
    expect(stdout.trimEnd().split('\n').at(-1)).toBe('7 definitions compared with approved: 3 need IG review, 1 needs a new baseline, 3 unchanged in meaning');
    expect(status).toBe(1);
  });

  it('writes JSON with every comparison and its status', () => {
    const { status, stdout } = runCli(['diff', '--base', 'approved', '--json'], { cwd: repo });
    expect(status).toBe(1);
    const report = JSON.parse(stdout) as JsonReport;
    expect(report.base).toBe('approved');
    const byFile = Object.fromEntries(report.comparisons.map((c) => [c.new?.file ?? c.old?.file, c.status]));
    expect(byFile).toEqual({
      'defs/cervical-screening-recall.exdef.yaml': 'unchanged',
      'defs/chis-immunisations.exdef': 'unchanged',
      'defs/fixed.exdef.yaml': 'added',
      'defs/flu-vaccination-uptake.exdef.yaml': 'added',
      'defs/old/diabetes-recall.exdef.yaml': 'removed',
      'defs/phm-warehouse.exdef.yaml': 'changed',
      'defs/two-week-wait.exdef.yaml': 'changed',
    });
    const phm = report.comparisons.find((c) => c.new?.file === 'defs/phm-warehouse.exdef.yaml')!;
    expect(phm.old).toMatchObject({ file: 'approved:defs/phm-warehouse.exdef.yaml', id: 'phm-warehouse' });
    expect(phm.old!.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(phm.old!.fingerprint).not.toBe(phm.new!.fingerprint);
    expect(phm.changes.map((c) => [c.kind, c.class])).toEqual([['practices-added', 'needs-ig-review']]);
  });

  it('takes paths relative to the current directory, in a subdirectory too', () => {
    const sub = runCli(['diff', '--base', 'approved', '.'], { cwd: join(repo, 'defs') });
    expect(sub.stdout).toContain('approved:defs/phm-warehouse.exdef.yaml → phm-warehouse.exdef.yaml');
    expect(sub.stdout).toContain('removed definition: old/diabetes-recall.exdef.yaml');
    const one = runCli(['diff', '--base', 'approved', 'defs/chis-immunisations.exdef'], { cwd: repo });
    expect([one.status, one.stdout]).toEqual([0, '1 definition compared with approved: 0 need IG review, 0 need a new baseline, 1 unchanged in meaning\n']);
    const deleted = runCli(['diff', '--base', 'approved', 'defs/old/diabetes-recall.exdef.yaml', '--fail-on', 'any'], { cwd: repo });
    expect(deleted.stdout).toContain('removed definition: defs/old/diabetes-recall.exdef.yaml');
    expect(deleted.status).toBe(1);
  });

  it('fails with one clear line (exit 2) for an unknown ref, outside a repository, and for a broken definition', () => {
    const unknown = runCli(['diff', '--base', 'no-such-branch'], { cwd: repo });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr.split('\n')[0]).toBe(`error: unknown git ref "no-such-branch": no branch, tag or commit of that name in ${execFileSync('git', ['rev-parse', '--show-toplevel'], { cwd: repo, encoding: 'utf8' }).trim()}`);
    expect(unknown.stdout).toBe('');
    const outside = mkdtempSync(join(tmpdir(), 'exdef-nogit-'));
    try {
      const none = runCli(['diff', '--base', 'main'], { cwd: outside, env: { GIT_CEILING_DIRECTORIES: tmpdir() } });
      expect([none.status, none.stderr.trim()]).toEqual([2, `error: --base needs a git repository, and ${outside} is not inside one`]);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
    writeFileSync(join(repo, 'defs', 'broken.exdef.yaml'), readFileSync(at('phm-broken.exdef.yaml'), 'utf8'));
    try {
      const broken = runCli(['diff', '--base', 'approved'], { cwd: repo });
      expect(broken.status).toBe(2);
      expect(broken.stderr).toContain('defs/broken.exdef.yaml does not parse or resolve:');
      expect(broken.stderr).toContain('[wrong-argument-type]');
      expect(broken.stderr).toContain('error: cannot compare defs/broken.exdef.yaml: it does not parse or resolve (see above)');
      expect(broken.stdout).toContain('practices-added');
    } finally {
      unlinkSync(join(repo, 'defs', 'broken.exdef.yaml'));
    }
  });
});
