import { describe, expect, it } from 'vitest';
import { checkExpectations, sameValue, type DatasetRows } from '../../../src/definition-test/check-expectations.js';
import type { DatasetExpectation, RowPattern } from '../../../src/definition-test/definition-test.js';
import { spanOf, sourceFile } from '../../../src/source/source-file.js';

const span = spanOf(sourceFile('t.test.yaml', 'x\n'), 0, 1);
const pattern = (patient: string | undefined, fields: Record<string, string | null> = {}): RowPattern => ({ span, ...(patient ? { patient } : {}), fields, fieldSpans: {} });
const expectation = (e: Partial<DatasetExpectation>): DatasetExpectation => ({ dataset: 'children', span, rows: [], absent: [], ...e });

const children: DatasetRows = {
  name: 'children',
  fields: ['nhs_number', 'birth_month', 'practice'],
  types: { nhs_number: 'text', birth_month: 'date', practice: 'text' },
  identifiesPatients: true,
  rows: [
    { patient: 'alice', values: { nhs_number: '9990000018', birth_month: '2010-05-01', practice: 'A81001' } },
    { patient: 'bob', values: { nhs_number: '9990000026', birth_month: '2006-11-01', practice: 'A81002' } },
  ],
};

describe('checking expectations', () => {
  it('passes rows matched by a subset of their fields and by patient name', () => {
    const results = checkExpectations(expectation({ rows: [pattern('alice', { birth_month: '2010-05-01' }), pattern(undefined, { practice: 'A81002' })], count: { value: 2, span } }), children);
    expect(results.map((r) => [r.name, r.passed])).toEqual([
      ['children: row { patient: alice, birth_month: 2010-05-01 }', true],
      ['children: row { practice: A81002 }', true],
      ['children: count 2', true],
    ]);
  });

  it('shows an expected row against the closest actual row, field by field', () => {
    const [result] = checkExpectations(expectation({ rows: [pattern('alice', { birth_month: '2010-06-01', practice: 'A81001' })] }), children);
    expect(result!.passed).toBe(false);
    expect(result!.message).toBe("alice's row in children differs from { patient: alice, birth_month: 2010-06-01, practice: A81001 }");
    expect(result!.detail).toEqual([
      'expected: { patient: alice, birth_month: 2010-06-01, practice: A81001 }',
      'closest:  { patient: alice, nhs_number: 9990000018, birth_month: 2010-05-01, practice: A81001 }',
      '            birth_month: expected 2010-06-01, got 2010-05-01',
    ]);
  });

  it('names a patient who is missing, and one who is present unexpectedly', () => {
    const results = checkExpectations(expectation({ rows: [pattern('carol')], absent: [pattern('bob')] }), children);
    expect(results[0]!.message).toBe('carol is missing: dataset children has no row for carol');
    expect(results[0]!.detail).toEqual(['expected: { patient: carol }', 'rows by patient: alice, bob']);
    expect(results[1]!.message).toBe('bob is present unexpectedly: 1 row of children matches { patient: bob }');
    expect(results[1]!.detail![1]).toBe('found:         { patient: bob, nhs_number: 9990000026, birth_month: 2006-11-01, practice: A81002 }');
  });

  it('needs a row of its own for each expected row, and says which rows a wrong count has too many of', () => {
    const results = checkExpectations(expectation({ rows: [pattern('alice'), pattern(undefined, { practice: 'A81001' })], count: { value: 1, span } }), children);
    expect(results[0]!.passed !== results[1]!.passed).toBe(true);
    expect(results.find((r) => !r.passed && r.kind === 'row')!.message).toMatch(/has 1 row like .*, and 2 expected rows need one each/);
    expect(results[2]!.message).toBe('dataset children has 2 rows, not 1; rows no expected row accounts for: bob');
  });

  it('refuses to match by patient in a dataset that does not identify patients, and unknown fields', () => {
    const anonymous = { ...children, identifiesPatients: false };
    expect(checkExpectations(expectation({ absent: [pattern('bob')] }), anonymous)[0]!.message).toMatch(/has no field that identifies a patient/);
    expect(checkExpectations(expectation({ rows: [pattern(undefined, { age: '16' })] }), children)[0]!.message).toBe('dataset children has no field `age` (its fields: nhs_number, birth_month, practice)');
  });

  it('compares numbers as decimals in numeric fields only: elsewhere as text, exactly', () => {
    expect(sameValue('120.50', '120.5', 'numeric')).toBe(true);
    expect(sameValue('7', '7.0', 'numeric')).toBe(true);
    expect(sameValue('007', '7', 'integer')).toBe(true);
    expect(sameValue('7', '70', 'integer')).toBe(false);
    expect(sameValue('2010-05-01', '2010-05-01', 'date')).toBe(true);
    // A YAML number against a text field: its digits as written, no leading zero implied.
    expect(sameValue('7700900002', '07700900002', 'text')).toBe(false);
    expect(sameValue('07700900002', '07700900002', 'text')).toBe(true);
    expect(sameValue('123', '0123', 'code')).toBe(false);
    expect(sameValue('120.5', '120.50', 'text')).toBe(false);
  });

  it('tells the empty text from null, as the CSV does ("" against nothing)', () => {
    expect(sameValue(null, null, 'text')).toBe(true);
    expect(sameValue('', '', 'text')).toBe(true);
    expect(sameValue(null, '', 'text')).toBe(false);
    expect(sameValue('', null, 'text')).toBe(false);
    expect(sameValue(null, 'x', 'text')).toBe(false);
    expect(sameValue('x', null, 'text')).toBe(false);
  });

  it('matches a leading zero, an empty text and a null only as they are, and shows them apart in the diff', () => {
    const people: DatasetRows = {
      name: 'people',
      fields: ['nhs_number', 'mobile', 'email', 'code'],
      types: { nhs_number: 'text', mobile: 'text', email: 'text', code: 'text' },
      identifiesPatients: true,
      rows: [
        { patient: 'alice', values: { nhs_number: '9990000018', mobile: '07700900002', email: '', code: '007' } },
        { patient: 'bob', values: { nhs_number: '9990000026', mobile: null, email: null, code: null } },
      ],
    };
    const results = checkExpectations(
      expectation({
        dataset: 'people',
        rows: [pattern('alice', { mobile: '7700900002' }), pattern('alice', { code: '7' }), pattern('bob', { mobile: '' }), pattern('alice', { email: null })],
        absent: [pattern('bob', { email: '' })],
      }),
      people,
    );
    expect(results.map((r) => r.passed)).toEqual([false, false, false, false, true]);
    expect(results[0]!.detail).toContain('            mobile: expected 7700900002, got 07700900002');
    expect(results[2]!.detail).toContain('            mobile: expected "", got null');
    expect(results[2]!.detail![1]).toBe('closest:  { patient: bob, nhs_number: 9990000026, mobile: null, email: null, code: null }');
    expect(results[3]!.detail).toContain('            email: expected null, got ""');
    const right = checkExpectations(
      expectation({ dataset: 'people', rows: [pattern('alice', { mobile: '07700900002', email: '', code: '007' }), pattern('bob', { mobile: null, email: null })] }),
      people,
    );
    expect(right.every((r) => r.passed)).toBe(true);
  });
});
