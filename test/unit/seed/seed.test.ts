import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referenceCatalogue } from '../../../src/catalogue/load-catalogue.js';
import type { Database } from '../../../src/db/database.js';
import { isValidNhsNumber, syntheticNhsNumber } from '../../../src/seed/nhs-number.js';
import { seedDatabase, type SeedSummary } from '../../../src/seed/seed-database.js';
import { SEED_TABLES, type SeedTable } from '../../../src/seed/seed-tables.js';
import { scratchDatabase, testEngines, type ScratchDatabase } from '../../support/engines.js';

const AS_OF = '2026-11-21';
const PATIENTS = 400;

const PRIMARY_KEYS: Record<SeedTable, string> = {
  practice: 'ods_code',
  patient: 'patient_id',
  registration: 'registration_id',
  opt_out: 'opt_out_id',
  consultation: 'consultation_id',
  observation: 'observation_id',
  medication_issue: 'medication_issue_id',
  referral: 'referral_id',
  appointment: 'appointment_id',
  document: 'document_id',
};

/** md5 of every row of every table, in key order: equal iff the contents are equal. */
async function contentHash(db: Database): Promise<string> {
  const parts: string[] = [];
  for (const table of SEED_TABLES) {
    const [row] = await db.query<{ h: string }>(
      `SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY ${PRIMARY_KEYS[table]}), '')) AS h FROM reporting.${table} t`,
    );
    parts.push(`${table}:${row!.h}`);
  }
  return parts.join(' ');
}

async function count(db: Database, sql: string): Promise<number> {
  const [row] = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${sql}`);
  return Number(row!.n);
}

const hashes: Partial<Record<string, string>> = {};

describe('synthetic NHS numbers', () => {
  it('are valid (modulus 11) and distinct', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const n = syntheticNhsNumber(i);
      expect(isValidNhsNumber(n), n).toBe(true);
      seen.add(n);
    }
    for (const i of [499_999, 500_000, 1_234_567]) expect(isValidNhsNumber(syntheticNhsNumber(i))).toBe(true);
    expect(seen.size).toBe(20_000);
    expect(isValidNhsNumber('9434765919')).toBe(true);
    expect(isValidNhsNumber('9434765918')).toBe(false);
  });
});

describe.each(testEngines())('db seed on %s', (engine) => {
  let scratch: ScratchDatabase;
  let summary: SeedSummary;
  beforeAll(async () => {
    scratch = await scratchDatabase(engine, { maxConnections: 12 });
    summary = await seedDatabase(scratch.db, referenceCatalogue(), { practices: 4, patients: PATIENTS, seed: 7, asOf: AS_OF });
  });
  afterAll(async () => scratch?.drop());

  it('is deterministic: the same seed gives the same rows, another seed different ones', async () => {
    const first = await contentHash(scratch.db);
    hashes[engine] = first;
    await seedDatabase(scratch.db, referenceCatalogue(), { practices: 4, patients: PATIENTS, seed: 7, asOf: AS_OF, replace: true });
    expect(await contentHash(scratch.db)).toBe(first);
    await seedDatabase(scratch.db, referenceCatalogue(), { practices: 4, patients: PATIENTS, seed: 8, asOf: AS_OF, replace: true });
    const other = await contentHash(scratch.db);
    for (const table of ['patient', 'observation', 'registration']) {
      expect(other.split(' ').find((p) => p.startsWith(`${table}:`))).not.toBe(first.split(' ').find((p) => p.startsWith(`${table}:`)));
    }
    // Back to seed 7 for the checks below.
    summary = await seedDatabase(scratch.db, referenceCatalogue(), { practices: 4, patients: PATIENTS, seed: 7, asOf: AS_OF, replace: true });
    expect(await contentHash(scratch.db)).toBe(first);
  });

  it('refuses to seed over an existing population without --replace', async () => {
    await expect(seedDatabase(scratch.db, referenceCatalogue(), { practices: 3, patients: 5, seed: 1, asOf: AS_OF })).rejects.toThrow(
      `already holds ${PATIENTS} patients`,
    );
  });

  it('loads exactly the rows it generated, always including A81001, A81002 and A81003', async () => {
    for (const table of SEED_TABLES) expect(await count(scratch.db, `reporting.${table}`), table).toBe(summary.rows[table]);
    expect(summary.practices).toEqual(['A81001', 'A81002', 'A81003', 'A81004']);
    expect(summary.rows.observation / PATIENTS).toBeGreaterThan(30);
  });

  it('plants every trap in a known, non-zero amount that the database confirms', async () => {
    const t = summary.traps;
    const db = scratch.db;
    const asOf = `DATE '${AS_OF}'`;
    const checks: [string, number, string][] = [
      ['PDS-sensitive', t.pdsSensitivePatients, 'reporting.patient WHERE pds_sensitive'],
      ['deceased', t.deceasedPatients, 'reporting.patient WHERE date_of_death IS NOT NULL'],
      ['soft-deleted patients', t.softDeletedPatients, 'reporting.patient WHERE deleted_at IS NOT NULL'],
      [
        'no longer registered',
        t.inactivePatients,
        `reporting.patient p WHERE date_of_death IS NULL AND NOT EXISTS (SELECT 1 FROM reporting.registration r WHERE r.patient_id = p.patient_id AND (r.end_date IS NULL OR r.end_date >= ${asOf}))`,
      ],
      [
        'temporary registration only',
        t.temporaryOnlyPatients,
        "reporting.patient p WHERE NOT EXISTS (SELECT 1 FROM reporting.registration r WHERE r.patient_id = p.patient_id AND r.registration_type = 'permanent')",
      ],
      ['Type 1 opt-out in force', t.type1OptOutInForce, "reporting.opt_out WHERE opt_out_type = 'type1' AND effective_to IS NULL"],
      ['Type 1 opted back in', t.type1OptedBackIn, "reporting.opt_out WHERE opt_out_type = 'type1' AND effective_to IS NOT NULL"],
      ['National Data Opt-out in force', t.nationalOptOutInForce, "reporting.opt_out WHERE opt_out_type = 'national_data_opt_out' AND effective_to IS NULL"],
      ['National Data Opt-out ended', t.nationalOptedBackIn, "reporting.opt_out WHERE opt_out_type = 'national_data_opt_out' AND effective_to IS NOT NULL"],
      ['documents', t.documents, 'reporting.document WHERE content IS NOT NULL'],
    ];
    const sensitiveSets: Record<keyof typeof t.sensitiveCodeRows, string> = {
      gender: 'SELECT referenced_component_id FROM terminology.refset_member WHERE active AND refset_id IN (999004351000000109, 1955851000000101)',
      sexuality: 'SELECT descendant_id FROM terminology.closure WHERE ancestor_id IN (118199002, 365957000, 118200004, 171023003)',
      sti: 'SELECT referenced_component_id FROM terminology.refset_member WHERE active AND refset_id = 999004381000000103',
      termination: 'SELECT referenced_component_id FROM terminology.refset_member WHERE active AND refset_id = 999004361000000107',
      fertility: 'SELECT referenced_component_id FROM terminology.refset_member WHERE active AND refset_id = 999004371000000100',
    };
    for (const [category, set] of Object.entries(sensitiveSets) as [keyof typeof sensitiveSets, string][]) {
      const n = (await count(db, `reporting.observation WHERE code IN (${set})`)) + (await count(db, `reporting.referral WHERE code IN (${set})`));
      expect(t.sensitiveCodeRows[category], `${category} codes: generated`).toBeGreaterThan(0);
      expect(n, `${category} codes: in the database`).toBe(t.sensitiveCodeRows[category]);
    }
    for (const table of ['observation', 'medication_issue', 'referral', 'consultation', 'document'] as const) {
      checks.push([`confidential ${table}`, t.confidentialRows[table] ?? 0, `reporting.${table} WHERE confidential`]);
    }
    for (const table of ['patient', 'registration', 'observation', 'medication_issue', 'referral', 'appointment', 'consultation', 'document'] as const) {
      checks.push([`soft-deleted ${table}`, t.softDeletedRows[table] ?? 0, `reporting.${table} WHERE deleted_at IS NOT NULL`]);
    }
    for (const column of ['observation.comment', 'medication_issue.dosage_text', 'referral.notes', 'consultation.summary', 'document.title']) {
      const [table, name] = column.split('.') as [string, string];
      checks.push([`free text in ${column}`, t.freeTextRows[column] ?? 0, `reporting.${table} WHERE ${name} IS NOT NULL`]);
    }
    for (const [what, expected, sql] of checks) {
      expect(expected, `${what}: generated`).toBeGreaterThan(0);
      expect(await count(db, sql), `${what}: in the database`).toBe(expected);
    }
    for (const table of ['patient', 'observation', 'consultation', 'registration'] as const) expect(t.updatedRows[table], `updated ${table}`).toBeGreaterThan(0);
    // Edge cases judged "as of the snapshot" (random history may add more of the same).
    expect(await count(db, `reporting.registration WHERE end_date = ${asOf}`)).toBeGreaterThanOrEqual(t.registrationEndingOnAsOf);
    expect(t.registrationEndingOnAsOf).toBe(1);
    expect(await count(db, `reporting.patient WHERE date_of_death = ${asOf} - 1`)).toBeGreaterThanOrEqual(1);
    expect(await count(db, `reporting.opt_out WHERE effective_to::date = ${asOf} - 1`)).toBeGreaterThanOrEqual(1);
  });

  it('writes realistic, consistent rows: valid NHS numbers, sample-terminology codes, history before the as-of date', async () => {
    const db = scratch.db;
    const numbers = await db.query<{ nhs_number: string }>('SELECT nhs_number FROM reporting.patient');
    expect(numbers.every((r) => isValidNhsNumber(r.nhs_number))).toBe(true);
    expect(new Set(numbers.map((r) => r.nhs_number)).size).toBe(PATIENTS);
    for (const [table, column] of [['observation', 'code'], ['referral', 'code'], ['medication_issue', 'dmd_code'], ['patient', 'ethnicity_code']]) {
      expect(await count(db, `reporting.${table} x WHERE ${column} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM terminology.concept c WHERE c.id = x.${column} AND c.active)`), `${table}.${column}`).toBe(0);
    }
    for (const table of SEED_TABLES) {
      expect(await count(db, `reporting.${table} WHERE updated_at >= TIMESTAMPTZ '${AS_OF} 00:00:00+00'`), `${table}.updated_at`).toBe(0);
    }
    expect(await count(db, `reporting.observation o JOIN reporting.patient p USING (patient_id) WHERE o.effective_date < p.date_of_birth OR o.effective_date >= DATE '${AS_OF}'`)).toBe(0);
    expect(await count(db, `reporting.registration WHERE end_date < start_date`)).toBe(0);
    // Foreign keys were created after the load and hold.
    expect(await count(db, "information_schema.table_constraints WHERE table_schema = 'reporting' AND constraint_type = 'FOREIGN KEY'")).toBeGreaterThan(10);
  });
});

describe('db seed across engines', () => {
  it('gives the same rows on PGlite and PostgreSQL for the same seed', () => {
    if (!testEngines().includes('postgres')) {
      // Only one engine configured here; CI (CI=true) always has both, and testEngines() fails there without PostgreSQL.
      expect(hashes['pglite']).toMatch(/^practice:/);
      return;
    }
    expect(hashes['postgres']).toBe(hashes['pglite']);
  });
});
