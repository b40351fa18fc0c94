import { findColumn, findTable, type Catalogue } from '../catalogue/catalogue.js';
import { columnRef, type ColumnExpr, type ColumnRef, type IrExpr } from '../ir/expression.js';
import { walkIr } from '../ir/walk.js';
import { generalisation } from '../resolve/exposure.js';

/**
 * Exact dates and timestamps are quasi-identifiers, whatever the catalogue calls them. A
 * registration's start date, an appointment's start, an observation's recorded timestamp, a row's
 * updated_at: any date or time of a patient's row, released at full precision, tells the recipient
 * something a neighbour, a colleague or the patient's own app knows ("the appointment on 3 March at
 * 09:10"), and with sex and a postcode district pins one person. The catalogue classifies such
 * columns by what they are (clinical, administrative, system); how precise a value is shown is the
 * disclosure module's business, so the rule is structural: any column of type date or timestamp of
 * a table whose rows belong to patients (a provider's own catalogue gets the same protection).
 *
 * Shown at full precision means read as it is, computed (arithmetic, coalesce) or pseudonymised (a
 * pseudonym of a date splits people by the day). Not at full precision:
 * - generalised: year(), month(), age_years(), age_band() of the column itself (shifts by a
 *   constant allowed, as src/resolve/exposure.ts says; several different cuts of one column are
 *   caught as reconstructions, src/disclosure/derivations.ts);
 * - a date difference: the column minus (or minus from) another date or timestamp column of a
 *   patient's row, both bare (only date_of() around them): an interval. The other side must be a
 *   real column of the record, not a system column that a load stamps on every row at once
 *   (updated_at) nor a computed or coalesced value that may be a constant, which would shift the
 *   date and show it whole (`effective_date - date '2000-01-01'` is the date);
 * - tested rather than shown: under a comparison, a null test, an exists(...) — any node whose
 *   value is a boolean.
 */

/** A date or timestamp column of a table whose rows belong to patients. */
export function isPatientRowDate(catalogue: Catalogue, column: Pick<ColumnExpr, 'table' | 'column' | 'type'>): boolean {
  if (column.type !== 'date' && column.type !== 'timestamp') return false;
  const table = findTable(catalogue, column.table);
  return table?.patientColumn !== undefined && findColumn(table, column.column) !== undefined;
}

/** The column under wrappers that change no value (date_of()), when that is all there is. */
function bareColumn(e: IrExpr): ColumnExpr | undefined {
  if (e.kind === 'column') return e;
  if (e.kind === 'call' && e.fn === 'date_of' && e.args.length === 1) return bareColumn(e.args[0]!);
  return undefined;
}

/** A date difference between two dates of patients' rows (see the module comment). */
function isDateDifference(catalogue: Catalogue, node: IrExpr): boolean {
  if (node.kind !== 'binary' || node.op !== '-') return false;
  const left = bareColumn(node.left);
  const right = bareColumn(node.right);
  return [left, right].every((c) => c !== undefined && isPatientRowDate(catalogue, c) && c.classification !== 'system');
}

/** Where a value shows a date or timestamp of a patient's row at full precision. */
export interface ExactDate {
  column: ColumnRef;
  node: ColumnExpr;
  /** `date`, or `timestamp` for a time as well. */
  type: 'date' | 'timestamp';
}

/** Every date or timestamp of a patient's row that the value shows at full precision. */
export function exactDates(catalogue: Catalogue, value: IrExpr): ExactDate[] {
  const found: ExactDate[] = [];
  walkIr(value, (node, at) => {
    // Rows of a relation tested, not shown; a boolean shows one bit of what it tests.
    if (node.kind === 'exists' || node.type === 'boolean') return 'skip';
    if (node.kind !== 'column' || !isPatientRowDate(catalogue, node)) return undefined;
    if (generalisation(node, at.ancestors).protection !== 'raw') return undefined;
    // The nearest node above the column (past date_of()) is a difference of two dates: an interval.
    let i = at.ancestors.length - 1;
    while (i >= 0 && at.ancestors[i]!.kind === 'call' && (at.ancestors[i] as { fn: string }).fn === 'date_of') i--;
    if (i >= 0 && isDateDifference(catalogue, at.ancestors[i]!)) return undefined;
    found.push({ column: columnRef(node, at.relationPath), node, type: node.type as 'date' | 'timestamp' });
    return undefined;
  });
  return found;
}

/**
 * Whether the value shows a date difference of a patient's row at day precision (the interval the
 * module comment lets through as not an exact date). Not a date, but not coarse either: days since
 * registration, beside a reading, are near-unique per row, and beside a district they single
 * people out, and let a recipient join two datasets that show them (adversarial review
 * 2026-12-03). The run measures such a value as a quasi-identifier (quasi-identifiers.ts
 * measuredQuasiIdentifierFields); a boolean test of one shows one bit and is not counted.
 */
export function showsDateDifference(catalogue: Catalogue, value: IrExpr): boolean {
  let found = false;
  walkIr(value, (node) => {
    if (node.kind === 'exists' || node.type === 'boolean') return 'skip';
    if (isDateDifference(catalogue, node)) found = true;
    return undefined;
  });
  return found;
}

