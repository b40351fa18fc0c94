import { sql } from 'kysely';
import type { Catalogue } from '../catalogue/catalogue.js';
import type { CompiledQuery } from './compile-extract.js';
import { compilerKysely } from './compiler-db.js';
import { rawTableAs, column } from './sql-names.js';
import { terminologyTables } from './sql-context.js';

/**
 * A digest of the terminology that code sets are evaluated in (the closure and the active refset
 * members): a delta run compares it with the last run's to say in its manifest that a terminology
 * update changed what the code sets select. Counts and sums of ids: cheap, and any added or
 * removed descendant or refset member changes it.
 */
export function terminologyDigestQuery(catalogue: Catalogue): CompiledQuery {
  const { closure, refsetMember } = terminologyTables(catalogue);
  const query = sql<{ digest: string }>`SELECT md5(concat_ws(',',
    (SELECT count(*) FROM ${rawTableAs(closure, 'c')}),
    (SELECT coalesce(sum((${column('c', 'ancestor_id')} % 1000003) * 31 + ${column('c', 'descendant_id')} % 1000003), 0) FROM ${rawTableAs(closure, 'c')}),
    (SELECT count(*) FROM ${rawTableAs(refsetMember, 'r')} WHERE ${column('r', 'active')}),
    (SELECT coalesce(sum((${column('r', 'refset_id')} % 1000003) * 31 + ${column('r', 'referenced_component_id')} % 1000003), 0) FROM ${rawTableAs(refsetMember, 'r')} WHERE ${column('r', 'active')})
  )) AS digest`.compile(compilerKysely());
  return { sql: query.sql, parameters: [] };
}
