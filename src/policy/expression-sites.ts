import type { ColumnRef, IrExpr } from '../ir/expression.js';
import type { ExtractDefinition, Field } from '../ir/extract-definition.js';

/** Where an expression of a definition is: a field's value or a filter, and its JSON pointer. */
export interface ExpressionSite {
  pointer: string;
  expression: IrExpr;
  role: 'field' | 'filter';
  /** The dataset it belongs to ('' for the population filter). */
  dataset: string;
  /** The table the expression's names start from. */
  table: string;
  field?: Field;
}

/** Every expression of a definition: the population filter, each dataset's filter and fields. */
export function expressionSites(definition: ExtractDefinition, patientTable = 'patient'): ExpressionSite[] {
  const sites: ExpressionSite[] = [];
  if (definition.population.where) {
    sites.push({ pointer: '/population/where', expression: definition.population.where, role: 'filter', dataset: '', table: patientTable });
  }
  definition.datasets.forEach((dataset, i) => {
    if (dataset.where) sites.push({ pointer: `/datasets/${i}/where`, expression: dataset.where, role: 'filter', dataset: dataset.name, table: dataset.table });
    dataset.fields.forEach((field, j) => {
      sites.push({ pointer: `/datasets/${i}/fields/${j}/value`, expression: field.value, role: 'field', dataset: dataset.name, table: dataset.table, field });
    });
  });
  return sites;
}

/** A column as written: relation path and name, e.g. patient.nhs_number. */
export function columnName(column: Pick<ColumnRef, 'path' | 'column'>): string {
  return [...column.path, column.column].join('.');
}

/**
 * Every column node of an expression with the relation path from the site's table (columns
 * inside exists(...) are reached through the tested relation).
 */
export function* columnNodes(expression: IrExpr, prefix: string[] = []): Generator<{ node: Extract<IrExpr, { kind: 'column' }>; path: string[] }> {
  switch (expression.kind) {
    case 'column':
      yield { node: expression, path: [...prefix, ...expression.path] };
      return;
    case 'call':
      for (const a of expression.args) yield* columnNodes(a, prefix);
      return;
    case 'not':
    case 'negate':
    case 'isNull':
    case 'inCodeSet':
      yield* columnNodes(expression.operand, prefix);
      return;
    case 'binary':
      yield* columnNodes(expression.left, prefix);
      yield* columnNodes(expression.right, prefix);
      return;
    case 'inList':
      yield* columnNodes(expression.operand, prefix);
      for (const item of expression.items) yield* columnNodes(item, prefix);
      return;
    case 'between':
      yield* columnNodes(expression.operand, prefix);
      yield* columnNodes(expression.low, prefix);
      yield* columnNodes(expression.high, prefix);
      return;
    case 'exists':
      if (expression.where) yield* columnNodes(expression.where, [...prefix, ...expression.relation.map((r) => r.relation)]);
      return;
    case 'literal':
      return;
  }
}
