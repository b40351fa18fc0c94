/**
 * Issue 13: sixty simulated nights of a delta feed on real PostgreSQL (twelve on PGlite). Each night random changes —
 * new, changed, recoded, confidential and soft-deleted immunisations, new NHS numbers, patients
 * who leave and come back (Type 1 opt-out, death, PDS-sensitive flag, registration end and a new
 * registration) — then late writers (a transaction open across the run, a prepared transaction
 * committed after it; PostgreSQL only, where the runs use a least-privilege role that cannot see
 * other sessions: a late-committed row is simply in the next comparison), a terminology update half-way, and on some nights a crash at a random
 * step of the run (the run is then retried). After every run that delivered, the recipient's copy
 * — every delivery applied in order — equals a fresh full extract of the same data, row for row.
 *
 * The seed is random unless EXDEF_DELTA_SEED gives one, and is printed with any failure.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { comparisonDefinition, deliveries, expectCopyEqualsFull, inProcessTarget, Recipient, runInProcess, type Crash } from '../support/delta-recipient.js';
import { openDatabase } from '../../src/db/open-database.js';
import { adminUrl, testEngines } from '../support/engines.js';
import { IdAllocator, makeWorkDir, testNhsNumber, writeKeysFile, type RunTarget } from '../support/run-harness.js';

const START = '2026-11-21';
const PRACTICES = ['A81001', 'A81002'];
const VACCINES = ['86198006', '38598009', '999900071000000104', '999900081000000102', '999900091000000100'];
const ASTHMA = '195967001';
const NEW_VACCINE = '999999991000000101';
const HIV_STI_REFSET = '999004381000000103';
const CRASHES: Crash[] = [{ step: 'connecting' }, { step: 'reading the population' }, { step: 'measuring k-anonymity' }, { step: 'packaging' }, 'delivered'];

/** mulberry32: a small seeded generator, so a failing seed replays. */
function generator(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick<T>(list: readonly T[]): T {
      return list[Math.floor(next() * list.length)]!;
    },
    chance: (p: number) => next() < p,
  };
}
type Rng = ReturnType<typeof generator>;

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** Sixty nights on PostgreSQL, with late writers; twelve on PGlite, which has one connection and so none. */
describe.each(testEngines())('nights of deltas on %s', (engine) => {
  const NIGHTS = engine === 'postgres' ? 60 : 12;
  const seed = Number(process.env['EXDEF_DELTA_SEED'] ?? randomBytes(4).readUInt32LE(0));
  const work = makeWorkDir('exdef-delta-nights-');
  let target: RunTarget;
  let db: Database;
  const ids = new IdAllocator();

  /** The extract role: on PostgreSQL a least-privilege one (SELECT on the data, CREATE for its state; no pg_read_all_stats: it cannot see other sessions, and needs not). */
  let reader: Database;
  let role: string | undefined;

  beforeAll(async () => {
    target = await inProcessTarget(engine, { patients: 150, seed: seed % 1000, asOf: START });
    db = await target.use(async (d) => d);
    reader = db;
    if (engine === 'postgres') {
      role = `exdef_nights_${randomBytes(4).toString('hex')}`;
      const password = randomBytes(12).toString('hex');
      const url = new URL(target.url);
      await db.exec(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
      await db.exec(`GRANT USAGE ON SCHEMA reporting, terminology TO ${role}; GRANT SELECT ON ALL TABLES IN SCHEMA reporting, terminology TO ${role}; GRANT CREATE ON DATABASE ${url.pathname.slice(1)} TO ${role}`);
      url.username = role;
      url.password = password;
      reader = await openDatabase({ url: url.toString(), maxConnections: 6 });
    }
  }, 120_000);
  afterAll(async () => {
    if (reader !== db) await reader?.close();
    await target?.drop();
    if (role) {
      const admin = new pg.Client({ connectionString: adminUrl() });
      await admin.connect();
      await admin.query(`DROP ROLE IF EXISTS ${role}`).finally(() => admin.end());
    }
    work.remove();
  });

  it(`${NIGHTS} nights: the recipient's copy equals a fresh full extract after every run (seed ${seed}; replay with EXDEF_DELTA_SEED=${seed})`, async () => {
    const rng = generator(seed);
    const keys = writeKeysFile(join(work.dir, 'keys.yaml'), { unused: 'k'.repeat(40) });
    const file = join(work.dir, 'nights.exdef.yaml');
    // comparisonDefinition is reviewed the day before the first night, so its approvals (valid three
    // months from the review) last all sixty nights: reviewed 2026-10-01, as shipped, they would lapse on night 42.
    const text = comparisonDefinition('nights', 'delete');
    expect(text).toContain(`last_reviewed: ${addDays(START, -1)}`);
    writeFileSync(file, text);
    const out = join(work.dir, 'out');
    const referenceOut = join(work.dir, 'reference');
    mkdirSync(out);
    const recipient = new Recipient(out);
    const update = Math.floor(NIGHTS / 2);
    const crashNights = new Set(Array.from({ length: 5 }, () => 2 + rng.int(NIGHTS - 2)).filter((n) => n !== update && n !== update + 1));
    const log: string[] = [];
    /** The least-privilege role was told it cannot see other sessions (so it really ran as that role). */
    const q = (text: string, params: unknown[] = []) => db.query(text, params);

    const checkAgainstFull = async (day: string, what: string) => {
      const reference = await runInProcess({ definition: file, db: reader, out: referenceOut, today: day, keysFile: keys, practices: PRACTICES });
      expectCopyEqualsFull(recipient, reference.output, `${what} (seed ${seed}; ${log.slice(-12).join(' | ')})`);
    };

    let day = START;
    for (let night = 0; night < NIGHTS; night++) {
      if (night > 0) {
        day = addDays(day, 1);
        await changes(rng, db, ids, day, log);
      }
      if (night === update) {
        // A terminology update: a new descendant of 33879002 (rows already coded with it are now
        // selected) and a vaccine code joining the HIV/STI refset (its rows become sensitive).
        await q(`INSERT INTO terminology.concept (id, fsn, active) VALUES ($1::bigint, 'New vaccine product (product)', true) ON CONFLICT DO NOTHING`, [NEW_VACCINE]);
        await q(`INSERT INTO terminology.closure (ancestor_id, descendant_id) SELECT ancestor_id, $1::bigint FROM terminology.closure WHERE descendant_id = 33879002 UNION SELECT $1::bigint, $1::bigint ON CONFLICT DO NOTHING`, [NEW_VACCINE]);
        await q(`INSERT INTO terminology.refset_member (refset_id, referenced_component_id, active) VALUES ($1::bigint, $2::bigint, true) ON CONFLICT (refset_id, referenced_component_id) DO UPDATE SET active = true`, [HIV_STI_REFSET, rng.pick(VACCINES)]);
        log.push(`${day}: terminology update`);
      }
      // Late writers: a transaction open across the run, and a prepared one committed after it.
      const late = engine === 'postgres' && night > 0 && rng.chance(0.3) ? await openWriter(target.url, db, ids, rng, night % 2 === 0 ? `nights_${seed}_${night}` : undefined) : undefined;
      if (late) log.push(`${day}: late writer${late.prepared ? ' (prepared)' : ''}`);
      let crashDelivered = false;
      try {
        if (crashNights.has(night)) {
          const crash = rng.pick(CRASHES);
          const before = deliveries(out).size;
          await expect(runInProcess({ definition: file, db: reader, out, today: day, keysFile: keys, crash }), `night ${night} crashes`).rejects.toThrow();
          log.push(`${day}: crash at ${typeof crash === 'string' ? crash : crash.step}`);
          expect(deliveries(out).size, 'a crash delivers nothing unless it came after delivery').toBe(before + (crash === 'delivered' ? 1 : 0));
          crashDelivered = recipient.receive() > 0;
          if (crashDelivered) await checkAgainstFull(day, `night ${night}: the delivery of a run that crashed after delivering`);
        }
        const result = await runInProcess({ definition: file, db: reader, out, today: day, keysFile: keys });
        log.push(`${day}: ${result.mode} ${result.rows}`);
        expect(result.warnings.filter((w) => /transactions cannot be seen|pg_read_all_stats|prepared/.test(w)), 'nothing to warn about late writers').toEqual([]);
        // A run after one that delivered without saving its state is a full: what the recipient holds is not known.
        expect(result.mode, result.reason).toBe(night === 0 || crashDelivered ? 'full' : 'delta');
        expect(recipient.receive()).toBe(1);
        await checkAgainstFull(day, `night ${night} (${day}, ${result.mode})`);
      } finally {
        await late?.commit();
      }
    }
    if (engine === 'postgres') {
      const [sees] = await reader.query<{ stats: boolean }>("SELECT pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') AS stats");
      expect(sees!.stats, 'the runs on PostgreSQL are made by a role that cannot see other sessions').toBe(false);
    }
    expect(recipient.applied.length).toBeGreaterThanOrEqual(NIGHTS);
    expect(recipient.applied.filter((a) => a.mode === 'delta').length).toBeGreaterThan(NIGHTS / 2);
    expect(recipient.applied.some((a) => /terminology changed/.test(a.reason)), 'the manifest said when the terminology changed').toBe(true);
  }, 300_000);
});

let nhsNumbers = 100;

/** One night's random changes to the reporting tables (each committed on its own). */
async function changes(rng: Rng, database: Database, ids: IdAllocator, day: string, log: string[]): Promise<void> {
  const q = (text: string, params: unknown[] = []) => database.query(text, params);
  const patients = (await q(`SELECT patient_id::text AS id FROM reporting.patient ORDER BY patient_id`)) as { id: string }[];
  const observations = (await q(`SELECT observation_id::text AS id FROM reporting.observation WHERE code = ANY($1::bigint[]) ORDER BY observation_id`, [
    [...VACCINES, NEW_VACCINE, ASTHMA],
  ])) as { id: string }[];
  const yesterday = addDays(day, -1);
  const n = 4 + rng.int(8);
  for (let i = 0; i < n; i++) {
    const patient = rng.pick(patients).id;
    const observation = observations.length > 0 ? rng.pick(observations).id : undefined;
    const kind = rng.int(14);
    switch (kind) {
      case 0:
      case 1:
      case 2: {
        const id = await ids.take(database, 'observation', 'observation_id');
        const code = rng.chance(0.1) ? NEW_VACCINE : rng.chance(0.1) ? ASTHMA : rng.pick(VACCINES);
        // Dated up to 16 months back: some enter near the edge of the 15-month window and age out.
        const date = addDays(day, -rng.int(490));
        await q(
          `INSERT INTO reporting.observation (observation_id, patient_id, practice_ods, consultation_id, code, effective_date, recorded_at, value_numeric, value_unit, comment, confidential, updated_at, deleted_at)
           VALUES ($1::bigint, $2::bigint, $3, NULL, $4::bigint, $5::date, $5::date + time '10:00', NULL, NULL, NULL, false, now(), NULL)`,
          [id, patient, rng.pick([...PRACTICES, 'A81003']), code, date],
        );
        log.push(`${day}: new observation ${id} ${code} ${date}`);
        break;
      }
      case 3:
        if (observation) await q(`UPDATE reporting.observation SET code = $2::bigint WHERE observation_id = $1::bigint`, [observation, rng.chance(0.2) ? ASTHMA : rng.pick(VACCINES)]);
        break;
      case 4:
        if (observation) await q(`UPDATE reporting.observation SET effective_date = $2::date WHERE observation_id = $1::bigint`, [observation, addDays(day, -rng.int(490))]);
        break;
      case 5:
        if (observation) await q(`UPDATE reporting.observation SET deleted_at = CASE WHEN deleted_at IS NULL THEN now() END WHERE observation_id = $1::bigint`, [observation]);
        break;
      case 6:
        if (observation) await q(`UPDATE reporting.observation SET confidential = NOT confidential WHERE observation_id = $1::bigint`, [observation]);
        break;
      case 7: {
        // A Type 1 opt-out starts, or the one in force ends.
        const open = (await q(`SELECT opt_out_id::text AS id FROM reporting.opt_out WHERE patient_id = $1::bigint AND opt_out_type = 'type1' AND effective_to IS NULL`, [patient])) as { id: string }[];
        if (open.length > 0) {
          await q(`UPDATE reporting.opt_out SET effective_to = $2::timestamptz WHERE opt_out_id = $1::bigint`, [open[0]!.id, `${day}T00:00:00Z`]);
          log.push(`${day}: opt-out of ${patient} ends`);
        } else {
          const id = await ids.take(database, 'opt_out', 'opt_out_id');
          await q(`INSERT INTO reporting.opt_out (opt_out_id, patient_id, opt_out_type, effective_from, effective_to, updated_at) VALUES ($1::bigint, $2::bigint, 'type1', $3::timestamptz, NULL, now())`, [
            id,
            patient,
            `${yesterday}T12:00:00Z`,
          ]);
          log.push(`${day}: ${patient} opts out`);
        }
        break;
      }
      case 8:
        await q(`UPDATE reporting.patient SET date_of_death = CASE WHEN date_of_death IS NULL THEN $2::date END WHERE patient_id = $1::bigint`, [patient, yesterday]);
        log.push(`${day}: ${patient} dies (or the death is corrected)`);
        break;
      case 9:
        await q(`UPDATE reporting.patient SET pds_sensitive = NOT pds_sensitive WHERE patient_id = $1::bigint`, [patient]);
        log.push(`${day}: ${patient} PDS-sensitive flag flips`);
        break;
      case 10: {
        // A registration ends, or the patient registers again.
        const current = (await q(`SELECT registration_id::text AS id FROM reporting.registration WHERE patient_id = $1::bigint AND end_date IS NULL AND deleted_at IS NULL`, [patient])) as { id: string }[];
        if (current.length > 0) {
          await q(`UPDATE reporting.registration SET end_date = $2::date, end_reason = 'left the practice' WHERE registration_id = ANY($1::bigint[])`, [current.map((r) => r.id), yesterday]);
          log.push(`${day}: ${patient} deregistered`);
        } else {
          const id = await ids.take(database, 'registration', 'registration_id');
          await q(
            `INSERT INTO reporting.registration (registration_id, patient_id, practice_ods, registration_type, start_date, end_date, end_reason, deleted_at) VALUES ($1::bigint, $2::bigint, $3, 'permanent', $4::date, NULL, NULL, NULL)`,
            [id, patient, rng.pick([...PRACTICES, 'A81003']), day],
          );
          log.push(`${day}: ${patient} registers`);
        }
        break;
      }
      case 11:
        await q(`UPDATE reporting.patient SET nhs_number = $2 WHERE patient_id = $1::bigint`, [patient, testNhsNumber(nhsNumbers++)]);
        break;
      default:
        // A quiet change: a row rewritten with the same values (its change time moves, its content does not).
        if (observation) await q(`UPDATE reporting.observation SET code = code WHERE observation_id = $1::bigint`, [observation]);
    }
  }
}

/**
 * A writer that has begun before the run and commits after it: an open transaction, or (with
 * `gid`) a prepared one, each holding a new immunisation and a change to an existing one.
 */
async function openWriter(url: string, database: Database, ids: IdAllocator, rng: Rng, gid: string | undefined): Promise<{ prepared: boolean; commit(): Promise<void> }> {
  const q = (text: string, params: unknown[] = []) => database.query(text, params);
  const client = new pg.Client({ connectionString: url, application_name: 'late-writer' });
  await client.connect();
  const patient = ((await q(`SELECT patient_id::text AS id FROM reporting.patient ORDER BY random() LIMIT 1`)) as { id: string }[])[0]!.id;
  const id = await ids.take(database, 'observation', 'observation_id');
  await client.query('BEGIN');
  await client.query(
    `INSERT INTO reporting.observation (observation_id, patient_id, practice_ods, consultation_id, code, effective_date, recorded_at, value_numeric, value_unit, comment, confidential, updated_at, deleted_at)
     VALUES ($1::bigint, $2::bigint, $3, NULL, $4::bigint, CURRENT_DATE - 30, now(), NULL, NULL, NULL, false, now(), NULL)`,
    [id, patient, rng.pick(PRACTICES), rng.pick(VACCINES)],
  );
  await client.query(`UPDATE reporting.observation SET effective_date = effective_date - 1 WHERE observation_id = (SELECT min(observation_id) FROM reporting.observation WHERE code = ANY($1::bigint[]))`, [VACCINES]);
  if (gid) await client.query(`PREPARE TRANSACTION '${gid}'`);
  return {
    prepared: gid !== undefined,
    async commit() {
      try {
        await client.query(gid ? `COMMIT PREPARED '${gid}'` : 'COMMIT');
      } finally {
        await client.end();
      }
    },
  };
}
