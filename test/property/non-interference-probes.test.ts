/**
 * Non-interference, deterministic (issue 11): every shipped definition and a set of hand-written
 * probe definitions — written as an adversary would, to reach excluded patients and rows through
 * exists(), datasets from practice or registration, joins back to patient, control and document
 * tables, the population filter, out-of-scope practices and a past --today — must either be
 * refused by lint or deliver byte-identical files with and without every class of excluded data
 * (test/support/non-interference/). On PGlite always, and on PostgreSQL when
 * EXDEF_TEST_DATABASE_URL is set.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { referenceCatalogue } from '../../src/catalogue/load-catalogue.js';
import { seedDatabase } from '../../src/seed/seed-database.js';
import { shippedDefinitions } from '../support/compile.js';
import { scratchDatabase, testEngines, type ScratchDatabase } from '../support/engines.js';
import { addIncludedPatient, seededFacts, type SeededFacts } from '../support/non-interference/excluded-data.js';
import { deliver, differences } from '../support/non-interference/differential-run.js';
import { checkNonInterference, describeVerdict, type Verdict } from '../support/non-interference/non-interference.js';
import { PROBES, SEED_AS_OF } from '../support/non-interference/probes.js';

// A full run's record key is random by design (record_ids of one run cannot be linked to another's);
// both sides of the comparison use one fixed key instead, so that record_id columns are comparable.
vi.mock('../../src/execute/extract-state.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../src/execute/extract-state.js')>()),
  newRecordKey: () => 'a5'.repeat(32),
}));

/** Say which class of excluded data leaked, class by class (slow: one more run per class and leak). */
const ATTRIBUTE = process.env['EXDEF_NONINTERFERENCE_ATTRIBUTE'] === '1';

/** Seeding, and two runs of every definition with excluded data added once per exclusion profile. */
const SETUP_TIMEOUT = ATTRIBUTE ? 3_600_000 : 600_000;

for (const engine of testEngines()) {
  describe(`non-interference of shipped and probe definitions on ${engine}`, () => {
    let s: ScratchDatabase | undefined;
    let work: string;
    const verdicts = new Map<string, Verdict>();
    let facts: SeededFacts;

    beforeAll(async () => {
      s = await scratchDatabase(engine);
      await seedDatabase(s.db, referenceCatalogue(), { practices: 4, patients: 120, seed: 11, asOf: SEED_AS_OF });
      facts = await seededFacts(s.db, SEED_AS_OF);
      work = mkdtempSync(join(tmpdir(), 'exdef-ni-probes-'));
      const byToday = new Map<string, { name: string; file: string }[]>();
      const add = (today: string, name: string, file: string) => byToday.set(today, [...(byToday.get(today) ?? []), { name, file }]);
      for (const file of shippedDefinitions()) add(SEED_AS_OF, file, file);
      for (const probe of PROBES) {
        const file = join(work, `${probe.name}.exdef.yaml`);
        writeFileSync(file, probe.text);
        add(probe.today ?? SEED_AS_OF, probe.name, file);
      }
      for (const [today, items] of byToday) {
        const found = await checkNonInterference({ db: s.db, facts }, items.map((i) => i.file), today, { attribute: ATTRIBUTE });
        items.forEach((item, i) => verdicts.set(item.name, found[i]!));
      }
    }, SETUP_TIMEOUT);
    afterAll(async () => {
      await s?.drop();
      if (work) rmSync(work, { recursive: true, force: true });
    });

    for (const file of shippedDefinitions()) {
      it(`${file} lints clean and is identical with and without excluded data`, () => {
        const verdict = verdicts.get(file)!;
        expect(verdict.kind, describeVerdict(file, verdict)).toBe('held');
      });
    }

    it('control: a patient added to the population changes the delivery (the comparison can see a leak)', async () => {
      const file = join(work, 'observations-at-other-practices.exdef.yaml');
      const side = { db: s!.db, catalogue: referenceCatalogue(), file, today: SEED_AS_OF, keyNames: [] };
      const before = await deliver(side, 'probe-observations-at-other-practices');
      expect(before.kind).toBe('delivered');
      const added = await addIncludedPatient(s!.db, facts, 'A81001');
      let after;
      try {
        after = await deliver(side, 'probe-observations-at-other-practices');
      } finally {
        await added.remove();
      }
      const found = differences(before, after);
      expect(found.some((d) => d.startsWith('people.csv:')), found.join('\n')).toBe(true);
      expect(found.some((d) => d.startsWith('manifest.json:')), found.join('\n')).toBe(true);
      // And taking the patient away again restores the delivery byte for byte.
      expect(differences(before, await deliver(side, 'probe-observations-at-other-practices'))).toEqual([]);
    });

    for (const probe of PROBES) {
      it(`probe ${probe.name} (${probe.route}): refused, or identical with and without excluded data`, () => {
        const verdict = verdicts.get(probe.name)!;
        expect(verdict.kind, describeVerdict(probe.name, verdict)).not.toBe('leaked');
      });
    }
  });
}
