/**
 * `exdef run` when things go wrong, end to end on both engines: a run killed with SIGKILL or
 * interrupted with SIGTERM while it extracts, its database connections terminated (PostgreSQL),
 * an output directory that cannot be made, a disk that fills up (when a small tmpfs can be mounted),
 * a definition with lint errors, a missing pseudonym key, a missing certificate, a database that
 * refuses connections, two runs within one second (PostgreSQL). Each must leave nothing under a
 * final name, the state as it was, a FAILED log where one can be written, one clear line and the
 * right exit code; and the next run must succeed with exactly the delta it would have given.
 *
 * The definition is a delta feed of every observation of the patients at A81001 and A81002 (a copy
 * of chis-immunisations without its filters), so that extracting takes a moment. Its observations
 * dataset has no quasi-identifier, so nothing but its COPY reads reporting.observation: on
 * PostgreSQL a test holds an ACCESS EXCLUSIVE lock on that table to catch the run, deterministically,
 * in the middle of extracting (its COPY waits on the lock), instead of racing a fast COPY.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { resources } from '../../src/resources.js';
import { runCli } from '../support/cli.js';
import { testEngines, type EngineName } from '../support/engines.js';
import {
  deliveredFiles,
  errorLine,
  extractState,
  makeWorkDir,
  readExtract,
  recordId,
  runArgs,
  runFails,
  runLog,
  runOk,
  runTemporaries,
  runWithin,
  seededTarget,
  spawnRun,
  stateRows,
  TEST_APPLICATION,
  waitFor,
  writeKeysFile,
  type RunningExdef,
  type RunTarget,
} from '../support/run-harness.js';
import { inCi } from '../../src/ci-environment.js';
import { TEST_HOLD_VARIABLE } from '../../src/execute/test-hold.js';

const ID = 'observation-feed';

/** chis-immunisations' governance, population (without its age filter) and output, with datasets of every observation. */
function feedDefinition(extraChildField = ''): string {
  const chis = readFileSync(join(resources.definitions, 'chis-immunisations.exdef.yaml'), 'utf8');
  const head = chis.slice(0, chis.indexOf('\ndatasets:'));
  const filter = '  where: age_years(date_of_birth) < 20\n';
  if (!head.includes('id: chis-immunisations\n') || !head.includes(filter)) throw new Error('chis-immunisations.exdef.yaml changed: update feedDefinition()');
  const without = head.replace('id: chis-immunisations', `id: ${ID}`).replace(filter, '');
  return `${without}
datasets:
  - name: children
    from: patient
    fields:
      - name: nhs_number
        value: nhs_number
        justification: Matches each patient to the record already held.
      - name: practice
        value: current_registration.practice_ods
        justification: Tells the recipient which practice to contact.${extraChildField}
  - name: observations
    from: observation
    fields:
      - name: code
        value: code
        justification: The recorded code identifies the condition for the feed.
`;
}

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** Observations of patients who stay in the population all through (one permanent registration at A81001, no opt-out). */
async function stableObservations(db: Database): Promise<string[]> {
  const rows = await db.query<{ id: string }>(
    `SELECT o.observation_id::text AS id FROM reporting.observation o JOIN reporting.patient p ON p.patient_id = o.patient_id
      WHERE p.deleted_at IS NULL AND NOT p.pds_sensitive AND p.date_of_death IS NULL
        AND o.deleted_at IS NULL AND NOT o.confidential AND o.code IN (27113001, 271649006, 271650006)
        AND (SELECT count(*) FROM reporting.registration r WHERE r.patient_id = p.patient_id) = 1
        AND EXISTS (SELECT 1 FROM reporting.registration r WHERE r.patient_id = p.patient_id AND r.practice_ods = 'A81001'
                      AND r.registration_type = 'permanent' AND r.end_date IS NULL AND r.deleted_at IS NULL)
        AND NOT EXISTS (SELECT 1 FROM reporting.opt_out x WHERE x.patient_id = p.patient_id)
      ORDER BY o.observation_id LIMIT 10`,
  );
  return rows.map((r) => r.id);
}

describe.each(testEngines())('exdef run: faults on %s', (engine: EngineName) => {
  const work = makeWorkDir(`exdef-run-faults-${engine}-`);
  const out = join(work.dir, 'out');
  const definition = join(work.dir, 'feed.exdef.yaml');
  let keys: string;
  let target: RunTarget;
  let observations: string[] = [];
  let today = '2026-11-21';
  const run = (options: { definition?: string; out?: string; extra?: string[]; env?: NodeJS.ProcessEnv } = {}) => ({
    definition: options.definition ?? definition,
    target,
    out: options.out ?? out,
    today,
    keys,
    ...(options.extra ? { extra: options.extra } : {}),
    ...(options.env ? { env: options.env } : {}),
  });

  /** What a failed run must not have changed. */
  const before = async () => ({ state: await target.use(stateRows), files: deliveredFiles(out) });
  const expectUntouched = async (was: { state: string; files: string[] }) => {
    expect(deliveredFiles(out), 'nothing under a final name').toEqual(was.files);
    expect(await target.use(stateRows), 'the state is unchanged').toBe(was.state);
  };
  /** The log of today's extract says FAILED, with the reason as its last line. */
  const expectFailedLog = (reason: RegExp) => {
    const log = runLog(out, today);
    expect(log, `a log for ${today}`).toBeDefined();
    expect(log).toMatch(/^Status: FAILED\n/);
    expect(log).toMatch(/^Number of errors: 1$/m);
    expect(log!.trim().split('\n').at(-1)).toMatch(reason);
    expect(log!.trim().split('\n').at(-1)).toMatch(/^Reason: /);
  };
  /** Observations changed since the last successful run: the next delta must hold exactly these. */
  let pending: string[] = [];
  const changeObservations = (ids: string[]) =>
    target.use(async (db) => {
      // A change the recipient sees (a delta compares what is sent, so a change to a column no field shows sends nothing):
      // the code, between asthma and essential hypertension, neither in a sensitive set.
      for (const id of ids) {
        await db.query(`UPDATE reporting.observation SET code = CASE WHEN code = 195967001 THEN 59621000 ELSE 195967001 END WHERE observation_id = $1::bigint`, [id]);
      }
      pending.push(...ids);
    });
  /** The next run succeeds and is exactly the delta it would have been had the failures never happened. */
  const expectRecovery = async () => {
    const state = (await target.use((db) => extractState(db, ID)))!;
    const summary = runOk(run());
    const changed = pending;
    pending = [];
    expect(summary.mode).toBe('delta');
    const extract = readExtract(summary.output);
    // The state the failed runs left: the delta is compared with the last successful run's holdings (window_end keeps its snapshot).
    expect((extract.manifest as { comparison?: { with: string | null } }).comparison?.with, 'compared with the last successful run').toBe(state.windowEnd);
    const rows = [...extract.datasets].flatMap(([dataset, r]) => r.map((row) => `${dataset} ${row['change_type']} ${row['record_id']}`)).sort();
    expect(rows).toEqual(changed.map((id) => `observations upsert ${recordId(id, state.recordKey)}`).sort());
    expect(runTemporaries(out), 'no temporary directory left').toEqual([]);
    expect(runLog(out, today)).toMatch(/^Status: COMPLETE\n/);
    expect(await target.use((db) => extractState(db, ID))).toMatchObject({ runs: state.runs + 1, lastExtractDate: today, lastMode: 'delta' });
  };

  /**
   * Starts a run and resolves once it is extracting the observations dataset: on PostgreSQL its COPY
   * is waiting for the lock `lock` holds; on PGlite (which extracts this data in milliseconds) the
   * run is held after the first bytes of observations.csv (test-hold.ts) and says so.
   */
  const startExtracting = async (lock: pg.Client | undefined): Promise<RunningExdef> => {
    const running = spawnRun(run(lock ? {} : { env: { [TEST_HOLD_VARIABLE]: 'observations' } }));
    const exitedEarly = running.exited.then(({ code }) => {
      throw new Error(`the run ended (exit ${code}) before it was caught extracting:\n${running.stderr()}`);
    });
    exitedEarly.catch(() => undefined);
    // On PostgreSQL only the observations dataset reads the locked table (and pg_stat_activity shows a
    // query's first kilobyte only). It is polled on another connection: inside the lock's
    // transaction pg_stat_activity would not change.
    const waiting = `SELECT count(*)::text AS n FROM pg_stat_activity
                      WHERE application_name = 'exdef' AND datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'COPY (%'`;
    const caught = lock
      ? waitFor('the COPY of observations to wait for the lock', async () => ((await target.use((db) => db.query<{ n: string }>(waiting)))[0]!.n === '1' ? true : undefined), 90_000)
      : waitFor('the run to be held in observations', () => {
          if (!running.stderr().includes(`holding the run in observations (${TEST_HOLD_VARIABLE})`)) return undefined;
          const temporary = runTemporaries(out).find((d) => d.startsWith(`.exdef-run-${running.child.pid}-`));
          return temporary && existsSync(join(out, temporary)) ? true : undefined;
        }, 90_000);
    try {
      await Promise.race([caught, exitedEarly]);
    } catch (error) {
      running.child.kill('SIGKILL');
      // Gone before the next test opens the embedded database (one process at a time).
      await running.exited;
      throw error;
    }
    return running;
  };
  const lockObservations = async (): Promise<pg.Client> => {
    const client = new pg.Client({ connectionString: target.url, application_name: TEST_APPLICATION });
    await client.connect();
    await client.query('BEGIN');
    await client.query('LOCK TABLE reporting.observation IN ACCESS EXCLUSIVE MODE');
    return client;
  };
  /** Waits until the server has ended every backend of exdef runs (a killed client's backend ends when it next writes). */
  const exdefBackendsGone = () =>
    waitFor('the killed run’s backends to end', async () => {
      const [row] = await target.use((db) => db.query<{ n: string }>(`SELECT count(*)::text AS n FROM pg_stat_activity WHERE application_name = 'exdef' AND datname = current_database()`));
      return row!.n === '0' ? true : undefined;
    });

  beforeAll(async () => {
    keys = writeKeysFile(join(work.dir, 'keys.yaml'), { unused: 'k'.repeat(40) });
    writeFileSync(definition, feedDefinition());
    // On PostgreSQL a lock holds a run mid-extract, so a small population does; on PGlite the run is
    // caught while writing rows, so it must have enough of them to be caught.
    target = await seededTarget(engine, work.dir, { patients: engine === 'postgres' ? 800 : 1500, seed: 5 });
    observations = await target.use(stableObservations);
    expect(observations.length).toBe(10);
    const first = runOk(run());
    expect(first.mode).toBe('full');
    expect(first.files.find((f) => f.dataset === 'observations')!.rows).toBeGreaterThan(engine === 'postgres' ? 2_000 : 20_000);
  });
  afterAll(async () => {
    await target?.drop();
    work.remove();
  });

  it('a run killed with SIGKILL while extracting leaves nothing; the next run removes its temporary directory and gives the same delta', async () => {
    today = addDays(today, 1);
    await changeObservations([observations[0]!]);
    const was = await before();
    const lock = engine === 'postgres' ? await lockObservations() : undefined;
    try {
      const running = await startExtracting(lock);
      running.child.kill('SIGKILL');
      expect(await running.exited).toEqual({ code: null, signal: 'SIGKILL' });
      if (lock) {
        await lock.query('ROLLBACK');
        await exdefBackendsGone();
      }
    } finally {
      await lock?.end();
    }
    // The killed run's temporary directory stays until the next run; the embedded database opens again.
    expect(runTemporaries(out)).toHaveLength(1);
    expect(runLog(out, today), 'a killed process writes no log').toBeUndefined();
    await expectUntouched(was);
    await expectRecovery();
  });

  it.skipIf(engine === 'pglite')(
    `a run whose database connections are terminated mid-extract fails in one line naming the lost connection and the dataset${engine === 'pglite' ? ' (skipped on PGlite: embedded, no connection to lose)' : ''}`,
    async () => {
      today = addDays(today, 1);
      await changeObservations([observations[1]!]);
      const was = await before();
      const lock = await lockObservations();
      let exit: { code: number | null; signal: NodeJS.Signals | null };
      let running: RunningExdef;
      try {
        running = await startExtracting(lock);
        const rows = await target.use((db) =>
          db.query<{ n: string }>(`SELECT count(pg_terminate_backend(pid))::text AS n FROM pg_stat_activity WHERE application_name = 'exdef' AND datname = current_database()`),
        );
        expect(Number(rows[0]!.n)).toBeGreaterThanOrEqual(1);
        exit = await running.exited;
        await lock.query('ROLLBACK');
      } finally {
        await lock.end();
      }
      // Soft: every consequence is reported, and the run after is made whatever happened.
      const stderr = running.stderr();
      expect.soft(exit, stderr).toEqual({ code: 1, signal: null });
      expect.soft(stderr.split('\n').filter((l) => /^\s+at /.test(l)), 'no stack trace').toEqual([]);
      const errors = stderr.split('\n').filter((l) => /^(error|internal error)\b/.test(l));
      expect.soft(errors, 'one error line').toHaveLength(1);
      expect.soft(errors[0] ?? '(none)', 'it says the connection was lost').toMatch(/connection .*(lost|terminated|closed)/i);
      expect.soft(errors[0] ?? '(none)', 'it names the dataset').toContain('observations');
      expect.soft(runTemporaries(out), 'the failed run removed its temporary directory').toEqual([]);
      const log = runLog(out, today);
      expect.soft(log, 'a FAILED log').toMatch(/^Status: FAILED\n/);
      expect.soft(log, 'its reason').toMatch(/^Reason: .*connection .*(lost|terminated|closed)/im);
      await expectUntouched(was);
      await expectRecovery();
    },
  );

  describe('failures that leave the state as it was, then the run that follows', () => {
    let was: { state: string; files: string[] };
    beforeAll(async () => {
      today = addDays(today, 1);
      await changeObservations([observations[2]!, observations[3]!]);
      was = await before();
    });

    it('an output directory that cannot be made: exit 2 (an environment error, issue 12) naming it, nothing written', async () => {
      const file = join(work.dir, 'a-file');
      writeFileSync(file, 'not a directory\n');
      for (const bad of [join(file, 'extracts'), file]) {
        const result = runFails(run({ out: bad }));
        expect(result.status).toBe(2);
        const line = errorLine(result.stderr);
        expect(line).toContain(bad);
        // One clear reason, in words (not a raw system error such as "EEXIST: file already exists, mkdir ...").
        expect.soft(line, 'the reason in words').toMatch(/a file is in the way|not a directory/);
        expect.soft(line, 'no raw system error').not.toMatch(/\bE[A-Z]{3,}\b:/);
      }
      expect(readFileSync(file, 'utf8')).toBe('not a directory\n');
      expect(runLog(out, today)).toBeUndefined();
      await expectUntouched(was);
    });

    it('a disk that fills up while extracting: exit 1 saying so, nothing left behind, a FAILED log (needs root to mount a small tmpfs: skipped without it, except under CI)', async (context) => {
      const tiny = join(work.dir, 'tiny-disk');
      mkdirSync(tiny);
      try {
        if (process.getuid?.() !== 0) throw new Error('not root');
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', tiny], { stdio: 'ignore' });
      } catch (error) {
        // CI runs as root (bash .ci/run): there the test must run, never skip.
        if (inCi()) throw new Error(`CI: a 64 KiB tmpfs must be mountable for the full-disk test (${error instanceof Error ? error.message : String(error)})`);
        context.skip('a small tmpfs cannot be mounted here (root and mount privileges needed): a full disk is not simulated');
      }
      try {
        // A full extract (a delta of two rows would fit).
        // Generous: a loaded machine's embedded run takes tens of seconds to reach the disk; a hang takes for ever.
        const result = await runWithin(run({ out: tiny, extra: ['--full'] }), 100_000);
        expect(result.hung, `the run ends rather than hang:\n${result.stderr}`).toBe(false);
        expect(result.status, result.stderr).toBe(1);
        expect(errorLine(result.stderr)).toMatch(/^error \(run\): extracting dataset \w+: the disk is full/);
        expect(runTemporaries(tiny), 'the temporary directory is removed').toEqual([]);
        expect(deliveredFiles(tiny)).toEqual([]);
        expect(runLog(tiny, today), 'a FAILED log once the space is freed').toMatch(/^Status: FAILED\n[^]*^Reason: .*disk is full/m);
        await expectUntouched(was);
      } finally {
        execFileSync('umount', [tiny]);
      }
    }, 180_000);

    it('a definition with lint errors is not run: exit 1, the errors at file:line, a FAILED log', async () => {
      const bad = join(work.dir, 'feed-bad.exdef.yaml');
      writeFileSync(bad, feedDefinition().replace('        justification: The recorded code identifies the condition for the feed.\n', ''));
      const result = runFails(run({ definition: bad }));
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(new RegExp(`${bad.replace(/[.]/g, '\\.')}:\\d+:\\d+ error`));
      expect(errorLine(result.stderr)).toMatch(/lint error.*not run/);
      expectFailedLog(/lint error/);
      expect(runTemporaries(out)).toEqual([]);
      await expectUntouched(was);
    });

    it('a missing pseudonym key: exit 2 naming the key and its environment variable, a FAILED log', async () => {
      const keyed = join(work.dir, 'feed-keyed.exdef.yaml');
      writeFileSync(
        keyed,
        feedDefinition(`
      - name: person_key
        value: pseudonym(patient_id, 'feed-key')
        justification: Links the feed with the recipient's earlier pseudonymised data.`),
      );
      const result = runFails(run({ definition: keyed, env: { EXDEF_KEY_FEED_KEY: '' } }));
      expect(result.status, result.stderr).toBe(2);
      const line = errorLine(result.stderr);
      expect(line).toContain("'feed-key'");
      expect(line).toContain('EXDEF_KEY_FEED_KEY');
      expectFailedLog(/feed-key/);
      await expectUntouched(was);
    });

    it('an encryption certificate that does not exist: exit 2 naming it, a FAILED log', async () => {
      const missing = join(work.dir, 'no-such-certificate.pem');
      const result = runFails(run({ extra: ['--encrypt-to', missing] }));
      expect(result.status).toBe(2);
      expect(errorLine(result.stderr)).toContain(missing);
      expectFailedLog(/no-such-certificate\.pem/);
      await expectUntouched(was);
    });

    it('a run interrupted with SIGTERM while extracting: exit 1, its temporary directory removed, a FAILED log', async () => {
      const lock = engine === 'postgres' ? await lockObservations() : undefined;
      let running: RunningExdef;
      let exit: { code: number | null; signal: NodeJS.Signals | null };
      try {
        running = await startExtracting(lock);
        running.child.kill('SIGTERM');
        exit = await running.exited;
        if (lock) {
          await lock.query('ROLLBACK');
          await exdefBackendsGone();
        }
      } finally {
        await lock?.end();
      }
      expect(exit, running.stderr()).toEqual({ code: 1, signal: null });
      expect(errorLine(running.stderr())).toMatch(/interrupted \(SIGTERM\)/);
      // --json always answers: the error object on stdout.
      expect(JSON.parse(running.stdout())).toMatchObject({ error: { code: 'failed', exitCode: 1, message: expect.stringMatching(/^interrupted \(SIGTERM\)/) } });
      expect(runTemporaries(out)).toEqual([]);
      // On PGlite the dataset was being read from a file of the data directory: it went with the process.
      if (engine === 'pglite') expect(readdirSync(target.url.slice('pglite:'.length)).filter((name) => name.startsWith('exdef-copy-'))).toEqual([]);
      expectFailedLog(/interrupted/);
      await expectUntouched(was);
    });

    it('the next run succeeds and gives exactly the delta the failed runs would have given', async () => {
      await expectRecovery();
    });
  });

  it.skipIf(engine === 'pglite')(
    `two re-sends of one definition started together: one delivers, the other is refused at once by the definition's lock, naming it${engine === 'pglite' ? ' (skipped on PGlite: one process at a time)' : ''}`,
    async () => {
      // A re-send records what it sent in the state, so it takes the definition's lock like any run.
      const runs = ['A81001', 'A81002'].map((practice) => spawnRun(run({ extra: ['--practice', practice] })));
      const exits = await Promise.all(runs.map((r) => r.exited));
      const outcomes = exits.map((e, i) => ({ code: e.code, errors: runs[i]!.stderr().split('\n').filter((l) => l.startsWith('error')) }));
      const won = outcomes.filter((o) => o.code === 0);
      const refused = outcomes.filter((o) => o.code !== 0);
      // One delivers (both, when the first had finished before the second asked for the lock).
      expect(won.length, JSON.stringify(outcomes)).toBeGreaterThanOrEqual(1);
      for (const w of won) expect(w.errors).toEqual([]);
      for (const r of refused) {
        expect(r.code).toBe(1);
        expect(r.errors).toHaveLength(1);
        expect(r.errors[0]).toMatch(/^error \(lock\): another run of observation-feed is in progress on this database/);
      }
    },
  );
});

describe('exdef run: a database that refuses connections', () => {
  const work = makeWorkDir('exdef-run-refused-');
  afterAll(() => work.remove());

  it('exit 2 and one line naming the database, with no password; a FAILED log', () => {
    const out = join(work.dir, 'out');
    const keys = writeKeysFile(join(work.dir, 'keys.yaml'), { unused: 'k'.repeat(40) });
    const args = runArgs({
      definition: join(resources.definitions, 'chis-immunisations.exdef.yaml'),
      target: { url: 'postgres://exdef:secret-password@127.0.0.1:1/reporting' } as RunTarget,
      out,
      today: '2026-11-22',
      keys,
    });
    const result = runCli(args);
    expect(result.status).toBe(2);
    // --json always answers (issue 12): the error as JSON on stdout, the human line on stderr.
    if (args.includes('--json')) expect(JSON.parse(result.stdout)).toMatchObject({ error: { code: 'usage', exitCode: 2, step: 'connect' } });
    else expect(result.stdout).toBe('');
    const line = errorLine(result.stderr);
    expect(line).toContain('postgres://exdef@127.0.0.1:1/reporting');
    expect(line).toMatch(/connection refused/);
    expect(result.stderr).not.toContain('secret-password');
    expect(deliveredFiles(out)).toEqual([]);
    // docs/run.md: "a FAILED log is written where it can be" — the output directory can be written.
    const log = runLog(out, '2026-11-22');
    expect(log, 'a FAILED log').toMatch(/^Status: FAILED\n/);
    expect(log).toMatch(/^Reason: .*connection refused/m);
    expect(log).not.toContain('secret-password');
  });
});
