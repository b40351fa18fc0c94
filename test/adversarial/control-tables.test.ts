/**
 * Adversarial corpus, control and document tables (issue 11, item 3): definitions written to get
 * rows of the opt-out table or the document table out — or only the fact that such a row exists —
 * by every route a definition has: a dataset's `from`, relation paths, exists() at any depth, in
 * fields, dataset filters and the population filter, both syntaxes, aliases and JOINs, and a
 * provider catalogue with a control table of its own. Each must be refused by the table rule at
 * the name of the table or relation; the honest definitions at the end must stay clean.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCatalogue, referenceCatalogue } from '../../src/catalogue/load-catalogue.js';
import type { Catalogue } from '../../src/catalogue/catalogue.js';
import { lintDefinitionText, prepareLint, type LintContext } from '../../src/pipeline/lint-definition.js';
import { resources } from '../../src/resources.js';
import { bloodPressureField, bloodPressureWhere, populationWhere } from '../rules/hard-rules.fixtures.js';
import { base, testRule, TODAY, variant, INDIRECT_BASE } from '../support/rule-tester.js';
import { at, marked } from '../support/span-markers.js';

const exdefText = () => readFileSync(INDIRECT_BASE.exdef, 'utf8');

/** The warehouse feed with its datasets replaced by one dataset. */
const onlyDataset = (from: string, fields: string, where?: string) =>
  variant(base.indirect(), /datasets:\n[\s\S]*$/, `datasets:\n  - name: probe\n    from: ${from}\n${where ? `    where: ${where}\n` : ''}    fields:\n${fields}`);
const field = (name: string, value: string, justification = 'Counts what the service needs to plan.') => `      - name: ${name}\n        value: ${value}\n        justification: ${justification}\n`;

/** The exdef-language warehouse feed with the blood_pressure dataset's WHERE replaced. */
const exdefBloodPressureWhere = (where: string) => variant(exdefText(), "WHERE code in << 75367002 |Blood pressure|\n  and effective_date >= today() - interval '2 years';", `WHERE ${where};`);
/** The exdef-language warehouse feed with a population filter. */
const exdefPopulationWhere = (where: string) => variant(exdefText(), '  PRACTICES A81001, A81002, A81003;', `  PRACTICES A81001, A81002, A81003\n  WHERE ${where};`);
/** The exdef-language warehouse feed with the people dataset read from another table. */
const exdefDataset = (statement: string) =>
  variant(exdefText(), /DATASET people AS[\s\S]*?FROM patient;/, statement);

const CONTROL = /control table/;
const DOCUMENT = /document table/;

testRule('no-control-tables', {
  valid: [
    { name: 'clean: opt-outs applied by the population settings only', text: base.indirect() },
    { name: 'clean: the exdef-language feed', text: exdefText(), syntax: 'exdef' },
    { name: 'clean: exists over registrations in the population filter', text: populationWhere("exists(registrations where registration_type = 'permanent')") },
    { name: 'clean: a nested exists that never reaches a control table', text: bloodPressureWhere('exists(patient.observations where exists(patient.referrals))') },
    { name: 'clean: a field testing referrals', text: bloodPressureField('referred', 'exists(patient.referrals)') },
  ],
  invalid: [
    // ---------------------------------------------------------------- the population filter
    { name: 'population: exists(opt_outs)', text: populationWhere('exists(⟦opt_outs)'), findings: [{ message: CONTROL }] },
    { name: 'population: not exists(opt_outs)', text: populationWhere('not exists(⟦opt_outs)'), findings: [{ message: /\(population\)$/ }] },
    { name: 'population: the table named instead of the relation', text: populationWhere('not exists(⟦opt_out)'), findings: [{ message: /exists\(opt_outs\) tests `opt_out`/ }] },
    { name: 'population: only a system column of the opt-out (no control column read)', alsoTriggers: ['record-keys-pseudonymised'], text: populationWhere('exists(⟦opt_outs where patient_id > 0)'), findings: [{ message: CONTROL }] },
    { name: 'population: nested under registrations', text: populationWhere("exists(registrations where practice_ods = 'A81001' and exists(⟦patient.opt_outs))"), findings: [{ message: /exists\(registrations.patient.opt_outs\)/ }] },
    { name: 'population: nested under observations, negated', alsoTriggers: ['record-keys-pseudonymised'], text: populationWhere('exists(observations where not exists(⟦patient.opt_outs where opt_out_id > 0))'), findings: [{ message: CONTROL }] },
    { name: 'population: through the population registration and back', text: populationWhere('exists(⟦current_registration.patient.opt_outs)'), findings: [{ message: /exists\(current_registration.patient.opt_outs\)/ }] },
    { name: 'population: twice in one filter', text: populationWhere('exists(⟦opt_outs) or not exists(⟦opt_out)'), findings: [{ message: CONTROL }, { message: CONTROL }] },
    // ---------------------------------------------------------------- a dataset's filter
    { name: 'filter: exists(patient.opt_outs)', text: bloodPressureWhere('exists(⟦patient.opt_outs)'), findings: [{ message: /\(blood_pressure\)$/ }] },
    { name: 'filter: hidden behind a code set', text: bloodPressureWhere('code in << 75367002 and not exists(⟦patient.opt_outs)'), findings: [{ message: CONTROL }] },
    { name: 'filter: two levels down', text: bloodPressureWhere('exists(patient.registrations where exists(⟦patient.opt_outs))'), findings: [{ message: /exists\(patient.registrations.patient.opt_outs\)/ }] },
    // ---------------------------------------------------------------- fields
    { name: 'field: whether the patient opted out', text: bloodPressureField('opted_out', 'exists(⟦patient.opt_outs)'), findings: [{ message: /\(blood_pressure.opted_out\)$/ }] },
    { name: 'field: inside coalesce()', text: bloodPressureField('opted_out', 'coalesce(exists(⟦patient.opt_outs), false)'), findings: [{ message: CONTROL }] },
    { name: 'field: negated', alsoTriggers: ['record-keys-pseudonymised'], text: bloodPressureField('consented', 'not exists(⟦patient.opt_outs where opt_out_id > 0)'), findings: [{ message: CONTROL }] },
    // ---------------------------------------------------------------- a dataset of the table itself
    { name: 'from: only the opt-out keys', alsoTriggers: ['record-keys-pseudonymised'], text: onlyDataset('⟦opt_out', field('record', 'opt_out_id')), findings: [{ message: /^dataset probe reads `opt_out`, a control table/ }] },
    { name: 'from: the patients who opted out, pseudonymised', text: onlyDataset('⟦opt_out', field('person_key', "pseudonym(patient.nhs_number, 'phm-icb-key')")), findings: [{ message: CONTROL }] },
    { name: 'from: a count by patient id, filtered on a system column', alsoTriggers: ['record-keys-pseudonymised'], text: onlyDataset('⟦opt_out', field('patient', 'patient_id'), 'patient_id > 0'), findings: [{ message: CONTROL }] },
    { name: 'from: registrations of patients who opted out', text: onlyDataset('registration', field('practice', 'practice_ods'), 'exists(⟦patient.opt_outs)'), findings: [{ message: CONTROL }] },
    // ---------------------------------------------------------------- the exdef language
    { name: 'exdef: FROM opt_out', alsoTriggers: ['record-keys-pseudonymised'], text: exdefDataset("DATASET people AS\nSELECT\n  opt_out_id AS record JUSTIFY 'Counts the records the practice holds.'\nFROM ⟦opt_out;"), syntax: 'exdef', findings: [{ message: CONTROL }] },
    { name: 'exdef: FROM opt_out with an alias and a JOIN to patient', alsoTriggers: ['justification-meaningful'], text: exdefDataset("DATASET people AS\nSELECT\n  pseudonym(p.nhs_number, 'phm-icb-key') AS person_key JUSTIFY 'Links the person.'\nFROM ⟦opt_out o\n  JOIN patient p;"), syntax: 'exdef', findings: [{ message: CONTROL }] },
    { name: 'exdef: WHERE exists through the JOIN alias', text: exdefBloodPressureWhere('code in << 75367002 and exists(⟦patient.opt_outs)'), syntax: 'exdef', findings: [{ message: CONTROL }] },
    { name: 'exdef: population WHERE not exists(opt_outs)', text: exdefPopulationWhere('not exists(⟦opt_outs)'), syntax: 'exdef', findings: [{ message: /\(population\)$/ }] },
  ],
});

testRule('no-documents', {
  valid: [
    { name: 'clean: no documents anywhere', text: base.indirect() },
    { name: 'clean: coded referrals instead of letters', text: onlyDataset('referral', field('referral_month', 'month(referral_date)')) },
  ],
  invalid: [
    { name: 'from: only the document keys', alsoTriggers: ['record-keys-pseudonymised'], text: onlyDataset('⟦document', field('record', 'document_id')), findings: [{ message: DOCUMENT }] },
    { name: 'from: only the document months', text: onlyDataset('⟦document', field('letter_month', 'month(document_date)')), findings: [{ message: /^dataset probe reads `document`, a document table/ }] },
    { name: 'population: patients with documents', text: populationWhere('exists(⟦documents)'), findings: [{ message: /exists\(documents\) tests `document`/ }] },
    { name: 'field: whether a letter arrived recently', text: bloodPressureField('recent_letter', "exists(⟦patient.documents where document_date > date '2026-01-01')"), findings: [{ message: DOCUMENT }] },
    { name: 'filter: nested under consultations', text: bloodPressureWhere('exists(patient.consultations where exists(⟦patient.documents))'), findings: [{ message: DOCUMENT }] },
    { name: 'exdef: FROM document JOIN patient', alsoTriggers: ['justification-meaningful'], text: exdefDataset("DATASET people AS\nSELECT\n  pseudonym(p.nhs_number, 'phm-icb-key') AS person_key JUSTIFY 'Links the person.'\nFROM ⟦document d\n  JOIN patient p;"), syntax: 'exdef', findings: [{ message: DOCUMENT }] },
  ],
});

/**
 * A provider's catalogue with a control table of its own (consent_record, reached from patient by
 * a to-one and a to-many relation) and a document table (scan): the table class protects them as
 * it protects the reference ones. The rule tester lints against the reference catalogue, so these
 * cases lint directly against the provider's.
 */
describe('a provider catalogue with its own control and document tables', () => {
  let context: LintContext;
  let catalogue: Catalogue;

  beforeAll(async () => {
    const reference = readFileSync(resources.referenceCatalogue, 'utf8');
    const patientRelations = '      documents: { cardinality: many, table: document, on: { patient_id: patient_id }, description: Documents in the patient\'s record. }\n';
    expect(reference).toContain(patientRelations);
    const text = reference
      .replace(
        patientRelations,
        `${patientRelations}      consent: { cardinality: one, table: consent_record, on: { patient_id: patient_id }, description: The patient's consent record. }\n      consent_records: { cardinality: many, table: consent_record, on: { patient_id: patient_id }, description: Consent records. }\n      scans: { cardinality: many, table: scan, on: { patient_id: patient_id }, description: Scanned documents. }\n`,
      )
      .replace(
        /\n  concept:\n/,
        `
  consent_record:
    schema: reporting
    description: A provider's own record of a patient's consent choices.
    class: control
    primary_key: [consent_id]
    change_tracking: updated_at
    patient_column: patient_id
    columns:
      consent_id: { type: bigint, class: system, description: Key. }
      patient_id: { type: bigint, class: system, references: patient.patient_id, description: The patient. }
      recorded_on: { type: date, class: administrative, description: When it was recorded. }
      updated_at: { type: timestamptz, class: system, description: Set by every write. }
    relations:
      patient: { cardinality: one, table: patient, on: { patient_id: patient_id }, description: The patient. }

  scan:
    schema: reporting
    description: A scanned letter.
    class: document
    primary_key: [scan_id]
    change_tracking: updated_at
    patient_column: patient_id
    columns:
      scan_id: { type: bigint, class: system, description: Key. }
      patient_id: { type: bigint, class: system, references: patient.patient_id, description: The patient. }
      scanned_on: { type: date, class: clinical, description: When it was scanned. }
      updated_at: { type: timestamptz, class: system, description: Set by every write. }

  concept:
`,
      );
    const parsed = parseCatalogue('provider.catalogue.yaml', text);
    expect(parsed.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    catalogue = parsed.catalogue!;
    expect(catalogue.tables.find((t) => t.name === 'consent_record')?.classification).toBe('control');
    expect(referenceCatalogue().tables.find((t) => t.name === 'consent_record')).toBeUndefined();
    context = (await prepareLint({ catalogue, today: TODAY })).context!;
  });

  const lint = (text: string, syntax: 'yaml' | 'exdef' = 'yaml') => {
    const { text: clean, starts } = marked(text);
    const { diagnostics } = lintDefinitionText(syntax === 'exdef' ? 'case.exdef' : 'case.exdef.yaml', clean, context);
    return { errors: diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${at(d)}`), starts };
  };
  const cases: [string, string, string, ('yaml' | 'exdef')?][] = [
    ['a field through the to-one relation', bloodPressureField('consented_in', 'year(⟦patient.consent.recorded_on)'), 'no-control-tables'],
    ['a filter through the to-one relation', bloodPressureWhere("⟦patient.consent.recorded_on > date '2020-01-01'"), 'no-control-tables'],
    ['exists over the to-many relation', populationWhere('not exists(⟦consent_records)'), 'no-control-tables'],
    ['the table as a dataset', onlyDataset('⟦consent_record', field('consent_month', 'month(recorded_on)')), 'no-control-tables'],
    ['the document table as a dataset', onlyDataset('⟦scan', field('scan_month', 'month(scanned_on)')), 'no-documents'],
    ['exists over the document table', bloodPressureWhere('exists(⟦patient.scans)'), 'no-documents'],
    [
      'a JOIN into the control table, no column read (refused when resolved)',
      exdefDataset("DATASET people AS\nSELECT\n  year(date_of_birth) AS birth_year JUSTIFY 'Age drives risk.'\nFROM patient\n  JOIN ⟦consent;"),
      'join-to-protected-table',
      'exdef',
    ],
  ];
  for (const [name, text, code, syntax] of cases) {
    it(`refuses ${name} [${code}]`, () => {
      const { errors, starts } = lint(text, syntax);
      expect(errors).toEqual(starts.map((s) => `${code} ${s}`));
    });
  }
  it('keeps honest definitions clean against the provider catalogue', () => {
    expect(lint(base.indirect()).errors).toEqual([]);
    expect(lint(exdefText(), 'exdef').errors).toEqual([]);
  });
});
