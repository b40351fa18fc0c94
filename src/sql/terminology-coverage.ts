import { sql } from 'kysely';
import type { Catalogue } from '../catalogue/catalogue.js';
import type { Ecl } from '../ir/expression.js';
import type { SensitiveCodeSet } from '../policy/policy.js';
import type { CompiledQuery } from './compile-extract.js';
import { compilerKysely } from './compiler-db.js';
import { column, rawTableAs } from './sql-names.js';
import { terminologyTables } from './sql-context.js';

/**
 * What the policy's sensitive code sets are built from, in the terminology tables: the reference
 * sets they name (`^ X`) and the concepts whose descendants they take (`<< X`, `< X`, `X`).
 */
export interface SensitiveSetSources {
  refsets: Map<string, string[]>;
  concepts: Map<string, string[]>;
}

export function sensitiveSetSources(sets: readonly SensitiveCodeSet[]): SensitiveSetSources {
  const refsets = new Map<string, string[]>();
  const concepts = new Map<string, string[]>();
  const add = (into: Map<string, string[]>, id: string, set: string) => {
    const names = into.get(id) ?? [];
    if (!names.includes(set)) into.set(id, [...names, set]);
  };
  const walk = (ecl: Ecl, set: string): void => {
    switch (ecl.kind) {
      case 'concept':
        add(concepts, ecl.id, set);
        return;
      case 'memberOf':
        if (ecl.operand.kind === 'concept') add(refsets, ecl.operand.id, set);
        else walk(ecl.operand, set);
        return;
      case 'descendantOrSelf':
      case 'descendant':
        walk(ecl.operand, set);
        return;
      case 'or':
      case 'and':
      case 'minus':
        walk(ecl.left, set);
        // What is taken away is not what the set is built from.
        if (ecl.kind !== 'minus') walk(ecl.right, set);
        return;
    }
  };
  for (const set of sets) walk(set.ecl, set.name);
  return { refsets, concepts };
}

/** A source and its size, keyed `refset <id>` or `concept <id>`. */
export type SourceSizes = Map<string, number>;

/**
 * How much the terminology holds of each of those sources: the active members of each reference
 * set, the closure rows under each concept (the closure is reflexive: a concept imported is its own
 * row). Values: $1 the reference sets and $2 the concepts, each as a PostgreSQL array literal of ids.
 */
export function terminologyCoverageQuery(catalogue: Catalogue): CompiledQuery {
  const { closure, refsetMember } = terminologyTables(catalogue);
  const query = sql<{ kind: string; id: string; n: string }>`SELECT 'refset' AS kind, ${sql.ref('s.id')}::text AS id, (
      SELECT count(*) FROM ${rawTableAs(refsetMember, 'm')} WHERE ${column('m', 'refset_id')} = ${sql.ref('s.id')} AND ${column('m', 'active')}
    )::text AS n FROM unnest(${sql.raw('$1')}::bigint[]) AS ${sql.raw('s(id)')}
    UNION ALL
    SELECT 'concept', ${sql.ref('c.id')}::text, (
      SELECT count(*) FROM ${rawTableAs(closure, 'x')} WHERE ${column('x', 'ancestor_id')} = ${sql.ref('c.id')}
    )::text FROM unnest(${sql.raw('$2')}::bigint[]) AS ${sql.raw('c(id)')}`.compile(compilerKysely());
  return { sql: query.sql, parameters: [] };
}

/** The query's two values: the reference sets and the concepts, as array literals. */
export function terminologyCoverageValues(sources: SensitiveSetSources): [string, string] {
  const literal = (ids: Iterable<string>) => `{${[...ids].filter((id) => /^\d+$/.test(id)).join(',')}}`;
  return [literal(sources.refsets.keys()), literal(sources.concepts.keys())];
}

/**
 * The sizes of the sources in a database, through `query` (a session's, or one that binds its
 * values as settings inside a run's snapshot).
 */
export async function sourceSizes(
  query: (sqlText: string, values: readonly string[]) => Promise<{ kind: string; id: string; n: string }[]>,
  catalogue: Catalogue,
  sources: SensitiveSetSources,
): Promise<SourceSizes> {
  const rows = await query(terminologyCoverageQuery(catalogue).sql, terminologyCoverageValues(sources));
  return new Map(rows.map((r) => [`${r.kind} ${r.id}`, Number(r.n)]));
}

/** A source by its key, and the sensitive sets built from it: `reference set 999... (sensitive set hiv_sti)`. */
export function sourceName(sources: SensitiveSetSources, key: string, between = ''): string {
  const [kind, id] = key.split(' ') as ['refset' | 'concept', string];
  const sets = (kind === 'refset' ? sources.refsets : sources.concepts).get(id) ?? [];
  return `${kind === 'refset' ? 'reference set' : 'concept'} ${id}${between} (sensitive set ${sets.join(', ')})`;
}

/**
 * One line per source the terminology lacks, naming the sensitive sets that depend on it; none
 * when it holds them all. A sensitive set built from a reference set with no members, or from a
 * concept that is not there, selects nothing, and its guard then lets every row through.
 */
export function missingSources(sources: SensitiveSetSources, sizes: SourceSizes): string[] {
  return [...sizes]
    .filter(([, n]) => n === 0)
    .map(([key]) => sourceName(sources, key, key.startsWith('refset ') ? ' has no active members' : ' is not in the closure'));
}
