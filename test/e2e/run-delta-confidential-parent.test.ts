/**
 * `exdef run` in delta mode when a consultation's confidential flag changes: the immunisation the
 * recipient was sent from inside it is withdrawn with a delete marker; one it never had (recorded
 * in a consultation that was already confidential) leaves no trace, however the consultation
 * changes; when the flag is lifted the row is sent. Both engines.
 * Definition: definitions/chis-immunisations.exdef.yaml (dataset immunisations, from observation).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { resources } from '../../src/resources.js';
import { testEngines, type EngineName } from '../support/engines.js';
import { inProcessTarget, runInProcess } from '../support/delta-recipient.js';
import { applyExtract, extractState, IdAllocator, makeWorkDir, readExtract, recordId, SEED_AS_OF, writeKeysFile, type AppliedExtract, type Extract, type RunSummary, type RunTarget } from '../support/run-harness.js';

const DEFINITION = join(resources.definitions, 'chis-immunisations.exdef.yaml');
const ID = 'chis-immunisations';
const PRACTICES = ['A81001', 'A81002'];
const VACCINE = '86198006';

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** Children (under 19 all through the test), permanently registered at one practice only, no opt-out. */
async function children(db: Database): Promise<{ id: string; practice: string }[]> {
  return db.query<{ id: string; practice: string }>(
    `SELECT p.patient_id::text AS id, r.practice_ods AS practice
       FROM reporting.patient p JOIN reporting.registration r ON r.patient_id = p.patient_id
      WHERE p.deleted_at IS NULL AND NOT p.pds_sensitive AND p.date_of_death IS NULL
        AND date_part('year', age(DATE '2027-01-31', p.date_of_birth)) < 19
        AND r.registration_type = 'permanent' AND r.end_date IS NULL AND r.deleted_at IS NULL AND r.start_date <= DATE '2026-11-21'
        AND (SELECT count(*) FROM reporting.registration x WHERE x.patient_id = p.patient_id) = 1
        AND NOT EXISTS (SELECT 1 FROM reporting.opt_out o WHERE o.patient_id = p.patient_id)
        AND r.practice_ods = ANY($1::text[])
      ORDER BY p.patient_id`,
    [PRACTICES],
  );
}

function changeList(extract: Extract): string[] {
  return [...extract.datasets].flatMap(([dataset, rows]) => rows.map((r) => `${dataset} ${r['change_type']} ${r['record_id']}`)).sort();
}

describe.each(testEngines())('exdef run: a consultation turning confidential, on %s', (engine: EngineName) => {
  const work = makeWorkDir(`exdef-run-delta-confidential-parent-${engine}-`);
  const out = join(work.dir, 'out');
  let keys: string;
  let target: RunTarget;
  const ids = new IdAllocator();
  let today = '2026-11-21';
  let held: AppliedExtract | undefined;

  // In-process runs on a database opened once (test/e2e/cli-run covers the command itself).
  const run = (): Promise<RunSummary> => target.use((db) => runInProcess({ definition: DEFINITION, db, out, today, keysFile: keys }));
  const deliver = (summary: RunSummary): Extract => {
    const extract = readExtract(summary.output);
    held = applyExtract(held, extract);
    return extract;
  };
  const sql = (text: string, params: unknown[] = []) => target.use((db) => db.query(text, params));
  /** A consultation and an immunisation recorded in it (not confidential itself). */
  const consultationWithImmunisation = (patient: { id: string; practice: string }, confidential: boolean) =>
    target.use(async (db) => {
      const consultation = await ids.take(db, 'consultation', 'consultation_id');
      await db.query(
        `INSERT INTO reporting.consultation (consultation_id, patient_id, practice_ods, consultation_date, consultation_type, summary, confidential, deleted_at)
         VALUES ($1::bigint, $2::bigint, $3, DATE '2026-11-10', 'face to face', NULL, $4::boolean, NULL)`,
        [consultation, patient.id, patient.practice, confidential],
      );
      const observation = await ids.take(db, 'observation', 'observation_id');
      await db.query(
        `INSERT INTO reporting.observation (observation_id, patient_id, practice_ods, consultation_id, code, effective_date, recorded_at, value_numeric, value_unit, comment, confidential, deleted_at)
         VALUES ($1::bigint, $2::bigint, $3, $4::bigint, $5::bigint, DATE '2026-11-10', now(), NULL, NULL, NULL, FALSE, NULL)`,
        [observation, patient.id, patient.practice, consultation, VACCINE],
      );
      return { consultation, observation };
    });

  beforeAll(async () => {
    keys = writeKeysFile(join(work.dir, 'keys.yaml'), { unused: 'k'.repeat(40) });
    target = await inProcessTarget(engine, { patients: 300, seed: 29, asOf: SEED_AS_OF });
  }, 120_000);
  afterAll(async () => {
    await target?.drop();
    work.remove();
  });

  it('withdraws the held child once, never mentions the child it never had, and sends it when the flag is lifted', async () => {
    const kids = await target.use(children);
    expect(kids.length).toBeGreaterThanOrEqual(2);
    const [a, b] = kids as [{ id: string; practice: string }, { id: string; practice: string }];
    const sent = await consultationWithImmunisation(a, false);
    const never = await consultationWithImmunisation(b, true);

    const first = await run();
    expect(first.mode).toBe('full');
    deliver(first);
    const key = (await target.use((db) => extractState(db, ID)))!.recordKey;
    expect(held!.get('immunisations')!.has(recordId(sent.observation, key)), 'the child in a plain consultation is sent').toBe(true);
    expect(held!.get('immunisations')!.has(recordId(never.observation, key)), 'the child in a confidential consultation is not').toBe(false);

    // Day 2: the first consultation turns confidential; the other changes while still confidential.
    await sql('UPDATE reporting.consultation SET confidential = TRUE WHERE consultation_id = $1::bigint', [sent.consultation]);
    await sql(`UPDATE reporting.consultation SET consultation_type = 'telephone' WHERE consultation_id = $1::bigint`, [never.consultation]);
    today = addDays(today, 1);
    const day2 = deliver(await run());
    expect(day2.manifest.mode).toBe('delta');
    expect(changeList(day2), 'a delete marker for the held child only').toEqual([`immunisations delete ${recordId(sent.observation, key)}`]);

    // Day 3: both flags lifted: both children are sent.
    await sql('UPDATE reporting.consultation SET confidential = FALSE WHERE consultation_id = ANY($1::bigint[])', [[sent.consultation, never.consultation]]);
    today = addDays(today, 1);
    const day3 = deliver(await run());
    expect(changeList(day3)).toEqual([`immunisations upsert ${recordId(sent.observation, key)}`, `immunisations upsert ${recordId(never.observation, key)}`].sort());
  }, 600_000);
});
