import { sql, type OperationNode, type RawBuilder } from 'kysely';
import { codedColumns, type CatalogueTable } from '../catalogue/catalogue.js';
import type { SqlContext } from './sql-context.js';
import { eclSet } from './ecl-sql.js';
import { column } from './sql-names.js';

/**
 * What a guard enforces. The compiler registers every guard node it builds here, so that
 * verify-guards.ts can find them in the finished query tree by identity, not by reading SQL.
 *
 * Row guards (on every reference to a table that has the column):
 * - `tombstone`: soft-deleted rows are not extracted;
 * - `confidential`: items marked confidential from third parties are not extracted;
 * - `sensitive-codes`: a row whose coded column holds a code of a sensitive set is not extracted.
 * Scope guards:
 * - `population-join`: a dataset's rows belong to a patient in the population;
 * - `practice-scope`: rows of a table without patients belong to a practice in scope.
 * Population guards (in the population query): `patient-tombstone`, `pds-sensitive`,
 * `deceased`, `registration-tombstone`, `registration-current`, `registration-practice`,
 * `registration-permanent`, `opt-out-flag` (the selected flag) and `not-opted-out`.
 * Structural marks: `keys-only` (a delta candidate query that outputs keys, never data),
 * `delete-branch` (delta deletions: a record id and nothing else), `null-field`, `record-id`,
 * `change-type`, `practice-routing`, and the selects themselves: `population-base`,
 * `population-state`, `dataset-root` (a dataset's rows) and `delta-output` (upserts and deletions);
 * `sensitive-code-set` marks the CTE holding the concepts of the sensitive sets.
 */
export type GuardKind =
  | 'tombstone'
  | 'confidential'
  | 'sensitive-codes'
  | 'population-join'
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
  | 'keys-only'
  | 'delete-branch'
  | 'null-field'
  | 'record-id'
  | 'change-type'
  | 'practice-routing'
  | 'population-base'
  | 'population-state'
  | 'dataset-root'
  | 'delta-output'
  | 'k-anonymity'
  | 'sensitive-code-set';

export interface GuardInfo {
  kind: GuardKind;
  /** The table alias the guard is about. */
  alias?: string;
  /** The coded column, for sensitive-codes. */
  column?: string;
  /** The sensitive sets excluded (sorted), for sensitive-codes. */
  sets?: string[];
  /** For opt-out-flag: which opt-outs the flag covers. */
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
 * The row guards of a reference to `table` as `alias`: tombstone (when the catalogue names one),
 * confidential (when it has a confidential column), and one sensitive-codes guard per coded
 * column covering every sensitive set not validly exempted.
 */
export function rowGuards(ctx: SqlContext, table: CatalogueTable, alias: string): RawBuilder<any>[] {
  const guards: RawBuilder<any>[] = [];
  // Fault injection for the tests of guard verification (test/e2e/cli-compile.test.ts): leaving a
  // guard out must make the compiler refuse its own output. It cannot produce unguarded SQL.
  const omitted = process.env['EXDEF_FAULT_OMIT_GUARD'];
  const push = (guard: RawBuilder<any>) => {
    if (guardOf(guard.toOperationNode())?.kind !== omitted) guards.push(guard);
  };
  if (table.tombstone) push(registerGuard({ kind: 'tombstone', alias }, sql`${column(alias, table.tombstone)} IS NULL`));
  if (table.confidentialColumn) push(registerGuard({ kind: 'confidential', alias }, sql`${column(alias, table.confidentialColumn)} IS FALSE`));
  if (ctx.guardedSets.length > 0) {
    for (const coded of codedColumns(table)) {
      push(
        registerGuard(
          { kind: 'sensitive-codes', alias, column: coded.name, sets: ctx.guardedSets.map((s) => s.name).sort() },
          sql`NOT COALESCE(${column(alias, coded.name)} IN (SELECT ${sql.ref(SENSITIVE_CODES_COLUMN)} FROM ${sql.table(SENSITIVE_CODES)}), FALSE)`,
        ),
      );
    }
  }
  return guards;
}

/** The CTE every query carries: the concepts of the sensitive sets the row guards exclude. */
export const SENSITIVE_CODES = 'sensitive_codes';
const SENSITIVE_CODES_COLUMN = 'code';

/**
 * `SELECT code FROM (<set 1> UNION <set 2> ...)`: every concept of every sensitive set not validly
 * exempted, evaluated in the terminology tables once per statement. Undefined when every set is
 * exempted (then there is nothing to exclude).
 */
export function sensitiveCodesQuery(ctx: SqlContext): RawBuilder<any> | undefined {
  if (ctx.guardedSets.length === 0) return undefined;
  const sets = ctx.guardedSets.map((set) => eclSet(ctx, set.ecl, { source: 'policy', label: `policy set ${set.name}` }));
  const query = sql`(SELECT ${column('z', SENSITIVE_CODES_COLUMN)} FROM (${sql.join(sets, sql` UNION `)}) AS ${sql.raw(`z(${SENSITIVE_CODES_COLUMN})`)})`;
  markNode({ kind: 'sensitive-code-set', sets: ctx.guardedSets.map((s) => s.name).sort() }, query.toOperationNode());
  return query;
}
