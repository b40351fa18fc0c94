import { sql, type QueryCreator, type RawBuilder, type SelectQueryBuilder } from 'kysely';
import { tableOf, type CatalogueTable } from '../catalogue/catalogue.js';
import { compilerKysely } from './compiler-db.js';
import { applyJoins, expressionSql, Scope, snapshotDate } from './expression-sql.js';
import { markNode, POPULATION, POPULATION_ELIGIBLE, practicesParameter, registerGuard, SENSITIVE_CODES, sensitiveCodesQuery } from './guards.js';
import { aliasMaker, type SqlContext } from './sql-context.js';
import { column, identifier, tableAs } from './sql-names.js';

type AnySelect = SelectQueryBuilder<any, any, any>;

/** The names of the population's CTEs, and the columns every query can use. */
export const POPULATION_BASE = 'population_base';
export { POPULATION, POPULATION_ELIGIBLE };

/**
 * The population, in one place, used by every dataset query. D is the extract date (--today), N
 * the snapshot's own date (see `snapshotToday`); exclusions are those in force in the snapshot,
 * so a D in the past narrows the population and never brings back who has since left:
 *
 * `population_eligible`: the patients passing every hard exclusion: registered at a practice in
 * scope by a registration that started on or before D and has not ended before GREATEST(D, N)
 * (the end date being its last day; permanent only unless the definition takes all types), not
 * soft-deleted, never PDS-sensitive, without a recorded death unless the deceased are included,
 * and without an applied opt-out (a Type 1 opt-out unless overridden, a National Data Opt-out
 * when it applies) in force at any time from the start of D to the end of GREATEST(D, N).
 *
 * `population_base`: the same patients and those left out only for an opt-out (flagged
 * `opted_out`), matching the definition's own filter, whose scans read rows of eligible patients
 * (or of the patient being tested) only: the filter cannot tell anything of an excluded patient.
 * A patient with two current registrations is counted once, at the permanent one, then the
 * earliest, then the lowest key.
 *
 * `population`: the patients of the base who are not opted out. Every scan of a patient-linked
 * table in a dataset query reads rows of its members only (guards.ts, scanGuards).
 */
export function withPopulation(ctx: SqlContext): QueryCreator<any> {
  // Built once per definition, with aliases of their own (a CTE is a scope of its own in SQL).
  type Shared = { eligible: AnySelect; base: AnySelect; members: AnySelect; codeSets: [string, RawBuilder<any>][] };
  if (!ctx.shared.population) {
    const own: SqlContext = { ...ctx, alias: aliasMaker() };
    delete own.dependencies;
    delete own.membership;
    const codeSets: [string, RawBuilder<any>][] = [];
    if (own.guardedSets.length > 0) codeSets.push([SENSITIVE_CODES, sensitiveCodesQuery(own, own.guardedSets)]);
    for (const { name, sets } of own.codeSetCtes.values()) codeSets.push([name, sensitiveCodesQuery(own, sets)]);
    ctx.shared.population = {
      codeSets,
      eligible: populationSelect(own, 'eligible'),
      base: populationSelect(own, 'base'),
      members: populationMembers(own),
    } satisfies Shared;
  }
  const shared = ctx.shared.population as Shared;
  let db: QueryCreator<any> = compilerKysely();
  for (const [name, query] of shared.codeSets) db = db.with(name, () => query);
  return db
    .with(POPULATION_ELIGIBLE, () => shared.eligible)
    .with(POPULATION_BASE, () => shared.base)
    .with(POPULATION, () => shared.members);
}

/** The columns of the population CTE that hold the chosen registration's key. */
export function registrationKeyColumns(ctx: SqlContext): string[] {
  const registration = tableOf(ctx.catalogue, ctx.catalogue.population.registration.table);
  return registration.primaryKey.map((_, i) => `registration_key_${i + 1}`);
}

/**
 * The snapshot's own date, N: the UTC date of the snapshot transaction's start (`now()` is the
 * transaction's start time). It is read inside the snapshot rather than bound as a parameter so
 * that nothing a caller gives (--today, a stale value) can pair old data with an old date: the
 * exclusions are always judged on the state the snapshot holds.
 */
export function snapshotToday(): RawBuilder<any> {
  return sql`(now() AT TIME ZONE 'UTC')::date`;
}

/** The later of D (the extract date) and N (the snapshot's date): exclusions in force up to it count. */
function inForceUntil(ctx: SqlContext): RawBuilder<any> {
  return sql`GREATEST(${snapshotDate(ctx)}, ${snapshotToday()})`;
}

/**
 * The patient and their registration under every hard exclusion: `eligible` selects the patients
 * not opted out; `base` adds the definition's filter and the opt-out flag.
 */
function populationSelect(ctx: SqlContext, which: 'eligible' | 'base'): AnySelect {
  const db = compilerKysely();
  const model = ctx.catalogue.population;
  const patient = tableOf(ctx.catalogue, model.patient.table);
  const registration = tableOf(ctx.catalogue, model.registration.table);
  const D = snapshotDate(ctx);
  const until = inForceUntil(ctx);
  const practices = practicesParameter(ctx);
  const permanent = ctx.params.use({
    name: 'registration_type_permanent',
    type: 'text',
    source: 'catalogue',
    meaning: `the registration type that means a permanent registration (${model.registration.table}.${model.registration.type})`,
    value: model.registration.permanentValue,
  });
  const population = ctx.definition.population;
  const pt = 'pt';
  const r = 'r';

  const registrationConditions: RawBuilder<any>[] = [sql`${column(r, model.registration.patient)} = ${column(pt, model.patient.key)}`];
  if (registration.tombstone) registrationConditions.push(registerGuard({ kind: 'registration-tombstone', alias: r }, sql`${column(r, registration.tombstone)} IS NULL`));
  registrationConditions.push(
    registerGuard(
      { kind: 'registration-current', alias: r },
      sql`${column(r, model.registration.start)} <= ${D} AND (${column(r, model.registration.end)} IS NULL OR ${column(r, model.registration.end)} >= ${until})`,
    ),
    registerGuard({ kind: 'registration-practice', alias: r }, sql`${column(r, model.registration.practice)} = ANY(${practices})`),
  );
  if (population.registration === 'permanent') {
    registrationConditions.push(registerGuard({ kind: 'registration-permanent', alias: r }, sql`${column(r, model.registration.type)} = ${permanent}`));
  }

  const patientConditions: RawBuilder<any>[] = [];
  if (patient.tombstone) patientConditions.push(registerGuard({ kind: 'patient-tombstone', alias: pt }, sql`${column(pt, patient.tombstone)} IS NULL`));
  patientConditions.push(registerGuard({ kind: 'pds-sensitive', alias: pt }, sql`${column(pt, model.patient.pdsSensitive)} IS FALSE`));
  if (population.deceased === 'exclude') {
    // Any recorded death: a death is never undone by a date, and a death dated after the snapshot
    // is an error in the record that no extract date should turn into a living patient.
    patientConditions.push(registerGuard({ kind: 'deceased', alias: pt }, sql`${column(pt, model.patient.dateOfDeath)} IS NULL`));
  }

  let query = db
    .selectFrom(tableAs(patient, pt))
    .innerJoin(tableAs(registration, r), (jb) => registrationConditions.reduce((j, c) => j.on(c), jb)) as AnySelect;
  const flag = optedOutFlag(ctx, pt);
  // The only read of the opt-out (control) table any query holds: a flag, never a row.
  markNode({ kind: 'opt-out-flag', optOuts: optOutsApplied(ctx) }, flag.toOperationNode());

  if (which === 'eligible') {
    for (const condition of patientConditions) query = query.where(condition);
    const notOptedOut = sql<boolean>`NOT ${flag}`;
    markNode({ kind: 'not-opted-out', alias: pt, optOuts: optOutsApplied(ctx) }, notOptedOut.toOperationNode());
    query = query.where(notOptedOut).select(column(pt, model.patient.key).as('patient_id'));
    markNode({ kind: 'population-eligible' }, query.toOperationNode());
    return query;
  }

  // The filter's scans read rows of eligible patients or of the patient being tested.
  const filterCtx: SqlContext = { ...ctx, membership: { tested: column(pt, model.patient.key) } };
  const scope = new Scope(filterCtx, patient, pt, {
    label: 'population WHERE',
    path: [],
    populationRegistration: r,
    inPopulation: true,
  });
  const filter = population.where ? expressionSql(population.where, scope) : undefined;
  query = applyJoins(query, scope);
  for (const condition of patientConditions) query = query.where(condition);
  if (filter) query = query.where(filter);

  const keys = registrationKeyColumns(ctx);
  query = query
    .distinctOn(`${pt}.${model.patient.key}`)
    .select([
      column(pt, model.patient.key).as('patient_id'),
      column(r, model.registration.practice).as('practice'),
      ...registration.primaryKey.map((key, i) => column(r, key).as(identifier(keys[i]!))),
      flag.as('opted_out'),
    ])
    .orderBy(sql`${column(pt, model.patient.key)}`)
    .orderBy(sql`(${column(r, model.registration.type)} = ${permanent})`, 'desc')
    .orderBy(sql`${column(r, model.registration.start)}`);
  for (const key of registration.primaryKey) query = query.orderBy(sql`${column(r, key)}`);
  markNode({ kind: 'population-base' }, query.toOperationNode());
  return query;
}

function populationMembers(ctx: SqlContext): AnySelect {
  const db = compilerKysely();
  const keys = registrationKeyColumns(ctx);
  return db
    .selectFrom(`${POPULATION_BASE} as b`)
    .select(['b.patient_id', 'b.practice', ...keys.map((k) => `b.${k}`)])
    .where(registerGuard({ kind: 'not-opted-out', alias: 'b' }, sql`NOT ${column('b', 'opted_out')}`));
}

/** Which opt-outs exclude patients: Type 1 unless overridden, the National Data Opt-out when it applies. */
export function optOutsApplied(ctx: SqlContext): { type1: boolean; nationalDataOptOut: boolean } {
  const population = ctx.definition.population;
  return { type1: population.type1OptOut === 'respect', nationalDataOptOut: population.nationalDataOptOut === 'respect' };
}

/** True when an applied opt-out is in force at any time from the start of D to the end of GREATEST(D, N) (UTC). */
function optedOutFlag(ctx: SqlContext, patientAlias: string): RawBuilder<any> {
  const model = ctx.catalogue.population;
  const optOut = tableOf(ctx.catalogue, model.optOut.table);
  const applied = optOutsApplied(ctx);
  const dayStart = sql`(${snapshotDate(ctx)}::timestamp AT TIME ZONE 'UTC')`;
  const dayEnd = sql`((${inForceUntil(ctx)} + 1)::timestamp AT TIME ZONE 'UTC')`;
  const inForce = (type: 'type1' | 'national_data_opt_out'): RawBuilder<any> => {
    const o = ctx.alias('o');
    const value = ctx.params.use({
      name: type === 'type1' ? 'opt_out_type1' : 'opt_out_national_data_opt_out',
      type: 'text',
      source: 'catalogue',
      meaning: `the ${model.optOut.table}.${model.optOut.type} value of ${type === 'type1' ? 'a Type 1 opt-out' : 'a National Data Opt-out'}`,
      value: type === 'type1' ? model.optOut.type1Value : model.optOut.nationalDataOptOutValue,
    });
    return sql`EXISTS (SELECT 1 FROM ${rawTable(optOut)} AS ${sql.id(o)} WHERE ${column(o, model.optOut.patient)} = ${column(patientAlias, model.patient.key)} AND ${column(o, model.optOut.type)} = ${value} AND ${column(o, model.optOut.from)} < ${dayEnd} AND (${column(o, model.optOut.to)} IS NULL OR ${column(o, model.optOut.to)} > ${dayStart}))`;
  };
  const tests: RawBuilder<any>[] = [];
  if (applied.type1) tests.push(inForce('type1'));
  if (applied.nationalDataOptOut) tests.push(inForce('national_data_opt_out'));
  return tests.length === 0 ? sql`FALSE` : sql`(${sql.join(tests, sql` OR `)})`;
}

function rawTable(table: CatalogueTable): RawBuilder<any> {
  return sql.table(`${identifier(table.schema)}.${identifier(table.name)}`);
}

/**
 * A registration reached through the population relation (patient.current_registration) is the one
 * that put the patient in the population.
 */
export function populationRegistrationMember(ctx: SqlContext, registration: CatalogueTable, alias: string): RawBuilder<any> {
  const keys = registrationKeyColumns(ctx);
  const own = registration.primaryKey.map((k) => column(alias, k));
  return sql`(${sql.join(own)}) IN (SELECT ${sql.join(keys.map((k) => sql.ref(k)))} FROM ${sql.table(POPULATION)})`;
}

/**
 * The population itself, for the executor: every patient of the base with their practice and
 * whether they are opted out. A delta run keeps it as state, to know next time who entered.
 */
export function populationStateQuery(ctx: SqlContext): AnySelect {
  const query = withPopulation(ctx)
    .selectFrom(`${POPULATION_BASE} as s`)
    .select(['s.patient_id', 's.practice', 's.opted_out'])
    .orderBy('s.patient_id') as AnySelect;
  markNode({ kind: 'population-state' }, query.toOperationNode());
  return query;
}
