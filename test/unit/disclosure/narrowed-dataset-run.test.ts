/**
 * A dataset without quasi-identifiers is measured too: all its rows are of the patients its filter
 * leaves, and a filter can leave one ("the oldest patient": no date of birth shown, but every row is
 * theirs). On both engines, in indirect care: de-identified and narrowed to one patient, the run
 * refuses before anything is written; pseudonymised, it is warned about (the policy's default) and
 * the manifest records k = 1; over the whole population it passes with k = the patients it covers.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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
import { NO_EVENTS, runInProcess } from '../../support/in-process-run.js';

const KEY = 'n'.repeat(40);

const records = (where: string | undefined, pseudonym: boolean) =>
  indirectCareDefinition({
    id: 'narrowed-probe',
    title: 'Narrowed probe',
    singlingOut: 'Codes and months only; the run measures how many patients the rows are of.',
    linkability: pseudonym ? 'A pseudonym links the rows of one patient within this extract.' : 'No pseudonym or key is sent, so rows cannot be linked to a person.',
    datasets: `  - name: records
    from: observation
${where ? `    where: ${where}\n` : ''}    fields:
${pseudonym ? "      - name: person_key\n        value: pseudonym(patient.nhs_number, 'narrowed-key')\n        justification: Links the records of a person without revealing who they are.\n" : ''}      - name: condition_code
        value: code
        justification: Identifies the long-term condition recorded for the programme.
      - name: recorded_month
        value: month(effective_date)
        justification: How long a condition has lasted raises the risk score for the programme.
`,
  });

for (const engine of testEngines()) {
  describe(`a dataset without quasi-identifiers narrowed by its filter, on ${engine}`, () => {
    let s: ScratchDatabase;
    let work: string;
    /** A filter that leaves only the oldest patient with observations. */
    let oldest: string;

    beforeAll(async () => {
      work = mkdtempSync(join(tmpdir(), 'exdef-narrowed-'));
      s = await scratchDatabase(engine);
      await seedDatabase(s.db, referenceCatalogue(), { practices: 3, patients: 150, seed: 3, asOf: TODAY });
      const births = await s.db.query<{ born: string }>(
        `SELECT DISTINCT p.date_of_birth::text AS born FROM reporting.patient p JOIN reporting.observation o ON o.patient_id = p.patient_id
          WHERE p.pds_sensitive IS FALSE AND p.date_of_death IS NULL ORDER BY 1 LIMIT 2`,
      );
      // Born before the second-oldest: the oldest alone (if they are in the population, else nobody).
      oldest = `patient.date_of_birth < ${births[1]!.born}`;
    });
    afterAll(async () => {
      await s?.drop();
      rmSync(work, { recursive: true, force: true });
    });

    const run = async (name: string, text: string) => {
      const file = join(work, `${name}.exdef.yaml`);
      writeFileSync(file, text);
      const out = join(work, `out-${name}`);
      const warnings: string[] = [];
      try {
        const result = await runInProcess({ file, db: s.db, out, env: { EXDEF_KEY_NARROWED_KEY: KEY }, events: { ...NO_EVENTS, warn: (m: string) => warnings.push(m) } });
        return { result, out, warnings };
      } catch (error) {
        return { error, out, warnings };
      }
    };

    it('de-identified, over the whole population: passes, k = the patients its rows are of', async () => {
      const { result, error } = await run('whole', records(undefined, false));
      expect(error).toBeUndefined();
      const check = result!.disclosure.find((c) => c.dataset === 'records')!;
      expect(check.outcome).toBe('pass');
      expect(check.k).toBeGreaterThanOrEqual(10);
      expect(check.groups).toBe(1);
    });

    it('de-identified, narrowed to the oldest patient: refused before anything is written', async () => {
      const { result, error, out } = await run('oldest', records(oldest, false));
      expect(result).toBeUndefined();
      expect(isExdefError(error)).toBe(true);
      expect((error as Error).message).toMatch(/dataset records: all its rows are of 1 patient .*below the policy's k of 10/);
      expect(existsSync(out) ? readdirSync(out).filter((f) => f.endsWith('.zip')) : []).toEqual([]);
    });

    it('pseudonymised, narrowed to the oldest patient: warned about under the default policy, k = 1 in the manifest', async () => {
      const { result, error, warnings } = await run('oldest-keyed', records(oldest, true));
      expect(error).toBeUndefined();
      expect(warnings.join('\n')).toMatch(/dataset records \(pseudonymised\): all its rows are of 1 patient/);
      const manifest = readExtract(result!.output).manifest as unknown as { disclosure: { dataset: string; k: number | null; outcome: string }[] };
      expect(manifest.disclosure.find((c) => c.dataset === 'records')).toMatchObject({ k: 1, outcome: 'warn' });
    });
  });
}
