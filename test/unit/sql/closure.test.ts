/**
 * The population closure on both engines: whatever route a definition takes to a patient-linked
 * table (a dataset from practice, exists() over registrations, a join back to patient, the
 * population filter reaching other patients, rows held at another practice), its output is the
 * same with and without excluded data in the database. Also: exclusions are those in force in the
 * snapshot whatever the extract date, and an exemption releases its set only where it is scoped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDatabase } from '../../../src/seed/seed-database.js';
import { compileText } from '../../support/compile.js';
import { scratchDatabase, testEngines, type ScratchDatabase } from '../../support/engines.js';
import { catalogue, compilePlan, D, IN_SCOPE, MARK, outputs, plantExcludedData, type Planted } from './closure-harness.js';
import { probeDefinition, type ProbeSpec } from './probe-definition.js';

const field = (name: string, value: string) => `    - { name: ${name}, value: ${JSON.stringify(value)}, justification: Probes what the population lets through (${name}). }`;

const PROBES: Record<string, ProbeSpec> = {
  'a dataset from practice with exists() over its registrations and a join back to patient': {
    datasets: `
- name: practices
  from: practice
  fields:
${field('ods_code', 'ods_code')}
${field('marked_patient', `exists(registrations where patient.postcode = '${MARK.postcode}')`)}
${field('marked_reading', `exists(registrations where exists(patient.observations where value_numeric = ${MARK.value}))`)}
`,
  },
  'a population filter whose exists() reaches other patients through the practice': {
    where: `exists(registrations where exists(practice.registrations where patient.postcode = '${MARK.postcode}'))`,
    datasets: `
- name: people
  from: patient
  fields:
${field('patient_id', 'patient_id')}
`,
  },
  'observations recorded at a practice out of scope, of a member': {
    datasets: `
- name: readings
  from: observation
  where: value_numeric = ${MARK.value}
  fields:
${field('observation_id', 'observation_id')}
${field('practice', 'practice_ods')}
- name: flags
  from: patient
  fields:
${field('patient_id', 'patient_id')}
${field('marked', `exists(observations where value_numeric = ${MARK.value})`)}
${field('elsewhere', `exists(registrations where practice_ods <> '${IN_SCOPE}')`)}
`,
  },
  'registrations joined back to their patient': {
    datasets: `
- name: registrations
  from: registration
  fields:
${field('registration_id', 'registration_id')}
${field('born', 'year(patient.date_of_birth)')}
${field('postcode_marked', `patient.postcode = '${MARK.postcode}'`)}
`,
  },
};

describe.each(testEngines())('population closure on %s', (engine) => {
  let scratch: ScratchDatabase;
  let planted: Planted;
  const before = new Map<string, Record<string, string[]>>();
  const plans = Object.entries(PROBES).map(([name, spec]) => [name, compilePlan(compileText(probeDefinition(spec)).definition)] as const);

  beforeAll(async () => {
    scratch = await scratchDatabase(engine, { maxConnections: 12 });
    await seedDatabase(scratch.db, catalogue, { practices: 3, patients: 80, seed: 11, asOf: D });
    for (const [name, plan] of plans) before.set(name, await outputs(scratch.db, plan));
    planted = await plantExcludedData(scratch.db);
  }, 120_000);
  afterAll(async () => scratch?.drop());

  it('the planted data is there to be found by a query without the guards', async () => {
    const [row] = await scratch.db.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM reporting.registration r JOIN reporting.patient p ON p.patient_id = r.patient_id WHERE r.practice_ods = $1 AND p.postcode = $2`,
      [IN_SCOPE, MARK.postcode],
    );
    expect(Number(row!.n)).toBe(4);
    expect(Object.values(planted.patients)).toHaveLength(5);
  });

  for (const [name] of Object.entries(PROBES)) {
    it(`${name}: the same output with and without excluded data`, async () => {
      const plan = plans.find(([n]) => n === name)![1];
      expect(await outputs(scratch.db, plan)).toEqual(before.get(name));
    });
  }
});

describe.each(testEngines())('exclusions in force now, whatever the extract date, on %s', (engine) => {
  let scratch: ScratchDatabase;
  let planted: Planted;
  const PAST = '2026-06-01';
  const plan = compilePlan(compileText(probeDefinition({ datasets: `
- name: people
  from: patient
  fields:
${field('patient_id', 'patient_id')}
` })).definition);

  beforeAll(async () => {
    scratch = await scratchDatabase(engine, { maxConnections: 12 });
    await seedDatabase(scratch.db, catalogue, { practices: 3, patients: 60, seed: 5, asOf: D });
    // Died, left and opted out after the past extract date but before the snapshot.
    planted = await plantExcludedData(scratch.db, '2026-08-01');
  }, 120_000);
  afterAll(async () => scratch?.drop());

  it('a patient who died, left or opted out after D is not extracted with --today D', async () => {
    const people = new Set((await outputs(scratch.db, plan, PAST))['people']!.map((r) => JSON.parse(r)[0] as string));
    expect(people.size).toBeGreaterThan(0);
    for (const who of ['deceased', 'departed', 'optedOut'] as const) expect(people.has(planted.patients[who]), who).toBe(false);
    // On D they would have been registered: the registration started in 2010 and ended (if at all) in August.
    const [row] = await scratch.db.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM reporting.registration WHERE patient_id = ANY($1::bigint[]) AND practice_ods = $2 AND start_date <= $3::date AND (end_date IS NULL OR end_date >= $3::date)`,
      [`{${[planted.patients.deceased, planted.patients.departed, planted.patients.optedOut].join(',')}}`, IN_SCOPE, PAST],
    );
    expect(row!.n).toBe('3');
  });
});

describe.each(testEngines())('an exemption releases its set only in the datasets it names, on %s', (engine) => {
  let scratch: ScratchDatabase;
  const SEXUALITY = '118199002';
  const text = probeDefinition({
    practices: ['A81001', 'A81002', 'A81003'],
    // Asks for the sensitive set in the population filter: the set stays excluded there.
    where: `not exists(observations where code in << ${SEXUALITY})`,
    datasets: `
- name: released
  from: observation
  where: code in << ${SEXUALITY}
  fields:
${field('observation_id', 'observation_id')}
${field('patient_id', 'patient_id')}
- name: not_released
  from: observation
  where: code in << ${SEXUALITY}
  fields:
${field('observation_id', 'observation_id')}
`,
    exemptions: `
- rule: sensitive-codes
  code_set: sexuality
  legal_basis:
    article_6: 6(1)(e) public task
    article_9: 9(2)(h) management of health care systems
    notice: Direction 2023/14 under section 254 of the Health and Social Care Act 2012 (test)
  justification: The commissioned service needs the observations it provides care for (test).
  expires: 2027-06-30
`,
  });
  // The scope (datasets: [released]) is set on the IR: its syntax is the exemptions' part.
  const resolved = compileText(text).definition;
  const plan = compilePlan({ ...resolved, exemptions: resolved.exemptions.map((e) => ({ ...e, datasets: ['released'] })) });

  // Seeding copies into every table at once: a pool smaller than the tables would wait on itself.
  beforeAll(async () => {
    scratch = await scratchDatabase(engine, { maxConnections: 12 });
    await seedDatabase(scratch.db, catalogue, { practices: 3, patients: 400, seed: 7, asOf: D });
  }, 120_000);
  afterAll(async () => scratch?.drop());

  it('released in one dataset, still excluded in the other and in the population filter', async () => {
    const out = await outputs(scratch.db, plan);
    // The population filter cannot see the sexuality observations, so their patients stay members
    // and the released dataset has their rows; the other dataset has none.
    expect(out['released']!.length).toBeGreaterThan(0);
    expect(out['not_released']).toEqual([]);
    const members = new Set(out['population']!.map((r) => JSON.parse(r)[0] as string));
    for (const row of out['released']!) expect(members.has(JSON.parse(row)[1] as string)).toBe(true);
  });
});
