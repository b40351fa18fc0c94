/**
 * `exdef run` as a provider's operations team runs it, on real PostgreSQL (issue 13): a
 * least-privilege extract role, a two-phase writer, a server that logs every statement, a client
 * killed while its query waits. Each test failed before its fix:
 * - a role without pg_read_all_stats saw other roles' open transactions as nothing and lost their
 *   rows silently; with deltas made by comparison no role needs to see them: a row committed after
 *   a run's snapshot is in the next run's comparison, whoever wrote it;
 * - a prepared (two-phase) transaction's rows were lost; now they arrive once it commits;
 * - the pseudonym key and the record key were bind parameters, written into the server's log;
 * - a killed run's COPY waited on the server until the statement timeout.
 * PostgreSQL only: PGlite is one process with no other sessions, no server log and no client.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../support/certificates.js';
import { inCi } from '../../src/ci-environment.js';
import { resources } from '../../src/resources.js';
import { runCli } from '../support/cli.js';
import { adminUrl, testEngines } from '../support/engines.js';
import {
  errorLine,
  extractState,
  IdAllocator,
  makeWorkDir,
  readExtract,
  recordId,
  runFails,
  runOk,
  seededTarget,
  spawnRun,
  stateRows,
  TEST_APPLICATION,
  waitFor,
  writeKeysFile,
  type RunSummary,
  type RunTarget,
} from '../support/run-harness.js';

const ID = 'production-feed';

/** A daily delta feed (the CHIS definition's governance) with a pseudonym in each dataset: both kinds of key are in play. */
function feedDefinition(): string {
  const chis = readFileSync(join(resources.definitions, 'chis-immunisations.exdef.yaml'), 'utf8');
  const head = chis.slice(0, chis.indexOf('\ndatasets:'));
  const filter = '  where: age_years(date_of_birth) < 20\n';
  if (!head.includes('id: chis-immunisations\n') || !head.includes(filter)) throw new Error('chis-immunisations.exdef.yaml changed: update feedDefinition()');
  return `${head.replace('id: chis-immunisations', `id: ${ID}`).replace(filter, '')}
datasets:
  - name: children
    from: patient
    fields:
      - name: person_key
        value: pseudonym(nhs_number, 'feed-key')
        justification: Links each patient to their readings without sending who they are.
  - name: observations
    from: observation
    fields:
      - name: person_key
        value: pseudonym(patient.nhs_number, 'feed-key')
        justification: Links the readings of one person without sending who they are.
      - name: code
        value: code
        justification: The recorded code identifies the condition for the feed.
`;
}

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

const engines = testEngines();

describe.skipIf(!engines.includes('postgres'))('exdef run in production on PostgreSQL', () => {
  const work = makeWorkDir('exdef-run-production-');
  const out = join(work.dir, 'out');
  const definition = join(work.dir, 'feed.exdef.yaml');
  const pseudonymKey = randomBytes(32).toString('hex');
  const role = `exdef_reader_${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('hex');
  let keys: string;
  let target: RunTarget;
  let readerUrl: string;
  let patient: { id: string; practice: string };
  const ids = new IdAllocator();
  let today = '2026-11-21';

  const run = (options: { url?: string; extra?: string[] } = {}) => ({
    definition,
    target: { ...target, url: options.url ?? target.url },
    out,
    today,
    keys,
    ...(options.extra ? { extra: options.extra } : {}),
  });
  const asAdmin = async <T>(fn: (client: pg.Client) => Promise<T>, database?: string): Promise<T> => {
    const url = new URL(database ? target.url : adminUrl());
    const client = new pg.Client({ connectionString: url.toString(), application_name: TEST_APPLICATION });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  };
  /** A writer of another role (the superuser) with a transaction open: BEGIN, an observation inserted. Returns its start time and id. */
  const openWriter = async (): Promise<{ writer: pg.Client; start: string; id: string }> => {
    const writer = new pg.Client({ connectionString: target.url, application_name: 'late-writer' });
    await writer.connect();
    await writer.query('BEGIN');
    const { rows } = await writer.query<{ start: string }>(`SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS start`);
    const id = await target.use((db) => ids.take(db, 'observation', 'observation_id'));
    await writer.query(
      `INSERT INTO reporting.observation (observation_id, patient_id, practice_ods, consultation_id, code, effective_date, recorded_at, value_numeric, value_unit, comment, confidential, deleted_at)
       VALUES ($1::bigint, $2::bigint, $3, NULL, 38598009, DATE '2026-11-26', now(), NULL, NULL, NULL, false, NULL)`,
      [id, patient.id, patient.practice],
    );
    return { writer, start: rows[0]!.start, id };
  };
  /** A transaction of the test's holding an exclusive lock on reporting.observation: a run's COPY of it waits. */
  const lockObservations = async (): Promise<pg.Client> => {
    const lock = new pg.Client({ connectionString: target.url, application_name: TEST_APPLICATION });
    await lock.connect();
    await lock.query('BEGIN');
    await lock.query('LOCK TABLE reporting.observation IN ACCESS EXCLUSIVE MODE');
    return lock;
  };
  /** Resolves once a run's COPY waits for that lock. */
  const copyWaitingForLock = (what: string) =>
    waitFor(
      what,
      async () => {
        const [row] = await target.use((db) =>
          db.query<{ n: string }>(
            `SELECT count(*)::text AS n FROM pg_stat_activity
              WHERE application_name = 'exdef' AND datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'COPY (%'`,
          ),
        );
        return row!.n === '1' ? true : undefined;
      },
      60_000,
    );
  const upserts = (summary: RunSummary): string[] =>
    [...readExtract(summary.output).datasets].flatMap(([dataset, rows]) => rows.filter((r) => r['change_type'] === 'upsert').map((r) => `${dataset} ${r['record_id']}`));
  const recordKey = async () => (await target.use((db) => extractState(db, ID)))!.recordKey;

  beforeAll(async () => {
    keys = writeKeysFile(join(work.dir, 'keys.yaml'), { 'feed-key': pseudonymKey });
    writeFileSync(definition, feedDefinition());
    target = await seededTarget('postgres', work.dir, { patients: 1500, seed: 5 });
    const database = new URL(target.url).pathname.slice(1);
    await target.use(async (db) => {
      await db.exec(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
      await db.exec(`GRANT USAGE ON SCHEMA reporting, terminology TO ${role}; GRANT SELECT ON ALL TABLES IN SCHEMA reporting, terminology TO ${role}; GRANT CREATE ON DATABASE ${database} TO ${role}`);
      // A patient who stays in the population all through: one permanent registration, no opt-out.
      const [row] = await db.query<{ id: string; practice: string }>(
        `SELECT p.patient_id::text AS id, r.practice_ods AS practice FROM reporting.patient p JOIN reporting.registration r ON r.patient_id = p.patient_id
          WHERE p.deleted_at IS NULL AND NOT p.pds_sensitive AND p.date_of_death IS NULL AND r.registration_type = 'permanent' AND r.end_date IS NULL
            AND r.deleted_at IS NULL AND r.practice_ods = 'A81001'
            AND (SELECT count(*) FROM reporting.registration x WHERE x.patient_id = p.patient_id) = 1
            AND NOT EXISTS (SELECT 1 FROM reporting.opt_out x WHERE x.patient_id = p.patient_id)
          ORDER BY p.patient_id LIMIT 1`,
      );
      patient = row!;
    });
    const url = new URL(target.url);
    url.username = role;
    url.password = password;
    readerUrl = url.toString();
    // The first (full) run, as the least-privilege reader: the state schema becomes the reader's.
    expect(runOk(run({ url: readerUrl })).mode).toBe('full');
  }, 300_000);
  afterAll(async () => {
    if (target) {
      await target.use(async (db) => {
        await db.exec(`REASSIGN OWNED BY ${role} TO CURRENT_USER; DROP OWNED BY ${role}`).catch(() => undefined);
      });
      await target.drop();
      await asAdmin((c) => c.query(`DROP ROLE IF EXISTS ${role}`)).catch(() => undefined);
    }
    work.remove();
  });

  it('a least-privilege role (no pg_read_all_stats) runs; exdef db check finds nothing missing', async () => {
    const [member] = await target.use((db) =>
      db.query<{ stats: boolean }>(`SELECT pg_has_role($1, 'pg_read_all_stats', 'USAGE') AS stats`, [role]),
    );
    expect(member!.stats, 'the reader cannot see other sessions').toBe(false);
    const check = runCli(['db', 'check', '--database', readerUrl, '--json']);
    expect(check.status, check.stdout + check.stderr).toBe(0);
    const report = JSON.parse(check.stdout) as { ok: boolean; checks: { need: string; ok: boolean; fix?: string }[] };
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.need).join('\n')).not.toMatch(/pg_read_all_stats/);
    const admin = runCli(['db', 'check', '--database', target.url]);
    expect(admin.status, admin.stdout + admin.stderr).toBe(0);
    expect(runCli(['run', '--help']).stdout).not.toMatch(/late-writer/);
  });

  it("as a role that cannot see other sessions, a row of another role's transaction open across the run is in the next delta, never lost", async () => {
    today = addDays(today, 1);
    const key = await recordKey();
    const { writer, id } = await openWriter();
    let first: RunSummary;
    try {
      first = runOk(run({ url: readerUrl }));
      expect(first.mode).toBe('delta');
      expect(first.warnings.join('\n')).not.toMatch(/transactions cannot be seen|pg_read_all_stats/);
      expect(upserts(first), 'not committed at the snapshot').not.toContain(`observations ${recordId(id, key)}`);
      await writer.query('COMMIT');
    } finally {
      await writer.end();
    }
    today = addDays(today, 1);
    const second = runOk(run({ url: readerUrl }));
    expect(second.mode).toBe('delta');
    expect(upserts(second), 'committed after the first run: in the next comparison').toContain(`observations ${recordId(id, key)}`);
    today = addDays(today, 1);
    expect(upserts(runOk(run({ url: readerUrl }))), 'sent once').not.toContain(`observations ${recordId(id, key)}`);
  });

  it('a row of a prepared (two-phase) transaction pending across a run arrives once it commits, as a role that cannot see other sessions', async () => {
    today = addDays(today, 1);
    const key = await recordKey();
    const { writer, id } = await openWriter();
    const gid = `exdef_test_${randomBytes(4).toString('hex')}`;
    try {
      await writer.query(`PREPARE TRANSACTION '${gid}'`);
    } finally {
      await writer.end();
    }
    let first: RunSummary;
    try {
      first = runOk(run({ url: readerUrl }));
      expect(first.mode).toBe('delta');
      expect(upserts(first)).not.toContain(`observations ${recordId(id, key)}`);
    } finally {
      await target.use((db) => db.exec(`COMMIT PREPARED '${gid}'`));
    }
    today = addDays(today, 1);
    const second = runOk(run({ url: readerUrl }));
    expect(upserts(second)).toContain(`observations ${recordId(id, key)}`);
  });

  it('no key reaches a server log that records every statement with its parameters', async () => {
    const [where] = await asAdmin((c) =>
      c.query<{ collector: string; data: string; log_dir: string }>(
        "SELECT current_setting('logging_collector') AS collector, current_setting('data_directory') AS data, current_setting('log_directory') AS log_dir",
      ).then((r) => r.rows),
    );
    // The throwaway cluster of .ci/postgres.sh logs to server.log beside its data directory; a
    // server with the logging collector writes files in log_directory.
    const logFile = await asAdmin(async (c) => {
      if (where!.collector === 'on') {
        const { rows } = await c.query<{ name: string }>('SELECT name FROM pg_ls_logdir() ORDER BY modification DESC LIMIT 1');
        return rows[0] ? `${where!.log_dir.startsWith('/') ? where!.log_dir : `${where!.data}/${where!.log_dir}`}/${rows[0].name}` : undefined;
      }
      return `${where!.data}/../server.log`;
    });
    const size = await asAdmin((c) => c.query<{ size: string }>('SELECT (pg_stat_file($1)).size::text AS size', [logFile]).then((r) => Number(r.rows[0]!.size))).catch(() => undefined);
    if (size === undefined) {
      if (inCi()) throw new Error(`CI: the server log (${logFile}) must be readable for the secrets test`);
      console.warn(`the server log (${logFile}) cannot be read here: the secrets test cannot look into it`);
      return;
    }
    const database = new URL(target.url).pathname.slice(1);
    await asAdmin((c) => c.query(`ALTER DATABASE ${database} SET log_statement = 'all'; ALTER DATABASE ${database} SET log_min_duration_statement = 0; ALTER DATABASE ${database} SET log_parameter_max_length = -1`));
    try {
      today = addDays(today, 1);
      const delta = runOk(run());
      expect(delta.mode).toBe('delta');
      const full = runOk(run({ extra: ['--full', '--force'] }));
      expect(full.rows).toBeGreaterThan(1000);
    } finally {
      await asAdmin((c) => c.query(`ALTER DATABASE ${database} RESET log_statement; ALTER DATABASE ${database} RESET log_min_duration_statement; ALTER DATABASE ${database} RESET log_parameter_max_length`));
    }
    const logged = await asAdmin((c) => c.query<{ text: string }>('SELECT pg_read_file($1, $2, 200000000) AS text', [logFile, size]).then((r) => r.rows[0]!.text));
    const ours = logged.split('\n').filter((l) => l.includes('exdef') || l.includes('current_setting'));
    expect(ours.some((l) => /COPY \(/.test(l)), 'the log records the run’s statements (the test is not vacuous)').toBe(true);
    expect(logged.includes(pseudonymKey), 'the pseudonym key is not in the server log').toBe(false);
    expect(logged.includes(await recordKey()), 'the record key is not in the server log').toBe(false);
  });

  it('files are 0600 in 0700 directories from the first byte, whatever the umask: temporary CSVs, the output folder, the ZIP, the .enc, the log', async () => {
    today = addDays(today, 1);
    const fresh = join(work.dir, 'private-out');
    const recipient = join(work.dir, 'recipient');
    mkdirSync(recipient);
    for (const args of [
      ['genpkey', '-algorithm', 'RSA', '-out', 'private.pem', '-pkeyopt', 'rsa_keygen_bits:2048'],
    ]) {
      execFileSync('openssl', args, { cwd: recipient, stdio: 'ignore' });
    }
    selfSignedCertificate(recipient, { key: 'private.pem', certificate: 'certificate.pem', name: 'test', days: 30 });
    const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);
    const previous = process.umask(0o022);
    const lock = await lockObservations();
    try {
      // Caught while extracting: children.csv written, observations.csv opened and waiting.
      const running = spawnRun({ ...run({ extra: ['--encrypt-to', join(recipient, 'certificate.pem'), '--force'] }), out: fresh });
      const temporary = await waitFor('the run’s temporary directory with its CSVs', () => {
        const dir = existsSync(fresh) ? readdirSync(fresh).find((d) => d.startsWith('.exdef-run-')) : undefined;
        return dir && existsSync(join(fresh, dir, 'observations.csv')) ? join(fresh, dir) : undefined;
      }, 60_000);
      expect(mode(fresh), 'the output folder exdef made').toBe('700');
      expect(mode(temporary), 'the temporary directory').toBe('700');
      for (const file of readdirSync(temporary)) expect(mode(join(temporary, file)), `temporary ${file}`).toBe('600');
      await lock.query('ROLLBACK');
      const exit = await running.exited;
      expect(exit.code, running.stderr()).toBe(0);
    } finally {
      process.umask(previous);
      await lock.query('ROLLBACK').catch(() => undefined);
      await lock.end();
    }
    const delivered = readdirSync(fresh).filter((f) => !f.startsWith('.') && f !== 'logs');
    expect(delivered.some((f) => f.endsWith('.zip.enc'))).toBe(true);
    for (const file of delivered) expect(mode(join(fresh, file)), file).toBe('600');
    expect(mode(join(fresh, 'logs'))).toBe('700');
    for (const file of readdirSync(join(fresh, 'logs'))) expect(mode(join(fresh, 'logs', file)), `logs/${file}`).toBe('600');
  });

  it('two runs of one definition at once: the second is refused at once, naming the first, and writes no log; the first delivers', async () => {
    today = addDays(today, 1);
    const lock = await lockObservations();
    try {
      const first = spawnRun(run());
      await copyWaitingForLock('the first run to be extracting');
      const logsBefore = existsSync(join(out, 'logs')) ? readdirSync(join(out, 'logs')) : [];
      const second = runFails(run({ extra: ['--full', '--force'] }));
      expect(second.status).toBe(1);
      expect(errorLine(second.stderr)).toMatch(/^error \(lock\): another run of production-feed is in progress on this database \(server process \d+\)/);
      expect(existsSync(join(out, 'logs')) ? readdirSync(join(out, 'logs')) : []).toEqual(logsBefore);
      await lock.query('ROLLBACK');
      const exit = await first.exited;
      expect(exit.code, first.stderr()).toBe(0);
    } finally {
      await lock.query('ROLLBACK').catch(() => undefined);
      await lock.end();
    }
    // The lock went with the first run.
    today = addDays(today, 1);
    expect(runOk(run()).mode).toBe('delta');
  });

  it('a full delivered without its state saved is repeated by the next run, not followed by a delta against the old state', async () => {
    today = addDays(today, 1);
    await target.use((db) =>
      db.exec(`CREATE FUNCTION pg_temp_fail_state() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'simulated: the connection was lost'; END $$;
               CREATE TRIGGER fail_state BEFORE INSERT OR UPDATE ON exdef_state.extract_state FOR EACH ROW EXECUTE FUNCTION pg_temp_fail_state()`),
    );
    try {
      const lost = runFails(run({ extra: ['--full', '--force'] }));
      expect(lost.status).toBe(1);
      expect(errorLine(lost.stderr)).toMatch(/^error \(state\): the extract is complete, but its state could not be saved .*the next run repeats this one/);
    } finally {
      await target.use((db) => db.exec('DROP TRIGGER fail_state ON exdef_state.extract_state; DROP FUNCTION pg_temp_fail_state()'));
    }
    today = addDays(today, 1);
    const repeated = runOk(run());
    expect(repeated.mode).toBe('full');
    expect(repeated.reason).toMatch(/may have been delivered without its state being saved: it is repeated/);
    today = addDays(today, 1);
    expect(runOk(run()).mode, 'then deltas again').toBe('delta');
  });

  it("a run killed while its query waits ends that query on the server within seconds, not at the statement timeout", async () => {
    today = addDays(today, 1);
    const lock = await lockObservations();
    try {
      const running = spawnRun(run());
      await copyWaitingForLock('the COPY of observations to wait for the lock');
      running.child.kill('SIGKILL');
      await running.exited;
      // The lock is still held: the backend is never given a row to send, so only a check of its
      // client can end it.
      await waitFor(
        'the killed run’s backends to end while the lock is still held',
        async () => {
          const [row] = await target.use((db) => db.query<{ n: string }>(`SELECT count(*)::text AS n FROM pg_stat_activity WHERE application_name = 'exdef' AND datname = current_database()`));
          return row!.n === '0' ? true : undefined;
        },
        20_000,
        200,
      );
    } finally {
      await lock.query('ROLLBACK').catch(() => undefined);
      await lock.end();
    }
  });
});
