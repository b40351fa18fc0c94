import { findColumn, findTable, type Catalogue } from '../catalogue/catalogue.js';
import type { ColumnRef, IrExpr } from '../ir/expression.js';
import type { Dataset, Field } from '../ir/extract-definition.js';
import { keyVariable } from '../sql/key-variable.js';
import { derivationsOf, reconstructedColumns } from './derivations.js';
import { exactDates, showsDateDifference } from './exact-dates.js';

/**
 * What counts as a quasi-identifier, and what as a linkage key: the one definition that lint's
 * score, the run's k-anonymity measurement and the report all use.
 *
 * - A **linkage key** is a field that names the patient (or one record of the patient) without
 *   revealing who they are to the recipient: a pseudonym of unique identifiers only — the NHS
 *   number, the patient's key, a record key such as consultation_id — or the raw patient key
 *   itself. It is unique per patient by design, so it is not a quasi-identifier: it is what joins
 *   datasets into one table (the mosaic effect, see linked-datasets.ts).
 * - A **quasi-identifier** is any other field that reads a quasi-identifying or directly identifying
 *   column, whatever it does to it: generalised (year, age band, district), computed, or even
 *   pseudonymised — a pseudonym of a postcode splits people exactly as the postcode does, and a
 *   pseudonym of a surname, a given name, an address line, a phone number or an email address
 *   groups people by it (a frequency attack). A pseudonym that reads a quasi-identifier is one,
 *   whatever else it reads.
 * - So is a date or a timestamp of a patient's row shown at full precision, whatever the catalogue
 *   classifies it as (exact-dates.ts): a generalised one (a month, a year, a date difference) is not.
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
  /**
   * Whether the value determines the patient (so datasets linked by it can be joined on the
   * patient): a record key determines the patient the record belongs to.
   */
  patient: boolean;
  /** Everything the value reads is a unique identifier: it is not a quasi-identifier as well. */
  exclusive: boolean;
  /** Made from a record key (a consultation, an observation), not from the patient's key or NHS number. */
  record: boolean;
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

/**
 * A column whose value is unique to one patient (or to one record of one patient): the NHS number,
 * the patient's key under any name, or a record key of a patient-linked table (set by the catalogue:
 * a primary key or a reference to one). Names, address lines, phone numbers and email addresses are
 * direct identifiers but not unique: their pseudonyms group people (a frequency attack on surnames),
 * so they are quasi-identifiers, never linkage keys.
 */
export function uniqueIdentifier(catalogue: Catalogue, ref: ColumnRef): boolean {
  if (isPatientKey(catalogue, ref)) return true;
  if (ref.table === catalogue.population.patient.table && ref.format === 'nhs_number') return true;
  return ref.recordKey === true;
}

/** The unique identifier a column stands for: `patient` for the patient's key, a referenced record key as the key it references. */
function sourceName(catalogue: Catalogue, ref: ColumnRef): string {
  if (isPatientKey(catalogue, ref)) return 'patient';
  const table = findTable(catalogue, ref.table);
  const references = table && findColumn(table, ref.column)?.references;
  if (ref.recordKey && references) return `${references.table}.${references.column}`;
  return `${ref.table}.${ref.column}`;
}

function normalisedSource(catalogue: Catalogue, refs: ColumnRef[]): string {
  return [...new Set(refs.map((r) => sourceName(catalogue, r)))].sort().join('+');
}

/**
 * The field's linkage key, when it is one (see the module comment): a pseudonym (applied last) of
 * unique identifiers only, or the raw patient key. A pseudonym that reads a unique identifier and
 * anything else (`pseudonym(coalesce(postcode, nhs_number), k)`) still joins datasets, so it is
 * returned with `exclusive: false`, but it is a quasi-identifier as well (scored as what it hashes).
 */
export function linkageKey(catalogue: Catalogue, field: Field): LinkageKey | undefined {
  if (field.transform === 'pseudonym' && field.value.kind === 'call' && field.value.fn === 'pseudonym') {
    const unique = field.sources.filter((s) => uniqueIdentifier(catalogue, s));
    if (unique.length === 0) return undefined; // a pseudonym of a quasi-identifier (or a name) is a quasi-identifier
    const exclusive = unique.length === field.sources.length;
    const name = field.value.args[1];
    const keyName = name?.kind === 'literal' && typeof name.value === 'string' ? name.value : '';
    const sources = exclusive ? unique : field.sources;
    const record = unique.some((s) => !isPatientKey(catalogue, s) && s.format !== 'nhs_number');
    return { field, key: keyVariable(keyName), keyName, source: normalisedSource(catalogue, sources), patient: true, exclusive, record };
  }
  // The raw patient key: unique per patient, so a linkage key (that it is extracted at all is the identifier rules' business).
  if (field.value.kind === 'column' && isPatientKey(catalogue, field.value)) return { field, source: 'patient', patient: true, exclusive: true, record: false };
  return undefined;
}

/** Every linkage key of a dataset. */
export function linkageKeys(catalogue: Catalogue, dataset: Dataset): LinkageKey[] {
  return dataset.fields.map((f) => linkageKey(catalogue, f)).filter((k): k is LinkageKey => k !== undefined);
}

/**
 * The fields that let a row be singled out by combination: those that read a quasi-identifying or
 * directly identifying column, generalised, computed or pseudonymised, and those that show a date
 * or timestamp of a patient's row at full precision (exact-dates.ts: a registration's start, an
 * appointment's time, a row's updated_at), except linkage keys.
 */
export function quasiIdentifierFields(catalogue: Catalogue, dataset: Dataset): Field[] {
  // Different cuts of one date (month(d + 1), month(d + 2)) tell it whole: each is measured.
  const reconstructing = reconstructedColumns(dataset.fields, catalogue);
  return dataset.fields.filter(
    (f) =>
      (f.sources.some((s) => s.classification === 'quasi_identifier' || s.classification === 'direct_identifier') ||
        exactDates(catalogue, f.value).length > 0 ||
        derivationsOf(f.value, catalogue).some((d) => reconstructing.has(d.column))) &&
      linkageKey(catalogue, f)?.exclusive !== true,
  );
}

/**
 * The quasi-identifiers the run measures: those of quasiIdentifierFields, and the fields that
 * show a date difference at day precision (exact-dates.ts showsDateDifference), which lint does not
 * ask to generalise but which single people out as surely as a date.
 */
export function measuredQuasiIdentifierFields(catalogue: Catalogue, dataset: Dataset): Field[] {
  const named = new Set(quasiIdentifierFields(catalogue, dataset));
  return dataset.fields.filter((f) => named.has(f) || (showsDateDifference(catalogue, f.value) && linkageKey(catalogue, f)?.exclusive !== true));
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
  if (dataset.fields.some((f) => {
    const k = linkageKey(catalogue, f);
    return k !== undefined && k.exclusive && !k.record;
  })) return 'pseudonymised';
  return 'de-identified';
}

/**
 * The value a quasi-identifier is measured on: a pseudonym's argument rather than the pseudonym
 * (the keyed hash splits people exactly as its argument does, and measuring needs no key).
 */
export function measuredValue(field: Field): IrExpr {
  return field.transform === 'pseudonym' && field.value.kind === 'call' && field.value.fn === 'pseudonym' ? field.value.args[0]! : field.value;
}
