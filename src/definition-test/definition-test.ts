import type { Span } from '../source/source-file.js';

/**
 * A definition test (NAME.test.yaml), as plain data: patients described in plain terms, the
 * extract date, and what each dataset must and must not produce. Values are kept as the text
 * the test wrote (a concept id of 18 digits does not survive a JavaScript number).
 */
export interface DefinitionTest {
  file: string;
  today: string;
  /** The practice of default registrations and of records that name none (else the definition's first). */
  practice?: string;
  patients: TestPatient[];
  expectations: DatasetExpectation[];
}

export interface TestPatient {
  name: string;
  span: Span;
  nhsNumber?: string;
  born?: string;
  sex?: string;
  givenName?: string;
  familyName?: string;
  address?: string;
  postcode?: string;
  phone?: string;
  email?: string;
  ethnicity?: string;
  died?: string;
  pdsSensitive: boolean;
  deleted: boolean;
  /** Undefined: the default registration (permanent, at the default practice, from birth). */
  registrations?: TestRegistration[];
  optOuts: TestOptOut[];
  observations: TestRecord[];
  medications: TestRecord[];
  referrals: TestRecord[];
  appointments: TestRecord[];
  consultations: TestRecord[];
}

export interface TestRegistration {
  practice?: string;
  type: string;
  from?: string;
  to?: string;
  endReason?: string;
  deleted: boolean;
}

export interface TestOptOut {
  type: 'type1' | 'national_data_opt_out';
  from: string;
  to?: string;
}

/** One clinical or administrative record, by its plain keys (code, date, value, ...) as text. */
export interface TestRecord {
  values: Record<string, string>;
  practice?: string;
  confidential: boolean;
  deleted: boolean;
}

/** An expected value: text as written (numbers keep their digits; '' the empty text), or null for a missing value (SQL NULL). */
export type ExpectedValue = string | null;

export interface RowPattern {
  span: Span;
  /** `patient: NAME`: the rows of that test patient. */
  patient?: string;
  fields: Record<string, ExpectedValue>;
  /** Where each field is written, for messages. */
  fieldSpans: Record<string, Span>;
}

export interface DatasetExpectation {
  dataset: string;
  span: Span;
  rows: RowPattern[];
  absent: RowPattern[];
  count?: { value: number; span: Span };
}
