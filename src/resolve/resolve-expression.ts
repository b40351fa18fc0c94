import { findColumn, findRelation, findTable, type Catalogue, type CatalogueColumn, type CatalogueTable } from '../catalogue/catalogue.js';
import { isRecordKey } from '../catalogue/record-keys.js';
import { defineCodes } from '../diagnostics/define-codes.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { closestMatch, didYouMean, listOr } from '../diagnostics/suggest.js';
import type { Ecl, IrExpr, RelationStep, ValueType } from '../ir/expression.js';
import type { EclAst, ExprAst } from '../parse/expression-ast.js';
import type { Span } from '../source/source-file.js';
import { conceptIdProblem, describeSctidProblem } from '../terminology/sctid.js';
import { FUNCTIONS, findFunction } from './functions.js';

export const resolveCodes = defineCodes({
  'unknown-column': {
    severity: 'error',
    stage: 'resolve',
    message: (p: { name: string; table: string; suggestion: string }) => `\`${p.name}\` is not a column of \`${p.table}\`${p.suggestion}`,
  },
  'unknown-relation': {
    severity: 'error',
    stage: 'resolve',
    message: (p: { name: string; table: string; suggestion: string }) => `\`${p.name}\` is not a relation of \`${p.table}\`${p.suggestion}`,
  },
  'column-is-not-a-relation': {
    severity: 'error',
    stage: 'resolve',
    message: (p: { name: string; table: string }) => `\`${p.name}\` is a column of \`${p.table}\`, not a relation: nothing can follow it after a dot`,
  },
  'relation-not-a-value': {
    severity: 'error',
    stage: 'resolve',
    message: (p: { name: string; table: string; example: string }) => `\`${p.name}\` is a relation to \`${p.table}\`; name one of its columns, e.g. \`${p.example}\``,
  },
  'to-many-relation-in-path': {
    severity: 'error',
    stage: 'resolve',
    message: (p: { name: string; table: string }) =>
      `\`${p.name}\` leads to many \`${p.table}\` rows, so it has no single value: test it with exists(${p.name} where ...)`,
  },
  'join-to-many': {
    severity: 'error',
    stage: 'resolve',
    message: (p: { name: string; table: string }) => `JOIN follows a relation to one row; \`${p.name}\` leads to many \`${p.table}\` rows: test it with exists(${p.name} where ...) instead`,
  },
  'join-to-protected-table': {
    severity: 'error',
    stage: 'resolve',
    message: (p: { name: string; table: string; classification: string }) =>
      `JOIN \`${p.name}\` leads to \`${p.table}\`, a ${p.classification} table, whose rows a definition can never read (rule no-${p.classification === 'control' ? 'control-tables' : 'documents'})`,
  },
  'unknown-table': {
    severity: 'error',
    stage: 'resolve',
    message: (p: { name: string; suggestion: string }) => `\`${p.name}\` is not a table of the catalogue${p.suggestion}`,
  },
  'table-not-selectable': {
    severity: 'error',
    stage: 'resolve',
    message: (p: { name: string }) => `\`${p.name}\` is not a table definitions can read`,
  },
  'exists-needs-to-many': {
    severity: 'error',
    stage: 'resolve',
    message: (p: { name: string; table: string; candidates: string }) =>
      `exists() tests the related rows of a one-to-many relation; \`${p.name}\` is not one of \`${p.table}\`${p.candidates}`,
  },
  'unknown-function': {
    severity: 'error',
    stage: 'resolve',
    message: (p: { name: string; suggestion: string }) => `\`${p.name}()\` is not a function of the expression language${p.suggestion}`,
  },
  'wrong-argument-count': {
    severity: 'error',
    stage: 'resolve',
    message: (p: { name: string; expected: string; found: number }) => `\`${p.name}()\` takes ${p.expected}, found ${p.found}`,
  },
  'wrong-argument-type': {
    severity: 'error',
    stage: 'resolve',
    message: (p: { name: string; position: string; expected: string; found: string }) => `the ${p.position} argument of \`${p.name}()\` must be ${p.expected}, not ${p.found}`,
  },
  'argument-not-literal': {
    severity: 'error',
    stage: 'resolve',
    message: (p: { name: string; position: string }) => `the ${p.position} argument of \`${p.name}()\` must be written as a literal value`,
  },
  'nul-in-text': {
    severity: 'error',
    stage: 'resolve',
    message: () => 'text cannot contain the NUL character (code 0): no PostgreSQL text value can hold it',
  },
  'argument-out-of-range': {
    severity: 'error',
    stage: 'resolve',
    message: (p: { name: string; position: string; expected: string; found: string }) => `the ${p.position} argument of \`${p.name}()\` must be ${p.expected}, not ${p.found}`,
  },
  'type-mismatch': {
    severity: 'error',
    stage: 'resolve',
    message: (p: { operator: string; left: string; right: string }) => `cannot use \`${p.operator}\` on ${p.left} and ${p.right}`,
  },
  'not-boolean': {
    severity: 'error',
    stage: 'resolve',
    message: (p: { where: string; found: string }) => `${p.where} must be true or false, not ${p.found}`,
  },
  'compare-with-null': {
    severity: 'error',
    stage: 'resolve',
    message: (p: { operator: string }) => `\`${p.operator} null\` is never true in SQL: write \`is ${p.operator === '=' ? '' : 'not '}null\``,
  },
  'code-set-on-non-code': {
    severity: 'error',
    stage: 'resolve',
    message: (p: { found: string }) => `a code set (ECL) tests a coded column, not ${p.found}`,
  },
  'invalid-concept-id': {
    severity: 'error',
    stage: 'resolve',
    message: (p: { id: string; reason: string }) => `\`${p.id}\` is not a valid SNOMED CT concept id: ${p.reason}`,
  },
  'invalid-interval': {
    severity: 'error',
    stage: 'resolve',
    message: (p: { text: string }) => `interval '${p.text}' is not an interval: write e.g. interval '12 months', '2 years', '6 weeks' or '30 days'`,
  },
  'invalid-number': {
    severity: 'error',
    stage: 'resolve',
    message: (p: { text: string }) => `${p.text} is too large a number`,
  },
});

/** A type, in words, for messages. */
export function describeType(type: ValueType, column?: string): string {
  const words: Record<ValueType, string> = {
    boolean: 'true/false',
    integer: 'a whole number',
    numeric: 'a number',
    text: 'text',
    date: 'a date',
    timestamp: 'a timestamp',
    interval: 'an interval',
    code: 'a code',
    binary: 'binary content',
    null: 'null',
  };
  return column ? `${words[type]} (\`${column}\`)` : words[type];
}

export function columnType(column: CatalogueColumn): ValueType {
  if (column.codeSystem) return 'code';
  switch (column.type) {
    case 'bigint':
    case 'integer':
      return 'integer';
    case 'numeric':
      return 'numeric';
    case 'text':
      return 'text';
    case 'boolean':
      return 'boolean';
    case 'date':
      return 'date';
    case 'timestamptz':
      return 'timestamp';
    case 'bytea':
      return 'binary';
  }
}

export interface ResolveContext {
  catalogue: Catalogue;
  diagnostics: Diagnostic[];
}

const INTERVAL = /^\s*(\d{1,4})\s+(year|month|week|day|hour|minute)s?(\s+(\d{1,4})\s+(year|month|week|day|hour|minute)s?)*\s*$/i;

/** Resolves an expression in the scope of `table`. Undefined when it has errors (reported). */
export function resolveExpression(ctx: ResolveContext, table: CatalogueTable, node: ExprAst): IrExpr | undefined {
  const report = (d: Diagnostic): undefined => {
    ctx.diagnostics.push(d);
    return undefined;
  };
  const resolve = (n: ExprAst): IrExpr | undefined => resolveExpression(ctx, table, n);

  switch (node.kind) {
    case 'number': {
      const type: ValueType = node.text.includes('.') ? 'numeric' : 'integer';
      if (type === 'integer' && node.text.length > 18) return report(resolveCodes.make('invalid-number', { text: node.text }, node.span));
      return { kind: 'literal', type, value: node.text, span: node.span };
    }
    case 'string':
      if (node.value.includes('\u0000')) return report(resolveCodes.make('nul-in-text', {}, node.span));
      return { kind: 'literal', type: 'text', value: node.value, span: node.span };
    case 'boolean':
      return { kind: 'literal', type: 'boolean', value: node.value, span: node.span };
    case 'null':
      return { kind: 'literal', type: 'null', value: null, span: node.span };
    case 'date':
      return { kind: 'literal', type: 'date', value: node.value, span: node.span };
    case 'interval':
      if (!INTERVAL.test(node.text)) return report(resolveCodes.make('invalid-interval', { text: node.text }, node.span));
      return { kind: 'literal', type: 'interval', value: node.text.trim().replace(/\s+/g, ' ').toLowerCase(), span: node.span };
    case 'path':
      return resolvePath(ctx, table, node.segments, node.span);
    case 'call':
      return resolveCall(ctx, table, node);
    case 'exists':
      return resolveExists(ctx, table, node);
    case 'not': {
      const operand = resolve(node.operand);
      if (!operand) return undefined;
      if (!isBoolean(operand.type)) return report(resolveCodes.make('not-boolean', { where: 'the operand of `not`', found: describeType(operand.type) }, operand.span ?? node.span));
      return { kind: 'not', operand, type: 'boolean', span: node.span };
    }
    case 'negate': {
      const operand = resolve(node.operand);
      if (!operand) return undefined;
      if (operand.type !== 'integer' && operand.type !== 'numeric') {
        return report(resolveCodes.make('type-mismatch', { operator: '-', left: 'nothing', right: describeType(operand.type) }, node.span));
      }
      return { kind: 'negate', operand, type: operand.type, span: node.span };
    }
    case 'binary':
      return resolveBinary(ctx, table, node);
    case 'isNull': {
      const operand = resolve(node.operand);
      return operand ? { kind: 'isNull', operand, negated: node.negated, type: 'boolean', span: node.span } : undefined;
    }
    case 'between': {
      const [operand, low, high] = [resolve(node.operand), resolve(node.low), resolve(node.high)];
      if (!operand || !low || !high) return undefined;
      for (const bound of [low, high]) {
        if (!comparable(operand, bound)) {
          return report(resolveCodes.make('type-mismatch', { operator: 'between', left: describeOperand(operand), right: describeOperand(bound) }, bound.span ?? node.span));
        }
      }
      return { kind: 'between', operand, low: asCodeIfNeeded(ctx, operand, low) ?? low, high: asCodeIfNeeded(ctx, operand, high) ?? high, negated: node.negated, type: 'boolean', span: node.span };
    }
    case 'in': {
      const operand = resolve(node.operand);
      if (!operand) {
        if (node.list) node.list.forEach(resolve);
        else if (node.ecl) resolveEcl(ctx, node.ecl);
        return undefined;
      }
      if (node.ecl) {
        const codeSet = resolveEcl(ctx, node.ecl);
        if (operand.type !== 'code') {
          return report(resolveCodes.make('code-set-on-non-code', { found: describeOperand(operand) }, node.ecl.span, ['code sets test columns such as observation.code or referral.code']));
        }
        return codeSet ? { kind: 'inCodeSet', operand, codeSet, negated: node.negated, type: 'boolean', span: node.span } : undefined;
      }
      const items: IrExpr[] = [];
      let failed = false;
      for (const itemAst of node.list ?? []) {
        const item = resolve(itemAst);
        if (!item) {
          failed = true;
          continue;
        }
        if (!comparable(operand, item)) {
          report(resolveCodes.make('type-mismatch', { operator: 'in', left: describeOperand(operand), right: describeOperand(item) }, item.span ?? node.span));
          failed = true;
          continue;
        }
        const coded = asCodeIfNeeded(ctx, operand, item);
        if (coded === undefined) failed = true;
        else items.push(coded);
      }
      return failed ? undefined : { kind: 'inList', operand, items, negated: node.negated, type: 'boolean', span: node.span };
    }
  }
}

function isBoolean(type: ValueType): boolean {
  return type === 'boolean' || type === 'null';
}

function describeOperand(e: IrExpr): string {
  return describeType(e.type, e.kind === 'column' ? [...e.path, e.column].join('.') : undefined);
}

/** Whether two values can be compared with =, <, in, between. */
function comparable(a: IrExpr, b: IrExpr): boolean {
  const numeric = (t: ValueType) => t === 'integer' || t === 'numeric';
  const dateLike = (t: ValueType) => t === 'date' || t === 'timestamp';
  if (a.type === 'null' || b.type === 'null') return true;
  if (a.type === b.type) return a.type !== 'binary' && a.type !== 'interval';
  if (numeric(a.type) && numeric(b.type)) return true;
  if (dateLike(a.type) && dateLike(b.type)) return true;
  // A code compares with a concept id written as a whole number.
  if (a.type === 'code' && b.kind === 'literal' && b.type === 'integer') return true;
  if (b.type === 'code' && a.kind === 'literal' && a.type === 'integer') return true;
  return false;
}

/** A whole-number literal compared with a code is a concept id: typed code and checked for form. */
function asCodeIfNeeded(ctx: ResolveContext, other: IrExpr, value: IrExpr): IrExpr | undefined {
  if (other.type !== 'code' || value.kind !== 'literal' || value.type !== 'integer') return value;
  const id = String(value.value);
  const problem = conceptIdProblem(id);
  if (problem) {
    ctx.diagnostics.push(resolveCodes.make('invalid-concept-id', { id, reason: describeSctidProblem(problem) }, value.span));
    return undefined;
  }
  return { ...value, type: 'code' };
}

function resolveBinary(ctx: ResolveContext, table: CatalogueTable, node: Extract<ExprAst, { kind: 'binary' }>): IrExpr | undefined {
  const left = resolveExpression(ctx, table, node.left);
  const right = resolveExpression(ctx, table, node.right);
  if (!left || !right) return undefined;
  const report = (d: Diagnostic): undefined => {
    ctx.diagnostics.push(d);
    return undefined;
  };
  const mismatch = () => report(resolveCodes.make('type-mismatch', { operator: node.op, left: describeOperand(left), right: describeOperand(right) }, node.opSpan));
  const op = node.op;
  if (op === 'and' || op === 'or') {
    for (const side of [left, right]) {
      if (!isBoolean(side.type)) return report(resolveCodes.make('not-boolean', { where: `each side of \`${op}\``, found: describeOperand(side) }, side.span ?? node.span));
    }
    return { kind: 'binary', op, left, right, type: 'boolean', span: node.span };
  }
  if (op === '=' || op === '<>' || op === '<' || op === '<=' || op === '>' || op === '>=') {
    if ((op === '=' || op === '<>') && (left.type === 'null' || right.type === 'null')) return report(resolveCodes.make('compare-with-null', { operator: op }, node.opSpan));
    if (!comparable(left, right)) return mismatch();
    if ((left.type === 'boolean' || left.type === 'code') && op !== '=' && op !== '<>') return mismatch();
    const l = asCodeIfNeeded(ctx, right, left);
    const r = asCodeIfNeeded(ctx, left, right);
    if (!l || !r) return undefined;
    return { kind: 'binary', op, left: l, right: r, type: 'boolean', span: node.span };
  }
  const numeric = (t: ValueType) => t === 'integer' || t === 'numeric';
  let type: ValueType | undefined;
  if (numeric(left.type) && numeric(right.type)) type = op === '/' || left.type === 'numeric' || right.type === 'numeric' ? 'numeric' : 'integer';
  else if (op === '+' || op === '-') {
    if ((left.type === 'date' || left.type === 'timestamp') && right.type === 'interval') type = left.type;
    else if (op === '+' && left.type === 'interval' && (right.type === 'date' || right.type === 'timestamp')) type = right.type;
    else if (left.type === 'date' && right.type === 'integer') type = 'date';
    else if (op === '-' && left.type === 'date' && right.type === 'date') type = 'integer';
  }
  if (!type) return mismatch();
  return { kind: 'binary', op, left, right, type, span: node.span };
}

/**
 * A path: relation names then a column (`patient.nhs_number`, `current_registration.practice_ods`).
 * Only to-one relations can be followed; a to-many one is tested with exists().
 */
export function resolvePath(ctx: ResolveContext, root: CatalogueTable, segments: string[], span: Span): IrExpr | undefined {
  let table = root;
  const path: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    const name = segments[i]!;
    const last = i === segments.length - 1;
    if (last) {
      const column = findColumn(table, name);
      if (column) {
        return {
          kind: 'column' as const,
          path,
          table: table.name,
          column: column.name,
          classification: column.classification,
          type: columnType(column),
          span,
          ...(column.codeSystem ? { codeSystem: column.codeSystem } : {}),
          ...(column.format ? { format: column.format } : {}),
          ...(isRecordKey(table, column) ? { recordKey: true as const } : {}),
        };
      }
      const relation = findRelation(table, name);
      if (relation) {
        const target = findTable(ctx.catalogue, relation.to);
        const example = target?.columns.find((c) => c.classification !== 'control' && c.classification !== 'system')?.name ?? target?.columns[0]?.name ?? 'column';
        ctx.diagnostics.push(resolveCodes.make('relation-not-a-value', { name, table: relation.to, example: [...segments.slice(0, i + 1), example].join('.') }, span));
        return undefined;
      }
      const candidates = [...table.columns.map((c) => c.name), ...table.relations.map((r) => r.name)];
      ctx.diagnostics.push(resolveCodes.make('unknown-column', { name, table: table.name, suggestion: didYouMean(name, candidates) }, span, pathHints(ctx, table, name)));
      return undefined;
    }
    const relation = findRelation(table, name);
    if (!relation) {
      if (findColumn(table, name)) {
        ctx.diagnostics.push(resolveCodes.make('column-is-not-a-relation', { name, table: table.name }, span));
      } else {
        ctx.diagnostics.push(
          resolveCodes.make('unknown-relation', { name, table: table.name, suggestion: didYouMean(name, table.relations.map((r) => r.name)) }, span, relationHints(table)),
        );
      }
      return undefined;
    }
    if (relation.cardinality === 'many') {
      ctx.diagnostics.push(resolveCodes.make('to-many-relation-in-path', { name, table: relation.to }, span));
      return undefined;
    }
    const next = findTable(ctx.catalogue, relation.to);
    if (!next) return undefined;
    path.push(name);
    table = next;
  }
  return undefined;
}

function relationHints(table: CatalogueTable): string[] | undefined {
  const names = table.relations.filter((r) => r.cardinality === 'one').map((r) => r.name);
  return names.length > 0 ? [`relations of \`${table.name}\` you can follow: ${names.join(', ')}`] : undefined;
}

/** When a name is a column of a related table, say how to reach it. */
function pathHints(ctx: ResolveContext, table: CatalogueTable, name: string): string[] | undefined {
  for (const relation of table.relations) {
    if (relation.cardinality !== 'one') continue;
    const target = findTable(ctx.catalogue, relation.to);
    if (target && findColumn(target, name)) return [`\`${name}\` is a column of \`${target.name}\`: write \`${relation.name}.${name}\``];
  }
  return undefined;
}

/**
 * A JOIN's relation path from `root`: every step a to-one relation. The table it leads to, or
 * undefined when a step is unknown or leads to many rows (reported).
 */
export function resolveJoin(ctx: ResolveContext, root: CatalogueTable, segments: string[], span: Span): CatalogueTable | undefined {
  let table = root;
  for (const name of segments) {
    const relation = findRelation(table, name);
    if (!relation) {
      ctx.diagnostics.push(resolveCodes.make('unknown-relation', { name, table: table.name, suggestion: didYouMean(name, table.relations.map((r) => r.name)) }, span, relationHints(table)));
      return undefined;
    }
    if (relation.cardinality === 'many') {
      ctx.diagnostics.push(resolveCodes.make('join-to-many', { name, table: relation.to }, span));
      return undefined;
    }
    const next = findTable(ctx.catalogue, relation.to);
    if (!next) return undefined;
    // A join reads no column by itself, but it is a route to the table all the same: refused here,
    // as the policy's table rules refuse every other route (the IR keeps no joins for them to see).
    if (next.classification) {
      ctx.diagnostics.push(resolveCodes.make('join-to-protected-table', { name, table: next.name, classification: next.classification }, span));
      return undefined;
    }
    table = next;
  }
  return table;
}

/** exists(relation where ...): the relation may be named, or its table when only one relation leads there. */
function resolveExists(ctx: ResolveContext, root: CatalogueTable, node: Extract<ExprAst, { kind: 'exists' }>): IrExpr | undefined {
  let table = root;
  const steps: RelationStep[] = [];
  for (let i = 0; i < node.path.length; i++) {
    const name = node.path[i]!;
    const last = i === node.path.length - 1;
    let relation = findRelation(table, name);
    if (!relation && last) {
      const byTable = table.relations.filter((r) => r.cardinality === 'many' && r.to === name);
      if (byTable.length === 1) relation = byTable[0];
    }
    if (!relation || (last && relation.cardinality !== 'many') || (!last && relation.cardinality !== 'one')) {
      const manys = table.relations.filter((r) => r.cardinality === 'many').map((r) => r.name);
      const suggestion = last ? closestMatch(name, [...manys, ...table.relations.filter((r) => r.cardinality === 'many').map((r) => r.to)]) : undefined;
      ctx.diagnostics.push(
        resolveCodes.make(
          'exists-needs-to-many',
          {
            name,
            table: table.name,
            candidates: suggestion ? `; did you mean \`${suggestion}\`?` : manys.length > 0 ? ` (${listOr(manys.map((m) => `\`${m}\``))})` : '',
          },
          node.pathSpan,
        ),
      );
      return undefined;
    }
    steps.push({ relation: relation.name, from: table.name, to: relation.to, cardinality: relation.cardinality, span: node.pathSpan });
    const next = findTable(ctx.catalogue, relation.to);
    if (!next) return undefined;
    table = next;
  }
  const result: IrExpr = { kind: 'exists', relation: steps, table: table.name, type: 'boolean', span: node.span };
  if (node.where) {
    const where = resolveExpression(ctx, table, node.where);
    if (!where) return undefined;
    if (!isBoolean(where.type)) {
      ctx.diagnostics.push(resolveCodes.make('not-boolean', { where: 'the condition inside exists()', found: describeOperand(where) }, where.span ?? node.span));
      return undefined;
    }
    result.where = where;
  }
  return result;
}

const ORDINALS = ['first', 'second', 'third', 'fourth', 'fifth'];

function resolveCall(ctx: ResolveContext, table: CatalogueTable, node: Extract<ExprAst, { kind: 'call' }>): IrExpr | undefined {
  const spec = findFunction(node.name);
  const args = node.args.map((a) => resolveExpression(ctx, table, a));
  if (!spec) {
    ctx.diagnostics.push(resolveCodes.make('unknown-function', { name: node.name, suggestion: didYouMean(node.name, FUNCTIONS.map((f) => f.name)) }, node.nameSpan, [`functions: ${FUNCTIONS.map((f) => f.name).join(', ')}`]));
    return undefined;
  }
  const sig = spec.signature;
  const min = sig.args.length - (sig.optional ?? 0);
  const max = sig.variadic ? Infinity : sig.args.length;
  if (node.args.length < min || node.args.length > max) {
    const expected = sig.variadic ? `at least ${min} argument${min === 1 ? '' : 's'}` : min === max ? `${min} argument${min === 1 ? '' : 's'}` : `${min} to ${max} arguments`;
    ctx.diagnostics.push(resolveCodes.make('wrong-argument-count', { name: spec.name, expected, found: node.args.length }, node.span));
    return undefined;
  }
  if (args.some((a) => a === undefined)) return undefined;
  const resolved = args as IrExpr[];
  for (let i = 0; i < resolved.length; i++) {
    const arg = resolved[i]!;
    const allowed = sig.variadic ? sig.args[0]! : sig.args[i]!;
    const typeOk = allowed.includes(arg.type) || arg.type === 'null' || (sig.variadic && i > 0 && comparable(resolved[0]!, arg));
    if (!typeOk) {
      ctx.diagnostics.push(
        resolveCodes.make(
          'wrong-argument-type',
          { name: spec.name, position: ORDINALS[i] ?? `${i + 1}th`, expected: listOr(allowed.map((t) => describeType(t))), found: describeOperand(arg) },
          arg.span ?? node.span,
        ),
      );
      return undefined;
    }
    if (sig.literal?.includes(i) && arg.kind !== 'literal') {
      ctx.diagnostics.push(resolveCodes.make('argument-not-literal', { name: spec.name, position: ORDINALS[i] ?? `${i + 1}th` }, arg.span ?? node.span));
      return undefined;
    }
  }
  const range = literalProblem(spec.name, resolved);
  if (range) {
    ctx.diagnostics.push(resolveCodes.make('argument-out-of-range', { name: spec.name, ...range.problem }, range.at.span ?? node.span));
    return undefined;
  }
  const type = sig.result === 'first' ? resolved[0]!.type : sig.result;
  const base = { kind: 'call' as const, args: resolved, type, span: node.span };
  // The literal parameters were checked above (literalProblem): parse them once, here.
  const parameter = (i: number) => (resolved[i]?.kind === 'literal' ? resolved[i].value : undefined);
  switch (spec.name) {
    case 'age_band':
      return { ...base, fn: spec.name, width: parameter(1) === undefined || parameter(1) === null ? DEFAULT_AGE_BAND_WIDTH : Number(parameter(1)) };
    case 'pseudonym':
      return { ...base, fn: spec.name, key: String(parameter(1)) };
    default:
      return { ...base, fn: spec.name };
  }
}

/** The age band width when none is written (docs/language.md). */
export const DEFAULT_AGE_BAND_WIDTH = 5;

/** A pseudonym key name: it also names the environment variable EXDEF_KEY_<NAME> that may hold the key. */
export const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/** Literal arguments whose value must lie in a range: an age band width, decimal places, a key name. */
function literalProblem(name: string, args: IrExpr[]): { at: IrExpr; problem: { position: string; expected: string; found: string } } | undefined {
  const second = args[1];
  if (second?.kind !== 'literal' || second.value === null) return undefined;
  const found = String(second.value);
  if (name === 'age_band' && !(Number(found) >= 1 && Number(found) <= 90)) return { at: second, problem: { position: 'second', expected: 'a band width from 1 to 90 years', found } };
  if (name === 'round' && !(Number(found) >= 0 && Number(found) <= 10)) return { at: second, problem: { position: 'second', expected: 'a number of decimal places from 0 to 10', found } };
  if (name === 'pseudonym' && !KEY_NAME.test(found)) {
    return { at: second, problem: { position: 'second', expected: 'a key name of letters, digits, `-` and `_` (at most 64)', found: `'${found}'` } };
  }
  return undefined;
}

/** Checks every concept id in an ECL tree; undefined when one is malformed. */
export function resolveEcl(ctx: { diagnostics: Diagnostic[] }, ecl: EclAst): Ecl | undefined {
  let ok = true;
  const convert = (node: EclAst): Ecl => {
    switch (node.kind) {
      case 'concept': {
        const problem = conceptIdProblem(node.id);
        if (problem) {
          ok = false;
          ctx.diagnostics.push(resolveCodes.make('invalid-concept-id', { id: node.id, reason: describeSctidProblem(problem) }, node.span));
        }
        return node.term === undefined ? { kind: 'concept', id: node.id, span: node.span } : { kind: 'concept', id: node.id, term: node.term, span: node.span };
      }
      case 'descendantOrSelf':
      case 'descendant':
      case 'memberOf':
        return { kind: node.kind, operand: convert(node.operand), span: node.span };
      case 'or':
      case 'and':
      case 'minus':
        return { kind: node.kind, left: convert(node.left), right: convert(node.right), span: node.span };
    }
  };
  const result = convert(ecl);
  return ok ? result : undefined;
}
