/**
 * Issue 13, items 2–5: a delta run compares the full result with what the recipient holds, so the
 * recipient's copy (every delivery applied in order) equals a fresh full extract whatever made it
 * differ — rows changed while their patient was out of the population, rows that aged out of a
 * today() window, a terminology update, patients who left (on_leave: delete), and, under
 * on_leave: keep, exactly that plus the departed patients' rows as last sent. In-process runs on
 * both engines; the definition is chis-immunisations made to cover every age, backfill a patient
 * back from an opt-out, and keep only immunisations of the last 15 months.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { asObject, comparisonDefinition, expectCopyEqualsFull, Recipient, runInProcess, seedSmall } from '../support/delta-recipient.js';
import { scratchDatabase, testEngines, type EngineName, type ScratchDatabase } from '../support/engines.js';
import { applyExtract, IdAllocator, makeWorkDir, readExtract, recordId, writeKeysFile, type AppliedExtract, type Extract } from '../support/run-harness.js';

const PRACTICES = ['A81001', 'A81002'];
const VACCINE = '86198006';
const OTHER_VACCINE = '38598009';
const THIRD_VACCINE = '999900071000000104';
/** A concept not in the sample terminology until the "update" makes it a descendant of 33879002. */
const NEW_VACCINE = '999999991000000101';
const HIV_STI_REFSET = '999004381000000103';
const START = '2026-11-21';

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** Patients in the population on START with one current permanent registration at a practice in scope and nothing that could change it. */
async function members(db: Database): Promise<{ id: string; practice: string; registration: string }[]> {
  return db.query(
    `SELECT p.patient_id::text AS id, r.practice_ods AS practice, r.registration_id::text AS registration FROM reporting.patient p
       JOIN reporting.registration r ON r.patient_id = p.patient_id
      WHERE p.deleted_at IS NULL AND NOT p.pds_sensitive AND p.date_of_death IS NULL
        AND r.registration_type = 'permanent' AND r.end_date IS NULL AND r.deleted_at IS NULL AND r.start_date <= DATE '${START}'
        AND r.practice_ods = ANY($1::text[])
        AND (SELECT count(*) FROM reporting.registration x WHERE x.patient_id = p.patient_id) = 1
        AND NOT EXISTS (SELECT 1 FROM reporting.opt_out o WHERE o.patient_id = p.patient_id)
      ORDER BY p.patient_id`,
    [PRACTICES],
  );
}

/** `${dataset} ${change_type} ${record_id}` for every row of an extract, sorted. */
function changeList(extract: Extract): string[] {
  return [...extract.datasets].flatMap(([dataset, rows]) => rows.map((r) => `${dataset} ${r['change_type']} ${r['record_id']}`)).sort();
}

describe.each(testEngines())('delta by comparison on %s', (engine: EngineName) => {
  const work = makeWorkDir(`exdef-delta-compare-${engine}-`);
  let scratch: ScratchDatabase;
  let db: Database;
  let keys: string;
  const ids = new IdAllocator();
  let cast: { id: string; practice: string; registration: string }[] = [];
  const take = () => cast.shift()!;

  beforeAll(async () => {
    keys = writeKeysFile(join(work.dir, 'keys.yaml'), { unused: 'k'.repeat(40) });
    scratch = await scratchDatabase(engine, { maxConnections: 12 });
    db = scratch.db;
    await seedSmall(db, { patients: 160, seed: 13, asOf: START });
    cast = await members(db);
    expect(cast.length, 'population members to change').toBeGreaterThanOrEqual(12);
  }, 120_000);
  afterAll(async () => {
    await scratch?.drop();
    work.remove();
  });

  const immunisation = async (patient: { id: string; practice: string }, code: string, date: string): Promise<string> => {
    const id = await ids.take(db, 'observation', 'observation_id');
    await db.query(
      `INSERT INTO reporting.observation (observation_id, patient_id, practice_ods, consultation_id, code, effective_date, recorded_at, value_numeric, value_unit, comment, confidential, updated_at, deleted_at)
       VALUES ($1::bigint, $2::bigint, $3, NULL, $4::bigint, $5::date, $5::date + time '10:00', NULL, NULL, NULL, false, now(), NULL)`,
      [id, patient.id, patient.practice, code, date],
    );
    return id;
  };

  /** A definition of its own (its own delta state), its delivery directory and recipient, and a reference full per run. */
  const feed = (name: string, onLeave: 'delete' | 'keep') => {
    const id = `compare-${name}`;
    const file = join(work.dir, `${id}.exdef.yaml`);
    writeFileSync(file, comparisonDefinition(id, onLeave));
    const out = join(work.dir, id);
    mkdirSync(out, { recursive: true });
    const recipient = new Recipient(out);
    return {
      recipient,
      /** A run on `today`, applied by the recipient: its extract. */
      async run(today: string, policyFile?: string): Promise<Extract> {
        const result = await runInProcess({ definition: file, db, out, today, keysFile: keys, ...(policyFile ? { policyFile } : {}) });
        expect(recipient.receive()).toBe(1);
        return readExtract(result.output);
      },
      /** A full extract now, with the state's record key, the state left alone. */
      async reference(today: string, policyFile?: string): Promise<string> {
        return (await runInProcess({ definition: file, db, out: join(work.dir, `${id}-reference`), today, keysFile: keys, practices: PRACTICES, ...(policyFile ? { policyFile } : {}) })).output;
      },
      async recordKey(): Promise<string> {
        const [row] = await db.query<{ record_key: string }>('SELECT record_key FROM exdef_state.extract_state WHERE definition_id = $1', [id]);
        return row!.record_key;
      },
    };
  };

  it('2: rows soft-deleted or recoded while their patient was opted out reach the recipient when the patient returns (on_leave: keep)', async () => {
    const patient = take();
    const [gone, recoded, untouched] = [await immunisation(patient, VACCINE, '2026-06-01'), await immunisation(patient, VACCINE, '2026-07-01'), await immunisation(patient, VACCINE, '2026-08-01')];
    const f = feed('returning', 'keep');
    let day = START;
    expect((await f.run(day)).manifest.mode).toBe('full');
    const key = await f.recordKey();
    const optOut = await ids.take(db, 'opt_out', 'opt_out_id');
    await db.query(`INSERT INTO reporting.opt_out (opt_out_id, patient_id, opt_out_type, effective_from, effective_to, updated_at) VALUES ($1::bigint, $2::bigint, 'type1', TIMESTAMPTZ '2026-11-21 12:00:00+00', NULL, now())`, [optOut, patient.id]);
    day = addDays(day, 1);
    expect(changeList(await f.run(day)), 'keep: nothing is sent for a patient who left, not even a deletion').toEqual([]);
    // While they are out: one row soft-deleted, one recoded.
    await db.query(`UPDATE reporting.observation SET deleted_at = now() WHERE observation_id = $1::bigint`, [gone]);
    await db.query(`UPDATE reporting.observation SET code = $2::bigint WHERE observation_id = $1::bigint`, [recoded, OTHER_VACCINE]);
    day = addDays(day, 1);
    expect(changeList(await f.run(day)), 'still out: nothing').toEqual([]);
    await db.query(`UPDATE reporting.opt_out SET effective_to = TIMESTAMPTZ '${day} 06:00:00+00' WHERE opt_out_id = $1::bigint`, [optOut]);
    day = addDays(day, 1);
    const back = await f.run(day);
    expect(changeList(back).filter((c) => c.startsWith('immunisations'))).toEqual(
      [`immunisations delete ${recordId(gone, key)}`, `immunisations upsert ${recordId(recoded, key)}`].sort(),
    );
    expect(changeList(back), 'the unchanged row is not sent again').not.toContain(`immunisations upsert ${recordId(untouched, key)}`);
    expectCopyEqualsFull(f.recipient, await f.reference(day), 'the recipient equals a full extract once the patient is back');
  }, 120_000);

  it('3: rows that age out of a today() window (15 months) are deleted downstream', async () => {
    const patient = take();
    const f = feed('window', 'delete');
    let day = START;
    // Effective 15 months before START, plus two days: in the window until START + 2 days.
    const ageing = await immunisation(patient, VACCINE, '2025-08-23');
    const staying = await immunisation(patient, VACCINE, '2026-10-01');
    expect((await f.run(day)).datasets.get('immunisations')!.map((r) => r['vaccination_date'])).toContain('2025-08-23');
    const key = await f.recordKey();
    day = addDays(day, 1);
    expect(changeList(await f.run(day)), 'still in the window').toEqual([]);
    day = addDays(day, 2);
    const aged = await f.run(day);
    expect(changeList(aged)).toContain(`immunisations delete ${recordId(ageing, key)}`);
    expect(changeList(aged)).not.toContain(`immunisations delete ${recordId(staying, key)}`);
    expect(aged.manifest.reason).toMatch(/the population and the filters relative to today\(\) are judged on 2026-11-24 \(the last run on 2026-11-22\)/);
    expectCopyEqualsFull(f.recipient, await f.reference(day), 'the recipient equals a full extract after rows aged out');
  }, 120_000);

  it('5: patients who leave (opt-out, death, PDS-sensitive, registration end) are never sent again; on_leave says whether the recipient deletes', async () => {
    const leavers = [take(), take(), take(), take()];
    const stayer = take();
    for (const p of [...leavers, stayer]) await immunisation(p, THIRD_VACCINE, '2026-09-01');
    const deleting = feed('leave-delete', 'delete');
    const keeping = feed('leave-keep', 'keep');
    let day = START;
    await deleting.run(day);
    const keptBefore = (await keeping.run(day), keeping.recipient.held!);
    const [optsOut, dies, sensitive, deregistered] = leavers as [(typeof leavers)[0], (typeof leavers)[0], (typeof leavers)[0], (typeof leavers)[0]];
    const optOut = await ids.take(db, 'opt_out', 'opt_out_id');
    await db.query(`INSERT INTO reporting.opt_out (opt_out_id, patient_id, opt_out_type, effective_from, effective_to, updated_at) VALUES ($1::bigint, $2::bigint, 'type1', TIMESTAMPTZ '2026-11-21 12:00:00+00', NULL, now())`, [optOut, optsOut.id]);
    await db.query(`UPDATE reporting.patient SET date_of_death = DATE '2026-11-21' WHERE patient_id = $1::bigint`, [dies.id]);
    await db.query(`UPDATE reporting.patient SET pds_sensitive = true WHERE patient_id = $1::bigint`, [sensitive.id]);
    await db.query(`UPDATE reporting.registration SET end_date = DATE '2026-11-21', end_reason = 'left the practice' WHERE registration_id = $1::bigint`, [deregistered.registration]);
    day = addDays(day, 1);
    const deleted = await deleting.run(day);
    const kept = await keeping.run(day);
    const deleteKey = await deleting.recordKey();
    const leaverIds = async (key: string) => {
      const rows = await db.query<{ id: string; patient: string }>(
        `SELECT observation_id::text AS id, patient_id::text AS patient FROM reporting.observation WHERE patient_id = ANY($1::bigint[])`,
        [leavers.map((l) => l.id)],
      );
      return new Set(rows.map((r) => recordId(r.id, key)));
    };
    const deletedIds = await leaverIds(deleteKey);
    const deletes = deleted.datasets.get('immunisations')!.filter((r) => r['change_type'] === 'delete').map((r) => r['record_id']!);
    expect(deletes.length, 'on_leave: delete — the recipient is told to delete the leavers\' rows').toBeGreaterThanOrEqual(4);
    expect(deletes.every((id) => deletedIds.has(id))).toBe(true);
    expect(deleted.datasets.get('children')!.filter((r) => r['change_type'] === 'delete').length).toBe(4);
    expectCopyEqualsFull(deleting.recipient, await deleting.reference(day), 'on_leave: delete — the recipient equals a full extract');
    expect(changeList(kept), 'on_leave: keep — nothing at all is sent for the leavers').toEqual([]);
    // A new row of a leaver is never sent; the recipient keeps their rows exactly as last sent.
    await immunisation(optsOut, VACCINE, '2026-11-22');
    day = addDays(day, 1);
    expect(changeList(await keeping.run(day))).toEqual([]);
    const keepKey = await keeping.recordKey();
    const keptIds = await leaverIds(keepKey);
    const full = applyExtract(undefined, readExtract(await keeping.reference(day)));
    const withoutLeavers = (held: AppliedExtract, leaverNhs: Set<string>) => new Map([...held].map(([d, rows]) => [d, new Map([...rows].filter(([, r]) => !leaverNhs.has(r['nhs_number']!)))]));
    const leaverNhs = new Set(
      (await db.query<{ nhs: string }>(`SELECT nhs_number AS nhs FROM reporting.patient WHERE patient_id = ANY($1::bigint[])`, [leavers.map((l) => l.id)])).map((r) => r.nhs),
    );
    expect(asObject(withoutLeavers(keeping.recipient.held!, leaverNhs)), 'on_leave: keep — everyone else as in a full extract').toEqual(asObject(full));
    const onlyLeavers = (held: AppliedExtract) => asObject(new Map([...held].map(([d, rows]) => [d, new Map([...rows].filter(([, r]) => leaverNhs.has(r['nhs_number']!)))])));
    expect(onlyLeavers(keeping.recipient.held!), "on_leave: keep — the leavers' rows as last sent").toEqual(onlyLeavers(keptBefore));
    expect([...keeping.recipient.held!.get('immunisations')!.keys()].filter((id) => keptIds.has(id)).length).toBeGreaterThanOrEqual(4);
  }, 180_000);

  it('4: a terminology update sends rows a code set newly selects and deletes rows that became sensitive', async () => {
    const patient = take();
    const other = take();
    const f = feed('terminology', 'delete');
    let day = START;
    // Coded with a concept the terminology does not have yet: not selected.
    const newlyCoded = await immunisation(patient, NEW_VACCINE, '2026-09-15');
    const becomesSensitive = await immunisation(other, OTHER_VACCINE, '2026-09-15');
    const stays = await immunisation(other, VACCINE, '2026-09-16');
    const first = await f.run(day);
    const key = await f.recordKey();
    expect(first.datasets.get('immunisations')!.map((r) => r['record_id'])).not.toContain(recordId(newlyCoded, key));
    expect(first.datasets.get('immunisations')!.map((r) => r['record_id'])).toContain(recordId(becomesSensitive, key));
    // The update: a new descendant of 33879002, and 38598009 added to the HIV/STI refset.
    await db.query(`INSERT INTO terminology.concept (id, fsn, active) VALUES ($1::bigint, 'New vaccine product (product)', true) ON CONFLICT DO NOTHING`, [NEW_VACCINE]);
    await db.query(`INSERT INTO terminology.closure (ancestor_id, descendant_id) SELECT ancestor_id, $1::bigint FROM terminology.closure WHERE descendant_id = 33879002 UNION SELECT $1::bigint, $1::bigint ON CONFLICT DO NOTHING`, [NEW_VACCINE]);
    await db.query(`INSERT INTO terminology.refset_member (refset_id, referenced_component_id, active) VALUES ($1::bigint, $2::bigint, true) ON CONFLICT (refset_id, referenced_component_id) DO UPDATE SET active = true`, [HIV_STI_REFSET, OTHER_VACCINE]);
    day = addDays(day, 1);
    const after = await f.run(day);
    const changes = changeList(after);
    expect(changes).toContain(`immunisations upsert ${recordId(newlyCoded, key)}`);
    expect(changes).toContain(`immunisations delete ${recordId(becomesSensitive, key)}`);
    expect(changes).not.toContain(`immunisations upsert ${recordId(stays, key)}`);
    expect(after.manifest.reason).toMatch(/the terminology changed since the last run/);
    expect((after.manifest as unknown as { comparison: { changes: string[] } }).comparison.changes.join(' ')).toMatch(/terminology/);
    expectCopyEqualsFull(f.recipient, await f.reference(day), 'the recipient equals a full extract after the terminology update');
  }, 120_000);

  it("4: a policy whose sensitive code sets grow deletes the rows they now exclude, and the manifest says why", async () => {
    const patient = take();
    const f = feed('policy', 'delete');
    let day = START;
    const covered = await immunisation(patient, THIRD_VACCINE, '2026-09-20');
    const kept = await immunisation(patient, VACCINE, '2026-09-21');
    await f.run(day);
    const key = await f.recordKey();
    const policy = join(work.dir, 'organisation.policy.yaml');
    writeFileSync(
      policy,
      `policy: 1\nname: An organisation's policy\nsensitive_code_sets:\n  local_vaccine_trial:\n    title: A vaccine under a local trial\n    source: the organisation's IG board\n    ecl: << ${THIRD_VACCINE}\n`,
    );
    day = addDays(day, 1);
    const after = await f.run(day, policy);
    expect(changeList(after)).toContain(`immunisations delete ${recordId(covered, key)}`);
    expect(changeList(after)).not.toContain(`immunisations delete ${recordId(kept, key)}`);
    expect(after.manifest.reason).toMatch(/the policy's sensitive code sets changed since the last run/);
    expectCopyEqualsFull(f.recipient, await f.reference(day, policy), 'the recipient equals a full extract under the new policy');
  }, 120_000);
  it('a change of output layout (not in the fingerprint) starts again with a full extract in the new layout, then deltas again', async () => {
    const id = 'compare-layout';
    const file = join(work.dir, `${id}.exdef.yaml`);
    const single = comparisonDefinition(id, 'delete');
    expect(single).toContain('layout: single_zip');
    writeFileSync(file, single);
    const out = join(work.dir, id);
    mkdirSync(out, { recursive: true });
    let day = START;
    const first = await runInProcess({ definition: file, db, out, today: day, keysFile: keys });
    day = addDays(day, 1);
    expect((await runInProcess({ definition: file, db, out, today: day, keysFile: keys })).mode).toBe('delta');
    writeFileSync(file, single.replace('layout: single_zip', 'layout: per_practice'));
    day = addDays(day, 1);
    const changed = await runInProcess({ definition: file, db, out, today: day, keysFile: keys });
    expect(changed.definition.fingerprint, 'the layout is not in the fingerprint').toBe(first.definition.fingerprint);
    expect(changed.mode).toBe('full');
    expect(changed.reason).toMatch(/^the output layout changed since the last run \(single_zip to per_practice\)/);
    expect(changed.files.every((f) => f.practice !== undefined), 'in practice folders').toBe(true);
    day = addDays(day, 1);
    expect((await runInProcess({ definition: file, db, out, today: day, keysFile: keys })).mode).toBe('delta');
  }, 180_000);
});
