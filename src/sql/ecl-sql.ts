import { sql, type RawBuilder } from 'kysely';
import type { Ecl } from '../ir/expression.js';
import type { ParameterSource } from './parameters.js';
import type { SqlContext } from './sql-context.js';
import { column, rawTableAs } from './sql-names.js';

export interface EclOrigin {
  source: ParameterSource;
  /** Whose code set this is, for parameter meanings ("policy set sexuality", "dataset readings"). */
  label: string;
}

/**
 * An ECL code set as a condition on a coded value, evaluated in the terminology tables: one
 * compiler for the policy's sensitive sets and for definitions' own code sets.
 *
 *   id        value = id
 *   << X      value IN (descendants-or-self of X, from terminology.closure)
 *   < X       the same without X itself
 *   ^ X       value IN (active members of the refset X, from terminology.refset_member)
 *   A OR B    A OR B;  A AND B   A AND B;  A MINUS B   A AND NOT COALESCE(B, FALSE)
 *
 * Each subquery is uncorrelated with the outer row, so PostgreSQL evaluates it once (a hashed
 * subplan) however many rows it tests. Concept ids are bound parameters.
 */
export function eclPredicate(ctx: SqlContext, ecl: Ecl, value: RawBuilder<any>, origin: EclOrigin): RawBuilder<any> {
  switch (ecl.kind) {
    case 'concept':
      return sql`(${value} = ${concept(ctx, ecl, origin)})`;
    case 'descendantOrSelf':
    case 'descendant': {
      const c = ctx.alias('c');
      const ancestor = column(c, 'ancestor_id');
      const descendant = column(c, 'descendant_id');
      const inner = eclPredicate(ctx, ecl.operand, ancestor, origin);
      const strict = ecl.kind === 'descendant' ? sql` AND ${ancestor} <> ${descendant}` : sql``;
      return sql`(${value} IN (SELECT ${descendant} FROM ${rawTableAs(ctx.terminology.closure, c)} WHERE ${inner}${strict}))`;
    }
    case 'memberOf': {
      const m = ctx.alias('m');
      const inner = eclPredicate(ctx, ecl.operand, column(m, 'refset_id'), origin);
      return sql`(${value} IN (SELECT ${column(m, 'referenced_component_id')} FROM ${rawTableAs(ctx.terminology.refsetMember, m)} WHERE ${column(m, 'active')} AND ${inner}))`;
    }
    case 'or':
      return sql`(${eclPredicate(ctx, ecl.left, value, origin)} OR ${eclPredicate(ctx, ecl.right, value, origin)})`;
    case 'and':
      return sql`(${eclPredicate(ctx, ecl.left, value, origin)} AND ${eclPredicate(ctx, ecl.right, value, origin)})`;
    case 'minus':
      return sql`(${eclPredicate(ctx, ecl.left, value, origin)} AND NOT COALESCE(${eclPredicate(ctx, ecl.right, value, origin)}, FALSE))`;
  }
}

function concept(ctx: SqlContext, ecl: Extract<Ecl, { kind: 'concept' }>, origin: EclOrigin): RawBuilder<any> {
  return ctx.params.use({
    name: `concept_${ecl.id}`,
    type: 'bigint',
    source: origin.source,
    meaning: `SNOMED CT concept ${ecl.id}${ecl.term ? ` |${ecl.term}|` : ''} (${origin.label})`,
    value: ecl.id,
  });
}
