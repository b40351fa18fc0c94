/**
 * Hand-written probes of the compiler's population closure (issue 11): definitions written to
 * reach data outside the population — patients who are PDS-sensitive, opted out, deceased,
 * departed or registered elsewhere, and rows held at a practice out of scope — through every route
 * the language has: a dataset's `from`, to-one joins, exists() at any depth, the population
 * filter. Each is compiled and run on a seeded database before and after that excluded data is
 * planted (test/unit/sql/closure-harness.ts); every output (the members and each dataset's rows)
 * must be byte for byte the same. Deterministic probes; the random differential test is separate.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDatabase } from '../../src/seed/seed-database.js';
import type { CompiledPlan } from '../../src/sql/compile-extract.js';
import { compileText } from '../support/compile.js';
import { scratchDatabase, testEngines, type ScratchDatabase } from '../support/engines.js';
import { catalogue, compilePlan, D, IN_SCOPE, MARK, OUT_OF_SCOPE, outputs, plantExcludedData } from '../unit/sql/closure-harness.js';
import { probeDefinition, type ProbeSpec } from '../unit/sql/probe-definition.js';

const field = (name: string, value: string) => `    - { name: ${name}, value: ${JSON.stringify(value)}, justification: Probes what the population lets through (${name}). }`;
const fromPractice = (...fields: [string, string][]) => `
- name: probe
  from: practice
  fields:
${field('ods_code', 'ods_code')}
${fields.map(([n, v]) => field(n, v)).join('\n')}
`;
const people = `
- name: people
  from: patient
  fields:
${field('patient_id', 'patient_id')}
`;

const PROBES: [string, ProbeSpec][] = [
  ['practice: is a PDS-sensitive patient registered here?', { datasets: fromPractice(['pds', 'exists(registrations where patient.pds_sensitive = true)']) }],
  ['practice: is a deceased patient registered here?', { datasets: fromPractice(['dead', 'exists(registrations where patient.date_of_death is not null)']) }],
  ['practice: is a patient registered here on a temporary basis?', { datasets: fromPractice(['temporary', "exists(registrations where registration_type <> 'permanent')"]) }],
  ['practice: did a marked patient leave?', { datasets: fromPractice(['left', `exists(registrations where end_date is not null and patient.postcode = '${MARK.postcode}')`]) }],
  ['practice: what conditions do the registered patients have?', { datasets: fromPractice(['marked', `exists(registrations where exists(patient.observations where value_numeric = ${MARK.value}))`]) }],
  ['practice: a marked year of birth through the join to patient', { datasets: fromPractice(['born_1901', 'exists(registrations where year(patient.date_of_birth) = 1901)']) }],
  ['registrations joined back to their patient', {
    datasets: `
- name: registrations
  from: registration
  fields:
${field('registration_id', 'registration_id')}
${field('marked', `patient.postcode = '${MARK.postcode}'`)}
${field('born', 'year(patient.date_of_birth)')}
`,
  }],
  ['registrations held at another practice', {
    datasets: `
- name: elsewhere
  from: registration
  where: practice_ods <> '${IN_SCOPE}'
  fields:
${field('registration_id', 'registration_id')}
`,
  }],
  ['observations with the marked value (at another practice, or of excluded patients)', {
    datasets: `
- name: readings
  from: observation
  where: value_numeric = ${MARK.value}
  fields:
${field('observation_id', 'observation_id')}
`,
  }],
  ['an observation asking whether its patient was registered elsewhere', {
    datasets: `
- name: readings
  from: observation
  fields:
${field('observation_id', 'observation_id')}
${field('elsewhere', `exists(patient.registrations where practice_ods = '${OUT_OF_SCOPE}')`)}
`,
  }],
  ['an observation reaching other patients through its practice', {
    datasets: `
- name: readings
  from: observation
  fields:
${field('observation_id', 'observation_id')}
${field('neighbour', `exists(practice.registrations where patient.postcode = '${MARK.postcode}')`)}
`,
  }],
  ['a patient reaching other patients through nested exists()', {
    datasets: `
- name: people
  from: patient
  fields:
${field('patient_id', 'patient_id')}
${field('neighbour', `exists(registrations where exists(practice.registrations where patient.postcode = '${MARK.postcode}'))`)}
`,
  }],
  ['a population filter asking whether a PDS-sensitive patient shares the practice', {
    where: 'exists(registrations where exists(practice.registrations where patient.pds_sensitive = true))',
    datasets: people,
  }],
  ['a population filter on the patient\'s own rows held at another practice', {
    where: `not exists(observations where value_numeric = ${MARK.value})`,
    datasets: people,
  }],
  ['a population filter on the patient\'s own registrations elsewhere', {
    where: `not exists(registrations where practice_ods = '${OUT_OF_SCOPE}')`,
    datasets: people,
  }],
  ['a population filter three exists() deep into other patients\' observations', {
    where: `exists(registrations where exists(practice.registrations where exists(patient.observations where value_numeric = ${MARK.value})))`,
    datasets: people,
  }],
  ['direct care, a practice probing its registered patients', {
    care: 'direct',
    datasets: fromPractice(['marked', `exists(registrations where patient.postcode = '${MARK.postcode}')`], ['temporary', "exists(registrations where registration_type <> 'permanent')"]),
  }],
  ['a dataset filter reaching other patients, every field plain', {
    datasets: `
- name: practices
  from: practice
  where: exists(registrations where patient.pds_sensitive = true or patient.date_of_death is not null)
  fields:
${field('ods_code', 'ods_code')}
`,
  }],
];

describe('a control table is out whole, even for a definition lint never saw', () => {
  it('the compiler refuses a probe of the opt-out table through exists()', () => {
    const text = probeDefinition({ datasets: fromPractice(['opted', 'exists(registrations where exists(patient.opt_outs))']) });
    expect(() => compilePlan(compileText(text).definition)).toThrow(/opt_out is a control table, which no query may read/);
  });
});

describe('the probes are many and distinct', () => {
  it('at least 15, each a different definition', () => {
    expect(PROBES.length).toBeGreaterThanOrEqual(15);
    expect(new Set(PROBES.map(([, spec]) => probeDefinition(spec))).size).toBe(PROBES.length);
  });
});

describe.each(testEngines())('compiler closure probes on %s', (engine) => {
  let scratch: ScratchDatabase;
  const plans = new Map<string, CompiledPlan>(PROBES.map(([name, spec]) => [name, compilePlan(compileText(probeDefinition(spec)).definition)]));
  const before = new Map<string, Record<string, string[]>>();
  const after = new Map<string, Record<string, string[]>>();

  beforeAll(async () => {
    scratch = await scratchDatabase(engine, { maxConnections: 12 });
    await seedDatabase(scratch.db, catalogue, { practices: 3, patients: 80, seed: 13, asOf: D });
    for (const [name, plan] of plans) before.set(name, await outputs(scratch.db, plan));
    await plantExcludedData(scratch.db);
    for (const [name, plan] of plans) after.set(name, await outputs(scratch.db, plan));
  }, 300_000);
  afterAll(async () => scratch?.drop());

  for (const [name] of PROBES) {
    it(`${name}: identical output with and without excluded data`, () => {
      expect(after.get(name)).toEqual(before.get(name));
    });
  }
});
