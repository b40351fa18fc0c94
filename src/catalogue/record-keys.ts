import type { CatalogueColumn, CatalogueTable } from './catalogue.js';

/**
 * A key of a patient's record: a system column of a patient-linked table that is its primary key
 * or refers to another table's key (patient_id, observation_id, consultation_id, ...). Such keys
 * are stable internal identifiers: whoever holds one can single the patient out and join any other
 * release that carries it. Decided by the catalogue (classification, primary key, references), not
 * by the column's name, so a provider's catalogue gets the same treatment.
 */
export function isRecordKey(table: CatalogueTable, column: CatalogueColumn): boolean {
  if (table.patientColumn === undefined || column.classification !== 'system') return false;
  return table.primaryKey.includes(column.name) || column.references !== undefined || column.name === table.patientColumn;
}
