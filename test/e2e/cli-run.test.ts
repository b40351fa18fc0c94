/**
 * `exdef run` end to end, through the built CLI, on PGlite and (when EXDEF_TEST_DATABASE_URL is
 * set) PostgreSQL: every shipped definition delivered and checked against the plan's own queries
 * run by the test, canary rows that must never leave, --practice, --json --quiet, a refused
 * definition, the embedded database seeded on first use, and S/MIME encryption.
 */
import { approvedProvider } from '../support/approvals.js';
import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../support/certificates.js';
import type { Database } from '../../src/db/database.js';
import { openDatabase } from '../../src/db/open-database.js';
import type { Manifest, RunResult } from '../../src/execute/run-extract.js';
import type { ExtractDefinition } from '../../src/ir/extract-definition.js';
import { compileDefinitionFile } from '../../src/pipeline/compile-definition.js';
import { resources } from '../../src/resources.js';
import { nhsCheckDigit } from '../../src/seed/nhs-number.js';
import { bindParameters, type RunValues } from '../../src/sql/bind-parameters.js';
import type { CompiledPlan } from '../../src/sql/compile-extract.js';
import { runCli, type CliResult } from '../support/cli.js';
import { lintContext, TODAY } from '../support/compile.js';
import { scratchDatabase, testEngines, type EngineName } from '../support/engines.js';
import { expectedCsvFiles, lineEndingProblems, parseCsv, readLogFile, sha256, testZip, zipMember, zipMembers } from '../support/run-output.js';

const KEYS = new Map([
  ['phm-icb-key', '3f9c1e7a5b2d8046c1e9f7a3b5d2086e4c1a9f7b'],
  ['tww-audit-key', 'b7e2d9c4a1f8063e5d2c9b7a4f1e8063d5c2b9a7'],
  ['flu-icb-key', '5a8d3f1c7e9b2046a8d3f1c7e9b2046a8d3f1c7e'],
]);
const DEFINITIONS = readdirSync(resources.definitions)
  .filter((f) => f.endsWith('.exdef.yaml'))
  .sort();
const definitionFile = (name: string) => join(resources.definitions, name);
const logName = `im1_bulk_log_${TODAY}.txt`;

let work: string;
let keysFile: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'exdef-run-'));
  keysFile = join(work, 'keys.yaml');
  writeFileSync(keysFile, [...KEYS].map(([name, key]) => `${name}: ${key}\n`).join(''), { mode: 0o600 });
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

// ---------------------------------------------------------------------------------------------
// A seeded database per engine, and runs on it

/** A database the CLI runs on (--database) and the test reads its expectation from. */
interface RunDatabase {
  url: string;
  /** Runs `fn` on the database in this process (a PGlite directory is opened only while no CLI holds it). */
  use<T>(fn: (db: Database) => Promise<T>): Promise<T>;
  drop(): Promise<void>;
}

async function seededDatabase(engine: EngineName, name: string, options: { patients: number; seed: number }): Promise<RunDatabase> {
  let database: RunDatabase;
  if (engine === 'pglite') {
    const url = `pglite:${join(work, name)}`;
    database = {
      url,
      async use(fn) {
        const db = await openDatabase({ url });
        try {
          return await fn(db);
        } finally {
          await db.close();
        }
      },
      drop: async () => undefined,
    };
  } else {
    const scratch = await scratchDatabase('postgres');
    database = { url: scratch.url, use: (fn) => fn(scratch.db), drop: () => scratch.drop() };
  }
  const seeded = runCli(['db', 'seed', '--database', database.url, '--patients', String(options.patients), '--practices', '3', '--seed', String(options.seed), '--as-of', TODAY, '--json']);
  if (seeded.status !== 0) throw new Error(`exdef db seed failed: ${seeded.stderr}`);
  return database;
}

/**
 * The policy these delivery tests run under: the IM1 policy, but pseudonymised data below k only
 * warned about. The seeded database is small (600 patients), where the shipped indirect-care
 * definitions' pseudonymised datasets measure k below 10 and the IM1 policy refuses them (see
 * test/unit/disclosure/mosaic-run.test.ts); these tests are about what a delivery holds.
 */
const warnPolicyFile = join(mkdtempSync(join(tmpdir(), 'exdef-run-policy-')), 'warn.policy.yaml');
writeFileSync(warnPolicyFile, 'policy: 1\nname: Delivery tests (pseudonymised data below k warned about)\nthresholds:\n  pseudonymised_below_k: warn\n');

function runDefinition(db: RunDatabase, file: string, out: string, flags: string[]): CliResult {
  return runCli(['run', file, '--database', db.url, '--out', out, '--today', TODAY, '--keys', keysFile, '--policy', warnPolicyFile, '--provider', approvedProvider(file).file, ...flags]);
}

interface Compiled {
  definition: ExtractDefinition;
  plan: CompiledPlan;
}

async function compiled(file: string): Promise<Compiled> {
  const result = compileDefinitionFile(file, await lintContext());
  if (!result.definition || !result.plan) throw new Error(`${file} does not compile: ${result.diagnostics.map((d) => d.message).join('; ')}`);
  return { definition: result.definition, plan: result.plan };
}

// ---------------------------------------------------------------------------------------------
// Checking a delivery

const SUMMARY_KEYS = ['status', 'definition', 'mode', 'reason', 'extractDate', 'snapshot', 'output', 'log', 'encrypted', 'files', 'rows', 'bytes', 'disclosure', 'linkedDisclosure', 'seconds', 'warnings'];
const MANIFEST_KEYS = ['manifest', 'generator', 'definition', 'extractDate', 'snapshot', 'mode', 'reason', 'catalogue', 'policy', 'practices', 'excluded', 'layout', 'csv', 'population', 'files', 'disclosure', 'linkedDisclosure'].sort();
const DISCLOSURE_KEYS = ['dataset', 'identification', 'quasiIdentifiers', 'k', 'groups', 'threshold', 'outcome', 'note'].sort();

interface Delivery {
  summary: RunResult;
  manifest: Manifest;
  /** The CSV files by their path in the ZIP, in the manifest's order. */
  csv: Map<string, Buffer>;
}

/**
 * A ZIP against itself, the summary and the definition: unzip -t passes; it holds the manifest's
 * files and manifest.json, nothing else; each file's bytes, sha256 and rows are what the manifest
 * and the summary say.
 */
function checkPackage(zip: string, summary: RunResult, c: Compiled, practices: readonly string[]): Omit<Delivery, 'summary'> {
  const tested = testZip(zip);
  expect(tested.status, tested.output).toBe(0);
  const manifest = JSON.parse(zipMember(zip, 'manifest.json').toString('utf8')) as Manifest;
  const dialect = c.definition.output.csv;
  expect(manifest).toMatchObject({
    manifest: 1,
    definition: { id: c.plan.definition.id, version: c.plan.definition.version, title: c.plan.definition.title, fingerprint: c.plan.definition.fingerprint, digest: c.plan.definition.digest },
    extractDate: TODAY,
    snapshot: summary.snapshot,
    mode: summary.mode,
    reason: summary.reason,
    practices,
    layout: c.plan.definition.layout,
    csv: { delimiter: dialect.delimiter, quote: dialect.quote, header: dialect.header, lineEnding: dialect.lineEnding },
  });
  // A delta definition's manifest also says what its output was compared with (delta by comparison).
  // A run for some practices (--practice) says so: a full of those practices only, never one that replaces everything.
  expect(manifest.scope).toEqual(summary.scope);
  // The rules the guards were built from: the reference catalogue and the IM1 policy, by name and digest.
  expect((manifest as unknown as { catalogue: { digest: string } }).catalogue.digest).toMatch(/^[0-9a-f]{64}$/);
  expect((manifest as unknown as { policy: { digest: string } }).policy.digest).toMatch(/^[0-9a-f]{64}$/);
  expect(Object.keys(manifest).sort()).toEqual([...MANIFEST_KEYS, ...(c.plan.definition.mode === 'delta' ? ['comparison'] : []), ...(summary.scope ? ['scope'] : [])].sort());
  expect(manifest.generator).toMatch(/^exdef /);
  expect(zipMembers(zip).sort()).toEqual([...manifest.files.map((f) => f.path), 'manifest.json'].sort());
  const csv = new Map<string, Buffer>();
  for (const file of manifest.files) {
    const bytes = zipMember(zip, file.path);
    const records = parseCsv(bytes, dialect).length - (dialect.header ? 1 : 0);
    expect({ path: file.path, bytes: bytes.length, sha256: sha256(bytes), rows: records }).toEqual({ path: file.path, bytes: file.bytes, sha256: file.sha256, rows: file.rows });
    expect(file.path).toBe(`${file.practice ? `${file.practice}/` : ''}${file.dataset}.csv`);
    const dataset = c.plan.datasets.find((d) => d.name === file.dataset)!;
    expect(file.columns).toEqual(
      dataset.columns.filter((column) => column.role !== 'practice' && column.role !== 'held').map((column) => ({ name: column.name, type: column.role === 'field' ? column.type : 'text' })),
    );
    csv.set(file.path, bytes);
  }
  expect(summary.files).toEqual(manifest.files.map(({ columns: _columns, ...file }) => file));
  expect(summary.rows).toBe(manifest.files.reduce((n, f) => n + f.rows, 0));
  expect(summary.disclosure).toEqual(manifest.disclosure);
  expect(summary.linkedDisclosure).toEqual(manifest.linkedDisclosure);
  expect(manifest.linkedDisclosure.map((d) => d.datasets)).toEqual(c.plan.linkedDisclosure.map((d) => d.datasets));
  for (const check of manifest.disclosure) expect(Object.keys(check).sort()).toEqual(DISCLOSURE_KEYS);
  expect(manifest.disclosure.map((d) => d.dataset)).toEqual(c.plan.datasets.map((d) => d.name));
  return { manifest, csv };
}

/**
 * The disclosure check, worked out again from the CSVs: for each dataset (one group when it has no quasi-identifiers)
 * and no direct identifier, the smallest number of people (told apart by their person_key, as
 * the shipped definitions name the pseudonym) sharing one combination of their values, the number
 * of combinations, and the outcome the policy gives (below k in indirect care a de-identified dataset fails; a pseudonymised one is warned about under the delivery tests' policy, warnPolicyFile).
 */
function checkDisclosure(delivery: Omit<Delivery, 'summary'>, summary: RunResult, c: Compiled): void {
  for (const check of delivery.manifest.disclosure) {
    expect(check.threshold).toBe(10);
    // With a direct identifier every group is one patient; without quasi-identifiers direct care is not measured.
    if (check.identification === 'identified' || (check.quasiIdentifiers.length === 0 && c.definition.careType === 'direct')) {
      expect(check, check.dataset).toMatchObject({ k: null, groups: 0, outcome: 'not applicable' });
      continue;
    }
    // Without quasi-identifiers (indirect care) the dataset is one group: k is the patients its rows are of.
    const people = new Map<string, Set<string>>();
    for (const file of delivery.manifest.files.filter((f) => f.dataset === check.dataset)) {
      const [header, ...records] = parseCsv(delivery.csv.get(file.path)!, delivery.manifest.csv);
      const person = header!.indexOf('person_key');
      const quasiIdentifiers = check.quasiIdentifiers.map((name) => header!.indexOf(name));
      expect([person, ...quasiIdentifiers], `the columns of ${file.path}`).not.toContain(-1);
      for (const record of records) {
        const combination = JSON.stringify(quasiIdentifiers.map((i) => record[i]));
        people.set(combination, (people.get(combination) ?? new Set()).add(record[person]!));
      }
    }
    const k = people.size === 0 ? null : Math.min(...[...people.values()].map((group) => group.size));
    expect({ dataset: check.dataset, k: check.k, groups: check.groups }).toEqual({ dataset: check.dataset, k, groups: people.size });
    const outcome = k === null || k >= check.threshold || c.definition.careType === 'direct' ? 'pass' : check.identification === 'de-identified' ? 'fail' : 'warn';
    expect(check.outcome, check.dataset).toBe(outcome);
    if (outcome === 'warn') expect(summary.warnings).toContain(check.note);
  }
}

/** The log file: seed 000's six lines, complete, counting the CSV files. */
function checkLog(summary: RunResult, out: string, csvFiles: number): void {
  expect(summary.log).toBe(join(out, 'logs', logName));
  const log = readLogFile(readFileSync(summary.log, 'utf8'));
  expect(log).toMatchObject({ status: 'COMPLETE', errors: 0, files: csvFiles });
  expect(log.completed.getTime()).toBeGreaterThanOrEqual(log.started.getTime());
  expect(Math.abs(log.seconds - (log.completed.getTime() - log.started.getTime()) / 1000)).toBeLessThanOrEqual(1);
}

/**
 * What the run must have delivered, by the test's own reading of the database: each dataset's
 * full query bound with the run's values (record ids of a delta definition under the record key
 * its run saved), and the population's patients who are not opted out.
 */
async function expectation(db: Database, c: Compiled, practices: string[] | undefined): Promise<{ files: Map<string, string[][]>; patients: number }> {
  let recordKey: string | undefined;
  if (c.plan.definition.mode === 'delta') {
    const [state] = await db.query<{ record_key: string }>('SELECT record_key FROM exdef_state.extract_state WHERE definition_id = $1', [c.plan.definition.id]);
    expect(state, `the state of ${c.plan.definition.id}`).toBeDefined();
    recordKey = state!.record_key;
  }
  const values: RunValues = { snapshotDate: TODAY, keys: KEYS, ...(recordKey ? { recordKey } : {}), ...(practices ? { practices } : {}) };
  const files = await expectedCsvFiles(db, c.plan, values, { practices: practices ?? c.definition.population.practices, header: c.definition.output.csv.header });
  const population = await db.query<{ opted_out: boolean }>(c.plan.population.sql, bindParameters(c.plan, c.plan.population, values));
  return { files, patients: population.filter((p) => !p.opted_out).length };
}

/** Every CSV is what the plan's queries give, in the definition's dialect. */
function checkCsvFiles(csv: Map<string, Buffer>, expected: Map<string, string[][]>, c: Compiled): void {
  const dialect = c.definition.output.csv;
  expect([...csv.keys()]).toEqual([...expected.keys()]);
  for (const [path, bytes] of csv) {
    const records = expected.get(path)!;
    expect(lineEndingProblems(bytes, dialect), path).toEqual([]);
    if (dialect.header) {
      const eol = dialect.lineEnding === 'crlf' ? '\r\n' : '\n';
      expect(bytes.subarray(0, bytes.indexOf(eol)).toString('utf8'), `the header of ${path}`).toBe(records[0]!.join(dialect.delimiter));
    }
    expect(parseCsv(bytes, dialect), path).toEqual(records);
  }
}

/** A complete run, and what it delivered. */
interface CheckedRun {
  file: string;
  out: string;
  cli: CliResult;
  /** The practices the run was asked for (--practice), if any. */
  practices?: string[];
  delivery: Delivery;
}

/**
 * A run with `--json --quiet` that must complete, checked as far as it can be without the
 * database: stdout is the JSON summary alone and stderr only its warnings; the ZIP, the manifest
 * and the log agree with each other, the summary and the definition.
 */
async function deliver(db: RunDatabase, file: string, out: string, options: { flags?: string[]; practices?: string[] } = {}): Promise<CheckedRun> {
  const practiceFlags = (options.practices ?? []).flatMap((p) => ['--practice', p]);
  const cli = runDefinition(db, file, out, ['--json', '--quiet', ...(options.flags ?? []), ...practiceFlags]);
  expect(cli.status, cli.stderr).toBe(0);
  const summary = JSON.parse(cli.stdout) as RunResult;
  expect(cli.stdout, 'stdout is the JSON summary alone').toBe(`${JSON.stringify(summary, null, 2)}\n`);
  expect(cli.stderr.split('\n').filter((line) => line !== ''), 'stderr holds the warnings only').toEqual(summary.warnings.map((w) => `warning: ${w}`));
  expect(Object.keys(summary)).toEqual(expect.arrayContaining(SUMMARY_KEYS));
  expect(summary.seconds).toBeGreaterThanOrEqual(0);
  const c = await compiled(file);
  const id = c.plan.definition.id;
  expect(summary).toMatchObject({
    status: 'COMPLETE',
    definition: { id, version: c.plan.definition.version, fingerprint: c.plan.definition.fingerprint },
    mode: 'full',
    extractDate: TODAY,
    encrypted: false,
  });
  expect(summary.output).toBe(join(out, basename(summary.output)));
  expect(basename(summary.output)).toMatch(new RegExp(`^${id}_\\d{8}T\\d{6}Z_full\\.zip$`));
  expect(summary.bytes).toBe(statSync(summary.output).size);
  expect(readdirSync(out).sort(), 'nothing but the ZIP and the logs').toEqual([basename(summary.output), 'logs'].sort());
  // A run for some practices says which (the manifest's scope, checked equal in checkPackage): never a full that replaces everything.
  expect(summary.scope).toEqual(options.practices ? { practices: options.practices } : undefined);
  const delivery = checkPackage(summary.output, summary, c, options.practices ?? c.definition.population.practices);
  checkDisclosure(delivery, summary, c);
  checkLog(summary, out, delivery.csv.size);
  return { file, out, cli, ...(options.practices ? { practices: options.practices } : {}), delivery: { summary, ...delivery } };
}

// ---------------------------------------------------------------------------------------------

/** The complete runs on each engine, by name: their CSVs are checked against the database, their bytes scanned for canaries. */
const runsByEngine = new Map<EngineName, Map<string, CheckedRun>>();

describe.each(testEngines())('exdef run on %s', (engine) => {
  let db: RunDatabase;
  let canary: Planted;
  const runs = new Map<string, CheckedRun>();
  runsByEngine.set(engine, runs);
  const dir = (name: string) => join(work, engine, name);

  beforeAll(async () => {
    db = await seededDatabase(engine, `${engine}-seeded`, { patients: 600, seed: 5 });
    canary = plantCanaries();
    await db.use(async (session) => {
      for (const statement of canary.statements) await session.query(statement.sql, statement.params);
    });
  });
  afterAll(async () => db?.drop());

  it.each(DEFINITIONS)('delivers %s: unzip -t passes, the manifest, summary and log describe the ZIP\'s files', async (name) => {
    runs.set(name, await deliver(db, definitionFile(name), dir(name)));
  });

  it('delivers the exdef-language twin of phm-warehouse with the same CSVs as its YAML', async () => {
    const twin = await deliver(db, definitionFile('phm-warehouse.exdef'), dir('twin'), { flags: ['--force'] });
    runs.set('twin', twin);
    const yaml = runs.get('phm-warehouse.exdef.yaml');
    expect(yaml, 'the YAML run').toBeDefined();
    expect(twin.delivery.manifest.definition.fingerprint).toBe(yaml!.delivery.manifest.definition.fingerprint);
    expect(twin.delivery.csv).toEqual(yaml!.delivery.csv);
  });

  it('--practice A81001 delivers only that practice\'s folder in per-practice layout', async () => {
    const run = await deliver(db, definitionFile('phm-warehouse.exdef.yaml'), dir('practice-folders'), { flags: ['--force'], practices: ['A81001'] });
    runs.set('practice folders', run);
    expect(run.delivery.manifest.files.map((f) => f.path)).toEqual(['A81001/people.csv', 'A81001/long_term_conditions.csv', 'A81001/blood_pressure.csv']);
    expect(run.delivery.manifest.files.every((f) => f.practice === 'A81001' && f.rows > 0)).toBe(true);
  });

  it('--practice A81001 delivers only that practice\'s rows in one ZIP, and is not held back by the schedule', async () => {
    // No --force: the weekly two-week-wait-audit already ran today, but a run for some practices is always allowed.
    const run = await deliver(db, definitionFile('two-week-wait-audit.exdef.yaml'), dir('practice-rows'), { practices: ['A81001'] });
    runs.set('practice rows', run);
    const [header, ...records] = parseCsv(run.delivery.csv.get('referrals.csv')!, run.delivery.manifest.csv);
    const practice = header!.indexOf('practice');
    expect(records.length).toBeGreaterThan(0);
    expect(new Set(records.map((r) => r[practice]))).toEqual(new Set(['A81001']));
  });

  it('a re-run that fails the same day never replaces the COMPLETE log: its own log is kept beside it (issue 12 item 2)', async () => {
    const delivered = runs.get('phm-warehouse.exdef.yaml') ?? (await deliver(db, definitionFile('phm-warehouse.exdef.yaml'), dir('relog'), { flags: ['--force'] }));
    const logs = join(delivered!.out, 'logs');
    const complete = readFileSync(join(logs, logName), 'utf8');
    expect(complete).toMatch(/^Status: COMPLETE\n/);
    // A mistyped --database: nothing listens on port 1.
    const cli = runCli(['run', delivered!.file, '--out', delivered!.out, '--database', 'postgres://exdef:secret-password@127.0.0.1:1/reporting', '--keys', keysFile, '--today', TODAY, '--force', '--quiet', '--provider', approvedProvider(delivered!.file).file]);
    expect(cli.status, cli.stderr).toBe(2);
    expect(readFileSync(join(logs, logName), 'utf8'), 'the COMPLETE log is untouched').toBe(complete);
    const failed = readdirSync(logs).filter((f) => new RegExp(`^im1_bulk_log_${TODAY}\\.failed-\\d{6}(-\\d+)?\\.txt$`).test(f));
    expect(failed).toHaveLength(1);
    const text = readFileSync(join(logs, failed[0]!), 'utf8');
    expect(readLogFile(text)).toMatchObject({ status: 'FAILED' });
    expect(text, 'no secret in a log').not.toContain('secret-password');
    // A usage error writes no log at all.
    const before = readdirSync(logs).sort();
    expect(runCli(['run', delivered!.file, '--out', delivered!.out, '--database', db.url, '--practice', 'Z99999', '--force', '--provider', approvedProvider(delivered!.file).file]).status).toBe(2);
    expect(readdirSync(logs).sort()).toEqual(before);
  });

  it('refuses a definition with lint errors: exit 1, file:line:col, no ZIP, and a FAILED log with its reason', () => {
    const text = readFileSync(definitionFile('two-week-wait-audit.exdef.yaml'), 'utf8').replace(
      '      - name: practice\n',
      '      - name: letter\n        value: notes\n        justification: The referral letter says why the patient was referred.\n      - name: practice\n',
    );
    const file = dir('free-text.exdef.yaml');
    mkdirSync(dir(''), { recursive: true });
    writeFileSync(file, text);
    const line = text.split('\n').indexOf('        value: notes') + 1;
    expect(line).toBeGreaterThan(0);
    const out = dir('refused');
    const cli = runDefinition(db, file, out, []);
    expect(cli.status).toBe(1);
    expect(cli.stderr).toContain(`${file}:${line}:16 error`);
    expect(cli.stderr).toContain('[no-free-text]');
    expect(cli.stderr).not.toMatch(/\n\s+at /);
    expect(readdirSync(out)).toEqual(['logs']);
    const log = readLogFile(readFileSync(join(out, 'logs', logName), 'utf8'));
    expect(log).toMatchObject({ status: 'FAILED', files: 0 });
    expect(log.errors).toBeGreaterThan(0);
    expect(log.reason).toMatch(/lint error/);
  });

  it('--encrypt-to: the .zip.enc decrypts with seed 002\'s openssl commands to the CSVs of a plain run', async () => {
    const recipient = dir('recipient');
    mkdirSync(recipient, { recursive: true });
    openssl(recipient, ['genpkey', '-algorithm', 'RSA', '-out', 'private.pem', '-pkeyopt', 'rsa_keygen_bits:2048']);
    selfSignedCertificate(recipient, { key: 'private.pem', certificate: 'certificate.pem', name: 'test' });
    const out = dir('encrypted');
    const file = definitionFile('phm-warehouse.exdef.yaml');
    const cli = runDefinition(db, file, out, ['--json', '--quiet', '--force', '--encrypt-to', join(recipient, 'certificate.pem')]);
    expect(cli.status, cli.stderr).toBe(0);
    const summary = JSON.parse(cli.stdout) as RunResult;
    expect(summary.encrypted).toBe(true);
    expect(basename(summary.output)).toMatch(/^phm-warehouse_\d{8}T\d{6}Z_full\.zip\.enc$/);
    expect(readdirSync(out).sort(), 'no unencrypted ZIP beside it').toEqual([basename(summary.output), 'logs'].sort());
    expect(summary.bytes).toBe(statSync(summary.output).size);
    expect(readFileSync(summary.output).subarray(0, 2).toString('latin1')).not.toBe('PK');
    openssl(recipient, ['smime', '-decrypt', '-in', summary.output, '-recip', 'certificate.pem', '-inkey', 'private.pem', '-out', 'x.zip']);
    const c = await compiled(file);
    const { csv } = checkPackage(join(recipient, 'x.zip'), summary, c, c.definition.population.practices);
    checkLog(summary, out, csv.size);
    const plain = runs.get('phm-warehouse.exdef.yaml');
    expect(plain, 'the plain run').toBeDefined();
    expect(csv).toEqual(plain!.delivery.csv);
  });

  // One pass over the database for every run: an embedded database is open in one process at a time.
  it('delivered every CSV with exactly the rows the plan\'s queries give on the same database, in the definition\'s dialect', async () => {
    expect([...runs.keys()]).toEqual([...DEFINITIONS, 'twin', 'practice folders', 'practice rows']);
    await db.use(async (session) => {
      for (const run of runs.values()) {
        const c = await compiled(run.file);
        const expected = await expectation(session, c, run.practices);
        checkCsvFiles(run.delivery.csv, expected.files, c);
        expect(run.delivery.manifest.population.patients, `the population of ${run.file}`).toBe(expected.patients);
      }
    });
  });

  it('let no canary out of any definition, while the same markers on eligible rows did come out', () => {
    const outputs = new Map<string, string>();
    for (const name of DEFINITIONS) {
      const run = runs.get(name);
      expect(run, `the run of ${name}`).toBeDefined();
      outputs.set(run!.delivery.summary.definition.id, `${everyOutputByte(run!.out)}\n${run!.cli.stdout}`);
    }
    const leaks = canary.never.flatMap((m) => [...outputs].filter(([, text]) => text.includes(m.value)).map(([id]) => `${m.label}: ${m.kind} ${m.value} in ${id}`));
    expect(leaks).toEqual([]);
    const missing = canary.expected.filter((m) => !outputs.get(m.definition)!.includes(m.value)).map((m) => `${m.label}: ${m.kind} ${m.value} not in ${m.definition}`);
    expect(missing).toEqual([]);
    expect(canary.expected.length).toBeGreaterThan(20);
  });
});

describe.runIf(testEngines().length === 2)('exdef run on both engines', () => {
  // The same seed gives the same rows on either engine, and COPY and the PGlite formatter write the same bytes.
  it('writes the same CSV bytes on PGlite and PostgreSQL (but for record ids, which are keyed per database)', () => {
    const [pglite, postgres] = [runsByEngine.get('pglite')!, runsByEngine.get('postgres')!];
    expect([...postgres.keys()]).toEqual([...pglite.keys()]);
    for (const [name, run] of pglite) {
      const other = postgres.get(name)!;
      const dialect = run.delivery.manifest.csv;
      expect([...other.delivery.csv.keys()], name).toEqual([...run.delivery.csv.keys()]);
      for (const [path, bytes] of run.delivery.csv) {
        const [header] = parseCsv(bytes, dialect);
        if (!header?.includes('record_id')) {
          expect(sha256(other.delivery.csv.get(path)!), `${name}: ${path}`).toBe(sha256(bytes));
          continue;
        }
        const withoutRecordIds = (b: Buffer) => parseCsv(b, dialect).map((r) => r.filter((_, i) => header[i] !== 'record_id'));
        expect(withoutRecordIds(other.delivery.csv.get(path)!), `${name}: ${path}`).toEqual(withoutRecordIds(bytes));
      }
    }
  });
});

describe('exdef run without --database', () => {
  it('seeds the empty embedded database of EXDEF_DATA_DIR first, says so, and delivers into extracts/<file name>', async () => {
    const cwd = join(work, 'embedded');
    mkdirSync(cwd, { recursive: true });
    const dataDir = join(cwd, 'pglite');
    const out = join(cwd, 'extracts', 'diabetes-recall');
    const cli = runCli(['run', definitionFile('diabetes-recall.exdef.yaml'), '--today', TODAY, '--provider', approvedProvider(definitionFile('diabetes-recall.exdef.yaml')).file], { cwd, env: { EXDEF_DATA_DIR: dataDir } });
    expect(cli.status, cli.stderr).toBe(0);
    expect(cli.stderr).toContain(`the embedded database (embedded PGlite database at ${dataDir}) is empty: seeding 2,000 synthetic patients`);
    expect(cli.stdout).toMatch(/^complete: diabetes-recall version 2, full extract for 2026-11-21/);
    const zips = readdirSync(out).filter((f) => f.endsWith('.zip'));
    expect(zips).toHaveLength(1);
    expect(testZip(join(out, zips[0]!)).status).toBe(0);
    const db = await openDatabase({ url: `pglite:${dataDir}` });
    try {
      expect(await db.query('SELECT count(*)::text AS n FROM reporting.patient')).toEqual([{ n: '2000' }]);
    } finally {
      await db.close();
    }
  });
});

function openssl(cwd: string, args: string[]): void {
  const result = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${result.stderr}`);
}

/** Every byte a run left in its output directory, the ZIPs' members unzipped, as text. */
function everyOutputByte(directory: string): string {
  const parts: string[] = [];
  for (const entry of readdirSync(directory, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    if (path.endsWith('.zip')) parts.push(...zipMembers(path).map((member) => zipMember(path, member).toString('utf8')));
    else parts.push(readFileSync(path, 'utf8'));
  }
  return parts.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Canaries

/** The values a definition can output, each unique to one planted patient or set of rows. */
interface Markers {
  label: string;
  /** Names, address, target_service, value_unit and free text. */
  text: string;
  /** The outward code of the postcode (`ZZnn 9ZZ`): postcode_district() keeps it. */
  district: string;
  /** The effective date of the coded rows the definitions select without a date limit. */
  date: string;
  /** The value of a blood pressure reading. */
  numeric: string;
}

interface Marker {
  label: string;
  kind: string;
  value: string;
}

type Role = 'child' | 'woman' | 'diabetic';

/** Who a role is, and the definitions such a patient is in when nothing excludes them. */
const ROLES: Record<Role, { practice: string; sex: string; dateOfBirth: string; definitions: string[] }> = {
  child: { practice: 'A81001', sex: 'male', dateOfBirth: '2012-03-01', definitions: ['chis-immunisations', 'flu-vaccination-uptake', 'phm-warehouse', 'two-week-wait-audit'] },
  woman: { practice: 'A81002', sex: 'female', dateOfBirth: '1986-05-01', definitions: ['cervical-screening-recall', 'flu-vaccination-uptake', 'phm-warehouse', 'two-week-wait-audit'] },
  diabetic: { practice: 'A81001', sex: 'female', dateOfBirth: '1980-05-01', definitions: ['diabetes-recall', 'flu-vaccination-uptake', 'phm-warehouse', 'two-week-wait-audit'] },
};

/** Which of a patient's markers each definition outputs (`pseudonym:KEY` for the keyed pseudonym of the NHS number). */
const SURFACES: Record<string, string[]> = {
  'chis-immunisations': ['nhs', 'date'],
  'cervical-screening-recall': ['text', 'nhs', 'district'],
  'diabetes-recall': ['text', 'nhs', 'district'],
  'flu-vaccination-uptake': ['district', 'pseudonym:flu-icb-key'],
  'phm-warehouse': ['date', 'numeric', 'pseudonym:phm-icb-key'],
  'two-week-wait-audit': ['text', 'pseudonym:tww-audit-key'],
};

/** Delimiters of both dialects, a quote, line breaks of every kind, a character outside ASCII. */
const AWKWARD_TEXT = 'Zoë, "Jo" | O\'Brien\r\nline two\nline three\rend';

const SENSITIVE_CODES = ['86406008', '38628009'];
/** The concepts the shipped definitions select by (<< ...); the canary terminology puts the sensitive codes under each. */
const SELECTED_CONCEPTS = ['33879002', '86198006', '73211009', '195967001', '38341003', '75367002', '363346000'];

type PatientTrap = 'Type 1 opt-out in force' | 'PDS-sensitive' | 'deceased' | 'registration ended last year';

/** The patients who must never leave, by what excludes them, and the roles they are planted in. */
const PATIENT_TRAPS: { trap: PatientTrap; roles: Role[] }[] = [
  // Only the child: the two recall definitions that select women are direct care and override a
  // Type 1 opt-out, as their justifications say.
  { trap: 'Type 1 opt-out in force', roles: ['child'] },
  { trap: 'PDS-sensitive', roles: ['child', 'woman', 'diabetic'] },
  { trap: 'deceased', roles: ['child', 'woman', 'diabetic'] },
  { trap: 'registration ended last year', roles: ['child', 'woman', 'diabetic'] },
];

interface Planted {
  statements: { sql: string; params: (string | null)[] }[];
  /** Must appear in no output. */
  never: Marker[];
  /** Must appear in this definition's output. */
  expected: (Marker & { definition: string })[];
}

/**
 * The canaries, as INSERT statements into a seeded database: patients each excluded by one
 * population guard, and eligible patients whose confidential, soft-deleted, sensitive-coded and
 * free-text rows must stay while their ordinary rows, with markers of the same kinds, do come out
 * (with some text the CSV has to quote). The terminology is changed so that every concept a definition selects has the sensitive codes
 * below it, so only the sensitive-code guard keeps those rows back.
 */
function plantCanaries(): Planted {
  const planted: Planted = { statements: [], never: [], expected: [] };
  let nextId = 9_000_000;
  let nextMarker = 10;
  let nextNhs = 0;
  const id = () => String(++nextId);
  const add = (sql: string, params: (string | null)[]) => planted.statements.push({ sql, params });
  const markers = (label: string): Markers => {
    const n = nextMarker++;
    return { label, text: `ZQX${n}Q`, district: `ZZ${n}`, date: `18${n}-01-01`, numeric: `9876${n}.321` };
  };
  const nhsNumber = (): string => {
    for (;;) {
      const body = `99988${String(nextNhs++).padStart(4, '0')}`;
      const check = nhsCheckDigit(body);
      if (check !== undefined) return `${body}${check}`;
    }
  };
  const never = (m: Markers, kinds: (keyof Omit<Markers, 'label'>)[]) => planted.never.push(...kinds.map((kind) => ({ label: m.label, kind, value: m[kind] })));

  add(
    'INSERT INTO terminology.closure (ancestor_id, descendant_id) SELECT a, d FROM unnest($1::bigint[]) AS a CROSS JOIN unnest($2::bigint[]) AS d ON CONFLICT DO NOTHING',
    [`{${SELECTED_CONCEPTS.join(',')}}`, `{${SENSITIVE_CODES.join(',')}}`],
  );
  planted.never.push(...SENSITIVE_CODES.map((code) => ({ label: 'a sensitive code', kind: 'code', value: code })));

  interface Row {
    code: string;
    date: string;
    numeric?: string;
    unit?: string;
    comment?: string;
    confidential?: boolean;
    deleted?: boolean;
  }
  const observation = (patient: string, practice: string, row: Row) =>
    add(
      `INSERT INTO reporting.observation (observation_id, patient_id, practice_ods, code, effective_date, recorded_at, value_numeric, value_unit, comment, confidential, deleted_at)
       VALUES ($1::bigint, $2::bigint, $3, $4::bigint, $5::date, $5::date + time '10:00', $6::numeric, $7, $8, $9::boolean, $10::timestamptz)`,
      [id(), patient, practice, row.code, row.date, row.numeric ?? null, row.unit ?? null, row.comment ?? null, String(row.confidential ?? false), row.deleted ? '2026-11-01T10:00:00Z' : null],
    );
  const referral = (patient: string, practice: string, row: { code: string; service: string; notes?: string; confidential?: boolean; deleted?: boolean }) =>
    add(
      `INSERT INTO reporting.referral (referral_id, patient_id, practice_ods, code, referral_date, target_service, urgency, notes, confidential, deleted_at)
       VALUES ($1::bigint, $2::bigint, $3, $4::bigint, '2026-08-01', $5, 'two_week_wait', $6, $7::boolean, $8::timestamptz)`,
      [id(), patient, practice, row.code, row.service, row.notes ?? null, String(row.confidential ?? false), row.deleted ? '2026-11-01T10:00:00Z' : null],
    );
  /** The rows of a patient the definitions select: an immunisation and a diagnosis on the marker date, a recent blood pressure reading, a flu vaccination and a two-week-wait referral. */
  const selectedRows = (patient: string, practice: string, m: Markers, role: Role, flags: { confidential?: boolean; deleted?: boolean } = {}) => {
    observation(patient, practice, { code: '38598009', date: m.date, ...flags });
    observation(patient, practice, { code: '195967001', date: m.date, ...flags });
    if (role === 'diabetic') observation(patient, practice, { code: '73211009', date: m.date, ...flags });
    observation(patient, practice, { code: '271649006', date: '2026-06-15', numeric: m.numeric, unit: 'mmHg', ...flags });
    observation(patient, practice, { code: '86198006', date: '2026-10-15', ...flags });
    referral(patient, practice, { code: '254837009', service: m.text, ...flags });
  };

  const patient = (label: string, role: Role, trap?: PatientTrap, withRows = true): { id: string; markers: Markers; nhs: string } => {
    const { practice, sex, dateOfBirth } = ROLES[role];
    const m = markers(label);
    const patientId = id();
    const nhs = nhsNumber();
    add(
      `INSERT INTO reporting.patient (patient_id, nhs_number, given_name, family_name, date_of_birth, sex, address_line, postcode, date_of_death, pds_sensitive)
       VALUES ($1::bigint, $2, $3, $3, $4::date, $5, $3, $6, $7::date, $8::boolean)`,
      [patientId, nhs, m.text, dateOfBirth, sex, `${m.district} 9ZZ`, trap === 'deceased' ? '2025-06-01' : null, String(trap === 'PDS-sensitive')],
    );
    const ended = trap === 'registration ended last year';
    add(
      `INSERT INTO reporting.registration (registration_id, patient_id, practice_ods, registration_type, start_date, end_date, end_reason)
       VALUES ($1::bigint, $2::bigint, $3, 'permanent', '2013-01-01', $4::date, $5)`,
      [id(), patientId, practice, ended ? '2025-10-01' : null, ended ? 'left' : null],
    );
    if (trap === 'Type 1 opt-out in force') {
      add(`INSERT INTO reporting.opt_out (opt_out_id, patient_id, opt_out_type, effective_from) VALUES ($1::bigint, $2::bigint, 'type1', '2024-01-01T09:00:00Z')`, [id(), patientId]);
    }
    if (withRows) selectedRows(patientId, practice, m, role);
    return { id: patientId, markers: m, nhs };
  };
  const patientMarkers = (p: { markers: Markers; nhs: string }): Map<string, string> =>
    new Map<string, string>([
      ['text', p.markers.text],
      ['district', p.markers.district],
      ['date', p.markers.date],
      ['numeric', p.markers.numeric],
      ['nhs', p.nhs],
      ...[...KEYS].map(([name, key]): [string, string] => [`pseudonym:${name}`, createHmac('sha256', key).update(p.nhs).digest('hex')]),
    ]);

  // Patients a population guard excludes: none of their markers may come out.
  for (const { trap, roles } of PATIENT_TRAPS) {
    for (const role of roles) {
      const trapped = patient(`a ${trap} ${role}`, role, trap);
      for (const [kind, value] of patientMarkers(trapped)) planted.never.push({ label: trapped.markers.label, kind, value });
    }
  }

  // Eligible patients: their ordinary rows come out (the control), their other rows must not.
  for (const role of Object.keys(ROLES) as Role[]) {
    const eligible = patient(`an eligible ${role}`, role);
    const { practice, definitions } = ROLES[role];
    // Text the CSV must quote, in columns the definitions output: the CSV checks read it back.
    add('UPDATE reporting.patient SET given_name = $2, phone = $3 WHERE patient_id = $1::bigint', [eligible.id, AWKWARD_TEXT, ' 07700 900123 ']);
    referral(eligible.id, practice, { code: '254837009', service: AWKWARD_TEXT });
    const surfaced = patientMarkers(eligible);
    for (const definition of definitions) {
      for (const kind of SURFACES[definition]!) planted.expected.push({ label: eligible.markers.label, kind, value: surfaced.get(kind)!, definition });
    }

    const confidential = markers(`confidential rows of an eligible ${role}`);
    selectedRows(eligible.id, practice, confidential, role, { confidential: true });
    never(confidential, ['text', 'date', 'numeric']);

    const deleted = markers(`soft-deleted rows of an eligible ${role}`);
    selectedRows(eligible.id, practice, deleted, role, { deleted: true });
    never(deleted, ['text', 'date', 'numeric']);

    const sensitive = markers(`sensitive-coded rows of an eligible ${role}`);
    for (const code of SENSITIVE_CODES) {
      observation(eligible.id, practice, { code, date: sensitive.date, unit: sensitive.text });
      observation(eligible.id, practice, { code, date: '2026-06-15', numeric: sensitive.numeric, unit: sensitive.text });
      referral(eligible.id, practice, { code, service: sensitive.text });
    }
    never(sensitive, ['text', 'date', 'numeric']);

    // Free text on rows that are extracted (a blood pressure reading, a referral), and in tables no definition reads.
    const freeText = markers(`free text of an eligible ${role}`);
    observation(eligible.id, practice, { code: '271649006', date: '2026-06-16', numeric: '121', unit: 'mmHg', comment: freeText.text });
    referral(eligible.id, practice, { code: '254837009', service: 'Breast surgery', notes: freeText.text });
    add(
      `INSERT INTO reporting.consultation (consultation_id, patient_id, practice_ods, consultation_date, consultation_type, summary, confidential) VALUES ($1::bigint, $2::bigint, $3, '2026-06-15', 'face to face', $4, false)`,
      [id(), eligible.id, practice, freeText.text],
    );
    add(
      `INSERT INTO reporting.medication_issue (medication_issue_id, patient_id, practice_ods, dmd_code, issue_date, quantity, quantity_unit, dosage_text, confidential)
       VALUES ($1::bigint, $2::bigint, $3, 999900211000000102, '2026-06-15', 28, 'tablet', $4, false)`,
      [id(), eligible.id, practice, freeText.text],
    );
    add(
      `INSERT INTO reporting.document (document_id, patient_id, practice_ods, document_date, title, content, confidential) VALUES ($1::bigint, $2::bigint, $3, '2026-06-15', $4, convert_to($5, 'UTF8'), false)`,
      [id(), eligible.id, practice, freeText.text, `${freeText.text} ${freeText.numeric}`],
    );
    never(freeText, ['text', 'numeric']);
  }

  // Diabetes-recall selects by exists(observation << 73211009): a sensitive code below it must not select anyone.
  const onlySensitive = patient('a patient whose only code under diabetes is sensitive', 'diabetic', undefined, false);
  observation(onlySensitive.id, 'A81001', { code: SENSITIVE_CODES[0]!, date: '2026-06-15' });
  never(onlySensitive.markers, ['text']);
  planted.never.push({ label: onlySensitive.markers.label, kind: 'nhs', value: onlySensitive.nhs });
  return planted;
}
