/**
 * How many connections a run holds on PostgreSQL: never more than --concurrency reading (plus the
 * one that holds its definition's lock). A full definition counts its population on a spare
 * connection only when it has fewer datasets than --concurrency; otherwise on the first, before
 * the datasets. The count is the same either way.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referenceCatalogue } from '../../../src/catalogue/load-catalogue.js';
import type { Database } from '../../../src/db/database.js';
import { seedDatabase } from '../../../src/seed/seed-database.js';
import { readExtract } from '../../support/run-harness.js';
import { TODAY } from '../../support/compile.js';
import { indirectCareDefinition } from '../../support/indirect-definition.js';
import { scratchDatabase, testEngines, type ScratchDatabase } from '../../support/engines.js';
import { runInProcess } from '../../support/in-process-run.js';

const dataset = (name: string) => `  - name: ${name}
    from: patient
    fields:
      - name: sex
        value: sex
        justification: Prevalence and risk models differ by sex.
`;

const definition = (datasets: string) =>
  indirectCareDefinition({
    id: 'connections-probe',
    title: 'Connections probe',
    singlingOut: 'Only the sex of each patient is sent, which thousands of patients share.',
    linkability: 'No pseudonym or key is sent, so the datasets cannot be joined to each other.',
    datasets,
  });

const ONE = definition(dataset('people'));
const TWO = definition(dataset('people') + dataset('people_again'));


/** The database, counting the sessions it has open at once. */
function counting(db: Database): { db: Database; peak(): number } {
  let open = 0;
  let peak = 0;
  const wrapped: Database = Object.create(db) as Database;
  wrapped.withSession = async (fn) => {
    open++;
    peak = Math.max(peak, open);
    try {
      return await db.withSession(fn);
    } finally {
      open--;
    }
  };
  return { db: wrapped, peak: () => peak };
}

const engines = testEngines().filter((e) => e === 'postgres');
describe.skipIf(engines.length === 0)('the connections a run holds on PostgreSQL (needs EXDEF_TEST_DATABASE_URL; never skipped under CI)', () => {
  let s: ScratchDatabase;
  let work: string;
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'exdef-connections-'));
    s = await scratchDatabase('postgres');
    await seedDatabase(s.db, referenceCatalogue(), { practices: 3, patients: 120, seed: 11, asOf: TODAY });
  });
  afterAll(async () => {
    await s?.drop();
    rmSync(work, { recursive: true, force: true });
  });

  const run = async (name: string, text: string, concurrency: number) => {
    const file = join(work, `${name}.exdef.yaml`);
    writeFileSync(file, text);
    const db = counting(s.db);
    const result = await runInProcess({ file, db: db.db, out: join(work, `out-${name}`), concurrency });
    const manifest = readExtract(result.output).manifest as unknown as { population: { patients: number } };
    return { patients: manifest.population.patients, peak: db.peak() };
  };

  it.each([
    // [definition, datasets, --concurrency, connections at the peak (reading + the lock's)]
    ['two datasets, concurrency 2: both read, the count on the first before them', TWO, 2, 3],
    ['one dataset, concurrency 2: the count on the spare connection meanwhile', ONE, 2, 3],
    ['two datasets, concurrency 1: one connection reads everything', TWO, 1, 2],
    ['two datasets, concurrency 3: the count on the spare connection meanwhile', TWO, 3, 4],
  ] as const)('%s', async (name, text, concurrency, peak) => {
    const measured = await run(name.replace(/\W+/g, '-'), text, concurrency);
    expect(measured.peak).toBe(peak);
    expect(measured.peak).toBeLessThanOrEqual(concurrency + 1);
    const baseline = await run(`${name.replace(/\W+/g, '-')}-alone`, text, 1);
    expect(measured.patients).toBe(baseline.patients);
    expect(measured.patients).toBeGreaterThan(0);
  });
});
