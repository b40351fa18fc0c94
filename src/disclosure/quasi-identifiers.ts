import { findColumn, findTable, type Catalogue } from '../catalogue/catalogue.js';
import type { ColumnRef, IrExpr } from '../ir/expression.js';
import type { Dataset, Field } from '../ir/extract-definition.js';
import { keyVariable } from '../sql/expression-sql.js';

/**
 * What counts as a quasi-identifier, and what as a linkage key: the one definition that lint's
 * score, the run's k-anonymity measurement and the report all use.
 *
 * - A **linkage key** is a field that names the patient without revealing who they are to the
 *   recipient: a pseudonym of a direct identifier or of the patient's key, or the raw patient key
 *   itself. It is unique per patient by design, so it is not a quasi-identifier: it is what joins
 *   datasets into one table (the mosaic effect, see linked-datasets.ts).
 * - A **quasi-identifier** is any other field that reads a quasi-identifying or directly identifying
 *   column, whatever it does to it: generalised (year, age band, district), computed, or even
 *   pseudonymised — a pseudonym of a postcode splits people exactly as the postcode does.
 */

/** How a dataset presents people: named (a direct identifier), by pseudonym, or neither. */
export type Identification = 'identified' | 'pseudonymised' | 'de-identified';

/** A field that links a patient's rows: the key it is made with (if any) and what it is made of. */
export interface LinkageKey {
  field: Field;
  /**
   * The pseudonym key as the run finds it (EXDEF_KEY_<NAME>: `My-Key` and `my_key` are the same
   * key), or undefined for a raw patient key.
   */
  key?: string;
  /** The key name as written. */
  keyName?: string;
  /** What the value is computed from, normalised: `patient` for the patient's key under any name, else table.column. */
  source: string;
  /** Whether the value stands for one patient (so datasets linked by it can be joined on the patient). */
  patient: boolean;
}

/** The patient's key under any name: the patient table's key, a table's patient column, or a column referencing it. */
export function isPatientKey(catalogue: Catalogue, ref: Pick<ColumnRef, 'table' | 'column'>): boolean {
  const model = catalogue.population.patient;
  if (ref.table === model.table && ref.column === model.key) return true;
  const table = findTable(catalogue, ref.table);
  if (!table) return false;
  if (table.patientColumn === ref.column) return true;
  const references = findColumn(table, ref.column)?.references;
  return references !== undefined && references.table === model.table && references.column === model.key;
}

/** A column that identifies the patient it belongs to: a direct identifier of the patient table, or the patient key. */
function identifiesPatient(catalogue: Catalogue, ref: ColumnRef): boolean {
  return isPatientKey(catalogue, ref) || (ref.classification === 'direct_identifier' && ref.table === catalogue.population.patient.table);
}

function normalisedSource(catalogue: Catalogue, refs: ColumnRef[]): string {
  return [...new Set(refs.map((r) => (isPatientKey(catalogue, r) ? 'patient' : `${r.table}.${r.column}`)))].sort().join('+');
}

/** The field's linkage key, when it is one (see the module comment). */
export function linkageKey(catalogue: Catalogue, field: Field): LinkageKey | undefined {
  if (field.transform === 'pseudonym' && field.value.kind === 'call' && field.value.fn === 'pseudonym') {
    const identifying = field.sources.filter((s) => s.classification === 'direct_identifier' || isPatientKey(catalogue, s));
    if (identifying.length === 0) return undefined; // a pseudonym of a quasi-identifier is still a quasi-identifier
    const name = field.value.args[1];
    const keyName = name?.kind === 'literal' && typeof name.value === 'string' ? name.value : '';
    return { field, key: keyVariable(keyName), keyName, source: normalisedSource(catalogue, identifying), patient: identifying.every((s) => identifiesPatient(catalogue, s)) };
  }
  // The raw patient key: unique per patient, so a linkage key (that it is extracted at all is the identifier rules' business).
  if (field.value.kind === 'column' && isPatientKey(catalogue, field.value)) return { field, source: 'patient', patient: true };
  return undefined;
}

/** Every linkage key of a dataset. */
export function linkageKeys(catalogue: Catalogue, dataset: Dataset): LinkageKey[] {
  return dataset.fields.map((f) => linkageKey(catalogue, f)).filter((k): k is LinkageKey => k !== undefined);
}

/**
 * The fields that let a row be singled out by combination: those that read a quasi-identifying or
 * directly identifying column, generalised, computed or pseudonymised, except linkage keys.
 */
export function quasiIdentifierFields(catalogue: Catalogue, dataset: Dataset): Field[] {
  return dataset.fields.filter(
    (f) => f.sources.some((s) => s.classification === 'quasi_identifier' || s.classification === 'direct_identifier') && linkageKey(catalogue, f) === undefined,
  );
}

/** A field that shows a direct identifier as it is (not through a pseudonym). */
export function directIdentifierFields(dataset: Dataset): Field[] {
  return dataset.fields.filter((f) => f.transform !== 'pseudonym' && f.sources.some((s) => s.classification === 'direct_identifier'));
}

/**
 * How a dataset presents people: named (a direct identifier), by a linkage key, or neither. Only a
 * linkage key makes a dataset pseudonymised: a pseudonym of a quasi-identifier (or of sex) names
 * nobody, so it cannot turn the failure of a de-identified dataset below k into a warning.
 */
export function identification(catalogue: Catalogue, dataset: Dataset): Identification {
  if (directIdentifierFields(dataset).length > 0) return 'identified';
  if (dataset.fields.some((f) => linkageKey(catalogue, f) !== undefined)) return 'pseudonymised';
  return 'de-identified';
}

/**
 * The value a quasi-identifier is measured on: a pseudonym's argument rather than the pseudonym
 * (the keyed hash splits people exactly as its argument does, and measuring needs no key).
 */
export function measuredValue(field: Field): IrExpr {
  return field.transform === 'pseudonym' && field.value.kind === 'call' && field.value.fn === 'pseudonym' ? field.value.args[0]! : field.value;
}
