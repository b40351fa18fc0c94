/**
 * Non-interference on a real database (tests only): compile a definition, run every query that
 * feeds an output (the population's members, each dataset's full extract), plant excluded data,
 * run again, and compare. Excluded data is planted by `plantExcludedData`: patients outside the
 * population (PDS-sensitive, Type 1 opted out, deceased, departed, at another practice), each
 * with registrations and observations marked so that a probe can look for them, and rows held at
 * a practice out of scope for a member.
 */
import { referenceCatalogue } from '../../../src/catalogue/load-catalogue.js';
import { tableOf } from '../../../src/catalogue/catalogue.js';
import type { Database } from '../../../src/db/database.js';
import type { ExtractDefinition } from '../../../src/ir/extract-definition.js';
import { ruleCatalogue } from '../../../src/pipeline/lint-definition.js';
import { loadPolicy } from '../../../src/policy/policy.js';
import { bindParameters } from '../../../src/sql/bind-parameters.js';
import { compileExtract, type CompiledPlan } from '../../../src/sql/compile-extract.js';

export const catalogue = referenceCatalogue();
export const policy = loadPolicy(ruleCatalogue).policy!;
export const D = '2026-11-21';
/** The practice in scope of every probe; the others are out of scope. */
export const IN_SCOPE = 'A81001';
export const OUT_OF_SCOPE = 'A81002';
/** What marks planted rows, so that a probe can look for them. */
export const MARK = { postcode: 'ZZ99 9ZZ', value: '4242', birth: '1901-02-03' };

export function compilePlan(definition: ExtractDefinition, today = D): CompiledPlan {
  return compileExtract(definition, { catalogue, policy, today });
}

/** Every output a run would write from the plan: the members (not opted out) and each dataset's rows, as sorted JSON lines. */
export async function outputs(db: Database, plan: CompiledPlan, snapshotDate = D): Promise<Record<string, string[]>> {
  const values = { snapshotDate, keys: new Map(plan.keys.map((k) => [k, 'closure-test-key-0123456789abcdef'])) };
  const run = async (query: CompiledPlan['population']) => db.query<Record<string, unknown>>(query.sql, bindParameters(plan, query, values));
  const result: Record<string, string[]> = {};
  result['population'] = (await run(plan.population)).filter((r) => r['opted_out'] === false).map((r) => JSON.stringify([String(r['patient_id']), r['practice']])).sort();
  for (const dataset of plan.datasets) result[dataset.name] = (await run(dataset.full)).map((r) => JSON.stringify(Object.values(r).map((v) => (v === null ? null : String(v))))).sort();
  return result;
}

const patientColumns = tableOf(catalogue, 'patient').columns.map((c) => c.name);
const observationColumns = tableOf(catalogue, 'observation').columns.map((c) => c.name);

async function maxId(db: Database, table: string, key: string): Promise<bigint> {
  const [row] = await db.query<{ m: string | null }>(`SELECT max(${key})::text AS m FROM reporting.${table}`);
  return BigInt(row?.m ?? '0');
}

/** A member of the in-scope practice with a plain observation there (the template the planted rows copy). */
async function template(db: Database): Promise<{ patient: string; observation: string }> {
  const [row] = await db.query<{ patient_id: string; observation_id: string }>(
    `SELECT p.patient_id::text, o.observation_id::text
       FROM reporting.patient p
       JOIN reporting.registration r ON r.patient_id = p.patient_id AND r.practice_ods = $1 AND r.end_date IS NULL AND r.deleted_at IS NULL AND r.registration_type = 'permanent'
       JOIN reporting.observation o ON o.patient_id = p.patient_id AND o.practice_ods = $1 AND o.deleted_at IS NULL AND o.confidential IS FALSE
      WHERE p.deleted_at IS NULL AND NOT p.pds_sensitive AND p.date_of_death IS NULL
        AND NOT EXISTS (SELECT 1 FROM reporting.opt_out x WHERE x.patient_id = p.patient_id)
      ORDER BY p.patient_id, o.observation_id LIMIT 1`,
    [IN_SCOPE],
  );
  if (!row) throw new Error('closure harness: no template member');
  return { patient: row.patient_id, observation: row.observation_id };
}

export interface Planted {
  /** Patient ids planted outside the population, by why. */
  patients: Record<'pds' | 'optedOut' | 'deceased' | 'departed' | 'otherPractice', string>;
  /** The member who got rows at a practice out of scope. */
  member: string;
}

/**
 * Plants excluded data: five patients outside the population, each with a registration at the
 * in-scope practice (ended for the departed; none for the one registered elsewhere), the marked
 * postcode and date of birth, and a marked observation at the in-scope practice; and, for a
 * member, a marked observation and an ended registration held at a practice out of scope.
 * `when` dates the death, departure and opt-out (default: before D).
 */
export async function plantExcludedData(db: Database, when = '2026-10-01'): Promise<Planted> {
  const t = await template(db);
  let patientId = (await maxId(db, 'patient', 'patient_id')) + 1000n;
  let registrationId = (await maxId(db, 'registration', 'registration_id')) + 1000n;
  let observationId = (await maxId(db, 'observation', 'observation_id')) + 1000n;
  let optOutId = (await maxId(db, 'opt_out', 'opt_out_id')) + 1000n;

  const clonePatient = async (overrides: Record<string, string>): Promise<string> => {
    const id = String(patientId++);
    const all: Record<string, string> = { patient_id: `${id}::bigint`, postcode: `'${MARK.postcode}'`, date_of_birth: `'${MARK.birth}'::date`, ...overrides };
    await db.query(`INSERT INTO reporting.patient (${patientColumns.join(', ')}) SELECT ${patientColumns.map((c) => all[c] ?? c).join(', ')} FROM reporting.patient WHERE patient_id = $1::bigint`, [t.patient]);
    return id;
  };
  const register = async (patient: string, practice: string, start: string, end: string | null) => {
    await db.query(
      `INSERT INTO reporting.registration (registration_id, patient_id, practice_ods, registration_type, start_date, end_date, end_reason, updated_at, deleted_at)
       VALUES ($1::bigint, $2::bigint, $3, 'permanent', $4::date, $5::date, $6, now(), NULL)`,
      [String(registrationId++), patient, practice, start, end, end === null ? null : 'left'],
    );
  };
  const observe = async (patient: string, practice: string) => {
    const all: Record<string, string> = { observation_id: `${String(observationId++)}::bigint`, patient_id: `${patient}::bigint`, practice_ods: `'${practice}'`, value_numeric: `${MARK.value}::numeric`, consultation_id: 'NULL::bigint' };
    await db.query(`INSERT INTO reporting.observation (${observationColumns.join(', ')}) SELECT ${observationColumns.map((c) => all[c] ?? c).join(', ')} FROM reporting.observation WHERE observation_id = $1::bigint`, [t.observation]);
  };

  const pds = await clonePatient({ pds_sensitive: 'TRUE' });
  const optedOut = await clonePatient({});
  await db.query(
    `INSERT INTO reporting.opt_out (opt_out_id, patient_id, opt_out_type, effective_from, effective_to, updated_at) VALUES ($1::bigint, $2::bigint, 'type1', $3::timestamptz, NULL, now())`,
    [String(optOutId++), optedOut, `${when}T09:00:00Z`],
  );
  const deceased = await clonePatient({ date_of_death: `'${when}'::date` });
  const departed = await clonePatient({});
  const otherPractice = await clonePatient({});
  for (const p of [pds, optedOut, deceased]) await register(p, IN_SCOPE, '2010-01-01', null);
  await register(departed, IN_SCOPE, '2010-01-01', when);
  await register(departed, 'A81003', when, null);
  await register(otherPractice, OUT_OF_SCOPE, '2010-01-01', null);
  for (const p of [pds, optedOut, deceased, departed, otherPractice]) await observe(p, IN_SCOPE);
  await observe(otherPractice, OUT_OF_SCOPE);
  // A member's rows held at a practice out of scope: an observation recorded there, an old registration.
  await observe(t.patient, OUT_OF_SCOPE);
  await register(t.patient, OUT_OF_SCOPE, '2001-01-01', '2005-12-31');
  return { patients: { pds, optedOut, deceased, departed, otherPractice }, member: t.patient };
}
