/**
 * The tables the generator fills and their columns in COPY order. The generator is written for
 * the reference model; `db seed` checks these columns against the catalogue before it starts.
 */
export const SEED_COLUMNS = {
  practice: ['ods_code', 'name', 'postcode', 'updated_at'],
  patient: [
    'patient_id', 'nhs_number', 'given_name', 'family_name', 'date_of_birth', 'sex', 'ethnicity_code', 'address_line', 'postcode',
    'phone', 'email', 'date_of_death', 'pds_sensitive', 'updated_at', 'deleted_at',
  ],
  registration: ['registration_id', 'patient_id', 'practice_ods', 'registration_type', 'start_date', 'end_date', 'end_reason', 'updated_at', 'deleted_at'],
  opt_out: ['opt_out_id', 'patient_id', 'opt_out_type', 'effective_from', 'effective_to', 'updated_at'],
  consultation: ['consultation_id', 'patient_id', 'practice_ods', 'consultation_date', 'consultation_type', 'summary', 'confidential', 'updated_at', 'deleted_at'],
  observation: [
    'observation_id', 'patient_id', 'practice_ods', 'consultation_id', 'code', 'effective_date', 'recorded_at', 'value_numeric', 'value_unit',
    'comment', 'confidential', 'updated_at', 'deleted_at',
  ],
  medication_issue: [
    'medication_issue_id', 'patient_id', 'practice_ods', 'dmd_code', 'issue_date', 'quantity', 'quantity_unit', 'dosage_text', 'confidential',
    'updated_at', 'deleted_at',
  ],
  referral: ['referral_id', 'patient_id', 'practice_ods', 'code', 'referral_date', 'target_service', 'urgency', 'notes', 'confidential', 'updated_at', 'deleted_at'],
  appointment: ['appointment_id', 'patient_id', 'practice_ods', 'starts_at', 'duration_minutes', 'status', 'slot_type', 'clinician_role', 'updated_at', 'deleted_at'],
  document: ['document_id', 'patient_id', 'practice_ods', 'document_date', 'title', 'content', 'confidential', 'updated_at', 'deleted_at'],
} as const;

export type SeedTable = keyof typeof SEED_COLUMNS;
export const SEED_TABLES = Object.keys(SEED_COLUMNS) as SeedTable[];

/** Tables with rows per patient, in the order foreign keys need them loaded (after patient). */
export const PATIENT_TABLES: SeedTable[] = ['registration', 'opt_out', 'consultation', 'observation', 'medication_issue', 'referral', 'appointment', 'document'];

/** Every kind of row the policy must keep out of an extract, counted as it is planted. */
export interface TrapCounts {
  pdsSensitivePatients: number;
  deceasedPatients: number;
  inactivePatients: number;
  temporaryOnlyPatients: number;
  softDeletedPatients: number;
  type1OptOutInForce: number;
  type1OptedBackIn: number;
  nationalOptOutInForce: number;
  nationalOptedBackIn: number;
  sensitiveCodeRows: { gender: number; sexuality: number; sti: number; termination: number; fertility: number };
  confidentialRows: Partial<Record<SeedTable, number>>;
  softDeletedRows: Partial<Record<SeedTable, number>>;
  updatedRows: Partial<Record<SeedTable, number>>;
  freeTextRows: Record<string, number>;
  documents: number;
  /** Edge cases on the as-of date, for tests of "judged as of the snapshot". */
  registrationEndingOnAsOf: number;
  deathDayBeforeAsOf: number;
  optOutEndingDayBeforeAsOf: number;
}

export function emptyTrapCounts(): TrapCounts {
  return {
    pdsSensitivePatients: 0,
    deceasedPatients: 0,
    inactivePatients: 0,
    temporaryOnlyPatients: 0,
    softDeletedPatients: 0,
    type1OptOutInForce: 0,
    type1OptedBackIn: 0,
    nationalOptOutInForce: 0,
    nationalOptedBackIn: 0,
    sensitiveCodeRows: { gender: 0, sexuality: 0, sti: 0, termination: 0, fertility: 0 },
    confidentialRows: {},
    softDeletedRows: {},
    updatedRows: {},
    freeTextRows: {},
    documents: 0,
    registrationEndingOnAsOf: 0,
    deathDayBeforeAsOf: 0,
    optOutEndingDayBeforeAsOf: 0,
  };
}
