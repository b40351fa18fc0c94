import type { ColumnExpr, ColumnRef, IrExpr } from '../ir/expression.js';
import { walkIr } from '../ir/walk.js';
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
export function* columnNodes(expression: IrExpr, prefix: string[] = []): Generator<{ node: ColumnExpr; path: string[] }> {
  const found: { node: ColumnExpr; path: string[] }[] = [];
  walkIr(expression, (node, at) => {
    if (node.kind === 'column') found.push({ node, path: [...prefix, ...at.relationPath, ...node.path] });
  });
  yield* found;
}
