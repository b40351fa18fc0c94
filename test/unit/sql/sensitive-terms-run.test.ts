/**
 * Uncoded text that names a sensitive service (a referral's target_service, marked sensitive_terms
 * in the catalogue) is guarded at run time as codes are: a row whose text holds one of the
 * policy's sensitive_terms is never extracted, whatever the filter writes — a range of text
 * ('Sexual h' to 'Sexual i') or a case change lint cannot read as a term, or no filter at all —
 * and an exists() over referrals never counts it. On both engines. (Adversarial review 2026-12-03:
 * `target_service between 'Sexual h' and 'Sexual i'` linted clean and extracted the referral.)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referenceCatalogue } from '../../../src/catalogue/load-catalogue.js';
import { runExtract } from '../../../src/execute/run-extract.js';
import { seedDatabase } from '../../../src/seed/seed-database.js';
import { approvedProvider } from '../../support/approvals.js';
import { TODAY } from '../../support/compile.js';
import { scratchDatabase, testEngines, type ScratchDatabase } from '../../support/engines.js';
import { indirectCareDefinition } from '../../support/indirect-definition.js';
import { readExtract } from '../../support/run-harness.js';

const noEvents = { warn: () => undefined, step: () => undefined, datasetStarted: () => undefined, datasetRows: () => undefined, datasetFinished: () => undefined };

/** Services that name a sensitive category in the ways data holds them, and ones that do not. */
const SENSITIVE = ['Sexual health clinic', 'SEXUAL-HEALTH', 'SexualHealth service', 'GUM clinic', 'Fertility (IVF) unit', 'Termination of pregnancy service', 'Gender identity clinic', 'hiv', 'Psychosexual counselling', 'Pregnancy advisory service', 'STI clinic', 'in-vitro fertilisation'];
const ORDINARY = ['Cardiology', 'Sexual dysfunction? no: Urology', 'Gumtree Lane physiotherapy', 'Dermatology', 'Fertiliser-free diet clinic'];

const definition = (where: string | undefined) =>
  indirectCareDefinition({
    id: 'terms-probe',
    title: 'Terms probe',
    singlingOut: 'The service and month of referrals only, shared by many patients each.',
    linkability: 'No pseudonym or key is sent, so rows cannot be linked to a person.',
    datasets: `  - name: referrals
    from: referral
${where ? `    where: ${JSON.stringify(where)}\n` : ''}    fields:
      - name: service
        value: target_service
        justification: Which services patients are referred to, for planning capacity.
      - name: referral_month
        value: month(referral_date)
        justification: When demand for a service arises, for planning capacity by month.
`,
  });

for (const engine of testEngines()) {
  describe(`sensitive terms in uncoded text, on ${engine}`, () => {
    let s: ScratchDatabase;
    let work: string;
    let ordinaryRows: number;

    beforeAll(async () => {
      work = mkdtempSync(join(tmpdir(), 'exdef-terms-'));
      s = await scratchDatabase(engine);
      await seedDatabase(s.db, referenceCatalogue(), { practices: 3, patients: 300, seed: 4, asOf: TODAY });
      // Every referral gets a service: 30 of them one of each sensitive kind in turn, the rest ordinary ones.
      const ids = (await s.db.query<{ id: string }>('SELECT referral_id::text AS id FROM reporting.referral ORDER BY referral_id')).map((r) => r.id);
      expect(ids.length).toBeGreaterThan(60);
      for (const [i, id] of ids.entries()) {
        const service = i < 30 ? SENSITIVE[i % SENSITIVE.length]! : ORDINARY[i % ORDINARY.length]!;
        await s.db.query('UPDATE reporting.referral SET target_service = $1 WHERE referral_id = $2::bigint', [service, id]);
      }
      ordinaryRows = ids.length - 30;
    });
    afterAll(async () => {
      await s?.drop();
      rmSync(work, { recursive: true, force: true });
    });

    const run = async (name: string, where: string | undefined) => {
      const file = join(work, `${name}.exdef.yaml`);
      writeFileSync(file, definition(where));
      const result = await runExtract({
        file,
        approvals: approvedProvider(file),
        db: s.db,
        catalogue: referenceCatalogue(),
        out: join(work, `out-${name}`),
        extractDate: TODAY,
        full: true,
        force: true,
        env: {},
        concurrency: 1,
        statementTimeoutSeconds: 120,
        events: noEvents,
      });
      return readExtract(result.output).datasets.get('referrals') ?? [];
    };

    it('no filter: every referral but those naming a sensitive service', async () => {
      const rows = await run('all', undefined);
      const services = new Set(rows.map((r) => r['service']));
      for (const sensitive of SENSITIVE) expect(services.has(sensitive), sensitive).toBe(false);
      for (const ordinary of ORDINARY) expect(services.has(ordinary), ordinary).toBe(true);
      // Referrals of people outside the population (and sensitive codes) are out too: at most the ordinary ones.
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.length).toBeLessThanOrEqual(ordinaryRows);
    });

    it.each([
      ['a range of text around a term', "target_service between 'Sexual h' and 'Sexual i'"],
      ['a prefix written as bounds on a case change', "lower(target_service) >= 'sexual h' and lower(target_service) < 'sexual i'"],
      ['an open range written around a term', "target_service > 'GUL' and target_service < 'GUN'"],
    ])('%s selects nothing', async (name, where) => {
      expect(await run(name.replace(/\W+/g, '-'), where)).toEqual([]);
    });
  });
}
