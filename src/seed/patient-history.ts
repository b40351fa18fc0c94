import { copyBytea, copyLine } from '../db/copy-text.js';
import { addYears, DAY_MS, formatDay, formatTimestamp, yearsBetween } from './calendar.js';
import { syntheticNhsNumber } from './nhs-number.js';
import { Random } from './random.js';
import type { SeedTable, TrapCounts } from './seed-tables.js';
import {
  APPOINTMENT_SLOTS,
  CODES,
  CONSULTATION_SUMMARIES,
  CONSULTATION_TYPES,
  DOCUMENT_TITLES,
  ETHNICITY_CODES,
  FAMILY_NAMES,
  GIVEN_NAMES,
  MEDICATIONS,
  OBSERVATION_COMMENTS,
  POSTCODE_UNIT_LETTERS,
  REFERRAL_NOTES,
  SENSITIVE_CODES,
  STREETS,
  TARGET_SERVICES,
  type SensitiveCategory,
} from './vocabulary.js';

export interface Practice {
  ods: string;
  name: string;
  postcode: string;
  districts: string[];
  weight: number;
}

export interface HistorySettings {
  seed: number;
  /** The as-of date (day number): history ends the day before it. */
  asOf: number;
  practices: Practice[];
}

/** Where a generated patient's rows go. */
export interface RecordWriter {
  nextId(table: SeedTable): number;
  write(table: SeedTable, line: string): void;
  traps: TrapCounts;
}

/** Roles planted deterministically on the first patients, so every trap exists in any population. */
export const PLANTED_ROLES = [
  'pds-sensitive',
  'type1-in-force',
  'type1-opted-back-in',
  'national-in-force',
  'deceased',
  'left',
  'temporary-only',
  'sexuality',
  'gender',
  'sti',
  'termination',
  'fertility',
  'confidential',
  'soft-deleted-observation',
  'parent-not-member',
  'national-opted-back-in',
  'soft-deleted-patient',
  'registration-ends-on-as-of',
  'death-day-before-as-of',
  'opt-out-ended-day-before-as-of',
] as const;
type PlantedRole = (typeof PLANTED_ROLES)[number];

export const PLANTED_PATIENTS = PLANTED_ROLES.length;

/** How far back the simulated clinical history reaches. */
const HISTORY_YEARS = 10;

interface Encounter {
  day: number;
  consultationId: number | null;
  practice: string;
}

/**
 * Generates patient `index` (0-based) and all their rows. Deterministic: a function of the
 * settings and the index only (plus the id counters, which advance in patient order).
 */
export function generatePatient(settings: HistorySettings, index: number, out: RecordWriter): void {
  const rng = new Random(settings.seed, index + 1);
  const { asOf } = settings;
  const traps = out.traps;
  const planted: PlantedRole | undefined = PLANTED_ROLES[index];
  const patientId = out.nextId('patient');
  const lastDay = asOf - 1;
  const historyStart = addYears(asOf, -HISTORY_YEARS);

  // --- who they are
  const needsFemale = planted === 'termination' || planted === 'fertility';
  let sex = rng.weighted<'female' | 'male' | 'indeterminate' | 'unknown'>([
    ['female', 505],
    ['male', 489],
    ['indeterminate', 2],
    ['unknown', 4],
  ]);
  if (needsFemale) sex = 'female';
  const ageYears = planted ? rng.int(25, 45) : rng.weighted<[number, number]>([
    [[0, 4], 6],
    [[5, 17], 15],
    [[18, 39], 27],
    [[40, 64], 31],
    [[65, 79], 14],
    [[80, 100], 7],
  ]);
  const age = typeof ageYears === 'number' ? ageYears : rng.int(ageYears[0], ageYears[1]);
  const dob = addYears(asOf, -age) - rng.int(1, 364);
  const practiceIndex = planted ? index % 3 : pickPractice(rng, settings.practices);
  const practice = settings.practices[practiceIndex]!;
  const givenPool = sex === 'female' ? GIVEN_NAMES.female : sex === 'male' ? GIVEN_NAMES.male : GIVEN_NAMES.other;
  const givenName = rng.pick(givenPool);
  const familyName = rng.pick(FAMILY_NAMES);
  const postcode = `${rng.pick(practice.districts)} ${rng.int(1, 9)}${rng.pick([...POSTCODE_UNIT_LETTERS])}${rng.pick([...POSTCODE_UNIT_LETTERS])}`;
  const address = `${rng.int(1, 240)} ${rng.pick(STREETS)}`;
  const phone = rng.chance(0.8) ? `07700 900${String(rng.int(0, 999)).padStart(3, '0')}` : null;
  const email = age >= 16 && rng.chance(0.45) ? `${givenName}.${familyName}${rng.int(1, 99)}@example.com`.toLowerCase().replace(/'/g, '') : null;
  const ethnicity = rng.chance(0.88) ? rng.weighted(ETHNICITY_CODES) : null;

  // --- registration and its outcome
  const adultSince = Math.max(dob, historyStart - rng.int(0, 20 * 365));
  let registeredFrom = age < HISTORY_YEARS ? dob + rng.int(14, 60) : Math.max(dob + 14, adultSince);
  if (registeredFrom > lastDay) registeredFrom = lastDay;
  const outcome: 'active' | 'deceased' | 'left' | 'temporary-only' | 'temporary-visitor' = planted
    ? planted === 'deceased' || planted === 'death-day-before-as-of'
      ? 'deceased'
      : planted === 'left'
        ? 'left'
        : planted === 'temporary-only'
          ? 'temporary-only'
          : 'active'
    : rng.weighted<'active' | 'deceased' | 'left' | 'temporary-only' | 'temporary-visitor'>([
        ['active', 93],
        ['deceased', age >= 70 ? 6 : 0.6],
        ['left', 3],
        ['temporary-only', 1],
        ['temporary-visitor', 1],
      ]);
  let registrationEnd: number | null = null;
  let dateOfDeath: number | null = null;
  if (outcome === 'deceased') {
    dateOfDeath = planted === 'death-day-before-as-of' ? asOf - 1 : rng.int(Math.max(registeredFrom + 30, asOf - 8 * 365), lastDay);
    if (dateOfDeath > lastDay) dateOfDeath = lastDay;
    registrationEnd = dateOfDeath;
    traps.deceasedPatients++;
    if (planted === 'death-day-before-as-of') traps.deathDayBeforeAsOf++;
  } else if (outcome === 'left') {
    registrationEnd = rng.int(Math.min(registeredFrom + 60, lastDay), lastDay);
    traps.inactivePatients++;
  }
  if (planted === 'registration-ends-on-as-of') {
    registrationEnd = asOf;
    traps.registrationEndingOnAsOf++;
  }

  // A previous registration elsewhere, ended before this one began.
  if (!planted && settings.practices.length > 1 && registeredFrom > historyStart + 400 && rng.chance(0.1)) {
    const other = settings.practices[(practiceIndex + 1 + rng.int(0, settings.practices.length - 2)) % settings.practices.length]!;
    const previousStart = Math.max(dob + 14, registeredFrom - rng.int(400, 3000));
    if (previousStart < registeredFrom - 1) {
      writeRegistration(out, rng, patientId, other.ods, 'permanent', previousStart, registeredFrom - 1, 'left', asOf);
    }
  }
  const type = outcome === 'temporary-only' ? rng.pick(['temporary', 'emergency', 'immediately_necessary'] as const) : 'permanent';
  if (outcome === 'temporary-only') traps.temporaryOnlyPatients++;
  const endReason = outcome === 'deceased' ? 'deceased' : outcome === 'left' ? rng.pick(['left', 'left', 'removed'] as const) : null;
  writeRegistration(out, rng, patientId, practice.ods, type, registeredFrom, registrationEnd, endReason, asOf, planted === 'registration-ends-on-as-of');
  if (outcome === 'temporary-visitor') {
    // Registered permanently here and temporarily at another practice (e.g. a student away).
    const other = settings.practices[(practiceIndex + 1) % settings.practices.length]!;
    const start = Math.max(registeredFrom, lastDay - rng.int(10, 120));
    writeRegistration(out, rng, patientId, other.ods, 'temporary', start, null, null, asOf);
  }

  // --- opt-outs
  const writeOptOut = (kind: 'type1' | 'national_data_opt_out', from: number, to: number | null) => {
    const fromMs = from * DAY_MS + rng.int(8, 17) * 3_600_000;
    const toMs = to === null ? null : to * DAY_MS + rng.int(8, 17) * 3_600_000;
    const updated = toMs ?? fromMs;
    out.write('opt_out', copyLine([out.nextId('opt_out'), patientId, kind, formatTimestamp(fromMs), toMs === null ? null : formatTimestamp(toMs), formatTimestamp(updated)]));
  };
  const optOutStart = () => rng.int(Math.max(registeredFrom, asOf - 6 * 365), lastDay - 1);
  if (planted === 'type1-in-force' || (!planted && rng.chance(0.03))) {
    writeOptOut('type1', optOutStart(), null);
    traps.type1OptOutInForce++;
  } else if (planted === 'type1-opted-back-in' || (!planted && rng.chance(0.01))) {
    const from = optOutStart();
    writeOptOut('type1', from, rng.int(from + 1, lastDay));
    traps.type1OptedBackIn++;
  } else if (planted === 'opt-out-ended-day-before-as-of') {
    writeOptOut('type1', optOutStart() - 30, asOf - 1);
    traps.type1OptedBackIn++;
    traps.optOutEndingDayBeforeAsOf++;
  }
  if (planted === 'national-in-force' || (!planted && rng.chance(0.05))) {
    writeOptOut('national_data_opt_out', optOutStart(), null);
    traps.nationalOptOutInForce++;
  } else if (planted === 'national-opted-back-in' || (!planted && rng.chance(0.005))) {
    const from = optOutStart();
    writeOptOut('national_data_opt_out', from, rng.int(from + 1, lastDay));
    traps.nationalOptedBackIn++;
  }

  // --- the patient row (after registration, so updated_at follows the simulated history)
  const pdsSensitive = planted === 'pds-sensitive' || (!planted && rng.chance(0.004));
  if (pdsSensitive) traps.pdsSensitivePatients++;
  const patientCreated = registeredFrom * DAY_MS + rng.int(8, 17) * 3_600_000;
  let patientUpdated = patientCreated;
  if (dateOfDeath !== null) patientUpdated = dateOfDeath * DAY_MS + rng.int(9, 17) * 3_600_000;
  else if (rng.chance(0.15)) patientUpdated = Math.min(patientCreated + rng.int(1, 3000) * DAY_MS, lastDay * DAY_MS + 12 * 3_600_000);
  let patientDeleted: number | null = null;
  if (planted === 'soft-deleted-patient' || (!planted && rng.chance(0.002))) {
    patientDeleted = Math.min(patientUpdated + rng.int(1, 400) * DAY_MS, lastDay * DAY_MS + 14 * 3_600_000);
    patientUpdated = patientDeleted;
    traps.softDeletedPatients++;
    bump(traps.softDeletedRows, 'patient');
  }
  if (patientUpdated > patientCreated) bump(traps.updatedRows, 'patient');
  out.write(
    'patient',
    copyLine([
      patientId,
      syntheticNhsNumber(index),
      givenName,
      familyName,
      formatDay(dob),
      sex,
      ethnicity,
      address,
      postcode,
      phone,
      email,
      dateOfDeath === null ? null : formatDay(dateOfDeath),
      pdsSensitive,
      formatTimestamp(patientUpdated),
      patientDeleted === null ? null : formatTimestamp(patientDeleted),
    ]),
  );

  // --- clinical history within the registration, over the last HISTORY_YEARS
  const from = Math.max(registeredFrom, historyStart, dob);
  const to = registrationEnd === null ? lastDay : Math.min(registrationEnd, lastDay);
  if (to < from) return;
  const conditions = {
    diabetes: age >= 25 && rng.chance(age >= 60 ? 0.14 : 0.06) ? (rng.chance(0.1) ? 'type1' : 'type2') : null,
    hypertension: age >= 30 && rng.chance(age >= 60 ? 0.3 : 0.1),
    asthma: rng.chance(0.07),
    copd: age >= 45 && rng.chance(0.04),
    heartFailure: age >= 60 && rng.chance(0.03),
    mi: age >= 50 && rng.chance(0.03),
    obesity: age >= 18 && rng.chance(0.12),
  };
  const smokingStatus = age < 16 ? null : rng.weighted<string>([
    [CODES.neverSmoked, 55],
    [CODES.exSmoker, 25],
    [CODES.smoker, 14],
    [CODES.lightSmoker, 6],
  ]);
  const chronic = Object.values(conditions).filter(Boolean).length;
  const encounters: Encounter[] = [];
  const span = to - from + 1;
  const perYear = (age < 5 ? 3 : age < 18 ? 1 : age < 65 ? 1.8 : 3.5) + chronic * 1.2;
  const count = Math.max(1, Math.round((span / 365) * perYear * (0.6 + rng.next() * 0.8)));
  const days: number[] = [];
  for (let i = 0; i < count; i++) days.push(rng.int(from, to));
  days.sort((a, b) => a - b);
  for (const day of days) {
    const hasConsultation = rng.chance(0.75);
    const consultationId = hasConsultation ? out.nextId('consultation') : null;
    if (consultationId !== null) writeConsultation(out, rng, consultationId, patientId, practice.ods, day, asOf);
    encounters.push({ day, consultationId, practice: practice.ods });
  }

  const observe = (code: string, encounter: Encounter, value: number | null = null, unit: string | null = null, forced?: { confidential?: boolean; deleted?: boolean }) => {
    writeObservation(out, rng, patientId, encounter, code, value, unit, asOf, forced);
  };
  const at = (day: number): Encounter => {
    // The encounter nearest a given day, or one made for it.
    let best: Encounter | undefined;
    for (const e of encounters) if (!best || Math.abs(e.day - day) < Math.abs(best.day - day)) best = e;
    if (best && Math.abs(best.day - day) <= 30) return best;
    const clamped = Math.min(Math.max(day, from), to);
    return { day: clamped, consultationId: null, practice: practice.ods };
  };

  // Diagnoses, dated early in the observed history (some predate it: recorded when registering).
  const diagnosisDay = () => rng.int(from, from + Math.min(span - 1, 365 * 3));
  if (conditions.diabetes) observe(conditions.diabetes === 'type1' ? CODES.diabetesType1 : rng.chance(0.5) ? CODES.diabetesType2 : CODES.diabetesType2Uncomplicated, at(diagnosisDay()));
  if (conditions.hypertension) observe(rng.chance(0.6) ? CODES.essentialHypertension : CODES.hypertension, at(diagnosisDay()));
  if (conditions.asthma) observe(age < 16 && rng.chance(0.5) ? CODES.childhoodAsthma : CODES.asthma, at(diagnosisDay()));
  if (conditions.copd) observe(CODES.copd, at(diagnosisDay()));
  if (conditions.heartFailure) observe(CODES.heartFailure, at(diagnosisDay()));
  if (conditions.mi) observe(CODES.myocardialInfarction, at(diagnosisDay()));
  if (conditions.obesity) observe(CODES.obesity, at(diagnosisDay()));

  // Routine measurements at encounters.
  for (const encounter of encounters) {
    const ageThen = yearsBetween(dob, encounter.day);
    if (ageThen >= 16 && rng.chance(conditions.hypertension || conditions.diabetes ? 0.9 : 0.55)) {
      const offset = conditions.hypertension ? 14 : 0;
      observe(CODES.systolic, encounter, clamp(rng.normal(128 + offset, 14), 80, 230), 'mm[Hg]');
      observe(CODES.diastolic, encounter, clamp(rng.normal(79 + offset / 2, 9), 40, 140), 'mm[Hg]');
    }
    if (ageThen >= 2 && rng.chance(0.4)) {
      const weight = ageThen < 16 ? clamp(rng.normal(8 + ageThen * 3.2, 4, 1), 8, 110) : clamp(rng.normal(conditions.obesity ? 104 : 78, 14, 1), 40, 220);
      observe(CODES.bodyWeight, encounter, weight, 'kg');
      if (ageThen >= 18) observe(CODES.bmi, encounter, clamp(Math.round((weight / 1.72 ** 2) * 10) / 10, 14, 70), 'kg/m2');
    }
    if (conditions.diabetes && rng.chance(0.6)) observe(CODES.hba1c, encounter, clamp(rng.normal(conditions.diabetes === 'type1' ? 62 : 54, 12), 25, 150), 'mmol/mol');
    if (smokingStatus && rng.chance(0.25)) observe(smokingStatus, encounter);
    if (ageThen >= 65 && rng.chance(0.2)) observe(CODES.fluVaccination, encounter);
  }
  // Childhood immunisations on schedule, for children born within the history.
  if (dob >= from - 60) {
    const schedule: [string, number][] = [
      [CODES.sixInOneFirst, 56],
      [CODES.sixInOneSecond, 84],
      [CODES.menB, 56],
      [CODES.mmr, 365],
      [CODES.fluVaccination, 2 * 365 + 200],
    ];
    for (const [code, dueDays] of schedule) {
      const day = dob + dueDays + rng.int(0, 40);
      if (day >= from && day <= to && rng.chance(0.92)) observe(code, at(day));
    }
  }
  // Cervical screening every three years for women 25–64.
  if (sex === 'female') {
    for (let day = from + rng.int(0, 3 * 365); day <= to; day += 3 * 365 + rng.int(-60, 60)) {
      const ageThen = yearsBetween(dob, day);
      if (ageThen >= 25 && ageThen <= 64 && rng.chance(0.75)) observe(rng.chance(0.9) ? CODES.cervicalScreeningNegative : CODES.cervicalScreeningAbnormal, at(day));
    }
  }

  // Sensitive codes (seed 002): planted so that every exclusion set has rows to exclude.
  const sensitive = (category: SensitiveCategory, n = 1) => {
    for (let i = 0; i < n; i++) {
      observe(rng.pick(SENSITIVE_CODES[category]), at(rng.int(from, to)));
      traps.sensitiveCodeRows[category]++;
    }
  };
  if (planted === 'sexuality' || (!planted && age >= 16 && rng.chance(0.02))) sensitive('sexuality', rng.int(1, 2));
  if (planted === 'gender' || (!planted && age >= 16 && rng.chance(0.004))) sensitive('gender', rng.int(1, 2));
  const sti = planted === 'sti' || (!planted && age >= 16 && rng.chance(0.015));
  if (sti) sensitive('sti', rng.int(1, 2));
  const hiv = planted === 'sti' || (sti && rng.chance(0.2));
  if (hiv) {
    observe(SENSITIVE_CODES.sti[0], at(rng.int(from, to)));
    traps.sensitiveCodeRows.sti++;
  }
  const termination = planted === 'termination' || (!planted && sex === 'female' && age >= 16 && age <= 50 && rng.chance(0.015));
  if (termination) sensitive('termination');
  if (planted === 'fertility' || (!planted && sex === 'female' && age >= 25 && age <= 50 && rng.chance(0.007))) sensitive('fertility');
  // A member's parent that is not itself in any sensitive set: must stay extractable.
  if (planted === 'parent-not-member' || (!planted && rng.chance(0.01))) observe(CODES.infectiousDisease, at(rng.int(from, to)));
  if (planted === 'confidential') observe(CODES.asthma, at(rng.int(from, to)), null, null, { confidential: true });
  if (planted === 'soft-deleted-observation') observe(CODES.asthma, at(rng.int(from, to)), null, null, { deleted: true });

  // --- medication
  const repeat = (medication: (typeof MEDICATIONS)[keyof typeof MEDICATIONS], interval: number, start: number) => {
    for (let day = start; day <= to; day += interval + rng.int(-3, 7)) writeMedication(out, rng, patientId, practice.ods, medication, day, asOf);
  };
  if (conditions.diabetes === 'type2') repeat(MEDICATIONS.metformin, 84, diagnosisDay());
  if (conditions.hypertension) repeat(rng.chance(0.5) ? MEDICATIONS.ramipril : MEDICATIONS.amlodipine, 84, diagnosisDay());
  if (conditions.diabetes || conditions.mi) repeat(MEDICATIONS.atorvastatin, 84, diagnosisDay());
  if (conditions.asthma || conditions.copd) repeat(MEDICATIONS.salbutamol, 120, diagnosisDay());
  if (hiv) {
    const start = rng.int(from, to);
    for (let day = start; day <= to; day += 56) {
      writeMedication(out, rng, patientId, practice.ods, MEDICATIONS.antiretroviral, day, asOf);
    }
  }
  const acute = Math.floor((span / 365) * 0.3 + rng.next());
  for (let i = 0; i < acute; i++) writeMedication(out, rng, patientId, practice.ods, MEDICATIONS.paracetamol, rng.int(from, to), asOf);

  // --- referrals
  if (rng.chance(0.012 * (span / 365))) {
    writeReferral(out, rng, patientId, practice.ods, rng.pick([CODES.breastCancer, CODES.colonCancer, CODES.malignancy]), rng.int(from, to), 'two_week_wait', asOf);
  }
  if (rng.chance(0.06 * (span / 365))) {
    const code = rng.pick([CODES.asthma, CODES.heartFailure, CODES.copd, CODES.hypertension, CODES.diabetesType2, CODES.obesity]);
    writeReferral(out, rng, patientId, practice.ods, code, rng.int(from, to), rng.weighted<string>([['routine', 85], ['urgent', 15]]), asOf);
  }
  if (termination && rng.chance(0.5)) {
    writeReferral(out, rng, patientId, practice.ods, SENSITIVE_CODES.termination[0], rng.int(from, to), 'urgent', asOf);
    traps.sensitiveCodeRows.termination++;
  }

  // --- appointments in the last two years, some booked ahead
  const appointmentsFrom = Math.max(from, asOf - 730);
  if (appointmentsFrom <= to) {
    const n = Math.round(((to - appointmentsFrom + 1) / 365) * (age >= 65 ? 4 : 2) * rng.next() * 1.5);
    for (let i = 0; i < n; i++) writeAppointment(out, rng, patientId, practice.ods, rng.int(appointmentsFrom, to), asOf, false);
    if (registrationEnd === null && rng.chance(0.15)) writeAppointment(out, rng, patientId, practice.ods, asOf + rng.int(1, 28), asOf, true);
  }

  // --- documents
  const documents = Math.floor((span / 365) * 0.12 + rng.next() * 0.5);
  for (let i = 0; i < documents; i++) writeDocument(out, rng, patientId, practice.ods, rng.int(from, to), asOf);
}

function pickPractice(rng: Random, practices: readonly Practice[]): number {
  let total = 0;
  for (const p of practices) total += p.weight;
  let r = rng.next() * total;
  for (let i = 0; i < practices.length; i++) {
    r -= practices[i]!.weight;
    if (r < 0) return i;
  }
  return practices.length - 1;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

function bump<K extends string>(counts: Partial<Record<K, number>>, key: K, by = 1): void {
  counts[key] = (counts[key] ?? 0) + by;
}

/**
 * The write times of a row first recorded at `createdMs`: sometimes edited later, sometimes
 * soft-deleted (the tombstone time is then the last write). Never on or after the as-of date.
 */
function history(
  out: RecordWriter,
  rng: Random,
  table: SeedTable,
  createdMs: number,
  asOf: number,
  rates: { update: number; delete: number },
  forceDelete = false,
): { updated: string; deleted: string | null } {
  const limit = asOf * DAY_MS - 60_000;
  let updated = Math.min(createdMs, limit);
  if (rng.chance(rates.update)) {
    updated = Math.min(updated + rng.int(1, 400) * DAY_MS + rng.int(0, 3_600_000), limit);
    bump(out.traps.updatedRows, table);
  }
  let deleted: number | null = null;
  if (forceDelete || rng.chance(rates.delete)) {
    deleted = Math.min(updated + rng.int(1, 120) * DAY_MS, limit);
    updated = deleted;
    bump(out.traps.softDeletedRows, table);
  }
  return { updated: formatTimestamp(updated), deleted: deleted === null ? null : formatTimestamp(deleted) };
}

function freeText(out: RecordWriter, column: string, text: string | null): string | null {
  if (text !== null) bump(out.traps.freeTextRows, column);
  return text;
}

function confidential(out: RecordWriter, rng: Random, table: SeedTable, rate: number, force = false): boolean {
  const value = force || rng.chance(rate);
  if (value) bump(out.traps.confidentialRows, table);
  return value;
}

function writeRegistration(
  out: RecordWriter,
  rng: Random,
  patientId: number,
  practice: string,
  type: string,
  start: number,
  end: number | null,
  endReason: string | null,
  asOf: number,
  keepUndeleted = false,
): void {
  const created = start * DAY_MS + rng.int(8, 17) * 3_600_000;
  const lastWrite = end === null ? created : Math.min(end, asOf - 1) * DAY_MS + rng.int(8, 17) * 3_600_000;
  const { updated, deleted } = history(out, rng, 'registration', lastWrite, asOf, { update: 0.02, delete: keepUndeleted ? 0 : 0.003 });
  out.write(
    'registration',
    copyLine([out.nextId('registration'), patientId, practice, type, formatDay(start), end === null ? null : formatDay(end), endReason, updated, deleted]),
  );
}

function writeConsultation(out: RecordWriter, rng: Random, id: number, patientId: number, practice: string, day: number, asOf: number): void {
  const { updated, deleted } = history(out, rng, 'consultation', day * DAY_MS + rng.int(8 * 60, 18 * 60) * 60_000, asOf, { update: 0.03, delete: 0.005 });
  const summary = rng.chance(0.5) ? rng.pick(CONSULTATION_SUMMARIES) : null;
  out.write(
    'consultation',
    copyLine([
      id,
      patientId,
      practice,
      formatDay(day),
      rng.weighted(CONSULTATION_TYPES),
      freeText(out, 'consultation.summary', summary),
      confidential(out, rng, 'consultation', 0.01),
      updated,
      deleted,
    ]),
  );
}

function writeObservation(
  out: RecordWriter,
  rng: Random,
  patientId: number,
  encounter: Encounter,
  code: string,
  value: number | null,
  unit: string | null,
  asOf: number,
  forced?: { confidential?: boolean; deleted?: boolean },
): void {
  const recorded = encounter.day * DAY_MS + rng.int(8 * 60, 18 * 60) * 60_000 + (rng.chance(0.1) ? rng.int(1, 3) * DAY_MS : 0);
  const { updated, deleted } = history(out, rng, 'observation', recorded, asOf, { update: 0.04, delete: 0.008 }, forced?.deleted);
  const comment = rng.chance(0.08) ? rng.pick(OBSERVATION_COMMENTS) : null;
  out.write(
    'observation',
    copyLine([
      out.nextId('observation'),
      patientId,
      encounter.practice,
      encounter.consultationId,
      code,
      formatDay(encounter.day),
      formatTimestamp(Math.min(recorded, asOf * DAY_MS - 120_000)),
      value,
      unit,
      freeText(out, 'observation.comment', comment),
      confidential(out, rng, 'observation', 0.01, forced?.confidential),
      updated,
      deleted,
    ]),
  );
}

function writeMedication(
  out: RecordWriter,
  rng: Random,
  patientId: number,
  practice: string,
  medication: (typeof MEDICATIONS)[keyof typeof MEDICATIONS],
  day: number,
  asOf: number,
): void {
  if (day >= asOf) return;
  const { updated, deleted } = history(out, rng, 'medication_issue', day * DAY_MS + rng.int(8 * 60, 18 * 60) * 60_000, asOf, { update: 0.01, delete: 0.004 });
  const dosage = rng.chance(0.92) ? medication.dosage : null;
  out.write(
    'medication_issue',
    copyLine([
      out.nextId('medication_issue'),
      patientId,
      practice,
      medication.code,
      formatDay(day),
      medication.quantity,
      medication.unit,
      freeText(out, 'medication_issue.dosage_text', dosage),
      confidential(out, rng, 'medication_issue', 0.005),
      updated,
      deleted,
    ]),
  );
}

function writeReferral(out: RecordWriter, rng: Random, patientId: number, practice: string, code: string, day: number, urgency: string, asOf: number): void {
  const { updated, deleted } = history(out, rng, 'referral', day * DAY_MS + rng.int(8 * 60, 18 * 60) * 60_000, asOf, { update: 0.1, delete: 0.01 });
  const notes = rng.chance(0.6) ? rng.pick(REFERRAL_NOTES) : null;
  out.write(
    'referral',
    copyLine([
      out.nextId('referral'),
      patientId,
      practice,
      code,
      formatDay(day),
      urgency === 'two_week_wait' ? rng.pick(['Colorectal surgery', 'Breast surgery']) : rng.pick(TARGET_SERVICES),
      urgency,
      freeText(out, 'referral.notes', notes),
      confidential(out, rng, 'referral', 0.02),
      updated,
      deleted,
    ]),
  );
}

function writeAppointment(out: RecordWriter, rng: Random, patientId: number, practice: string, day: number, asOf: number, ahead: boolean): void {
  const [slot, role, minutes] = rng.weighted(APPOINTMENT_SLOTS.map((s) => [s, s[3]] as const));
  const starts = day * DAY_MS + (8 * 60 + rng.int(0, 36) * 15) * 60_000;
  const booked = ahead ? (asOf - rng.int(1, 14)) * DAY_MS + rng.int(8, 17) * 3_600_000 : starts - rng.int(0, 20) * DAY_MS;
  const status = ahead ? 'booked' : rng.weighted<string>([['attended', 82], ['did_not_attend', 6], ['cancelled', 12]]);
  const { updated, deleted } = history(out, rng, 'appointment', ahead ? booked : starts + minutes * 60_000, asOf, { update: 0.05, delete: 0.01 });
  out.write('appointment', copyLine([out.nextId('appointment'), patientId, practice, formatTimestamp(starts), minutes, status, slot, role, updated, deleted]));
}

function writeDocument(out: RecordWriter, rng: Random, patientId: number, practice: string, day: number, asOf: number): void {
  const id = out.nextId('document');
  const { updated, deleted } = history(out, rng, 'document', day * DAY_MS + rng.int(8 * 60, 18 * 60) * 60_000, asOf, { update: 0.02, delete: 0.01 });
  const title = rng.pick(DOCUMENT_TITLES);
  const content = Buffer.from(`%PDF-1.4\n% exdef synthetic document ${id}: ${title}\n%%EOF\n`);
  out.traps.documents++;
  out.write(
    'document',
    copyLine([id, patientId, practice, formatDay(day), freeText(out, 'document.title', title), copyBytea(content), confidential(out, rng, 'document', 0.02), updated, deleted]),
  );
}
