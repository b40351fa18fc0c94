/**
 * Non-interference, by random definitions (issue 11, "What must hold"): definitions drawn from
 * the catalogue by fast-check (test/support/non-interference/definition-generator.ts); each that
 * lints clean is run by the real executor on a seeded database and again after every class of
 * excluded data has been added (test/support/non-interference/excluded-data.ts), and the two
 * deliveries must be identical byte for byte (every CSV, and manifest.json without its snapshot
 * time).
 *
 * Normal mode: at least MIN_CLEAN definitions that lint clean per engine, in several tests so that
 * none races the timeout; new cases stop after the time budget, and the count is checked at the
 * end. Long mode: EXDEF_NONINTERFERENCE_RUNS=2000 runs that many clean definitions, with no budget.
 * EXDEF_NONINTERFERENCE_SEED=n replays a seed (the failure messages say which seed they came from);
 * EXDEF_NONINTERFERENCE_ATTRIBUTE=1 says which class of excluded data each leak came from.
 * On PGlite always, and on PostgreSQL when EXDEF_TEST_DATABASE_URL is set.
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { referenceCatalogue } from '../../src/catalogue/load-catalogue.js';
import { seedDatabase } from '../../src/seed/seed-database.js';
import { scratchDatabase, testEngines, type ScratchDatabase } from '../support/engines.js';
import { batchArbitrary, type GeneratedDefinition } from '../support/non-interference/definition-generator.js';
import { seededFacts, type SeededFacts } from '../support/non-interference/excluded-data.js';
import { checkNonInterference, describeVerdict, type Verdict } from '../support/non-interference/non-interference.js';
import { SEED_AS_OF } from '../support/non-interference/probes.js';

// A full run's record key is random by design (record_ids of one run cannot be linked to another's);
// both sides of the comparison use one fixed key instead, so that record_id columns are comparable.
vi.mock('../../src/execute/extract-state.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../src/execute/extract-state.js')>()),
  newRecordKey: () => 'a5'.repeat(32),
}));

/** Say which class of excluded data leaked, class by class (slow: one more run per class and leak). */
const ATTRIBUTE = process.env['EXDEF_NONINTERFERENCE_ATTRIBUTE'] === '1';
const MIN_CLEAN = 50;
const LONG_RUNS = Number(process.env['EXDEF_NONINTERFERENCE_RUNS'] ?? '0');
const TARGET = LONG_RUNS > 0 ? LONG_RUNS : MIN_CLEAN;
/** Clean definitions per test: small enough that one test stays well inside its timeout. */
const PER_TEST = LONG_RUNS > 0 ? 40 : 10;
const TESTS = Math.ceil(TARGET / PER_TEST);
/** Normal mode: no new batch is started after this long per engine (the count is checked at the end). */
const BUDGET_MS = LONG_RUNS > 0 || ATTRIBUTE ? Number.POSITIVE_INFINITY : 200_000;
const TEST_TIMEOUT = LONG_RUNS > 0 || ATTRIBUTE ? 3_600_000 : 240_000;
const SEED = Number(process.env['EXDEF_NONINTERFERENCE_SEED'] ?? (LONG_RUNS > 0 ? Date.now() % 1_000_000 : 1121));
/** Definitions per batch: they share population options, so excluded data is added once for them. */
const BATCH = 12;
const PRACTICES = ['A81001', 'A81002', 'A81003', 'A81004'];

/** The population and datasets of a definition (its governance is the generator's fixed text). */
function essentials(text: string): string {
  const at = text.indexOf('population:');
  return text.slice(at).replace(/\n(mode|schedule|output):[\s\S]*?\ndatasets:/, '\n...\ndatasets:');
}

for (const engine of testEngines()) {
  describe(`non-interference of random definitions on ${engine} (seed ${SEED})`, () => {
    let s: ScratchDatabase | undefined;
    let facts: SeededFacts;
    let work: string;
    let started = 0;
    let ran = 0;
    let refused = 0;
    let batchNumber = 0;

    beforeAll(async () => {
      s = await scratchDatabase(engine);
      await seedDatabase(s.db, referenceCatalogue(), { practices: PRACTICES.length, patients: 120, seed: 11, asOf: SEED_AS_OF });
      facts = await seededFacts(s.db, SEED_AS_OF);
      work = mkdtempSync(join(tmpdir(), 'exdef-ni-random-'));
      started = Date.now();
    }, 300_000);
    afterAll(async () => {
      await s?.drop();
      if (work) rmSync(work, { recursive: true, force: true });
    });

    /** The next batch of random definitions (lint decides which of them are run). */
    function nextBatch(): GeneratedDefinition[] {
      const [batch] = fc.sample(batchArbitrary({ catalogue: referenceCatalogue(), practices: PRACTICES, today: SEED_AS_OF }, BATCH), { seed: SEED + batchNumber++, numRuns: 1 });
      return batch!;
    }

    for (let t = 0; t < TESTS; t++) {
      it(`definitions ${t * PER_TEST + 1}-${(t + 1) * PER_TEST} that lint clean deliver the same bytes with and without excluded data`, async () => {
        const leaks: string[] = [];
        let here = 0;
        while (here < PER_TEST && ran < TARGET && Date.now() - started < BUDGET_MS) {
          const batch = nextBatch();
          const files = batch.map((d) => {
            const file = join(work, `${d.id}.exdef.yaml`);
            writeFileSync(file, d.text);
            return file;
          });
          const verdicts: Verdict[] = await checkNonInterference({ db: s!.db, facts }, files, SEED_AS_OF, { attribute: ATTRIBUTE });
          verdicts.forEach((verdict, i) => {
            if (verdict.kind === 'refused') {
              refused++;
              return;
            }
            here++;
            ran++;
            if (verdict.kind === 'leaked') leaks.push(`${describeVerdict(batch[i]!.id, verdict)}\n  the definition (seed ${SEED}, batch ${batchNumber - 1}):\n${essentials(batch[i]!.text).replace(/^/gm, '    ')}`);
          });
        }
        expect(leaks, `${leaks.length} of ${here} definitions leaked:\n\n${leaks.slice(0, ATTRIBUTE ? 40 : 4).join('\n\n')}`).toEqual([]);
      }, TEST_TIMEOUT);
    }

    it(`at least ${TARGET} definitions that lint clean were run`, () => {
      expect(ran, `${ran} clean definitions run (${refused} drawn were refused by lint) before the budget of ${BUDGET_MS / 1000} s ran out`).toBeGreaterThanOrEqual(TARGET);
    });
  });
}
