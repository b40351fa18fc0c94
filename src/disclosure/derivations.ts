import type { Catalogue } from '../catalogue/catalogue.js';
import { printIrExpression } from '../diff/print-ir-expression.js';
import type { IrExpr } from '../ir/expression.js';
import type { ExtractDefinition, Field } from '../ir/extract-definition.js';
import { walkIr } from '../ir/walk.js';
import { exposures } from '../resolve/exposure.js';
import { GENERALISING } from '../resolve/functions.js';
import { isPatientRowDate } from './exact-dates.js';
import { linkedGroups } from './linked-datasets.js';

/**
 * Several generalisations of one column reconstruct it: `month(date_of_birth + 1)`,
 * `month(date_of_birth + 2)`, ... each cut the date at another day, and together they tell the day
 * (so do `year(date_of_birth)` and `month(date_of_birth + 200)`, or age bands of widths 5 and 7).
 * A set of derivations of one column reconstructs it when it holds two or more different ones and
 * one of them shifts or otherwise changes the column before cutting it, or two age bands do not
 * nest. Plain generalisations of the column itself nest (month refines year; an age in years
 * refines every age band; a band of 10 years is two of 5) and are scored at the finest of them.
 */

/** One generalisation of a column. */
export interface Derivation {
  /** table.column of the column generalised. */
  column: string;
  /** As written, normalised: `month(date_of_birth + 1)`. */
  signature: string;
  /** Something between the generalising function and the column changes the column (a shift). */
  shifted: boolean;
  fn: string;
  width?: number;
}

/** The column itself under wrappers that change no value (case, date_of()). */
function bare(e: IrExpr): boolean {
  if (e.kind === 'column') return true;
  return e.kind === 'call' && (e.fn === 'lower' || e.fn === 'upper' || e.fn === 'date_of') && e.args.length === 1 && bare(e.args[0]!);
}

/** The generalisations of quasi-identifying columns in a value, wherever they are in it (a pseudonym of one included). */
export function derivationsOf(value: IrExpr, catalogue?: Catalogue): Derivation[] {
  const found: Derivation[] = [];
  walkIr(value, (node) => {
    if (node.kind !== 'call' || !GENERALISING.has(node.fn as never) || node.args.length === 0) return undefined;
    const arg = node.args[0]!;
    for (const e of exposures(arg)) {
      // A date of a patient's row is a quasi-identifier at full precision (exact-dates.ts): cuts of it reconstruct it as well.
      const identifying = e.column.classification === 'quasi_identifier' || (catalogue !== undefined && isPatientRowDate(catalogue, e.node));
      if (!identifying || e.protection !== 'raw') continue;
      const width = node.fn === 'age_band' ? (node as { width?: number }).width : undefined;
      found.push({ column: `${e.column.table}.${e.column.column}`, signature: printIrExpression(node), shifted: !bare(arg), fn: node.fn, ...(width !== undefined ? { width } : {}) });
    }
    return undefined;
  });
  return found;
}

/** Whether derivations of one column, taken together, tell the column at full precision. */
export function reconstructs(derivations: Derivation[]): boolean {
  const distinct = new Map(derivations.map((d) => [d.signature, d]));
  if (distinct.size < 2) return false;
  const all = [...distinct.values()];
  if (all.some((d) => d.shifted)) return true;
  const widths = all.filter((d) => d.fn === 'age_band').map((d) => d.width ?? 5);
  return widths.some((a) => widths.some((b) => a < b && b % a !== 0));
}

/** The columns that the fields, taken together, reconstruct. */
export function reconstructedColumns(fields: Field[], catalogue?: Catalogue): Map<string, number> {
  const by = new Map<string, Derivation[]>();
  for (const f of fields) for (const d of derivationsOf(f.value, catalogue)) by.set(d.column, [...(by.get(d.column) ?? []), d]);
  const out = new Map<string, number>();
  for (const [column, ds] of by) if (reconstructs(ds)) out.set(column, new Set(ds.map((d) => d.signature)).size);
  return out;
}

/** Where a dataset or a linked group first reconstructs a column: the field that completes it. */
export interface Reconstruction {
  dataset: number;
  field: number;
  /** The column as read by that field (with its relation path). */
  column: string;
  /** dataset.field of an earlier derivation of it. */
  first: string;
  /** The datasets, when more than one (a linked group). */
  linked?: string[];
}

/** Every reconstruction, within a dataset and across each group of linked datasets (reported once per field). */
export function reconstructions(definition: ExtractDefinition, catalogue: Catalogue): Reconstruction[] {
  const found: Reconstruction[] = [];
  const reported = new Set<string>();
  const scan = (indexes: number[], linked: boolean) => {
    const seen = new Map<string, { derivations: Derivation[]; first: string; done: boolean }>();
    for (const d of indexes) {
      const dataset = definition.datasets[d]!;
      dataset.fields.forEach((field, f) => {
        for (const x of derivationsOf(field.value, catalogue)) {
          const entry = seen.get(x.column) ?? { derivations: [], first: `${dataset.name}.${field.name}`, done: false };
          entry.derivations.push(x);
          seen.set(x.column, entry);
          if (entry.done || !reconstructs(entry.derivations)) continue;
          entry.done = true;
          const key = `${d}/${f}/${x.column}`;
          if (reported.has(key)) continue;
          reported.add(key);
          const source = exposures(field.value).find((e) => `${e.column.table}.${e.column.column}` === x.column);
          const column = source ? [...source.column.path, source.column.column].join('.') : x.column;
          found.push({ dataset: d, field: f, column, first: entry.first, ...(linked ? { linked: indexes.map((i) => definition.datasets[i]!.name) } : {}) });
        }
      });
    }
  };
  definition.datasets.forEach((_, i) => scan([i], false));
  for (const group of linkedGroups(definition, catalogue)) scan(group.indexes, true);
  return found;
}
