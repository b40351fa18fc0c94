import { identifierAsLiteral, qualifiedName, quoteIdentifier } from '../sql/identifier.js';
import { codedColumns, findTable, type Catalogue, type CatalogueTable } from './catalogue.js';

/**
 * DDL generated from the catalogue, in the phases of a bulk load: tables first, then (after the
 * data is in) keys, foreign keys, indexes and triggers. `db init` runs all phases at once.
 */
export interface Ddl {
  schemas: string[];
  tables: string[];
  primaryKeys: string[];
  foreignKeys: string[];
  indexes: string[];
  triggers: string[];
}

export function generateDdl(catalogue: Catalogue, only?: ReadonlySet<string>): Ddl {
  const tables = only ? catalogue.tables.filter((t) => only.has(t.name)) : catalogue.tables;
  const schemas = [...new Set(tables.map((t) => t.schema))];
  const ddl: Ddl = {
    schemas: schemas.map((s) => `CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(s)}`),
    tables: [],
    primaryKeys: [],
    foreignKeys: [],
    indexes: [],
    triggers: [],
  };
  const trackedSchemas = new Set<string>();
  for (const table of tables) {
    ddl.tables.push(createTable(table));
    ddl.primaryKeys.push(
      `ALTER TABLE ${qualifiedName(table.schema, table.name)} ADD CONSTRAINT ${quoteIdentifier(constraintName(table.name, 'pkey'))} PRIMARY KEY (${table.primaryKey.map(quoteIdentifier).join(', ')})`,
    );
    for (const column of table.columns) {
      if (!column.references) continue;
      const target = findTable(catalogue, column.references.table);
      if (!target) continue;
      ddl.foreignKeys.push(
        `ALTER TABLE ${qualifiedName(table.schema, table.name)} ADD CONSTRAINT ${quoteIdentifier(constraintName(`${table.name}_${column.name}`, 'fkey'))} ` +
          `FOREIGN KEY (${quoteIdentifier(column.name)}) REFERENCES ${qualifiedName(target.schema, target.name)} (${quoteIdentifier(column.references.column)})`,
      );
    }
    for (const columns of indexColumns(table)) {
      const name = constraintName(`${table.name}_${columns.join('_')}`, 'idx');
      ddl.indexes.push(`CREATE INDEX IF NOT EXISTS ${quoteIdentifier(name)} ON ${qualifiedName(table.schema, table.name)} (${columns.map(quoteIdentifier).join(', ')})`);
    }
    if (table.changeTracking) {
      trackedSchemas.add(table.schema);
      ddl.triggers.push(
        `CREATE OR REPLACE TRIGGER ${quoteIdentifier(constraintName(table.name, 'touch'))} BEFORE UPDATE ON ${qualifiedName(table.schema, table.name)} ` +
          `FOR EACH ROW EXECUTE FUNCTION ${qualifiedName(table.schema, 'exdef_touch')}('${identifierAsLiteral(table.changeTracking)}')`,
      );
    }
  }
  // One trigger function per schema: sets the change-tracking column (named by the trigger's
  // argument) to the writing transaction's now(), as the reference model requires.
  ddl.triggers.unshift(
    ...[...trackedSchemas].map(
      (schema) =>
        `CREATE OR REPLACE FUNCTION ${qualifiedName(schema, 'exdef_touch')}() RETURNS trigger LANGUAGE plpgsql AS $touch$ ` +
        `BEGIN NEW := jsonb_populate_record(NEW, jsonb_build_object(TG_ARGV[0], now())); RETURN NEW; END $touch$`,
    ),
  );
  return ddl;
}

/** All phases in order, for a schema created empty. */
export function allStatements(ddl: Ddl): string[] {
  return [...ddl.schemas, ...ddl.tables, ...ddl.primaryKeys, ...ddl.foreignKeys, ...ddl.indexes, ...ddl.triggers];
}

function createTable(table: CatalogueTable): string {
  const columns = table.columns.map((column) => {
    let line = `  ${quoteIdentifier(column.name)} ${column.type}`;
    if (!column.nullable) line += ' NOT NULL';
    if (column.name === table.changeTracking) line += ' DEFAULT now()';
    return line;
  });
  return `CREATE TABLE IF NOT EXISTS ${qualifiedName(table.schema, table.name)} (\n${columns.join(',\n')}\n)`;
}

/**
 * The indexes extracts need: by patient (joins to the population), by practice (practice scope),
 * by code (code-set filters and sensitive-code guards), by change-tracking time (deltas), plus
 * any the catalogue declares.
 */
export function indexColumns(table: CatalogueTable): string[][] {
  const indexes: string[][] = [];
  const add = (columns: string[]) => {
    const key = columns.join(',');
    if (table.primaryKey.join(',') === key) return;
    if (!indexes.some((i) => i.join(',') === key)) indexes.push(columns);
  };
  if (table.patientColumn && table.patientColumn !== table.primaryKey[0]) add([table.patientColumn]);
  if (table.practiceColumn && table.practiceColumn !== table.primaryKey[0]) add([table.practiceColumn]);
  for (const column of codedColumns(table)) add([column.name]);
  if (table.changeTracking) add([table.changeTracking]);
  for (const columns of table.indexes) add(columns);
  return indexes;
}

/** PostgreSQL truncates names at 63 bytes; keep generated names within that, deterministically. */
function constraintName(base: string, suffix: string): string {
  const name = `${base}_${suffix}`;
  return name.length <= 63 ? name : `${name.slice(0, 54)}_${suffix.slice(0, 8)}`;
}

/** The full DDL as one script, for `exdef db init --print` and documentation. */
export function ddlScript(ddl: Ddl): string {
  return `${allStatements(ddl).join(';\n\n')};\n`;
}
