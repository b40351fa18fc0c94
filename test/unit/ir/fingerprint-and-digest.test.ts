import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { referenceCatalogue } from '../../../src/catalogue/load-catalogue.js';
import { definitionDigest, fingerprint, fingerprintAndDigest } from '../../../src/ir/fingerprint.js';
import { checkDefinitionText } from '../../../src/pipeline/check-definition.js';

const dir = join(import.meta.dirname, '../../../definitions');
const files = readdirSync(dir).filter((f) => f.endsWith('.exdef.yaml') || f.endsWith('.exdef'));

describe('fingerprintAndDigest (the compiler computes both at once)', () => {
  const catalogue = referenceCatalogue();
  it.each(files)('%s: the same hashes as fingerprint() and definitionDigest()', (file) => {
    const definition = checkDefinitionText(file, readFileSync(join(dir, file), 'utf8'), { catalogue }).definition!;
    expect(definition).toBeDefined();
    expect(fingerprintAndDigest(definition)).toEqual({ fingerprint: fingerprint(definition), digest: definitionDigest(definition) });
  });

  it('a change to a justification moves the digest, not the fingerprint; a change to a filter moves both', () => {
    const file = files.find((f) => f.endsWith('.exdef.yaml'))!;
    const definition = checkDefinitionText(file, readFileSync(join(dir, file), 'utf8'), { catalogue }).definition!;
    const before = fingerprintAndDigest(definition);
    const field = definition.datasets[0]!.fields[0]!;
    const justified = { ...definition, datasets: [{ ...definition.datasets[0]!, fields: [{ ...field, justification: `${field.justification} Also audited.` }, ...definition.datasets[0]!.fields.slice(1)] }, ...definition.datasets.slice(1)] };
    const after = fingerprintAndDigest(justified);
    expect(after.fingerprint).toBe(before.fingerprint);
    expect(after.digest).not.toBe(before.digest);
    const renamed = { ...definition, datasets: [{ ...definition.datasets[0]!, table: `${definition.datasets[0]!.table}_x` }, ...definition.datasets.slice(1)] };
    const moved = fingerprintAndDigest(renamed);
    expect(moved.fingerprint).not.toBe(before.fingerprint);
    expect(moved.digest).not.toBe(before.digest);
  });
});
