/**
 * output.compression (issue 15): how hard the ZIP is deflated, in both syntaxes, through convert,
 * the IR, the report and the diff. It is neither in the data fingerprint nor, when not written,
 * in the digest: it changes how the same CSV bytes are packed, never what the recipient unzips.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { referenceCatalogue } from '../../../src/catalogue/load-catalogue.js';
import { diffDefinitions } from '../../../src/diff/semantic-diff.js';
import { definitionDigest, fingerprint } from '../../../src/ir/fingerprint.js';
import { parseDefinitionText } from '../../../src/parse/parse-definition.js';
import { checkDefinitionText } from '../../../src/pipeline/check-definition.js';
import { printExdef } from '../../../src/print/print-exdef.js';
import { reviewDefinitionFile } from '../../../src/report/review-definition.js';
import { resources } from '../../../src/resources.js';
import { lintContext } from '../../support/compile.js';

const catalogue = referenceCatalogue();
const CHIS = readFileSync(join(resources.definitions, 'chis-immunisations.exdef.yaml'), 'utf8');
const withCompression = (value: string) => CHIS.replace('  layout: single_zip\n', `  layout: single_zip\n  compression: ${value}\n`);

function resolve(text: string, path: string) {
  const checked = checkDefinitionText(path, text, { catalogue });
  expect(checked.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message)).toEqual([]);
  return checked.definition!;
}

const work = mkdtempSync(join(tmpdir(), 'exdef-compression-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('output.compression', () => {
  it('is absent unless written (the run then deflates fast), and each value is read from YAML', () => {
    expect(withCompression('best')).not.toBe(CHIS);
    expect(resolve(CHIS, 'chis.exdef.yaml').output.compression).toBeUndefined();
    for (const value of ['fast', 'default', 'best', 'store'] as const) expect(resolve(withCompression(value), 'chis.exdef.yaml').output.compression).toBe(value);
  });

  it('is COMPRESSION in the exdef language, and converts both ways without loss', () => {
    const parsed = parseDefinitionText('chis.exdef.yaml', withCompression('store'));
    const exdef = printExdef({ ...parsed, document: parsed.document! });
    expect(exdef).toMatch(/\n {2}LAYOUT single_zip\n {2}COMPRESSION store[;\n]/);
    const back = resolve(exdef, 'chis.exdef');
    expect(back.output.compression).toBe('store');
    expect(definitionDigest(back)).toBe(definitionDigest(resolve(withCompression('store'), 'chis.exdef.yaml')));
    // Without it, the printed definition has no COMPRESSION clause.
    const plain = parseDefinitionText('chis.exdef.yaml', CHIS);
    expect(printExdef({ ...plain, document: plain.document! })).not.toMatch(/COMPRESSION/);
  });

  it('an unknown value is an error at its position, in both syntaxes', () => {
    const yaml = checkDefinitionText('chis.exdef.yaml', withCompression('maximum'), { catalogue });
    const error = yaml.diagnostics.find((d) => d.severity === 'error');
    expect(error?.span?.start.line).toBe(withCompression('maximum').split('\n').findIndex((line) => line.includes('compression: maximum')) + 1);
    const parsed = parseDefinitionText('chis.exdef.yaml', withCompression('store'));
    const exdef = printExdef({ ...parsed, document: parsed.document! }).replace('COMPRESSION store', 'COMPRESSION maximum');
    const checked = checkDefinitionText('chis.exdef', exdef, { catalogue });
    const exdefError = checked.diagnostics.find((d) => d.severity === 'error');
    expect(exdefError?.span?.start.line).toBe(exdef.split('\n').findIndex((line) => line.includes('COMPRESSION maximum')) + 1);
  });

  it('leaves the fingerprint alone, and the digest of a definition that does not write it', () => {
    const plain = resolve(CHIS, 'chis.exdef.yaml');
    const best = resolve(withCompression('best'), 'chis.exdef.yaml');
    expect(fingerprint(best)).toBe(fingerprint(plain));
    expect(definitionDigest(best)).not.toBe(definitionDigest(plain));
    const { output, ...rest } = plain;
    expect(definitionDigest({ ...rest, output: { ...output } })).toBe(definitionDigest(plain));
  });

  it('the diff names a change as output only; the report says the level', async () => {
    const plain = resolve(CHIS, 'chis.exdef.yaml');
    const store = resolve(withCompression('store'), 'chis.exdef.yaml');
    const changes = diffDefinitions(plain, store).changes.filter((c) => c.path === 'output.compression');
    expect(changes.map((c) => c.kind)).toEqual(['output-changed']);
    expect(changes[0]).toMatchObject({ class: 'no-effect', changesFingerprint: false, before: 'fast', after: 'store' });
    const file = join(work, 'chis.exdef.yaml');
    writeFileSync(file, withCompression('best'));
    const outcome = await reviewDefinitionFile(file, { context: await lintContext() });
    if ('unusable' in outcome) throw new Error('unusable');
    expect(outcome.report.governance.find((g) => g.label === 'Compression')?.value).toMatch(/^best: deflated at zlib level 9/);
    writeFileSync(file, CHIS);
    const plainOutcome = await reviewDefinitionFile(file, { context: await lintContext() });
    if ('unusable' in plainOutcome) throw new Error('unusable');
    expect(plainOutcome.report.governance.find((g) => g.label === 'Compression')?.value).toMatch(/^fast: .*\(the default\)/);
  });
});
