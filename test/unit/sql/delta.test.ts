/**
 * An independent check of the delta (incremental) queries: a seeded database is changed in
 * known ways inside a window, and each compiled delta query's output is compared with what the
 * specification says it must be, worked out in JavaScript from the raw tables
 * (test/support/delta-scenario.ts), never from the compiler's SQL.
 *
 * The numbered cases below are those of the specification of delta extracts:
 *  1 a new observation                       → upsert
 *  2 a soft-deleted observation               → delete, every field empty
 *  3 an observation made confidential         → delete, every field empty
 *  4 an observation recoded to a sexuality code → delete
 *  4b an observation moved into / out of the dataset's filter → upsert / delete
 *  5 a patient's NHS number changed           → their rows re-upserted with the new pseudonym
 *  6 a newly registered patient with an old history → all of it upserted (they entered)
 *  7 a Type 1 opt-out ended                   → no_backfill: only rows changed in the window; backfill: everything
 *  8 a patient opts out / dies / deregisters, and a row of theirs changes → nothing for them
 *  9 a row of a patient never in the population changes → nothing
 * 10 a diabetes observation added            → the patient row of an exists() dataset upserted
 * 11 a patient moves practice                → nothing in single_zip; everything in per_practice
 * 12 a row changed after the window's end     → nothing (it belongs to the next run)
 * and: the full query of a delta definition, and deltas over an empty window.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { referenceCatalogue } from '../../../src/catalogue/load-catalogue.js';
import type { Database } from '../../../src/db/database.js';
import { checkDefinitionText } from '../../../src/pipeline/check-definition.js';
import { ruleCatalogue } from '../../../src/pipeline/lint-definition.js';
import { loadPolicy } from '../../../src/policy/policy.js';
import { syntheticNhsNumber } from '../../../src/seed/nhs-number.js';
import { PLANTED_ROLES } from '../../../src/seed/patient-history.js';
import { seedDatabase } from '../../../src/seed/seed-database.js';
import { bindParameters, type RunValues } from '../../../src/sql/bind-parameters.js';
import { compileExtract, type CompiledPlan, type CompiledQuery } from '../../../src/sql/compile-extract.js';
import { enteredPatients } from '../../../src/sql/population-change.js';
import {
  ambiguousOptOuts,
  asOutputRows,
  DIABETES,
  expectedDelta,
  expectedFull,
  FILTER_FROM,
  MODEL_DATASETS,
  observationPassesGuards,
  PRACTICE_COLUMN,
  populationOn,
  previousState,
  pseudonym,
  readSnapshot,
  recordIdOf,
  type DeltaRules,
  type ModelDatasetName,
  type ModelKeys,
  type OutputRow,
  type PopulationEntry,
  type PopulationRules,
  type PreviousState,
  type Snapshot,
  type Window,
} from '../../support/delta-scenario.js';
import { scratchDatabase, testEngines, type ScratchDatabase } from '../../support/engines.js';

const D = '2026-11-21';
const PRACTICES = ['A81001', 'A81002'];
const KEY = 'delta-test-key-0123456789abcdef0123456789abcdef';
const KEYS = new Map([['k', KEY]]);
const RECORD_KEY = 'delta-test-record-key-fedcba9876543210fedcba9876543210';
const MODEL_KEYS: ModelKeys = { pseudonym: KEY, record: RECORD_KEY };
const rid = (primaryKey: string) => recordIdOf(primaryKey, RECORD_KEY);
const DATASETS: ModelDatasetName[] = ['people', 'events', 'diabetics'];

/** The definitions' population block, as the model reads it (indirect care: the National Data Opt-out applies). */
const POPULATION: PopulationRules = {
  snapshotDate: D,
  practices: PRACTICES,
  registration: 'permanent',
  deceased: 'exclude',
  type1OptOut: 'respect',
  nationalDataOptOut: 'respect',
};

function definitionText(rules: DeltaRules): string {
  return `exdef: 1
id: delta-check
title: Delta check of observations and patients
version: 1
owner:
  organisation: NHS Example Integrated Care Board
  contact: ig@example-icb.nhs.uk
use_case: data_warehouse
care_type: indirect
intended_use: >-
  Pseudonymised feed to the ICB warehouse for service planning of long-term conditions.
legal_basis:
  article_6: 6(1)(e) public task
  article_9: 9(2)(h) management of health care systems
  statement: >-
    Indirect care under the ICB's population health programme; patients are keyed by a pseudonym.
dpia: DPIA-2026-099
risk:
  singling_out: Year of birth only, no direct identifiers; the smallest group is far above 10.
  linkability: The pseudonym is keyed for this feed only, so it cannot be joined with other feeds.
review:
  last_reviewed: 2026-10-01
  reviewer: ICB Data Protection Officer
population:
  registration: permanent
  deceased: exclude
  type1_opt_out: respect
  on_opt_back_in: ${rules.onOptBackIn}
  practices: [${PRACTICES.join(', ')}]
mode: delta
schedule:
  frequency: daily
  window: 01:00-05:00
output:
  csv:
    delimiter: ","
    quote: '"'
    header: true
    line_ending: crlf
  layout: ${rules.layout}
datasets:
  - name: people
    from: patient
    fields:
      - name: person_key
        value: pseudonym(nhs_number, 'k')
        justification: Links a person's records across datasets without revealing who they are.
      - name: birth_year
        value: year(date_of_birth)
        justification: Age is the main driver of the need for services.
  - name: events
    from: observation
    where: effective_date >= ${FILTER_FROM}
    fields:
      - name: person_key
        value: pseudonym(patient.nhs_number, 'k')
        justification: Links each observation to the person in the people dataset.
      - name: code
        value: code
        justification: Identifies what was observed, for prevalence of conditions.
      - name: effective_date
        value: effective_date
        justification: Dates the observation, so that trends over time can be planned for.
  - name: diabetics
    from: patient
    where: exists(observations where code in << ${DIABETES} |Diabetes mellitus|)
    fields:
      - name: person_key
        value: pseudonym(nhs_number, 'k')
        justification: Identifies the people with diabetes among the people dataset.
`;
}

const VARIANTS = {
  noBackfill: { onOptBackIn: 'no_backfill', layout: 'single_zip' },
  backfill: { onOptBackIn: 'backfill', layout: 'single_zip' },
  perPractice: { onOptBackIn: 'no_backfill', layout: 'per_practice' },
} as const satisfies Record<string, DeltaRules>;
type Variant = keyof typeof VARIANTS;

function compile(rules: DeltaRules): CompiledPlan {
  const catalogue = referenceCatalogue();
  const checked = checkDefinitionText(`delta-check-${rules.onOptBackIn}-${rules.layout}.exdef.yaml`, definitionText(rules), { catalogue });
  expect(checked.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return compileExtract(checked.definition!, { catalogue, policy: loadPolicy(ruleCatalogue).policy!, today: D });
}

// ---------------------------------------------------------------------------------------------
// Running compiled queries

/** What a run is given here: the previous run's state, from which the patients who entered are worked out as the executor does. */
type TestRunValues = Omit<RunValues, 'entered'> & { previous: PreviousState };

/**
 * Runs a compiled query. The patients who entered the population are worked out as the executor
 * does (src/sql/population-change.ts), from the compiled population query now and the previous state.
 */
async function run(db: Database, plan: CompiledPlan, query: CompiledQuery, values: TestRunValues): Promise<OutputRow[]> {
  const now = await runPopulation(db, plan);
  const rows = [...now].map(([patientId, entry]) => ({ patientId, practice: entry.practice, optedOut: entry.optedOut }));
  const entered = enteredPatients(rows, values.previous, { onOptBackIn: plan.guards.population.onOptBackIn, perPractice: plan.definition.layout === 'per_practice' });
  const { previous: _previous, ...rest } = values;
  // The full query's hidden held column is the executor's (delta-records.ts cuts it off), not output.
  return asOutputRows(await db.query(query.sql, bindParameters(plan, query, { ...rest, entered }))).map(({ __held: _held, ...row }) => row);
}

async function runPopulation(db: Database, plan: CompiledPlan): Promise<Map<string, PopulationEntry>> {
  const rows = await db.query<{ patient_id: string; practice: string; opted_out: boolean }>(
    plan.population.sql,
    bindParameters(plan, plan.population, { snapshotDate: D, keys: KEYS, recordKey: RECORD_KEY }),
  );
  return new Map(rows.map((r) => [String(r.patient_id), { practice: r.practice, optedOut: r.opted_out }]));
}

function datasetOf(plan: CompiledPlan, name: ModelDatasetName) {
  const dataset = plan.datasets.find((d) => d.name === name);
  if (!dataset) throw new Error(`the plan has no dataset ${name}`);
  return dataset;
}

/** The database's clock, as an ISO instant for the run and as exact microseconds for the model. */
async function clock(db: Database): Promise<{ iso: string; micros: bigint }> {
  await sleep(15); // a clock that ticks in milliseconds still moves between the reading and any change
  const [row] = await db.query<{ iso: string; micros: string }>(
    `SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS iso, (extract(epoch from t) * 1000000)::bigint::text AS micros
       FROM (SELECT now() AS t) s`,
  );
  await sleep(15);
  return { iso: row!.iso, micros: BigInt(row!.micros) };
}

async function maxId(db: Database, table: string, column: string): Promise<number> {
  const [row] = await db.query<{ n: string }>(`SELECT coalesce(max(${column}), 0)::text AS n FROM reporting.${table}`);
  return Number(row!.n);
}

// ---------------------------------------------------------------------------------------------
// Choosing the patients of each case from the seeded data (deterministic: by id)

interface Cases {
  newObservation: { patient: string; observation: string };
  softDeleted: { patient: string; observation: string };
  madeConfidential: { patient: string; observation: string };
  recodedSensitive: { patient: string; observation: string };
  intoFilter: { patient: string; observation: string };
  outOfFilter: { patient: string; observation: string };
  newNhsNumber: { patient: string; nhsNumber: string };
  newPatient: { patient: string; qualifying: string[]; notQualifying: string[] };
  optedBackIn: { patient: string; observation: string };
  optedOut: { patient: string; observation: string };
  died: { patient: string; observation: string };
  deregistered: { patient: string; observation: string };
  pdsSensitive: { patient: string; observation: string };
  newDiabetes: { patient: string; observation: string };
  movedPractice: { patient: string };
  afterTheWindow: { patient: string; observation: string };
}

class Chooser {
  private used = new Set<string>();
  constructor(
    private readonly snapshot: Snapshot,
    private readonly population: ReadonlyMap<string, PopulationEntry>,
  ) {}

  observationsOf(patientId: string) {
    return this.snapshot.observations.filter((o) => o.patientId === patientId).sort((a, b) => Number(a.observationId) - Number(b.observationId));
  }
  /** In the events dataset now: guards and filter pass. */
  qualifyingObservations(patientId: string) {
    return this.observationsOf(patientId).filter((o) => observationPassesGuards(o, this.snapshot) && o.effectiveDate >= FILTER_FROM);
  }
  /** Has a diabetes code among its observations, whether or not the row guards are applied. */
  diabetic(patientId: string, withGuards: boolean) {
    return this.observationsOf(patientId).some((o) => this.snapshot.diabetesCodes.has(o.code) && (!withGuards || observationPassesGuards(o, this.snapshot)));
  }
  eligible(patientId: string) {
    const entry = this.population.get(patientId);
    return entry !== undefined && !entry.optedOut;
  }
  /** The first unused patient (by id) meeting the condition. */
  patient(what: string, condition: (patientId: string) => boolean): string {
    const ids = [...this.snapshot.patients.keys()].sort((a, b) => Number(a) - Number(b));
    const found = ids.find((id) => !this.used.has(id) && condition(id));
    if (!found) throw new Error(`scenario: no patient for "${what}" in the seeded data`);
    this.used.add(found);
    return found;
  }
  /** An eligible patient who has no diabetes code at all (so the diabetics dataset never holds them). */
  plainPatient(what: string, minimumQualifying = 2): string {
    return this.patient(what, (id) => this.eligible(id) && !this.diabetic(id, false) && this.qualifyingObservations(id).length >= minimumQualifying);
  }
}

// ---------------------------------------------------------------------------------------------

describe.each(testEngines())('delta extract on %s', (engine) => {
  let scratch: ScratchDatabase;
  let db: Database;
  const plans = {} as Record<Variant, CompiledPlan>;
  let before: Snapshot;
  let after: Snapshot;
  let baseline: Map<string, PopulationEntry>;
  let previous: PreviousState;
  let populationAfter: Map<string, PopulationEntry>;
  let window: { start: { iso: string; micros: bigint }; end: { iso: string; micros: bigint } };
  let seedRowsInWindow: number;
  let cases: Cases;
  /** The delta output of every dataset of every variant over the scenario's window. */
  const actual = {} as Record<Variant, Record<ModelDatasetName, OutputRow[]>>;

  const runValues = (): TestRunValues => ({ snapshotDate: D, window: { start: window.start.iso, end: window.end.iso }, previous, keys: KEYS, recordKey: RECORD_KEY });
  const modelWindow = (): Window => ({ start: window.start.micros, end: window.end.micros });
  const expected = (variant: Variant, name: ModelDatasetName) => expectedDelta(name, after, populationAfter, previous, modelWindow(), VARIANTS[variant], MODEL_KEYS);
  /** The output rows of the row with this primary key. */
  const rowOf = (rows: OutputRow[], primaryKey: string) => rows.filter((r) => r['record_id'] === rid(primaryKey));

  beforeAll(async () => {
    scratch = await scratchDatabase(engine);
    db = scratch.db;
    await seedDatabase(db, referenceCatalogue(), { practices: 3, patients: 120, seed: 11, asOf: D });
    for (const variant of Object.keys(VARIANTS) as Variant[]) plans[variant] = compile(VARIANTS[variant]);

    // The state of the last run: the population now, as the compiler's population query gives it.
    baseline = await runPopulation(db, plans.noBackfill);
    previous = previousState(baseline); // members: opted_out false; optedOut: opted_out true
    before = await readSnapshot(db);
    const choose = new Chooser(before, populationOn(before, POPULATION));

    const observationIds = { next: (await maxId(db, 'observation', 'observation_id')) + 1000 };
    const nextObservation = () => String(observationIds.next++);
    const patientIds = { next: (await maxId(db, 'patient', 'patient_id')) + 1000 };
    const registrationIds = { next: (await maxId(db, 'registration', 'registration_id')) + 1000 };
    const optOutIds = { next: (await maxId(db, 'opt_out', 'opt_out_id')) + 1000 };
    const practiceOf = (patientId: string) => baseline.get(patientId)?.practice ?? 'A81001';
    const insertObservation = async (
      id: string,
      patientId: string,
      code: string,
      effectiveDate: string,
      extra: { confidential?: boolean; deleted?: boolean; updatedAt?: string } = {},
    ) => {
      const updatedAt = extra.updatedAt ? `TIMESTAMPTZ '${extra.updatedAt}'` : 'DEFAULT';
      await db.query(
        `INSERT INTO reporting.observation (observation_id, patient_id, practice_ods, code, effective_date, recorded_at, confidential, updated_at, deleted_at)
         VALUES ($1, $2, $3, $4, $5, $6::date + TIME '10:00', $7, ${updatedAt}, $8)`,
        [id, patientId, practiceOf(patientId), code, effectiveDate, effectiveDate, extra.confidential ?? false, extra.deleted ? extra.updatedAt ?? null : null],
      );
    };
    const first = (list: { observationId: string }[], what: string) => {
      if (!list[0]) throw new Error(`scenario: no observation for "${what}"`);
      return list[0].observationId;
    };

    // Choose every case's patient before changing anything.
    const pick = {
      newObservation: choose.plainPatient('1 new observation'),
      softDeleted: choose.plainPatient('2 soft-deleted observation'),
      madeConfidential: choose.plainPatient('3 confidential observation'),
      recodedSensitive: choose.plainPatient('4 sexuality code'),
      filter: choose.patient('4b filter', (id) => choose.eligible(id) && !choose.diabetic(id, false) && choose.qualifyingObservations(id).length >= 1 && choose.observationsOf(id).some((o) => observationPassesGuards(o, before) && o.effectiveDate < FILTER_FROM)),
      newNhsNumber: choose.patient('5 new NHS number', (id) => choose.eligible(id) && choose.diabetic(id, true) && choose.qualifyingObservations(id).length >= 3 && choose.observationsOf(id).some((o) => o.effectiveDate < FILTER_FROM)),
      optedBackIn: choose.patient('7 opted back in', (id) => {
        const optOuts = before.optOuts.filter((o) => o.patientId === id && o.toDay === null);
        return baseline.get(id)?.optedOut === true && optOuts.length === 1 && optOuts[0]!.type === 'type1' && choose.qualifyingObservations(id).length >= 3;
      }),
      optedOut: choose.plainPatient('8 opts out'),
      died: choose.plainPatient('8 dies'),
      deregistered: choose.patient('8 deregisters', (id) => choose.eligible(id) && choose.qualifyingObservations(id).length >= 1 && before.registrations.filter((r) => r.patientId === id).length === 1),
      pdsSensitive: String(PLANTED_ROLES.indexOf('pds-sensitive') + 1),
      newDiabetes: choose.plainPatient('10 new diabetes', 1),
      afterTheWindow: choose.plainPatient('12 changed after the window', 1),
      movedPractice: choose.patient('11 moves practice', (id) => choose.eligible(id) && baseline.get(id)!.practice === 'A81001' && choose.qualifyingObservations(id).length >= 2 && before.registrations.filter((r) => r.patientId === id).length === 1),
    };
    const pdsObservation = first(choose.observationsOf(pick.pdsSensitive), '9 pds-sensitive');
    const filterObservations = choose.observationsOf(pick.filter);
    const newPatient = String(patientIds.next++);

    cases = {
      newObservation: { patient: pick.newObservation, observation: nextObservation() },
      softDeleted: { patient: pick.softDeleted, observation: first(choose.qualifyingObservations(pick.softDeleted), '2') },
      madeConfidential: { patient: pick.madeConfidential, observation: first(choose.qualifyingObservations(pick.madeConfidential), '3') },
      recodedSensitive: { patient: pick.recodedSensitive, observation: first(choose.qualifyingObservations(pick.recodedSensitive), '4') },
      intoFilter: { patient: pick.filter, observation: first(filterObservations.filter((o) => observationPassesGuards(o, before) && o.effectiveDate < FILTER_FROM), '4b into') },
      outOfFilter: { patient: pick.filter, observation: first(choose.qualifyingObservations(pick.filter), '4b out of') },
      newNhsNumber: { patient: pick.newNhsNumber, nhsNumber: syntheticNhsNumber(900_001) },
      newPatient: { patient: newPatient, qualifying: [], notQualifying: [] },
      optedBackIn: { patient: pick.optedBackIn, observation: first(choose.qualifyingObservations(pick.optedBackIn), '7') },
      optedOut: { patient: pick.optedOut, observation: first(choose.qualifyingObservations(pick.optedOut), '8 opts out') },
      died: { patient: pick.died, observation: first(choose.qualifyingObservations(pick.died), '8 dies') },
      deregistered: { patient: pick.deregistered, observation: first(choose.qualifyingObservations(pick.deregistered), '8 deregisters') },
      pdsSensitive: { patient: pick.pdsSensitive, observation: pdsObservation },
      newDiabetes: { patient: pick.newDiabetes, observation: nextObservation() },
      movedPractice: { patient: pick.movedPractice },
      afterTheWindow: { patient: pick.afterTheWindow, observation: first(choose.qualifyingObservations(pick.afterTheWindow), '12') },
    };

    // The seed's own history ends before the window opens.
    window = { start: await clock(db), end: { iso: '', micros: 0n } };
    const [inWindow] = await db.query<{ n: string }>(
      `SELECT (SELECT count(*) FROM reporting.patient WHERE updated_at > $1::timestamptz)
            + (SELECT count(*) FROM reporting.observation WHERE updated_at > $1::timestamptz)
            + (SELECT count(*) FROM reporting.registration WHERE updated_at > $1::timestamptz)
            + (SELECT count(*) FROM reporting.opt_out WHERE updated_at > $1::timestamptz) AS n`,
      [window.start.iso],
    );
    seedRowsInWindow = Number(inWindow!.n);

    // --- the changes, one statement each
    // 1
    await insertObservation(cases.newObservation.observation, cases.newObservation.patient, '38341003', '2026-11-20');
    // 2, 3, 4
    await db.query('UPDATE reporting.observation SET deleted_at = now() WHERE observation_id = $1', [cases.softDeleted.observation]);
    await db.query('UPDATE reporting.observation SET confidential = true WHERE observation_id = $1', [cases.madeConfidential.observation]);
    await db.query('UPDATE reporting.observation SET code = 38628009 WHERE observation_id = $1', [cases.recodedSensitive.observation]);
    // 4b
    await db.query(`UPDATE reporting.observation SET effective_date = DATE '2021-03-03' WHERE observation_id = $1`, [cases.intoFilter.observation]);
    await db.query(`UPDATE reporting.observation SET effective_date = DATE '2019-03-03' WHERE observation_id = $1`, [cases.outOfFilter.observation]);
    // 5
    await db.query('UPDATE reporting.patient SET nhs_number = $1 WHERE patient_id = $2', [cases.newNhsNumber.nhsNumber, cases.newNhsNumber.patient]);
    // 6: a patient registered since the last run, every row of whom was written before the window.
    const past = '2026-11-01 09:00:00+00';
    await db.query(
      `INSERT INTO reporting.patient (patient_id, nhs_number, given_name, family_name, date_of_birth, sex, address_line, postcode, pds_sensitive, updated_at)
       VALUES ($1, $2, 'Ada', 'Newcomer', DATE '1980-04-04', 'female', '1 New Street', 'LS1 4AP', false, TIMESTAMPTZ '${past}')`,
      [newPatient, syntheticNhsNumber(900_000)],
    );
    await db.query(
      `INSERT INTO reporting.registration (registration_id, patient_id, practice_ods, registration_type, start_date, updated_at)
       VALUES ($1, $2, 'A81001', 'permanent', DATE '2020-03-01', TIMESTAMPTZ '${past}')`,
      [String(registrationIds.next++), newPatient],
    );
    const history: [code: string, date: string, extra: { confidential?: boolean; deleted?: boolean }, qualifies: boolean][] = [
      ['44054006', '2021-05-01', {}, true], // type 2 diabetes
      ['38341003', '2023-02-02', {}, true],
      ['27113001', '2025-01-10', {}, true],
      ['38341003', '2018-06-06', {}, false], // before the filter's date
      ['195967001', '2022-07-07', { deleted: true }, false],
      ['38341003', '2024-08-08', { confidential: true }, false],
    ];
    for (const [code, date, extra, qualifies] of history) {
      const id = nextObservation();
      await insertObservation(id, newPatient, code, date, { ...extra, updatedAt: past });
      (qualifies ? cases.newPatient.qualifying : cases.newPatient.notQualifying).push(id);
    }
    // 7: the Type 1 opt-out ended before the snapshot date; one of their rows changed in the window.
    await db.query(`UPDATE reporting.opt_out SET effective_to = TIMESTAMPTZ '2026-11-10 12:00:00+00' WHERE patient_id = $1 AND effective_to IS NULL`, [cases.optedBackIn.patient]);
    await db.query(`UPDATE reporting.observation SET effective_date = DATE '2025-06-01' WHERE observation_id = $1`, [cases.optedBackIn.observation]);
    // 8: leaving the population, with a row changed in the window.
    await db.query(
      `INSERT INTO reporting.opt_out (opt_out_id, patient_id, opt_out_type, effective_from) VALUES ($1, $2, 'type1', TIMESTAMPTZ '2026-11-01 10:00:00+00')`,
      [String(optOutIds.next++), cases.optedOut.patient],
    );
    await db.query(`UPDATE reporting.observation SET effective_date = DATE '2025-06-02' WHERE observation_id = $1`, [cases.optedOut.observation]);
    await db.query(`UPDATE reporting.patient SET date_of_death = DATE '2026-11-15' WHERE patient_id = $1`, [cases.died.patient]);
    await db.query(`UPDATE reporting.observation SET effective_date = DATE '2025-06-03' WHERE observation_id = $1`, [cases.died.observation]);
    await db.query(`UPDATE reporting.registration SET end_date = DATE '2026-11-20', end_reason = 'left' WHERE patient_id = $1`, [cases.deregistered.patient]);
    await db.query(`UPDATE reporting.observation SET effective_date = DATE '2025-06-04' WHERE observation_id = $1`, [cases.deregistered.observation]);
    // 9
    await db.query(`UPDATE reporting.observation SET effective_date = DATE '2025-06-05' WHERE observation_id = $1`, [cases.pdsSensitive.observation]);
    // 10
    await insertObservation(cases.newDiabetes.observation, cases.newDiabetes.patient, '44054006', '2026-11-19');
    // 11: ends the registration at A81001 and registers at A81002 the next day.
    await db.query(`UPDATE reporting.registration SET end_date = DATE '2026-11-19', end_reason = 'left' WHERE patient_id = $1`, [cases.movedPractice.patient]);
    await db.query(
      `INSERT INTO reporting.registration (registration_id, patient_id, practice_ods, registration_type, start_date) VALUES ($1, $2, 'A81002', 'permanent', DATE '2026-11-20')`,
      [String(registrationIds.next++), cases.movedPractice.patient],
    );

    window.end = await clock(db);
    // 12: a change after the window's end belongs to the next run.
    await db.query(`UPDATE reporting.observation SET effective_date = DATE '2025-06-06' WHERE observation_id = $1`, [cases.afterTheWindow.observation]);
    after = await readSnapshot(db);
    populationAfter = populationOn(after, POPULATION);

    for (const variant of Object.keys(VARIANTS) as Variant[]) {
      actual[variant] = {} as Record<ModelDatasetName, OutputRow[]>;
      for (const name of DATASETS) actual[variant][name] = await run(db, plans[variant], datasetOf(plans[variant], name).delta!, runValues());
    }
  });
  afterAll(async () => scratch?.drop());

  describe('the scenario', () => {
    it('starts after the seed: no seeded row is in the window, and no opt-out starts or ends on the snapshot date', () => {
      expect(seedRowsInWindow).toBe(0);
      expect(window.end.micros).toBeGreaterThan(window.start.micros);
      expect(ambiguousOptOuts(before, D)).toEqual([]);
      expect(ambiguousOptOuts(after, D)).toEqual([]);
    });

    it('reads exists() the same whether or not the row guards apply to the rows it looks at', () => {
      // The model applies the row guards inside exists(); no patient here depends on that choice.
      for (const snapshot of [before, after]) {
        const choose = new Chooser(snapshot, populationOn(snapshot, POPULATION));
        const differing = [...snapshot.patients.keys()].filter((id) => choose.diabetic(id, true) !== choose.diabetic(id, false) && choose.eligible(id));
        expect(differing).toEqual([]);
      }
    });

    it('plan.population agrees with the model, before and after the changes', async () => {
      expect(sortedEntries(baseline)).toEqual(sortedEntries(populationOn(before, POPULATION)));
      expect(sortedEntries(await runPopulation(db, plans.noBackfill))).toEqual(sortedEntries(populationAfter));
    });

    it('moves the chosen patients as intended', () => {
      expect(previous.optedOut).toContain(cases.optedBackIn.patient);
      expect(populationAfter.get(cases.optedBackIn.patient)).toEqual({ practice: baseline.get(cases.optedBackIn.patient)!.practice, optedOut: false });
      expect(populationAfter.get(cases.optedOut.patient)?.optedOut).toBe(true);
      expect(populationAfter.has(cases.died.patient)).toBe(false);
      expect(populationAfter.has(cases.deregistered.patient)).toBe(false);
      expect(populationAfter.has(cases.pdsSensitive.patient)).toBe(false);
      expect(baseline.has(cases.pdsSensitive.patient)).toBe(false);
      expect(populationAfter.get(cases.newPatient.patient)).toEqual({ practice: 'A81001', optedOut: false });
      expect(populationAfter.get(cases.movedPractice.patient)).toEqual({ practice: 'A81002', optedOut: false });
      expect(baseline.get(cases.movedPractice.patient)?.practice).toBe('A81001');
    });
  });

  describe.each(Object.keys(VARIANTS) as Variant[])('%s', (variant) => {
    it.each(DATASETS)('the delta of %s is exactly what the specification gives', (name) => {
      const dataset = datasetOf(plans[variant], name);
      const routing = VARIANTS[variant].layout === 'per_practice' ? [PRACTICE_COLUMN] : [];
      expect(dataset.columns.map((c) => c.name)).toEqual([...routing, ...MODEL_DATASETS[name].fields, 'record_id', 'change_type', '__held']);
      const want = expected(variant, name);
      expect(want.length, 'the scenario gives this dataset something to output').toBeGreaterThan(0);
      expect(actual[variant][name]).toEqual(want);
    });

    it('never outputs a row twice, and every deletion has every field empty', () => {
      for (const name of DATASETS) {
        const got = actual[variant][name];
        expect(new Set(got.map((r) => r['record_id'])).size, name).toBe(got.length);
        for (const row of got.filter((r) => r['change_type'] === 'delete')) {
          for (const field of MODEL_DATASETS[name].fields) expect(row[field], `${name} ${row['record_id']}.${field}`).toBeNull();
        }
        expect(got.every((r) => r['change_type'] === 'upsert' || r['change_type'] === 'delete')).toBe(true);
      }
    });

    it('the full query marks every qualifying row as an upsert with its record_id', async () => {
      for (const name of DATASETS) {
        const got = await run(db, plans[variant], datasetOf(plans[variant], name).full, runValues());
        expect(got.length, name).toBeGreaterThan(0);
        expect(got, name).toEqual(expectedFull(name, after, populationAfter, VARIANTS[variant].layout, MODEL_KEYS));
      }
    });

    it('outputs nothing over an empty window once the state is up to date', async () => {
      const upToDate = previousState(populationAfter);
      const later = await clock(db); // after every change, case 12's too
      const latest = await clock(db);
      for (const [start, end] of [
        [later, latest],
        [latest, latest],
      ] as const) {
        for (const name of DATASETS) {
          const values: TestRunValues = { snapshotDate: D, window: { start: start.iso, end: end.iso }, previous: upToDate, keys: KEYS, recordKey: RECORD_KEY };
          expect(await run(db, plans[variant], datasetOf(plans[variant], name).delta!, values), `${name} (${start.iso}, ${end.iso}]`).toEqual([]);
        }
      }
    });
  });

  it('takes the window as (start, end]: a row changed exactly at the start is out, one changed exactly at the end is in', async () => {
    const updatedAt = (observationId: string) => after.observations.find((o) => o.observationId === observationId)!.updatedAt;
    const start = updatedAt(cases.softDeleted.observation);
    const end = updatedAt(cases.recodedSensitive.observation);
    expect(start).toBeLessThan(end);
    const values: TestRunValues = { ...runValues(), window: { start: isoOfMicros(start), end: isoOfMicros(end) } };
    const got = await run(db, plans.noBackfill, datasetOf(plans.noBackfill, 'events').delta!, values);
    expect(got).toEqual(expectedDelta('events', after, populationAfter, previous, { start, end }, VARIANTS.noBackfill, MODEL_KEYS));
    expect(rowOf(got, cases.softDeleted.observation)).toEqual([]);
    expect(rowOf(got, cases.madeConfidential.observation)).toHaveLength(1);
    expect(rowOf(got, cases.recodedSensitive.observation)).toHaveLength(1);
    expect(rowOf(got, cases.newObservation.observation)).toEqual([]);
  });

  // The numbered cases, one by one against the compiler's output, so that a failure names its case.
  describe('case by case (no_backfill, single_zip unless said)', () => {
    const events = () => actual.noBackfill.events;
    const people = () => actual.noBackfill.people;
    const diabetics = () => actual.noBackfill.diabetics;
    const keyOf = (patientId: string) => pseudonym(after.patients.get(patientId)!.nhsNumber, KEY);
    const upsert = (patientId: string, observationId: string) => {
      const o = after.observations.find((x) => x.observationId === observationId)!;
      return { person_key: keyOf(patientId), code: o.code, effective_date: o.effectiveDate, record_id: rid(observationId), change_type: 'upsert' };
    };
    const deletion = (observationId: string) => ({ person_key: null, code: null, effective_date: null, record_id: rid(observationId), change_type: 'delete' });
    /** The output rows of a patient's observations. */
    const patientRows = (rows: OutputRow[], patientId: string) => {
      const theirs = new Set(after.observations.filter((o) => o.patientId === patientId).map((o) => rid(o.observationId)));
      return rows.filter((r) => theirs.has(r['record_id'] ?? ''));
    };

    it('1: a new observation is an upsert', () => {
      const { patient, observation } = cases.newObservation;
      expect(rowOf(events(), observation)).toEqual([upsert(patient, observation)]);
    });

    it('2, 3, 4: a soft-deleted, confidential or sexuality-coded observation is a deletion with every field empty', () => {
      for (const c of [cases.softDeleted, cases.madeConfidential, cases.recodedSensitive]) expect(rowOf(events(), c.observation)).toEqual([deletion(c.observation)]);
    });

    it('4b: an observation moved into the filter is an upsert, one moved out of it a deletion', () => {
      expect(rowOf(events(), cases.intoFilter.observation)).toEqual([upsert(cases.intoFilter.patient, cases.intoFilter.observation)]);
      expect(rowOf(events(), cases.outOfFilter.observation)).toEqual([deletion(cases.outOfFilter.observation)]);
    });

    it('5: a new NHS number re-upserts every qualifying observation, the patient row and the diabetics row with the new pseudonym', () => {
      const { patient, nhsNumber } = cases.newNhsNumber;
      const newKey = pseudonym(nhsNumber, KEY);
      const qualifying = after.observations.filter((o) => o.patientId === patient && MODEL_DATASETS.events.qualifies(o, after));
      const upserts = patientRows(events(), patient).filter((r) => r['change_type'] === 'upsert');
      expect(upserts.map((r) => r['record_id']).sort()).toEqual(qualifying.map((o) => rid(o.observationId)).sort());
      expect(upserts.every((r) => r['person_key'] === newKey)).toBe(true);
      expect(rowOf(people(), patient)).toEqual([{ person_key: newKey, birth_year: after.patients.get(patient)!.dateOfBirth.slice(0, 4), record_id: rid(patient), change_type: 'upsert' }]);
      expect(rowOf(diabetics(), patient)).toEqual([{ person_key: newKey, record_id: rid(patient), change_type: 'upsert' }]);
    });

    it("5: the rest of that patient's observations, which changed through the relation but do not qualify, are deletions", () => {
      const { patient } = cases.newNhsNumber;
      const notQualifying = after.observations.filter((o) => o.patientId === patient && !MODEL_DATASETS.events.qualifies(o, after));
      expect(notQualifying.length).toBeGreaterThan(0);
      const deletions = patientRows(events(), patient).filter((r) => r['change_type'] === 'delete');
      expect(deletions).toEqual(sortedById(notQualifying.map((o) => deletion(o.observationId))));
    });

    it('6: a newly registered patient has their whole history upserted though every row of it is older than the window', () => {
      const { patient, qualifying } = cases.newPatient;
      expect(patientRows(events(), patient)).toEqual(sortedById(qualifying.map((id) => upsert(patient, id))));
      expect(rowOf(people(), patient)).toEqual([{ person_key: keyOf(patient), birth_year: '1980', record_id: rid(patient), change_type: 'upsert' }]);
      expect(rowOf(diabetics(), patient)).toEqual([{ person_key: keyOf(patient), record_id: rid(patient), change_type: 'upsert' }]);
    });

    it('7: no_backfill: a patient who opted back in has only their rows changed in the window', () => {
      const { patient, observation } = cases.optedBackIn;
      expect(patientRows(events(), patient)).toEqual([upsert(patient, observation)]);
      expect(rowOf(people(), patient)).toEqual([]);
    });

    it('7: backfill: a patient who opted back in has their whole history', () => {
      const { patient } = cases.optedBackIn;
      const qualifying = after.observations.filter((o) => o.patientId === patient && MODEL_DATASETS.events.qualifies(o, after));
      expect(qualifying.length).toBeGreaterThanOrEqual(3);
      expect(patientRows(actual.backfill.events, patient)).toEqual(sortedById(qualifying.map((o) => upsert(patient, o.observationId))));
      expect(rowOf(actual.backfill.people, patient)).toEqual([{ person_key: keyOf(patient), birth_year: after.patients.get(patient)!.dateOfBirth.slice(0, 4), record_id: rid(patient), change_type: 'upsert' }]);
    });

    it('8, 9, 12: nothing for a patient who opted out, died, deregistered or is PDS-sensitive, nor for a change after the window', () => {
      for (const variant of Object.keys(VARIANTS) as Variant[]) {
        for (const c of [cases.optedOut, cases.died, cases.deregistered, cases.pdsSensitive, cases.afterTheWindow]) {
          expect(patientRows(actual[variant].events, c.patient), `${variant} events of ${c.patient}`).toEqual([]);
          expect(rowOf(actual[variant].people, c.patient), `${variant} people ${c.patient}`).toEqual([]);
          expect(rowOf(actual[variant].diabetics, c.patient), `${variant} diabetics ${c.patient}`).toEqual([]);
        }
      }
    });

    it('10: a first diabetes observation makes the patient an upsert of the exists() dataset', () => {
      const { patient, observation } = cases.newDiabetes;
      expect(rowOf(diabetics(), patient)).toEqual([{ person_key: keyOf(patient), record_id: rid(patient), change_type: 'upsert' }]);
      expect(rowOf(events(), observation)).toEqual([upsert(patient, observation)]);
      expect(rowOf(people(), patient)).toEqual([]);
    });

    it('10: a patient row of the exists() dataset whose observations changed but who does not qualify is a deletion', () => {
      for (const c of [cases.newObservation, cases.softDeleted, cases.madeConfidential, cases.recodedSensitive]) {
        expect(rowOf(diabetics(), c.patient)).toEqual([{ person_key: null, record_id: rid(c.patient), change_type: 'delete' }]);
      }
    });

    it('11: a patient who moved practice: nothing in single_zip; in per_practice every row again, each in the folder of the practice holding it', () => {
      const { patient } = cases.movedPractice;
      expect(patientRows(events(), patient)).toEqual([]);
      expect(rowOf(people(), patient)).toEqual([]);
      const qualifying = after.observations.filter((o) => o.patientId === patient && MODEL_DATASETS.events.qualifies(o, after));
      const inNewFolder = <T extends object>(row: T) => ({ ...row, [PRACTICE_COLUMN]: 'A81002' });
      // An observation stays in the folder of the practice that recorded it (its controller); the patient row moves.
      expect(patientRows(actual.perPractice.events, patient)).toEqual(sortedById(qualifying.map((o) => ({ ...upsert(patient, o.observationId), [PRACTICE_COLUMN]: o.practice }))));
      expect(qualifying.some((o) => o.practice !== 'A81002'), 'rows recorded at the old practice, which stay in its folder').toBe(true);
      expect(rowOf(actual.perPractice.people, patient)).toEqual([
        inNewFolder({ person_key: keyOf(patient), birth_year: after.patients.get(patient)!.dateOfBirth.slice(0, 4), record_id: rid(patient), change_type: 'upsert' }),
      ]);
    });
  });
});

/** An ISO 8601 instant with microseconds, from microseconds since the epoch. */
function isoOfMicros(micros: bigint): string {
  const millis = new Date(Number(micros / 1000n)).toISOString(); // 2026-11-21T10:20:35.123Z
  return `${millis.slice(0, -1)}${String(micros % 1000n).padStart(3, '0')}Z`;
}

function sortedEntries(population: ReadonlyMap<string, PopulationEntry>): [string, PopulationEntry][] {
  return [...population].sort(([a], [b]) => Number(a) - Number(b));
}

/** In the order of sortRows(): by record_id (every row here has a distinct one). */
function sortedById<T extends { record_id: string }>(rows: T[]): T[] {
  return [...rows].sort((a, b) => (a.record_id < b.record_id ? -1 : a.record_id > b.record_id ? 1 : 0));
}
