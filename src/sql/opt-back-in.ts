import { sql } from 'kysely';
import { tableOf, type Catalogue } from '../catalogue/catalogue.js';
import type { CompiledQuery } from './compile-extract.js';
import { compilerKysely } from './compiler-db.js';
import { arrayLiteral } from './parameters.js';
import { column, rawTableAs } from './sql-names.js';

/**
 * When each of some patients came back from the opt-outs a definition applies: the latest end
 * (`effective_to`, µs since 1970) of their ended opt-outs of those types. A delta run of a
 * no_backfill definition reads it for the patients back in its population since the last run, so
 * that a row recorded while they were opted out is withheld like any row from before
 * (src/execute/run/withheld.ts). The values (patient ids, the opt-out types) are bound.
 */
export function optBackInQuery(catalogue: Catalogue): CompiledQuery {
  const model = catalogue.population.optOut;
  const optOut = tableOf(catalogue, model.table);
  const query = sql<{ patient_id: string; ended_us: string }>`SELECT ${column('o', model.patient)}::text AS patient_id,
       floor(extract(epoch FROM max(${column('o', model.to)})) * 1000000)::bigint::text AS ended_us
  FROM ${rawTableAs(optOut, 'o')}
 WHERE ${column('o', model.patient)} = ANY($1::bigint[])
   AND ${column('o', model.type)} = ANY($2::text[])
   AND ${column('o', model.to)} IS NOT NULL
 GROUP BY ${column('o', model.patient)}`.compile(compilerKysely());
  return { sql: query.sql, parameters: ['patients', 'opt_out_types'] };
}

/** The values of optBackInQuery's $1 and $2. */
export function optBackInValues(catalogue: Catalogue, applied: { type1: boolean; nationalDataOptOut: boolean }, patients: readonly string[]): string[] {
  const model = catalogue.population.optOut;
  const types = [...(applied.type1 ? [model.type1Value] : []), ...(applied.nationalDataOptOut ? [model.nationalDataOptOutValue] : [])];
  return [arrayLiteral(patients), arrayLiteral(types)];
}
