import { sql, type RawBuilder } from 'kysely';
import type { CatalogueTable } from '../catalogue/catalogue.js';
import { isSafeIdentifier } from './identifier.js';

/**
 * Names in compiled SQL: aliases the compiler makes (t, p, j1, e1, ...) and identifiers from the
 * catalogue, each checked by the one sanitiser before Kysely quotes it.
 */
function safe(name: string): string {
  if (!isSafeIdentifier(name)) throw new Error(`internal: refusing to use ${JSON.stringify(name)} as an SQL identifier`);
  return name;
}

/** `alias.column` as a Kysely reference. */
export function column(alias: string, name: string): RawBuilder<any> {
  return sql.ref(`${safe(alias)}.${safe(name)}`);
}

/** `schema.table as alias`, the form Kysely's selectFrom and joins take. */
export function tableAs(table: CatalogueTable, alias: string): string {
  return `${safe(table.schema)}.${safe(table.name)} as ${safe(alias)}`;
}

/** `schema.table AS alias` inside raw SQL (for the terminology tables of code-set subqueries). */
export function rawTableAs(table: CatalogueTable, alias: string): RawBuilder<any> {
  return sql`${sql.table(`${safe(table.schema)}.${safe(table.name)}`)} AS ${sql.id(safe(alias))}`;
}

/** An output column name or CTE name. */
export function identifier(name: string): string {
  return safe(name);
}
