import { readFileSync } from 'node:fs';
import { isScalar } from 'yaml';
import { defineCodes } from '../diagnostics/define-codes.js';
import { hasErrors, type Diagnostic } from '../diagnostics/diagnostic.js';
import { closestMatch } from '../diagnostics/suggest.js';
import { resources } from '../resources.js';
import { parseIsoDate } from '../seed/calendar.js';
import { isValidNhsNumber, nhsCheckDigit } from '../seed/nhs-number.js';
import { validateYamlAgainstSchema } from '../source/schema-validation.js';
import { sourceFile, spanOf, type Span } from '../source/source-file.js';
import { nodeAtPath, parseYamlSource, spanAtPath, type YamlPath, type YamlSource } from '../source/yaml-source.js';
import type { DatasetExpectation, DefinitionTest, ExpectedValue, RowPattern, TestPatient, TestRecord } from './definition-test.js';
import { PATIENT_DEFAULTS } from './test-records.js';

export const definitionTestCodes = defineCodes({
  'test-not-a-map': {
    severity: 'error',
    stage: 'schema',
    message: () => 'a definition test is a YAML map with today, patients and expect; this file holds something else',
  },
  'test-bad-date': {
    severity: 'error',
    stage: 'schema',
    message: (p: { where: string; value: string }) => `${p.where} is not a date of the calendar: ${p.value}`,
  },
  'test-unknown-patient': {
    severity: 'error',
    stage: 'resolve',
    message: (p: { name: string; suggestion?: string }) => `no test patient is called \`${p.name}\`${p.suggestion ? `; did you mean \`${p.suggestion}\`?` : ''}`,
  },
  'test-dates-reversed': {
    severity: 'error',
    stage: 'schema',
    message: (p: { where: string; from: string; to: string }) => `${p.where} ends (${p.to}) before it starts (${p.from})`,
  },
  'test-bad-patient-name': {
    severity: 'error',
    stage: 'schema',
    message: (p: { name: string }) =>
      `\`${p.name}\` cannot be a patient name: a name starts with a letter and holds only letters, digits, \`-\` and \`_\` (no spaces or other signs)`,
  },
  'test-invalid-nhs-number': {
    severity: 'error',
    stage: 'schema',
    message: (p: { patient: string; value: string }) =>
      `\`${p.patient}\`'s NHS number ${p.value} is not a valid NHS number: its last digit is not the modulus-11 check digit of the first nine`,
  },
  'test-duplicate-nhs-number': {
    severity: 'error',
    stage: 'resolve',
    message: (p: { patient: string; value: string; first: string }) =>
      `\`${p.patient}\` has the NHS number ${p.value} of \`${p.first}\`: each test patient needs a number of their own, or rows of one would be credited to the other`,
  },
  'test-impossible-date': {
    severity: 'error',
    stage: 'schema',
    message: (p: { what: string; date: string; relation: 'before' | 'after'; patient: string; event: 'birth' | 'death'; other: string; defaulted: boolean }) =>
      `${p.what} (${p.date}) is ${p.relation} \`${p.patient}\`'s date of ${p.event} (${p.other}${p.defaulted ? ', the default' : ''})`,
  },
  'test-without-definition': {
    severity: 'error',
    stage: 'source',
    message: (p: { test: string; stem: string }) => `${p.test} tests no definition: there is no ${p.stem}.exdef.yaml or ${p.stem}.exdef beside it`,
  },
  'test-unreadable': {
    severity: 'error',
    stage: 'source',
    message: (p: { reason: string }) => `cannot read the test file: ${p.reason}`,
  },
});

/** Where the test format's schema ships. */
export const DEFINITION_TEST_SCHEMA = resources.definitionTestSchema;

let schemaObject: object | undefined;

/** The JSON Schema of the test format (schema/exdef-test.schema.json). */
export function definitionTestSchema(): object {
  schemaObject ??= JSON.parse(readFileSync(DEFINITION_TEST_SCHEMA, 'utf8')) as object;
  return schemaObject;
}

/** Reads and checks a test file; every problem is a diagnostic at its file:line:col. */
export function parseDefinitionTestFile(path: string): { test?: DefinitionTest; diagnostics: Diagnostic[] } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    const reason = e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'it is a directory' : e.message;
    return { diagnostics: [definitionTestCodes.make('test-unreadable', { reason }, spanOf(sourceFile(path, ''), 0, 0))] };
  }
  return parseDefinitionTestText(path, text);
}

export function parseDefinitionTestText(path: string, text: string): { test?: DefinitionTest; diagnostics: Diagnostic[] } {
  const file = sourceFile(path, text);
  const source = parseYamlSource(file);
  const diagnostics = [...source.diagnostics];
  if (hasErrors(diagnostics)) return { diagnostics };
  const value = source.value;
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return { diagnostics: [...diagnostics, definitionTestCodes.make('test-not-a-map', {}, spanOf(file, 0, Math.min(text.length, 1)))] };
  }
  diagnostics.push(...badPatientNames(source, value as Record<string, unknown>, validateYamlAgainstSchema(source, definitionTestSchema())));
  if (hasErrors(diagnostics)) return { diagnostics };
  const reader = new TestReader(source, diagnostics);
  const test = reader.read(value as RawTest);
  return hasErrors(diagnostics) ? { diagnostics } : { test, diagnostics };
}

/** A patient's name, as the schema's propertyNames pattern requires it (the schema is the one source). */
function patientNamePattern(): RegExp {
  const schema = definitionTestSchema() as { properties: { patients: { propertyNames: { pattern: string } } } };
  return new RegExp(schema.properties.patients.propertyNames.pattern);
}

/**
 * The schema reports a patient name that breaks the pattern twice, at `patients` and in its own
 * terms; each such name is reported once instead, at the name itself, saying what a name may hold.
 */
function badPatientNames(source: YamlSource, value: Record<string, unknown>, schemaDiagnostics: Diagnostic[]): Diagnostic[] {
  const patients = value['patients'];
  if (!patients || typeof patients !== 'object' || Array.isArray(patients)) return schemaDiagnostics;
  const name = patientNamePattern();
  const bad = Object.keys(patients).filter((n) => !name.test(n));
  if (bad.length === 0) return schemaDiagnostics;
  // With names in it, the map's only schema findings at its own key are the name pattern's.
  const at = new Set([spanAtPath(source, ['patients'], 'key').start.offset, spanAtPath(source, ['patients']).start.offset]);
  const kept = schemaDiagnostics.filter((d) => !(d.code === 'schema-invalid-value' && d.span && at.has(d.span.start.offset)));
  const named = bad.map((n) => {
    const suggestion = n.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^[^A-Za-z]+/, '').replace(/-+$/, '');
    return definitionTestCodes.make('test-bad-patient-name', { name: n }, spanAtPath(source, ['patients', n], 'key'), suggestion ? [`e.g. ${suggestion}`] : undefined);
  });
  return [...kept, ...named];
}

// The shape the schema guarantees.
type Scalar = string | number | boolean | null;
interface RawTest {
  today: string;
  practice?: string;
  patients: Record<string, Record<string, unknown>>;
  expect: Record<string, { rows?: Record<string, Scalar>[]; absent?: Record<string, Scalar>[]; count?: number }>;
}

/** Plain record keys, by the patient key that lists them. */
const RECORD_LISTS = ['observations', 'medications', 'referrals', 'appointments', 'consultations'] as const;
const DATE_KEYS = new Set(['date', 'from', 'to', 'at', 'born', 'died', 'today']);

class TestReader {
  constructor(
    private readonly source: YamlSource,
    private readonly diagnostics: Diagnostic[],
  ) {}

  read(raw: RawTest): DefinitionTest {
    const today = this.date(raw.today, ['today'], '`today`');
    const test: DefinitionTest = { file: this.source.file.path, today, patients: [], expectations: [] };
    if (raw.practice !== undefined) test.practice = raw.practice;
    for (const [name, patient] of Object.entries(raw.patients)) test.patients.push(this.patient(name, patient));
    this.distinctNhsNumbers(test.patients);
    const names = test.patients.map((p) => p.name);
    for (const [dataset, expectation] of Object.entries(raw.expect)) {
      const path: YamlPath = ['expect', dataset];
      const result: DatasetExpectation = {
        dataset,
        span: this.at(path, 'key'),
        rows: (expectation.rows ?? []).map((row, i) => this.pattern(row, [...path, 'rows', i], names)),
        absent: (expectation.absent ?? []).map((row, i) => this.pattern(row, [...path, 'absent', i], names)),
      };
      if (expectation.count !== undefined) result.count = { value: expectation.count, span: this.at([...path, 'count']) };
      test.expectations.push(result);
    }
    return test;
  }

  private patient(name: string, raw: Record<string, unknown>): TestPatient {
    const path: YamlPath = ['patients', name];
    const text = (key: string) => (raw[key] === undefined ? undefined : this.text([...path, key], raw[key] as Scalar));
    const patient: TestPatient = {
      name,
      span: this.at(path, 'key'),
      pdsSensitive: raw['pds_sensitive'] === true,
      deleted: raw['deleted'] === true,
      optOuts: [],
      observations: [],
      medications: [],
      referrals: [],
      appointments: [],
      consultations: [],
    };
    const set = <K extends keyof TestPatient>(key: K, value: TestPatient[K] | undefined) => {
      if (value !== undefined) patient[key] = value;
    };
    set('nhsNumber', text('nhs_number'));
    if (patient.nhsNumber !== undefined && !isValidNhsNumber(patient.nhsNumber)) {
      const check = nhsCheckDigit(patient.nhsNumber.slice(0, 9));
      this.report('test-invalid-nhs-number', { patient: name, value: patient.nhsNumber }, [...path, 'nhs_number'], [
        check === undefined ? `no check digit makes ${patient.nhsNumber.slice(0, 9)} valid: change the first nine digits` : `with these nine digits the check digit is ${check}: ${patient.nhsNumber.slice(0, 9)}${check}`,
        'or leave nhs_number out: each patient gets a valid number from the 999 range reserved for test data',
      ]);
    }
    set('born', raw['born'] === undefined ? undefined : this.date(raw['born'] as string, [...path, 'born'], `\`${name}\`'s date of birth`));
    set('died', raw['died'] === undefined ? undefined : this.date(raw['died'] as string, [...path, 'died'], `\`${name}\`'s date of death`));
    // Impossible data is a mistake in the test: a test that passes on it proves nothing.
    const life = { patient: name, born: patient.born ?? PATIENT_DEFAULTS.born, defaulted: patient.born === undefined, died: patient.died };
    if (isDate(life.born) && isDate(life.died) && life.died < life.born) this.impossible(life, 'the date of death', life.died, 'birth', [...path, 'died']);
    set('sex', text('sex'));
    set('givenName', text('given_name'));
    set('familyName', text('family_name'));
    set('address', text('address'));
    set('postcode', text('postcode'));
    set('phone', text('phone'));
    set('email', text('email'));
    set('ethnicity', raw['ethnicity'] === undefined ? undefined : conceptId(text('ethnicity')!));
    if (raw['registered'] !== undefined) {
      patient.registrations = (raw['registered'] as Record<string, unknown>[]).map((r, i) => {
        const at: YamlPath = [...path, 'registered', i];
        const from = r['from'] === undefined ? undefined : this.date(r['from'] as string, [...at, 'from'], 'a registration start');
        const to = r['to'] === undefined ? undefined : this.date(r['to'] as string, [...at, 'to'], 'a registration end');
        if (from && to && to < from) this.report('test-dates-reversed', { where: 'the registration', from, to }, [...at, 'to']);
        else if (isDate(life.born) && isDate(from) && from < life.born) this.impossible(life, 'a registration start', from, 'birth', [...at, 'from']);
        else if (isDate(life.born) && isDate(to) && to < life.born) this.impossible(life, 'a registration end', to, 'birth', [...at, 'to']);
        else if (isDate(life.died) && isDate(from) && from > life.died) this.impossible(life, 'a registration start', from, 'death', [...at, 'from']);
        return {
          type: (r['type'] as string | undefined) ?? 'permanent',
          deleted: r['deleted'] === true,
          ...(r['practice'] === undefined ? {} : { practice: r['practice'] as string }),
          ...(from === undefined ? {} : { from }),
          ...(to === undefined ? {} : { to }),
          ...(r['end_reason'] === undefined ? {} : { endReason: r['end_reason'] as string }),
        };
      });
    }
    for (const [i, o] of ((raw['opt_outs'] as Record<string, unknown>[] | undefined) ?? []).entries()) {
      const at: YamlPath = [...path, 'opt_outs', i];
      const from = this.instant(o['from'] as string, [...at, 'from']);
      const to = o['to'] === undefined ? undefined : this.instant(o['to'] as string, [...at, 'to']);
      if (to !== undefined && to < from) this.report('test-dates-reversed', { where: 'the opt-out', from: o['from'] as string, to: o['to'] as string }, [...at, 'to']);
      patient.optOuts.push({ type: o['type'] as 'type1' | 'national_data_opt_out', from, ...(to === undefined ? {} : { to }) });
    }
    for (const list of RECORD_LISTS) {
      for (const [i, r] of ((raw[list] as Record<string, Scalar>[] | undefined) ?? []).entries()) {
        const record = this.record(r, [...path, list, i]);
        patient[list].push(record);
        // A record before birth is impossible; one after death is not (a death certificate, a late entry).
        for (const key of ['date', 'at'] as const) {
          const day = record.values[key]?.slice(0, 10);
          if (day !== undefined && isDate(day) && isDate(life.born) && day < life.born) this.impossible(life, `the ${key === 'at' ? 'time' : 'date'} of a record in ${list}`, day, 'birth', [...path, list, i, key]);
        }
      }
    }
    return patient;
  }

  private impossible(life: { patient: string; born: string; defaulted: boolean; died?: string | undefined }, what: string, date: string, event: 'birth' | 'death', path: YamlPath): void {
    const before = event === 'birth';
    this.report(
      'test-impossible-date',
      { what, date, relation: before ? 'before' : 'after', patient: life.patient, event, other: before ? life.born : life.died!, defaulted: before && life.defaulted },
      path,
      before && life.defaulted ? [`give the patient a \`born\` date before it (the default date of birth is ${PATIENT_DEFAULTS.born})`] : undefined,
    );
  }

  /** Explicit NHS numbers are each a patient's own: rows are credited to patients by them. */
  private distinctNhsNumbers(patients: readonly TestPatient[]): void {
    const first = new Map<string, string>();
    for (const p of patients) {
      if (p.nhsNumber === undefined) continue;
      const earlier = first.get(p.nhsNumber);
      if (earlier === undefined) first.set(p.nhsNumber, p.name);
      else this.report('test-duplicate-nhs-number', { patient: p.name, value: p.nhsNumber, first: earlier }, ['patients', p.name, 'nhs_number'], ['leave nhs_number out and each patient gets a number of their own']);
    }
  }

  private record(raw: Record<string, Scalar>, path: YamlPath): TestRecord {
    const record: TestRecord = { values: {}, confidential: raw['confidential'] === true, deleted: raw['deleted'] === true };
    for (const [key, value] of Object.entries(raw)) {
      if (key === 'confidential' || key === 'deleted') continue;
      if (key === 'practice') {
        record.practice = value as string;
        continue;
      }
      let text = this.text([...path, key], value);
      if (key === 'code') text = conceptId(text);
      else if (key === 'at') text = this.instant(text, [...path, key], '09:00');
      else if (DATE_KEYS.has(key)) text = this.date(text, [...path, key], `\`${key}\``);
      record.values[key] = text;
    }
    return record;
  }

  private pattern(raw: Record<string, Scalar>, path: YamlPath, patients: readonly string[]): RowPattern {
    const pattern: RowPattern = { span: this.at(path), fields: {}, fieldSpans: {} };
    for (const [key, value] of Object.entries(raw)) {
      if (key === 'patient') {
        const name = String(value);
        if (!patients.includes(name)) {
          const suggestion = closestMatch(name, patients);
          this.report('test-unknown-patient', suggestion ? { name, suggestion } : { name }, [...path, key], [`the test patients are: ${patients.join(', ')}`]);
        }
        pattern.patient = name;
        continue;
      }
      const expected: ExpectedValue = value === null ? null : this.text([...path, key], value);
      pattern.fields[key] = expected;
      pattern.fieldSpans[key] = this.at([...path, key]);
    }
    return pattern;
  }

  /** A scalar as text; numbers as written (18-digit concept ids and 120.50 keep their digits). */
  private text(path: YamlPath, value: Scalar): string {
    if (typeof value === 'number') {
      const { node } = nodeAtPath(this.source.document, path);
      if (node && isScalar(node) && typeof node.source === 'string' && /^[-+]?\d/.test(node.source)) return node.source;
    }
    return String(value);
  }

  private date(text: string, path: YamlPath, where: string): string {
    if (parseIsoDate(text) === undefined) this.report('test-bad-date', { where, value: text }, path);
    return text;
  }

  /** An instant as `YYYY-MM-DD HH:MM:SS+00`: a bare date is midnight UTC (or `time`). */
  private instant(text: string, path: YamlPath, time = '00:00'): string {
    const date = text.slice(0, 10);
    if (parseIsoDate(date) === undefined) {
      this.report('test-bad-date', { where: `\`${String(path[path.length - 1])}\``, value: text }, path);
      return text;
    }
    const clock = text.length > 10 ? text.slice(11).replace(/Z$/, '') : time;
    const [h, m, s] = clock.split(':').map(Number) as [number, number, number | undefined];
    if (h > 23 || m > 59 || (s ?? 0) > 59) this.report('test-bad-date', { where: `\`${String(path[path.length - 1])}\``, value: text }, path);
    return `${date} ${clock.length === 5 ? `${clock}:00` : clock}+00`;
  }

  private at(path: YamlPath, prefer: 'value' | 'key' = 'value'): Span {
    return spanAtPath(this.source, path, prefer);
  }

  private report<C extends keyof (typeof definitionTestCodes)['specs'] & string>(
    code: C,
    params: Parameters<(typeof definitionTestCodes)['specs'][C]['message']>[0],
    path: YamlPath,
    hints?: string[],
  ): void {
    this.diagnostics.push(definitionTestCodes.make(code, params as never, this.at(path), hints));
  }
}

function isDate(text: string | undefined): text is string {
  return text !== undefined && parseIsoDate(text) !== undefined;
}

/** `73211009 |Diabetes mellitus|` → `73211009`. */
function conceptId(text: string): string {
  return text.replace(/\s*\|.*$/, '').trim();
}
