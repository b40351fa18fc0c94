/**
 * The mosaic effect at run time, on both engines: two datasets that each pass k-anonymity alone
 * but, linked by the same pseudonym, single a patient out. The run refuses before anything is
 * written and names the datasets it combined; the report measures the same combination; datasets
 * of the patient table with the same filter are linked by the order of their rows whatever their
 * keys; datasets that are not linked (no key, filters selecting other rows) are not combined and
 * the run completes.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referenceCatalogue } from '../../../src/catalogue/load-catalogue.js';
import { runExtract, type RunResult } from '../../../src/execute/run-extract.js';
import { isExdefError } from '../../../src/failure.js';
import { measureDisclosure } from '../../../src/report/measure-disclosure.js';
import { seedDatabase } from '../../../src/seed/seed-database.js';
import { bindParameters } from '../../../src/sql/bind-parameters.js';
import { compileText, TODAY } from '../../support/compile.js';
import { indirectCareDefinition } from '../../support/indirect-definition.js';
import { scratchDatabase, testEngines, type ScratchDatabase } from '../../support/engines.js';
import { runInProcess } from '../../support/in-process-run.js';

const KEY = 'k'.repeat(40);

function definition(people: string, births: string, where: { people?: string; births?: string } = {}): string {
  return indirectCareDefinition({
    id: 'mosaic-probe',
    title: 'Mosaic probe',
    singlingOut: 'Sex and year of birth only, each in its own dataset.',
    linkability: 'The test decides whether the datasets share a pseudonym key.',
    datasets: `  - name: people
    from: patient
${where.people ? `    where: ${where.people}\n` : ''}    fields:
${people}      - name: sex
        value: sex
        justification: Prevalence and risk models differ by sex.
  - name: births
    from: patient
${where.births ? `    where: ${where.births}\n` : ''}    fields:
${births}      - name: birth_year
        value: year(date_of_birth)
        justification: Age is the main driver of risk stratification.
`,
  });
}

const key = (name: string, relation = '') => `      - name: person_key
        value: pseudonym(${relation}nhs_number, '${name}')
        justification: Links the records of a person without revealing who they are.
`;

const LINKED = definition(key('mosaic-key'), key('mosaic-key'));
/** The same key written another way: the run reads both from EXDEF_KEY_MOSAIC_KEY, so they are one key. */
const LINKED_BY_SPELLING = definition(key('mosaic-key'), key('MOSAIC_KEY'));
const OTHER_KEYS = definition(key('mosaic-key'), key('other-key'));
const NO_PSEUDONYM = definition('', '');
/** No key, and filters that select other rows: nothing lines the rows up. */
const DISJOINT = definition('', '', { people: "sex = 'male'", births: "sex = 'female'" });
/** One dataset of sex and year of birth (alone, a man born in 1970) with a decoy pseudonym of a quasi-identifier (the ethnic group; one of sex beside sex is refused by no-pseudonym-beside-raw). */
const DECOY = definition(
  `      - name: ethnicity_key
        value: pseudonym(ethnicity_code, 'mosaic-key')
        justification: A keyed code for the ethnic group used by the warehouse loader.
      - name: birth_year
        value: year(date_of_birth)
        justification: Age is the main driver of the risk models.
`,
  '',
);

/**
 * r11/3: one pseudonymised dataset (the person's pseudonym, sex and year of birth: a man born in
 * 1970 alone) and another, not linked to it (no key, a filter on what people does not show). Below k, the
 * pseudonymised dataset is refused like a de-identified one or a linked set.
 */
const PSEUDONYMISED = definition(
  `${key('mosaic-key')}      - name: birth_year
        value: year(date_of_birth)
        justification: Age is the main driver of the risk models.
`,
  '',
  // A filter on a column people does not show: births is not a subset people's columns pick out.
  { births: "postcode_district(postcode) <> 'ZZ1'" },
);


for (const engine of testEngines()) {
  describe(`the mosaic effect on ${engine}`, () => {
    let s: ScratchDatabase;
    let work: string;
    let population: string[];

    beforeAll(async () => {
      work = mkdtempSync(join(tmpdir(), 'exdef-mosaic-'));
      s = await scratchDatabase(engine);
      await seedDatabase(s.db, referenceCatalogue(), { practices: 3, patients: 120, seed: 7, asOf: TODAY });
      // Who the definition extracts, then their sex and year of birth set so that each alone
      // leaves groups of 10 or more, but together one man born in 1970 stands alone.
      const { plan } = compileText(LINKED);
      const rows = await s.db.query<{ patient_id: string; opted_out: boolean }>(plan.population.sql, bindParameters(plan, plan.population, { snapshotDate: TODAY }));
      population = rows.filter((r) => !r.opted_out).map((r) => String(r.patient_id)).sort((a, b) => Number(a) - Number(b));
      expect(population.length).toBeGreaterThanOrEqual(40);
      const born1970 = population.slice(0, 12);
      await s.db.query(
        `UPDATE reporting.patient SET
           sex = CASE WHEN patient_id = $1::bigint THEN 'male' WHEN patient_id = ANY($2::bigint[]) THEN 'female' WHEN patient_id % 2 = 0 THEN 'male' ELSE 'female' END,
           date_of_birth = CASE WHEN patient_id = ANY($3::bigint[]) THEN DATE '1970-06-15' ELSE DATE '1960-03-01' END`,
        [born1970[0]!, `{${born1970.slice(1).join(',')}}`, `{${born1970.join(',')}}`],
      );
    });
    afterAll(async () => {
      await s?.drop();
      rmSync(work, { recursive: true, force: true });
    });

    const run = async (name: string, text: string, extra: { policyFile?: string } = {}): Promise<{ result?: RunResult; error?: unknown; out: string }> => {
      const file = join(work, `${name}.exdef.yaml`);
      writeFileSync(file, text);
      const out = join(work, `out-${name}`);
      try {
        const result = await runInProcess({ file, db: s.db, out, env: { EXDEF_KEY_MOSAIC_KEY: KEY, EXDEF_KEY_OTHER_KEY: KEY.replace(/k/g, 'o') }, ...extra });
        return { result, out };
      } catch (error) {
        return { error, out };
      }
    };

    for (const [what, text, link] of [
      ['the same key', LINKED, /a pseudonym of patient\.nhs_number keyed '[^']+' in people, births/],
      ['the same key spelt differently', LINKED_BY_SPELLING, /a pseudonym of patient\.nhs_number keyed '[^']+' in people, births/],
      // Two datasets of the patient table with the same filter (none) give the same rows in the same order.
      ['pseudonyms made with different keys (the rows still line up)', OTHER_KEYS, /rows in the same order: the same patient rows \(no filter\) in people, births/],
      ['no pseudonym (the rows still line up)', NO_PSEUDONYM, /rows in the same order: the same patient rows \(no filter\) in people, births/],
    ] as const) {
      it(`refuses datasets linked by ${what} whose combination singles a patient out, though each alone passes`, async () => {
        const { result, error, out } = await run(what.replace(/ /g, '-'), text);
        expect(result).toBeUndefined();
        expect(isExdefError(error), String(error)).toBe(true);
        const e = error as Error & { step?: string };
        expect(e.step).toBe('disclosure check');
        expect(e.message).toMatch(/^datasets people \+ births are linked \((.*)\): joined, 1 patient alone share a combination of people\.sex \+ births\.birth_year, below the policy's k of 10/);
        expect(/^datasets people \+ births are linked \((.*)\): joined/.exec(e.message)![1]).toMatch(link);
        // Nothing was delivered: only the FAILED log.
        expect(readdirSync(out).filter((f) => f !== 'logs')).toEqual([]);
      });
    }

    it('measures the combination for the report as the run does', async () => {
      const { plan, definition: def } = compileText(LINKED);
      expect(plan.linkedDisclosure.map((l) => l.datasets)).toEqual([['people', 'births']]);
      const measured = await measureDisclosure(s.db, { plan, definition: def, catalogue: referenceCatalogue(), extractDate: TODAY, threshold: 10 });
      // Each alone passes: at least 10 patients share a sex, and a year of birth.
      expect(measured.checks.map((c) => [c.dataset, c.outcome, (c.k ?? 0) >= 10])).toEqual([
        ['people', 'pass', true],
        ['births', 'pass', true],
      ]);
      expect(measured.linked).toHaveLength(1);
      expect(measured.linked[0]).toMatchObject({ datasets: ['people', 'births'], quasiIdentifiers: ['people.sex', 'births.birth_year'], k: 1, groups: 4, outcome: 'fail' });
    });

    it('measures keyless datasets of observations with the same filter row by row (their rows line up), at most the k of each alone', async () => {
      const text = definition('', '')
        .replace(/datasets:[\s\S]*$/, `datasets:
  - name: codes
    from: observation
    where: effective_date >= 2000-01-01
    fields:
      - name: code
        value: code
        justification: Identifies what was recorded.
      - name: sex
        value: patient.sex
        justification: Prevalence and risk models differ by sex.
  - name: births
    from: observation
    where: effective_date >= 2000-01-01
    fields:
      - name: birth_year
        value: year(patient.date_of_birth)
        justification: Age is the main driver of risk stratification.
`);
      const { plan, definition: def } = compileText(text);
      expect(plan.linkedDisclosure.map((l) => [l.datasets, l.links])).toEqual([[['codes', 'births'], ['rows in the same order: the same observation rows (the same filter) in codes, births']]]);
      const measured = await measureDisclosure(s.db, { plan, definition: def, catalogue: referenceCatalogue(), extractDate: TODAY, threshold: 10 });
      expect(measured.linked).toHaveLength(1);
      const k = measured.linked[0]!.k!;
      expect(k).toBeGreaterThanOrEqual(1);
      for (const c of measured.checks) expect(k).toBeLessThanOrEqual(c.k!);
    });

    it('fails a dataset below k whose only pseudonym is of a quasi-identifier (it names nobody: de-identified)', async () => {
      const { result, error } = await run('decoy', DECOY);
      expect(result).toBeUndefined();
      expect((error as Error).message).toMatch(/^dataset people: 1 patient alone share a combination of ethnicity_key \+ birth_year \+ sex, below the policy's k of 10: they could be singled out/);
    });

    it('r11: a policy that says pseudonymised_below_k: refuse refuses a pseudonymised dataset below k (exit 1, FAILED log naming dataset, k and threshold, nothing delivered)', async () => {
      const { plan } = compileText(PSEUDONYMISED);
      expect(plan.linkedDisclosure).toEqual([]);
      expect(plan.datasets[0]!.disclosure.identification).toBe('pseudonymised');
      const refusePolicy = join(work, 'refuse.policy.yaml');
      writeFileSync(refusePolicy, 'policy: 1\nname: Refuse pseudonymised data below k\nthresholds:\n  pseudonymised_below_k: refuse\n');
      const { result, error, out } = await run('pseudonymised', PSEUDONYMISED, { policyFile: refusePolicy });
      expect(result).toBeUndefined();
      expect(isExdefError(error), String(error)).toBe(true);
      const e = error as Error & { step?: string; exitCode?: number };
      expect(e.step).toBe('disclosure check');
      expect(e.exitCode).toBe(1);
      expect(e.message).toMatch(/^dataset people \(pseudonymised\): 1 patient alone share a combination of birth_year \+ sex, below the policy's k of 10: they could be singled out/);
      expect(readdirSync(out).filter((f) => f !== 'logs')).toEqual([]);
      // The day's log and the failed run's own (log-file.ts): both say FAILED, with the reason.
      const logs = readdirSync(join(out, 'logs'));
      expect(logs.filter((f) => f.includes('.failed-'))).toHaveLength(1);
      const log = readFileSync(join(out, 'logs', logs.find((f) => f.includes('.failed-'))!), 'utf8');
      expect(log).toMatch(/FAILED/);
      expect(log).toMatch(/dataset people \(pseudonymised\): 1 patient alone .* below the policy's k of 10/);
    });

    it('r11: by default (the IM1 policy) a pseudonymised dataset below k is warned about, and the run completes', async () => {
      const { result, error } = await run('pseudonymised-warn', PSEUDONYMISED);
      expect(error).toBeUndefined();
      expect(result!.disclosure.map((c) => [c.dataset, c.outcome])).toEqual([
        ['people', 'warn'],
        ['births', 'pass'],
      ]);
    });

    for (const [what, text] of [['no pseudonym and filters that select other rows', DISJOINT]] as const) {
      it(`does not combine datasets with ${what}: the run completes`, async () => {
        const { plan } = compileText(text);
        expect(plan.linkedDisclosure).toEqual([]);
        const { result, error } = await run(what.replace(/ /g, '-'), text);
        expect(error).toBeUndefined();
        expect(result!.linkedDisclosure).toEqual([]);
        expect(result!.disclosure.map((c) => c.outcome)).toEqual(['pass', 'pass']);
        expect(existsSync(result!.output)).toBe(true);
      });
    }
  });
}
