import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { referenceCatalogue } from '../../../src/catalogue/load-catalogue.js';
import { parseDefinitionText } from '../../../src/parse/parse-definition.js';
import { checkDefinitionText } from '../../../src/pipeline/check-definition.js';
import { resources } from '../../../src/resources.js';
import { at, endOf, marked } from '../../support/span-markers.js';

/** A valid exdef-language definition with slots for the statements a test breaks. */
function exdef(parts: { extract?: string; governance?: string; population?: string; datasets?: string } = {}): string {
  return [
    parts.extract ?? "EXTRACT span-test VERSION 1 TITLE 'Spans' OWNER 'Example ICB' CONTACT 'ig@example.nhs.uk';",
    parts.governance ?? 'GOVERNANCE USE CASE data_warehouse CARE indirect;',
    parts.population ?? 'POPULATION REGISTRATION permanent DECEASED exclude TYPE1 OPT OUT respect PRACTICES A81001;',
    'MODE full;',
    'SCHEDULE daily WINDOW 01:00-05:00;',
    "OUTPUT CSV DELIMITER ',' QUOTE '\"' HEADER ON LINE ENDING crlf LAYOUT single_zip;",
    parts.datasets ?? "DATASET people AS SELECT sex JUSTIFY 'Prevalence differs by sex.' FROM patient;",
    '',
  ].join('\n');
}

/** A valid YAML definition with slots. */
function yaml(parts: { head?: string; population?: string; datasets?: string } = {}): string {
  return [
    parts.head ??
      ['exdef: 1', 'id: span-test', 'title: Spans', 'version: 1', 'owner:', '  organisation: Example ICB', '  contact: ig@example.nhs.uk', 'use_case: data_warehouse', 'care_type: indirect'].join('\n'),
    parts.population ?? ['population:', '  registration: permanent', '  deceased: exclude', '  type1_opt_out: respect', '  practices: [A81001]'].join('\n'),
    'mode: full',
    'schedule:',
    '  frequency: daily',
    'output:',
    '  csv: { delimiter: ",", quote: \'"\', header: true, line_ending: crlf }',
    '  layout: single_zip',
    parts.datasets ?? ['datasets:', '  - name: people', '    from: patient', '    fields:', '      - name: sex', '        value: sex', '        justification: Prevalence differs by sex.'].join('\n'),
    '',
  ].join('\n');
}

function errorsIn(path: string, source: string) {
  const { text, starts, ends } = marked(source);
  const checked = checkDefinitionText(path, text, { catalogue: referenceCatalogue() });
  const errors = checked.diagnostics.filter((d) => d.severity === 'error');
  return { errors, starts, ends, positions: errors.map(at) };
}

describe('the templates', () => {
  it('are valid in both syntaxes (so every error below is the one planted)', () => {
    expect(errorsIn('t.exdef', exdef()).errors).toEqual([]);
    expect(errorsIn('t.exdef.yaml', yaml()).errors).toEqual([]);
  });
});

describe('exdef language: syntax errors at their places', () => {
  it('recovers and reports several syntax errors in one file, each at the right place', () => {
    const source = exdef({
      extract: "EXTRACT span-test VERSION 1 TITLE 'Spans' OWNER 'Example ICB' CONTACT 'ig@example.nhs.uk'⟦",
      population: 'POPULATION REGISTRATION permanent DECEASED exclude TYPE1 OPT OUT respect PRACTICES A81001 WHERE age_years(date_of_birth) < ⟦;',
      datasets: "DATASET people AS SELECT sex ⟦'no justify keyword' FROM patient;",
    });
    const { errors, starts } = errorsIn('t.exdef', source);
    expect(errors.map((e) => e.code)).toEqual(['syntax-error', 'syntax-error', 'syntax-error']);
    expect(errors.map(at)).toEqual(starts);
    expect(errors[0]!.message).toBe('expected `;` but found `GOVERNANCE` (statements end with ;)');
    expect(errors[1]!.message).toBe('expected a value, a name, a function call or a parenthesised expression but found `;`');
    expect(errors[2]!.message).toMatch(/^expected JUSTIFY but found `'no justify keyword'`/);
  });

  it('names the statements it expects when a statement keyword is misspelt', () => {
    const { errors, starts } = errorsIn('t.exdef', exdef({ governance: '⟦GOVERNACE USE CASE data_warehouse CARE indirect;' }));
    expect(errors.map(at)[0]).toBe(starts[0]);
    expect(errors[0]!.message).toBe('`GOVERNACE` is not an exdef keyword; did you mean GOVERNANCE?');
    expect(errors[0]!.hints).toEqual(['write GOVERNANCE']);
  });

  it('refuses SELECT * with its own message', () => {
    const { errors, starts } = errorsIn('t.exdef', exdef({ datasets: 'DATASET people AS SELECT ⟦* FROM patient;' }));
    expect(errors.map((e) => [e.code, at(e)])).toEqual([['select-star', starts[0]]]);
  });

  it('reports an unexpected character', () => {
    const { errors, starts } = errorsIn('t.exdef', exdef({ datasets: "DATASET people AS SELECT sex JUSTIFY 'x' FROM patient WHERE sex ⟦@ 'female';" }));
    expect(errors[0]!.code).toBe('unexpected-character');
    expect(at(errors[0]!)).toBe(starts[0]);
  });

  it('asks for parentheses when ECL operators are mixed', () => {
    const { errors, starts } = errorsIn(
      't.exdef',
      exdef({ datasets: "DATASET obs AS SELECT code JUSTIFY 'x' FROM observation WHERE code in (<< 73211009 OR << 38341003 ⟦AND << 195967001);" }),
    );
    expect(errors.map((e) => [e.code, at(e)])).toEqual([['ecl-mixed-operators', starts[0]]]);
    expect(errors[0]!.message).toBe('ECL needs parentheses when OR and AND are mixed: write (a OR b) AND c');
  });

  it('reports a duplicated clause at the second one, a kebab name with spaces, and a nameless computed field', () => {
    const { errors, starts } = errorsIn(
      't.exdef',
      exdef({
        extract: "EXTRACT ⟦span - test VERSION 1 TITLE 'Spans' ⟦TITLE 'Again' OWNER 'Example ICB' CONTACT 'ig@example.nhs.uk';",
        datasets: "DATASET people AS SELECT ⟦year(date_of_birth) JUSTIFY 'x' FROM patient;",
      }),
    );
    expect(errors.map((e) => e.code)).toEqual(['spaced-kebab-name', 'duplicate-clause', 'field-needs-name']);
    expect(errors.map(at)).toEqual(starts);
  });

  it('checks date literals', () => {
    const { errors, starts } = errorsIn(
      't.exdef',
      exdef({ datasets: "DATASET people AS SELECT sex JUSTIFY 'x' FROM patient WHERE date_of_birth > ⟦2026-02-30;" }),
    );
    expect(errors.map((e) => [e.code, at(e)])).toEqual([['invalid-date-literal', starts[0]]]);
  });
});

describe('YAML: syntax and schema errors at their places', () => {
  it('reports a YAML syntax error', () => {
    const { errors } = errorsIn('t.exdef.yaml', yaml({ population: 'population:\n  registration: permanent\n   deceased: [exclude\n' }));
    expect(errors[0]!.code).toBe('yaml-syntax');
    expect(errors[0]!.span!.start.line).toBeGreaterThanOrEqual(11);
  });

  it('reports an expression syntax error inside a quoted scalar at its column', () => {
    const source = yaml({
      population: 'population:\n  registration: permanent\n  deceased: exclude\n  type1_opt_out: respect\n  practices: [A81001]\n  where: "age_years(date_of_birth) <⟦ "',
    });
    const { errors, starts } = errorsIn('t.exdef.yaml', source);
    expect(errors.map((e) => [e.code, at(e)])).toEqual([['syntax-error', starts[0]]]);
  });

  it('reports an expression error on the second line of a folded block at its line and column', () => {
    const datasets = [
      'datasets:',
      '  - name: obs',
      '    from: observation',
      '    where: >-',
      '      code in << 73211009 |Diabetes mellitus|',
      '      and ⟦effective_dat⟧ >= today() - interval \'1 year\'',
      '    fields:',
      '      - name: code',
      '        value: code',
      '        justification: The condition.',
    ].join('\n');
    const { errors, starts, ends } = errorsIn('t.exdef.yaml', yaml({ datasets }));
    expect(errors.map((e) => [e.code, at(e), endOf(e)])).toEqual([['unknown-column', starts[0], ends[0]]]);
    expect(errors[0]!.message).toBe('`effective_dat` is not a column of `observation`; did you mean `effective_date`?');
  });

  it('says which enum values are allowed, with a suggestion, at the value', () => {
    const head = yaml().split('\n').slice(0, 9).join('\n').replace('use_case: data_warehouse', 'use_case: ⟦data_warehose⟧');
    const { errors, starts, ends } = errorsIn('t.exdef.yaml', yaml({ head }));
    expect(errors.map((e) => [at(e), endOf(e)])).toEqual([[starts[0], ends[0]]]);
    expect(errors[0]!.message).toBe('`use_case` must be one of targeted_reporting, data_warehouse or direct_care_planning; did you mean data_warehouse?');
  });

  it('reports an unknown key with a suggestion at the key, and a wrong type at the value', () => {
    const head = yaml().split('\n').slice(0, 9).join('\n').replace('version: 1', 'version: ⟦three').replace('title: Spans', '⟦titel: Spans');
    const { errors, starts } = errorsIn('t.exdef.yaml', yaml({ head }));
    expect(errors.map((e) => [e.code, at(e)])).toEqual([
      ['schema-missing-key', '1:1'],
      ['schema-unknown-key', starts[0]],
      ['schema-invalid-value', starts[1]],
    ]);
    expect(errors.map((e) => e.message)).toEqual([
      'the document is missing `title`',
      'unknown key `titel`; did you mean `title`?',
      '`version` must be an integer (found the text "three")',
    ]);
  });

  it('explains a pattern in words', () => {
    const head = yaml().split('\n').slice(0, 9).join('\n').replace('id: span-test', 'id: ⟦Span_Test');
    const { errors, starts } = errorsIn('t.exdef.yaml', yaml({ head }));
    expect(errors.map(at)).toEqual(starts);
    expect(errors[0]!.message).toBe('`id` must be an identifier in kebab-case (lower-case letters and digits joined by hyphens, e.g. chis-immunisations)');
  });

  it('treats a file that is not a map as an error, not a crash', () => {
    expect(parseDefinitionText('t.exdef.yaml', '- just\n- a list\n').diagnostics.map((d) => d.code)).toEqual(['definition-not-a-map']);
    expect(parseDefinitionText('t.exdef.yaml', '').diagnostics.map((d) => d.code)).toEqual(['definition-not-a-map']);
  });
});

describe('resolution errors, in both syntaxes, at their places', () => {
  const cases: { name: string; code: string; message: RegExp; field?: string; where?: string; from?: string }[] = [
    { name: 'unknown column with a suggestion', code: 'unknown-column', message: /^`nhs_numbr` is not a column of `patient`; did you mean `nhs_number`\?$/, field: 'nhs_numbr' },
    { name: 'a column of a related table without its relation', code: 'unknown-column', message: /^`date_of_birth` is not a column of `observation`/, from: 'observation', field: 'date_of_birth' },
    { name: 'year() of text', code: 'wrong-argument-type', message: /^the first argument of `year\(\)` must be a date or a timestamp, not text \(`postcode`\)$/, field: 'year(postcode)' },
    { name: 'a string compared with a code', code: 'type-mismatch', message: /^cannot use `=` on a code \(`code`\) and text$/, from: 'observation', where: "code = 'diabetes'" },
    { name: 'a concept id with a wrong check digit', code: 'invalid-concept-id', message: /^`73211008` is not a valid SNOMED CT concept id: its check digit/, from: 'observation', where: 'code in << 73211008' },
    { name: 'a code set on a text column', code: 'code-set-on-non-code', message: /^a code set \(ECL\) tests a coded column, not text/, from: 'observation', where: 'value_unit in << 73211009' },
    { name: 'a to-many relation in a path', code: 'to-many-relation-in-path', message: /test it with exists\(observations where \.\.\.\)/, field: 'observations.code' },
    { name: 'an unknown function with a suggestion', code: 'unknown-function', message: /did you mean `postcode_district`\?$/, field: 'postcode_distict(postcode)' },
    { name: '= null', code: 'compare-with-null', message: /write `is null`$/, where: 'date_of_death = null' },
    { name: 'a filter that is not true/false', code: 'not-boolean', message: /^the filter of dataset `people` must be true or false, not a whole number/, where: 'age_years(date_of_birth)' },
    { name: 'exists on a to-one relation', code: 'exists-needs-to-many', message: /^exists\(\) tests the related rows of a one-to-many relation; `patient` is not one of `observation`/, from: 'observation', where: 'exists(patient)' },
  ];

  for (const c of cases) {
    it(`${c.name}`, () => {
      const from = c.from ?? 'patient';
      const field = c.field ?? (from === 'patient' ? 'sex' : 'code');
      const exdefText = exdef({
        datasets: `DATASET people AS SELECT ${c.field ? '⟦' : ''}${field} AS f JUSTIFY 'x' FROM ${from}${c.where ? ` WHERE ⟦${c.where}` : ''};`,
      });
      const yamlText = yaml({
        datasets: [
          'datasets:',
          '  - name: people',
          `    from: ${from}`,
          ...(c.where ? [`    where: ⟦${c.where}`] : []),
          '    fields:',
          '      - name: f',
          `        value: ${c.field ? '⟦' : ''}${field}`,
          '        justification: x',
        ].join('\n'),
      });
      for (const [path, source] of [['t.exdef', exdefText], ['t.exdef.yaml', yamlText]] as const) {
        const { errors, starts } = errorsIn(path, source);
        expect(errors.map((e) => e.code), path).toEqual([c.code]);
        expect(errors[0]!.message, path).toMatch(c.message);
        // The error is inside the marked expression (at its start, or at the operator/argument within it).
        const [line, column] = starts[0]!.split(':').map(Number) as [number, number];
        expect(errors[0]!.span!.start.line, path).toBe(line);
        expect(errors[0]!.span!.start.column, path).toBeGreaterThanOrEqual(column);
      }
    });
  }
});

describe('syntax errors at the offending token, with a fix in exdef words (issue 12, item 7)', () => {
  const shipped = (name: string) => readFileSync(join(resources.definitions, name), 'utf8');
  // The warehouse feed as it was with a year of birth (frozen: the shipped one now bands ages).
  const phm = readFileSync(join(resources.definitions, '..', 'test', 'fixtures', 'indirect-base', 'phm-warehouse.exdef'), 'utf8');
  const phmYaml = shipped('phm-warehouse.exdef.yaml');
  const report = (file: string, text: string) =>
    parseDefinitionText(file, text)
      .diagnostics.filter((d) => d.severity === 'error')
      .map((d) => ({ at: `${d.span!.start.line}:${d.span!.start.column}`, code: d.code, message: d.message, hints: d.hints ?? [] }));
  const noLibraryWords = (diagnostics: { message: string; hints: string[] }[]) => {
    for (const d of diagnostics) expect([d.message, ...d.hints].join(' ')).not.toMatch(/Expecting|token of type|--> |<--|NoViableAlt|MismatchedToken/);
  };

  it('a misspelt keyword on its own line is reported at the word, with the keyword meant', () => {
    const text = phm.replace("    JUSTIFY 'Age is the main driver", "    JUSTFY 'Age is the main driver");
    const line = text.split('\n').findIndex((l) => l.startsWith('    JUSTFY')) + 1;
    const found = report('x.exdef', text);
    expect(found).toEqual([{ at: `${line}:5`, code: 'misspelt-keyword', message: '`JUSTFY` is not an exdef keyword; did you mean JUSTIFY?', hints: ['write JUSTIFY'] }]);
    noLibraryWords(found);
  });

  it('a misspelt statement clause and FROM are reported at the word', () => {
    const title = phm.replace('  TITLE ', '  TITEL ');
    expect(report('x.exdef', title).map((d) => [d.at, d.message])).toEqual([['5:3', '`TITEL` is not an exdef keyword; did you mean TITLE?']]);
    const from = phm.replace('\nFROM patient', '\nFORM patient');
    const line = from.split('\n').findIndex((l) => l.startsWith('FORM patient')) + 1;
    expect(report('x.exdef', from).map((d) => [d.at, d.code])).toEqual([[`${line}:1`, 'misspelt-keyword']]);
  });

  it('a missing comma between fields is reported at the next field, once', () => {
    const text = phm.replace("    JUSTIFY 'Links a person''s records across datasets without revealing who they are.',", "    JUSTIFY 'Links a person''s records across datasets without revealing who they are.'");
    const line = text.split('\n').findIndex((l) => l.includes("without revealing who they are.'")) + 2;
    const found = report('x.exdef', text);
    expect(found).toEqual([{ at: `${line}:3`, code: 'syntax-error', message: expect.stringMatching(/^expected `,` before `year`: every field but the last ends with a comma/) as unknown as string, hints: [] }]);
    noLibraryWords(found);
  });

  it("an undoubled quote inside a text says to double it, once, where the text ends early", () => {
    const text = phm.replace("    JUSTIFY 'Age is the main driver of risk stratification.'", "    JUSTIFY 'the patient's age is the main driver of risk stratification.'");
    const line = text.split('\n').findIndex((l) => l.includes("'the patient's age")) + 1;
    const found = report('x.exdef', text);
    expect(found).toEqual([{ at: `${line}:25`, code: 'unescaped-quote', message: "this ' ends the quoted text early: a quote inside a text is written twice ('')", hints: ["double it: 'the patient''s...'"] }]);
  });

  it('YAML: an unclosed [ is reported where it opens', () => {
    const text = phmYaml.replace('practices: [A81001, A81002, A81003]', 'practices: [A81001, A81002, A81003');
    const line = text.split('\n').findIndex((l) => l.includes('practices: [')) + 1;
    expect(report('x.exdef.yaml', text)).toEqual([{ at: `${line}:14`, code: 'yaml-syntax', message: 'YAML syntax error: this [ is never closed', hints: ['end the list with ]'] }]);
  });

  it('YAML: an unclosed quote is reported where it opens', () => {
    const text = phmYaml.replace('dpia: DPIA-2026-031', "dpia: 'DPIA-2026-031");
    const line = text.split('\n').findIndex((l) => l.includes("dpia: '")) + 1;
    const found = report('x.exdef.yaml', text);
    expect(found.map((d) => [d.at, d.message])).toEqual([[`${line}:7`, 'YAML syntax error: this single-quoted text is never closed']]);
    const doubled = report('x.exdef.yaml', phmYaml.replace("quote: '\"'", 'quote: "\'\n'));
    expect(doubled.map((d) => d.message)).toEqual(['YAML syntax error: this double-quoted text is never closed']);
  });
});
