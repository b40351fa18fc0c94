import type { Span } from '../source/source-file.js';

export type ColumnType = 'text' | 'bigint' | 'integer' | 'numeric' | 'boolean' | 'date' | 'timestamptz' | 'bytea';

export const CLASSIFICATIONS = [
  'direct_identifier',
  'quasi_identifier',
  'clinical',
  'administrative',
  'free_text',
  'document',
  'control',
  'system',
] as const;
export type Classification = (typeof CLASSIFICATIONS)[number];

export type CodeSystem = 'snomed' | 'dmd';

/**
 * A class for a whole table, beside its columns' classes: a `control` table holds the policy's own
 * records (opt-outs), a `document` table documents. Their rows are out whole: a definition can
 * neither select, join, count nor test them, whatever the class of the columns it names.
 */
export const TABLE_CLASSIFICATIONS = ['control', 'document'] as const;
export type TableClassification = (typeof TABLE_CLASSIFICATIONS)[number];

export interface CatalogueColumn {
  name: string;
  type: ColumnType;
  classification: Classification;
  nullable: boolean;
  description?: string;
  codeSystem?: CodeSystem;
  /** Uncoded text that can name a sensitive service: rows naming one of the policy's sensitive_terms are out. */
  sensitiveTerms?: boolean;
  values?: string[];
  format?: 'nhs_number' | 'postcode';
  references?: { table: string; column: string };
  span?: Span;
}

export interface CatalogueRelation {
  name: string;
  /** The table the relation is declared on. */
  from: string;
  /** The related table. */
  to: string;
  cardinality: 'one' | 'many';
  /** Pairs of (column of `from`, column of `to`) that are equal. */
  on: { from: string; to: string }[];
  /** The registration that put the patient in the population (e.g. patient.current_registration). */
  population: boolean;
  description?: string;
  span?: Span;
}

export interface CatalogueTable {
  name: string;
  schema: string;
  description: string;
  /** Set when the table as a whole is protected (see TableClassification). */
  classification?: TableClassification;
  selectable: boolean;
  primaryKey: string[];
  changeTracking?: string;
  tombstone?: string;
  patientColumn?: string;
  practiceColumn?: string;
  confidentialColumn?: string;
  /**
   * To-one relations (by name) whose target has a confidential column: a row whose parent through
   * one of them (a consultation, an encounter) exists and is not known to be non-confidential is
   * out, like a confidential row itself.
   */
  confidentialVia?: string[];
  indexes: string[][];
  /** Columns in declaration order. */
  columns: CatalogueColumn[];
  relations: CatalogueRelation[];
  span?: Span;
}

export interface PopulationTables {
  patient: { table: string; key: string; pdsSensitive: string; dateOfDeath: string };
  registration: { table: string; patient: string; practice: string; type: string; permanentValue: string; start: string; end: string };
  optOut: {
    table: string;
    patient: string;
    type: string;
    type1Value: string;
    nationalDataOptOutValue: string;
    from: string;
    to: string;
  };
}

/** A loaded, checked catalogue. Plain data. */
export interface Catalogue {
  name: string;
  /** Where it was loaded from. */
  path: string;
  description?: string;
  population: PopulationTables;
  tables: CatalogueTable[];
}

export function findTable(catalogue: Catalogue, name: string): CatalogueTable | undefined {
  return catalogue.tables.find((t) => t.name === name);
}

export function findColumn(table: CatalogueTable, name: string): CatalogueColumn | undefined {
  return table.columns.find((c) => c.name === name);
}

export function findRelation(table: CatalogueTable, name: string): CatalogueRelation | undefined {
  return table.relations.find((r) => r.name === name);
}

/** The table by name; a missing table here is a bug (names were checked at load). */
export function tableOf(catalogue: Catalogue, name: string): CatalogueTable {
  const table = findTable(catalogue, name);
  if (!table) throw new Error(`internal: catalogue has no table ${name}`);
  return table;
}

export function columnOf(table: CatalogueTable, name: string): CatalogueColumn {
  const column = findColumn(table, name);
  if (!column) throw new Error(`internal: table ${table.name} has no column ${name}`);
  return column;
}

/** Tables whose rows belong to a patient and therefore join the population. */
export function patientTables(catalogue: Catalogue): CatalogueTable[] {
  return catalogue.tables.filter((t) => t.patientColumn !== undefined);
}

export function codedColumns(table: CatalogueTable): CatalogueColumn[] {
  return table.columns.filter((c) => c.codeSystem !== undefined);
}

/** The columns of uncoded text the policy's sensitive_terms are looked for in. */
export function termColumns(table: CatalogueTable): CatalogueColumn[] {
  return table.columns.filter((c) => c.sensitiveTerms === true);
}
