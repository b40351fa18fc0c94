import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot, resources } from '../../src/resources.js';
import { runCli } from '../support/cli.js';
import { scratchDatabase, testEngines, type ScratchDatabase } from '../support/engines.js';

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'exdef-cli-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const COMMANDS = ['db init', 'db seed', 'terminology import'];

/** Every command the CLI has, from the manifest the build writes (oclif's own list). */
function allCommands(): string[] {
  const manifest = JSON.parse(readFileSync(join(packageRoot, 'oclif.manifest.json'), 'utf8')) as { commands: Record<string, unknown> };
  return Object.keys(manifest.commands)
    .map((id) => id.replace(/:/g, ' '))
    .sort();
}

describe('exdef --help', () => {
  it('lists every command with a one-line summary', () => {
    const { status, stdout } = runCli(['--help']);
    expect(status).toBe(0);
    for (const command of COMMANDS) expect(stdout).toMatch(new RegExp(`^  ${command}\\s+\\S.+`, 'm'));
  });

  it.each(COMMANDS)('`%s --help` shows usage, flags and examples', (command) => {
    const { status, stdout } = runCli([...command.split(' '), '--help']);
    expect(status).toBe(0);
    expect(stdout).toContain('USAGE');
    expect(stdout).toContain('EXAMPLES');
    expect(stdout).toMatch(new RegExp(`\\$ exdef ${command}`));
  });

  it('every command has at least one example in its --help', () => {
    const commands = allCommands();
    expect(commands).toEqual(expect.arrayContaining(['compile', 'convert', 'db init', 'db seed', 'diff', 'explain', 'fmt', 'init', 'lint', 'rules', 'run', 'schema', 'terminology import']));
    // `help` is answered by oclif's help itself: `exdef help --help` shows the root help.
    const without = commands.filter((command) => command !== 'help').filter((command) => {
      const { status, stdout } = runCli([...command.split(' '), '--help']);
      return status !== 0 || !stdout.includes('EXAMPLES') || !new RegExp(`^\\s+\\$ exdef ${command}\\b`, 'm').test(stdout);
    });
    expect(without, 'commands whose --help has no example').toEqual([]);
  }, 120_000);

  it('a bad flag is a one-line error and exit code 2', () => {
    const { status, stderr, stdout } = runCli(['db', 'seed', '--patiens', '10']);
    expect(status).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toEqual(['error: Nonexistent flag: --patiens (see `exdef db seed --help`)']);
  });

  it('a bad value is a one-line error and exit code 2, before any database is opened', () => {
    const { status, stderr } = runCli(['db', 'seed', '--as-of', '2026-02-30'], { cwd: work });
    expect(status).toBe(2);
    expect(stderr.trim()).toBe('error: --as-of must be a date written YYYY-MM-DD, not "2026-02-30"');
  });
});

describe('db seed and terminology import on the embedded database', () => {
  it('seeds a project-local database that persists, prints what it made, and refuses to seed twice', () => {
    const cwd = join(work, 'project');
    mkdirSync(cwd);
    const first = runCli(['db', 'seed', '--patients', '60', '--seed', '3', '--as-of', '2026-11-21'], { cwd });
    expect(first.stderr).toContain(`seeded embedded PGlite database at ${cwd}/.exdef/pglite`);
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/^patient\s+60$/m);
    expect(first.stdout).toMatch(/^PDS-sensitive patients\s+[1-9]/m);
    const again = runCli(['db', 'seed', '--patients', '60', '--json'], { cwd });
    expect(again.status).toBe(2);
    expect(again.stderr).toContain('already holds 60 patients');
    expect(again.stderr).toContain('hint: add --replace');
    const replaced = runCli(['db', 'seed', '--patients', '30', '--seed', '3', '--as-of', '2026-11-21', '--replace', '--json'], { cwd });
    expect(replaced.status).toBe(0);
    const summary = JSON.parse(replaced.stdout) as { patients: number; rows: { patient: number } };
    expect(summary.rows.patient).toBe(30);
  });

  it('reports bad RF2 files at file:line and exits 1', () => {
    const dir = join(work, 'rf2');
    mkdirSync(dir);
    writeFileSync(join(dir, 'sct2_Concept_Snapshot_INT_1.txt'), 'id\teffectiveTime\tactive\tmoduleId\tdefinitionStatusId\n138875005\t2026\tyes\t900000000000207008\t900000000000074008\n');
    writeFileSync(join(dir, 'sct2_Relationship_Snapshot_INT_1.txt'), readFileSync(join(resources.sampleTerminology, 'sct2_Relationship_Snapshot_INT_20260101.txt'), 'utf8').split('\n')[0] + '\n');
    const { status, stderr } = runCli(['terminology', 'import', dir, '--database', 'memory:']);
    expect(status).toBe(1);
    expect(stderr).toContain(`${join(dir, 'sct2_Concept_Snapshot_INT_1.txt')}:2:`);
    expect(stderr).toContain('`active` must be 0 or 1, found "yes"');
    expect(stderr).toContain('error (terminology import): nothing was loaded');
  });

  it('loads the sample terminology', () => {
    const { status, stdout } = runCli(['terminology', 'import', '--sample', '--database', 'memory:']);
    expect(status).toBe(0);
    expect(stdout).toMatch(/^concepts\s+105$/m);
  });
});

describe('catalogue and connection errors', () => {
  it('a malformed catalogue is printed with file:line:col and a caret, exit 2', () => {
    const path = join(work, 'bad.catalogue.yaml');
    writeFileSync(path, readFileSync(resources.referenceCatalogue, 'utf8').replace('type: bigint, class: system, description: Internal key of the patient.', 'type: bigint, clas: system, description: Internal key of the patient.'));
    const { status, stderr } = runCli(['db', 'init', '--print', '--catalogue', path]);
    expect(status).toBe(2);
    expect(stderr).toMatch(new RegExp(`${path}:\\d+:\\d+ error unknown key \`clas\` in \`tables.patient.columns.patient_id\`; did you mean \`class\`\\? \\[schema-unknown-key\\]`));
    expect(stderr).toMatch(/\^{4}/);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('prints the DDL generated from the catalogue', () => {
    const { status, stdout } = runCli(['db', 'init', '--print']);
    expect(status).toBe(0);
    expect(stdout).toContain('CREATE TABLE IF NOT EXISTS "reporting"."observation"');
    expect(stdout).toContain('CREATE INDEX IF NOT EXISTS "observation_code_idx"');
  });

  it('a refused connection is one line and exit 2', () => {
    const { status, stderr } = runCli(['db', 'init', '--database', 'postgres://exdef:pw@127.0.0.1:1/reporting']);
    expect(status).toBe(2);
    expect(stderr.trim()).toBe('error (connect): cannot connect to postgres://exdef@127.0.0.1:1/reporting: connection refused (is the server running and listening there?)');
  });
});

describe.runIf(testEngines().includes('postgres'))('the CLI on PostgreSQL', () => {
  let scratch: ScratchDatabase;
  beforeAll(async () => {
    scratch = await scratchDatabase('postgres');
  });
  afterAll(async () => scratch?.drop());

  it('creates the schema and seeds through --database', () => {
    expect(runCli(['db', 'init', '--database', scratch.url]).status).toBe(0);
    const seeded = runCli(['db', 'seed', '--patients', '50', '--database', scratch.url, '--json', '--as-of', '2026-11-21']);
    expect(seeded.status).toBe(0);
    expect(JSON.parse(seeded.stdout).rows.patient).toBe(50);
  });
});
