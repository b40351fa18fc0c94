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

/**
 * Which of those sources the terminology holds: each reference set with at least one active
 * member, each concept in the closure (which is reflexive: a concept imported is its own row).
 * Values: $1 the reference sets and $2 the concepts, each as a PostgreSQL array literal of ids.
 */
export function terminologyCoverageQuery(catalogue: Catalogue): CompiledQuery {
  const { closure, refsetMember } = terminologyTables(catalogue);
  const query = sql<{ kind: string; id: string; present: boolean }>`SELECT 'refset' AS kind, ${sql.ref('s.id')}::text AS id, EXISTS (
      SELECT 1 FROM ${rawTableAs(refsetMember, 'm')} WHERE ${column('m', 'refset_id')} = ${sql.ref('s.id')} AND ${column('m', 'active')}
    ) AS present FROM unnest(${sql.raw('$1')}::bigint[]) AS ${sql.raw('s(id)')}
    UNION ALL
    SELECT 'concept', ${sql.ref('c.id')}::text, EXISTS (
      SELECT 1 FROM ${rawTableAs(closure, 'x')} WHERE ${column('x', 'ancestor_id')} = ${sql.ref('c.id')}
    ) FROM unnest(${sql.raw('$2')}::bigint[]) AS ${sql.raw('c(id)')}`.compile(compilerKysely());
  return { sql: query.sql, parameters: [] };
}

/** The query's two values: the reference sets and the concepts, as array literals. */
export function terminologyCoverageValues(sources: SensitiveSetSources): [string, string] {
  const literal = (ids: Iterable<string>) => `{${[...ids].filter((id) => /^\d+$/.test(id)).join(',')}}`;
  return [literal(sources.refsets.keys()), literal(sources.concepts.keys())];
}

/**
 * One line per source the terminology lacks, naming the sensitive sets that depend on it; none
 * when it holds them all. A sensitive set built from a reference set with no members, or from a
 * concept that is not there, selects nothing, and its guard then lets every row through.
 */
export function missingSources(sources: SensitiveSetSources, rows: readonly { kind: string; id: string; present: boolean }[]): string[] {
  return rows
    .filter((r) => !r.present)
    .map((r) => {
      const sets = (r.kind === 'refset' ? sources.refsets : sources.concepts).get(r.id) ?? [];
      return r.kind === 'refset' ? `reference set ${r.id} has no active members (sensitive set ${sets.join(', ')})` : `concept ${r.id} is not in the closure (sensitive set ${sets.join(', ')})`;
    });
}
