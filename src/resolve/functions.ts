import type { FunctionName, ValueType } from '../ir/expression.js';
import type { Transform } from '../ir/extract-definition.js';

/** One accepted argument list and the result it gives. */
export interface Signature {
  args: ValueType[][];
  /** Arguments that must be literals (e.g. a pseudonym key name or an age band width). */
  literal?: number[];
  /** Optional trailing arguments. */
  optional?: number;
  /** Any number of arguments of the first type (coalesce). */
  variadic?: boolean;
  result: ValueType | 'first';
}

export interface FunctionSpec {
  name: FunctionName;
  signature: Signature;
  /** How the function changes what a value reveals, for the policy. */
  transform: Transform;
  summary: string;
  example: string;
}

const DATE_LIKE: ValueType[] = ['date', 'timestamp'];
const NUMBER: ValueType[] = ['integer', 'numeric'];

/** The fixed function list of the expression language (docs/language.md lists the same). */
export const FUNCTIONS: readonly FunctionSpec[] = [
  { name: 'today', signature: { args: [], result: 'date' }, transform: 'computed', summary: 'The snapshot date of the run (the extract date).', example: "effective_date >= today() - interval '12 months'" },
  { name: 'year', signature: { args: [DATE_LIKE], result: 'integer' }, transform: 'year', summary: 'The year of a date (generalises it).', example: 'year(date_of_birth)' },
  { name: 'month', signature: { args: [DATE_LIKE], result: 'date' }, transform: 'month', summary: 'The first day of the month of a date (generalises it).', example: 'month(date_of_birth)' },
  { name: 'age_years', signature: { args: [['date']], result: 'integer' }, transform: 'age_years', summary: 'Age in whole years on the snapshot date.', example: 'age_years(date_of_birth) < 20' },
  {
    name: 'age_band',
    signature: { args: [['date'], ['integer']], optional: 1, literal: [1], result: 'text' },
    transform: 'age_band',
    summary: "Age on the snapshot date in bands of 5 years (or the width given), as text: '0-4', '5-9', ..., '90+'.",
    example: 'age_band(date_of_birth, 10)',
  },
  { name: 'postcode_district', signature: { args: [['text']], result: 'text' }, transform: 'postcode_district', summary: 'The outward code (district) of a postcode: LS1 4AP gives LS1.', example: 'postcode_district(postcode)' },
  {
    name: 'pseudonym',
    signature: { args: [['text', 'integer', 'code'], ['text']], literal: [1], result: 'text' },
    transform: 'pseudonym',
    summary: "A keyed HMAC-SHA-256 of the value (hex). The key is named here and held by the provider outside the definition.",
    example: "pseudonym(nhs_number, 'phm-icb-key')",
  },
  { name: 'coalesce', signature: { args: [['boolean', 'integer', 'numeric', 'text', 'date', 'timestamp', 'code']], variadic: true, result: 'first' }, transform: 'computed', summary: 'The first of its arguments that is not null.', example: 'coalesce(value_unit, \'unknown\')' },
  { name: 'lower', signature: { args: [['text']], result: 'text' }, transform: 'computed', summary: 'Text in lower case.', example: 'lower(urgency)' },
  { name: 'upper', signature: { args: [['text']], result: 'text' }, transform: 'computed', summary: 'Text in upper case.', example: 'upper(practice_ods)' },
  { name: 'round', signature: { args: [NUMBER, ['integer']], optional: 1, literal: [1], result: 'numeric' }, transform: 'computed', summary: 'A number rounded to the given decimal places (default 0).', example: 'round(value_numeric, 1)' },
  { name: 'abs', signature: { args: [NUMBER], result: 'first' }, transform: 'computed', summary: 'The absolute value of a number.', example: 'abs(value_numeric)' },
  { name: 'date_of', signature: { args: [['timestamp']], result: 'date' }, transform: 'computed', summary: 'The date (UTC) of a timestamp.', example: 'date_of(recorded_at)' },
];

export function findFunction(name: string): FunctionSpec | undefined {
  return FUNCTIONS.find((f) => f.name === name.toLowerCase());
}

/** Transforms that make a value coarser than its source (for the policy's generalisation rules). */
export const GENERALISING: ReadonlySet<Transform> = new Set(['year', 'month', 'age_years', 'age_band', 'postcode_district']);
