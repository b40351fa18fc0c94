import { createHash } from 'node:crypto';
import { canonical } from '../ir/fingerprint.js';
import type { Catalogue } from './catalogue.js';

/**
 * A catalogue by name and a sha256 of its meaning: the population's columns and values and every
 * table and column with its classification and flags (not the file's layout, comments or
 * descriptions, which change nothing that is extracted). The
 * catalogue decides what a definition's fields read and which rows its guards take out — a
 * provider catalogue that renames the opt-out value or drops a confidential flag changes the
 * extract with the definition unchanged — so an approval names it and a run checks it.
 */
export interface CatalogueIdentity {
  name: string;
  digest: string;
}

export function catalogueIdentity(catalogue: Catalogue): CatalogueIdentity {
  const tables = catalogue.tables.map(({ description: _table, columns, relations, ...table }) => ({
    ...table,
    columns: columns.map(({ description: _column, ...column }) => column),
    relations: relations.map(({ description: _relation, ...relation }) => relation),
  }));
  return { name: catalogue.name, digest: sha256Of({ population: catalogue.population, tables }) };
}

/** sha256 of a value's meaning: canonical() as the definition's fingerprint takes it (keys sorted, source positions left out). */
export function sha256Of(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(canonical(value))).digest('hex');
}
