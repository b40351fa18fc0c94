import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { referenceCatalogue } from '../../../src/catalogue/load-catalogue.js';
import { parseDefinitionText } from '../../../src/parse/parse-definition.js';
import { MAX_QUOTED_LENGTH } from '../../../src/parse/syntax-errors.js';
import { checkDefinitionText } from '../../../src/pipeline/check-definition.js';
import { resources } from '../../../src/resources.js';

const shipped = (name: string) => readFileSync(join(resources.definitions, name), 'utf8');
const phm = shipped('phm-warehouse.exdef');
const phmYaml = shipped('phm-warehouse.exdef.yaml');

/** The errors of a definition as lint reports them: line:col, code, message, hints. */
function errors(file: string, text: string) {
  return checkDefinitionText(file, text, { catalogue: referenceCatalogue() })
    .diagnostics.filter((d) => d.severity === 'error')
    .map((d) => ({ at: `${d.span!.start.line}:${d.span!.start.column}`, code: d.code, message: d.message, hints: d.hints ?? [] }));
}

/** line:col of the first occurrence of `needle` in `text`. */
function at(text: string, needle: string): string {
  const offset = text.indexOf(needle);
  expect(offset).toBeGreaterThanOrEqual(0);
  const before = text.slice(0, offset).split('\n');
  return `${before.length}:${before[before.length - 1]!.length + 1}`;
}

const TEN_MB = 10_000_000;
const AGE = "'Age is the main driver of risk stratification.'";

describe('the length of one quoted text or name is limited, with an error at its start (not a crash)', () => {
  it('a 10 MB JUSTIFY text is one error at its opening quote, saying the limit', () => {
    const text = phm.replace(AGE, `'${'x'.repeat(TEN_MB)}'`);
    const started = Date.now();
    const found = errors('x.exdef', text);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(found).toEqual([
      {
        at: at(phm, AGE),
        code: 'too-long',
        message: 'this quoted text is too long: 10,000,000 characters, more than the limit of 1,000,000',
        hints: ['shorten it: no text in a definition needs more than 1,000,000 characters'],
      },
    ]);
    expect(parseDefinitionText('x.exdef', text).document).toBeUndefined();
  });

  it('the limit is the language’s: a text of exactly the limit is read, one character more is an error', () => {
    const atLimit = parseDefinitionText('x.exdef', phm.replace(AGE, `'${'y'.repeat(MAX_QUOTED_LENGTH)}'`));
    expect(atLimit.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const fields = (atLimit.document!['datasets'] as { fields: { justification: string }[] }[])[0]!.fields;
    expect(fields.some((f) => f.justification.length === MAX_QUOTED_LENGTH)).toBe(true);
    const over = parseDefinitionText('x.exdef', phm.replace(AGE, `'${'y'.repeat(MAX_QUOTED_LENGTH + 1)}'`));
    expect(over.diagnostics.map((d) => d.code)).toEqual(['too-long']);
  });

  it('doubled quotes count as written, and a long text made of them is an error too', () => {
    const text = phm.replace(AGE, `'${"''".repeat(TEN_MB / 2)}'`);
    expect(errors('x.exdef', text).map((d) => [d.at, d.code])).toEqual([[at(phm, AGE), 'too-long']]);
  });

  it('an unclosed quote with 10 MB after it says it is never closed, at the quote', () => {
    // No quote after it: the lexer would read to the end of the file looking for one.
    const text = `${phm}\nDATASET more AS SELECT sex JUSTIFY 'Why ${'x'.repeat(TEN_MB)}`;
    expect(errors('x.exdef', text)).toEqual([
      {
        at: at(text, "'Why "),
        code: 'too-long',
        message: 'this quoted text is never closed: it runs on to the end of the file, more than the limit of 1,000,000 characters',
        hints: ["end the text with '"],
      },
    ]);
  });

  it('a 10 MB quoted name is one error at its opening quote', () => {
    const text = phm.replace('AS age_band', `AS "${'n'.repeat(TEN_MB)}"`);
    expect(errors('x.exdef', text).map((d) => [d.at, d.code, d.message])).toEqual([
      [at(phm, 'AS age_band').replace(/:(\d+)$/, (_, c: string) => `:${Number(c) + 3}`), 'too-long', 'this quoted name is too long: 10,000,000 characters, more than the limit of 1,000,000'],
    ]);
  });

  it('10 MB comments, identifiers and |terms| do not crash the lexer, and quotes inside comments start nothing', () => {
    const line = phm.replace('\nDATASET long_term', `\n-- it's ${'x'.repeat(TEN_MB)}\nDATASET long_term`);
    expect(errors('x.exdef', line)).toEqual([]);
    const block = phm.replace('\nDATASET long_term', `\n/* it's ${'x'.repeat(TEN_MB)} */\nDATASET long_term`);
    expect(errors('x.exdef', block)).toEqual([]);
    const term = phm.replace('|Asthma|', `|it's ${'x'.repeat(TEN_MB)}|`);
    expect(errors('x.exdef', term)).toEqual([]);
    // A long name is lexed and then reported as a bad name by the checks, not by the limit.
    const name = parseDefinitionText('x.exdef', phm.replace('AS age_band', `AS a${'x'.repeat(TEN_MB)}`));
    expect(name.diagnostics.map((d) => d.code)).not.toContain('too-long');
    const unclosedComment = parseDefinitionText('x.exdef', `${phm}\n/* ${'x'.repeat(TEN_MB)}`);
    expect(unclosedComment.diagnostics.map((d) => d.code)).not.toContain('too-long');
  });

  it('YAML: a 10 MB text in an expression is the same error, at its quote', () => {
    const where = "where: sex in ('male', 'female')";
    const text = phmYaml.replace(where, `where: sex in ('${'x'.repeat(TEN_MB)}', 'female')`);
    const found = errors('x.exdef.yaml', text);
    expect(found.map((d) => [d.at, d.code])).toEqual([[at(phmYaml, "'male'"), 'too-long']]);
  });

  it('an undoubled quote in a long text shows only the end of the text in its hint', () => {
    const long = 'a'.repeat(5000);
    const text = phm.replace(AGE, `'${long} the patient's age'`);
    const found = errors('x.exdef', text);
    expect(found.map((d) => [d.code, d.hints])).toEqual([['unescaped-quote', [`double it: '...${'a'.repeat(18)} the patient''s...'`]]]);
  });
});

describe('a missing comma before a field named like a keyword is a missing comma', () => {
  const lines = phm.split('\n');
  const line51 = lines[50]!;
  it('(the shipped line 51 ends a field, and line 52 is `code AS condition_code`)', () => {
    expect(line51).toMatch(/JUSTIFY '.*',$/);
    expect(lines[51]).toBe('  code AS condition_code');
  });
  const withoutComma = [...lines.slice(0, 50), line51.replace(/,$/, ''), ...lines.slice(51)].join('\n');

  it('line 51 without its comma: one error at `code`, saying the comma is missing', () => {
    expect(errors('x.exdef', withoutComma)).toEqual([
      {
        at: '52:3',
        code: 'syntax-error',
        message: 'expected `,` before `code`: every field but the last ends with a comma (or FROM, after the last field)',
        hints: [],
      },
    ]);
  });

  it('the same for a field without AS, and for the last field before FROM', () => {
    const noAlias = withoutComma.replace('  code AS condition_code\n', '  code\n');
    expect(errors('x.exdef', noAlias).map((d) => [d.at, d.message.slice(0, 28)])).toEqual([['52:3', 'expected `,` before `code`: ']]);
    // The last field of the dataset, its comma dropped and the next field named like a keyword.
    const last = phm.replace(
      "    JUSTIFY 'Identifies the long-term condition.',\n  month(effective_date) AS diagnosis_month",
      "    JUSTIFY 'Identifies the long-term condition.'\n  mnth(effective_date) AS diagnosis_month",
    );
    expect(last).not.toBe(phm);
    expect(errors('x.exdef', last).map((d) => [d.at, d.code, d.message.slice(0, 28)])).toEqual([['54:3', 'syntax-error', 'expected `,` before `mnth`: ']]);
  });

  it('a misspelt keyword at the start of a clause keeps its "did you mean"', () => {
    const from = phm.replace('\nFROM observation', '\nFORM observation');
    expect(errors('x.exdef', from)).toEqual([
      { at: at(from, 'FORM observation'), code: 'misspelt-keyword', message: '`FORM` is not an exdef keyword; did you mean FROM?', hints: ['write FROM'] },
    ]);
    const justify = phm.replace("    JUSTIFY 'Identifies the long-term condition.'", "    JUSTIFIY 'Identifies the long-term condition.'");
    expect(errors('x.exdef', justify)).toEqual([
      { at: '53:5', code: 'misspelt-keyword', message: '`JUSTIFIY` is not an exdef keyword; did you mean JUSTIFY?', hints: ['write JUSTIFY'] },
    ]);
    // FROM misspelt right after the last field's text: `FORM observation JOIN ...` does not read as a field.
    const fromAfterText = phm.replace("diagnosis_month\n    JUSTIFY 'Duration of a condition affects risk; the month is precise enough.'\nFROM", "diagnosis_month\n    JUSTIFY 'Duration of a condition affects risk; the month is precise enough.'\nFORM");
    expect(fromAfterText).not.toBe(phm);
    expect(errors('x.exdef', fromAfterText).map((d) => [d.code, d.message])).toEqual([['misspelt-keyword', '`FORM` is not an exdef keyword; did you mean FROM?']]);
  });
});
