import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { parseCatalogue } from '../../../src/catalogue/load-catalogue.js';
import { checkDefinitionText } from '../../../src/pipeline/check-definition.js';
import { referenceCatalogue } from '../../../src/catalogue/load-catalogue.js';
import { resources } from '../../../src/resources.js';
import { createAjv, precompiledValidatorPath, schemaDigest, validatorFor } from '../../../src/source/schema-validation.js';

const require = createRequire(import.meta.url);

/** npm test builds first; these check what the build generated against its sources. */
describe('build assets (dist/assets)', () => {
  it('exist after the build', () => {
    expect(existsSync(join(resources.compiledAssets, 'reference-catalogue.json')), 'run npm run build').toBe(true);
  });

  it('the prebuilt reference catalogue is exactly the parsed YAML', () => {
    const asset = JSON.parse(readFileSync(join(resources.compiledAssets, 'reference-catalogue.json'), 'utf8')) as { catalogue: unknown };
    const parsed = parseCatalogue('reference.catalogue.yaml', readFileSync(resources.referenceCatalogue, 'utf8'));
    expect(asset.catalogue).toEqual(JSON.parse(JSON.stringify(parsed.catalogue)));
  });

  it.each([resources.definitionSchema, resources.catalogueSchema])('the standalone validator of %s matches its schema and reports as the compiled one', (schemaPath) => {
    const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as { $id: string };
    const path = precompiledValidatorPath(schema)!;
    expect(existsSync(path)).toBe(true);
    expect((require(path) as { schemaDigest: string }).schemaDigest).toBe(schemaDigest(schema));
    const compiled = createAjv().compile(schema);
    const standalone = validatorFor(schema);
    expect(standalone).not.toBe(compiled);
    for (const value of [{}, { exdef: 2, id: 'Bad Id', use_case: 'data_warehose' }, { tables: { x: { columns: {} } } }]) {
      compiled(value);
      standalone(value);
      expect(standalone.errors).toEqual(compiled.errors);
    }
  });

  it('a definition checked with the precompiled validator gets the plain-English messages', () => {
    const text = readFileSync(join(resources.definitions, 'phm-warehouse.exdef.yaml'), 'utf8').replace('mode: full', 'mode: fulll');
    const { diagnostics } = checkDefinitionText('x.exdef.yaml', text, { catalogue: referenceCatalogue() });
    expect(diagnostics.map((d) => d.message)).toEqual(['`mode` must be one of full or delta; did you mean full?']);
  });
});
