import { sql, type RawBuilder, type SelectQueryBuilder } from 'kysely';
import { findRelation, tableOf, type CatalogueRelation, type CatalogueTable } from '../catalogue/catalogue.js';
import type { IrExpr, RelationStep, ValueType } from '../ir/expression.js';
import { formatPosition } from '../source/source-file.js';
import { keyVariable } from './key-variable.js';
import { CompileError } from './compile-error.js';
import { compilerKysely } from './compiler-db.js';
import { eclPredicate } from './ecl-sql.js';
import { scanGuards } from './guards.js';
import { RUN_PARAMETERS, type ParameterType } from './parameters.js';
import { populationRegistrationMember } from './population.js';
import type { SqlContext } from './sql-context.js';
import { column, tableAs } from './sql-names.js';

type AnySelect = SelectQueryBuilder<any, any, any>;

/** A to-one relation followed from a scope's table: a LEFT JOIN with the joined table's guards in its ON. */
export interface JoinPlan {
  alias: string;
  table: CatalogueTable;
  fromAlias: string;
  relation: CatalogueRelation;
  /** The relation steps from the dataset's table to the joined table (delta dependencies). */
  path: RelationStep[];
}

export interface ScopeOptions {
  /** Whose expressions these are, for parameter meanings ("dataset referrals, WHERE"). */
  label: string;
  /** The relation steps from the dataset's table to this scope's table (delta dependencies). */
  path: RelationStep[];
  /** Inside the population query: the alias of the registration that puts the patient in it. */
  populationRegistration?: string;
  /** Whether this scope is inside the population query (where the population relation is the query's own registration). */
  inPopulation: boolean;
}

/**
 * The table expressions are evaluated against (a dataset's table, an exists() body, the
 * population's patient) and the to-one relations they follow, each joined once.
 */
export class Scope {
  readonly joins: JoinPlan[] = [];
  readonly #byPath = new Map<string, { alias: string; table: CatalogueTable }>();

  constructor(
    readonly ctx: SqlContext,
    readonly table: CatalogueTable,
    readonly alias: string,
    readonly options: ScopeOptions,
  ) {}

  /** The alias of the table at the end of a path of to-one relations, joining as needed. */
  aliasOf(path: readonly string[]): string {
    let table = this.table;
    let alias = this.alias;
    const steps = [...this.options.path];
    for (let i = 0; i < path.length; i++) {
      const name = path[i]!;
      const relation = findRelation(table, name);
      if (!relation) throw new Error(`internal: ${table.name} has no relation ${name}`);
      steps.push({ relation: relation.name, from: table.name, to: relation.to, cardinality: relation.cardinality });
      const key = path.slice(0, i + 1).join('.');
      const known = this.#byPath.get(key);
      if (known) {
        ({ table, alias } = known);
        continue;
      }
      const target = tableOf(this.ctx.catalogue, relation.to);
      if (relation.population && this.options.inPopulation) {
        if (i !== 0 || this.options.populationRegistration === undefined) {
          throw new CompileError(`in the population filter, \`${relation.name}\` can only be followed from the patient itself`);
        }
        alias = this.options.populationRegistration;
      } else {
        const joined = this.ctx.alias('j');
        this.joins.push({ alias: joined, table: target, fromAlias: alias, relation, path: [...steps] });
        this.ctx.dependencies?.set(dependencyKey(steps), [...steps]);
        alias = joined;
      }
      table = target;
      this.#byPath.set(key, { alias, table });
    }
    return alias;
  }
}

export function dependencyKey(steps: readonly RelationStep[]): string {
  return steps.map((s) => `${s.from}.${s.relation}`).join('/');
}

/** Adds a scope's joins to a query: LEFT JOIN, relation columns equal, the joined table's scan guards. */
export function applyJoins<Q extends AnySelect>(query: Q, scope: Scope): Q {
  let q: AnySelect = query;
  for (const join of scope.joins) {
    const conditions = relationConditions(scope.ctx, join.relation, join.fromAlias, join.alias);
    const guards = scanGuards(scope.ctx, join.table, join.alias, { path: join.path });
    q = q.leftJoin(tableAs(join.table, join.alias), (jb) => [...conditions, ...guards].reduce((j, c) => j.on(c), jb));
  }
  return q as Q;
}

/** The join conditions of a relation from `fromAlias` to `toAlias` (and, for the population relation, membership). */
export function relationConditions(ctx: SqlContext, relation: CatalogueRelation, fromAlias: string, toAlias: string): RawBuilder<any>[] {
  const conditions = relation.on.map((pair) => sql`${column(toAlias, pair.to)} = ${column(fromAlias, pair.from)}`);
  if (relation.population) conditions.push(populationRegistrationMember(ctx, tableOf(ctx.catalogue, relation.to), toAlias));
  return conditions;
}

const PARAMETER_TYPE: Record<Exclude<ValueType, 'null' | 'binary'>, ParameterType> = {
  boolean: 'boolean',
  integer: 'bigint',
  numeric: 'numeric',
  text: 'text',
  date: 'date',
  timestamp: 'timestamptz',
  interval: 'interval',
  code: 'bigint',
};

/**
 * The extract date D (--today, else the snapshot's date): today() and every age are judged on it.
 * The population's exclusions are judged on the snapshot itself as well (population.ts).
 */
export function snapshotDate(ctx: SqlContext): RawBuilder<any> {
  return ctx.params.use({
    name: RUN_PARAMETERS.snapshotDate,
    type: 'date',
    source: 'run',
    meaning: 'the snapshot date of the run (the extract date, UTC): today() and ages are judged on it, registrations must have started by it; deregistrations and opt-outs count from it up to the snapshot\'s own date',
  });
}

/** A date as the UTC instant it starts, so comparisons do not depend on the session's time zone. */
function dateAsTimestamp(value: RawBuilder<any>): RawBuilder<any> {
  return sql`(${value}::timestamp AT TIME ZONE 'UTC')`;
}

/** Compiles an expression of the definition to SQL, in `scope`. Every literal is a bound parameter. */
export function expressionSql(expression: IrExpr, scope: Scope): RawBuilder<any> {
  const ctx = scope.ctx;
  const recur = (e: IrExpr) => expressionSql(e, scope);
  /** Operands of a comparison: a date meeting a timestamp is taken as the instant it starts (UTC). */
  const comparable = (e: IrExpr, other: IrExpr) => (e.type === 'date' && other.type === 'timestamp' ? dateAsTimestamp(recur(e)) : recur(e));
  switch (expression.kind) {
    case 'literal': {
      if (expression.type === 'null' || expression.value === null) return sql`NULL`;
      if (expression.type === 'binary') throw new Error('internal: binary literals do not exist');
      const at = expression.span ? formatPosition(expression.span) : undefined;
      return ctx.params.literal(PARAMETER_TYPE[expression.type], expression.value, `${scope.options.label}: ${describeLiteral(expression)}`, at);
    }
    case 'column':
      return column(scope.aliasOf(expression.path), expression.column);
    case 'not':
      return sql`(NOT ${recur(expression.operand)})`;
    case 'negate':
      return sql`(- ${recur(expression.operand)})`;
    case 'isNull':
      return expression.negated ? sql`(${recur(expression.operand)} IS NOT NULL)` : sql`(${recur(expression.operand)} IS NULL)`;
    case 'inList': {
      const items = expression.items.map((i) => comparable(i, expression.operand));
      return sql`(${comparable(expression.operand, expression.items[0] ?? expression.operand)} ${sql.raw(expression.negated ? 'NOT IN' : 'IN')} (${sql.join(items)}))`;
    }
    case 'between': {
      const widest = [expression.low, expression.high].find((b) => b.type === 'timestamp') ?? expression.low;
      const operand = comparable(expression.operand, widest);
      return sql`(${operand} ${sql.raw(expression.negated ? 'NOT BETWEEN' : 'BETWEEN')} ${comparable(expression.low, expression.operand)} AND ${comparable(expression.high, expression.operand)})`;
    }
    case 'inCodeSet': {
      const test = eclPredicate(ctx, expression.codeSet, recur(expression.operand), { source: 'definition', label: scope.options.label });
      return expression.negated ? sql`(NOT ${test})` : test;
    }
    case 'binary':
      return binarySql(expression, scope, comparable);
    case 'call':
      return callSql(expression, scope);
    case 'exists':
      return existsSql(expression, scope);
  }
}

function binarySql(
  expression: Extract<IrExpr, { kind: 'binary' }>,
  scope: Scope,
  comparable: (e: IrExpr, other: IrExpr) => RawBuilder<any>,
): RawBuilder<any> {
  const { op, left, right } = expression;
  const l = () => comparable(left, right);
  const r = () => comparable(right, left);
  switch (op) {
    case 'and':
      return sql`(${l()} AND ${r()})`;
    case 'or':
      return sql`(${l()} OR ${r()})`;
    case '=':
    case '<>':
    case '<':
    case '<=':
    case '>':
    case '>=':
      return sql`(${l()} ${sql.raw(op)} ${r()})`;
    case '/':
      // Division is exact (numeric, without trailing zeros); by zero it gives null rather than failing the whole run.
      return sql`trim_scale((${l()})::numeric / NULLIF(${r()}, 0))`;
    case '*':
      return sql`(${l()} * ${r()})`;
    case '+':
    case '-': {
      // date ± whole number of days: PostgreSQL has date ± integer, not date ± bigint.
      const days = (e: IrExpr, other: IrExpr, compiled: RawBuilder<any>) => (e.type === 'integer' && other.type === 'date' ? sql`(${compiled})::integer` : compiled);
      const result = sql`(${days(left, right, l())} ${sql.raw(op)} ${days(right, left, r())})`;
      // A date plus or minus an interval is a date in the language (PostgreSQL would give a timestamp).
      const interval = left.type === 'interval' || right.type === 'interval';
      return expression.type === 'date' && interval ? sql`(${result})::date` : result;
    }
  }
}

function callSql(expression: Extract<IrExpr, { kind: 'call' }>, scope: Scope): RawBuilder<any> {
  const ctx = scope.ctx;
  const args = expression.args;
  const arg = (i: number) => expressionSql(args[i]!, scope);
  const utc = (i: number) => (args[i]!.type === 'timestamp' ? sql`(${arg(i)} AT TIME ZONE 'UTC')` : sql`${arg(i)}::timestamp`);
  switch (expression.fn) {
    case 'today':
      return snapshotDate(ctx);
    case 'year':
      return sql`(EXTRACT(YEAR FROM ${utc(0)}))::integer`;
    case 'month':
      return sql`(date_trunc('month', ${utc(0)}))::date`;
    case 'date_of':
      return sql`(${arg(0)} AT TIME ZONE 'UTC')::date`;
    case 'age_years':
      return ageYears(ctx, arg(0));
    case 'age_band': {
      const width = args.length > 1 ? arg(1) : sql`5`;
      const age = () => ageYears(ctx, arg(0));
      const lower = () => sql`(${age()} / ${width} * ${width})`;
      return sql`(CASE WHEN ${age()} IS NULL THEN NULL WHEN ${age()} >= 90 THEN '90+' ELSE ${lower()}::text || '-' || LEAST(${lower()} + ${width} - 1, 89)::text END)`;
    }
    case 'postcode_district':
      // The outward code: the postcode without its inward code (a digit and two letters).
      return sql`NULLIF(regexp_replace(upper(regexp_replace(${arg(0)}, '\\s+', '', 'g')), '[0-9][A-Z]{2}$', ''), '')`;
    case 'pseudonym': {
      const key = pseudonymKey(ctx, expression.key);
      return sql`encode(hmac(convert_to((${arg(0)})::text, 'UTF8'), convert_to(${key}, 'UTF8'), 'sha256'), 'hex')`;
    }
    case 'coalesce':
      return sql`COALESCE(${sql.join(args.map((_, i) => arg(i)))})`;
    case 'lower':
      return sql`lower(${arg(0)})`;
    case 'upper':
      return sql`upper(${arg(0)})`;
    case 'abs':
      return sql`abs(${arg(0)})`;
    case 'round':
      return args.length > 1 ? sql`round((${arg(0)})::numeric, (${arg(1)})::integer)` : sql`round((${arg(0)})::numeric)`;
    default:
      throw new Error(`internal: no SQL for function ${(expression as { fn: string }).fn}`);
  }
}

/** Whole years between a date and the snapshot date. */
function ageYears(ctx: SqlContext, date: RawBuilder<any>): RawBuilder<any> {
  return sql`(EXTRACT(YEAR FROM age(${snapshotDate(ctx)}::timestamp, ${date}::timestamp)))::integer`;
}

/** The parameter a pseudonym key is bound to: its value is given at run time, never written anywhere. */
export function pseudonymKey(ctx: SqlContext, name: string): RawBuilder<any> {
  return ctx.params.use({
    name: `key_${name}`,
    type: 'text',
    source: 'key',
    meaning: `pseudonym key '${name}' (from the keys file given with --keys, or the environment variable ${keyVariable(name)})`,
  });
}

/** Re-exported for the modules that already name it here (bind-parameters, pseudonym-keys). */
export { keyVariable };

/**
 * exists(relation where ...): a correlated subquery over the related rows, each table in it with
 * its scan guards, so a row of a patient outside the population, held at a practice out of scope,
 * sensitive, confidential or deleted never makes a condition true.
 */
function existsSql(expression: Extract<IrExpr, { kind: 'exists' }>, scope: Scope): RawBuilder<any> {
  const ctx = scope.ctx;
  const db = compilerKysely();
  let table = scope.table;
  let alias = scope.alias;
  let query: AnySelect | undefined;
  const steps = [...scope.options.path];
  for (const step of expression.relation) {
    const relation = findRelation(table, step.relation);
    if (!relation) throw new Error(`internal: ${table.name} has no relation ${step.relation}`);
    if (relation.population && scope.options.inPopulation) {
      throw new CompileError(`in the population filter, \`${relation.name}\` cannot be followed inside exists()`);
    }
    const target = tableOf(ctx.catalogue, relation.to);
    const next = ctx.alias('e');
    const conditions = [...relationConditions(ctx, relation, alias, next), ...scanGuards(ctx, target, next, { path: [...steps, step] })];
    if (!query) query = conditions.reduce((q, c) => q.where(c), db.selectFrom(tableAs(target, next)).select(sql`1`.as('found')) as AnySelect);
    else query = query.innerJoin(tableAs(target, next), (jb) => conditions.reduce((j, c) => j.on(c), jb));
    steps.push(step);
    ctx.dependencies?.set(dependencyKey(steps), [...steps]);
    table = target;
    alias = next;
  }
  if (!query) throw new Error('internal: exists() without a relation');
  const body = new Scope(ctx, table, alias, {
    label: `${scope.options.label}, exists(${expression.relation.map((r) => r.relation).join('.')})`,
    path: steps,
    inPopulation: scope.options.inPopulation,
  });
  const where = expression.where ? expressionSql(expression.where, body) : undefined;
  query = applyJoins(query, body);
  if (where) query = query.where(where);
  return sql`(EXISTS ${query})`;
}

function describeLiteral(expression: Extract<IrExpr, { kind: 'literal' }>): string {
  switch (expression.type) {
    case 'text':
      return `'${String(expression.value).replace(/'/g, "''")}'`;
    case 'interval':
      return `interval '${String(expression.value)}'`;
    default:
      return String(expression.value);
  }
}
