import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { referenceCatalogue } from '../../../src/catalogue/load-catalogue.js';
import type { ExtractDefinition } from '../../../src/ir/extract-definition.js';
import { canonicalDefinition, fingerprint } from '../../../src/ir/fingerprint.js';
import { checkDefinitionText } from '../../../src/pipeline/check-definition.js';
import { resources } from '../../../src/resources.js';
import { INDIRECT_BASE } from '../../support/rule-tester.js';

const catalogue = referenceCatalogue();
const read = (name: string) => readFileSync(join(resources.definitions, name), 'utf8');

function resolve(path: string, text: string): ExtractDefinition {
  const checked = checkDefinitionText(path, text, { catalogue });
  expect(checked.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message)).toEqual([]);
  return checked.definition!;
}

describe('the resolved IR', () => {
  const chis = resolve('chis.exdef.yaml', read('chis-immunisations.exdef.yaml'));

  it('is plain data that survives JSON', () => {
    expect(JSON.parse(JSON.stringify(chis))).toEqual(chis);
  });

  it('types the population filter on the patient table', () => {
    expect(chis.population.where).toMatchObject({
      kind: 'binary',
      op: '<',
      type: 'boolean',
      left: { kind: 'call', fn: 'age_years', type: 'integer', args: [{ kind: 'column', table: 'patient', column: 'date_of_birth', classification: 'quasi_identifier', path: [] }] },
      right: { kind: 'literal', type: 'integer', value: '20' },
    });
  });

  it('resolves relation paths, classifications and transforms of fields', () => {
    const [children, immunisations] = chis.datasets;
    expect(children!.fields.map((f) => [f.name, f.transform, f.sourceClassification, f.type])).toEqual([
      ['nhs_number', 'none', 'direct_identifier', 'text'],
      ['birth_month', 'month', 'quasi_identifier', 'date'],
      ['practice', 'none', 'administrative', 'text'],
    ]);
    expect(children!.fields[2]!.sources).toEqual([{ path: ['current_registration'], table: 'registration', column: 'practice_ods', classification: 'administrative' }]);
    expect(immunisations!.fields[0]!.sources).toEqual([{ path: ['patient'], table: 'patient', column: 'nhs_number', classification: 'direct_identifier', format: 'nhs_number' }]);
    expect(immunisations!.where).toMatchObject({ kind: 'inCodeSet', operand: { column: 'code', codeSystem: 'snomed' }, codeSet: { kind: 'descendantOrSelf', operand: { kind: 'concept', id: '33879002' } } });
  });

  it('resolves exists(table ...) to the one-to-many relation that leads there', () => {
    const recall = resolve('recall.exdef.yaml', read('diabetes-recall.exdef.yaml'));
    expect(recall.datasets[0]!.where).toMatchObject({
      kind: 'binary',
      op: 'and',
      left: { kind: 'exists', relation: [{ relation: 'observations', from: 'patient', to: 'observation', cardinality: 'many' }], table: 'observation' },
      right: { kind: 'not', operand: { kind: 'exists', where: { kind: 'binary', op: 'and' } } },
    });
  });

  it('fills defaults: the National Data Opt-out applies to indirect care only', () => {
    expect(chis.population.nationalDataOptOut).toBe('not_applicable');
    expect(resolve('phm.exdef.yaml', readFileSync(INDIRECT_BASE.yaml, 'utf8')).population.nationalDataOptOut).toBe('respect');
    expect(chis.population.onOptBackIn).toBe('no_backfill');
  });

  it('is the same from either syntax', () => {
    for (const name of ['chis-immunisations', 'diabetes-recall', 'phm-warehouse']) {
      const fromYaml = resolve(`${name}.exdef.yaml`, read(`${name}.exdef.yaml`));
      const fromExdef = resolve(`${name}.exdef`, read(`${name}.exdef`));
      expect(canonicalDefinition(fromExdef), name).toEqual(canonicalDefinition(fromYaml));
      expect(fingerprint(fromExdef), name).toBe(fingerprint(fromYaml));
    }
  });
});

describe('the fingerprint', () => {
  const text = readFileSync(INDIRECT_BASE.yaml, 'utf8');
  const base = fingerprint(resolve('a.exdef.yaml', text));
  const changed = (from: string, to: string) => {
    const next = text.replace(from, to);
    expect(next, from).not.toBe(text);
    return fingerprint(resolve('b.exdef.yaml', next));
  };

  it('ignores comments, formatting, key order and ECL terms', () => {
    expect(changed('mode: full', '# full extract every week\nmode:    full')).toBe(base);
    expect(changed('|Blood pressure|', '|BP (any)|')).toBe(base);
    expect(changed('    from: patient\n', '    from:    patient   \n')).toBe(base);
    const reordered = text.replace('mode: full\n', '').replace('exdef: 1\n', 'exdef: 1\nmode: full\n');
    expect(fingerprint(resolve('c.exdef.yaml', reordered))).toBe(base);
  });

  it('ignores what does not change the data: governance texts, justifications, version, schedule', () => {
    expect(changed('version: 1', 'version: 2')).toBe(base);
    expect(changed('justification: Age is the main driver of risk stratification.', 'justification: Age drives the risk models.')).toBe(base);
    expect(changed('dpia: DPIA-2026-031', 'dpia: DPIA-2026-099')).toBe(base);
    expect(changed('frequency: weekly', 'frequency: daily')).toBe(base);
  });

  it('changes with any change to the data: fields, filters, population, mode, exemptions', () => {
    const variants = [
      changed('value: year(date_of_birth)', 'value: month(date_of_birth)'),
      changed("interval '2 years'", "interval '3 years'"),
      changed('practices: [A81001, A81002, A81003]', 'practices: [A81001, A81002]'),
      changed('deceased: exclude', 'deceased: include\n  deceased_justification: Mortality analysis of the cohort.'),
      changed('mode: full', 'mode: delta'),
      changed('      - name: sex\n        value: sex', '      - name: gender\n        value: sex'),
      changed('datasets:\n', 'exemptions:\n  - rule: sensitive-codes\n    code_set: hiv_sti\n    datasets: [blood_pressure]\n    justification: y\ndatasets:\n'),
      // The scope is part of the meaning: the same exemption in another dataset releases other rows.
      changed('datasets:\n', 'exemptions:\n  - rule: sensitive-codes\n    code_set: hiv_sti\n    datasets: [long_term_conditions]\n    justification: y\ndatasets:\n'),
    ];
    for (const variant of variants) expect(variant).not.toBe(base);
    expect(new Set(variants).size).toBe(variants.length);
  });
});

describe('an exemption in the old shape', () => {
  it('a legal basis written as text is refused at its place, with the shape to write', () => {
    const text = readFileSync(INDIRECT_BASE.yaml, 'utf8').replace('\ndatasets:\n', '\nexemptions:\n  - rule: sensitive-codes\n    code_set: hiv_sti\n    legal_basis: n/a\ndatasets:\n');
    const errors = checkDefinitionText('e.exdef.yaml', text, { catalogue }).diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => [d.code, d.message, `${d.span?.start.line}:${d.span?.start.column}`])).toEqual([
      ['schema-invalid-value', '`exemptions[0].legal_basis` must be a map (found the text "n/a")', '54:18'],
    ]);
    expect(errors[0]!.hints).toEqual([expect.stringMatching(/^write the legal basis as a map: article_6/)]);
  });
});

describe('values the SQL could not take are refused at resolve time', () => {
  const text = readFileSync(INDIRECT_BASE.yaml, 'utf8');
  /** The error diagnostics of phm-warehouse with one edit, as code and line:col. */
  const errorsAfter = (from: string, to: string) => {
    const next = text.replace(from, to);
    expect(next, from).not.toBe(text);
    return checkDefinitionText('e.exdef.yaml', next, { catalogue })
      .diagnostics.filter((d) => d.severity === 'error')
      .map((d) => ({ code: d.code, message: d.message, at: `${d.span?.start.line}:${d.span?.start.column}` }));
  };

  it('a NUL character in a text literal', () => {
    const errors = errorsAfter("value: pseudonym(nhs_number, 'phm-icb-key')", "value: \"coalesce(sex, 'a\\0b')\"");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'nul-in-text', message: expect.stringMatching(/NUL character/) });
  });

  it('an age band width, decimal places or key name out of range', () => {
    expect(errorsAfter('value: year(date_of_birth)', 'value: age_band(date_of_birth, 0)')[0]).toMatchObject({ code: 'argument-out-of-range', message: expect.stringMatching(/band width from 1 to 90 years, not 0/) });
    expect(errorsAfter('value: year(date_of_birth)', 'value: age_band(date_of_birth, 91)')[0]?.code).toBe('argument-out-of-range');
    expect(errorsAfter('value: value_numeric', 'value: round(value_numeric, 11)')[0]).toMatchObject({ code: 'argument-out-of-range', message: expect.stringMatching(/decimal places from 0 to 10/) });
    expect(errorsAfter("pseudonym(nhs_number, 'phm-icb-key')", "pseudonym(nhs_number, 'bad key!')")[0]).toMatchObject({ code: 'argument-out-of-range', message: expect.stringMatching(/key name of letters, digits/) });
    expect(errorsAfter('value: year(date_of_birth)', 'value: age_band(date_of_birth, 90)')).toEqual([]);
  });

  it('in delta mode, a field named like a column exdef adds', () => {
    const errors = errorsAfter('mode: full', 'mode: delta').concat();
    expect(errors).toEqual([]);
    const renamed = text.replace('mode: full', 'mode: delta').replace('- name: sex', '- name: record_id');
    const found = checkDefinitionText('e.exdef.yaml', renamed, { catalogue }).diagnostics.filter((d) => d.severity === 'error');
    expect(found.map((d) => d.code)).toEqual(['reserved-field-name']);
    expect(found[0]!.message).toMatch(/in delta mode exdef adds a column called `record_id`/);
  });
});
