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

/** A coded value's membership of an ECL code set: `value IN (<the set's concepts>)`. */
export function eclPredicate(ctx: SqlContext, ecl: Ecl, value: RawBuilder<any>, origin: EclOrigin): RawBuilder<any> {
  return sql`(${value} IN (${eclSet(ctx, ecl, origin)}))`;
}

/**
 * An ECL code set as a query of its concept ids, evaluated in the terminology tables: one
 * compiler for the policy's sensitive sets and for definitions' own code sets.
 *
 *   id          the concept
 *   << X        descendants of X and X itself (terminology.closure is reflexive)
 *   < X         descendants of X only
 *   ^ X         active members of the reference set X (terminology.refset_member)
 *   A OR B      UNION;  A AND B  INTERSECT;  A MINUS B  EXCEPT
 *
 * The operands of an OR that are simple (concepts, << / < / ^ of a concept) are gathered into one
 * `IN (...)` list per kind, so `<< a OR << b OR << c` reads the closure once. The query is not
 * correlated with the row being tested, so PostgreSQL evaluates it once per statement. Concept
 * ids are bound parameters.
 */
export function eclSet(ctx: SqlContext, ecl: Ecl, origin: EclOrigin): RawBuilder<any> {
  const concepts: Ecl[] = [];
  const selfAndBelow: Ecl[] = [];
  const below: Ecl[] = [];
  const members: Ecl[] = [];
  const compound: Ecl[] = [];
  for (const part of disjuncts(ecl)) {
    if (part.kind === 'concept') concepts.push(part);
    else if (part.kind === 'descendantOrSelf' && part.operand.kind === 'concept') selfAndBelow.push(part.operand);
    else if (part.kind === 'descendant' && part.operand.kind === 'concept') below.push(part.operand);
    else if (part.kind === 'memberOf' && part.operand.kind === 'concept') members.push(part.operand);
    else compound.push(part);
  }
  const ids = (list: Ecl[]) => sql.join(list.map((c) => concept(ctx, c as Extract<Ecl, { kind: 'concept' }>, origin)));
  const selects: RawBuilder<any>[] = [];
  if (concepts.length > 0) {
    const v = ctx.alias('v');
    selects.push(sql`SELECT ${column(v, 'id')} FROM (VALUES ${sql.join(concepts.map((c) => sql`(${concept(ctx, c as Extract<Ecl, { kind: 'concept' }>, origin)})`))}) AS ${sql.raw(`${v}(id)`)}`);
  }
  if (selfAndBelow.length > 0) selects.push(closureSelect(ctx, sql`IN (${ids(selfAndBelow)})`, false));
  if (below.length > 0) selects.push(closureSelect(ctx, sql`IN (${ids(below)})`, true));
  if (members.length > 0) selects.push(memberSelect(ctx, sql`IN (${ids(members)})`));
  for (const part of compound) {
    switch (part.kind) {
      case 'descendantOrSelf':
      case 'descendant':
        selects.push(closureSelect(ctx, sql`IN (${eclSet(ctx, part.operand, origin)})`, part.kind === 'descendant'));
        break;
      case 'memberOf':
        selects.push(memberSelect(ctx, sql`IN (${eclSet(ctx, part.operand, origin)})`));
        break;
      case 'and':
      case 'minus': {
        const e = ctx.alias('s');
        const operator = sql.raw(part.kind === 'and' ? 'INTERSECT' : 'EXCEPT');
        selects.push(sql`SELECT ${column(e, 'id')} FROM ((${eclSet(ctx, part.left, origin)}) ${operator} (${eclSet(ctx, part.right, origin)})) AS ${sql.raw(`${e}(id)`)}`);
        break;
      }
      default:
        throw new Error(`internal: unexpected ECL operand ${part.kind}`);
    }
  }
  return sql.join(selects, sql` UNION `);
}

/** The operands of a chain of ORs. */
function disjuncts(ecl: Ecl): Ecl[] {
  return ecl.kind === 'or' ? [...disjuncts(ecl.left), ...disjuncts(ecl.right)] : [ecl];
}

function closureSelect(ctx: SqlContext, ancestors: RawBuilder<any>, strict: boolean): RawBuilder<any> {
  const c = ctx.alias('c');
  const ancestor = column(c, 'ancestor_id');
  const descendant = column(c, 'descendant_id');
  const own = strict ? sql` AND ${ancestor} <> ${descendant}` : sql``;
  return sql`SELECT ${descendant} FROM ${rawTableAs(ctx.terminology.closure, c)} WHERE ${ancestor} ${ancestors}${own}`;
}

function memberSelect(ctx: SqlContext, refsets: RawBuilder<any>): RawBuilder<any> {
  const m = ctx.alias('m');
  return sql`SELECT ${column(m, 'referenced_component_id')} FROM ${rawTableAs(ctx.terminology.refsetMember, m)} WHERE ${column(m, 'active')} AND ${column(m, 'refset_id')} ${refsets}`;
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
