import { sql, type RawBuilder, type SelectQueryBuilder } from 'kysely';
import { tableOf, type CatalogueTable } from '../catalogue/catalogue.js';
import type { RelationStep, ValueType } from '../ir/expression.js';
import type { Dataset } from '../ir/extract-definition.js';
import { CompileError } from './compile-error.js';
import { applyJoins, expressionSql, Scope } from './expression-sql.js';
import { markNode, POPULATION, registerGuard, scanGuards } from './guards.js';
import { RUN_PARAMETERS } from './parameters.js';
import { withPopulation } from './population.js';
import { aliasMaker, type SqlContext } from './sql-context.js';
import { column, identifier, tableAs } from './sql-names.js';

type AnySelect = SelectQueryBuilder<any, any, any>;

/** An output column of a dataset's CSV. */
export interface OutputColumn {
  name: string;
  /** The value's type in the language; every column is written as text (see outputText). */
  type: ValueType;
  /** A field of the definition, or a column exdef adds. */
  role: 'field' | 'record_id' | 'change_type' | 'practice' | 'held';
}

/** The hidden column that routes each row to its practice's folder (per_practice layout). */
export const PRACTICE_COLUMN = '__practice';

/**
 * The hidden last column of a delta definition's full query, which the executor reads and does
 * not write (delta-records.ts): `<patient>.<changed>.<practice>` — the row's patient (0 for a
 * table without patients), its change-tracking time in microseconds since 1970 (0 when it is
 * null) and the practice it is held for. Only digits, letters and dots: never quoted, whatever
 * the dialect (a delimiter is never a letter, digit or dot: csvDialectProblem).
 */
export const HELD_COLUMN = '__held';

/** Builds a fresh context for one query (its own aliases); parameters are shared by the plan. */
export function queryContext(base: SqlContext, dependencies?: Map<string, RelationStep[]>): SqlContext {
  const ctx: SqlContext = { ...base, alias: aliasMaker() };
  if (dependencies) ctx.dependencies = dependencies;
  else delete ctx.dependencies;
  return ctx;
}

/**
 * The columns of a dataset query: in per-practice layout first the practice each row goes to (the
 * executor routes on it and does not write it), then the fields, then in delta mode the record id
 * and change type.
 */
export function outputColumns(ctx: SqlContext, dataset: Dataset): OutputColumn[] {
  const columns: OutputColumn[] = [];
  if (ctx.definition.output.layout === 'per_practice') columns.push({ name: PRACTICE_COLUMN, type: 'text', role: 'practice' });
  columns.push(...dataset.fields.map((f) => ({ name: f.name, type: f.type, role: 'field' as const })));
  if (ctx.definition.mode === 'delta') {
    columns.push(
      { name: 'record_id', type: 'text', role: 'record_id' },
      { name: 'change_type', type: 'text', role: 'change_type' },
      { name: HELD_COLUMN, type: 'text', role: 'held' },
    );
  }
  return columns;
}

/**
 * The full extract of a dataset: its table's rows that belong to the population (or, for a table
 * without patients, to a practice in scope), pass their row guards and the dataset's filter, with
 * the fields as text. In a delta definition every row is an upsert (the first run, or a new baseline).
 */
export function fullQuery(base: SqlContext, dataset: Dataset): AnySelect {
  const ctx = queryContext(base);
  let query = datasetSelect(ctx, dataset, withPopulation(ctx), 'upsert', { held: ctx.definition.mode === 'delta' });
  if (ctx.definition.output.layout === 'per_practice') query = query.orderBy(sql.ref(PRACTICE_COLUMN));
  query = query.orderBy(orderKey(ctx, dataset));
  markNode({ kind: 'dataset-root' }, query.toOperationNode());
  return query;
}

/** The column of a `disclosure` select that holds the row's patient (src/disclosure measures k on it). */
export const PATIENT_COLUMN = '__patient';

/**
 * The select of a dataset: FROM its table as t, joined to the population (a table with patients),
 * the relations its expressions follow, the scan guards of t (practice scope and row guards,
 * with the sensitive sets an exemption in scope releases on its coded columns) and the filter.
 * `disclosure` selects the rows an upsert would, as the patient (PATIENT_COLUMN,
 * NULL for a table without patients) and the fields as text, nothing else: what src/disclosure
 * measures k-anonymity on.
 */
export function datasetSelect(
  ctx: SqlContext,
  dataset: Dataset,
  from: { selectFrom: (t: string) => AnySelect },
  kind: 'upsert' | 'disclosure',
  options: { held?: boolean } = {},
): AnySelect {
  const root = tableOf(ctx.catalogue, dataset.table);
  const scope = new Scope(ctx, root, 't', { label: `dataset ${dataset.name}`, path: [], inPopulation: false });
  const fields = dataset.fields.map((field) => {
    scope.options.label = `dataset ${dataset.name}, field ${field.name}`;
    return { field, value: expressionSql(field.value, scope) };
  });
  scope.options.label = `dataset ${dataset.name}, WHERE`;
  const filter = dataset.where ? expressionSql(dataset.where, scope) : undefined;

  let query = from.selectFrom(tableAs(root, 't'));
  let practice: RawBuilder<any>;
  if (root.patientColumn) {
    // The population join is the patient scope of the dataset's own table (and gives its practice).
    const on = registerGuard({ kind: 'population-join', alias: 't' }, sql`${column('p', 'patient_id')} = ${column('t', root.patientColumn)}`);
    query = query.innerJoin(`${POPULATION} as p`, (jb) => jb.on(on));
    // A row belongs to the practice that holds it (its controller), where the table records one: a
    // per-practice folder never holds a row of another practice, even one about its own patient.
    practice = root.practiceColumn ? column('t', root.practiceColumn) : column('p', 'practice');
  } else if (root.practiceColumn) {
    practice = column('t', root.practiceColumn);
  } else {
    throw new CompileError(
      `dataset \`${dataset.name}\`: table \`${root.name}\` has neither a patient nor a practice column in the catalogue, so the population cannot be applied to it`,
      ['name its patient_column or practice_column in the catalogue'],
      dataset.span,
    );
  }
  query = applyJoins(query, scope);
  // Only here, on the dataset's own table, may an exemption in scope release a sensitive set.
  const guards = scanGuards(ctx, root, 't', { membership: false, released: ctx.releases.get(dataset.name) ?? new Map(), path: [] });
  for (const guard of guards) query = query.where(guard);
  if (filter) query = query.where(filter);

  if (kind === 'disclosure') {
    const patient = root.patientColumn ? column('p', 'patient_id') : sql`NULL::bigint`;
    return query.select([patient.as(PATIENT_COLUMN), ...fields.map(({ field, value }) => outputText(value, field.type).as(identifier(field.name)))]);
  }
  const selections: ReturnType<RawBuilder<any>['as']>[] = [];
  if (ctx.definition.output.layout === 'per_practice') {
    const routed = sql`${practice}`;
    markNode({ kind: 'practice-routing' }, routed.toOperationNode());
    selections.push(routed.as(PRACTICE_COLUMN));
  }
  selections.push(...fields.map(({ field, value }) => outputText(value, field.type).as(identifier(field.name))));
  if (ctx.definition.mode === 'delta') {
    const recordId = recordIdSql(ctx, root, 't');
    markNode({ kind: 'record-id', alias: 't' }, recordId.toOperationNode());
    const changeType = sql`'upsert'`;
    markNode({ kind: 'change-type' }, changeType.toOperationNode());
    selections.push(recordId.as('record_id'), changeType.as('change_type'));
    if (options.held) {
      if (!root.changeTracking) {
        throw new CompileError(
          `delta mode needs a change-tracking column on each dataset's own table (a patient back from an opt-out under no_backfill is sent only the rows that change after they came back): \`${root.name}\` has none in the catalogue`,
          ["use mode: full, or name the table's change_tracking column in the catalogue"],
          dataset.span,
        );
      }
      const patient = root.patientColumn ? sql`${column('p', 'patient_id')}::text` : sql`'0'`;
      const changed = sql`coalesce(floor(extract(epoch FROM ${column('t', root.changeTracking)}) * 1000000)::bigint, 0)::text`;
      selections.push(sql`concat_ws('.', ${patient}, ${changed}, coalesce((${practice})::text, ''))`.as(HELD_COLUMN));
    }
  }
  return query.select(selections);
}

/**
 * A row's record id: an HMAC of its key (a composite key as a JSON array of text) under the delta
 * state's record key, 32 hex digits. Stable
 * from run to run (so a recipient can apply upserts and deletions), but opaque: internal keys are
 * sequential, and their gaps would tell a recipient where rows it may not see sit (a patient's
 * hidden sensitive observation between two it has).
 */
function recordIdSql(ctx: SqlContext, table: CatalogueTable, alias: string): RawBuilder<any> {
  // A composite key as a JSON array of its values as text: unambiguous, where joining them with a
  // separator would give ('a|b', 'c') and ('a', 'b|c') one id.
  const key = table.primaryKey.length === 1 ? sql`(${column(alias, table.primaryKey[0]!)})::text` : sql`json_build_array(${sql.join(table.primaryKey.map((k) => sql`(${column(alias, k)})::text`))})::text`;
  const recordKey = ctx.params.use({
    name: RUN_PARAMETERS.recordKey,
    type: 'text',
    source: 'state',
    meaning: 'the key that makes record ids opaque: made at each full baseline and kept with the delta state',
  });
  return sql`left(encode(hmac(convert_to(${key}, 'UTF8'), convert_to(${recordKey}, 'UTF8'), 'sha256'), 'hex'), 32)`;
}

/** Rows ordered by their table's key, so the same data gives the same bytes. */
function orderKey(ctx: SqlContext, dataset: Dataset): RawBuilder<any> {
  const root = tableOf(ctx.catalogue, dataset.table);
  return sql`${sql.join(root.primaryKey.map((k) => column('t', k)))}`;
}

/** A value as the text written to the CSV: dates ISO 8601, timestamps in UTC with Z, booleans true/false. */
export function outputText(value: RawBuilder<any>, type: ValueType): RawBuilder<any> {
  switch (type) {
    case 'text':
      return value;
    case 'boolean':
      return sql`(CASE WHEN ${value} THEN 'true' WHEN NOT ${value} THEN 'false' END)`;
    case 'date':
      return sql`to_char(${value}, 'YYYY-MM-DD')`;
    case 'timestamp':
      return sql`to_char(${value} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`;
    case 'null':
      return sql`NULL::text`;
    case 'binary':
      throw new Error('internal: binary values are never extracted');
    default:
      return sql`(${value})::text`;
  }
}
