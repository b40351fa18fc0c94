import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/resources.js';
import { runCli } from '../support/cli.js';

/**
 * Issue 12 items 4, 5, 6 and 9: one exit-code contract (0 clean, 1 findings / failed run / failed
 * test, 2 usage, configuration or environment errors), the same for the same mistake in every
 * command, ending in one clear line on stderr with no stack trace; with --json a JSON error object
 * on stdout too. The table in the README lists the same codes.
 */
let work: string;
const definition = join(packageRoot, 'definitions', 'diabetes-recall.exdef.yaml');
const testFile = join(packageRoot, 'definitions', 'diabetes-recall.test.yaml');

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'exdef-exit-'));
  mkdirSync(join(work, 'empty'));
  copyFileSync(definition, join(work, 'recall.exdef.yaml'));
  writeFileSync(join(work, 'alias.exdef.yaml'), 'id: &a [*a]\n');
  writeFileSync(join(work, 'file.txt'), 'not a directory\n');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

type Case = { command: string; args: () => string[] };

const unwritable = '/proc/exdef-cannot-be-here';

/** Each mistake, through each command it applies to: always exit 2. */
const MISTAKES: Record<string, Case[]> = {
  'a missing input file': [
    { command: 'lint', args: () => ['lint', 'missing.exdef.yaml'] },
    { command: 'compile', args: () => ['compile', 'missing.exdef.yaml'] },
    { command: 'run', args: () => ['run', 'missing.exdef.yaml', '--database', 'memory:'] },
    { command: 'report', args: () => ['report', 'missing.exdef.yaml'] },
    { command: 'test', args: () => ['test', 'missing.test.yaml'] },
    { command: 'fmt', args: () => ['fmt', 'missing.exdef.yaml'] },
    { command: 'diff', args: () => ['diff', 'missing.exdef.yaml', definition] },
    { command: 'convert', args: () => ['convert', 'missing.exdef.yaml', '--to', 'exdef'] },
    { command: 'terminology import', args: () => ['terminology', 'import', 'missing-rf2', '--database', 'memory:'] },
  ],
  'an empty directory': [
    { command: 'lint', args: () => ['lint', join(work, 'empty')] },
    { command: 'test', args: () => ['test', join(work, 'empty')] },
    { command: 'fmt', args: () => ['fmt', join(work, 'empty')] },
    { command: 'compile', args: () => ['compile', join(work, 'empty')] },
    { command: 'run', args: () => ['run', join(work, 'empty'), '--database', 'memory:'] },
    { command: 'report', args: () => ['report', join(work, 'empty')] },
    { command: 'convert', args: () => ['convert', join(work, 'empty'), '--to', 'exdef'] },
    { command: 'terminology import', args: () => ['terminology', 'import', join(work, 'empty'), '--database', 'memory:'] },
  ],
  'a mistyped directory': [
    { command: 'lint', args: () => ['lint', join(work, 'definitons/')] },
    { command: 'test', args: () => ['test', join(work, 'definitons/')] },
    { command: 'fmt', args: () => ['fmt', join(work, 'definitons/')] },
  ],
  'an unwritable output': [
    { command: 'compile', args: () => ['compile', definition, '-o', unwritable] },
    { command: 'run', args: () => ['run', definition, '--database', 'memory:', '--out', unwritable] },
    { command: 'run', args: () => ['run', definition, '--database', 'memory:', '--out', ''] },
    { command: 'test', args: () => ['test', testFile, '-o', join(unwritable, 'report.xml')] },
    { command: 'convert', args: () => ['convert', definition, '--to', 'exdef', '-o', join(unwritable, 'a.exdef')] },
    { command: 'init', args: () => ['init', join(unwritable, 'a.exdef.yaml'), '--id', 'a', '--organisation', 'NHS Test ICB', '--contact', 'ig@test.nhs.uk', '--practice', 'A81001'] },
    { command: 'report', args: () => ['report', definition, '-o', join(unwritable, 'review.html'), '--database', join(work, 'file.txt')] },
  ],
  'an output under a file': [
    { command: 'compile', args: () => ['compile', definition, '-o', join(work, 'file.txt', 'a.sql')] },
    { command: 'test', args: () => ['test', testFile, '--format', 'junit', '-o', join(work, 'file.txt', 'report.xml')] },
    { command: 'convert', args: () => ['convert', definition, '--to', 'exdef', '-o', join(work, 'file.txt', 'a.exdef')] },
    { command: 'init', args: () => ['init', join(work, 'file.txt', 'a.exdef.yaml'), '--id', 'a', '--organisation', 'NHS Test ICB', '--contact', 'ig@test.nhs.uk', '--practice', 'A81001'] },
    { command: 'report', args: () => ['report', definition, '-o', join(work, 'file.txt', 'review.html')] },
  ],
  'a missing terminology directory': [
    { command: 'lint', args: () => ['lint', definition, '--terminology', join(work, 'no-rf2')] },
    { command: 'compile', args: () => ['compile', definition, '--terminology', join(work, 'no-rf2')] },
    { command: 'run', args: () => ['run', definition, '--database', 'memory:', '--out', join(work, 'out-t'), '--terminology', join(work, 'no-rf2')] },
    { command: 'report', args: () => ['report', definition, '--terminology', join(work, 'no-rf2')] },
    { command: 'test', args: () => ['test', testFile, '--terminology', join(work, 'no-rf2')] },
    { command: 'terminology import', args: () => ['terminology', 'import', join(work, 'no-rf2'), '--database', 'memory:'] },
  ],
  'a bad flag': [
    { command: 'lint', args: () => ['lint', definition, '--fromat', 'json'] },
    { command: 'run', args: () => ['run', definition, '--ful'] },
    { command: 'compile', args: () => ['compile', definition, '--today', '2026-13-01'] },
  ],
  'an unknown command': [
    { command: 'lnit', args: () => ['lnit', definition] },
    { command: 'help lnit', args: () => ['help', 'lnit'] },
  ],
};

/** One clear line: the last line of stderr starts `error`, no stack trace, no "bug in exdef". */
function expectOneClearLine(stderr: string): void {
  expect(stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  expect(stderr).not.toMatch(/internal error|a bug in exdef/);
  const errors = stderr.split('\n').filter((l) => /^error\b/.test(l));
  expect(errors, stderr).toHaveLength(1);
}

describe('the exit-code contract: the same mistake, the same code, in every command', () => {
  const rows = Object.entries(MISTAKES).flatMap(([mistake, cases]) => cases.map((c) => ({ mistake, ...c })));
  it.each(rows)('$mistake: $command exits 2 with one clear line', ({ args }) => {
    const { status, stderr } = runCli(args(), { cwd: work });
    expectOneClearLine(stderr);
    expect(status, stderr).toBe(2);
  });

  it('an unknown command suggests the nearest', () => {
    expect(runCli(['lnit']).stderr).toMatch(/^error: `lnit` is not an exdef command; did you mean `lint`\?$/m);
    expect(runCli(['db', 'sed']).stderr).toMatch(/did you mean `db seed`\?/);
    // With its arguments: the command is named without them, and still suggested.
    expect(runCli(['lnit', 'definitions/phm-warehouse.exdef.yaml']).stderr).toMatch(/^error: `lnit` is not an exdef command; did you mean `lint`\?$/m);
    expect(runCli(['complie', 'x.exdef.yaml', '--json']).stderr).toMatch(/^error: `complie` is not an exdef command; did you mean `compile`\?$/m);
    expect(runCli(['terminology', 'imprt', 'some/dir']).stderr).toMatch(/^error: `terminology imprt` is not an exdef command; did you mean `terminology import`\?$/m);
  });

  it('`exdef explain` explains a diagnostic code that is not a policy rule, and suggests the nearest of either', () => {
    const code = runCli(['explain', 'duplicate-definition-id']);
    expect(code.status, code.stderr).toBe(0);
    expect(code.stdout).toMatch(/^duplicate-definition-id — a resolve check: .* \(not a policy rule\)$/m);
    expect(code.stdout).toContain('the definition id `‹id›` is also the id of ‹other›');
    const unknown = runCli(['explain', 'misspelt-keywrd']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/^error: `misspelt-keywrd` is not a rule or a diagnostic code; did you mean `misspelt-keyword`\?/m);
  });

  it('`exdef help lint` shows the help of lint', () => {
    const { status, stdout } = runCli(['help', 'lint']);
    expect(status).toBe(0);
    expect(stdout).toContain('USAGE');
    expect(stdout).toContain('$ exdef lint');
  });

  it('findings are exit 1; clean is 0', () => {
    expect(runCli(['lint', definition]).status).toBe(0);
    const { status, stdout } = runCli(['lint', join(work, 'recall.exdef.yaml'), definition]);
    expect(status, stdout).toBe(1);
  });
});

describe('user mistakes with limits are clear errors, not internal errors', () => {
  it('a self-referencing YAML alias', () => {
    const { status, stdout, stderr } = runCli(['lint', join(work, 'alias.exdef.yaml')]);
    expect(stderr).not.toMatch(/internal error|a bug in exdef|^\s+at /m);
    expect(status).toBe(1);
    expect(stdout).toMatch(/alias\.exdef\.yaml:\d+:\d+/);
  });

  it('a 10 MB literal', () => {
    const path = join(work, 'huge.exdef.yaml');
    writeFileSync(path, `id: x\ntitle: "${'a'.repeat(10 * 1024 * 1024)}"\n`);
    const { status, stdout, stderr } = runCli(['lint', path]);
    expect(stderr).not.toMatch(/internal error|a bug in exdef|^\s+at /m);
    expect([1, 2]).toContain(status);
    expect(stdout.length + stderr.length).toBeLessThan(100_000);
  });

  it('deep nesting', () => {
    const path = join(work, 'deep.exdef.yaml');
    writeFileSync(path, `id: x\ntitle: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`);
    const { status, stderr } = runCli(['lint', path]);
    expect(stderr).not.toMatch(/internal error|a bug in exdef|^\s+at /m);
    expect([1, 2]).toContain(status);
  });
});

describe('duplicate definition ids across the files of one lint run', () => {
  it('is an error at both ids, each naming the other', () => {
    const dir = join(work, 'dup');
    mkdirSync(dir, { recursive: true });
    copyFileSync(definition, join(dir, 'a.exdef.yaml'));
    copyFileSync(definition, join(dir, 'b.exdef.yaml'));
    const { status, stdout } = runCli(['lint', dir]);
    expect(status).toBe(1);
    const a = join(dir, 'a.exdef.yaml');
    const b = join(dir, 'b.exdef.yaml');
    // Where the id is written: its line (after the schema modeline and any comments), column 5.
    const at = `${readFileSync(definition, 'utf8').split('\n').findIndex((l) => l.startsWith('id: ')) + 1}:5`;
    expect(stdout).toMatch(new RegExp(`^${a}:${at} error the definition id \`diabetes-recall\` is also the id of ${b}:${at}.*\\[duplicate-definition-id\\]$`, 'm'));
    expect(stdout).toMatch(new RegExp(`^${b}:${at} error the definition id \`diabetes-recall\` is also the id of ${a}:${at}`, 'm'));
  });

  it('is not one for the YAML and exdef-language forms of one definition (NAME.exdef.yaml and NAME.exdef)', () => {
    const { status, stdout } = runCli(['lint', join(packageRoot, 'definitions')]);
    expect(stdout).not.toContain('duplicate-definition-id');
    expect(status).toBe(0);
  });
});

describe('--json always answers', () => {
  const JSON_CASES: { command: string; args: () => string[]; code: 'usage' | 'failed'; exit: number }[] = [
    { command: 'compile', args: () => ['compile', 'missing.exdef.yaml', '--json'], code: 'usage', exit: 2 },
    { command: 'compile (lint errors)', args: () => ['compile', join(work, 'alias.exdef.yaml'), '--json'], code: 'failed', exit: 1 },
    { command: 'run', args: () => ['run', 'missing.exdef.yaml', '--json'], code: 'usage', exit: 2 },
    { command: 'diff', args: () => ['diff', 'missing.exdef.yaml', definition, '--json'], code: 'usage', exit: 2 },
    { command: 'rules', args: () => ['rules', '--json', '--nonsense'], code: 'usage', exit: 2 },
    { command: 'db seed', args: () => ['db', 'seed', '--json', '--patients', '0', '--database', 'memory:'], code: 'usage', exit: 2 },
    { command: 'terminology import', args: () => ['terminology', 'import', 'missing-rf2', '--json', '--database', 'memory:'], code: 'usage', exit: 2 },
    { command: 'an unknown command', args: () => ['lnit', '--json'], code: 'usage', exit: 2 },
  ];
  it.each(JSON_CASES)('$command: a JSON error object on stdout, the human line on stderr', ({ args, code, exit }) => {
    const { status, stdout, stderr } = runCli(args(), { cwd: work });
    expect(status).toBe(exit);
    const answer = JSON.parse(stdout) as { error: { code: string; exitCode: number; message: string; step: string | null } };
    expect(answer.error).toMatchObject({ code, exitCode: exit });
    expect(answer.error.message.length).toBeGreaterThan(0);
    expect(stderr).toContain(answer.error.message);
  });
});

describe('run: cheap checks first', () => {
  it('a bad --out fails before any database is opened or seeded (no embedded database is created)', () => {
    const cwd = join(work, 'fresh');
    mkdirSync(cwd);
    const { status, stderr } = runCli(['run', definition, '--out', unwritable], { cwd });
    expect(status, stderr).toBe(2);
    expect(stderr).toMatch(/^error \(output\): cannot write to the output directory \/proc\/exdef-cannot-be-here: /m);
    expect(stderr).not.toMatch(/seeding|connecting/);
    expect(existsSync(join(cwd, '.exdef')), 'the embedded database was not created').toBe(false);
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('a definition with lint errors fails before any database is opened or seeded', () => {
    const cwd = join(work, 'fresh-lint');
    mkdirSync(cwd);
    const { status, stderr } = runCli(['run', join(work, 'alias.exdef.yaml'), '--out', 'out'], { cwd });
    expect(status, stderr).toBe(1);
    expect(stderr).not.toMatch(/seeding|connecting/);
    expect(existsSync(join(cwd, '.exdef'))).toBe(false);
  });

  it('a missing key fails before any database is opened or seeded', () => {
    const cwd = join(work, 'fresh-key');
    mkdirSync(cwd);
    const phm = join(packageRoot, 'definitions', 'phm-warehouse.exdef.yaml');
    const { status, stderr } = runCli(['run', phm, '--out', 'out'], { cwd, env: { EXDEF_KEY_PHM_ICB_KEY: '' } });
    expect(status, stderr).toBe(2);
    expect(stderr).toMatch(/^error \(keys\): /m);
    expect(stderr).not.toMatch(/seeding|connecting/);
    expect(existsSync(join(cwd, '.exdef'))).toBe(false);
  });

  it('a usage error writes no log', () => {
    const cwd = join(work, 'fresh-usage');
    mkdirSync(cwd);
    const { status } = runCli(['run', definition, '--out', 'out', '--practice', 'Z99999', '--database', 'memory:'], { cwd });
    expect(status).toBe(2);
    expect(existsSync(join(cwd, 'out', 'logs'))).toBe(false);
  });
});

