import { createHash } from 'node:crypto';
import { findColumn, tableOf, type Catalogue, type CatalogueTable, type ColumnType } from '../catalogue/catalogue.js';
import type { Session } from '../db/database.js';
import { ExdefError } from '../failure.js';
import { syntheticNhsNumber } from '../seed/nhs-number.js';
import { qualifiedName, quoteIdentifier } from '../sql/identifier.js';
import type { DefinitionTest, TestPatient, TestRecord } from './definition-test.js';

/** A row for one table: column → text (null for SQL NULL); PostgreSQL casts by the column's type. */
type TableRow = Record<string, string | null>;

/** A test patient as inserted: the key and the NHS number the extract sees. */
export interface InsertedPatient {
  name: string;
  patientId: string;
  nhsNumber: string;
}

/** Defaults that keep tests short: only what a test is about needs writing. */
export const PATIENT_DEFAULTS = {
  born: '1980-01-01',
  sex: 'unknown',
  givenName: 'Test',
  address: '1 Test Street',
  postcode: 'TS1 1AA',
} as const;

/** Plain keys of a record and the reference model's column each fills, per table. */
const RECORD_TABLES = {
  observations: { table: 'observation', columns: { code: 'code', date: 'effective_date', value: 'value_numeric', unit: 'value_unit' }, recorded: 'recorded_at' },
  medications: { table: 'medication_issue', columns: { code: 'dmd_code', date: 'issue_date', quantity: 'quantity', unit: 'quantity_unit' } },
  referrals: { table: 'referral', columns: { code: 'code', date: 'referral_date', service: 'target_service', urgency: 'urgency' } },
  appointments: { table: 'appointment', columns: { at: 'starts_at', minutes: 'duration_minutes', status: 'status', slot: 'slot_type', clinician: 'clinician_role' } },
  consultations: { table: 'consultation', columns: { date: 'consultation_date', type: 'consultation_type' } },
} as const satisfies Record<string, { table: string; columns: Record<string, string>; recorded?: string }>;

type RecordList = keyof typeof RECORD_TABLES;

/** Values for NOT NULL columns a test says nothing about, by type. */
const FILLER: Record<ColumnType, string> = {
  text: 'test',
  bigint: '0',
  integer: '0',
  numeric: '0',
  boolean: 'false',
  date: '2000-01-01',
  timestamptz: '2000-01-01 00:00:00+00',
  bytea: '\\x',
};

const RECORD_DEFAULTS: Partial<Record<string, string>> = {
  quantity: '1',
  unit: 'each',
  service: 'General medicine',
  urgency: 'routine',
  minutes: '10',
  status: 'booked',
  slot: 'Routine',
  clinician: 'GP',
  type: 'Face to face',
};

/**
 * Inserts a test's patients (and the practices they and the definition name) into the catalogue's
 * reporting tables, through `session`. Keys are numbered from 1 in the order the test lists its
 * patients; NHS numbers not given are valid numbers from the range reserved for test data.
 */
export async function insertTestPatients(session: Session, catalogue: Catalogue, test: DefinitionTest, definitionPractices: readonly string[]): Promise<InsertedPatient[]> {
  const defaultPractice = test.practice ?? definitionPractices[0] ?? 'A81001';
  const tables = new Map<string, TableRow[]>();
  const add = (table: string, row: TableRow) => tables.set(table, [...(tables.get(table) ?? []), row]);
  const population = catalogue.population;
  const practices = new Set<string>([...definitionPractices, defaultPractice]);
  const taken = new Set(test.patients.map((p) => p.nhsNumber).filter((n): n is string => n !== undefined));
  let generated = 0;
  const nextNhsNumber = () => {
    for (;;) {
      const candidate = syntheticNhsNumber(generated++);
      if (!taken.has(candidate)) return candidate;
    }
  };
  const ids = { registration: 0, opt_out: 0, record: new Map<string, number>() };
  const inserted: InsertedPatient[] = [];

  test.patients.forEach((patient, index) => {
    const patientId = String(index + 1);
    const nhsNumber = patient.nhsNumber ?? nextNhsNumber();
    inserted.push({ name: patient.name, patientId, nhsNumber });
    const born = patient.born ?? PATIENT_DEFAULTS.born;
    add(population.patient.table, {
      [population.patient.key]: patientId,
      nhs_number: nhsNumber,
      given_name: patient.givenName ?? PATIENT_DEFAULTS.givenName,
      family_name: patient.familyName ?? patient.name,
      date_of_birth: born,
      sex: patient.sex ?? PATIENT_DEFAULTS.sex,
      ethnicity_code: patient.ethnicity ?? null,
      address_line: patient.address ?? PATIENT_DEFAULTS.address,
      postcode: patient.postcode ?? PATIENT_DEFAULTS.postcode,
      phone: patient.phone ?? null,
      email: patient.email ?? null,
      [population.patient.dateOfDeath]: patient.died ?? null,
      [population.patient.pdsSensitive]: String(patient.pdsSensitive),
      ...tombstone(catalogue, population.patient.table, patient.deleted),
    });
    const registrations = patient.registrations ?? [{ type: 'permanent', deleted: false }];
    for (const r of registrations) {
      const practice = r.practice ?? defaultPractice;
      practices.add(practice);
      const reg = population.registration;
      add(reg.table, {
        [tableOf(catalogue, reg.table).primaryKey[0]!]: String(++ids.registration),
        [reg.patient]: patientId,
        [reg.practice]: practice,
        [reg.type]: r.type,
        [reg.start]: r.from ?? born,
        [reg.end]: r.to ?? null,
        ...(r.endReason ? { end_reason: r.endReason } : {}),
        ...tombstone(catalogue, reg.table, r.deleted),
      });
    }
    for (const o of patient.optOuts) {
      const opt = population.optOut;
      add(opt.table, {
        [tableOf(catalogue, opt.table).primaryKey[0]!]: String(++ids.opt_out),
        [opt.patient]: patientId,
        [opt.type]: o.type === 'type1' ? opt.type1Value : opt.nationalDataOptOutValue,
        [opt.from]: o.from,
        [opt.to]: o.to ?? null,
      });
    }
    for (const list of Object.keys(RECORD_TABLES) as RecordList[]) {
      for (const record of patient[list]) {
        const practice = record.practice ?? defaultPractice;
        practices.add(practice);
        const spec = RECORD_TABLES[list];
        const id = (ids.record.get(spec.table) ?? 0) + 1;
        ids.record.set(spec.table, id);
        add(spec.table, recordRow(catalogue, spec, list, record, patient, patientId, practice, id));
      }
    }
  });

  const practiceTable = tableOf(catalogue, 'practice');
  const practiceRows = [...practices].sort().map((ods): TableRow => ({ [practiceTable.primaryKey[0]!]: ods, name: `Test practice ${ods}`, postcode: 'TS1 1AA' }));
  // Parents before children, for the foreign keys.
  const order = ['practice', population.patient.table, population.registration.table, population.optOut.table, 'consultation', ...Object.values(RECORD_TABLES).map((s) => s.table)];
  tables.set('practice', practiceRows);
  for (const name of [...new Set(order)]) {
    const rows = tables.get(name);
    if (rows && rows.length > 0) await insertRows(session, tableOf(catalogue, name), rows);
  }
  return inserted;
}

function recordRow(
  catalogue: Catalogue,
  spec: { table: string; columns: Record<string, string>; recorded?: string },
  list: RecordList,
  record: TestRecord,
  patient: TestPatient,
  patientId: string,
  practice: string,
  id: number,
): TableRow {
  const table = tableOf(catalogue, spec.table);
  const row: TableRow = { [table.primaryKey[0]!]: String(id) };
  if (table.patientColumn) row[table.patientColumn] = patientId;
  if (table.practiceColumn) row[table.practiceColumn] = practice;
  for (const [key, column] of Object.entries(spec.columns)) {
    const value = record.values[key] ?? RECORD_DEFAULTS[key];
    if (value === undefined) continue;
    if (!findColumn(table, column)) {
      if (record.values[key] === undefined) continue;
      throw new ExdefError(`the catalogue's table ${table.name} has no column ${column}, which \`${key}\` of ${patient.name}'s ${list} fills`, { exitCode: 2, step: 'test data' });
    }
    row[column] = value;
  }
  if (spec.recorded && findColumn(table, spec.recorded) && record.values['date']) row[spec.recorded] = `${record.values['date']} 09:00:00+00`;
  if (table.confidentialColumn) row[table.confidentialColumn] = String(record.confidential);
  else if (record.confidential) throw new ExdefError(`${patient.name}'s ${list}: the catalogue's table ${table.name} has no confidential flag`, { exitCode: 2, step: 'test data' });
  Object.assign(row, tombstone(catalogue, spec.table, record.deleted));
  return row;
}

function tombstone(catalogue: Catalogue, tableName: string, deleted: boolean): TableRow {
  const table = tableOf(catalogue, tableName);
  if (!table.tombstone) {
    if (deleted) throw new ExdefError(`the catalogue's table ${table.name} has no soft-delete column, so a test row cannot be deleted`, { exitCode: 2, step: 'test data' });
    return {};
  }
  return { [table.tombstone]: deleted ? '2000-01-01 00:00:00+00' : null };
}

/** One INSERT per table; every value a parameter, every NOT NULL column the test leaves out filled by type. */
async function insertRows(session: Session, table: CatalogueTable, rows: readonly TableRow[]): Promise<void> {
  const columns = table.columns.filter((c) => c.name !== table.changeTracking && (!c.nullable || rows.some((r) => r[c.name] !== undefined && r[c.name] !== null)));
  const params: (string | null)[] = [];
  const tuples = rows.map((row) => {
    const cells = columns.map((c) => {
      const given = row[c.name];
      params.push(given === undefined ? (c.nullable ? null : FILLER[c.type]) : given);
      return `$${params.length}::${c.type}`;
    });
    return `(${cells.join(', ')})`;
  });
  await session.query(`INSERT INTO ${qualifiedName(table.schema, table.name)} (${columns.map((c) => quoteIdentifier(c.name)).join(', ')}) VALUES ${tuples.join(', ')}`, params);
}

/** The fixed pseudonym key a test run uses for a key name: 64 hex characters, the same everywhere. */
export function testPseudonymKey(name: string): string {
  return createHash('sha256').update(`exdef test key: ${name}`).digest('hex');
}
