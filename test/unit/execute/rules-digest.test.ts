/**
 * The manifest names the catalogue and policy a run's guards were built from by a digest of their
 * meaning: a provider catalogue that renames the Type 1 opt-out value or drops a tombstone, or a
 * stricter policy, changes it; the same rules written another way (comments, order) do not.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCatalogue, referenceCatalogue } from '../../../src/catalogue/load-catalogue.js';
import { rulesUsed } from '../../../src/execute/run/rules-digest.js';
import { loadPolicy } from '../../../src/policy/policy.js';
import { ruleCatalogue } from '../../../src/pipeline/lint-definition.js';
import { resources } from '../../../src/resources.js';

const policy = loadPolicy(ruleCatalogue).policy!;
const reference = readFileSync(resources.referenceCatalogue, 'utf8');
const catalogueOf = (text: string) => {
  const result = parseCatalogue('provider.catalogue.yaml', text);
  expect(result.diagnostics).toEqual([]);
  return result.catalogue!;
};

describe('the rules a run records in its manifest', () => {
  const base = rulesUsed(referenceCatalogue(), policy);

  it('names the reference catalogue and the IM1 policy by a sha256 of their meaning', () => {
    expect(base.catalogue.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(base.policy.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(rulesUsed(catalogueOf(`# a provider's copy\n${reference.replace(/\n\n/g, '\n')}`), policy)).toEqual(base);
  });

  it.each([
    ['the Type 1 opt-out value renamed', (t: string) => t.replace(/type1_value: type1/, 'type1_value: t1')],
    ['a tombstone dropped', (t: string) => t.replace(/(  observation:\n(?:.*\n)*?)    tombstone: deleted_at\n/, '$1')],
  ])('changes with the catalogue: %s', (_name, change) => {
    const changed = change(reference);
    expect(changed).not.toBe(reference);
    expect(rulesUsed(catalogueOf(changed), policy).catalogue.digest).not.toBe(base.catalogue.digest);
  });
});
