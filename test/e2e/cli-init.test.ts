import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/resources.js';
import { runCli } from '../support/cli.js';
import { inCi } from '../../src/ci-environment.js';

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'exdef-init-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const FLAGS = ['--organisation', 'NHS Example ICB', '--contact', 'ig@example-icb.nhs.uk', '--practice', 'A81001', '--practice', 'A81002'];

describe('exdef init', () => {
  it('scaffolds from flags; the file lints with only its placeholders to fill in (exit 1, each at its line)', () => {
    const dir = join(work, 'flags');
    mkdirSync(dir);
    const made = runCli(['init', '--id', 'copd-feed', '--use-case', 'data_warehouse', '--mode', 'delta', ...FLAGS], { cwd: dir });
    expect(made.stderr).toBe('');
    expect(made.status).toBe(0);
    expect(made.stdout).toMatch(/^wrote copd-feed\.exdef\.yaml\nnext: replace its 10 TODO placeholders/);
    const text = readFileSync(join(dir, 'copd-feed.exdef.yaml'), 'utf8');
    expect(text).toMatch(/^# yaml-language-server: \$schema=\S+\/schema\/exdef\.schema\.json$/m);
    const schemaRef = /\$schema=(\S+)/.exec(text)![1]!;
    expect(existsSync(join(dir, schemaRef)), 'the schema path resolves from the new file').toBe(true);
    expect(text).toContain('practices: [A81001, A81002]');
    expect(text).toContain('mode: delta');

    const linted = runCli(['lint', 'copd-feed.exdef.yaml', '--format', 'json', '--today', '2026-11-21'], { cwd: dir });
    expect(linted.status).toBe(1);
    const diagnostics = (JSON.parse(linted.stdout) as { results: { diagnostics: { code: string; severity: string; message: string; span?: { start: { line: number } } }[] }[] }).results[0]!.diagnostics;
    const errors = diagnostics.filter((d) => d.severity === 'error');
    expect(new Set(errors.map((d) => d.code))).toEqual(new Set(['governance-complete', 'justification-meaningful']));
    const lines = text.split('\n');
    // At the placeholder's line (a folded text's value starts on the line of its key, its TODO on the next).
    for (const d of errors.filter((e) => /placeholder/.test(e.message))) {
      const at = lines[d.span!.start.line - 1]!;
      expect(/: >-$/.test(at) ? lines[d.span!.start.line] : at).toContain('TODO:');
    }
  });

  it('writes every use case, mode and syntax as `exdef fmt` would: fmt --check passes the new files', () => {
    const dir = join(work, 'formatted');
    mkdirSync(dir);
    const made: string[] = [];
    for (const useCase of ['data_warehouse', 'targeted_reporting', 'direct_care_planning']) {
      for (const [syntax, mode] of [['exdef.yaml', 'full'], ['exdef', 'delta']] as const) {
        const file = `${useCase.replace(/_/g, '-')}-${mode}.${syntax}`;
        const result = runCli(['init', file, '--use-case', useCase, '--mode', mode, ...FLAGS], { cwd: dir });
        expect(result.status, result.stderr).toBe(0);
        made.push(file);
      }
    }
    const checked = runCli(['fmt', '--check', ...made], { cwd: dir });
    expect([checked.status, checked.stdout], checked.stderr).toEqual([0, '']);
  });

  it('writes the exdef language for a .exdef file, and takes the id from the file name', () => {
    const dir = join(work, 'exdef');
    mkdirSync(dir);
    const made = runCli(['init', 'definitions/asthma-recall.exdef', '--use-case', 'direct_care_planning', ...FLAGS], { cwd: dir, env: {} });
    // The directory does not exist: a clear error, nothing written.
    expect(made.status).toBe(2);
    expect(made.stderr.trim()).toBe('error: cannot write definitions/asthma-recall.exdef: no such directory');
    mkdirSync(join(dir, 'definitions'));
    const again = runCli(['init', 'definitions/asthma-recall.exdef', '--use-case', 'direct_care_planning', ...FLAGS], { cwd: dir });
    expect(again.status).toBe(0);
    const text = readFileSync(join(dir, 'definitions', 'asthma-recall.exdef'), 'utf8');
    expect(text).toMatch(/^EXTRACT asthma-recall$/m);
    expect(text).toMatch(/^ {2}TITLE 'Asthma recall'$/m);
    expect(text).toMatch(/^ {2}CARE direct$/m);
    expect(runCli(['convert', join('definitions', 'asthma-recall.exdef'), '--to', 'yaml'], { cwd: dir }).status).toBe(0);
  });

  it('never overwrites an existing file unless --force (exit 2)', () => {
    const dir = join(work, 'exists');
    mkdirSync(dir);
    writeFileSync(join(dir, 'mine.exdef.yaml'), 'precious\n');
    const refused = runCli(['init', 'mine.exdef.yaml', ...FLAGS], { cwd: dir });
    expect(refused.status).toBe(2);
    expect(refused.stderr.trim()).toBe('error: mine.exdef.yaml already exists; choose another FILE or --id, or give --force to overwrite it');
    expect(readFileSync(join(dir, 'mine.exdef.yaml'), 'utf8')).toBe('precious\n');
    expect(spawnSync('ls', ['-A', dir], { encoding: 'utf8' }).stdout.trim()).toBe('mine.exdef.yaml');
    const forced = runCli(['init', 'mine.exdef.yaml', '--force', ...FLAGS], { cwd: dir });
    expect(forced.status).toBe(0);
    expect(readFileSync(join(dir, 'mine.exdef.yaml'), 'utf8')).toMatch(/^id: mine$/m);
  });

  it('off a terminal, names the missing flags (exit 2) and refuses bad values before writing anything', () => {
    const dir = join(work, 'missing');
    mkdirSync(dir);
    const missing = runCli(['init', '--organisation', 'X'], { cwd: dir });
    expect(missing.status).toBe(2);
    expect(missing.stderr.trim()).toBe('error: not on a terminal, so nothing can be asked: give --id, --contact, --practice (see `exdef init --help`)');
    for (const [args, message] of [
      [['--id', 'Bad Id', ...FLAGS], /--id "Bad Id" is not an identifier in kebab-case/],
      [['--id', 'ok', ...FLAGS.slice(0, 4), '--practice', 'a81001'], /--practice: expected ODS codes .*"a81001" is not one/],
      [['--id', 'ok', '--contact', 'nobody', ...FLAGS.slice(0, 2), ...FLAGS.slice(4)], /--contact "nobody" is not the email address/],
      [['x.yaml', ...FLAGS], /x\.yaml: a definition file is named NAME\.exdef\.yaml/],
      [['x.exdef', '--syntax', 'yaml', ...FLAGS], /--syntax yaml does not match x\.exdef/],
      [['--id', 'ok', '--use-case', 'record_viewer', ...FLAGS], /Expected --use-case=record_viewer to be one of/],
    ] as const) {
      const r = runCli(['init', ...args], { cwd: dir });
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect(spawnSync('ls', ['-A', dir], { encoding: 'utf8' }).stdout.trim()).toBe('');
  });

  it('on a terminal, asks for what is missing, re-asks on a bad answer and takes defaults on Enter', async () => {
    if (spawnSync('script', ['--version']).status !== 0) {
      if (inCi()) throw new Error('util-linux `script` is needed for the terminal test');
      return;
    }
    const dir = join(work, 'tty');
    mkdirSync(dir);
    // Each answer is sent when its question appears, through a pseudo-terminal made by script(1).
    const answers: [RegExp, string][] = [
      [/Identifier \(kebab-case[^:]*: $/, 'Not An Id'],
      [/Identifier \(kebab-case[^:]*: $/, 'hypertension-audit'],
      [/Title \[Hypertension audit\]: $/, ''],
      [/Receiving organisation: $/, "O'Neill Audit Ltd"],
      [/Contact email: $/, 'audit@example.org'],
      [/Use case \([^)]*\) \[targeted_reporting\]: $/, ''],
      [/Care type \(direct, indirect\) \[indirect\]: $/, ''],
      [/Practice ODS codes \(separated by commas\): $/, 'A81001, A81003'],
      [/Syntax \(yaml, exdef\) \[yaml\]: $/, 'exdef'],
    ];
    const child = spawn('script', ['-qec', `${JSON.stringify(process.execPath)} ${JSON.stringify(join(packageRoot, 'bin', 'run.js'))} init`, '/dev/null'], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1', TERM: 'dumb' },
    });
    let output = '';
    let next = 0;
    const done = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      // eslint-disable-next-line no-control-regex
      const plain = output.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
      const pending = answers[next];
      if (pending && pending[0].test(plain)) {
        next++;
        output = '';
        child.stdin.write(`${pending[1]}\r`);
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const code = await done;
    clearTimeout(timer);
    expect(next, `answered ${next} of ${answers.length} questions; last output: ${output}`).toBe(answers.length);
    expect(code).toBe(0);
    const text = readFileSync(join(dir, 'hypertension-audit.exdef'), 'utf8');
    expect(text).toMatch(/^ {2}TITLE 'Hypertension audit'$/m);
    expect(text).toMatch(/^ {2}OWNER 'O''Neill Audit Ltd'$/m);
    expect(text).toMatch(/^ {2}USE CASE targeted_reporting$/m);
    expect(text).toMatch(/^ {2}PRACTICES A81001, A81003;$/m);
  }, 40_000);

  it('on a terminal, takes answers pasted in one go', async () => {
    if (spawnSync('script', ['--version']).status !== 0) {
      if (inCi()) throw new Error('util-linux `script` is needed for the terminal test');
      return;
    }
    const dir = join(work, 'paste');
    mkdirSync(dir);
    const child = spawn('script', ['-qec', `${JSON.stringify(process.execPath)} ${JSON.stringify(join(packageRoot, 'bin', 'run.js'))} init --syntax yaml`, '/dev/null'], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1', TERM: 'dumb' },
    });
    let output = '';
    let sent = false;
    const done = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? -1)));
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (!sent && /Identifier \(kebab-case[^:]*: /.test(output)) {
        sent = true;
        // Every answer at once, as a paste: the id, the default title, organisation, contact, use case, care type, practices.
        child.stdin.write(['pasted-feed', '', 'Paste Org', 'paste@example.org', 'data_warehouse', '', 'A81002'].map((l) => `${l}\r`).join(''));
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const code = await done;
    clearTimeout(timer);
    expect(code, output).toBe(0);
    const text = readFileSync(join(dir, 'pasted-feed.exdef.yaml'), 'utf8');
    expect(text).toMatch(/^title: Pasted feed$/m);
    expect(text).toMatch(/^ {2}organisation: Paste Org$/m);
    expect(text).toMatch(/^use_case: data_warehouse$/m);
    expect(text).toMatch(/^care_type: indirect$/m);
    expect(text).toMatch(/^ {2}practices: \[A81002\]$/m);
  }, 40_000);
});
