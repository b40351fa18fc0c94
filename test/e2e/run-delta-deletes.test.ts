/**
 * `exdef run` in delta mode sends a delete marker only for a row the recipient was sent (and has
 * not been told to delete since): a row it never had — a new confidential or sensitive-coded row
 * of a population patient, a row of a patient who was never in the population — leaves no trace,
 * however often it changes; the manifest counts only what was written; the executor's state holds
 * exactly what the recipient holds; and the chain of deltas applied to the first full extract
 * equals a full extract. Both engines. Definition: definitions/chis-immunisations.exdef.yaml.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { HeldRows } from '../../src/execute/held-rows.js';
import { resources } from '../../src/resources.js';
import { testEngines, type EngineName } from '../support/engines.js';
import { inProcessTarget, runInProcess } from '../support/delta-recipient.js';
import {
  applyExtract,
  extractState,
  IdAllocator,
  makeWorkDir,
  readExtract,
  recordId,
  SEED_AS_OF,
  stateRows,
  writeKeysFile,
  type AppliedExtract,
  type Extract,
  type RunSummary,
  type RunTarget,
} from '../support/run-harness.js';

const DEFINITION = join(resources.definitions, 'chis-immunisations.exdef.yaml');
const ID = 'chis-immunisations';
const PRACTICES = ['A81001', 'A81002'];
const VACCINES = ['86198006', '38598009', '999900071000000104', '999900081000000102', '999900091000000100'];
/** In the policy's hiv_sti sensitive set. */
const SENSITIVE_CODE = '15628003';

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

interface Patient {
  id: string;
  practice: string;
  /** Qualifying immunisations (not confidential, not deleted), by id. */
  imms: string[];
}

/** Patients with immunisations, permanently registered at one practice only, no opt-out, under 19 all through the test. */
async function patientsAt(db: Database, practices: string[]): Promise<Patient[]> {
  const rows = await db.query<Record<string, string>>(
    `SELECT p.patient_id::text AS id, r.practice_ods AS practice,
            (SELECT string_agg(o.observation_id::text, ',' ORDER BY o.observation_id) FROM reporting.observation o
              WHERE o.patient_id = p.patient_id AND o.deleted_at IS NULL AND NOT o.confidential
                AND o.code::text IN (${VACCINES.map((c) => `'${c}'`).join(', ')})) AS imms
       FROM reporting.patient p JOIN reporting.registration r ON r.patient_id = p.patient_id
      WHERE p.deleted_at IS NULL AND NOT p.pds_sensitive AND p.date_of_death IS NULL
        AND date_part('year', age(DATE '2027-01-31', p.date_of_birth)) < 19
        AND r.registration_type = 'permanent' AND r.end_date IS NULL AND r.deleted_at IS NULL AND r.start_date <= DATE '2026-11-21'
        AND (SELECT count(*) FROM reporting.registration x WHERE x.patient_id = p.patient_id) = 1
        AND NOT EXISTS (SELECT 1 FROM reporting.opt_out o WHERE o.patient_id = p.patient_id)
        AND r.practice_ods = ANY($1::text[])
      ORDER BY p.patient_id`,
    [practices],
  );
  return rows.filter((r) => r['imms']).map((r) => ({ id: r['id']!, practice: r['practice']!, imms: r['imms']!.split(',') }));
}

/** `${dataset} ${change_type} ${record_id}` for every row of an extract, sorted. */
function changeList(extract: Extract): string[] {
  return [...extract.datasets].flatMap(([dataset, rows]) => rows.map((r) => `${dataset} ${r['change_type']} ${r['record_id']}`)).sort();
}

/** The record ids the executor's state says the recipient holds, by dataset. */
async function heldInState(db: Database): Promise<Record<string, string[]>> {
  const rows = await db.query<{ dataset: string; ids: Uint8Array }>(`SELECT dataset, ids FROM exdef_state.held_record_ids WHERE definition_id = $1 ORDER BY dataset, chunk`, [ID]);
  const bytes = new Map<string, Buffer[]>();
  for (const r of rows) bytes.set(r.dataset, [...(bytes.get(r.dataset) ?? []), Buffer.from(r.ids)]);
  return Object.fromEntries([...bytes].map(([dataset, chunks]) => [dataset, HeldRows.fromBytes(Buffer.concat(chunks)).idsHex().sort()]));
}

function heldByRecipient(held: AppliedExtract): Record<string, string[]> {
  return Object.fromEntries([...held].map(([dataset, rows]) => [dataset, [...rows.keys()].sort()]));
}

describe.each(testEngines())('exdef run: delta deletions only for rows sent, on %s', (engine: EngineName) => {
  const work = makeWorkDir(`exdef-run-delta-deletes-${engine}-`);
  const out = join(work.dir, 'out');
  let keys: string;
  let target: RunTarget;
  const ids = new IdAllocator();
  let today = '2026-11-21';
  let held: AppliedExtract | undefined;

  // In-process runs on a database opened once (test/e2e/cli-run covers the command itself).
  const run = (practices?: readonly string[]): Promise<RunSummary> =>
    target.use((db) => runInProcess({ definition: DEFINITION, db, out, today, keysFile: keys, ...(practices ? { practices: [...practices] } : {}) }));
  const deliver = (summary: RunSummary): Extract => {
    const extract = readExtract(summary.output);
    held = applyExtract(held, extract);
    // The manifest (and the run's summary) count exactly the rows in each file.
    for (const file of summary.files) expect(file.rows, `${file.path}: rows in the summary`).toBe(extract.datasets.get(file.dataset)!.length);
    return extract;
  };
  const sql = (text: string, params: unknown[] = []) => target.use((db) => db.query(text, params));
  const insertObservation = (patient: string, practice: string, code: string, confidential: boolean) =>
    target.use(async (db) => {
      const id = await ids.take(db, 'observation', 'observation_id');
      await db.query(
        `INSERT INTO reporting.observation (observation_id, patient_id, practice_ods, consultation_id, code, effective_date, recorded_at, value_numeric, value_unit, comment, confidential, deleted_at)
         VALUES ($1::bigint, $2::bigint, $3, NULL, $4::bigint, DATE '2026-11-20', now(), NULL, NULL, NULL, $5::boolean, NULL)`,
        [id, patient, practice, code, confidential],
      );
      return id;
    });

  beforeAll(async () => {
    keys = writeKeysFile(join(work.dir, 'keys.yaml'), { unused: 'k'.repeat(40) });
    target = await inProcessTarget(engine, { patients: 400, seed: 23, asOf: SEED_AS_OF });
  }, 120_000);
  afterAll(async () => {
    await target?.drop();
    work.remove();
  });

  it('a row the recipient never had leaves no trace; a row it was sent is withdrawn once; the chain equals a full extract', async () => {
    const { inside, outsider } = await target.use(async (db) => ({ inside: await patientsAt(db, PRACTICES), outsider: (await patientsAt(db, ['A81003']))[0] }));
    expect(inside.length, 'children with immunisations at the practices').toBeGreaterThanOrEqual(4);
    expect(outsider, 'a child with immunisations at A81003, never in the population').toBeDefined();
    const [a, b, c, d] = inside as [Patient, Patient, Patient, Patient];

    // ------------------------------------------------------------- the baseline
    const first = await run();
    expect(first.mode).toBe('full');
    deliver(first);
    const key = (await target.use((db) => extractState(db, ID)))!.recordKey;
    const upsert = (id: string) => `immunisations upsert ${recordId(id, key)}`;
    const gone = (id: string) => `immunisations delete ${recordId(id, key)}`;
    expect(await target.use(heldInState), 'the state holds what the full extract sent').toEqual(heldByRecipient(held!));

    // ------------------------------------------------------------- day 2
    const confidential = await insertObservation(a.id, a.practice, '86198006', true);
    const sensitive = await insertObservation(b.id, b.practice, SENSITIVE_CODE, false);
    const outsiderNew = await insertObservation(outsider!.id, outsider!.practice, '38598009', false);
    await sql(`UPDATE reporting.observation SET effective_date = DATE '2026-11-19' WHERE observation_id = $1::bigint`, [outsider!.imms[0]]);
    await sql(`UPDATE reporting.observation SET deleted_at = now() WHERE observation_id = $1::bigint`, [c.imms[0]]);
    today = addDays(today, 1);
    const day2 = deliver(await run());
    expect(day2.manifest.mode).toBe('delta');
    expect(changeList(day2), 'only the soft-deleted row the recipient had').toEqual([gone(c.imms[0]!)]);
    for (const never of [confidential, sensitive, outsiderNew, outsider!.imms[0]!]) {
      expect(changeList(day2).join('\n'), `no trace of ${never}`).not.toContain(recordId(never, key));
    }

    // ------------------------------------------------------------- day 3: the same rows change again; a sent row turns confidential
    await sql(`UPDATE reporting.observation SET effective_date = DATE '2026-11-18' WHERE observation_id = ANY($1::bigint[])`, [[confidential, sensitive, outsiderNew, c.imms[0]]]);
    await sql(`UPDATE reporting.observation SET confidential = true WHERE observation_id = $1::bigint`, [d.imms[0]]);
    today = addDays(today, 1);
    const day3 = deliver(await run());
    expect(changeList(day3), 'the newly confidential row it had, and no second deletion of the deleted one').toEqual([gone(d.imms[0]!)]);

    // ------------------------------------------------------------- day 4: both confidential rows are released
    await sql(`UPDATE reporting.observation SET confidential = false WHERE observation_id = ANY($1::bigint[])`, [[d.imms[0], confidential]]);
    today = addDays(today, 1);
    const day4 = deliver(await run());
    expect(changeList(day4)).toEqual([upsert(d.imms[0]!), upsert(confidential)].sort());

    // ------------------------------------------------------------- day 5: the row first sent on day 4 turns confidential again
    await sql(`UPDATE reporting.observation SET confidential = true WHERE observation_id = $1::bigint`, [confidential]);
    today = addDays(today, 1);
    const day5 = deliver(await run());
    expect(changeList(day5), 'sent on day 4, so now withdrawn').toEqual([gone(confidential)]);
    expect(await target.use(heldInState), 'the state holds exactly what the recipient holds').toEqual(heldByRecipient(held!));

    // ------------------------------------------------------------- the chain against a full extract (a re-send of what the state holds: it stays as it was)
    const before = await target.use(stateRows);
    const reference = await run(PRACTICES);
    expect(reference.mode).toBe('full');
    expect(await target.use(stateRows), 'a re-send of what the state holds leaves it as it was').toBe(before);
    const full = applyExtract(undefined, readExtract(reference.output));
    const asObject = (x: AppliedExtract) => Object.fromEntries([...x].map(([dataset, rows]) => [dataset, Object.fromEntries([...rows].sort(([p], [q]) => p.localeCompare(q)))]));
    expect(asObject(held!)).toEqual(asObject(full));
  }, 600_000);

  it('a state that does not record the holdings (an earlier exdef) starts again in full, never with a guess', async () => {
    await sql('DELETE FROM exdef_state.held_record_ids WHERE definition_id = $1', [ID]);
    today = addDays(today, 1);
    const summary = await run();
    expect(summary.mode).toBe('full');
    expect(summary.reason).toMatch(/does not record which rows the recipient holds/);
    held = applyExtract(undefined, readExtract(summary.output));
    expect(await target.use(heldInState)).toEqual(heldByRecipient(held));
    today = addDays(today, 1);
    expect((await run()).mode, 'then deltas again').toBe('delta');
    // A state kept by exdef before deltas were made by comparison (record ids without their content).
    await sql('UPDATE exdef_state.held_record_ids SET format = 1 WHERE definition_id = $1', [ID]);
    today = addDays(today, 1);
    const older = await run();
    expect(older.mode).toBe('full');
    expect(older.reason).toMatch(/earlier exdef, which kept the ids of the rows the recipient holds but not their content: a full extract is the new baseline/);
  }, 300_000);
});
