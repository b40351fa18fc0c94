/**
 * Two datasets of one table, each k >= 10 alone, that show the same values (a reading and the days
 * since registration, under other names, or through a transform the recipient undoes) and different rows (different filters): a recipient joins
 * their rows on those values, which are near-unique, and the pairs carry the district of one and
 * the age band of the other (adversarial review 2026-12-03: groups of one, lint-clean, no
 * pseudonym, k "142" and "17" alone). The days since registration are now a measured
 * quasi-identifier, so each dataset alone is refused; the run also measures the join as the
 * recipient makes it and refuses below the threshold; two datasets that share only a value many rows have (the code) join
 * no row exactly and run. On both engines.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referenceCatalogue } from '../../../src/catalogue/load-catalogue.js';
import { isExdefError } from '../../../src/failure.js';
import { seedDatabase } from '../../../src/seed/seed-database.js';
import { TODAY } from '../../support/compile.js';
import { scratchDatabase, testEngines, type ScratchDatabase } from '../../support/engines.js';
import { indirectCareDefinition } from '../../support/indirect-definition.js';
import { readExtract } from '../../support/run-harness.js';
import { runInProcess } from '../../support/in-process-run.js';


const field = (name: string, value: string, justification: string) => `      - name: ${name}\n        value: ${value}\n        justification: ${justification}\n`;
const LAG = 'effective_date - patient.current_registration.start_date';

const definition = (id: string, shareReadings: boolean, transform = '') =>
  indirectCareDefinition({
    id,
    title: 'Shared values probe',
    singlingOut: 'Only broad bands are sent and the run measures k and refuses below ten.',
    linkability: 'No pseudonym or key is sent, so datasets cannot be joined to other feeds.',
    datasets: `  - name: bp_place
    from: observation
    where: code in << 75367002 |Blood pressure| and value_numeric > 0 and effective_date >= today() - interval '18 months'
    fields:
${shareReadings ? field('lag', LAG, 'Measures how long after registering at the practice each reading was taken.') + field('reading', 'value_numeric', 'The blood pressure value, the measure of control the programme reports on.') : field('code', 'code', 'Which blood pressure measurement each row is, systolic or diastolic.')}${field('district', 'postcode_district(patient.postcode)', 'Locates demand for blood pressure clinics by postcode district across the ICB.')}  - name: bp_age
    from: observation
    where: code in << 75367002 |Blood pressure| and value_numeric < 100000 and effective_date >= today() - interval '18 months'
    fields:
${shareReadings ? field('days_registered', `${LAG}${transform}`, 'Shows whether time since registration differs by age group of those measured.') + field('bp_value', `value_numeric${transform}`, 'Blood pressure control targets differ by age, so readings are compared by band.') : field('code', 'code', 'Which blood pressure measurement each row is, systolic or diastolic.')}${field('age_band', 'age_band(patient.date_of_birth, 20)', 'Blood pressure control targets differ by age, so services plan by age band.')}`,
  });

for (const engine of testEngines()) {
  describe(`datasets joined on the values they share, on ${engine}`, () => {
    let s: ScratchDatabase;
    let work: string;
    beforeAll(async () => {
      work = mkdtempSync(join(tmpdir(), 'exdef-shared-values-'));
      s = await scratchDatabase(engine);
      await seedDatabase(s.db, referenceCatalogue(), { practices: 3, patients: 1500, seed: 12, asOf: TODAY });
    });
    afterAll(async () => {
      await s?.drop();
      rmSync(work, { recursive: true, force: true });
    });

    const run = async (id: string, shareReadings: boolean, transform = '') => {
      const file = join(work, `${id}.exdef.yaml`);
      writeFileSync(file, definition(id, shareReadings, transform));
      const out = join(work, `out-${id}`);
      const result = await runInProcess({ file, db: s.db, out, concurrency: 2 }).then(
        (r) => ({ output: r.output, error: undefined }),
        (error: unknown) => ({ output: undefined, error }),
      );
      return { ...result, out };
    };

    it.each([
      ['as they are', ''],
      ['one side through a transform (+ 0), which the recipient undoes', ' + 0'],
    ])('refuses a join on a reading and a date difference that singles patients out, %s, before anything is written', async (_, transform) => {
      const { error, out } = await run(`shared-readings${transform ? '-transformed' : ''}`, true, transform);
      expect(isExdefError(error) && error.step).toBe('disclosure check');
      // The days since registration are measured as a quasi-identifier: each dataset alone singles people out.
      expect((error as Error).message).toMatch(/^dataset bp_place: \d patients? alone share a combination of lag \+ district, below the policy's k of 10/);
      // And joined on what they share, the pairs carry both datasets' quasi-identifiers.
      expect((error as Error).message).toMatch(
        /; datasets bp_place \+ bp_age are linked \(fields that read the same columns \(lag, reading in bp_place; days_registered, bp_value in bp_age\): a recipient joins their rows on them\): joined, \d patients? alone share a combination of bp_place\.lag \+ bp_place\.district \+ bp_age\.days_registered \+ bp_age\.age_band, below the policy's k of 10/,
      );
      expect(readdirSync(out).filter((f) => f.endsWith('.zip'))).toEqual([]);
    });

    it('runs two datasets that share only a value many rows have (the code): no row joins exactly one of the other', async () => {
      const { output, error } = await run('shared-sex', false);
      expect(error).toBeUndefined();
      const manifest = readExtract(output!).manifest as unknown as { disclosure: { linked?: { datasets: string[]; outcome: string; note: string }[] } };
      expect(JSON.stringify(manifest)).toContain('share values, but no row of one joins exactly one row of the other on them');
    });
  });
}
