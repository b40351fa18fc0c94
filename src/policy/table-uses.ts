import { findRelation, findTable, type Catalogue, type CatalogueTable, type TableClassification } from '../catalogue/catalogue.js';
import type { IrExpr } from '../ir/expression.js';
import type { ExtractDefinition } from '../ir/extract-definition.js';
import { spanAt } from '../resolve/resolve-definition.js';
import type { Span } from '../source/source-file.js';
import { expressionSites } from './expression-sites.js';

/**
 * A route by which a definition reaches a table classified as a whole (control or document):
 * shared by the table rules (no-control-tables, no-documents).
 */
export interface ProtectedTableUse {
  table: string;
  classification: TableClassification;
  /** A dataset's `from`, a to-one relation in a column's path, or a relation tested with exists(). */
  route: 'from' | 'relation' | 'exists';
  /** As written: the dataset's table, or the relation path up to the protected table. */
  name: string;
  /** The dataset (or "population"), with the field for a field. */
  where: string;
  span?: Span;
}

/**
 * Every route to a protected table, at any depth: a dataset's table, each relation path of a
 * column (to-one steps) and each exists() path, inside filters, fields and the population filter.
 * Each route is reported once, at its first step into a protected table.
 */
export function protectedTableUses(definition: ExtractDefinition, catalogue: Catalogue): ProtectedTableUse[] {
  const uses: ProtectedTableUse[] = [];
  definition.datasets.forEach((dataset, i) => {
    const classification = findTable(catalogue, dataset.table)?.classification;
    if (!classification) return;
    const span = spanAt(definition, `/datasets/${i}/from`) ?? dataset.span;
    uses.push({ table: dataset.table, classification, route: 'from', name: dataset.table, where: dataset.name, ...(span ? { span } : {}) });
  });
  for (const site of expressionSites(definition, catalogue.population.patient.table)) {
    const where = site.role === 'field' ? `${site.dataset}.${site.field!.name}` : site.dataset || 'population';
    const scope = findTable(catalogue, site.table);
    if (scope) visit(site.expression, scope, [], catalogue, where, uses);
  }
  return uses;
}

function visit(expression: IrExpr, scope: CatalogueTable, prefix: string[], catalogue: Catalogue, where: string, uses: ProtectedTableUse[]): void {
  const found = (table: CatalogueTable, route: ProtectedTableUse['route'], path: string[], span: Span | undefined) => {
    uses.push({ table: table.name, classification: table.classification!, route, name: [...prefix, ...path].join('.'), where, ...(span ? { span } : {}) });
  };
  switch (expression.kind) {
    case 'column': {
      const reached = follow(catalogue, scope, expression.path);
      if (reached) found(reached.table, 'relation', reached.path, expression.span);
      return;
    }
    case 'exists': {
      let table: CatalogueTable | undefined = scope;
      let reported = false;
      const names: string[] = [];
      for (const step of expression.relation) {
        names.push(step.relation);
        table = table ? findTable(catalogue, findRelation(table, step.relation)?.to ?? step.to) : findTable(catalogue, step.to);
        if (!reported && table?.classification) {
          found(table, 'exists', [...names], step.span ?? expression.span);
          reported = true;
        }
      }
      // Inside, names start from the tested table; a protected table there is a route of its own.
      if (expression.where && table) visit(expression.where, table, [...prefix, ...names], catalogue, where, uses);
      return;
    }
    case 'call':
      for (const a of expression.args) visit(a, scope, prefix, catalogue, where, uses);
      return;
    case 'not':
    case 'negate':
    case 'isNull':
    case 'inCodeSet':
      visit(expression.operand, scope, prefix, catalogue, where, uses);
      return;
    case 'binary':
      visit(expression.left, scope, prefix, catalogue, where, uses);
      visit(expression.right, scope, prefix, catalogue, where, uses);
      return;
    case 'inList':
      visit(expression.operand, scope, prefix, catalogue, where, uses);
      for (const item of expression.items) visit(item, scope, prefix, catalogue, where, uses);
      return;
    case 'between':
      visit(expression.operand, scope, prefix, catalogue, where, uses);
      visit(expression.low, scope, prefix, catalogue, where, uses);
      visit(expression.high, scope, prefix, catalogue, where, uses);
      return;
    case 'literal':
      return;
  }
}

/** The first protected table a relation path from `scope` enters, with the path up to it. */
function follow(catalogue: Catalogue, scope: CatalogueTable, path: string[]): { table: CatalogueTable; path: string[] } | undefined {
  let table: CatalogueTable | undefined = scope;
  for (let i = 0; i < path.length && table; i++) {
    table = findTable(catalogue, findRelation(table, path[i]!)?.to ?? '');
    if (table?.classification) return { table, path: path.slice(0, i + 1) };
  }
  return undefined;
}
