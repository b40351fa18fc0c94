import { sql, type SelectQueryBuilder } from 'kysely';
import { findColumn, tableOf, type Catalogue } from '../catalogue/catalogue.js';
import type { ColumnExpr } from '../ir/expression.js';
import type { Dataset, Field } from '../ir/extract-definition.js';
import { columnType } from '../resolve/resolve-expression.js';
import { compilerKysely } from '../sql/compiler-db.js';
import { datasetSelect, PATIENT_COLUMN, queryContext } from '../sql/dataset-query.js';
import { markNode } from '../sql/guards.js';
import { withPopulation } from '../sql/population.js';
import type { SqlContext } from '../sql/sql-context.js';
import { measuredQuasiIdentifierFields, measuredValue } from './quasi-identifiers.js';
import { rowSetKey } from './row-filter.js';

type AnySelect = SelectQueryBuilder<any, any, any>;

/**
 * The rows a full extract of the dataset gives, as the patient and the dataset's quasi-identifiers
 * (q1, q2, ... as the CSV shows them; a pseudonymised one by its argument, which splits people the
 * same way and needs no key), under the dataset's population, guards and filter.
 */
function quasiIdentifierRows(ctx: SqlContext, catalogue: Catalogue, dataset: Dataset, withRowKey = false, sharedFields: readonly Field[] = []): { rows: AnySelect; columns: string[]; rowKey: string[] } {
  // Fields whose values the dataset shares with another (s1, s2, ...), shown as they are.
  const shared: Field[] = sharedFields.map((field, i) => ({ ...field, name: `s${i + 1}` }));
  const measured: Field[] = measuredQuasiIdentifierFields(catalogue, dataset).map((field, i) => {
    const value = measuredValue(field);
    return { ...field, name: `q${i + 1}`, value, type: value.type };
  });
  // The row's own key (r1, r2, ...), to pair the rows of datasets that give the same rows.
  const table = tableOf(catalogue, dataset.table);
  const keys: Field[] = withRowKey
    ? table.primaryKey.map((name, i) => {
        const column = findColumn(table, name)!;
        const ref = { path: [], table: table.name, column: name, classification: column.classification, recordKey: true as const };
        const value: ColumnExpr = { kind: 'column', type: columnType(column), ...ref };
        return { name: `r${i + 1}`, value, type: value.type, justification: '', sources: [ref], transform: 'none', sourceClassification: column.classification };
      })
    : [];
  const rows = datasetSelect(ctx, { ...dataset, fields: [...measured, ...shared, ...keys] }, compilerKysely(), 'disclosure');
  markNode({ kind: 'dataset-root' }, rows.toOperationNode());
  return { rows, columns: measured.map((f) => f.name), rowKey: keys.map((f) => f.name) };
}

/**
 * The rows of a dataset with its quasi-identifiers (q1, ...), the row's key (r1, ...), and how many
 * of the dataset's rows show the same values in the fields it shares with another (dups).
 */
function rowsWithShared(ctx: SqlContext, catalogue: Catalogue, dataset: Dataset, shared: readonly Field[]): { rows: AnySelect; columns: string[]; rowKey: string[] } {
  const { rows, columns, rowKey } = quasiIdentifierRows(ctx, catalogue, dataset, true, shared);
  // The shared values as one text (ROW(...)::text tells NULL from ''), counted per value.
  const sharedColumns = shared.map((_, i) => `s${i + 1}`);
  const key = sql`ROW(${sql.join(sharedColumns.map((c) => sql.ref(`r.${c}`)))})::text`;
  const counted = compilerKysely()
    .selectFrom(rows.as('r'))
    .select([
      sql.ref(`r.${PATIENT_COLUMN}`).as('patient'),
      ...[...columns, ...rowKey].map((c) => sql.ref(`r.${c}`).as(c)),
      sql`count(*) OVER (PARTITION BY ${key})`.as('dups'),
    ]) as AnySelect;
  return { rows: counted, columns, rowKey };
}

/**
 * k-anonymity of two datasets of one table joined on what they share (sharedFieldPairs), as a
 * recipient joins them: a row whose shared values are unique in each dataset can be paired with
 * its other half, and the pair shows the quasi-identifiers of both. The pairs are made on the
 * row's key (the true pairs, whatever transform each dataset shows the shared columns through);
 * k is the smallest number of patients sharing one combination of both datasets' quasi-identifiers
 * among them. Rows whose shared values repeat in either dataset cannot be paired and are not counted.
 */
export function sharedFieldKAnonymityQuery(base: SqlContext, a: Dataset, b: Dataset, sharedA: readonly Field[], sharedB: readonly Field[]): AnySelect {
  const ctx = queryContext(base);
  const left = rowsWithShared(ctx, base.catalogue, a, sharedA);
  const right = rowsWithShared(ctx, base.catalogue, b, sharedB);
  const on = sql<boolean>`${sql.join(
    left.rowKey.map((k) => sql`${sql.ref(`x.${k}`)} = ${sql.ref(`y.${k}`)}`),
    sql` AND `,
  )}`;
  let sizes = compilerKysely()
    .selectFrom(left.rows.as('x'))
    .innerJoin(right.rows.as('y'), (join) => join.on(on))
    .where(sql.ref('x.dups'), '=', sql`1`)
    .where(sql.ref('y.dups'), '=', sql`1`)
    .select(sql`count(DISTINCT ${sql.ref('x.patient')})`.as('n')) as AnySelect;
  for (const c of left.columns) sizes = sizes.groupBy(sql.ref(`x.${c}`));
  for (const c of right.columns) sizes = sizes.groupBy(sql.ref(`y.${c}`));
  return smallestGroup(ctx, sizes);
}

/**
 * The datasets grouped by the rows they give: of the same table with the same filter (compared
 * structurally), their rows are the same rows, in the same order (src/disclosure/linked-datasets.ts).
 */
function sameRows(datasets: Dataset[]): Dataset[][] {
  const sets = new Map<string, Dataset[]>();
  for (const d of datasets) {
    const key = rowSetKey(d);
    sets.set(key, [...(sets.get(key) ?? []), d]);
  }
  return [...sets.values()];
}

/** min(n) AS k, count(*) AS groups over the group sizes: the k-anonymity query's output. */
function smallestGroup(ctx: SqlContext, sizes: AnySelect): AnySelect {
  const query = withPopulation(ctx)
    .selectFrom(sizes.as('g'))
    .select([sql`min(${sql.ref('g.n')})`.as('k'), sql`count(*)`.as('groups')]) as AnySelect;
  markNode({ kind: 'k-anonymity' }, query.toOperationNode());
  return query;
}

/**
 * k-anonymity of one dataset on the data: the smallest number of patients (rows, for a table
 * without patients) sharing one combination of its quasi-identifiers, over every row the full
 * extract would give, by SQL (no row leaves the database). Columns k and groups. A dataset of a
 * table with patients but no quasi-identifiers is one group: k is how many patients its rows
 * belong to (a filter can narrow it to one patient — "the oldest", "the one at this postcode" —
 * and then every row is theirs). Undefined for a table without patients and quasi-identifiers.
 */
export function kAnonymityQuery(base: SqlContext, dataset: Dataset): AnySelect | undefined {
  const patients = tableOf(base.catalogue, dataset.table).patientColumn !== undefined;
  if (measuredQuasiIdentifierFields(base.catalogue, dataset).length === 0 && !patients) return undefined;
  const ctx = queryContext(base);
  const { rows, columns } = quasiIdentifierRows(ctx, base.catalogue, dataset);
  const size = patients ? sql`count(DISTINCT ${sql.ref(`r.${PATIENT_COLUMN}`)})` : sql`count(*)`;
  let sizes = compilerKysely().selectFrom(rows.as('r')).select(size.as('n')) as AnySelect;
  // Without a GROUP BY an aggregate gives one row even of no rows: no rows, no group.
  sizes = columns.length === 0 ? (sizes.having(sql`count(*)`, '>', sql`0`) as AnySelect) : columns.reduce((q, c) => q.groupBy(sql.ref(`r.${c}`)), sizes);
  return smallestGroup(ctx, sizes);
}

/**
 * k-anonymity of datasets linked by a linkage key (the mosaic effect), measured as the attacker
 * who joins them sees it: each patient's signature is, per dataset, the set of the quasi-identifier
 * combinations of their rows (string_agg of DISTINCT tuples, in order), put together across the
 * datasets (a patient missing from one has no part for it, which also tells them apart); k is the
 * smallest number of patients sharing one signature. Datasets that give the same rows (the same
 * table and filter) are paired row by row first, as their recipient lines them up by row number:
 * a row's combination is what it shows in each. Every dataset must be of a table with patients
 * and show quasi-identifiers (see measuredMembers).
 */
export function linkedKAnonymityQuery(base: SqlContext, datasets: Dataset[]): AnySelect {
  const ctx = queryContext(base);
  const parts = sameRows(datasets).map((set, i) => {
    for (const dataset of set) if (tableOf(base.catalogue, dataset.table).patientColumn === undefined) throw new Error(`internal: dataset ${dataset.name} has no patients to link`);
    // Each row's combination as a JSON array of its texts: one unambiguous text per combination.
    const tupleOf = (columns: string[]) => sql`json_build_array(${sql.join(columns.map((c) => sql.ref(`r.${c}`)))})::text`;
    let tuples: AnySelect;
    if (set.length === 1) {
      const { rows, columns } = quasiIdentifierRows(ctx, base.catalogue, set[0]!);
      tuples = compilerKysely()
        .selectFrom(rows.as('r'))
        .select([sql.ref(`r.${PATIENT_COLUMN}`).as('patient'), tupleOf(columns).as('tuple')]) as AnySelect;
    } else {
      // Datasets that give the same rows line up row by row: each row's combination is the
      // combinations it shows in each of them (`<j>:` before each, j the compiler's own integer),
      // paired on the row's key, as the recipient pairs them by row number.
      const each = set.map((dataset, j) => {
        const { rows, columns, rowKey } = quasiIdentifierRows(ctx, base.catalogue, dataset, true);
        return compilerKysely()
          .selectFrom(rows.as('r'))
          .select([
            sql.ref(`r.${PATIENT_COLUMN}`).as('patient'),
            ...rowKey.map((k) => sql.ref(`r.${k}`).as(k)),
            sql`${sql.raw(`'${j + 1}:'`)} || ${tupleOf(columns)}`.as('tuple'),
          ]) as AnySelect;
      });
      const rowKey = tableOf(base.catalogue, set[0]!.table).primaryKey.map((_, k) => `r${k + 1}`);
      const paired = each.slice(1).reduce((u, p) => u.unionAll(p), each[0]!);
      tuples = compilerKysely()
        .selectFrom(paired.as('y'))
        .select([sql.ref('y.patient').as('patient'), sql`string_agg(${sql.ref('y.tuple')}, ';' ORDER BY ${sql.ref('y.tuple')})`.as('tuple')])
        .groupBy([sql.ref('y.patient'), ...rowKey.map((k) => sql.ref(`y.${k}`))]) as AnySelect;
    }
    // Per patient: `<n>:` and their combinations in order; n is the compiler's own integer, written
    // as SQL (never a value of the definition), so that a part tells which dataset it is of.
    return compilerKysely()
      .selectFrom(tuples.as('x'))
      .select([sql.ref('x.patient').as('patient'), sql`${sql.raw(String(i + 1))}::text || ':' || string_agg(DISTINCT ${sql.ref('x.tuple')}, ',' ORDER BY ${sql.ref('x.tuple')})`.as('part')])
      .groupBy(sql.ref('x.patient')) as AnySelect;
  });
  const all = parts.slice(1).reduce((u, p) => u.unionAll(p), parts[0]!);
  const signatures = compilerKysely()
    .selectFrom(all.as('u'))
    .select([sql`string_agg(${sql.ref('u.part')}, '|' ORDER BY ${sql.ref('u.part')})`.as('signature')])
    .groupBy(sql.ref('u.patient')) as AnySelect;
  const sizes = compilerKysely()
    .selectFrom(signatures.as('s'))
    .select(sql`count(*)`.as('n'))
    .groupBy(sql.ref('s.signature')) as AnySelect;
  return smallestGroup(ctx, sizes);
}
