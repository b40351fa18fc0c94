/**
 * Excluded data, added to a seeded database for one definition and taken away again: every class
 * of rows issue 11 says must never influence an output byte. Which rows are excluded is decided
 * here, from the definition's population options and the rows this module writes — never from
 * what a run of the definition selected (that would trust the code under test).
 *
 * Classes that depend on the definition are added only when they are excluded for it: a deceased
 * patient only under `deceased: exclude`, a temporary registration only under `registration:
 * permanent`, a Type 1 opt-out only when it is respected, a National Data Opt-out only when it
 * applies. Everything else is excluded for every definition.
 *
 * Rows are inserted with ids above the table's largest, and `remove()` deletes them again. Free
 * text is changed in place and not restored: no output may depend on it, so any value is as good
 * a "before" as another.
 */
import type { Database } from '../../../src/db/database.js';
import type { ExtractDefinition } from '../../../src/ir/extract-definition.js';
import { CODES, MEDICATIONS, SENSITIVE_CODES } from '../../../src/seed/vocabulary.js';

export const EXCLUDED_CLASSES = [
  // Patients outside the population, each with a whole record (every patient-linked table).
  'pds-sensitive',
  'ended-registration',
  'registered-after-today',
  'deleted-registration',
  'deleted-patient',
  'never-registered',
  'non-permanent-registration',
  'deceased',
  'type1-opted-out',
  'national-data-opted-out',
  'registered-out-of-scope',
  // Rows of patients who may well be in the population.
  'out-of-scope-practice-rows',
  'confidential-items',
  'inside-confidential-consultation',
  'sensitive-codes',
  'tombstoned-rows',
  'documents',
  'opt-out-rows',
  'free-text',
] as const;
export type ExcludedClass = (typeof EXCLUDED_CLASSES)[number];

/** A practice no definition can name in scope: it exists only while excluded data is added. */
export const FOREIGN_PRACTICE = 'Z99999';

/**
 * What the excluded data depends on in a definition: its population options, its practices and
 * the sensitive sets its exemptions release. Definitions with the same profile share one
 * application of excluded data.
 */
export interface ExclusionProfile {
  registration: 'permanent' | 'all';
  deceased: 'exclude' | 'include';
  type1OptOut: 'respect' | 'override';
  nationalDataOptOut: 'respect' | 'not_applicable';
  practices: string[];
  releasedSets: string[];
}

export function profileOf(definition: ExtractDefinition): ExclusionProfile {
  const p = definition.population;
  return {
    registration: p.registration,
    deceased: p.deceased,
    type1OptOut: p.type1OptOut,
    nationalDataOptOut: p.nationalDataOptOut,
    practices: [...p.practices].sort(),
    releasedSets: [...new Set(definition.exemptions.filter((e) => e.rule === 'sensitive-codes' && e.codeSet).map((e) => e.codeSet!))].sort(),
  };
}

/** The classes that are excluded data under a profile (see the module comment). */
export function classesFor(profile: ExclusionProfile): ExcludedClass[] {
  return EXCLUDED_CLASSES.filter((c) => {
    switch (c) {
      case 'non-permanent-registration':
        return profile.registration === 'permanent';
      case 'deceased':
        return profile.deceased === 'exclude';
      case 'type1-opted-out':
        return profile.type1OptOut === 'respect';
      case 'national-data-opted-out':
        return profile.nationalDataOptOut === 'respect';
      default:
        return true;
    }
  });
}

export interface SeededFacts {
  /** The practices the seed made (A81001, ...). */
  practices: string[];
  /**
   * Existing patients with a current permanent registration, and its practice: the ones whose
   * own rows are most likely extracted, so rows added beside theirs test the row guards. Spread
   * over ages (sampled in order of birth), so that age-filtered populations have some too.
   */
  members: { patientId: string; practice: string }[];
  /** The date the seeded state is as of: deaths, departures and opt-outs are dated before it. */
  asOf: string;
}

/** Facts about the seeded database the excluded rows are written around (read once per database). */
export async function seededFacts(db: Database, asOf: string, sample = 32): Promise<SeededFacts> {
  const practices = (await db.query<{ ods: string }>('SELECT ods_code AS ods FROM reporting.practice ORDER BY 1')).map((r) => r.ods);
  const members = await db.query<{ patient_id: string; practice: string }>(
    `SELECT p.patient_id::text AS patient_id, min(r.practice_ods) AS practice
       FROM reporting.patient p JOIN reporting.registration r ON r.patient_id = p.patient_id
      WHERE p.deleted_at IS NULL AND NOT p.pds_sensitive AND p.date_of_death IS NULL
        AND r.deleted_at IS NULL AND r.registration_type = 'permanent' AND r.start_date <= $1::date AND (r.end_date IS NULL OR r.end_date >= $1::date)
      GROUP BY p.patient_id, p.date_of_birth ORDER BY p.date_of_birth, p.patient_id`,
    [asOf],
  );
  const step = Math.max(1, Math.floor(members.length / sample));
  return { practices, members: members.filter((_, i) => i % step === 0).slice(0, sample).map((m) => ({ patientId: m.patient_id, practice: m.practice })), asOf };
}

export interface AddOptions {
  profile: ExclusionProfile;
  facts: SeededFacts;
  classes: readonly ExcludedClass[];
  /** The run's extract date (--today): "after today" rows are dated after it. */
  today: string;
  /** Varies the free text written, so that each application changes it. */
  round: number;
}

export interface AddedData {
  /** Rows inserted, by table. */
  rows: Record<string, number>;
  remove(): Promise<void>;
}

const TABLES_IN_INSERT_ORDER = ['practice', 'patient', 'registration', 'opt_out', 'consultation', 'observation', 'medication_issue', 'referral', 'appointment', 'document'] as const;
type Table = (typeof TABLES_IN_INSERT_ORDER)[number];
const KEY: Record<Exclude<Table, 'practice'>, string> = {
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

type Value = string | number | boolean | null;
type Row = Record<string, Value>;

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

function literal(v: Value): string {
  if (v === null) return 'NULL';
  if (typeof v === 'boolean' || typeof v === 'number') return String(v);
  return `'${v.replace(/'/g, "''")}'`;
}

/** A valid NHS number in the 999 test range that the seed never hands out. */
function nhsNumber(n: number): string {
  for (let body = 999_800_000 + 3 * n; ; body++) {
    const digits = String(body);
    let sum = 0;
    for (let i = 0; i < 9; i++) sum += (digits.charCodeAt(i) - 48) * (10 - i);
    const check = 11 - (sum % 11);
    if (check === 10) continue;
    return `${digits}${check === 11 ? 0 : check}`;
  }
}

/** Collects rows per table with ids above what is there, then writes them in foreign-key order. */
class Batch {
  readonly rows = new Map<Table, Row[]>();
  private readonly next = new Map<Table, number>();
  readonly base = new Map<Table, number>();

  static async open(db: Database): Promise<Batch> {
    const batch = new Batch();
    for (const table of TABLES_IN_INSERT_ORDER) {
      if (table === 'practice') continue;
      const [row] = await db.query<{ max: string | null }>(`SELECT max(${KEY[table]})::text AS max FROM reporting.${table}`);
      const base = Number(row?.max ?? '0') + 1_000_000;
      batch.base.set(table, base);
      batch.next.set(table, base);
    }
    return batch;
  }

  add(table: Table, row: Row): string {
    let id: string | undefined;
    if (table !== 'practice') {
      const n = this.next.get(table)!;
      this.next.set(table, n + 1);
      id = String(n);
      row = { [KEY[table]]: id, ...row };
    }
    const list = this.rows.get(table) ?? [];
    list.push(row);
    this.rows.set(table, list);
    return id ?? String(row['ods_code']);
  }

  async write(db: Database): Promise<void> {
    for (const table of TABLES_IN_INSERT_ORDER) {
      const rows = this.rows.get(table);
      if (!rows?.length) continue;
      const columns = Object.keys(rows[0]!);
      const values = rows.map((r) => `(${columns.map((c) => literal(r[c] ?? null)).join(', ')})`).join(',\n');
      await db.exec(`INSERT INTO reporting.${table} (${columns.join(', ')}) VALUES ${values}`);
    }
  }
}

/** Codes that definitions commonly filter on, so that excluded patients would match their filters. */
const CLINICAL_CODES = [CODES.diabetesType2, CODES.hypertension, CODES.asthma, CODES.hba1c, CODES.systolic, CODES.bmi, CODES.fluVaccination, CODES.mmr, CODES.cervicalScreeningNegative, CODES.smoker, CODES.breastCancer];

/**
 * The clinical record of one patient at `practice`: consultations with observations in them,
 * observations outside them, medication, a referral, appointments and a document, recent and old.
 */
function clinicalRecord(batch: Batch, patientId: string, practice: string, asOf: string, extra: Row = {}): void {
  CLINICAL_CODES.forEach((code, i) => {
    const day = addDays(asOf, -(10 + 40 * i));
    const consultation = batch.add('consultation', { patient_id: patientId, practice_ods: practice, consultation_date: day, consultation_type: 'face to face', summary: 'Excluded patient seen.', confidential: false, deleted_at: null, ...extra });
    batch.add('observation', {
      patient_id: patientId, practice_ods: practice, consultation_id: i % 2 === 0 ? consultation : null, code, effective_date: day, recorded_at: `${day}T10:00:00Z`,
      value_numeric: code === CODES.hba1c ? 58 : code === CODES.systolic ? 150 : code === CODES.bmi ? 31.5 : null, value_unit: code === CODES.hba1c ? 'mmol/mol' : null,
      comment: 'Excluded comment', confidential: false, deleted_at: null, ...extra,
    });
  });
  for (const [i, med] of [MEDICATIONS.metformin, MEDICATIONS.ramipril, MEDICATIONS.salbutamol].entries()) {
    batch.add('medication_issue', { patient_id: patientId, practice_ods: practice, dmd_code: med.code, issue_date: addDays(asOf, -(5 + 60 * i)), quantity: med.quantity, quantity_unit: med.unit, dosage_text: med.dosage, confidential: false, deleted_at: null, ...extra });
  }
  batch.add('referral', { patient_id: patientId, practice_ods: practice, code: CODES.breastCancer, referral_date: addDays(asOf, -20), target_service: 'Breast surgery', urgency: 'two_week_wait', notes: 'Excluded referral notes', confidential: false, deleted_at: null, ...extra });
  batch.add('referral', { patient_id: patientId, practice_ods: practice, code: CODES.hypertension, referral_date: addDays(asOf, -400), target_service: 'Cardiology', urgency: 'routine', notes: null, confidential: false, deleted_at: null, ...extra });
  batch.add('document', { patient_id: patientId, practice_ods: practice, document_date: addDays(asOf, -15), title: 'Excluded letter', content: LETTER, confidential: false, deleted_at: null, ...extra });
  // Appointments have no confidential column: a "confidential" record has none (they would be included data).
  if (extra['confidential'] === true) return;
  for (const [i, status] of ['attended', 'did_not_attend', 'booked'].entries()) {
    batch.add('appointment', { patient_id: patientId, practice_ods: practice, starts_at: `${addDays(asOf, i === 2 ? 7 : -(3 + 90 * i))}T09:30:00Z`, duration_minutes: 10, status, slot_type: 'GP face to face', clinician_role: 'GP', deleted_at: extra['deleted_at'] ?? null });
  }
}

interface PatientOptions {
  pdsSensitive?: boolean;
  dateOfDeath?: string;
  deletedAt?: string;
  registrations: Row[];
  optOuts?: Row[];
  /** Where the clinical record is held. */
  practice: string;
}

let patientCounter = 0;

/** Some bytes for a document's content (bytea in hex input format). */
const LETTER = '\\x6c6574746572';

function excludedPatient(batch: Batch, asOf: string, o: PatientOptions): string {
  const n = patientCounter++;
  const ages = [3, 12, 17, 30, 45, 52, 64, 70, 81, 93];
  const patientId = batch.add('patient', {
    nhs_number: nhsNumber(n % 5000),
    given_name: 'Excluded',
    family_name: `Person${n % 5000}`,
    date_of_birth: addDays(asOf, -(ages[n % ages.length]! * 365 + 100 + (n % 200))),
    sex: n % 2 === 0 ? 'female' : 'male',
    ethnicity_code: '999900231000000105',
    address_line: '1 Hidden Street',
    postcode: 'TS1 1AA',
    phone: null,
    email: null,
    date_of_death: o.dateOfDeath ?? null,
    pds_sensitive: o.pdsSensitive ?? false,
    deleted_at: o.deletedAt ?? null,
  });
  for (const r of o.registrations) batch.add('registration', { patient_id: patientId, registration_type: 'permanent', start_date: addDays(asOf, -3000), end_date: null, end_reason: null, deleted_at: null, ...r });
  for (const r of o.optOuts ?? []) batch.add('opt_out', { patient_id: patientId, ...r });
  clinicalRecord(batch, patientId, o.practice, asOf);
  return patientId;
}

/**
 * Adds the excluded data of `classes` for the definition. Returns the row counts and `remove()`,
 * which deletes every inserted row.
 */
export async function addExcludedData(db: Database, o: AddOptions): Promise<AddedData> {
  const batch = await Batch.open(db);
  const { facts, profile, today } = o;
  const asOf = facts.asOf;
  const earliest = today < asOf ? today : asOf;
  const latest = today > asOf ? today : asOf;
  const inScope = profile.practices.filter((p) => facts.practices.includes(p));
  const home = inScope[0] ?? facts.practices[0]!;
  const outOfScope = [FOREIGN_PRACTICE, ...facts.practices.filter((p) => !profile.practices.includes(p))];
  // The foreign practice is itself a row at a practice outside the definition's: always present.
  batch.add('practice', { ods_code: FOREIGN_PRACTICE, name: 'Out Of Scope Surgery', postcode: 'ZZ1 1ZZ' });
  const members = facts.members.filter((m) => inScope.includes(m.practice));
  const at = (p: string) => ({ practice_ods: p });

  for (const c of o.classes) {
    for (const practice of inScope.length > 0 ? inScope : [home]) {
      switch (c) {
        case 'pds-sensitive':
          excludedPatient(batch, asOf, { pdsSensitive: true, registrations: [at(practice)], practice });
          break;
        case 'ended-registration':
          excludedPatient(batch, asOf, { registrations: [{ ...at(practice), end_date: addDays(asOf, -30), end_reason: 'left' }], practice });
          excludedPatient(batch, asOf, { registrations: [{ ...at(practice), end_date: addDays(asOf, -1), end_reason: 'removed' }], practice });
          break;
        case 'registered-after-today':
          excludedPatient(batch, asOf, { registrations: [{ ...at(practice), start_date: addDays(today, 1) }], practice });
          break;
        case 'deleted-registration':
          excludedPatient(batch, asOf, { registrations: [{ ...at(practice), deleted_at: `${addDays(asOf, -3)}T12:00:00Z` }], practice });
          break;
        case 'deleted-patient':
          excludedPatient(batch, asOf, { deletedAt: `${addDays(asOf, -3)}T12:00:00Z`, registrations: [at(practice)], practice });
          break;
        case 'never-registered':
          excludedPatient(batch, asOf, { registrations: [], practice });
          break;
        case 'non-permanent-registration':
          for (const type of ['temporary', 'emergency', 'immediately_necessary']) excludedPatient(batch, asOf, { registrations: [{ ...at(practice), registration_type: type }], practice });
          break;
        case 'deceased':
          excludedPatient(batch, asOf, { dateOfDeath: addDays(asOf, -20), registrations: [at(practice)], practice });
          excludedPatient(batch, asOf, { dateOfDeath: addDays(asOf, -2), registrations: [{ ...at(practice), end_date: addDays(asOf, -2), end_reason: 'deceased' }], practice });
          break;
        case 'type1-opted-out':
          excludedPatient(batch, asOf, { registrations: [at(practice)], optOuts: [{ opt_out_type: 'type1', effective_from: `${addDays(asOf, -200)}T08:00:00Z`, effective_to: null }], practice });
          excludedPatient(batch, asOf, { registrations: [at(practice)], optOuts: [{ opt_out_type: 'type1', effective_from: `${addDays(asOf, -5)}T08:00:00Z`, effective_to: null }], practice });
          break;
        case 'national-data-opted-out':
          excludedPatient(batch, asOf, { registrations: [at(practice)], optOuts: [{ opt_out_type: 'national_data_opt_out', effective_from: `${addDays(asOf, -200)}T08:00:00Z`, effective_to: null }], practice });
          excludedPatient(batch, asOf, { registrations: [at(practice)], optOuts: [{ opt_out_type: 'national_data_opt_out', effective_from: `${addDays(asOf, -5)}T08:00:00Z`, effective_to: null }], practice });
          break;
        case 'registered-out-of-scope':
          for (const foreign of outOfScope) excludedPatient(batch, asOf, { registrations: [at(foreign)], practice: foreign });
          break;
        default:
          break;
      }
    }
    // Rows beside population patients' own.
    for (const [i, m] of members.entries()) {
      const patient = { patient_id: m.patientId };
      switch (c) {
        case 'out-of-scope-practice-rows': {
          const foreign = outOfScope[i % outOfScope.length]!;
          // A past permanent registration and a current temporary one elsewhere, and a record there.
          batch.add('registration', { ...patient, practice_ods: foreign, registration_type: 'permanent', start_date: addDays(asOf, -4000), end_date: addDays(asOf, -3500), end_reason: 'left', deleted_at: null });
          batch.add('registration', { ...patient, practice_ods: foreign, registration_type: 'temporary', start_date: addDays(asOf, -10), end_date: null, end_reason: null, deleted_at: null });
          clinicalRecord(batch, m.patientId, foreign, asOf);
          break;
        }
        case 'confidential-items':
          clinicalRecord(batch, m.patientId, m.practice, asOf, { confidential: true });
          break;
        case 'inside-confidential-consultation': {
          const day = addDays(asOf, -12);
          const consultation = batch.add('consultation', { ...patient, practice_ods: m.practice, consultation_date: day, consultation_type: 'face to face', summary: 'Confidential discussion.', confidential: true, deleted_at: null });
          for (const code of CLINICAL_CODES) {
            batch.add('observation', { ...patient, practice_ods: m.practice, consultation_id: consultation, code, effective_date: day, recorded_at: `${day}T11:00:00Z`, value_numeric: null, value_unit: null, comment: null, confidential: false, deleted_at: null });
          }
          break;
        }
        case 'sensitive-codes':
          addSensitiveRows(batch, m.patientId, m.practice, asOf, new Set(profile.releasedSets));
          break;
        case 'tombstoned-rows':
          batch.add('registration', { ...patient, practice_ods: m.practice, registration_type: 'permanent', start_date: addDays(asOf, -5000), end_date: null, end_reason: null, deleted_at: `${addDays(asOf, -4)}T10:00:00Z` });
          clinicalRecord(batch, m.patientId, m.practice, asOf, { deleted_at: `${addDays(asOf, -4)}T10:00:00Z` });
          break;
        case 'documents':
          for (const k of [0, 1, 2]) batch.add('document', { ...patient, practice_ods: m.practice, document_date: addDays(asOf, -(3 + 100 * k)), title: 'Discharge summary', content: LETTER, confidential: false, deleted_at: null });
          break;
        case 'opt-out-rows':
          // Control rows that exclude no one: opted back in before the extract date, or not yet in force.
          // (before the earlier of --today and the state's date, or after both).
          batch.add('opt_out', { ...patient, opt_out_type: i % 2 === 0 ? 'type1' : 'national_data_opt_out', effective_from: `${addDays(earliest, -900)}T08:00:00Z`, effective_to: `${addDays(earliest, -800)}T08:00:00Z` });
          batch.add('opt_out', { ...patient, opt_out_type: i % 2 === 0 ? 'national_data_opt_out' : 'type1', effective_from: `${addDays(latest, 60)}T08:00:00Z`, effective_to: null });
          break;
        default:
          break;
      }
    }
  }
  const remove = async () => {
    for (const table of [...TABLES_IN_INSERT_ORDER].reverse()) {
      if (table === 'practice') await db.exec(`DELETE FROM reporting.practice WHERE ods_code = '${FOREIGN_PRACTICE}'`);
      else await db.exec(`DELETE FROM reporting.${table} WHERE ${KEY[table]} >= ${batch.base.get(table)!}`);
    }
  };
  try {
    await batch.write(db);
    if (o.classes.includes('free-text')) await changeFreeText(db, o.round, facts.members.map((m) => m.patientId));
  } catch (error) {
    await remove();
    throw error;
  }
  return { rows: Object.fromEntries([...batch.rows].map(([t, r]) => [t, r.length])), remove };
}

const SET_OF_CATEGORY: Record<keyof typeof SENSITIVE_CODES, string> = {
  gender: 'gender_reassignment',
  sexuality: 'sexuality',
  sti: 'hiv_sti',
  termination: 'termination_of_pregnancy',
  fertility: 'assisted_fertilisation',
};

function addSensitiveRows(batch: Batch, patientId: string, practice: string, asOf: string, releasedSets: Set<string>): void {
  for (const [category, codes] of Object.entries(SENSITIVE_CODES) as [keyof typeof SENSITIVE_CODES, readonly string[]][]) {
    if (releasedSets.has(SET_OF_CATEGORY[category])) continue;
    codes.forEach((code, i) => {
      const day = addDays(asOf, -(7 + 30 * i));
      batch.add('observation', { patient_id: patientId, practice_ods: practice, consultation_id: null, code, effective_date: day, recorded_at: `${day}T09:00:00Z`, value_numeric: null, value_unit: null, comment: null, confidential: false, deleted_at: null });
      batch.add('referral', { patient_id: patientId, practice_ods: practice, code, referral_date: day, target_service: 'Sexual health', urgency: 'routine', notes: null, confidential: false, deleted_at: null });
    });
  }
  if (!releasedSets.has('hiv_sti')) {
    const med = MEDICATIONS.antiretroviral;
    batch.add('medication_issue', { patient_id: patientId, practice_ods: practice, dmd_code: med.code, issue_date: addDays(asOf, -9), quantity: med.quantity, quantity_unit: med.unit, dosage_text: null, confidential: false, deleted_at: null });
  }
}

/**
 * Every free-text column of the sampled patients' rows gets new text (or none, or text where there
 * was none); the rows of the other patients are left alone, to keep each application quick.
 */
async function changeFreeText(db: Database, round: number, patients: readonly string[]): Promise<void> {
  if (patients.length === 0) return;
  const of = `patient_id IN (${patients.join(', ')})`;
  const text = (id: string) => `CASE WHEN (${id} + ${round}) % 3 = 0 THEN NULL ELSE 'changed ' || ${round} || ' ' || md5(${id}::text || '${round}') END`;
  await db.exec(`UPDATE reporting.observation SET comment = ${text('observation_id')} WHERE ${of}`);
  await db.exec(`UPDATE reporting.consultation SET summary = ${text('consultation_id')} WHERE ${of}`);
  await db.exec(`UPDATE reporting.referral SET notes = ${text('referral_id')} WHERE ${of}`);
  await db.exec(`UPDATE reporting.medication_issue SET dosage_text = ${text('medication_issue_id')} WHERE ${of}`);
  await db.exec(`UPDATE reporting.document SET title = 'changed ' || ${round} || ' ' || md5(document_id::text), content = convert_to(md5(document_id::text || '${round}'), 'UTF8') WHERE ${of}`);
}

/**
 * The control of the experiment: a patient who is in every population at `practice` (permanent,
 * alive, not opted out, not sensitive) with a whole record. Adding them must change a delivery,
 * or the comparison could not see a leak either.
 */
export async function addIncludedPatient(db: Database, facts: SeededFacts, practice: string): Promise<AddedData> {
  const batch = await Batch.open(db);
  excludedPatient(batch, facts.asOf, { registrations: [{ practice_ods: practice }], practice });
  const remove = async () => {
    for (const table of [...TABLES_IN_INSERT_ORDER].reverse()) {
      if (table !== 'practice') await db.exec(`DELETE FROM reporting.${table} WHERE ${KEY[table]} >= ${batch.base.get(table)!}`);
    }
  };
  try {
    await batch.write(db);
  } catch (error) {
    await remove();
    throw error;
  }
  return { rows: Object.fromEntries([...batch.rows].map(([t, r]) => [t, r.length])), remove };
}
