/**
 * An approval names the catalogue the definition is read through. A provider catalogue that
 * renames the opt-out value or drops a confidential flag changes what the same definition
 * extracts (adversarial review, 2026-12-03): a run under any catalogue but the approved one
 * extracts nobody, and says why. A change that extracts the same data (a description) does not
 * need new approvals.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogueIdentity } from '../../../src/catalogue/catalogue-digest.js';
import type { Catalogue } from '../../../src/catalogue/catalogue.js';
import { referenceCatalogue } from '../../../src/catalogue/load-catalogue.js';
import { seedDatabase } from '../../../src/seed/seed-database.js';
import { approvedProvider } from '../../support/approvals.js';
import { TODAY } from '../../support/compile.js';
import { scratchDatabase, type ScratchDatabase } from '../../support/engines.js';
import { indirectCareDefinition } from '../../support/indirect-definition.js';
import { runInProcess } from '../../support/in-process-run.js';

const DEFINITION = indirectCareDefinition({
  id: 'catalogue-bound',
  title: 'Catalogue binding probe',
  singlingOut: 'Only the sex of each patient is sent, which thousands of patients share.',
  linkability: 'No pseudonym or key is sent, so the rows cannot be joined to anything.',
  datasets: `  - name: people
    from: patient
    fields:
      - name: sex
        value: sex
        justification: Prevalence and risk models differ by sex.
`,
});

const NAME = referenceCatalogue().name;

/** The reference catalogue with one change. */
function changed(change: (c: Catalogue) => void): Catalogue {
  const catalogue = structuredClone(referenceCatalogue());
  change(catalogue);
  return catalogue;
}
const renamedOptOut = changed((c) => (c.population.optOut.type1Value = 'type-1-renamed'));
const unflagged = changed((c) => {
  const table = c.tables.find((t) => t.confidentialColumn !== undefined)!;
  delete table.confidentialColumn;
});
const redescribed = changed((c) => {
  c.tables[0]!.description = 'Described again, in other words.';
  c.tables[0]!.columns[0]!.description = 'So is this column.';
});

describe('the catalogue digest', () => {
  it('changes with what is extracted (an opt-out value, a confidential flag), not with descriptions', () => {
    const reference = catalogueIdentity(referenceCatalogue()).digest;
    expect(catalogueIdentity(renamedOptOut).digest).not.toBe(reference);
    expect(catalogueIdentity(unflagged).digest).not.toBe(reference);
    expect(catalogueIdentity(redescribed).digest).toBe(reference);
  });
});

describe('a run under a catalogue its approvals do not name', () => {
  let s: ScratchDatabase;
  let work: string;
  let file: string;
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'exdef-catalogue-bound-'));
    s = await scratchDatabase('pglite');
    await seedDatabase(s.db, referenceCatalogue(), { practices: 3, patients: 60, seed: 5, asOf: TODAY });
    file = join(work, 'catalogue-bound.exdef.yaml');
    writeFileSync(file, DEFINITION);
  });
  afterAll(async () => {
    await s?.drop();
    rmSync(work, { recursive: true, force: true });
  });

  const run = (catalogue: Catalogue, out: string) =>
    // Approved under the reference catalogue, every practice.
    runInProcess({ file, approvals: approvedProvider(file, { work }), db: s.db, catalogue, out: join(work, out) });

  it('extracts nobody under a provider catalogue that renamed the opt-out value or dropped a confidential flag, naming the catalogue', async () => {
    for (const [name, catalogue] of [['renamed', renamedOptOut], ['unflagged', unflagged]] as const) {
      const refused = await run(catalogue, name).then(
        () => undefined,
        (error: Error) => error,
      );
      expect(refused?.message).toMatch(/^no practice has approved catalogue-bound version 1/);
      expect(refused?.message).toContain(`approves reading the data through the catalogue ${NAME} (sha256 ${catalogueIdentity(referenceCatalogue()).digest.slice(0, 12)}), not ${NAME} (sha256 ${catalogueIdentity(catalogue).digest.slice(0, 12)})`);
    }
  });

  it('runs under the approved catalogue, and under one whose descriptions alone changed', async () => {
    for (const [name, catalogue] of [['reference', referenceCatalogue()], ['redescribed', redescribed]] as const) {
      const result = await run(catalogue, name);
      expect(result.output).toMatch(/\.zip$/);
    }
  });
});
