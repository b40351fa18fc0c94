/**
 * What the end-to-end tests of `exdef run` share (test/e2e/run-delta.test.ts, run-faults.test.ts):
 * a seeded database on either engine that the tests change between runs, the CLI run with its
 * JSON summary or as a child process that can be killed, the delivered ZIP read back into rows,
 * extracts applied one after another as a recipient would, and the executor's state as it is.
 */
import { realNow } from './world-clock.mjs';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import pg from 'pg';
import { expect } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { openDatabase } from '../../src/db/open-database.js';
import { openPostgres } from '../../src/db/postgres-database.js';
import { packageRoot } from '../../src/resources.js';
import { cliEnv, runCli, type CliResult } from './cli.js';
import { adminUrl, type EngineName } from './engines.js';
import { approvedProvider } from './approvals.js';

// ---------------------------------------------------------------------------------------------
// The database

/** A seeded reporting database the CLI runs against and the test changes between runs. */
export interface RunTarget {
  engine: EngineName;
  /** What --database names. */
  url: string;
  /**
   * Runs `fn` on the database. PGlite's directory is opened for the call and closed after (one
   * process at a time may hold it, so never while a CLI run is going); PostgreSQL's pool stays open.
   */
  use<T>(fn: (db: Database) => Promise<T>): Promise<T>;
  drop(): Promise<void>;
}

export const SEED_AS_OF = '2026-11-21';

export async function seededTarget(engine: EngineName, work: string, options: { patients: number; seed: number }): Promise<RunTarget> {
  let target: RunTarget;
  if (engine === 'pglite') {
    const dir = join(work, 'pglite');
    target = {
      engine,
      url: `pglite:${dir}`,
      async use(fn) {
        const db = await openDatabase({ url: `pglite:${dir}` });
        try {
          return await fn(db);
        } finally {
          await db.close();
        }
      },
      drop: async () => undefined,
    };
  } else {
    target = await scratchPostgres();
  }
  const seeded = runCli(['db', 'seed', '--database', target.url, '--patients', String(options.patients), '--practices', '3', '--seed', String(options.seed), '--as-of', SEED_AS_OF, '--json']);
  if (seeded.status !== 0) throw new Error(`exdef db seed failed (${seeded.status}): ${seeded.stderr}`);
  return target;
}

/** The application_name of the test's own connections: exdef's runs use 'exdef', which the tests look for in pg_stat_activity. */
export const TEST_APPLICATION = 'exdef-test';

/** A database of its own on the test server (as engines.ts's scratchDatabase, but with connections named TEST_APPLICATION). */
async function scratchPostgres(): Promise<RunTarget> {
  const name = `exdef_test_${randomBytes(5).toString('hex')}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: adminUrl(), application_name: TEST_APPLICATION });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  const db = await openPostgres({ url: url.toString(), applicationName: TEST_APPLICATION });
  return {
    engine: 'postgres',
    url: url.toString(),
    use: (fn) => fn(db),
    async drop() {
      await db.close();
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/** Every row of the executor's state schema, as text: equal before and after means unchanged. */
export async function stateRows(db: Database): Promise<string> {
  const [present] = await db.query<{ n: string }>(
    "SELECT count(*)::text AS n FROM information_schema.tables WHERE table_schema = 'exdef_state' AND table_name IN ('extract_state', 'population_member')",
  );
  if (present?.n !== '2') return '(no state schema)';
  const states = await db.query('SELECT * FROM exdef_state.extract_state ORDER BY definition_id');
  const members = await db.query('SELECT * FROM exdef_state.population_member ORDER BY definition_id, patient_id');
  const [heldTable] = await db.query<{ n: string }>("SELECT count(*)::text AS n FROM information_schema.tables WHERE table_schema = 'exdef_state' AND table_name = 'held_record_ids'");
  const held = heldTable?.n === '1' ? await db.query("SELECT definition_id, dataset, chunk, encode(ids, 'hex') AS ids FROM exdef_state.held_record_ids ORDER BY definition_id, dataset, chunk") : [];
  return JSON.stringify({ states, members, held }, null, 1);
}

export interface ExtractState {
  fingerprint: string;
  recordKey: string;
  windowEnd: string;
  lastExtractDate: string;
  lastMode: string;
  runs: number;
}

export async function extractState(db: Database, definitionId: string): Promise<ExtractState | undefined> {
  const [row] = await db.query<Record<string, string>>(
    `SELECT fingerprint, record_key, to_char(window_end AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS window_end,
            last_extract_date::text AS last_extract_date, last_mode, runs::text AS runs
       FROM exdef_state.extract_state WHERE definition_id = $1`,
    [definitionId],
  );
  if (!row) return undefined;
  return {
    fingerprint: row['fingerprint']!,
    recordKey: row['record_key']!,
    windowEnd: row['window_end']!,
    lastExtractDate: row['last_extract_date']!,
    lastMode: row['last_mode']!,
    runs: Number(row['runs']),
  };
}

/** A row's record_id as docs/sql.md describes it: HMAC-SHA-256 of its key under the record key, 32 hex digits. */
export function recordId(primaryKey: string, recordKey: string): string {
  return createHmac('sha256', recordKey).update(primaryKey, 'utf8').digest('hex').slice(0, 32);
}

/** Ids for rows a test inserts: past the largest in the table, never reused within the test file. */
export class IdAllocator {
  private readonly next = new Map<string, bigint>();

  async take(db: Database, table: string, column: string): Promise<string> {
    if (!this.next.has(table)) {
      const [row] = await db.query<{ max: string | null }>(`SELECT max(${column})::text AS max FROM reporting.${table}`);
      this.next.set(table, BigInt(row?.max ?? '0') + 1000n);
    }
    const id = this.next.get(table)!;
    this.next.set(table, id + 1n);
    return String(id);
  }
}

/** A valid NHS number in the 999 test range that the seed never hands out (it counts up from 999000000). */
export function testNhsNumber(n: number): string {
  for (let body = 999_900_000 + 2 * n; ; body++) {
    const digits = String(body);
    let sum = 0;
    for (let i = 0; i < 9; i++) sum += (digits.charCodeAt(i) - 48) * (10 - i);
    const check = 11 - (sum % 11);
    if (check === 10) continue;
    return `${digits}${check === 11 ? 0 : check}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Running exdef

export interface RunSummary {
  status: 'COMPLETE';
  definition: { id: string; version: number; fingerprint: string };
  mode: 'full' | 'delta';
  reason: string;
  extractDate: string;
  snapshot: string;
  output: string;
  log: string;
  files: { path: string; dataset: string; rows: number; bytes: number; sha256: string }[];
  rows: number;
  warnings: string[];
}

export interface RunOptions {
  definition: string;
  target: RunTarget;
  out: string;
  today: string;
  keys: string;
  extra?: string[];
  env?: NodeJS.ProcessEnv;
}

export function runArgs(o: RunOptions): string[] {
  // The definition is approved either way; a test that names its own --provider (one trusting the same test key) keeps it.
  const provider = approvedProvider(o.definition).file;
  const own = o.extra?.includes('--provider') ?? false;
  return ['run', o.definition, '--database', o.target.url, '--out', o.out, '--today', o.today, '--keys', o.keys, '--json', ...(own ? [] : ['--provider', provider]), ...(o.extra ?? [])];
}

/** When the last delivery into each output directory was snapshotted (ms since the epoch). */
const lastDelivery = new Map<string, number>();

/**
 * exdef names a delivery by its snapshot time to the second and refuses to deliver when a file of
 * that name exists, so a second run into the same directory within one second fails (a bug,
 * tested on its own in run-faults.test.ts). Runs that test something else wait for the next second.
 */
function waitForANewSecond(out: string): void {
  const last = lastDelivery.get(out);
  if (last === undefined) return;
  // The snapshot time is the database's clock: PostgreSQL's is the real one, the embedded PGlite's
  // the CLI process's, which runs in the suite's world date (world-clock.mjs): compare like with like.
  const now = Math.abs(last - Date.now()) < 86_400_000 ? Date.now() : realNow();
  const wait = Math.floor(last / 1000) * 1000 + 1050 - now;
  if (wait > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, wait);
}

/** `exdef run ... --json`, which must succeed: its summary. */
export function runOk(o: RunOptions): RunSummary {
  waitForANewSecond(o.out);
  const result = runCli(runArgs(o), o.env ? { env: o.env } : {});
  if (result.status !== 0) throw new Error(`exdef run ${o.definition} for ${o.today} failed (exit ${result.status}):\n${result.stderr}`);
  const summary = JSON.parse(result.stdout) as RunSummary;
  lastDelivery.set(o.out, Date.parse(summary.snapshot));
  return summary;
}

/** `exdef run ... --json`, expected to fail. */
export function runFails(o: RunOptions): CliResult {
  const result = runCli(runArgs(o), o.env ? { env: o.env } : {});
  if (result.status === 0) throw new Error(`exdef run ${o.definition} for ${o.today} succeeded, but it should have failed:\n${result.stdout}`);
  return result;
}

/** A run as a child process, to be killed: its stderr collects as it comes. */
export interface RunningExdef {
  child: ChildProcess;
  stderr(): string;
  stdout(): string;
  /** Resolves with the exit code (null) and signal when it has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnRun(o: RunOptions): RunningExdef {
  const child = spawn(process.execPath, [join(packageRoot, 'bin', 'run.js'), ...runArgs(o)], {
    cwd: packageRoot,
    env: cliEnv(o.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  let stdout = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, stderr: () => stderr, stdout: () => stdout, exited };
}

/**
 * A run as a child process that must end within `timeoutMs`: otherwise it is sent SIGTERM (and
 * SIGKILL 5 s later) and `hung` says so, instead of the test waiting for spawnSync's 300 s.
 */
export async function runWithin(o: RunOptions, timeoutMs: number): Promise<CliResult & { hung: boolean }> {
  const running = spawnRun(o);
  let hung = false;
  const timer = setTimeout(() => {
    hung = true;
    running.child.kill('SIGTERM');
    setTimeout(() => running.child.kill('SIGKILL'), 5000).unref();
  }, timeoutMs);
  const { code } = await running.exited;
  clearTimeout(timer);
  return { status: code ?? -1, stdout: '', stderr: running.stderr(), hung };
}

/** Polls `check` every `everyMs` until it returns a value (not undefined) or `timeoutMs` passes. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000, everyMs = 10): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A keys file (YAML `name: key`), readable by its owner only. */
export function writeKeysFile(path: string, keys: Record<string, string>): string {
  writeFileSync(path, Object.entries(keys).map(([name, key]) => `${name}: ${key}\n`).join(''));
  chmodSync(path, 0o600);
  return path;
}

// ---------------------------------------------------------------------------------------------
// The output directory

/** The delivered files in DIR (final names only). */
export function deliveredFiles(out: string): string[] {
  return existsSync(out) ? readdirSync(out).filter((f) => /\.zip(\.enc)?$/.test(f)).sort() : [];
}

/** The temporary directories of runs in DIR. */
export function runTemporaries(out: string): string[] {
  return existsSync(out) ? readdirSync(out).filter((f) => f.startsWith('.exdef-run-')).sort() : [];
}

/** The run log of an extract date, or undefined when there is none. */
export function runLog(out: string, date: string): string | undefined {
  const path = join(out, 'logs', `im1_bulk_log_${date}.txt`);
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

/**
 * stderr of a failed run: no stack trace, and exactly one error line (hints and warnings may
 * surround it); returns that line.
 */
export function errorLine(stderr: string): string {
  const lines = stderr.split('\n');
  expect(lines.filter((l) => /^\s+at /.test(l)), 'no stack trace').toEqual([]);
  const errors = lines.filter((l) => /^(error|internal error)\b/.test(l));
  expect(errors, `one error line in:\n${stderr}`).toHaveLength(1);
  return errors[0]!;
}

// ---------------------------------------------------------------------------------------------
// Extracts as rows

/** A CSV row by column name (CSV text: an empty field reads as ''). */
export type CsvRow = Record<string, string>;

export interface Extract {
  manifest: { mode: 'full' | 'delta'; reason: string };
  /** Rows by dataset name, in file order. */
  datasets: Map<string, CsvRow[]>;
}

/** Reads a delivered ZIP (single_zip layout): every `<dataset>.csv` and manifest.json. */
export function readExtract(zip: string): Extract {
  const names = execFileSync('unzip', ['-Z1', zip], { encoding: 'utf8' }).split('\n').filter(Boolean);
  const datasets = new Map<string, CsvRow[]>();
  let manifest: Extract['manifest'] | undefined;
  for (const name of names) {
    const text = execFileSync('unzip', ['-p', zip, name], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
    if (name === 'manifest.json') manifest = JSON.parse(text) as Extract['manifest'];
    else if (name.endsWith('.csv')) datasets.set(name.replace(/\.csv$/, ''), parse(text, { columns: true, record_delimiter: ['\r\n', '\n'] }) as CsvRow[]);
  }
  if (!manifest) throw new Error(`${zip} has no manifest.json`);
  return { manifest, datasets };
}

/** The fields of a delta row, without record_id and change_type. */
export function fieldsOf(row: CsvRow): CsvRow {
  const { record_id: _id, change_type: _change, ...fields } = row;
  return fields;
}

/** What a recipient holds: per dataset, rows by record_id (fields only). */
export type AppliedExtract = Map<string, Map<string, CsvRow>>;

/**
 * Checks the delta columns of every row (an opaque 32-hex record_id, unique in its file; a change
 * type; a deletion with every field empty) and applies the extract as a recipient would: a full
 * extract replaces everything; a delta's upsert replaces or inserts by record_id, a delete removes.
 */
export function applyExtract(held: AppliedExtract | undefined, extract: Extract): AppliedExtract {
  const next: AppliedExtract = new Map();
  for (const [dataset, rows] of extract.datasets) {
    const target = new Map(extract.manifest.mode === 'delta' && held ? (held.get(dataset) ?? []) : []);
    const seen = new Set<string>();
    for (const row of rows) {
      const id = row['record_id'] ?? '';
      expect(id, `${dataset}: record_id`).toMatch(/^[0-9a-f]{32}$/);
      expect(seen.has(id), `${dataset}: record ${id} appears once in the file`).toBe(false);
      seen.add(id);
      if (row['change_type'] === 'upsert') target.set(id, fieldsOf(row));
      else if (row['change_type'] === 'delete') {
        expect(Object.values(fieldsOf(row)).every((v) => v === ''), `${dataset}: a deletion has every field empty`).toBe(true);
        expect(extract.manifest.mode, 'a full extract has no deletions').toBe('delta');
        target.delete(id);
      } else throw new Error(`${dataset}: change_type ${JSON.stringify(row['change_type'])}`);
    }
    next.set(dataset, target);
  }
  return next;
}

/** Rows of one dataset as sorted text lines (for multiset comparisons that ignore record ids). */
export function fieldLines(rows: Iterable<CsvRow>): string[] {
  return [...rows].map((r) => JSON.stringify(Object.entries(fieldsOf(r)))).sort();
}

export function makeWorkDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
