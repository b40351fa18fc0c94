import { sql, type OperationNode, type RawBuilder } from 'kysely';
import { codedColumns, findRelation, tableOf, termColumns, type CatalogueColumn, type CatalogueTable } from '../catalogue/catalogue.js';
import type { RelationStep } from '../ir/expression.js';
import type { SensitiveCodeSet } from '../policy/policy.js';
import { CONFUSABLE_FROM, CONFUSABLE_TO, DROPPED, OTHER_SCRIPTS } from './confusables.js';
import type { SqlContext } from './sql-context.js';
import { eclSet } from './ecl-sql.js';
import { column, identifier } from './sql-names.js';

/**
 * What a guard enforces. The compiler registers every guard node it builds here, so that
 * verify-guards.ts can find them in the finished query tree by identity, not by reading SQL.
 *
 * Scan guards (on every reference to a catalogue table that has the column, at any depth):
 * - `patient-scope`: rows belong to a patient in the population (in the population filter: to an
 *   eligible patient or the one being tested);
 * - `practice-scope`: rows are held at a practice in scope;
 * - `tombstone`: soft-deleted rows are not extracted;
 * - `confidential`: items marked confidential from third parties are not extracted;
 * - `confidential-parent`: nor items inside a confidential parent (a consultation or encounter,
 *   through a relation the catalogue names in `confidential_via`);
 * - `sensitive-codes`: a row whose coded column holds a code of a sensitive set is not extracted.
 * - `sensitive-terms`: nor a row whose uncoded text naming a service (a catalogue column marked
 *   sensitive_terms: a referral's target service) holds a term of a sensitive set.
 * - `population-join`: a dataset's own table inner joined to the population (its patient scope).
 * Population guards (in the population and eligible queries): `patient-tombstone`, `pds-sensitive`,
 * `deceased`, `registration-tombstone`, `registration-current`, `registration-practice`,
 * `registration-permanent`, `opt-out-flag` (the selected flag) and `not-opted-out`.
 * Structural marks: `record-id`, `change-type`, `practice-routing`, and the selects themselves:
 * `population-base`, `population-eligible`, `population-state` and `dataset-root` (a dataset's rows);
 * `sensitive-code-set` marks the CTE holding the concepts of the sensitive sets.
 */
export type GuardKind =
  | 'tombstone'
  | 'confidential'
  | 'confidential-parent'
  | 'sensitive-codes'
  | 'sensitive-terms'
  | 'population-join'
  | 'patient-scope'
  | 'practice-scope'
  | 'patient-tombstone'
  | 'pds-sensitive'
  | 'deceased'
  | 'registration-tombstone'
  | 'registration-current'
  | 'registration-practice'
  | 'registration-permanent'
  | 'opt-out-flag'
  | 'not-opted-out'
  | 'record-id'
  | 'change-type'
  | 'practice-routing'
  | 'population-base'
  | 'population-eligible'
  | 'population-state'
  | 'dataset-root'
  | 'k-anonymity'
  | 'sensitive-code-set';

export interface GuardInfo {
  kind: GuardKind;
  /** The table alias the guard is about. */
  alias?: string;
  /** For confidential-parent: the to-one relation to the parent whose flag it reads. */
  relation?: string;
  /** The coded column, for sensitive-codes; the text column, for sensitive-terms. */
  column?: string;
  /** The sensitive sets excluded (sorted), for sensitive-codes and sensitive-terms. */
  sets?: string[];
  /** For sensitive-codes: the CTE of the sets it reads. */
  cte?: string;
  /** For patient-scope: whose rows the scan may read. */
  set?: PatientSet;
  /** For opt-out-flag and the eligible set's not-opted-out: which opt-outs are covered. */
  optOuts?: { type1: boolean; nationalDataOptOut: boolean };
}

const registry = new WeakMap<object, GuardInfo>();

/** Registers the node of `builder` as a guard and returns the builder. */
export function registerGuard(info: GuardInfo, builder: RawBuilder<unknown>): RawBuilder<any> {
  registry.set(builder.toOperationNode(), info);
  return builder;
}

export function markNode(info: GuardInfo, node: OperationNode): void {
  registry.set(node, info);
}

export function guardOf(node: OperationNode): GuardInfo | undefined {
  return registry.get(node);
}

/**
 * Which patients a scan may read rows of: `population` (dataset queries: the population CTE), or
 * `eligible` (inside the population's own filter: the patients passing every hard exclusion, or
 * the patient being tested).
 */
export type PatientSet = 'population' | 'eligible';

/** The CTE holding the population's members, and the one of the eligible patients (population.ts). */
export const POPULATION = 'population';
export const POPULATION_ELIGIBLE = 'population_eligible';

/**
 * Every guard of a scan of `table` as `alias`, whichever route reached it (a dataset's table, a
 * to-one join, an exists() body at any depth, the population filter): this is the one place
 * membership is decided.
 *
 * - `patient-scope`: a table with a patient column gives only rows of patients in the population
 *   (in the population filter: of eligible patients, or of the patient being tested);
 * - `practice-scope`: a table with a practice column gives only rows held at a practice in scope,
 *   whichever patient they belong to;
 * - the row guards: tombstone, confidential, confidential-parent (per relation the catalogue names
 *   in `confidential_via`), and per coded column the sensitive sets (all the policy's, minus those
 *   `released` lets through on that column).
 *
 * `membership: false` leaves out the patient scope, for the dataset's own table that is inner
 * joined to the population instead (`population-join`, which the verifier takes in its place).
 * `path` (the relation steps from the dataset's table to this scan) makes, in delta mode, each
 * confidential parent a dependency: a change of its flag re-evaluates the rows inside it.
 */
export function scanGuards(
  ctx: SqlContext,
  table: CatalogueTable,
  alias: string,
  options: { membership?: boolean; released?: ReadonlyMap<string, readonly string[]>; path?: readonly RelationStep[] } = {},
): RawBuilder<any>[] {
  const guards: RawBuilder<any>[] = [];
  if (ctx.dependencies && options.path) {
    for (const name of table.confidentialVia ?? []) {
      const relation = findRelation(table, name);
      if (!relation) continue;
      const steps: RelationStep[] = [...options.path, { relation: name, from: table.name, to: relation.to, cardinality: relation.cardinality }];
      ctx.dependencies.set(steps.map((s) => `${s.from}.${s.relation}`).join('/'), steps);
    }
  }
  if (table.patientColumn && options.membership !== false) guards.push(patientScope(ctx, table, alias));
  if (table.practiceColumn) guards.push(practiceScope(ctx, table, alias));
  guards.push(...rowGuards(ctx, table, alias, options.released));
  return guards;
}

/** The patient and practice scope of a scan, without the row guards (delta change detection). */
export function scopeGuards(ctx: SqlContext, table: CatalogueTable, alias: string): RawBuilder<any>[] {
  const guards: RawBuilder<any>[] = [];
  if (table.patientColumn) guards.push(patientScope(ctx, table, alias));
  if (table.practiceColumn) guards.push(practiceScope(ctx, table, alias));
  return guards;
}

function patientScope(ctx: SqlContext, table: CatalogueTable, alias: string): RawBuilder<any> {
  const own = column(alias, table.patientColumn!);
  const membership = ctx.membership;
  if (!membership) {
    return registerGuard({ kind: 'patient-scope', alias, set: 'population' }, sql`${own} IN (SELECT ${sql.ref('patient_id')} FROM ${sql.table(POPULATION)})`);
  }
  return registerGuard(
    { kind: 'patient-scope', alias, set: 'eligible' },
    sql`(${own} = ${membership.tested} OR ${own} IN (SELECT ${sql.ref('patient_id')} FROM ${sql.table(POPULATION_ELIGIBLE)}))`,
  );
}

function practiceScope(ctx: SqlContext, table: CatalogueTable, alias: string): RawBuilder<any> {
  return registerGuard({ kind: 'practice-scope', alias }, sql`${column(alias, table.practiceColumn!)} = ANY(${practicesParameter(ctx)})`);
}

export function practicesParameter(ctx: SqlContext): RawBuilder<any> {
  return ctx.params.use({
    name: 'practices',
    type: 'text[]',
    source: 'population',
    meaning: 'the practices in scope (ODS codes)',
    value: [...ctx.definition.population.practices],
  });
}

/**
 * The row guards of a reference to `table` as `alias`: tombstone (when the catalogue names one),
 * confidential (when it has a confidential column), and one sensitive-codes guard per coded
 * column covering every sensitive set of the policy but those `released` names for that column.
 */
function rowGuards(ctx: SqlContext, table: CatalogueTable, alias: string, released?: ReadonlyMap<string, readonly string[]>): RawBuilder<any>[] {
  const guards: RawBuilder<any>[] = [];
  if (table.tombstone) guards.push(registerGuard({ kind: 'tombstone', alias }, sql`${column(alias, table.tombstone)} IS NULL`));
  if (table.confidentialColumn) guards.push(registerGuard({ kind: 'confidential', alias }, sql`${column(alias, table.confidentialColumn)} IS FALSE`));
  for (const name of table.confidentialVia ?? []) guards.push(confidentialParent(ctx, table, alias, name));
  for (const coded of codedColumns(table)) {
    const free = released?.get(coded.name) ?? [];
    const sets = ctx.guardedSets.filter((s) => !free.includes(s.name));
    if (sets.length === 0) continue;
    const cte = sensitiveCodesName(ctx, sets);
    guards.push(
      registerGuard(
        { kind: 'sensitive-codes', alias, column: coded.name, sets: sets.map((s) => s.name).sort(), cte },
        sql`NOT COALESCE(${column(alias, coded.name)} IN (SELECT ${sql.ref(SENSITIVE_CODES_COLUMN)} FROM ${sql.table(cte)}), FALSE)`,
      ),
    );
  }
  for (const text of termColumns(table)) {
    const free = released?.get(text.name) ?? [];
    const sets = [...ctx.sensitiveTerms.keys()].filter((s) => !free.includes(s)).sort();
    if (sets.length > 0) guards.push(sensitiveTermsGuard(ctx, alias, text, sets));
  }
  return guards;
}

/**
 * A row whose text names a sensitive service is out, however a filter tests it (a range, a
 * prefix, a case change): the text, lower case with every run of characters but a-z and 0-9 made
 * one space (look-alike letters of other scripts read as Latin, accents and invisible characters
 * dropped, other letters failing closed: confusables.ts), holds a term of `sets` as whole words,
 * or a term of several words written without its spaces ('SexualHealth'). A NULL text names nothing. The terms are parameters of the plan
 * (source policy), the normalising patterns the compiler's own.
 */
function sensitiveTermsGuard(ctx: SqlContext, alias: string, text: CatalogueColumn, sets: readonly string[]): RawBuilder<any> {
  const terms = [...new Set(sets.flatMap((s) => ctx.sensitiveTerms.get(s) ?? []))].sort();
  const phrases = terms.filter((t) => t.includes(' ')).map((t) => t.replace(/ /g, ''));
  // Named for the sets left out where an exemption releases some; one parameter otherwise.
  const released = [...ctx.sensitiveTerms.keys()].filter((s) => !sets.includes(s)).sort();
  const suffix = released.length === 0 ? '' : `_without_${released.join('_')}`;
  const words = ctx.params.use({
    name: `sensitive_terms${suffix}`,
    type: 'text',
    source: 'policy',
    meaning: `the policy's sensitive_terms of ${sets.join(', ')}, as a pattern of whole words`,
    value: ` (${terms.join('|')}) `,
  });
  // Compatibility forms made plain (NFKD), look-alike letters of other scripts read as Latin,
  // lowered, and the accents NFKD split off and invisible characters dropped: 'Fértility',
  // 'Аbortion' (Cyrillic А), 'G\u200bUM'.
  const latin = sql`translate(normalize(${column(alias, text.name)}, NFKD), ${sql.raw(`'${CONFUSABLE_FROM}'`)}, ${sql.raw(`'${CONFUSABLE_TO}'`)})`;
  const lowered = sql`regexp_replace(lower(${latin}), ${sql.raw(`'${DROPPED}'`)}, ${sql.raw("''")}, ${sql.raw("'g'")})`;
  const spaced = sql`(${sql.raw("' '")} || regexp_replace(${lowered}, ${sql.raw("'[^a-z0-9]+'")}, ${sql.raw("' '")}, ${sql.raw("'g'")}) || ${sql.raw("' '")}) ~ ${words}`;
  let matched = spaced;
  if (phrases.length > 0) {
    const compact = ctx.params.use({
      name: `sensitive_phrases${suffix}`,
      type: 'text',
      source: 'policy',
      meaning: `the policy's sensitive_terms of ${sets.join(', ')} of several words, written without their spaces`,
      value: `(${phrases.join('|')})`,
    });
    matched = sql`(${spaced} OR regexp_replace(${lowered}, ${sql.raw("'[^a-z0-9]+'")}, ${sql.raw("''")}, ${sql.raw("'g'")}) ~ ${compact})`;
  }
  // A letter of another script, or of Latin beyond a-z, that survives all that: fail closed.
  matched = sql`(${matched} OR ${lowered} ~ ${sql.raw(`'${OTHER_SCRIPTS}'`)})`;
  return registerGuard({ kind: 'sensitive-terms', alias, column: text.name, sets: [...sets] }, sql`NOT COALESCE(${matched}, FALSE)`);
}

/**
 * A row inside a confidential parent is out: `NOT EXISTS (SELECT 1 FROM parent AS <alias>_<relation>
 * WHERE parent.key = alias.fk AND parent.confidential IS NOT FALSE)`. The parent is read whatever its
 * scope or tombstone, for its flag only (a NULL flag counts as confidential); a NULL foreign key or a
 * missing parent means the row is not inside a confidential one.
 */
function confidentialParent(ctx: SqlContext, table: CatalogueTable, alias: string, name: string): RawBuilder<any> {
  const relation = findRelation(table, name);
  if (!relation || relation.cardinality !== 'one') throw new Error(`internal: ${table.name}.${name} is not a to-one relation`);
  const parent = tableOf(ctx.catalogue, relation.to);
  if (!parent.confidentialColumn) throw new Error(`internal: ${parent.name} has no confidential column`);
  const x = identifier(`${alias}_${name}`);
  const on = relation.on.map((pair) => sql`${column(x, pair.to)} = ${column(alias, pair.from)}`);
  return registerGuard(
    { kind: 'confidential-parent', alias, relation: name },
    sql`NOT EXISTS (SELECT 1 FROM ${sql.table(`${identifier(parent.schema)}.${identifier(parent.name)}`)} AS ${sql.id(x)} WHERE ${sql.join(on, sql` AND `)} AND ${column(x, parent.confidentialColumn)} IS NOT FALSE)`,
  );
}

/** The CTE of every sensitive set of the policy; narrower ones (a release in scope) are named after it. */
export const SENSITIVE_CODES = 'sensitive_codes';
const SENSITIVE_CODES_COLUMN = 'code';

/**
 * The name of the CTE holding exactly `sets`: `sensitive_codes` for all the policy's sets, else
 * `sensitive_codes_<n>`, one the context made for a release (every query declares them all; an
 * unreferenced CTE is not evaluated).
 */
function sensitiveCodesName(ctx: SqlContext, sets: readonly SensitiveCodeSet[]): string {
  if (sets.length === ctx.guardedSets.length) return SENSITIVE_CODES;
  const known = ctx.codeSetCtes.get(codeSetKey(sets));
  if (!known) throw new Error(`internal: no CTE for the sensitive sets ${codeSetKey(sets)}`);
  return known.name;
}

export function codeSetKey(sets: readonly SensitiveCodeSet[]): string {
  return sets.map((s) => s.name).sort().join(',');
}

/**
 * `SELECT code FROM (<set 1> UNION <set 2> ...)`: every concept of `sets`, evaluated in the
 * terminology tables once per statement.
 */
export function sensitiveCodesQuery(ctx: SqlContext, sets: readonly SensitiveCodeSet[]): RawBuilder<any> {
  const parts = sets.map((set) => eclSet(ctx, set.ecl, { source: 'policy', label: `policy set ${set.name}` }));
  const query = sql`(SELECT ${column('z', SENSITIVE_CODES_COLUMN)} FROM (${sql.join(parts, sql` UNION `)}) AS ${sql.raw(`z(${SENSITIVE_CODES_COLUMN})`)})`;
  markNode({ kind: 'sensitive-code-set', sets: sets.map((s) => s.name).sort() }, query.toOperationNode());
  return query;
}
