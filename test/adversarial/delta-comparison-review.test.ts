/**
 * Adversarial review of issue 13 (deltas by comparison): sequences where a row that must not go
 * out does. `on_opt_back_in: no_backfill` promises that a patient back from a Type 1 opt-out "is
 * extracted from then on" (docs/format.md) and "is sent only rows that change after they came
 * back" (docs/run.md). In-process runs (test/support/delta-recipient.ts) on PGlite, and on
 * PostgreSQL when EXDEF_TEST_DATABASE_URL is set.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { resources } from '../../src/resources.js';
import { expectCopyEqualsFull, InjectedCrash, Recipient, referenceCatalogue, runInProcess, seedSmall } from '../support/delta-recipient.js';
import { approvedProvider } from '../support/approvals.js';
import { runExtract } from '../../src/execute/run-extract.js';
import { lockRun } from '../../src/execute/run-lock.js';
import { scratchDatabase, testEngines, type EngineName, type ScratchDatabase } from '../support/engines.js';
import { IdAllocator, makeWorkDir, readExtract, writeKeysFile, type Extract } from '../support/run-harness.js';

const PRACTICES = ['A81001', 'A81002'];
const VACCINE = '86198006';
/** Today (UTC): the opt-out's times and the rows' change times are real times, as the delta state's are. */
const START = new Date().toISOString().slice(0, 10);

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** chis-immunisations for every age, no_backfill (as shipped), on_leave: delete; in the layout given. */
function noBackfillDefinition(id: string, layout: Layout = 'single_zip'): string {
  const text = readFileSync(join(resources.definitions, 'chis-immunisations.exdef.yaml'), 'utf8')
    .replace('id: chis-immunisations', `id: ${id}`)
    .replace('on_opt_back_in: no_backfill', 'on_opt_back_in: no_backfill\n  on_leave: delete')
    .replace('  where: age_years(date_of_birth) < 20\n', '')
    .replace('layout: single_zip', `layout: ${layout}`);
  expect(text).toContain('on_opt_back_in: no_backfill');
  expect(text).not.toContain('age_years');
  expect(text).toContain(`layout: ${layout}`);
  return text;
}

type Layout = 'single_zip' | 'per_practice';

/** The immunisation dates sent for an NHS number in an extract, in any layout (upserts only). */
function datesSentAnywhere(extract: Extract, nhs: string): string[] {
  return [...extract.datasets]
    .filter(([name]) => name === 'immunisations' || name.endsWith('/immunisations'))
    .flatMap(([, rows]) => rows.filter((r) => r['nhs_number'] === nhs && r['change_type'] === 'upsert').map((r) => r['vaccination_date']!))
    .sort();
}

/** The data rows of an extract, all files together. */
function rowsIn(extract: Extract): number {
  return [...extract.datasets.values()].reduce((n, rows) => n + rows.length, 0);
}

/** The immunisation dates sent for an NHS number in an extract (upserts only). */
function datesSent(extract: Extract, nhs: string): string[] {
  return (extract.datasets.get('immunisations') ?? [])
    .filter((r) => r['nhs_number'] === nhs && r['change_type'] === 'upsert')
    .map((r) => r['vaccination_date']!)
    .sort();
}

describe.each(testEngines())('no_backfill under deltas by comparison on %s', (engine: EngineName) => {
  const work = makeWorkDir(`exdef-review-b-${engine}-`);
  let scratch: ScratchDatabase;
  let db: Database;
  let keys: string;
  const ids = new IdAllocator();
  let cast: { id: string; practice: string; nhs: string }[] = [];
  const take = () => cast.shift()!;

  beforeAll(async () => {
    keys = writeKeysFile(join(work.dir, 'keys.yaml'), { unused: 'k'.repeat(40) });
    scratch = await scratchDatabase(engine, { maxConnections: 12 });
    db = scratch.db;
    await seedSmall(db, { patients: 120, seed: 31, asOf: START });
    cast = await db.query(
      `SELECT p.patient_id::text AS id, r.practice_ods AS practice, p.nhs_number AS nhs FROM reporting.patient p
         JOIN reporting.registration r ON r.patient_id = p.patient_id
        WHERE p.deleted_at IS NULL AND NOT p.pds_sensitive AND p.date_of_death IS NULL AND p.nhs_number IS NOT NULL
          AND r.registration_type = 'permanent' AND r.end_date IS NULL AND r.deleted_at IS NULL AND r.start_date <= DATE '${START}'
          AND r.practice_ods = ANY($1::text[])
          AND (SELECT count(*) FROM reporting.registration x WHERE x.patient_id = p.patient_id) = 1
          AND NOT EXISTS (SELECT 1 FROM reporting.opt_out o WHERE o.patient_id = p.patient_id)
        ORDER BY p.patient_id`,
      [PRACTICES],
    );
    expect(cast.length).toBeGreaterThanOrEqual(3);
  }, 120_000);
  afterAll(async () => {
    await scratch?.drop();
    work.remove();
  });

  /** A patient of the cast at `practice`. */
  const takeAt = (practice: string) => {
    const at = cast.findIndex((p) => p.practice === practice);
    expect(at, `a patient of the cast at ${practice}`).toBeGreaterThanOrEqual(0);
    return cast.splice(at, 1)[0]!;
  };
  const immunisation = async (patient: { id: string; practice: string }, date: string): Promise<string> => {
    const id = await ids.take(db, 'observation', 'observation_id');
    await db.query(
      `INSERT INTO reporting.observation (observation_id, patient_id, practice_ods, consultation_id, code, effective_date, recorded_at, value_numeric, value_unit, comment, confidential, updated_at, deleted_at)
       VALUES ($1::bigint, $2::bigint, $3, NULL, $4::bigint, $5::date, $5::date + time '10:00', NULL, NULL, NULL, false, now(), NULL)`,
      [id, patient.id, patient.practice, VACCINE, date],
    );
    return id;
  };
  const softDelete = async (observationId: string): Promise<void> => {
    await db.query(`UPDATE reporting.observation SET deleted_at = now(), updated_at = now() WHERE observation_id = $1::bigint`, [observationId]);
  };
  /** The state's run: what a re-send must not move. */
  const stateRun = async (id: string) =>
    (await db.query(`SELECT fingerprint, record_key, last_snapshot::text AS last_snapshot, last_extract_date::text AS last_extract_date, last_mode, runs FROM exdef_state.extract_state WHERE definition_id = $1`, [id]))[0];
  const optOut = async (patient: { id: string }): Promise<string> => {
    const id = await ids.take(db, 'opt_out', 'opt_out_id');
    await db.query(
      `INSERT INTO reporting.opt_out (opt_out_id, patient_id, opt_out_type, effective_from, effective_to, updated_at) VALUES ($1::bigint, $2::bigint, 'type1', now() - interval '1 hour', NULL, now())`,
      [id, patient.id],
    );
    return id;
  };
  const optBackIn = async (optOutId: string): Promise<void> => {
    await db.query(`UPDATE reporting.opt_out SET effective_to = now(), updated_at = now() WHERE opt_out_id = $1::bigint`, [optOutId]);
  };
  const feed = (name: string, layout: Layout = 'single_zip') => {
    const id = `review-b-${name}`;
    const file = join(work.dir, `${id}.exdef.yaml`);
    writeFileSync(file, noBackfillDefinition(id, layout));
    const out = join(work.dir, id);
    mkdirSync(out, { recursive: true });
    const recipient = new Recipient(out);
    return {
      recipient,
      async run(today: string, options: { full?: boolean; crash?: 'delivered' } = {}): Promise<Extract> {
        try {
          const result = await runInProcess({ definition: file, db, out, today, keysFile: keys, ...options });
          expect(recipient.receive()).toBe(1);
          return readExtract(result.output);
        } catch (error) {
          if (!(error instanceof InjectedCrash)) throw error;
          expect(recipient.receive(), 'the crashed run delivered').toBe(1);
          const last = recipient.applied.at(-1)!;
          return readExtract(join(out, last.file));
        }
      },
      id,
      /** A --practice run (a full for some practices), as docs/run.md offers for re-sending a practice's data; `deliver` puts it where the recipient takes deliveries. */
      async resend(today: string, practice: string, deliver = false): Promise<Extract> {
        const result = await runInProcess({ definition: file, db, out: deliver ? out : join(work.dir, `${id}-resend`), today, keysFile: keys, practices: [practice] });
        if (deliver) expect(recipient.receive()).toBe(1);
        return readExtract(result.output);
      },
      /** A --practice re-send delivered, that crashes just after its output is in place. */
      async resendCrashing(today: string, practice: string): Promise<void> {
        await expect(runInProcess({ definition: file, db, out, today, keysFile: keys, practices: [practice], crash: 'delivered' })).rejects.toThrow(InjectedCrash);
        expect(recipient.receive(), 'the crashed re-send delivered').toBe(1);
      },
      /** A run on `today` while only `approved` practices have a valid approval (another's lapsed), applied by the recipient. */
      async runApproved(today: string, approved: string[]): Promise<Extract> {
        const quiet = () => undefined;
        const result = await runExtract({
          file, db, catalogue: referenceCatalogue(), out, extractDate: today, full: false, force: false,
          approvals: approvedProvider(file, { work: join(work.dir, `${id}-approvals-${approved.join('-')}`), practices: approved }),
          keysFile: keys, env: {}, concurrency: 2, statementTimeoutSeconds: 120,
          events: { warn: quiet, step: quiet, datasetStarted: quiet, datasetRows: quiet, datasetFinished: quiet },
        });
        expect(recipient.receive()).toBe(1);
        return readExtract(result.output);
      },
      /** A fresh full extract of every practice, with the state's record key (a re-send the recipient does not take: the last step of a test). */
      async reference(today: string): Promise<string> {
        return (await runInProcess({ definition: file, db, out: join(work.dir, `${id}-reference`), today, keysFile: keys, practices: PRACTICES })).output;
      },
    };
  };

  /** A patient with an old immunisation, sent in the baseline, who opts out (deleted downstream) and back in: the old row is withheld. */
  const optedBackIn = async (name: string) => {
    const patient = take();
    await immunisation(patient, '2026-03-01');
    const f = feed(name);
    let day = START;
    expect(datesSent(await f.run(day), patient.nhs)).toContain('2026-03-01');
    const opt = await optOut(patient);
    day = addDays(day, 1);
    await f.run(day);
    await optBackIn(opt);
    day = addDays(day, 1);
    expect(datesSent(await f.run(day), patient.nhs), 'no_backfill: the row from before the opt-out is withheld').toEqual([]);
    return { f, patient, day };
  };

  it('a forced baseline after an interrupted run does not backfill a patient withheld under no_backfill', async () => {
    const { f, patient, day: back } = await optedBackIn('crash');
    // The next delta is put in place but its state is not saved (a crash, a lost connection)...
    let day = addDays(back, 1);
    await f.run(day, { crash: 'delivered' });
    // ...so the run after it is a full: it must still withhold the patient's history.
    day = addDays(day, 1);
    const recovery = await f.run(day);
    expect(recovery.manifest.mode).toBe('full');
    expect(datesSent(recovery, patient.nhs), 'the recovery full sends the history no_backfill withholds').toEqual([]);
  }, 180_000);

  it('--full does not backfill a patient withheld under no_backfill', async () => {
    const { f, patient, day: back } = await optedBackIn('full');
    const full = await f.run(addDays(back, 1), { full: true });
    expect(full.manifest.mode).toBe('full');
    expect(datesSent(full, patient.nhs), '--full sends the history no_backfill withholds').toEqual([]);
  }, 180_000);

  // Issue 13 review, finding 4 (fixed): a --practice run carries the withheld patients of the state, as --full does.
  it('a --practice re-send does not backfill a patient withheld under no_backfill', async () => {
    const { f, patient, day: back } = await optedBackIn('resend');
    const resent = await f.resend(back, patient.practice);
    expect(datesSent(resent, patient.nhs), 'a --practice run sends the history no_backfill withholds').toEqual([]);
  }, 180_000);

  // Issue 13 review, finding 6 (fixed): a returning patient is withheld from when their opt-out ended
  // (opt_out.effective_to), not from the last run; a row recorded while opted out changed before that.
  it('a row recorded while the patient was opted out is not sent when they opt back in', async () => {
    const patient = take();
    const f = feed('during');
    let day = START;
    await f.run(day);
    const opt = await optOut(patient);
    day = addDays(day, 1);
    await f.run(day);
    // Recorded while the Type 1 opt-out is in force, after the last run.
    await immunisation(patient, '2026-11-22');
    await new Promise((r) => setTimeout(r, 50));
    await optBackIn(opt);
    day = addDays(day, 1);
    expect(datesSent(await f.run(day), patient.nhs), 'no_backfill: only rows that change after they came back').toEqual([]);
  }, 180_000);

  // Issue 13 review, finding 5 (fixed): a --practice re-send's manifest has a scope (the practices it
  // carries): a recipient applies its rows as upserts and keeps every other practice's (docs/run.md).
  it('a --practice re-send delivered to the recipient (docs/run.md: "for re-sending one practice\'s data") leaves its copy equal to a full extract', async () => {
    const f = feed('resend-delivered');
    let day = START;
    await f.run(day);
    day = addDays(day, 1);
    await f.run(day);
    // The operator re-sends one practice's data; it reaches the recipient as a full extract of that practice only.
    const resent = await f.resend(day, PRACTICES[0]!, true);
    expect(resent.manifest.mode).toBe('full');
    expect((resent.manifest as { scope?: unknown }).scope, 'the manifest says it replaces one practice\'s rows only').toEqual({ practices: [PRACTICES[0]] });
    day = addDays(day, 1);
    await f.run(day);
    expectCopyEqualsFull(f.recipient, await f.reference(day), 'after a --practice re-send and the next delta');
  }, 180_000);

  // A re-send is a delivery: the recipient applies its rows as upserts, so it holds what it held and
  // what the re-send sent, and the state must say so, or a row the re-send sent and that is removed
  // before the next delta stays at the recipient for ever.
  it.each(['single_zip', 'per_practice'] as const)(
    '%s: a row a --practice re-send sent, removed before the next delta, is deleted by it; so is a row held before that the re-send no longer had',
    async (layout) => {
      const patient = take();
      const neighbour = takeAt(patient.practice);
      const old = await immunisation(neighbour, '2026-03-02');
      const f = feed(`resend-learns-${layout.replace('_', '-')}`, layout);
      let day = START;
      expect(datesSentAnywhere(await f.run(day), neighbour.nhs)).toContain('2026-03-02');
      day = addDays(day, 1);
      expect((await f.run(day)).manifest.mode).toBe('delta');
      const before = await stateRun(f.id);
      // A row new since the last run, and one the recipient holds removed, then a re-send of their practice.
      const fresh = await immunisation(patient, '2026-03-03');
      await softDelete(old);
      const resent = await f.resend(day, patient.practice, true);
      expect(datesSentAnywhere(resent, patient.nhs), 'the re-send carries the new row').toContain('2026-03-03');
      expect(datesSentAnywhere(resent, neighbour.nhs), 'the re-send no longer has the removed row').not.toContain('2026-03-02');
      expect(await stateRun(f.id), 'a re-send moves neither the last run, its date and mode, nor the count of runs').toEqual(before);
      // The new row is removed before the next delta.
      await softDelete(fresh);
      day = addDays(day, 1);
      const next = await f.run(day);
      expect(next.manifest.mode).toBe('delta');
      expect(next.manifest.reason).toMatch(/^the changes since the last run/);
      expectCopyEqualsFull(f.recipient, await f.reference(day), `${layout}: after a re-send, a removal and the next delta`);
    },
    180_000,
  );

  it.each(['single_zip', 'per_practice'] as const)('%s: a --practice re-send followed by a delta with no changes: the delta sends nothing', async (layout) => {
    const patient = take();
    const f = feed(`resend-quiet-${layout.replace('_', '-')}`, layout);
    let day = START;
    await f.run(day);
    day = addDays(day, 1);
    await f.run(day);
    await immunisation(patient, '2026-03-04');
    day = addDays(day, 1);
    expect(datesSentAnywhere(await f.resend(day, patient.practice, true), patient.nhs)).toContain('2026-03-04');
    const next = await f.run(day);
    expect(next.manifest.mode).toBe('delta');
    expect(rowsIn(next), 'the row the re-send sent is not sent again').toBe(0);
    expectCopyEqualsFull(f.recipient, await f.reference(day), `${layout}: after a re-send and a delta with no changes`);
  }, 180_000);

  it('a --practice re-send placed in the output whose record is not saved is followed by a full', async () => {
    const patient = take();
    const f = feed('resend-unsaved');
    let day = START;
    await f.run(day);
    day = addDays(day, 1);
    await f.run(day);
    const fresh = await immunisation(patient, '2026-03-05');
    await f.resendCrashing(day, patient.practice);
    await softDelete(fresh);
    day = addDays(day, 1);
    const next = await f.run(day);
    expect(next.manifest.mode).toBe('full');
    expect(next.manifest.reason).toMatch(/re-send of some practices .* may have been delivered without the state recording what it sent/);
    expectCopyEqualsFull(f.recipient, await f.reference(day), 'after an unsaved re-send and the full that follows it');
  }, 180_000);

  it.runIf(engine === 'postgres')('a --practice re-send takes the run lock: refused while another run of the definition holds it', async () => {
    const f = feed('resend-lock');
    await f.run(START);
    const unlock = await lockRun(db, f.id);
    try {
      await expect(f.resend(addDays(START, 1), PRACTICES[0]!)).rejects.toThrow(/another run of review-b-resend-lock is in progress/);
    } finally {
      await unlock();
    }
    expect((await f.resend(addDays(START, 1), PRACTICES[0]!)).manifest.mode).toBe('full');
  }, 180_000);

  it('a patient withheld under no_backfill stays withheld through a night their practice\'s approval lapsed', async () => {
    const { f, patient, day: back } = await optedBackIn('lapse');
    const other = PRACTICES.find((p) => p !== patient.practice)!;
    let day = addDays(back, 1);
    const lapsed = await f.runApproved(day, [other]);
    expect(lapsed.manifest.mode).toBe('delta');
    day = addDays(day, 1);
    expect(datesSent(await f.run(day), patient.nhs), 'the approval renewed: the history no_backfill withholds is sent').toEqual([]);
  }, 180_000);
});
