import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { referenceCatalogue } from '../../../src/catalogue/load-catalogue.js';
import { compileDefinitionFile } from '../../../src/pipeline/compile-definition.js';
import { prepareLint } from '../../../src/pipeline/lint-definition.js';

// An exemption releasing hiv_sti into one dataset, expiring on 2026-11-30.
const file = join(import.meta.dirname, '../../fixtures/exemptions/expires-2026-11-30.exdef.yaml');

async function compileOn(today: string, exemptionDate?: string) {
  const { context } = await prepareLint({ catalogue: referenceCatalogue(), today });
  return compileDefinitionFile(file, { ...context!, ...(exemptionDate ? { exemptionDate } : {}) });
}

describe('an exemption expires by the clock, whatever --today says', () => {
  it('releases its set while it is in force', async () => {
    const compiled = await compileOn('2026-11-21', '2026-11-21');
    expect(compiled.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(compiled.plan?.guards.released.map((r) => r.set)).toEqual(['hiv_sti']);
  });

  it('a run on 2026-12-02 with --today 2026-11-21 finds it expired: lint errors, no plan', async () => {
    const compiled = await compileOn('2026-11-21', '2026-12-02');
    const errors = compiled.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code}: ${d.message}`);
    expect(errors).toContainEqual(expect.stringMatching(/^exemption-valid: .*expired on 2026-11-30/));
    expect(errors).toContainEqual(expect.stringMatching(/^sensitive-codes: /));
    expect(compiled.plan).toBeUndefined();
  });

  it('a clock before --today changes nothing: the later date counts', async () => {
    const compiled = await compileOn('2026-12-02', '2026-11-21');
    expect(compiled.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code)).toContain('exemption-valid');
  });
});

describe('a release inside datasets linked by a pseudonym', () => {
  it('compiles: the linked k query carries each member dataset\'s own releases', async () => {
    const { context } = await prepareLint({ catalogue: referenceCatalogue(), today: '2026-11-21' });
    const compiled = compileDefinitionFile(join(import.meta.dirname, '../../fixtures/exemptions/linked-release.exdef.yaml'), context!);
    expect(compiled.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(compiled.plan?.linkedDisclosure.map((l) => l.datasets)).toEqual([['people', 'sexual_health']]);
    expect(compiled.plan?.guards.released.map((r) => r.set)).toEqual(['hiv_sti']);
  });
});
