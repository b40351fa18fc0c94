/**
 * An independent model of what a full extract must return, written from the specification of
 * the population and the privacy guards (not from src/sql): it reads the raw contents of the
 * reporting and terminology tables into memory and computes, in plain JavaScript, who is in the
 * population, which rows pass the guards and what each transform gives. The semantics tests
 * (test/unit/sql/semantics.test.ts) compare the compiled SQL's rows with it.
 *
 * Every date is kept as 'YYYY-MM-DD' text and every instant as an ISO 8601 UTC string, so that
 * comparisons are plain string or Date comparisons and no local time zone is ever involved.
 */
import { createHmac } from 'node:crypto';
import type { Database } from '../../src/db/database.js';

// ---------------------------------------------------------------------------------------------
// Raw rows, as read from the database (ids and codes as decimal text, like the engines return).
// ---------------------------------------------------------------------------------------------

export interface PatientRow {
  patient_id: string;
  nhs_number: string;
  date_of_birth: string;
  sex: string;
  ethnicity_code: string | null;
  postcode: string;
  date_of_death: string | null;
  pds_sensitive: boolean;
  deleted_at: string | null;
}

export interface RegistrationRow {
  registration_id: string;
  patient_id: string;
  practice_ods: string;
  registration_type: string;
  start_date: string;
  /** The LAST day of the registration (inclusive); null while current. */
  end_date: string | null;
  deleted_at: string | null;
}

export interface OptOutRow {
  opt_out_id: string;
  patient_id: string;
  opt_out_type: string;
  effective_from: string;
  effective_to: string | null;
}

export interface ObservationRow {
  observation_id: string;
  patient_id: string;
  practice_ods: string;
  consultation_id: string | null;
  code: string;
  effective_date: string;
  recorded_at: string;
  confidential: boolean;
  deleted_at: string | null;
}

export interface MedicationIssueRow {
  medication_issue_id: string;
  patient_id: string;
  practice_ods: string;
  dmd_code: string;
  issue_date: string;
  confidential: boolean;
  deleted_at: string | null;
}

export interface ReferralRow {
  referral_id: string;
  patient_id: string;
  practice_ods: string;
  code: string;
  referral_date: string;
  urgency: string;
  confidential: boolean;
  deleted_at: string | null;
}

export interface ConsultationRow {
  consultation_id: string;
  patient_id: string;
  practice_ods: string;
  consultation_date: string;
  confidential: boolean;
  deleted_at: string | null;
}

/** Everything the model needs, read in one go. */
export interface Snapshot {
  practices: string[];
  patients: PatientRow[];
  registrations: RegistrationRow[];
  optOuts: OptOutRow[];
  observations: ObservationRow[];
  medicationIssues: MedicationIssueRow[];
  referrals: ReferralRow[];
  consultations: ConsultationRow[];
  closure: { ancestor_id: string; descendant_id: string }[];
  refsetMembers: { refset_id: string; referenced_component_id: string; active: boolean }[];
}

const DATE = (column: string) => `to_char(${column}, 'YYYY-MM-DD') AS ${column}`;
const INSTANT = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS ${column}`;

/** Reads the raw table contents (no filtering at all: filtering is the model's job). */
export async function loadSnapshot(db: Database): Promise<Snapshot> {
  const q = <R>(sql: string) => db.query(sql) as Promise<R[]>;
  const [practices, patients, registrations, optOuts, observations, medicationIssues, referrals, consultations, closure, refsetMembers] = await Promise.all([
    q<{ ods_code: string }>('SELECT ods_code FROM reporting.practice ORDER BY ods_code'),
    q<PatientRow>(
      `SELECT patient_id::text, nhs_number, ${DATE('date_of_birth')}, sex, ethnicity_code::text, postcode, ${DATE('date_of_death')},
              pds_sensitive, ${INSTANT('deleted_at')} FROM reporting.patient`,
    ),
    q<RegistrationRow>(
      `SELECT registration_id::text, patient_id::text, practice_ods, registration_type, ${DATE('start_date')}, ${DATE('end_date')},
              ${INSTANT('deleted_at')} FROM reporting.registration`,
    ),
    q<OptOutRow>(`SELECT opt_out_id::text, patient_id::text, opt_out_type, ${INSTANT('effective_from')}, ${INSTANT('effective_to')} FROM reporting.opt_out`),
    q<ObservationRow>(
      `SELECT observation_id::text, patient_id::text, practice_ods, consultation_id::text, code::text, ${DATE('effective_date')},
              ${INSTANT('recorded_at')}, confidential, ${INSTANT('deleted_at')} FROM reporting.observation`,
    ),
    q<MedicationIssueRow>(
      `SELECT medication_issue_id::text, patient_id::text, practice_ods, dmd_code::text, ${DATE('issue_date')}, confidential,
              ${INSTANT('deleted_at')} FROM reporting.medication_issue`,
    ),
    q<ReferralRow>(
      `SELECT referral_id::text, patient_id::text, practice_ods, code::text, ${DATE('referral_date')}, urgency, confidential,
              ${INSTANT('deleted_at')} FROM reporting.referral`,
    ),
    q<ConsultationRow>(
      `SELECT consultation_id::text, patient_id::text, practice_ods, ${DATE('consultation_date')}, confidential, ${INSTANT('deleted_at')} FROM reporting.consultation`,
    ),
    q<{ ancestor_id: string; descendant_id: string }>('SELECT ancestor_id::text, descendant_id::text FROM terminology.closure'),
    q<{ refset_id: string; referenced_component_id: string; active: boolean }>(
      'SELECT refset_id::text, referenced_component_id::text, active FROM terminology.refset_member',
    ),
  ]);
  return {
    practices: practices.map((p) => p.ods_code),
    patients,
    registrations,
    optOuts,
    observations,
    medicationIssues,
    referrals,
    consultations,
    closure,
    refsetMembers,
  };
}

// ---------------------------------------------------------------------------------------------
// Dates and transforms.
// ---------------------------------------------------------------------------------------------

/** 'YYYY-MM-DD' plus `days` (negative to go back), in UTC. */
export function addDays(date: string, days: number): string {
  const t = Date.parse(`${date}T00:00:00Z`) + days * 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}

/** The instant 00:00:00 UTC of a day, in milliseconds. */
export function startOfDay(date: string): number {
  return Date.parse(`${date}T00:00:00Z`);
}

/** year(d): the year as decimal text. `d` is a date ('YYYY-MM-DD') or an ISO instant (UTC). */
export function yearText(d: string): string {
  return d.slice(0, 4);
}

/** month(d): the first day of the month, 'YYYY-MM-01'. */
export function monthText(d: string): string {
  return `${d.slice(0, 7)}-01`;
}

/** date_of(t): the UTC date of an ISO instant. */
export function dateOfInstant(instant: string): string {
  return new Date(instant).toISOString().slice(0, 10);
}

/** age_years(d): whole years completed on `on` (a birthday on `on` counts). */
export function ageYears(dateOfBirth: string, on: string): number {
  const [by, bm, bd] = dateOfBirth.split('-').map(Number) as [number, number, number];
  const [y, m, d] = on.split('-').map(Number) as [number, number, number];
  let age = y - by;
  if (m < bm || (m === bm && d < bd)) age -= 1;
  return age;
}

/** age_band(d, w): '0-4', '5-9', ... with the upper bound capped at 89, and '90+' from 90. */
export function ageBand(dateOfBirth: string, on: string, width = 5): string {
  const age = ageYears(dateOfBirth, on);
  if (age >= 90) return '90+';
  const low = Math.floor(age / width) * width;
  return `${low}-${Math.min(low + width - 1, 89)}`;
}

/** postcode_district(p): the postcode without spaces, minus its last three characters, in upper case. */
export function postcodeDistrict(postcode: string): string {
  const compact = postcode.replace(/\s+/g, '').toUpperCase();
  return compact.slice(0, compact.length - 3);
}

/** pseudonym(v, name): lower-case hex HMAC-SHA-256 of the value's text (UTF-8) under the key (UTF-8). */
export function pseudonym(value: string, key: string): string {
  return createHmac('sha256', Buffer.from(key, 'utf8')).update(Buffer.from(value, 'utf8')).digest('hex');
}

// ---------------------------------------------------------------------------------------------
// Terminology and the sensitive code sets.
// ---------------------------------------------------------------------------------------------

export const SENSITIVE_SET_NAMES = ['gender_reassignment', 'sexuality', 'hiv_sti', 'termination_of_pregnancy', 'assisted_fertilisation'] as const;
export type SensitiveSetName = (typeof SENSITIVE_SET_NAMES)[number];

/** ECL over the snapshot's closure (reflexive) and simple reference sets. */
export class Terminology {
  private readonly below = new Map<string, Set<string>>();
  private readonly members = new Map<string, Set<string>>();

  constructor(snapshot: Pick<Snapshot, 'closure' | 'refsetMembers'>) {
    for (const { ancestor_id, descendant_id } of snapshot.closure) {
      let set = this.below.get(ancestor_id);
      if (!set) this.below.set(ancestor_id, (set = new Set()));
      set.add(descendant_id);
    }
    for (const m of snapshot.refsetMembers) {
      if (!m.active) continue;
      let set = this.members.get(m.refset_id);
      if (!set) this.members.set(m.refset_id, (set = new Set()));
      set.add(m.referenced_component_id);
    }
  }

  /** `<< id`: the concept and all its descendants. */
  descendantsOrSelf(...ids: string[]): Set<string> {
    const out = new Set<string>();
    for (const id of ids) for (const d of this.below.get(id) ?? [id]) out.add(d);
    return out;
  }

  /** `^ refset`: the active members of reference sets. */
  refset(...ids: string[]): Set<string> {
    const out = new Set<string>();
    for (const id of ids) for (const c of this.members.get(id) ?? []) out.add(c);
    return out;
  }

  /** The policy's sensitive code sets, written from the specification. */
  sensitiveSets(): Map<SensitiveSetName, Set<string>> {
    return new Map<SensitiveSetName, Set<string>>([
      ['gender_reassignment', this.refset('999004351000000109', '1955851000000101')],
      ['sexuality', this.descendantsOrSelf('118199002', '365957000', '118200004', '171023003')],
      ['hiv_sti', this.refset('999004381000000103')],
      ['termination_of_pregnancy', this.refset('999004361000000107')],
      ['assisted_fertilisation', this.refset('999004371000000100')],
    ]);
  }
}

// ---------------------------------------------------------------------------------------------
// The population and the guards.
// ---------------------------------------------------------------------------------------------

export interface PopulationRules {
  practices: readonly string[];
  registration: 'permanent' | 'all';
  deceased: 'exclude' | 'include';
  type1OptOut: 'respect' | 'override';
  nationalDataOptOut: 'respect' | 'not_applicable';
  /** The definition's population `where`, written by the test in JavaScript. */
  where?: (patient: PatientRow) => boolean;
}

/** A population member: the patient and the registration that put them in the population. */
export interface Member {
  patient: PatientRow;
  registration: RegistrationRow;
}

/** Tables the datasets of the tests read, with the columns their guards look at. */
type GuardedTable = 'patient' | 'observation' | 'medication_issue' | 'referral' | 'consultation';

function byPatient<R extends { patient_id: string }>(rows: readonly R[]): Map<string, R[]> {
  const map = new Map<string, R[]>();
  for (const row of rows) {
    let list = map.get(row.patient_id);
    if (!list) map.set(row.patient_id, (list = []));
    list.push(row);
  }
  return map;
}

/** The model: built once per snapshot, asked for populations and guarded rows. */
export class ExtractModel {
  readonly terminology: Terminology;
  readonly sets: Map<SensitiveSetName, Set<string>>;
  readonly patients: Map<string, PatientRow>;
  readonly consultations: Map<string, ConsultationRow>;
  private readonly registrationsOf: Map<string, RegistrationRow[]>;
  private readonly optOutsOf: Map<string, OptOutRow[]>;
  readonly observationsOf: Map<string, ObservationRow[]>;
  readonly referralsOf: Map<string, ReferralRow[]>;

  /**
   * N, the snapshot's own date (the UTC date the snapshot was taken, here: now), and the later of
   * D and N: exclusions (deregistration, opt-outs) in force up to it count, so an extract dated in
   * the past never brings back a patient who has since left or opted out.
   */
  readonly snapshotToday: string;
  readonly inForceUntil: string;

  constructor(
    readonly snapshot: Snapshot,
    readonly snapshotDate: string,
    snapshotToday: string = new Date().toISOString().slice(0, 10),
  ) {
    this.snapshotToday = snapshotToday;
    this.inForceUntil = snapshotDate > snapshotToday ? snapshotDate : snapshotToday;
    this.terminology = new Terminology(snapshot);
    this.sets = this.terminology.sensitiveSets();
    this.patients = new Map(snapshot.patients.map((p) => [p.patient_id, p]));
    this.consultations = new Map(snapshot.consultations.map((c) => [c.consultation_id, c]));
    this.registrationsOf = byPatient(snapshot.registrations);
    this.optOutsOf = byPatient(snapshot.optOuts);
    this.observationsOf = byPatient(snapshot.observations);
    this.referralsOf = byPatient(snapshot.referrals);
  }

  /**
   * A registration row counts: not deleted, started on or before D, and not ended before the
   * later of D and N (end_date is its last day).
   */
  isCurrent(r: RegistrationRow): boolean {
    return r.deleted_at === null && r.start_date <= this.snapshotDate && (r.end_date === null || r.end_date >= this.inForceUntil);
  }

  /**
   * An opt-out of the type is in force at any time from the start of D to the end of the later of
   * D and N: from < (that day + 1) 00:00Z and (to null or to > D 00:00Z).
   */
  optOutInForce(patientId: string, type: 'type1' | 'national_data_opt_out'): boolean {
    const dayStart = startOfDay(this.snapshotDate);
    const nextDayStart = startOfDay(addDays(this.inForceUntil, 1));
    return (this.optOutsOf.get(patientId) ?? []).some(
      (o) => o.opt_out_type === type && Date.parse(o.effective_from) < nextDayStart && (o.effective_to === null || Date.parse(o.effective_to) > dayStart),
    );
  }

  /**
   * The registrations that can put the patient in the population (current, at a listed practice, of
   * an admitted type), best first: permanent, then the earliest start_date, then the lowest id.
   */
  qualifyingRegistrations(patientId: string, rules: Pick<PopulationRules, 'practices' | 'registration'>): RegistrationRow[] {
    return (this.registrationsOf.get(patientId) ?? [])
      .filter((r) => this.isCurrent(r) && rules.practices.includes(r.practice_ods) && (rules.registration === 'all' || r.registration_type === 'permanent'))
      .sort(
        (a, b) =>
          Number(b.registration_type === 'permanent') - Number(a.registration_type === 'permanent') ||
          (a.start_date < b.start_date ? -1 : a.start_date > b.start_date ? 1 : 0) ||
          Number(BigInt(a.registration_id) - BigInt(b.registration_id)),
      );
  }

  /** The population on D, by patient_id (with the practices in scope, which every row must be held at). */
  population(rules: PopulationRules): Population {
    const members = new Population(rules.practices);
    for (const patient of this.snapshot.patients) {
      if (patient.deleted_at !== null || patient.pds_sensitive) continue;
      // Any recorded death excludes: a death is never undone by an earlier extract date.
      if (rules.deceased === 'exclude' && patient.date_of_death !== null) continue;
      if (rules.type1OptOut === 'respect' && this.optOutInForce(patient.patient_id, 'type1')) continue;
      if (rules.nationalDataOptOut === 'respect' && this.optOutInForce(patient.patient_id, 'national_data_opt_out')) continue;
      if (rules.where && !rules.where(patient)) continue;
      const [registration] = this.qualifyingRegistrations(patient.patient_id, rules);
      if (registration) members.set(patient.patient_id, { patient, registration });
    }
    return members;
  }

  /** The codes no row may carry: every sensitive set except the exempted ones. */
  blockedCodes(exempted: readonly SensitiveSetName[] = []): Set<string> {
    const blocked = new Set<string>();
    for (const [name, codes] of this.sets) if (!exempted.includes(name)) for (const c of codes) blocked.add(c);
    return blocked;
  }

  /** The names of the sensitive sets a code belongs to. */
  setsOf(code: string): SensitiveSetName[] {
    return SENSITIVE_SET_NAMES.filter((name) => this.sets.get(name)!.has(code));
  }

  /**
   * Whether a row passes its own guards: not soft-deleted, not confidential, not inside a
   * confidential consultation (an observation whose consultation exists, whatever its scope or
   * deletion, with a flag that is not false), no coded column in a blocked set, and (a patient) not
   * PDS-sensitive.
   */
  passes(table: GuardedTable, row: object, blocked: ReadonlySet<string>): boolean {
    const r = row as Partial<PatientRow & ObservationRow & MedicationIssueRow & ReferralRow & ConsultationRow>;
    if (r.deleted_at !== null) return false;
    if (table !== 'patient' && r.confidential !== false) return false;
    if (table === 'observation' && r.consultation_id != null) {
      const parent = this.consultations.get(r.consultation_id);
      if (parent && parent.confidential !== false) return false;
    }
    switch (table) {
      case 'patient':
        return r.pds_sensitive === false && (r.ethnicity_code == null || !blocked.has(r.ethnicity_code));
      case 'observation':
      case 'referral':
        return !blocked.has(r.code!);
      case 'medication_issue':
        return !blocked.has(r.dmd_code!);
      case 'consultation':
        return true;
    }
  }

  /**
   * The rows of a table that belong to a member, are held at a practice in scope and pass the
   * guards (before the dataset's own filter).
   */
  guardedPatients(population: Population, blocked: ReadonlySet<string>): PatientRow[] {
    return [...population.values()].map((m) => m.patient).filter((p) => this.passes('patient', p, blocked));
  }

  guardedObservations(population: Population, blocked: ReadonlySet<string>): ObservationRow[] {
    return this.snapshot.observations.filter((o) => population.holds(o) && this.passes('observation', o, blocked));
  }

  guardedMedicationIssues(population: Population, blocked: ReadonlySet<string>): MedicationIssueRow[] {
    return this.snapshot.medicationIssues.filter((m) => population.holds(m) && this.passes('medication_issue', m, blocked));
  }

  guardedReferrals(population: Population, blocked: ReadonlySet<string>): ReferralRow[] {
    return this.snapshot.referrals.filter((r) => population.holds(r) && this.passes('referral', r, blocked));
  }

  /** exists(observations where ...): a guarded observation of the patient, held in scope, matches. */
  existsObservation(population: Population, patientId: string, blocked: ReadonlySet<string>, where: (o: ObservationRow) => boolean): boolean {
    return (this.observationsOf.get(patientId) ?? []).some((o) => population.holds(o) && this.passes('observation', o, blocked) && where(o));
  }

  /** exists(referrals where ...): a guarded referral of the patient, held in scope, matches. */
  existsReferral(population: Population, patientId: string, blocked: ReadonlySet<string>, where: (r: ReferralRow) => boolean): boolean {
    return (this.referralsOf.get(patientId) ?? []).some((r) => population.holds(r) && this.passes('referral', r, blocked) && where(r));
  }

  /** A to-one relation read in a field: the related patient only if a member passing its own guards. */
  relatedPatient(population: Population, patientId: string, blocked: ReadonlySet<string>): PatientRow | undefined {
    const p = this.patients.get(patientId);
    return p && population.has(patientId) && this.passes('patient', p, blocked) ? p : undefined;
  }

  /** A to-one relation read in a field: the related consultation only if held in scope and passing its own guards. */
  relatedConsultation(population: Population, consultationId: string | null, blocked: ReadonlySet<string>): ConsultationRow | undefined {
    const c = consultationId === null ? undefined : this.consultations.get(consultationId);
    return c && population.holds(c) && this.passes('consultation', c, blocked) ? c : undefined;
  }
}

/**
 * The members of a population by patient_id, and the practices in scope: a row may be read only
 * when its patient is a member and (for a table with a practice) it is held at one of them.
 */
export class Population extends Map<string, Member> {
  constructor(readonly practices: readonly string[]) {
    super();
  }

  holds(row: { patient_id: string; practice_ods?: string }): boolean {
    return this.has(row.patient_id) && (row.practice_ods === undefined || this.practices.includes(row.practice_ods));
  }
}

// ---------------------------------------------------------------------------------------------
// Comparing rows.
// ---------------------------------------------------------------------------------------------

/** An output row: every value is text or null. */
export type TextRow = Record<string, string | null>;

/**
 * The difference between two multisets of rows over `columns`: the number of rows returned, the
 * rows expected but not returned and the rows returned but not expected (at most `limit` of each,
 * as JSON arrays after a header line naming the columns). Equal multisets give
 * `{ rows: expected.length, missing: [], unexpected: [] }`.
 */
export function rowDifference(
  actual: readonly Record<string, unknown>[],
  expected: readonly TextRow[],
  columns: readonly string[],
  limit = 8,
): { rows: number; missing: string[]; unexpected: string[] } {
  const key = (row: Record<string, unknown>) => JSON.stringify(columns.map((c) => (row[c] === undefined ? '<absent>' : row[c])));
  const counts = new Map<string, number>();
  for (const row of expected) counts.set(key(row), (counts.get(key(row)) ?? 0) + 1);
  const unexpected: string[] = [];
  for (const row of actual) {
    const k = key(row);
    const n = counts.get(k) ?? 0;
    if (n > 0) counts.set(k, n - 1);
    else unexpected.push(k);
  }
  const missing = [...counts.entries()].flatMap(([k, n]) => Array<string>(n).fill(k));
  const header = JSON.stringify(columns);
  const show = (list: string[]) => (list.length === 0 ? [] : [header, ...list.sort().slice(0, limit), ...(list.length > limit ? [`... ${list.length - limit} more`] : [])]);
  return { rows: actual.length, missing: show(missing), unexpected: show(unexpected) };
}

// ---------------------------------------------------------------------------------------------
// Edge cases planted on top of the seeded population.
// ---------------------------------------------------------------------------------------------

/**
 * Boundary cases the seed does not plant (or plants only by chance), each on its own ordinary
 * patient: one who is not among the seed's planted roles, permanently registered at one practice
 * with no other registration, alive, with no opt-out, and with some observations.
 */
export const PLANT_NAMES = [
  /** Type 1 opt-out taking effect at 15:00 on D: in force on D. */
  'type1FromDuringD',
  /** Type 1 opt-out that ended exactly at D 00:00Z: not in force on D. */
  'type1EndedAtStartOfD',
  /** National Data Opt-out that ended at D 00:00:01Z: in force (for one second) on D. */
  'nationalEndedJustAfterStartOfD',
  /** National Data Opt-out taking effect at D 23:59:59Z: in force on D. */
  'nationalFromLastSecondOfD',
  /** Type 1 opt-out taking effect at D+1 00:00Z: not in force on D. */
  'type1FromNextDay',
  /** Died on D and still registered: excluded by `deceased: exclude`, kept by `include`. */
  'diesOnD',
  /** Moved practice: the old registration's last day is D-1, the new one starts on D. */
  'registrationStartsOnD',
  /** Moving practice: the old registration's last day is D, the new one starts on D+1. */
  'registrationStartsNextDay',
  /** A second current permanent registration that started a year earlier (it wins). */
  'earlierPermanent',
  /** A second current permanent registration, same start, higher id, at a practice whose code sorts first (it loses). */
  'samePermanentStart',
  /** A current temporary registration that started before the permanent one (the permanent wins). */
  'earlierTemporary',
  /** The only registration is soft-deleted: not registered. */
  'softDeletedRegistration',
  /** ethnicity_code in the gender_reassignment set: the patient row itself fails the guards. */
  'sensitiveEthnicity',
  /** Postcode written in lower case. */
  'postcodeLowerCase',
  /** Postcode written without its space. */
  'postcodeNoSpace',
  /** 36th birthday on D, and the day after D. */
  'birthdayOnD',
  'birthdayNextDay',
  /** 90th birthday on D, and the day after D. */
  'ninetyOnD',
  'ninetyNextDay',
  /** A woman whose 25th birthday is on D, and one whose is the day after. */
  'female25OnD',
  'female25NextDay',
  /** Referrals coded in each sensitive set, plus a plain, a confidential and a deleted one. */
  'sensitiveReferrals',
  /** A PrEP issue (hiv_sti), plus a plain, a confidential and a deleted issue. */
  'sensitiveMedication',
  /** Infectious disease (40733004) recorded confidentially, soft-deleted, visibly; and gonorrhea (below it, hiv_sti). */
  'infectionConfidential',
  'infectionDeleted',
  'infectionVisible',
  'infectionSensitiveChild',
  /** 999900041000000105, three levels below 118199002 (sexuality), on a woman aged 25 or more. */
  'deepSexualityCode',
  /** An observation recorded at 23:30Z on the last day of June. */
  'lateRecorded',
] as const;
export type PlantName = (typeof PLANT_NAMES)[number];

export interface Plants {
  /** The patient each edge case was planted on. */
  patient: Record<PlantName, string>;
  /** Where the tie-break rules must put the patients with several current registrations. */
  practice: Partial<Record<PlantName, string>>;
  /** Rows planted, by plant: their ids in their table. */
  rows: Partial<Record<PlantName, Record<string, string>>>;
}

/** The same date `years` years earlier (the test's dates avoid 29 February). */
function yearsBefore(date: string, years: number): string {
  return `${String(Number(date.slice(0, 4)) - years).padStart(4, '0')}${date.slice(4)}`;
}

/**
 * Writes the edge cases into a freshly seeded database. `firstOrdinary` is the lowest patient_id
 * that carries no planted role of the seed.
 */
export async function plantEdgeCases(db: Database, model: ExtractModel, firstOrdinary: number): Promise<Plants> {
  const s = model.snapshot;
  const D = model.snapshotDate;
  const D1 = addDays(D, 1);
  const registrationsOf = byPatient(s.registrations);
  const optOutsOf = byPatient(s.optOuts);
  const observationsOf = byPatient(s.observations);
  const blocked = model.blockedCodes();

  const pool = s.patients
    .filter((p) => {
      const regs = registrationsOf.get(p.patient_id) ?? [];
      return (
        Number(p.patient_id) >= firstOrdinary &&
        p.deleted_at === null &&
        !p.pds_sensitive &&
        p.date_of_death === null &&
        regs.length === 1 &&
        regs[0]!.registration_type === 'permanent' &&
        regs[0]!.end_date === null &&
        model.isCurrent(regs[0]!) &&
        !optOutsOf.has(p.patient_id) &&
        (observationsOf.get(p.patient_id) ?? []).some((o) => model.passes('observation', o, blocked))
      );
    })
    .sort((a, b) => Number(a.patient_id) - Number(b.patient_id));
  const take = (accept: (p: PatientRow, r: RegistrationRow) => boolean = () => true): { patient: PatientRow; registration: RegistrationRow } => {
    const i = pool.findIndex((p) => accept(p, registrationsOf.get(p.patient_id)![0]!));
    if (i < 0) throw new Error('plantEdgeCases: ran out of ordinary patients');
    const [patient] = pool.splice(i, 1);
    return { patient: patient!, registration: registrationsOf.get(patient!.patient_id)![0]! };
  };

  const nextId = (() => {
    const max = (ids: string[]) => ids.reduce((m, id) => (BigInt(id) > m ? BigInt(id) : m), 0n);
    const counters = {
      registration: max(s.registrations.map((r) => r.registration_id)),
      opt_out: max(s.optOuts.map((o) => o.opt_out_id)),
      observation: max(s.observations.map((o) => o.observation_id)),
      medication_issue: max(s.medicationIssues.map((m) => m.medication_issue_id)),
      referral: max(s.referrals.map((r) => r.referral_id)),
    };
    return (table: keyof typeof counters) => String((counters[table] += 1n));
  })();
  const otherPractice = (ods: string) => s.practices.find((p) => p !== ods)!;

  const plants: Plants = { patient: {} as Record<PlantName, string>, practice: {}, rows: {} };
  const exec = (sql: string, params: unknown[]) => db.query(sql, params);

  const optOut = async (name: PlantName, type: 'type1' | 'national_data_opt_out', from: string, to: string | null) => {
    const { patient } = take();
    plants.patient[name] = patient.patient_id;
    await exec(
      `INSERT INTO reporting.opt_out (opt_out_id, patient_id, opt_out_type, effective_from, effective_to, updated_at)
       VALUES ($1::bigint, $2::bigint, $3, $4::timestamptz, $5::timestamptz, $4::timestamptz)`,
      [nextId('opt_out'), patient.patient_id, type, from, to],
    );
  };
  await optOut('type1FromDuringD', 'type1', `${D}T15:00:00Z`, null);
  await optOut('type1EndedAtStartOfD', 'type1', '2025-01-06T09:00:00Z', `${D}T00:00:00Z`);
  await optOut('nationalEndedJustAfterStartOfD', 'national_data_opt_out', '2025-01-06T09:00:00Z', `${D}T00:00:01Z`);
  await optOut('nationalFromLastSecondOfD', 'national_data_opt_out', `${D}T23:59:59Z`, null);
  await optOut('type1FromNextDay', 'type1', `${D1}T00:00:00Z`, null);

  /** Takes an ordinary patient and runs `UPDATE reporting.patient SET <set>` on it ($1 is the patient_id, $2 the value). */
  const updatePatient = async (name: PlantName, set: string, value?: string, accept?: (p: PatientRow) => boolean) => {
    const { patient } = take(accept);
    plants.patient[name] = patient.patient_id;
    await exec(`UPDATE reporting.patient SET ${set} WHERE patient_id = $1::bigint`, value === undefined ? [patient.patient_id] : [patient.patient_id, value]);
  };
  await updatePatient('diesOnD', 'date_of_death = $2::date', D);
  await updatePatient('sensitiveEthnicity', 'ethnicity_code = $2::bigint', '407374003');
  await updatePatient('postcodeLowerCase', 'postcode = lower(postcode)');
  await updatePatient('postcodeNoSpace', "postcode = replace(postcode, ' ', '')");
  // Dates of birth changed to put a birthday on D or the day after (nothing in the rules ties
  // them to the rest of the record).
  await updatePatient('birthdayOnD', 'date_of_birth = $2::date', yearsBefore(D, 36));
  await updatePatient('birthdayNextDay', 'date_of_birth = $2::date', yearsBefore(D1, 36));
  await updatePatient('ninetyOnD', 'date_of_birth = $2::date', yearsBefore(D, 90));
  await updatePatient('ninetyNextDay', 'date_of_birth = $2::date', yearsBefore(D1, 90));
  await updatePatient('female25OnD', 'date_of_birth = $2::date', yearsBefore(D, 25), (p) => p.sex === 'female');
  await updatePatient('female25NextDay', 'date_of_birth = $2::date', yearsBefore(D1, 25), (p) => p.sex === 'female');

  const insertRegistration = (patientId: string, practice: string, type: string, start: string) =>
    exec(
      `INSERT INTO reporting.registration (registration_id, patient_id, practice_ods, registration_type, start_date, end_date, end_reason, updated_at, deleted_at)
       VALUES ($1::bigint, $2::bigint, $3, $4, $5::date, NULL, NULL, $5::timestamptz, NULL)`,
      [nextId('registration'), patientId, practice, type, start],
    );
  {
    const { patient, registration } = take();
    plants.patient.registrationStartsOnD = patient.patient_id;
    await exec(`UPDATE reporting.registration SET end_date = $1::date, end_reason = 'left' WHERE registration_id = $2::bigint`, [addDays(D, -1), registration.registration_id]);
    await insertRegistration(patient.patient_id, otherPractice(registration.practice_ods), 'permanent', D);
    plants.practice.registrationStartsOnD = otherPractice(registration.practice_ods);
  }
  {
    const { patient, registration } = take();
    plants.patient.registrationStartsNextDay = patient.patient_id;
    await exec(`UPDATE reporting.registration SET end_date = $1::date, end_reason = 'left' WHERE registration_id = $2::bigint`, [D, registration.registration_id]);
    await insertRegistration(patient.patient_id, otherPractice(registration.practice_ods), 'permanent', D1);
    plants.practice.registrationStartsNextDay = registration.practice_ods;
  }
  {
    const { patient, registration } = take();
    plants.patient.earlierPermanent = patient.patient_id;
    await insertRegistration(patient.patient_id, otherPractice(registration.practice_ods), 'permanent', addDays(registration.start_date, -365));
    plants.practice.earlierPermanent = otherPractice(registration.practice_ods);
  }
  {
    const first = s.practices[0]!;
    const { patient, registration } = take((_, r) => r.practice_ods !== first);
    plants.patient.samePermanentStart = patient.patient_id;
    await insertRegistration(patient.patient_id, first, 'permanent', registration.start_date);
    plants.practice.samePermanentStart = registration.practice_ods;
  }
  {
    const { patient, registration } = take();
    plants.patient.earlierTemporary = patient.patient_id;
    await insertRegistration(patient.patient_id, otherPractice(registration.practice_ods), 'temporary', addDays(registration.start_date, -365));
    plants.practice.earlierTemporary = registration.practice_ods;
  }
  {
    const { patient, registration } = take();
    plants.patient.softDeletedRegistration = patient.patient_id;
    await exec(`UPDATE reporting.registration SET deleted_at = '2026-01-05T10:00:00Z' WHERE registration_id = $1::bigint`, [registration.registration_id]);
  }

  const insertReferral = (patientId: string, practice: string, code: string, confidential = false, deleted = false) => {
    const id = nextId('referral');
    return exec(
      `INSERT INTO reporting.referral (referral_id, patient_id, practice_ods, code, referral_date, target_service, urgency, notes, confidential, updated_at, deleted_at)
       VALUES ($1::bigint, $2::bigint, $3, $4::bigint, DATE '2026-02-02', 'Test service', 'urgent', NULL, $5::boolean, TIMESTAMPTZ '2026-02-02 10:00:00+00', $6::timestamptz)`,
      [id, patientId, practice, code, String(confidential), deleted ? '2026-03-03T10:00:00Z' : null],
    ).then(() => id);
  };
  {
    const { patient, registration } = take();
    plants.patient.sensitiveReferrals = patient.patient_id;
    const p = registration.practice_ods;
    plants.rows.sensitiveReferrals = {
      hiv_sti: await insertReferral(patient.patient_id, p, '15628003'),
      gender_reassignment: await insertReferral(patient.patient_id, p, '93461009'),
      assisted_fertilisation: await insertReferral(patient.patient_id, p, '52637005'),
      sexuality: await insertReferral(patient.patient_id, p, '38628009'),
      termination_of_pregnancy: await insertReferral(patient.patient_id, p, '285409006'),
      plain: await insertReferral(patient.patient_id, p, '13645005'),
      confidential: await insertReferral(patient.patient_id, p, '13645005', true),
      deleted: await insertReferral(patient.patient_id, p, '13645005', false, true),
    };
  }

  const insertMedication = (patientId: string, practice: string, code: string, confidential = false, deleted = false) => {
    const id = nextId('medication_issue');
    return exec(
      `INSERT INTO reporting.medication_issue (medication_issue_id, patient_id, practice_ods, dmd_code, issue_date, quantity, quantity_unit, dosage_text, confidential, updated_at, deleted_at)
       VALUES ($1::bigint, $2::bigint, $3, $4::bigint, DATE '2026-03-03', 28, 'tablet', NULL, $5::boolean, TIMESTAMPTZ '2026-03-03 10:00:00+00', $6::timestamptz)`,
      [id, patientId, practice, code, String(confidential), deleted ? '2026-04-04T10:00:00Z' : null],
    ).then(() => id);
  };
  {
    const { patient, registration } = take();
    plants.patient.sensitiveMedication = patient.patient_id;
    const p = registration.practice_ods;
    plants.rows.sensitiveMedication = {
      hiv_sti: await insertMedication(patient.patient_id, p, '999900221000000108'),
      plain: await insertMedication(patient.patient_id, p, '999900161000000107'),
      confidential: await insertMedication(patient.patient_id, p, '999900161000000107', true),
      deleted: await insertMedication(patient.patient_id, p, '999900161000000107', false, true),
    };
  }

  const insertObservation = async (name: PlantName, code: string, options: { confidential?: boolean; deleted?: boolean; recordedAt?: string; accept?: (p: PatientRow) => boolean } = {}) => {
    const { patient, registration } = take(options.accept);
    plants.patient[name] = patient.patient_id;
    const id = nextId('observation');
    const recordedAt = options.recordedAt ?? '2026-01-15T10:00:00Z';
    await exec(
      `INSERT INTO reporting.observation (observation_id, patient_id, practice_ods, consultation_id, code, effective_date, recorded_at, value_numeric, value_unit, comment, confidential, updated_at, deleted_at)
       VALUES ($1::bigint, $2::bigint, $3, NULL, $4::bigint, $5::date, $6::timestamptz, NULL, NULL, NULL, $7::boolean, $6::timestamptz, $8::timestamptz)`,
      [id, patient.patient_id, registration.practice_ods, code, recordedAt.slice(0, 10), recordedAt, String(options.confidential ?? false), options.deleted ? '2026-02-02T10:00:00Z' : null],
    );
    plants.rows[name] = { observation: id };
  };
  await insertObservation('infectionConfidential', '40733004', { confidential: true });
  await insertObservation('infectionDeleted', '40733004', { deleted: true });
  await insertObservation('infectionVisible', '40733004');
  await insertObservation('infectionSensitiveChild', '15628003');
  await insertObservation('deepSexualityCode', '999900041000000105', { accept: (p) => p.sex === 'female' && ageYears(p.date_of_birth, D) >= 25 });
  await insertObservation('lateRecorded', '27113001', { recordedAt: '2026-06-30T23:30:00Z' });

  for (const name of PLANT_NAMES) if (!plants.patient[name]) throw new Error(`plantEdgeCases: ${name} was not planted`);
  return plants;
}
