import type { Catalogue } from '../catalogue/catalogue.js';
import type { ExtractDefinition } from '../ir/extract-definition.js';
import type { Span } from '../source/source-file.js';
import { columnName, columnNodes, expressionSites } from './expression-sites.js';

/** A column a definition reads, where, and in what role: shared by the column rules. */
export interface ColumnUse {
  table: string;
  column: string;
  /** As written from the site's table, e.g. patient.comment. */
  name: string;
  classification: string;
  role: 'field' | 'filter';
  /** dataset.field for a field, the dataset (or "population") for a filter. */
  where: string;
  span?: Span;
}

export function columnUses(definition: ExtractDefinition, catalogue: Catalogue): ColumnUse[] {
  const uses: ColumnUse[] = [];
  for (const site of expressionSites(definition, catalogue.population.patient.table)) {
    for (const { node, path } of columnNodes(site.expression)) {
      uses.push({
        table: node.table,
        column: node.column,
        name: columnName({ path, column: node.column }),
        classification: node.classification,
        role: site.role,
        where: site.role === 'field' ? `${site.dataset}.${site.field!.name}` : site.dataset || 'population',
        ...(node.span ? { span: node.span } : {}),
      });
    }
  }
  return uses;
}
