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
import { seedDatabase } from '../../../src/seed/seed-database.js';
import { TODAY } from '../../support/compile.js';
import { scratchDatabase, testEngines, type ScratchDatabase } from '../../support/engines.js';
import { indirectCareDefinition } from '../../support/indirect-definition.js';
import { readExtract } from '../../support/run-harness.js';
import { runInProcess } from '../../support/in-process-run.js';


/** Services that name a sensitive category in the ways data holds them, and ones that do not. */
const SENSITIVE = ['Sexual health clinic', 'SEXUAL-HEALTH', 'SexualHealth service', 'GUM clinic', 'Fertility (IVF) unit', 'Termination of pregnancy service', 'Gender identity clinic', 'hiv', 'Psychosexual counselling', 'Pregnancy advisory service', 'STI clinic', 'in-vitro fertilisation',
  // Look-alike letters and accents (adversarial review 2026-12-03: a Cyrillic А got through): Cyrillic А and Ѕ, Greek Ι, an accent, fullwidth.
  'Аbortion service', 'Ѕexual health', 'ΙVF unit', 'Fértility clinic', 'ＧＵＭ clinic',
  // Invisible characters inside a word, letters of scripts no look-alike table lists (Cherokee Ꮪ, Armenian հ, dotless ı, Latin iota ɩ), and names the terms now hold (second review, 2026-12-03).
  'G\u200bUM', 'Abor\u200btion clinic', 'Ꮪexual health', 'Sexual healtհ', 'Fertılity', 'Fertɩlity', 'SRH clinic', 'PrEP', 'Gender clinic', 'Trans health', 'TOP\u200b clinic', 'Contraception & sexual wellbeing'];
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
      const result = await runInProcess({ file, db: s.db, out: join(work, `out-${name}`) });
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

    it("appointments' slot types and clinician roles and consultations' types are guarded as referrals' services are", async () => {
      const appointments = (await s.db.query<{ id: string }>('SELECT appointment_id::text AS id FROM reporting.appointment ORDER BY appointment_id LIMIT 40')).map((r) => r.id);
      const consultations = (await s.db.query<{ id: string }>('SELECT consultation_id::text AS id FROM reporting.consultation ORDER BY consultation_id LIMIT 40')).map((r) => r.id);
      for (const [i, id] of appointments.entries()) {
        await s.db.query('UPDATE reporting.appointment SET slot_type = $1, clinician_role = $2 WHERE appointment_id = $3::bigint', [i % 2 ? 'Sexual health clinic' : 'Contraception & PrEP', i % 2 ? 'GUM Nurse' : 'Sexual Health Nurse', id]);
      }
      for (const id of consultations) await s.db.query('UPDATE reporting.consultation SET consultation_type = $1 WHERE consultation_id = $2::bigint', ['Termination of pregnancy follow-up', id]);
      const file = join(work, 'appointments.exdef.yaml');
      writeFileSync(
        file,
        indirectCareDefinition({
          id: 'appointments-probe',
          title: 'Appointments probe',
          singlingOut: 'The kind and month of appointments only, shared by many patients each.',
          linkability: 'No pseudonym or key is sent, so rows cannot be linked to a person.',
          datasets: `  - name: appointments
    from: appointment
    where: "lower(clinician_role) >= 'a'"
    fields:
      - name: slot
        value: slot_type
        justification: Which kinds of appointment patients book, for planning capacity.
      - name: role
        value: clinician_role
        justification: Which clinicians patients see, for planning the workforce.
  - name: consultations
    from: consultation
    fields:
      - name: kind
        value: consultation_type
        justification: How patients consult (face to face, telephone), for planning capacity.
`,
        }),
      );
      const result = await runInProcess({ file, db: s.db, out: join(work, 'out-appointments') });
      const extract = readExtract(result.output);
      const texts = [...extract.datasets.get('appointments')!.flatMap((r) => [r['slot'], r['role']]), ...extract.datasets.get('consultations')!.map((r) => r['kind'])];
      expect(extract.datasets.get('appointments')!.length).toBeGreaterThan(0);
      expect(texts.filter((t) => /sexual|gum|termination/i.test(String(t)))).toEqual([]);
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
