/**
 * An independent check of the SQL compiler: each test compiles a definition, runs its full
 * extract on a seeded database (on every engine) and compares the rows with what the
 * specification says they must be, computed in plain JavaScript over the raw table contents by
 * test/support/extract-model.ts. Nothing here is derived from src/sql.
 *
 * The specification, for the snapshot date D and N, the snapshot's own date (the day the test
 * runs; exclusions are those in force in the snapshot, judged up to the later of D and N):
 * - Population: registered at a listed practice by a registration not deleted, with start_date
 *   <= D and end_date null or >= max(D, N) (end_date is the last day); `registration: permanent`
 *   admits only permanent registrations; the patient not deleted, never PDS-sensitive; with
 *   `deceased: exclude`, no recorded date_of_death; an opt-out that is respected excludes the
 *   patient when in force at any time from D 00:00Z to the end of max(D, N); the National Data
 *   Opt-out defaults to respect for indirect care, not_applicable for direct; the population
 *   `where`. Several current registrations: permanent first, then earliest start, then lowest id.
 * - Dataset rows: rows of members, held at a listed practice (a table with a practice), that are
 *   not deleted, not confidential, and have no coded column in a sensitive set (unless a valid
 *   exemption names the set, which it releases on the dataset's own table only); the same guards,
 *   with every sensitive set, inside exists() and on a to-one relation read in a field (a failing
 *   related row reads as null).
 * - Transforms give text: see the transforms block.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referenceCatalogue } from '../../../src/catalogue/load-catalogue.js';
import type { Row } from '../../../src/db/database.js';
import { checkDefinitionText } from '../../../src/pipeline/check-definition.js';
import { ruleCatalogue } from '../../../src/pipeline/lint-definition.js';
import { loadPolicy } from '../../../src/policy/policy.js';
import { PLANTED_ROLES } from '../../../src/seed/patient-history.js';
import { seedDatabase } from '../../../src/seed/seed-database.js';
import { bindParameters } from '../../../src/sql/bind-parameters.js';
import { compileExtract, type CompiledPlan } from '../../../src/sql/compile-extract.js';
import { scratchDatabase, testEngines, type ScratchDatabase } from '../../support/engines.js';
import {
  addDays,
  ageBand,
  ageYears,
  dateOfInstant,
  ExtractModel,
  loadSnapshot,
  monthText,
  plantEdgeCases,
  postcodeDistrict,
  pseudonym,
  rowDifference,
  yearText,
  type Population,
  type ObservationRow,
  type PatientRow,
  type Plants,
  type PopulationRules,
  type SensitiveSetName,
  type TextRow,
} from '../../support/extract-model.js';

/** The snapshot date D of every run. */
const D = '2026-11-21';
/** The pseudonym key named 'k' in the definitions: 34 characters, one of them not ASCII (UTF-8 matters). */
const KEY = 'semantics-test-key-é-0123456789abc';
const KEYS = new Map([['k', KEY]]);

const catalogue = referenceCatalogue();
const policy = loadPolicy(ruleCatalogue).policy!;

type Role = (typeof PLANTED_ROLES)[number];
/** The patient_id of the seed's patient with a planted role (index i is patient i + 1). */
const role = (r: Role): string => String(PLANTED_ROLES.indexOf(r) + 1);

// ---------------------------------------------------------------------------------------------
// Writing definitions.
// ---------------------------------------------------------------------------------------------

/** Strips the common leading indentation of a template literal (and its first and last blank lines). */
function dedent(strings: TemplateStringsArray, ...values: unknown[]): string {
  const text = strings.reduce((out, s, i) => out + s + (i < values.length ? String(values[i]) : ''), '');
  const lines = text.replace(/^\n/, '').replace(/\n\s*$/, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => l.match(/^ */)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n');
}

const indent = (text: string, by: number) =>
  text
    .split('\n')
    .map((l) => (l ? ' '.repeat(by) + l : l))
    .join('\n');

const HEADER = {
  indirect: dedent`
    use_case: data_warehouse
    care_type: indirect
    intended_use: >-
      Independent check of the compiled SQL against a model of the specification, on synthetic data.
    legal_basis:
      article_6: 6(1)(e) public task
      article_9: 9(2)(h) management of health care systems
      statement: Synthetic test data only; nothing leaves the test.
    dpia: DPIA-TEST-001
    risk:
      singling_out: Synthetic patients only; the test compares rows and discards them.
      linkability: The pseudonym key exists only in the test.
    review:
      last_reviewed: 2026-11-01
      reviewer: Test Data Protection Officer
  `,
  direct: dedent`
    use_case: direct_care_planning
    care_type: direct
    intended_use: >-
      Independent check of the compiled SQL for a practice's own direct care planning, on synthetic data.
    legal_basis:
      article_6: 6(1)(e) public task
      article_9: 9(2)(h) provision of health care
      statement: Synthetic test data only; nothing leaves the test.
    dpia: DPIA-TEST-002
    risk:
      singling_out: Identifies synthetic patients by design; the test discards the rows.
      linkability: Nothing is joined to the rows.
    review:
      last_reviewed: 2026-11-01
      reviewer: Test Caldicott Guardian
  `,
};

/** A population as a test writes it: the settings, and the `where` both as text and as JavaScript. */
interface PopulationSpec {
  /** Omitted: every seeded practice. */
  practices?: string[];
  registration: 'permanent' | 'all';
  deceased: 'exclude' | 'include';
  type1OptOut: 'respect' | 'override';
  /** Omitted: not written, so the default for the care type applies. */
  nationalDataOptOut?: 'respect' | 'not_applicable';
  where?: { text: string; test: (patient: PatientRow) => boolean };
}

/** One extract to compile and run. */
interface ExtractCase {
  care: 'indirect' | 'direct';
  population: PopulationSpec;
  layout?: 'single_zip' | 'per_practice';
  /** YAML text of the `datasets` list. */
  datasets: string;
  /** YAML text of the `exemptions` list. */
  exemptions?: string;
  /** The sensitive sets the exemptions validly admit (the model's reading of `exemptions`). */
  exempt?: SensitiveSetName[];
}

/** The `population` block of a definition. */
function populationYaml(spec: PopulationSpec, practices: readonly string[]): string {
  const lines = [`registration: ${spec.registration}`];
  if (spec.registration === 'all') lines.push('registration_justification: Temporary residents are cared for by the practice too.');
  lines.push(`deceased: ${spec.deceased}`);
  if (spec.deceased === 'include') lines.push('deceased_justification: Bereavement follow-up needs the records of patients who died.');
  lines.push(`type1_opt_out: ${spec.type1OptOut}`);
  if (spec.type1OptOut === 'override') lines.push('type1_opt_out_justification: A Type 1 opt-out does not cover direct care by the own practice.');
  if (spec.nationalDataOptOut) lines.push(`national_data_opt_out: ${spec.nationalDataOptOut}`);
  lines.push(`practices: [${practices.join(', ')}]`);
  if (spec.where) lines.push(`where: ${JSON.stringify(spec.where.text)}`);
  return lines.join('\n');
}

/** The whole definition, as YAML text. */
function definitionYaml(c: ExtractCase, practices: readonly string[]): string {
  return [
    'exdef: 1',
    'id: semantics-test',
    'title: Independent check of the compiled SQL',
    'version: 1',
    'owner: { organisation: Test, contact: test@example.nhs.uk }',
    HEADER[c.care],
    'population:',
    indent(populationYaml(c.population, practices), 2),
    'mode: full',
    'schedule: { frequency: weekly }',
    `output: { csv: { delimiter: ',', quote: '"', header: true, line_ending: lf }, layout: ${c.layout ?? 'single_zip'} }`,
    'datasets:',
    indent(c.datasets, 2),
    // An exemption applies in the datasets it names: these tests release a set in every dataset.
    ...(c.exemptions ? ['exemptions:', indent(c.exemptions.replace(/^(\s*)- rule: (.*)$/gm, (_, pad: string, rule: string) => `${pad}- rule: ${rule}\n${pad}  datasets: [${[...c.datasets.matchAll(/^- name: (\S+)/gm)].map((m) => m[1]).join(', ')}]`), 2)] : []),
    '',
  ].join('\n');
}

/** Resolves and compiles a definition; fails the test with the messages when it does not resolve. */
function compile(yamlText: string): CompiledPlan {
  const { definition, diagnostics } = checkDefinitionText('semantics-test.exdef.yaml', yamlText, { catalogue });
  const errors = diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);
  expect(errors, `the definition does not resolve:\n${yamlText}`).toEqual([]);
  return compileExtract(definition!, { catalogue, policy, today: D });
}

// ---------------------------------------------------------------------------------------------
// Dataset YAML used by several cases.
// ---------------------------------------------------------------------------------------------

const PEOPLE = dedent`
  - name: people
    from: patient
    fields:
      - { name: patient_id, value: patient_id, justification: Identifies the patient in the comparison. }
`;

const OBSERVATIONS = dedent`
  - name: observations
    from: observation
    fields:
      - { name: observation_id, value: observation_id, justification: Identifies the observation in the comparison. }
      - { name: patient_id, value: patient_id, justification: Ties the observation to its patient. }
      - { name: code, value: code, justification: The coded concept the guards judge. }
`;

const IM1_DEFAULTS: PopulationSpec = { registration: 'permanent', deceased: 'exclude', type1OptOut: 'respect' };

// ---------------------------------------------------------------------------------------------
// The tests, on every engine.
// ---------------------------------------------------------------------------------------------

describe.each(testEngines())('compiled full extracts on %s match the specification', (engine) => {
  let scratch: ScratchDatabase;
  let model: ExtractModel;
  let plants: Plants;
  /** The planted patient of an edge case. */
  const planted = (name: keyof Plants['patient']) => plants.patient[name];

  beforeAll(async () => {
    scratch = await scratchDatabase(engine, { maxConnections: 12 });
    await seedDatabase(scratch.db, catalogue, { practices: 3, patients: 400, seed: 7, asOf: D });
    // N is the database's own date (the SQL reads now()): PostgreSQL's is the real one, while this
    // process runs in the suite's world date (test/support/world-clock.mjs).
    const [{ today: N } = { today: '' }] = await scratch.db.query<{ today: string }>(`SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS today`);
    plants = await plantEdgeCases(scratch.db, new ExtractModel(await loadSnapshot(scratch.db), D, N), PLANTED_ROLES.length + 1);
    model = new ExtractModel(await loadSnapshot(scratch.db), D, N);
  });
  afterAll(async () => scratch?.drop());

  /** A compiled case with its model population, and its datasets run once each on demand. */
  interface Prepared {
    plan: CompiledPlan;
    rules: PopulationRules;
    members: Population;
    blocked: Set<string>;
    rows(dataset: string): Promise<Row[]>;
    populationRows(): Promise<Row[]>;
  }

  function prepare(c: ExtractCase): Prepared {
    const practices = c.population.practices ?? model.snapshot.practices;
    const plan = compile(definitionYaml(c, practices));
    const rules: PopulationRules = {
      practices,
      registration: c.population.registration,
      deceased: c.population.deceased,
      type1OptOut: c.population.type1OptOut,
      nationalDataOptOut: c.population.nationalDataOptOut ?? (c.care === 'indirect' ? 'respect' : 'not_applicable'),
      ...(c.population.where ? { where: c.population.where.test } : {}),
    };
    const cache = new Map<string, Promise<Row[]>>();
    const runQuery = (query: CompiledPlan['population']) =>
      scratch.db.query(query.sql, bindParameters(plan, query, { snapshotDate: D, keys: KEYS }));
    return {
      plan,
      rules,
      members: model.population(rules),
      blocked: model.blockedCodes(c.exempt ?? []),
      rows(dataset) {
        const ds = plan.datasets.find((d) => d.name === dataset);
        if (!ds) throw new Error(`no dataset ${dataset}`);
        if (!cache.has(dataset)) cache.set(dataset, runQuery(ds.full));
        return cache.get(dataset)!;
      },
      populationRows: () => runQuery(plan.population),
    };
  }

  /**
   * The dataset's output columns are `fields` (plus __practice under per_practice) and its rows
   * are exactly `expected`, as multisets.
   */
  async function expectDataset(ex: Prepared, dataset: string, fields: string[], expected: TextRow[]): Promise<void> {
    const columns = ex.plan.definition.layout === 'per_practice' ? ['__practice', ...fields] : fields;
    expect(ex.plan.datasets.find((d) => d.name === dataset)?.columns.map((c) => c.name), `columns of ${dataset}`).toEqual(columns);
    const actual = await ex.rows(dataset);
    expect(rowDifference(actual, expected, columns), `rows of ${dataset}`).toEqual({ rows: expected.length, missing: [], unexpected: [] });
  }

  /** The population query lists exactly the members (not opted out) with their practice. */
  async function expectPopulationQuery(ex: Prepared): Promise<void> {
    const rows = await ex.populationRows();
    const expected = [...ex.members.values()].map((m) => ({ patient_id: m.patient.patient_id, practice: m.registration.practice_ods }));
    expect(rowDifference(rows.filter((r) => r['opted_out'] === false), expected, ['patient_id', 'practice'])).toEqual({ rows: expected.length, missing: [], unexpected: [] });
    // Rows flagged opted_out are left out for an opt-out the definition respects.
    for (const r of rows.filter((r) => r['opted_out'] !== false)) {
      const id = String(r['patient_id']);
      expect(r['opted_out'], `patient ${id}`).toBe(true);
      expect(ex.members.has(id), `patient ${id} is a member yet flagged opted_out`).toBe(false);
      const respected =
        (ex.rules.type1OptOut === 'respect' && model.optOutInForce(id, 'type1')) ||
        (ex.rules.nationalDataOptOut === 'respect' && model.optOutInForce(id, 'national_data_opt_out'));
      expect(respected, `patient ${id} is flagged opted_out without a respected opt-out in force on D`).toBe(true);
    }
  }

  /** patient_id of each row, as a set. */
  const patientIds = (rows: Row[]) => new Set(rows.map((r) => String(r['patient_id'])));

  /** Expected people rows: just the patient_id of each guarded member. */
  const expectedPeople = (ex: Prepared): TextRow[] => model.guardedPatients(ex.members, ex.blocked).map((p) => ({ patient_id: p.patient_id }));

  /** Expected observation rows (observation_id, patient_id, code) for the guarded observations passing `where`. */
  const expectedObservations = (ex: Prepared, where: (o: { code: string; effective_date: string }) => boolean = () => true): TextRow[] =>
    model
      .guardedObservations(ex.members, ex.blocked)
      .filter(where)
      .map((o) => ({ observation_id: o.observation_id, patient_id: o.patient_id, code: o.code }));

  // -------------------------------------------------------------------------------------------
  describe('the seed and the planted edge cases', () => {
    it('hold what the checks below rely on', () => {
      const s = model.snapshot;
      const patient = (id: string) => model.patients.get(id)!;
      const registrations = (id: string) => s.registrations.filter((r) => r.patient_id === id);
      const optOuts = (id: string) => s.optOuts.filter((o) => o.patient_id === id);
      const observations = (id: string) => s.observations.filter((o) => o.patient_id === id);
      const inSet = (set: SensitiveSetName) => (o: { code: string }) => model.sets.get(set)!.has(o.code);
      const facts: Record<string, boolean> = {
        'pds-sensitive: pds_sensitive': patient(role('pds-sensitive')).pds_sensitive,
        'type1-in-force: open Type 1 opt-out': optOuts(role('type1-in-force')).some((o) => o.opt_out_type === 'type1' && o.effective_to === null && o.effective_from < D),
        'type1-opted-back-in: ended Type 1 opt-out': optOuts(role('type1-opted-back-in')).some((o) => o.opt_out_type === 'type1' && o.effective_to !== null && o.effective_to < D),
        'national-in-force: open National Data Opt-out': optOuts(role('national-in-force')).some((o) => o.opt_out_type === 'national_data_opt_out' && o.effective_to === null),
        'national-opted-back-in: ended National Data Opt-out': optOuts(role('national-opted-back-in')).some(
          (o) => o.opt_out_type === 'national_data_opt_out' && o.effective_to !== null && o.effective_to < D,
        ),
        'deceased: died before D': (patient(role('deceased')).date_of_death ?? D) < D,
        'left: every registration ended before D': registrations(role('left')).every((r) => r.end_date !== null && r.end_date < D),
        'temporary-only: no permanent registration, a current other one':
          registrations(role('temporary-only')).every((r) => r.registration_type !== 'permanent') && registrations(role('temporary-only')).some((r) => model.isCurrent(r)),
        'soft-deleted-patient: deleted_at set': patient(role('soft-deleted-patient')).deleted_at !== null,
        'registration-ends-on-as-of: end_date = D': registrations(role('registration-ends-on-as-of')).some((r) => r.end_date === D && r.registration_type === 'permanent'),
        'death-day-before-as-of: died on D-1': patient(role('death-day-before-as-of')).date_of_death === addDays(D, -1),
        'opt-out-ended-day-before-as-of: opt-out ended on D-1': optOuts(role('opt-out-ended-day-before-as-of')).some((o) => o.effective_to?.slice(0, 10) === addDays(D, -1)),
        'sexuality: a sexuality observation': observations(role('sexuality')).some(inSet('sexuality')),
        'gender: a gender_reassignment observation': observations(role('gender')).some(inSet('gender_reassignment')),
        'sti: a hiv_sti observation': observations(role('sti')).some(inSet('hiv_sti')),
        'termination: a termination_of_pregnancy observation': observations(role('termination')).some(inSet('termination_of_pregnancy')),
        'fertility: an assisted_fertilisation observation': observations(role('fertility')).some(inSet('assisted_fertilisation')),
        'confidential: a confidential observation': observations(role('confidential')).some((o) => o.confidential),
        'soft-deleted-observation: a deleted observation': observations(role('soft-deleted-observation')).some((o) => o.deleted_at !== null),
        'parent-not-member: an observation coded 40733004': observations(role('parent-not-member')).some((o) => o.code === '40733004'),
        '40733004 is an inactive (only) member of the hiv_sti refset':
          s.refsetMembers.some((m) => m.referenced_component_id === '40733004' && m.refset_id === '999004381000000103' && !m.active) && !model.sets.get('hiv_sti')!.has('40733004'),
        'some active hiv_sti members lie below 40733004': [...model.terminology.descendantsOrSelf('40733004')].some((c) => model.sets.get('hiv_sti')!.has(c)),
        '999900041000000105 is three levels below 118199002':
          s.closure.some((c) => c.ancestor_id === '38628009' && c.descendant_id === '999900041000000105') &&
          s.closure.some((c) => c.ancestor_id === '365956009' && c.descendant_id === '38628009') &&
          s.closure.some((c) => c.ancestor_id === '118199002' && c.descendant_id === '365956009'),
        'some observations point at a confidential or deleted consultation': s.observations.some((o) => {
          const c = o.consultation_id === null ? undefined : model.consultations.get(o.consultation_id);
          return c !== undefined && (c.confidential || c.deleted_at !== null);
        }),
        'seeded PrEP issues (hiv_sti dm+d) exist': s.medicationIssues.some((m) => m.dmd_code === '999900221000000108'),
      };
      expect(Object.entries(facts).filter(([, holds]) => !holds).map(([fact]) => fact)).toEqual([]);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('1. the IM1 defaults (indirect care, permanent, deceased excluded, both opt-outs respected)', () => {
    let ex: Prepared;
    beforeAll(() => {
      ex = prepare({ care: 'indirect', population: IM1_DEFAULTS, datasets: `${PEOPLE}\n${OBSERVATIONS}` });
    });

    it('the plan says what it guards', () => {
      expect([...ex.plan.guards.sensitiveSets].sort()).toEqual(['assisted_fertilisation', 'gender_reassignment', 'hiv_sti', 'sexuality', 'termination_of_pregnancy']);
      expect(ex.plan.guards.exemptedSets).toEqual([]);
    });

    it('people: exactly the population', async () => {
      await expectDataset(ex, 'people', ['patient_id'], expectedPeople(ex));
    });

    it('observations: exactly the guarded rows of the population', async () => {
      await expectDataset(ex, 'observations', ['observation_id', 'patient_id', 'code'], expectedObservations(ex));
    });

    it('the population query lists the members and their practice', async () => {
      await expectPopulationQuery(ex);
    });

    it('admits and excludes the planted patients as the rules say', async () => {
      const people = patientIds(await ex.rows('people'));
      // N, the snapshot's own date (the real date the test runs), is after D: exclusions are those
      // in force in the snapshot, so a registration that ended on D and an opt-out that took effect
      // after D exclude (a past D never brings back a patient who has since left or opted out).
      expect(model.snapshotToday > D, 'the test runs after D').toBe(true);
      const expected: Record<string, boolean> = {
        'registration ending on D': false,
        'died the day before D': false,
        'opt-out ended the day before D': true,
        'Type 1 opt-out in force': false,
        'Type 1 opted back in': true,
        'National Data Opt-out in force': false,
        'National Data Opt-out ended': true,
        'PDS-sensitive': false,
        'soft-deleted patient': false,
        'left the practice': false,
        'temporary registration only': false,
        'deceased': false,
        'Type 1 opt-out from 15:00 on D': false,
        'Type 1 opt-out ended at D 00:00Z': true,
        'National Data Opt-out ended at D 00:00:01Z': false,
        'National Data Opt-out from D 23:59:59Z': false,
        'Type 1 opt-out from D+1 00:00Z': false,
        'died on D, still registered': false,
        'registration starting on D': true,
        // The old registration has ended by N, the new one started after D.
        'registration ending on D, the next one starting D+1': false,
        'only registration soft-deleted': false,
      };
      const who: Record<string, string> = {
        'registration ending on D': role('registration-ends-on-as-of'),
        'died the day before D': role('death-day-before-as-of'),
        'opt-out ended the day before D': role('opt-out-ended-day-before-as-of'),
        'Type 1 opt-out in force': role('type1-in-force'),
        'Type 1 opted back in': role('type1-opted-back-in'),
        'National Data Opt-out in force': role('national-in-force'),
        'National Data Opt-out ended': role('national-opted-back-in'),
        'PDS-sensitive': role('pds-sensitive'),
        'soft-deleted patient': role('soft-deleted-patient'),
        'left the practice': role('left'),
        'temporary registration only': role('temporary-only'),
        'deceased': role('deceased'),
        'Type 1 opt-out from 15:00 on D': planted('type1FromDuringD'),
        'Type 1 opt-out ended at D 00:00Z': planted('type1EndedAtStartOfD'),
        'National Data Opt-out ended at D 00:00:01Z': planted('nationalEndedJustAfterStartOfD'),
        'National Data Opt-out from D 23:59:59Z': planted('nationalFromLastSecondOfD'),
        'Type 1 opt-out from D+1 00:00Z': planted('type1FromNextDay'),
        'died on D, still registered': planted('diesOnD'),
        'registration starting on D': planted('registrationStartsOnD'),
        'registration ending on D, the next one starting D+1': planted('registrationStartsNextDay'),
        'only registration soft-deleted': planted('softDeletedRegistration'),
      };
      const actual = Object.fromEntries(Object.entries(who).map(([what, id]) => [what, people.has(id)]));
      expect(actual).toEqual(expected);
    });

    it('no observation carries a sensitive code, however deep below the set it lies', async () => {
      const rows = await ex.rows('observations');
      const sensitive = rows.filter((r) => model.setsOf(String(r['code'])).length > 0);
      expect(sensitive).toEqual([]);
      // The planted roles' sensitive rows exist in the data, their patients are members, and
      // their other rows come through.
      const returned = new Set(rows.map((r) => String(r['observation_id'])));
      for (const [who, set] of [
        ['sexuality', 'sexuality'],
        ['gender', 'gender_reassignment'],
        ['sti', 'hiv_sti'],
        ['termination', 'termination_of_pregnancy'],
        ['fertility', 'assisted_fertilisation'],
      ] as const) {
        const id = role(who);
        expect(ex.members.has(id), `${who} is a member`).toBe(true);
        // Not deleted, not confidential, and not inside a confidential consultation (confidential too).
        const own = model.snapshot.observations.filter(
          (o) => o.patient_id === id && o.deleted_at === null && !o.confidential && !(o.consultation_id !== null && [true, null].includes(model.consultations.get(o.consultation_id)?.confidential ?? false)),
        );
        const inSet = own.filter((o) => model.sets.get(set)!.has(o.code));
        expect(inSet.length, `${who} has ${set} observations`).toBeGreaterThan(0);
        expect(inSet.filter((o) => returned.has(o.observation_id)), `${who}: ${set} rows returned`).toEqual([]);
        expect(own.filter((o) => model.setsOf(o.code).length === 0).every((o) => returned.has(o.observation_id)), `${who}: other rows returned`).toBe(true);
      }
      // 999900041000000105 -> 38628009 -> 365956009 -> 118199002: not returned.
      const deep = model.snapshot.observations.filter((o) => o.code === '999900041000000105' && ex.members.has(o.patient_id));
      expect(deep.length).toBeGreaterThan(0);
      expect(deep.filter((o) => returned.has(o.observation_id))).toEqual([]);
    });

    it('a refset member is excluded while its parent (not a member) stays', async () => {
      const rows = await ex.rows('observations');
      const id = role('parent-not-member');
      expect(rows.some((r) => String(r['patient_id']) === id && String(r['code']) === '40733004')).toBe(true);
      const children = [...model.terminology.descendantsOrSelf('40733004')].filter((c) => c !== '40733004');
      const childRows = rows.filter((r) => children.includes(String(r['code'])));
      expect(childRows.every((r) => model.setsOf(String(r['code'])).length === 0)).toBe(true);
    });

    it('confidential and soft-deleted observations are absent, the patients other rows present', async () => {
      const returned = new Set((await ex.rows('observations')).map((r) => String(r['observation_id'])));
      const cases: [Role, (o: ObservationRow) => boolean][] = [
        ['confidential', (o) => o.confidential],
        ['soft-deleted-observation', (o) => o.deleted_at !== null],
      ];
      for (const [who, hidden] of cases) {
        const id = role(who);
        expect(ex.members.has(id), `${who} is a member`).toBe(true);
        const own = model.snapshot.observations.filter((o) => o.patient_id === id);
        const gone = own.filter(hidden);
        expect(gone.length, `${who} has such rows`).toBeGreaterThan(0);
        expect(gone.filter((o) => returned.has(o.observation_id)), `${who}: hidden rows returned`).toEqual([]);
        const shown = own.filter((o) => o.deleted_at === null && !o.confidential && model.setsOf(o.code).length === 0);
        expect(shown.length).toBeGreaterThan(0);
        expect(shown.filter((o) => !returned.has(o.observation_id)), `${who}: visible rows missing`).toEqual([]);
      }
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('2. direct care with overrides', () => {
    const overrides: PopulationSpec = { registration: 'all', deceased: 'include', type1OptOut: 'override' };

    it('registration all, deceased include, Type 1 override, National Data Opt-out not applicable (the default)', async () => {
      const ex = prepare({ care: 'direct', population: overrides, datasets: `${PEOPLE}\n${OBSERVATIONS}` });
      expect(ex.rules.nationalDataOptOut).toBe('not_applicable');
      await expectDataset(ex, 'people', ['patient_id'], expectedPeople(ex));
      await expectDataset(ex, 'observations', ['observation_id', 'patient_id', 'code'], expectedObservations(ex));
      await expectPopulationQuery(ex);
      const people = patientIds(await ex.rows('people'));
      expect({
        'temporary-only': people.has(role('temporary-only')),
        'type1-in-force': people.has(role('type1-in-force')),
        'national-in-force': people.has(role('national-in-force')),
        'died on D, still registered': people.has(planted('diesOnD')),
        'Type 1 opt-out from 15:00 on D': people.has(planted('type1FromDuringD')),
        'National Data Opt-out from D 23:59:59Z': people.has(planted('nationalFromLastSecondOfD')),
        // The seed ends the deceased patients' registrations on the day they died, so no
        // `deceased` setting can bring them back: they are not registered on D.
        'deceased (registration ended at death)': people.has(role('deceased')),
        'died the day before D (registration ended then)': people.has(role('death-day-before-as-of')),
        'pds-sensitive': people.has(role('pds-sensitive')),
        'soft-deleted-patient': people.has(role('soft-deleted-patient')),
        left: people.has(role('left')),
      }).toEqual({
        'temporary-only': true,
        'type1-in-force': true,
        'national-in-force': true,
        'died on D, still registered': true,
        'Type 1 opt-out from 15:00 on D': true,
        'National Data Opt-out from D 23:59:59Z': true,
        'deceased (registration ended at death)': false,
        'died the day before D (registration ended then)': false,
        'pds-sensitive': false,
        'soft-deleted-patient': false,
        left: false,
      });
    });

    it('direct care respecting Type 1: the National Data Opt-out still does not apply by default', async () => {
      const ex = prepare({ care: 'direct', population: { registration: 'permanent', deceased: 'exclude', type1OptOut: 'respect' }, datasets: PEOPLE });
      await expectDataset(ex, 'people', ['patient_id'], expectedPeople(ex));
      await expectPopulationQuery(ex);
      const people = patientIds(await ex.rows('people'));
      expect([people.has(role('type1-in-force')), people.has(role('national-in-force')), people.has(planted('nationalEndedJustAfterStartOfD'))]).toEqual([false, true, true]);
    });

    it('direct care with the National Data Opt-out respected explicitly', async () => {
      const ex = prepare({
        care: 'direct',
        population: { registration: 'permanent', deceased: 'exclude', type1OptOut: 'override', nationalDataOptOut: 'respect' },
        datasets: PEOPLE,
      });
      await expectDataset(ex, 'people', ['patient_id'], expectedPeople(ex));
      await expectPopulationQuery(ex);
      const people = patientIds(await ex.rows('people'));
      expect([people.has(role('type1-in-force')), people.has(role('national-in-force')), people.has(planted('nationalEndedJustAfterStartOfD'))]).toEqual([true, false, false]);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('3. one practice only', () => {
    it('IM1 defaults at the second practice', async () => {
      const practice = model.snapshot.practices[1]!;
      const ex = prepare({ care: 'indirect', population: { ...IM1_DEFAULTS, practices: [practice] }, datasets: `${PEOPLE}\n${OBSERVATIONS}` });
      expect(ex.members.size).toBeGreaterThan(50);
      expect([...ex.members.values()].every((m) => m.registration.practice_ods === practice)).toBe(true);
      await expectDataset(ex, 'people', ['patient_id'], expectedPeople(ex));
      await expectDataset(ex, 'observations', ['observation_id', 'patient_id', 'code'], expectedObservations(ex));
      await expectPopulationQuery(ex);
    });

    it('registration all at the first practice: a temporary registration there counts though the permanent one is elsewhere', async () => {
      const practice = model.snapshot.practices[0]!;
      const ex = prepare({
        care: 'direct',
        population: { registration: 'all', deceased: 'exclude', type1OptOut: 'override', practices: [practice] },
        datasets: dedent`
          - name: people
            from: patient
            fields:
              - { name: patient_id, value: patient_id, justification: Identifies the patient in the comparison. }
              - { name: practice, value: current_registration.practice_ods, justification: The practice that put the patient in the population. }
              - { name: registration_type, value: current_registration.registration_type, justification: The type of that registration. }
        `,
      });
      // Patients registered permanently elsewhere and temporarily at this practice.
      const visitors = [...ex.members.values()].filter((m) => m.registration.registration_type !== 'permanent' && model.qualifyingRegistrations(m.patient.patient_id, { practices: model.snapshot.practices, registration: 'permanent' }).length > 0);
      expect(visitors.length).toBeGreaterThan(0);
      await expectDataset(
        ex,
        'people',
        ['patient_id', 'practice', 'registration_type'],
        model.guardedPatients(ex.members, ex.blocked).map((p) => {
          const r = ex.members.get(p.patient_id)!.registration;
          return { patient_id: p.patient_id, practice: r.practice_ods, registration_type: r.registration_type };
        }),
      );
      await expectPopulationQuery(ex);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('4. population and dataset filters; a filter asking for sensitive codes', () => {
    const women25: PopulationSpec = {
      ...IM1_DEFAULTS,
      where: { text: "sex = 'female' and age_years(date_of_birth) >= 25", test: (p) => p.sex === 'female' && ageYears(p.date_of_birth, D) >= 25 },
    };
    const datasets = dedent`
      - name: people
        from: patient
        fields:
          - { name: patient_id, value: patient_id, justification: Identifies the patient in the comparison. }
          - { name: age, value: age_years(date_of_birth), justification: Checks the population filter on age. }
      - name: blood_pressure
        from: observation
        where: code in << 75367002 and effective_date >= today() - interval '2 years'
        fields:
          - { name: observation_id, value: observation_id, justification: Identifies the observation in the comparison. }
          - { name: effective_date, value: effective_date, justification: Checks the date filter. }
      - name: findings
        from: observation
        where: code in << 404684003 and effective_date >= 2020-01-01
        fields:
          - { name: observation_id, value: observation_id, justification: Identifies the observation in the comparison. }
          - { name: code, value: code, justification: A broad filter that takes in sensitive findings. }
      - name: sexuality_asked
        from: observation
        where: code in << 118199002
        fields:
          - { name: observation_id, value: observation_id, justification: Identifies the observation in the comparison. }
          - { name: code, value: code, justification: The filter asks for sexuality codes only. }
      - name: whole_sexuality_set
        from: observation
        where: code in (<< 118199002 OR << 365957000 OR << 118200004 OR << 171023003)
        fields:
          - { name: observation_id, value: observation_id, justification: Identifies the observation in the comparison. }
    `;
    const sexuality118199002 = () => model.terminology.descendantsOrSelf('118199002');
    const sexualitySet = () => model.sets.get('sexuality')!;

    /** Expected rows of the four observation datasets under `ex` (whose blocked codes say what the guards allow). */
    async function expectAll(ex: Prepared) {
      const obs = model.guardedObservations(ex.members, ex.blocked);
      await expectDataset(
        ex,
        'people',
        ['patient_id', 'age'],
        model.guardedPatients(ex.members, ex.blocked).map((p) => ({ patient_id: p.patient_id, age: String(ageYears(p.date_of_birth, D)) })),
      );
      const twoYearsAgo = `${Number(D.slice(0, 4)) - 2}${D.slice(4)}`;
      const bp = model.terminology.descendantsOrSelf('75367002');
      await expectDataset(
        ex,
        'blood_pressure',
        ['observation_id', 'effective_date'],
        obs.filter((o) => bp.has(o.code) && o.effective_date >= twoYearsAgo).map((o) => ({ observation_id: o.observation_id, effective_date: o.effective_date })),
      );
      const findings = model.terminology.descendantsOrSelf('404684003');
      await expectDataset(
        ex,
        'findings',
        ['observation_id', 'code'],
        obs.filter((o) => findings.has(o.code) && o.effective_date >= '2020-01-01').map((o) => ({ observation_id: o.observation_id, code: o.code })),
      );
      const asked = obs.filter((o) => sexuality118199002().has(o.code)).map((o) => ({ observation_id: o.observation_id, code: o.code }));
      await expectDataset(ex, 'sexuality_asked', ['observation_id', 'code'], asked);
      const whole = obs.filter((o) => sexualitySet().has(o.code)).map((o) => ({ observation_id: o.observation_id }));
      await expectDataset(ex, 'whole_sexuality_set', ['observation_id'], whole);
      return { asked, whole };
    }

    it('without an exemption the guard wins: no sexuality rows at all', async () => {
      const ex = prepare({ care: 'indirect', population: women25, datasets });
      expect([...ex.members.values()].every((m) => m.patient.sex === 'female')).toBe(true);
      expect(ex.members.has(planted('female25OnD'))).toBe(true);
      expect(ex.members.has(planted('female25NextDay'))).toBe(false);
      const { asked, whole } = await expectAll(ex);
      expect([asked, whole]).toEqual([[], []]);
      // ...though the population has unguarded sexuality rows the filter would match.
      expect(model.snapshot.observations.some((o) => ex.members.has(o.patient_id) && !o.confidential && o.deleted_at === null && sexuality118199002().has(o.code))).toBe(true);
      await expectPopulationQuery(ex);
    });

    const exemption = (expires?: string) => dedent`
      - rule: sensitive-codes
        code_set: sexuality
        legal_basis:
          article_6: 6(1)(e) public task
          article_9: 9(2)(h) management of health care systems
          notice: Direction 2023/14 under section 254 of the Health and Social Care Act 2012 (test)
        justification: The commissioned service needs the sexual health findings it follows up (test).
        ${expires ? `expires: ${expires}` : ''}
    `;

    it('with a valid sexuality exemption: exactly the unguarded sexuality rows in no other non-exempt set', async () => {
      const ex = prepare({ care: 'indirect', population: women25, datasets, exemptions: exemption('2027-06-30'), exempt: ['sexuality'] });
      expect(ex.plan.guards.exemptedSets).toEqual(['sexuality']);
      const { asked, whole } = await expectAll(ex);
      expect(asked.length).toBeGreaterThan(0);
      expect(whole.length).toBeGreaterThan(asked.length);
      expect(asked.some((r) => r.code === '999900041000000105')).toBe(true);
    });

    it('an expired exemption admits nothing', async () => {
      const ex = prepare({ care: 'indirect', population: women25, datasets, exemptions: exemption('2026-06-30') });
      const { asked, whole } = await expectAll(ex);
      expect([asked, whole]).toEqual([[], []]);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('5. exists(): the related rows are guarded too', () => {
    const datasets = dedent`
      - name: infected
        from: patient
        where: exists(observations where code in << 40733004)
        fields:
          - { name: patient_id, value: patient_id, justification: Identifies the patient in the comparison. }
      - name: not_infected
        from: patient
        where: not exists(observations where code in << 40733004)
        fields:
          - { name: patient_id, value: patient_id, justification: Identifies the patient in the comparison. }
      - name: flags
        from: patient
        fields:
          - { name: patient_id, value: patient_id, justification: Identifies the patient in the comparison. }
          - { name: has_infection, value: exists(observations where code in << 40733004), justification: exists() as a true/false field. }
          - { name: referred, value: exists(referrals where code in << 40733004 or code = 13645005), justification: exists() over referrals. }
    `;

    async function check(ex: Prepared) {
      const infection = model.terminology.descendantsOrSelf('40733004');
      // Inside exists() every sensitive set stays excluded: an exemption releases a set only on
      // the coded columns of the dataset's own table.
      const everySet = model.blockedCodes();
      const has = (id: string) => model.existsObservation(ex.members, id, everySet, (o) => infection.has(o.code));
      const referred = (id: string) => model.existsReferral(ex.members, id, everySet, (r) => infection.has(r.code) || r.code === '13645005');
      const people = model.guardedPatients(ex.members, ex.blocked);
      await expectDataset(ex, 'infected', ['patient_id'], people.filter((p) => has(p.patient_id)).map((p) => ({ patient_id: p.patient_id })));
      await expectDataset(ex, 'not_infected', ['patient_id'], people.filter((p) => !has(p.patient_id)).map((p) => ({ patient_id: p.patient_id })));
      await expectDataset(
        ex,
        'flags',
        ['patient_id', 'has_infection', 'referred'],
        people.map((p) => ({ patient_id: p.patient_id, has_infection: String(has(p.patient_id)), referred: String(referred(p.patient_id)) })),
      );
      return patientIds(await ex.rows('infected'));
    }

    it('a sensitive, confidential or deleted related row never makes exists() true', async () => {
      const ex = prepare({ care: 'indirect', population: IM1_DEFAULTS, datasets });
      const infected = await check(ex);
      expect({
        'parent-not-member (40733004 itself)': infected.has(role('parent-not-member')),
        'visible 40733004': infected.has(planted('infectionVisible')),
        'confidential 40733004': infected.has(planted('infectionConfidential')),
        'deleted 40733004': infected.has(planted('infectionDeleted')),
        'gonorrhea (hiv_sti) below 40733004': infected.has(planted('infectionSensitiveChild')),
        'sti role (hiv_sti codes below 40733004 only)': infected.has(role('sti')),
      }).toEqual({
        'parent-not-member (40733004 itself)': true,
        'visible 40733004': true,
        'confidential 40733004': false,
        'deleted 40733004': false,
        'gonorrhea (hiv_sti) below 40733004': false,
        'sti role (hiv_sti codes below 40733004 only)': false,
      });
      const flags = new Map((await ex.rows('flags')).map((r) => [String(r['patient_id']), r['referred']]));
      const p = planted('sensitiveReferrals');
      expect(flags.get(p), 'the plain 13645005 referral').toBe('true');
    });

    it('an hiv_sti exemption does not reach inside exists(): the sensitive rows below 40733004 still do not count', async () => {
      const ex = prepare({
        care: 'indirect',
        population: IM1_DEFAULTS,
        datasets,
        exemptions: dedent`
          - rule: sensitive-codes
            code_set: hiv_sti
            legal_basis:
              article_6: 6(1)(e) public task
              article_9: 9(2)(h) management of health care systems
              notice: Direction 2023/14 under section 254 of the Health and Social Care Act 2012 (test)
            justification: The commissioned sexual health service needs the diagnoses it treats (test).
            expires: 2027-06-30
        `,
        exempt: ['hiv_sti'],
      });
      const infected = await check(ex);
      expect([infected.has(planted('infectionSensitiveChild')), infected.has(role('sti')), infected.has(planted('infectionConfidential'))]).toEqual([false, false, false]);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('6. per_practice routing and to-one relations', () => {
    const population: PopulationSpec = { registration: 'all', deceased: 'exclude', type1OptOut: 'override' };
    const datasets = dedent`
      - name: people
        from: patient
        fields:
          - { name: patient_id, value: patient_id, justification: Identifies the patient in the comparison. }
          - { name: practice, value: current_registration.practice_ods, justification: The practice that put the patient in the population. }
          - { name: registered_since, value: current_registration.start_date, justification: The start of that registration. }
      - name: observations
        from: observation
        fields:
          - { name: observation_id, value: observation_id, justification: Identifies the observation in the comparison. }
          - { name: date_of_birth, value: patient.date_of_birth, justification: A field read through the patient relation. }
          - { name: sex, value: patient.sex, justification: Another field through the patient relation. }
          - { name: practice, value: patient.current_registration.practice_ods, justification: Two relations deep. }
          - { name: consultation_date, value: consultation.consultation_date, justification: A field through the consultation relation. }
    `;

    it('rows go to the practice that holds them (a patient row to its population practice); related rows are read only when they pass their guards', async () => {
      const ex = prepare({ care: 'direct', population, layout: 'per_practice', datasets });
      const practiceOf = (id: string) => ex.members.get(id)!.registration;
      await expectDataset(
        ex,
        'people',
        ['patient_id', 'practice', 'registered_since'],
        model.guardedPatients(ex.members, ex.blocked).map((p) => ({
          patient_id: p.patient_id,
          practice: practiceOf(p.patient_id).practice_ods,
          registered_since: practiceOf(p.patient_id).start_date,
          __practice: practiceOf(p.patient_id).practice_ods,
        })),
      );
      const expectedObs = model.guardedObservations(ex.members, ex.blocked).map((o) => {
        const patient = model.relatedPatient(ex.members, o.patient_id, ex.blocked);
        const consultation = model.relatedConsultation(ex.members, o.consultation_id, ex.blocked);
        return {
          observation_id: o.observation_id,
          date_of_birth: patient?.date_of_birth ?? null,
          sex: patient?.sex ?? null,
          practice: patient ? practiceOf(o.patient_id).practice_ods : null,
          consultation_date: consultation?.consultation_date ?? null,
          // The folder of the practice that holds the row (its controller), not the patient's.
          __practice: o.practice_ods,
        };
      });
      // The cases that make this test bite: an observation held at another practice than its patient's, hidden consultations, a patient row failing its guards.
      expect(model.guardedObservations(ex.members, ex.blocked).some((o) => o.practice_ods !== practiceOf(o.patient_id).practice_ods)).toBe(true);
      expect(expectedObs.some((r) => r.consultation_date === null && model.snapshot.observations.find((o) => o.observation_id === r.observation_id)!.consultation_id !== null)).toBe(true);
      expect(expectedObs.some((r) => r.date_of_birth === null)).toBe(true);
      await expectDataset(ex, 'observations', ['observation_id', 'date_of_birth', 'sex', 'practice', 'consultation_date'], expectedObs);
      await expectPopulationQuery(ex);

      // The tie-breaks, explicitly.
      const routed = new Map((await ex.rows('people')).map((r) => [String(r['patient_id']), r['__practice']]));
      // registrationStartsNextDay is out: its old registration ended (on D) before N, the snapshot's
      // own date, and the new one started after D.
      expect(routed.has(planted('registrationStartsNextDay'))).toBe(false);
      const tieBreaks = ['registrationStartsOnD', 'earlierPermanent', 'samePermanentStart', 'earlierTemporary'] as const;
      expect(Object.fromEntries(tieBreaks.map((n) => [n, routed.get(planted(n))]))).toEqual(Object.fromEntries(tieBreaks.map((n) => [n, plants.practice[n]])));
      const multi = [...ex.members.values()].filter((m) => model.qualifyingRegistrations(m.patient.patient_id, ex.rules).length > 1);
      expect(multi.length).toBeGreaterThanOrEqual(5);
    });

    it('a patient whose own row fails the guards (sensitive ethnicity) is in the population but not in people; their observations read the patient as null', async () => {
      const ex = prepare({ care: 'direct', population, layout: 'per_practice', datasets });
      const id = planted('sensitiveEthnicity');
      expect(ex.members.has(id)).toBe(true);
      expect(patientIds(await ex.rows('people')).has(id)).toBe(false);
      const own = (await ex.rows('observations')).filter((r) => model.snapshot.observations.find((o) => o.observation_id === String(r['observation_id']))!.patient_id === id);
      expect(own.length).toBeGreaterThan(0);
      expect(own.every((r) => r['date_of_birth'] === null && r['sex'] === null && r['practice'] === null && r['__practice'] === ex.members.get(id)!.registration.practice_ods)).toBe(true);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('7. transforms', () => {
    const datasets = dedent`
      - name: people
        from: patient
        fields:
          - { name: patient_id, value: patient_id, justification: Identifies the patient in the comparison. }
          - { name: birth_year, value: year(date_of_birth), justification: year() of a date. }
          - { name: birth_month, value: month(date_of_birth), justification: month() of a date. }
          - { name: date_of_birth, value: date_of_birth, justification: A date as text. }
          - { name: age, value: age_years(date_of_birth), justification: Whole years on the snapshot date. }
          - { name: band, value: age_band(date_of_birth), justification: Five-year bands. }
          - { name: band10, value: "age_band(date_of_birth, 10)", justification: Ten-year bands. }
          - { name: band20, value: "age_band(date_of_birth, 20)", justification: Twenty-year bands with the cap at 89. }
          - { name: district, value: postcode_district(postcode), justification: The outward code. }
          - { name: person_key, value: "pseudonym(nhs_number, 'k')", justification: Keyed pseudonym of text. }
          - { name: id_key, value: "pseudonym(patient_id, 'k')", justification: Keyed pseudonym of a whole number. }
          - { name: ethnicity, value: ethnicity_code, justification: A code as decimal text. }
          - { name: female, value: sex = 'female', justification: A true/false value. }
      - name: observations
        from: observation
        fields:
          - { name: observation_id, value: observation_id, justification: Identifies the observation in the comparison. }
          - { name: recorded_year, value: year(recorded_at), justification: year() of a timestamp. }
          - { name: recorded_month, value: month(recorded_at), justification: month() of a timestamp. }
          - { name: recorded_on, value: date_of(recorded_at), justification: The UTC date of a timestamp. }
          - { name: effective_month, value: month(effective_date), justification: month() of a date. }
          - { name: code_key, value: "pseudonym(code, 'k')", justification: Keyed pseudonym of a code. }
          - { name: person_key, value: "pseudonym(patient.nhs_number, 'k')", justification: Keyed pseudonym through a relation. }
    `;
    const peopleFields = ['patient_id', 'birth_year', 'birth_month', 'date_of_birth', 'age', 'band', 'band10', 'band20', 'district', 'person_key', 'id_key', 'ethnicity', 'female'];

    const person = (p: PatientRow): TextRow => ({
      patient_id: p.patient_id,
      birth_year: yearText(p.date_of_birth),
      birth_month: monthText(p.date_of_birth),
      date_of_birth: p.date_of_birth,
      age: String(ageYears(p.date_of_birth, D)),
      band: ageBand(p.date_of_birth, D),
      band10: ageBand(p.date_of_birth, D, 10),
      band20: ageBand(p.date_of_birth, D, 20),
      district: postcodeDistrict(p.postcode),
      person_key: pseudonym(p.nhs_number, KEY),
      id_key: pseudonym(p.patient_id, KEY),
      ethnicity: p.ethnicity_code,
      female: String(p.sex === 'female'),
    });

    it('people: year, month, dates, age_years, age_band, postcode_district, pseudonym, codes, booleans', async () => {
      const ex = prepare({ care: 'indirect', population: IM1_DEFAULTS, datasets });
      const expected = model.guardedPatients(ex.members, ex.blocked).map(person);
      await expectDataset(ex, 'people', peopleFields, expected);
    });

    it('observations: transforms of timestamps (UTC), codes and relations', async () => {
      const ex = prepare({ care: 'indirect', population: IM1_DEFAULTS, datasets });
      const expected = model.guardedObservations(ex.members, ex.blocked).map((o) => {
        const patient = model.relatedPatient(ex.members, o.patient_id, ex.blocked);
        return {
          observation_id: o.observation_id,
          recorded_year: yearText(o.recorded_at),
          recorded_month: monthText(o.recorded_at),
          recorded_on: dateOfInstant(o.recorded_at),
          effective_month: monthText(o.effective_date),
          code_key: pseudonym(o.code, KEY),
          person_key: patient ? pseudonym(patient.nhs_number, KEY) : null,
        };
      });
      await expectDataset(ex, 'observations', ['observation_id', 'recorded_year', 'recorded_month', 'recorded_on', 'effective_month', 'code_key', 'person_key'], expected);
    });

    it('the planted boundaries, spelled out', async () => {
      const ex = prepare({ care: 'indirect', population: IM1_DEFAULTS, datasets });
      const people = new Map((await ex.rows('people')).map((r) => [String(r['patient_id']), r]));
      const pick = (name: keyof Plants['patient'], ...fields: string[]) => Object.fromEntries(fields.map((f) => [f, people.get(planted(name))?.[f]]));
      const upperPostcode = (name: keyof Plants['patient']) => model.patients.get(planted(name))!.postcode.replace(/\s+/g, '').toUpperCase();
      expect(upperPostcode('postcodeLowerCase')).toMatch(/^[A-Z0-9]+$/);
      expect({
        birthdayOnD: pick('birthdayOnD', 'age', 'band', 'band10'),
        birthdayNextDay: pick('birthdayNextDay', 'age', 'band', 'band10'),
        ninetyOnD: pick('ninetyOnD', 'age', 'band', 'band10', 'band20'),
        ninetyNextDay: pick('ninetyNextDay', 'age', 'band', 'band10', 'band20'),
        postcodeLowerCase: pick('postcodeLowerCase', 'district'),
        postcodeNoSpace: pick('postcodeNoSpace', 'district'),
      }).toEqual({
        birthdayOnD: { age: '36', band: '35-39', band10: '30-39' },
        birthdayNextDay: { age: '35', band: '35-39', band10: '30-39' },
        ninetyOnD: { age: '90', band: '90+', band10: '90+', band20: '90+' },
        ninetyNextDay: { age: '89', band: '85-89', band10: '80-89', band20: '80-89' },
        postcodeLowerCase: { district: upperPostcode('postcodeLowerCase').slice(0, -3) },
        postcodeNoSpace: { district: upperPostcode('postcodeNoSpace').slice(0, -3) },
      });
      const p = model.patients.get(planted('registrationStartsOnD'))!;
      expect(people.get(p.patient_id)?.['person_key']).toBe(pseudonym(p.nhs_number, KEY));
      const late = (await ex.rows('observations')).find((r) => String(r['observation_id']) === plants.rows.lateRecorded!['observation']);
      expect(late && [late['recorded_year'], late['recorded_month'], late['recorded_on']]).toEqual(['2026', '2026-06-01', '2026-06-30']);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('8. medication issues (dm+d) and referrals are guarded too', () => {
    const datasets = dedent`
      - name: medicines
        from: medication_issue
        fields:
          - { name: medication_issue_id, value: medication_issue_id, justification: Identifies the issue in the comparison. }
          - { name: patient_id, value: patient_id, justification: Ties the issue to its patient. }
          - { name: dmd_code, value: dmd_code, justification: The dm+d code the guards judge. }
          - { name: issue_month, value: month(issue_date), justification: month() of the issue date. }
      - name: referrals
        from: referral
        fields:
          - { name: referral_id, value: referral_id, justification: Identifies the referral in the comparison. }
          - { name: patient_id, value: patient_id, justification: Ties the referral to its patient. }
          - { name: code, value: code, justification: The referral code the guards judge. }
      - name: urgent_referrals
        from: referral
        where: urgency <> 'routine'
        fields:
          - { name: referral_id, value: referral_id, justification: Identifies the referral in the comparison. }
          - { name: urgency, value: urgency, justification: Checks the filter. }
    `;

    async function check(ex: Prepared) {
      await expectDataset(
        ex,
        'medicines',
        ['medication_issue_id', 'patient_id', 'dmd_code', 'issue_month'],
        model
          .guardedMedicationIssues(ex.members, ex.blocked)
          .map((m) => ({ medication_issue_id: m.medication_issue_id, patient_id: m.patient_id, dmd_code: m.dmd_code, issue_month: monthText(m.issue_date) })),
      );
      const referrals = model.guardedReferrals(ex.members, ex.blocked);
      await expectDataset(ex, 'referrals', ['referral_id', 'patient_id', 'code'], referrals.map((r) => ({ referral_id: r.referral_id, patient_id: r.patient_id, code: r.code })));
      await expectDataset(
        ex,
        'urgent_referrals',
        ['referral_id', 'urgency'],
        referrals.filter((r) => r.urgency !== 'routine').map((r) => ({ referral_id: r.referral_id, urgency: r.urgency })),
      );
      const meds = new Set((await ex.rows('medicines')).map((r) => String(r['medication_issue_id'])));
      const refs = new Set((await ex.rows('referrals')).map((r) => String(r['referral_id'])));
      const m = plants.rows.sensitiveMedication!;
      const r = plants.rows.sensitiveReferrals!;
      return {
        medicines: Object.fromEntries(Object.entries(m).map(([k, id]) => [k, meds.has(id)])),
        referrals: Object.fromEntries(Object.entries(r).map(([k, id]) => [k, refs.has(id)])),
        seededPrEP: [...meds].filter((id) => model.snapshot.medicationIssues.find((x) => x.medication_issue_id === id)!.dmd_code === '999900221000000108').length,
      };
    }

    it('sensitive dm+d and referral codes, confidential and deleted rows are left out', async () => {
      const ex = prepare({ care: 'indirect', population: IM1_DEFAULTS, datasets });
      expect(await check(ex)).toEqual({
        medicines: { hiv_sti: false, plain: true, confidential: false, deleted: false },
        referrals: {
          hiv_sti: false,
          gender_reassignment: false,
          assisted_fertilisation: false,
          sexuality: false,
          termination_of_pregnancy: false,
          plain: true,
          confidential: false,
          deleted: false,
        },
        seededPrEP: 0,
      });
    });

    it('an hiv_sti exemption lets the PrEP issues and the STI referral through, and nothing else', async () => {
      const ex = prepare({
        care: 'indirect',
        population: IM1_DEFAULTS,
        datasets,
        exemptions: dedent`
          - rule: sensitive-codes
            code_set: hiv_sti
            legal_basis:
              article_6: 6(1)(e) public task
              article_9: 9(2)(h) management of health care systems
              notice: Direction 2023/14 under section 254 of the Health and Social Care Act 2012 (test)
            justification: The commissioned sexual health service needs the prescriptions it reviews (test).
            expires: 2027-06-30
        `,
        exempt: ['hiv_sti'],
      });
      const result = await check(ex);
      expect(result.seededPrEP).toBeGreaterThan(0);
      expect({ ...result, seededPrEP: 'some' }).toEqual({
        medicines: { hiv_sti: true, plain: true, confidential: false, deleted: false },
        referrals: {
          hiv_sti: true,
          gender_reassignment: false,
          assisted_fertilisation: false,
          sexuality: false,
          termination_of_pregnancy: false,
          plain: true,
          confidential: false,
          deleted: false,
        },
        seededPrEP: 'some',
      });
    });
  });
});
