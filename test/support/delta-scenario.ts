/**
 * An independent model of exdef's delta extract, for test/unit/sql/delta.test.ts.
 *
 * It reads the raw reporting tables with plain SELECTs and works out, in JavaScript and from the
 * written specification only (never from the compiler's SQL), which patients are in the
 * population, which rows qualify, and what a delta run over a window must output. Only the
 * tables and columns the test definitions use are read: patient, registration, opt_out,
 * observation, and the terminology tables for the sensitive sets and the diabetes code set.
 */
import { createHmac } from 'node:crypto';
import type { Database } from '../../src/db/database.js';

// ---------------------------------------------------------------------------------------------
// The raw tables

export interface PatientRow {
  patientId: string;
  nhsNumber: string;
  dateOfBirth: string;
  ethnicityCode: string | null;
  dateOfDeath: string | null;
  pdsSensitive: boolean;
  deleted: boolean;
  updatedAt: bigint;
}

export interface RegistrationRow {
  registrationId: string;
  patientId: string;
  practice: string;
  type: string;
  startDate: string;
  endDate: string | null;
  deleted: boolean;
}

export interface OptOutRow {
  optOutId: string;
  patientId: string;
  type: 'type1' | 'national_data_opt_out';
  /** The UTC days the opt-out took effect and (when it has) ended. */
  fromDay: string;
  toDay: string | null;
}

export interface ObservationRow {
  observationId: string;
  patientId: string;
  /** The consultation it was recorded in, if any. */
  consultationId: string | null;
  /** The practice that holds the row (its controller): the folder it goes to in per_practice layout. */
  practice: string;
  code: string;
  effectiveDate: string;
  confidential: boolean;
  deleted: boolean;
  updatedAt: bigint;
}

export interface ConsultationRow {
  consultationId: string;
  patientId: string;
  practice: string;
  confidential: boolean | null;
  updatedAt: bigint;
}

/** Everything the model needs, as it is in the database at one moment. */
export interface Snapshot {
  patients: Map<string, PatientRow>;
  registrations: RegistrationRow[];
  optOuts: OptOutRow[];
  observations: ObservationRow[];
  /** Consultations by id: an observation inside a confidential one is confidential too. */
  consultations: Map<string, ConsultationRow>;
  /** Every concept in one of the policy's sensitive sets (default policy). */
  sensitiveCodes: Set<string>;
  /** << 73211009 |Diabetes mellitus| */
  diabetesCodes: Set<string>;
}

/** Microseconds since the epoch, exact, as text (both engines: extract(epoch) is numeric). */
const MICROS = (column: string) => `(extract(epoch from ${column}) * 1000000)::bigint::text`;
const UTC_DAY = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD')`;

/** The sensitive sets of src/policy/default.policy.yaml, written out again by hand. */
const SENSITIVE_DESCENDANTS_OF = ['118199002', '365957000', '118200004', '171023003'];
const SENSITIVE_REFSETS = ['999004351000000109', '1955851000000101', '999004381000000103', '999004361000000107', '999004371000000100'];
export const DIABETES = '73211009';

export async function readSnapshot(db: Database): Promise<Snapshot> {
  const patients = await db.query<Record<string, string | boolean | null>>(
    `SELECT patient_id::text AS id, nhs_number, date_of_birth::text AS dob, ethnicity_code::text AS ethnicity,
            date_of_death::text AS dod, pds_sensitive, deleted_at IS NOT NULL AS deleted, ${MICROS('updated_at')} AS updated
       FROM reporting.patient`,
  );
  const registrations = await db.query<Record<string, string | boolean | null>>(
    `SELECT registration_id::text AS id, patient_id::text AS patient, practice_ods, registration_type,
            start_date::text AS start_date, end_date::text AS end_date, deleted_at IS NOT NULL AS deleted
       FROM reporting.registration`,
  );
  const optOuts = await db.query<Record<string, string | null>>(
    `SELECT opt_out_id::text AS id, patient_id::text AS patient, opt_out_type, ${UTC_DAY('effective_from')} AS from_day,
            ${UTC_DAY('effective_to')} AS to_day
       FROM reporting.opt_out`,
  );
  const observations = await db.query<Record<string, string | boolean | null>>(
    `SELECT observation_id::text AS id, patient_id::text AS patient, consultation_id::text AS consultation, practice_ods, code::text AS code, effective_date::text AS effective_date,
            confidential, deleted_at IS NOT NULL AS deleted, ${MICROS('updated_at')} AS updated
       FROM reporting.observation`,
  );
  const consultations = await db.query<Record<string, string | boolean | null>>(
    `SELECT consultation_id::text AS id, patient_id::text AS patient, practice_ods, confidential, ${MICROS('updated_at')} AS updated
       FROM reporting.consultation`,
  );
  const sensitive = await db.query<{ id: string }>(
    `SELECT descendant_id::text AS id FROM terminology.closure WHERE ancestor_id IN (${SENSITIVE_DESCENDANTS_OF.join(', ')})
     UNION SELECT referenced_component_id::text FROM terminology.refset_member WHERE active AND refset_id IN (${SENSITIVE_REFSETS.join(', ')})`,
  );
  const diabetes = await db.query<{ id: string }>(`SELECT descendant_id::text AS id FROM terminology.closure WHERE ancestor_id = ${DIABETES}`);
  return {
    patients: new Map(
      patients.map((r) => [
        r['id'] as string,
        {
          patientId: r['id'] as string,
          nhsNumber: r['nhs_number'] as string,
          dateOfBirth: r['dob'] as string,
          ethnicityCode: r['ethnicity'] as string | null,
          dateOfDeath: r['dod'] as string | null,
          pdsSensitive: r['pds_sensitive'] as boolean,
          deleted: r['deleted'] as boolean,
          updatedAt: BigInt(r['updated'] as string),
        },
      ]),
    ),
    registrations: registrations.map((r) => ({
      registrationId: r['id'] as string,
      patientId: r['patient'] as string,
      practice: r['practice_ods'] as string,
      type: r['registration_type'] as string,
      startDate: r['start_date'] as string,
      endDate: r['end_date'] as string | null,
      deleted: r['deleted'] as boolean,
    })),
    optOuts: optOuts.map((r) => ({
      optOutId: r['id'] as string,
      patientId: r['patient'] as string,
      type: r['opt_out_type'] as OptOutRow['type'],
      fromDay: r['from_day'] as string,
      toDay: r['to_day'] ?? null,
    })),
    observations: observations.map((r) => ({
      observationId: r['id'] as string,
      patientId: r['patient'] as string,
      consultationId: (r['consultation'] as string | null) ?? null,
      practice: r['practice_ods'] as string,
      code: r['code'] as string,
      effectiveDate: r['effective_date'] as string,
      confidential: r['confidential'] as boolean,
      deleted: r['deleted'] as boolean,
      updatedAt: BigInt(r['updated'] as string),
    })),
    consultations: new Map(
      consultations.map((r) => [
        r['id'] as string,
        {
          consultationId: r['id'] as string,
          patientId: r['patient'] as string,
          practice: r['practice_ods'] as string,
          confidential: r['confidential'] as boolean | null,
          updatedAt: BigInt(r['updated'] as string),
        },
      ]),
    ),
    sensitiveCodes: new Set(sensitive.map((r) => r.id)),
    diabetesCodes: new Set(diabetes.map((r) => r.id)),
  };
}

// ---------------------------------------------------------------------------------------------
// The population on the snapshot date

export interface PopulationRules {
  snapshotDate: string;
  practices: readonly string[];
  registration: 'permanent' | 'all';
  deceased: 'exclude' | 'include';
  type1OptOut: 'respect' | 'override';
  nationalDataOptOut: 'respect' | 'not_applicable';
}

export interface PopulationEntry {
  practice: string;
  /** Left out only because an applied opt-out is in force on the snapshot date. */
  optedOut: boolean;
}

/**
 * An opt-out is in force on day D when it took effect on or before D and has not ended by D
 * (no end, or an end after D). Times on D itself would be ambiguous at day granularity:
 * `ambiguousOptOuts` lists them so that a test can make sure there are none.
 */
function inForce(o: OptOutRow, day: string): boolean {
  return o.fromDay <= day && (o.toDay === null || o.toDay > day);
}

export function ambiguousOptOuts(snapshot: Snapshot, day: string): OptOutRow[] {
  return snapshot.optOuts.filter((o) => o.fromDay === day || o.toDay === day);
}

/**
 * The population base (every condition except the opt-outs) with, for each patient, their
 * practice and whether an applied opt-out leaves them out.
 */
export function populationOn(snapshot: Snapshot, rules: PopulationRules): Map<string, PopulationEntry> {
  const day = rules.snapshotDate;
  const result = new Map<string, PopulationEntry>();
  for (const p of snapshot.patients.values()) {
    if (p.deleted || p.pdsSensitive) continue;
    if (rules.deceased === 'exclude' && p.dateOfDeath !== null && p.dateOfDeath <= day) continue;
    const practices = new Set(
      snapshot.registrations
        .filter(
          (r) =>
            r.patientId === p.patientId &&
            !r.deleted &&
            r.startDate <= day &&
            (r.endDate === null || r.endDate >= day) &&
            (rules.registration === 'all' || r.type === 'permanent') &&
            rules.practices.includes(r.practice),
        )
        .map((r) => r.practice),
    );
    if (practices.size === 0) continue;
    if (practices.size > 1) throw new Error(`scenario: patient ${p.patientId} is registered at ${[...practices].join(' and ')} on ${day}`);
    const applied = snapshot.optOuts.filter(
      (o) =>
        o.patientId === p.patientId &&
        inForce(o, day) &&
        ((o.type === 'type1' && rules.type1OptOut === 'respect') || (o.type === 'national_data_opt_out' && rules.nationalDataOptOut === 'respect')),
    );
    result.set(p.patientId, { practice: [...practices][0]!, optedOut: applied.length > 0 });
  }
  return result;
}

/** The previous run's state as bindParameters takes it. */
export interface PreviousState {
  members: { patientId: string; practice: string }[];
  optedOut: string[];
}

export function previousState(population: ReadonlyMap<string, PopulationEntry>): PreviousState {
  const entries = [...population.entries()].sort(([a], [b]) => Number(a) - Number(b));
  return {
    members: entries.filter(([, e]) => !e.optedOut).map(([patientId, e]) => ({ patientId, practice: e.practice })),
    optedOut: entries.filter(([, e]) => e.optedOut).map(([id]) => id),
  };
}

// ---------------------------------------------------------------------------------------------
// The datasets of the test definitions, and what a run must output

export const FILTER_FROM = '2020-01-01';

/** HMAC-SHA-256 of the value under the key, hex: the documented pseudonym(). */
export function pseudonym(value: string, key: string): string {
  return createHmac('sha256', key).update(value, 'utf8').digest('hex');
}

/**
 * A row's record_id: opaque, an HMAC of the row's primary key (as text) under the delta state's
 * record key, the first 128 bits in hex. (bindParameters' `recordKey` says "record ids are an
 * HMAC of the row's key under it"; the length, 32 hex digits, is what the compiler writes.)
 */
export function recordIdOf(primaryKey: string, recordKey: string): string {
  return createHmac('sha256', recordKey).update(primaryKey, 'utf8').digest('hex').slice(0, 32);
}

/** The keys a run uses: the pseudonym key 'k' and the record key. */
export interface ModelKeys {
  pseudonym: string;
  record: string;
}

export type ChangeType = 'upsert' | 'delete';

/** One output row: the fields by name, then record_id and change_type. All values as text. */
export type OutputRow = Record<string, string | null>;

export interface Window {
  /** Exclusive. */
  start: bigint;
  /** Inclusive. */
  end: bigint;
}

export interface DeltaRules {
  onOptBackIn: 'no_backfill' | 'backfill';
  layout: 'single_zip' | 'per_practice';
}

/** A dataset of the test definitions, modelled: its rows, their guards and filter, their fields. */
interface ModelDataset<T> {
  fields: string[];
  /** The rows of the FROM table, with their patient and primary key. */
  rows(snapshot: Snapshot): { row: T; patientId: string; primaryKey: string }[];
  /** Row guards (tombstone, confidential, sensitive codes) and the dataset's filter. */
  qualifies(row: T, snapshot: Snapshot): boolean;
  /** Its own updated_at, the to-one rows its fields/filter read, the rows an exists() reads. */
  changed(row: T, snapshot: Snapshot, inWindow: (t: bigint) => boolean): boolean;
  values(row: T, snapshot: Snapshot, key: string): Record<string, string>;
}

const patientDataset = (fields: string[], filter: (p: PatientRow, s: Snapshot) => boolean, dependsOnObservations: boolean, values: (p: PatientRow, key: string) => Record<string, string>): ModelDataset<PatientRow> => ({
  fields,
  rows: (s) => [...s.patients.values()].map((p) => ({ row: p, patientId: p.patientId, primaryKey: p.patientId })),
  qualifies: (p, s) => !p.deleted && (p.ethnicityCode === null || !s.sensitiveCodes.has(p.ethnicityCode)) && filter(p, s),
  changed: (p, s, inWindow) =>
    inWindow(p.updatedAt) || (dependsOnObservations && s.observations.some((o) => o.patientId === p.patientId && (inWindow(o.updatedAt) || consultationChanged(o, s, inWindow)))),
  values: (p, _snapshot, key) => values(p, key),
});

/**
 * The guards every observation row must pass, whatever the filter: not deleted, not confidential,
 * not inside a consultation whose flag is not false, no sensitive code.
 */
export function observationPassesGuards(o: ObservationRow, s: Snapshot): boolean {
  const parent = o.consultationId === null ? undefined : s.consultations.get(o.consultationId);
  return !o.deleted && !o.confidential && !(parent && parent.confidential !== false) && !s.sensitiveCodes.has(o.code);
}

/** The observation's consultation changed in the window (a change of its flag changes whether the observation qualifies). */
function consultationChanged(o: ObservationRow, s: Snapshot, inWindow: (t: bigint) => boolean): boolean {
  const parent = o.consultationId === null ? undefined : s.consultations.get(o.consultationId);
  return parent !== undefined && inWindow(parent.updatedAt);
}

export const MODEL_DATASETS = {
  // people: FROM patient; pseudonym(nhs_number, 'k') AS person_key, year(date_of_birth) AS birth_year
  people: patientDataset(['person_key', 'birth_year'], () => true, false, (p, key) => ({
    person_key: pseudonym(p.nhsNumber, key),
    birth_year: String(Number(p.dateOfBirth.slice(0, 4))),
  })),
  // events: FROM observation WHERE effective_date >= 2020-01-01;
  //   pseudonym(patient.nhs_number, 'k') AS person_key, code, effective_date
  events: {
    fields: ['person_key', 'code', 'effective_date'],
    rows: (s) => s.observations.map((o) => ({ row: o, patientId: o.patientId, primaryKey: o.observationId })),
    qualifies: (o, s) => observationPassesGuards(o, s) && o.effectiveDate >= FILTER_FROM,
    changed: (o, s, inWindow) => inWindow(o.updatedAt) || inWindow(s.patients.get(o.patientId)!.updatedAt) || consultationChanged(o, s, inWindow),
    values: (o, s, key) => ({ person_key: pseudonym(s.patients.get(o.patientId)!.nhsNumber, key), code: o.code, effective_date: o.effectiveDate }),
  } satisfies ModelDataset<ObservationRow>,
  // diabetics: FROM patient WHERE exists(observations where code in << 73211009); pseudonym(nhs_number, 'k') AS person_key
  // The observations an exists() looks at are those a dataset could extract: the row guards apply to them.
  diabetics: patientDataset(
    ['person_key'],
    (p, s) => s.observations.some((o) => o.patientId === p.patientId && observationPassesGuards(o, s) && s.diabetesCodes.has(o.code)),
    true,
    (p, key) => ({ person_key: pseudonym(p.nhsNumber, key) }),
  ),
} as const;

export type ModelDatasetName = keyof typeof MODEL_DATASETS;

/** The column a per_practice layout adds: the practice (folder) a row goes to, not written as data. */
export const PRACTICE_COLUMN = '__practice';

function outputRow(fields: string[], values: Record<string, string> | null, recordId: string, changeType: ChangeType, practice: string | undefined): OutputRow {
  const row: OutputRow = {};
  for (const f of fields) row[f] = values ? (values[f] ?? null) : null;
  row['record_id'] = recordId;
  row['change_type'] = changeType;
  if (practice !== undefined) row[PRACTICE_COLUMN] = practice;
  return row;
}

/**
 * Every qualifying row of a patient in the population (opted-out patients are not in it): a full
 * extract. In a per_practice layout each row also names its patient's practice (the first column).
 */
export function expectedFull(
  name: ModelDatasetName,
  snapshot: Snapshot,
  population: ReadonlyMap<string, PopulationEntry>,
  layout: DeltaRules['layout'],
  keys: ModelKeys,
): OutputRow[] {
  const dataset = MODEL_DATASETS[name] as ModelDataset<unknown>;
  const rows: OutputRow[] = [];
  for (const { row, patientId, primaryKey } of dataset.rows(snapshot)) {
    const entry = population.get(patientId);
    if (!entry || entry.optedOut) continue;
    if (dataset.qualifies(row, snapshot)) {
      rows.push(outputRow(dataset.fields, dataset.values(row, snapshot, keys.pseudonym), recordIdOf(primaryKey, keys.record), 'upsert', practiceColumn(layout, entry, row)));
    }
  }
  return sortRows(rows);
}

/** The patients who entered the population since the previous run, as the delta rules count them. */
export function enteredPatients(population: ReadonlyMap<string, PopulationEntry>, previous: PreviousState, rules: DeltaRules): Set<string> {
  const before = new Map(previous.members.map((m) => [m.patientId, m.practice]));
  const optedOutBefore = new Set(previous.optedOut);
  const entered = new Set<string>();
  for (const [patientId, entry] of population) {
    if (entry.optedOut) continue;
    const practiceBefore = before.get(patientId);
    if (practiceBefore === undefined) {
      if (rules.onOptBackIn === 'no_backfill' && optedOutBefore.has(patientId)) continue;
      entered.add(patientId);
    } else if (rules.layout === 'per_practice' && practiceBefore !== entry.practice) {
      entered.add(patientId);
    }
  }
  return entered;
}

/**
 * The delta over the window: upserts of qualifying rows that changed (own or related row) or
 * whose patient entered; deletions, with every field empty, of rows that changed and no longer
 * qualify; nothing for patients outside the population.
 */
export function expectedDelta(
  name: ModelDatasetName,
  snapshot: Snapshot,
  population: ReadonlyMap<string, PopulationEntry>,
  previous: PreviousState,
  window: Window,
  rules: DeltaRules,
  keys: ModelKeys,
): OutputRow[] {
  const dataset = MODEL_DATASETS[name] as ModelDataset<unknown>;
  const inWindow = (t: bigint) => t > window.start && t <= window.end;
  const entered = enteredPatients(population, previous, rules);
  const rows: OutputRow[] = [];
  for (const { row, patientId, primaryKey } of dataset.rows(snapshot)) {
    const entry = population.get(patientId);
    if (!entry || entry.optedOut) continue;
    const changed = dataset.changed(row, snapshot, inWindow);
    if (dataset.qualifies(row, snapshot)) {
      if (changed || entered.has(patientId)) {
        rows.push(outputRow(dataset.fields, dataset.values(row, snapshot, keys.pseudonym), recordIdOf(primaryKey, keys.record), 'upsert', practiceColumn(rules.layout, entry, row)));
      }
    } else if (changed) {
      rows.push(outputRow(dataset.fields, null, recordIdOf(primaryKey, keys.record), 'delete', practiceColumn(rules.layout, entry, row)));
    }
  }
  return sortRows(rows);
}

/** The folder of a row in per_practice layout: the practice that holds it where its table records one, else its patient's. */
function practiceColumn(layout: DeltaRules['layout'], entry: PopulationEntry, row: unknown): string | undefined {
  if (layout !== 'per_practice') return undefined;
  const held = (row as { practice?: unknown }).practice;
  return typeof held === 'string' ? held : entry.practice;
}

/** Rows in a fixed order: by record_id, then change_type. */
export function sortRows(rows: OutputRow[]): OutputRow[] {
  const sortKey = (r: OutputRow) => `${r['record_id'] ?? ''} ${r['change_type']}`;
  return [...rows].sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));
}

/** A query result as text values (dates, bigints already come as text from both engines). */
export function asOutputRows(rows: Record<string, unknown>[]): OutputRow[] {
  return sortRows(rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null || v === undefined ? null : String(v)]))));
}
