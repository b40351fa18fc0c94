/**
 * population.on_leave (issue 13): what a delta tells the recipient about a patient who leaves the
 * population, in both syntaxes, through convert, the IR, the report and the diff; it is not part
 * of the data fingerprint (a delta run compares with what the recipient holds, so a change takes
 * effect without a new baseline).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { referenceCatalogue } from '../../../src/catalogue/load-catalogue.js';
import { diffDefinitions } from '../../../src/diff/semantic-diff.js';
import { fingerprint } from '../../../src/ir/fingerprint.js';
import { checkDefinitionText } from '../../../src/pipeline/check-definition.js';
import { parseDefinitionText } from '../../../src/parse/parse-definition.js';
import { printExdef } from '../../../src/print/print-exdef.js';
import { populationChoices } from '../../../src/report/describe-population.js';
import { resources } from '../../../src/resources.js';

const catalogue = referenceCatalogue();
const CHIS = readFileSync(join(resources.definitions, 'chis-immunisations.exdef.yaml'), 'utf8');
const withLeave = (value: string) => CHIS.replace('on_opt_back_in: no_backfill', `on_opt_back_in: no_backfill\n  on_leave: ${value}`);

function resolve(text: string, path: string) {
  const checked = checkDefinitionText(path, text, { catalogue });
  expect(checked.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message)).toEqual([]);
  return checked.definition!;
}

describe('population.on_leave', () => {
  it('defaults to delete, and keep is read from YAML', () => {
    expect(resolve(CHIS, 'chis.exdef.yaml').population.onLeave).toBe('delete');
    expect(resolve(withLeave('keep'), 'chis.exdef.yaml').population.onLeave).toBe('keep');
  });

  it('is ON LEAVE in the exdef language, and converts both ways without loss', () => {
    const parsed = parseDefinitionText('chis.exdef.yaml', withLeave('keep'));
    const exdef = printExdef({ ...parsed, document: parsed.document! });
    expect(exdef).toMatch(/\n  ON LEAVE keep\n/);
    const back = resolve(exdef, 'chis.exdef');
    expect(back.population.onLeave).toBe('keep');
    expect(fingerprint(back)).toBe(fingerprint(resolve(withLeave('keep'), 'chis.exdef.yaml')));
  });

  it('an unknown value is an error at its position', () => {
    const checked = checkDefinitionText('chis.exdef.yaml', withLeave('forget'), { catalogue });
    const error = checked.diagnostics.find((d) => d.severity === 'error');
    expect(error?.span?.start.line).toBe(CHIS.slice(0, CHIS.indexOf('on_opt_back_in')).split('\n').length + 1);
  });

  it('the report says what happens to a leaver; the diff calls keep a widening for review, and the fingerprint does not change', () => {
    const keep = resolve(withLeave('keep'), 'chis.exdef.yaml');
    const del = resolve(CHIS, 'chis.exdef.yaml');
    expect(populationChoices(keep).find((c) => c.topic === 'Patients who leave the population')).toMatchObject({ choice: expect.stringMatching(/keeps their rows/), departsFromDefault: true });
    expect(populationChoices(del).find((c) => c.topic === 'Patients who leave the population')).toMatchObject({ choice: expect.stringMatching(/told to delete/), departsFromDefault: false });
    expect(fingerprint(keep)).toBe(fingerprint(del));
    const changes = diffDefinitions(del, keep).changes.filter((c) => c.path === 'population.on_leave');
    expect(changes.map((c) => c.kind)).toEqual(['population-widened']);
  });
});
