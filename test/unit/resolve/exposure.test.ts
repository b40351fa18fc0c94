import { describe, expect, it } from 'vitest';
import { findTable } from '../../../src/catalogue/catalogue.js';
import { referenceCatalogue } from '../../../src/catalogue/load-catalogue.js';
import { columnsRead, walkExpression, type IrExpr } from '../../../src/ir/expression.js';
import { chainOperands, walkIr } from '../../../src/ir/walk.js';
import { parseExpressionText } from '../../../src/parse/parse-expression.js';
import { exposures, transformOf } from '../../../src/resolve/exposure.js';
import { resolveExpression } from '../../../src/resolve/resolve-expression.js';
import { sourceFile, spanOf } from '../../../src/source/source-file.js';

const catalogue = referenceCatalogue();

function ir(text: string, table = 'patient'): IrExpr {
  const file = sourceFile('e', text);
  const parsed = parseExpressionText(text, (s, e) => spanOf(file, s, e + 1));
  expect(parsed.diagnostics.map((d) => d.message), text).toEqual([]);
  const diagnostics: never[] = [];
  const resolved = resolveExpression({ catalogue, diagnostics }, findTable(catalogue, table)!, parsed.expression!);
  expect(diagnostics, text).toEqual([]);
  return resolved!;
}

const protections = (text: string, table?: string) => exposures(ir(text, table)).map((e) => `${e.column.path.concat(e.column.column).join('.')}:${e.protection}`);

describe('what a value lets out of each column it reads', () => {
  it.each([
    ['date_of_birth', ['date_of_birth:raw'], 'none'],
    ['year(date_of_birth)', ['date_of_birth:generalised'], 'year'],
    ['year(date_of_birth) * 1', ['date_of_birth:generalised'], 'year'],
    ['coalesce(year(date_of_birth), 0)', ['date_of_birth:generalised'], 'year'],
    ['date_of_birth + 1', ['date_of_birth:raw'], 'computed'],
    ['coalesce(date_of_birth, date_of_death)', ['date_of_birth:raw', 'date_of_death:raw'], 'computed'],
    ['age_band(coalesce(date_of_birth, date_of_death), 10)', ['date_of_birth:generalised', 'date_of_death:generalised'], 'age_band'],
    ["year(date_of_birth + interval '6 months')", ['date_of_birth:generalised'], 'year'],
    ['year(today() + (date_of_birth - today()) * 365)', ['date_of_birth:raw'], 'computed'],
    ['age_years(date_of_birth + (date_of_birth - today()))', ['date_of_birth:raw', 'date_of_birth:raw'], 'computed'],
    ['postcode_district(upper(postcode))', ['postcode:generalised'], 'postcode_district'],
    ['postcode_district(nhs_number)', ['nhs_number:raw'], 'computed'],
    ["coalesce(pseudonym(nhs_number, 'k'), nhs_number)", ['nhs_number:pseudonymised', 'nhs_number:raw'], 'computed'],
    ["lower(pseudonym(nhs_number, 'k'))", ['nhs_number:pseudonymised'], 'pseudonym'],
    ["year(date_of_birth) + age_years(date_of_birth)", ['date_of_birth:generalised', 'date_of_birth:generalised'], 'computed'],
  ])('%s', (text, expected, transform) => {
    expect(protections(text)).toEqual(expected);
    expect(transformOf(ir(text))).toBe(transform);
  });

  it('follows relations and exists() bodies, with the path to each column', () => {
    expect(protections("exists(observations where lower(patient.given_name) = 'x')")).toEqual(['observations.patient.given_name:raw']);
  });

  it('marks record keys and formats from the catalogue', () => {
    const [key, ods] = columnsRead(ir('patient_id + 0 = 1 and practice_ods = \'A81001\'', 'observation'));
    expect(key).toMatchObject({ column: 'patient_id', recordKey: true });
    expect(ods!.recordKey).toBeUndefined();
    expect(columnsRead(ir('postcode'))[0]).toMatchObject({ format: 'postcode' });
  });
});

describe('the IR carries parsed parameters', () => {
  it('age band width and pseudonym key', () => {
    expect(ir('age_band(date_of_birth, 10)')).toMatchObject({ fn: 'age_band', width: 10 });
    expect(ir('age_band(date_of_birth)')).toMatchObject({ fn: 'age_band', width: 5 });
    expect(ir("pseudonym(nhs_number, 'phm-icb-key')")).toMatchObject({ fn: 'pseudonym', key: 'phm-icb-key' });
  });
});

describe('the walker', () => {
  it('visits parents before children, with ancestors and the relation path', () => {
    const seen: string[] = [];
    walkIr(ir("exists(observations where code in << 73211009 and patient.sex = 'female')"), (node, at) => {
      if (node.kind === 'column') seen.push(`${at.relationPath.join('.')}|${node.column}|${at.ancestors.map((a) => a.kind).join('>')}`);
    });
    expect(seen).toEqual(['observations|code|exists>binary>inCodeSet', 'observations|sex|exists>binary>binary']);
  });

  it('skips a subtree when asked', () => {
    const kinds: string[] = [];
    walkIr(ir('year(date_of_birth) = 1980 and sex = \'male\''), (node) => {
      kinds.push(node.kind);
      return node.kind === 'call' ? 'skip' : undefined;
    });
    expect(kinds).toEqual(['binary', 'binary', 'call', 'literal', 'binary', 'column', 'literal']);
    expect([...walkExpression(ir('year(date_of_birth)'))].map((n) => n.kind)).toEqual(['call', 'column']);
  });

  it('flattens chains of one operator', () => {
    const e = ir("sex = 'a' or (sex = 'b' or sex = 'c') and sex = 'd'");
    expect(chainOperands(e, (n) => n.kind === 'binary' && n.op === 'or')).toHaveLength(2);
  });
});
