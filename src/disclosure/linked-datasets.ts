import { tableOf, type Catalogue } from '../catalogue/catalogue.js';
import { canonicalKey } from '../diff/canonical-key.js';
import { exposures } from '../resolve/exposure.js';
import type { Dataset, ExtractDefinition, Field } from '../ir/extract-definition.js';
import { linkageKeys, measuredQuasiIdentifierFields, type LinkageKey } from './quasi-identifiers.js';
import { filterConjunctExprs, filterConjuncts, rowSetKey } from './row-filter.js';

/**
 * The mosaic effect: datasets that carry the same linkage key are one table to whoever receives
 * them, however the definition splits them. Two datasets are linked when they carry
 *
 * - a pseudonym made with the same key (as the run finds it: `My-Key` and `my_key` are one key)
 *   over the same source (the patient's key under any name counts as one source: a pseudonym of
 *   observation.patient_id equals one of patient.patient_id), or
 * - the raw patient key, or
 * - in delta mode, record ids of the same table (the record id is a keyed hash of the row's key
 *   under the one record key of the definition: equal rows, equal ids), or
 * - in full mode, rows in the same order: datasets of the same table with the same filter
 *   (compared structurally, as the fingerprint compares them) give the same rows, each written in
 *   the order of the table's key (src/sql/dataset-query.ts orderKey), so the recipient lines them
 *   up by row number with no key at all. The run measures them row by row (the same row is of
 *   the same patient; linkedKAnonymityQuery pairs such rows on the table's key). Filters are
 *   compared after folding tautologies and contradictions (`1 = 1`, `x = x`, `... or true`,
 *   `P and true`) and sorting their conjuncts (row-filter.ts), so a filter written differently
 *   that selects the same rows is the same filter; and
 * - in full mode, a subset the other dataset's columns tell apart: a dataset of the same table
 *   whose filter is another's plus conditions that read only columns the other shows (`where
 *   sex = 'male'` beside a dataset that shows sex). Its rows are the other's rows that satisfy
 *   them, in the same order: the recipient selects those rows of the other and lines them up. A
 *   dataset split into such subsets (one per sex) is rebuilt whole.
 *
 * Linking is transitive: people ~ observations ~ medications is one table of three.
 */

/** Why two datasets are linked: what they carry in common. */
export interface Link {
  /** A readable account: `pseudonym(…, 'phm-icb-key') in people.person_key and observations.person_key`. */
  description: string;
  /** The value stands for one patient: the run joins the datasets on the patient. */
  patient: boolean;
  /** Linked by no value at all: the same rows of one table, written in the same order. */
  rowOrder?: true;
}

/** Datasets an attacker can join into one table, in the definition's order, with what links them. */
export interface LinkedGroup {
  datasets: Dataset[];
  /** Indexes of the datasets in the definition. */
  indexes: number[];
  links: Link[];
}

/** One way a dataset can be joined to others. */
interface Carried {
  identity: string;
  patient: boolean;
  label: string;
  rowOrder?: true;
}

function carried(catalogue: Catalogue, definition: ExtractDefinition, dataset: Dataset): Carried[] {
  const found: Carried[] = linkageKeys(catalogue, dataset).map((k: LinkageKey) =>
    k.key !== undefined
      ? { identity: `pseudonym ${k.key} of ${k.source}`, patient: k.patient, label: `a pseudonym of ${k.source} keyed '${k.keyName}'` }
      : { identity: `raw ${k.source}`, patient: k.patient, label: `the raw ${k.source} key` },
  );
  if (definition.mode === 'delta') {
    const table = tableOf(catalogue, dataset.table);
    found.push({ identity: `record id of ${table.name}`, patient: table.patientColumn !== undefined, label: `record ids of ${table.name} rows` });
  } else {
    const table = tableOf(catalogue, dataset.table);
    found.push({
      identity: `row order of ${rowSetKey(dataset)}`,
      patient: table.patientColumn !== undefined,
      label: `rows in the same order: the same ${table.name} rows (${dataset.where ? 'the same filter' : 'no filter'})`,
      rowOrder: true,
    });
  }
  return found;
}

/**
 * The groups of two or more linked datasets. With `patientLinksOnly`, only links that stand for
 * a patient count (those the run can measure by joining on the patient).
 */
export function linkedGroups(definition: ExtractDefinition, catalogue: Catalogue, options: { patientLinksOnly?: boolean } = {}): LinkedGroup[] {
  const datasets = definition.datasets;
  const parent = datasets.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)));
  const byIdentity = new Map<string, { carried: Carried; members: number[] }>();
  datasets.forEach((dataset, i) => {
    for (const c of carried(catalogue, definition, dataset)) {
      if (options.patientLinksOnly && !c.patient) continue;
      const entry = byIdentity.get(c.identity) ?? { carried: c, members: [] };
      if (!entry.members.includes(i)) entry.members.push(i);
      byIdentity.set(c.identity, entry);
    }
  });
  if (definition.mode !== 'delta') {
    for (const [a, b, label] of rowSubsets(catalogue, datasets)) {
      const identity = `row subset ${a} of ${b}`;
      byIdentity.set(identity, { carried: { identity, patient: tableOf(catalogue, datasets[a]!.table).patientColumn !== undefined, label, rowOrder: true }, members: [b, a] });
    }
  }
  // Keys first: rows in the same order are named as a link only where they join what no key does.
  const entries = [...byIdentity.values()].sort((a, b) => Number(a.carried.rowOrder ?? false) - Number(b.carried.rowOrder ?? false));
  const joining = new Set<(typeof entries)[number]>();
  for (const entry of entries) {
    const { members } = entry;
    if (members.some((m) => find(m) !== find(members[0]!))) joining.add(entry);
    for (const m of members.slice(1)) parent[find(m)] = find(members[0]!);
  }
  const groups = new Map<number, number[]>();
  datasets.forEach((_, i) => groups.set(find(i), [...(groups.get(find(i)) ?? []), i]));
  return [...groups.values()]
    .filter((indexes) => indexes.length > 1)
    .map((indexes) => ({
      datasets: indexes.map((i) => datasets[i]!),
      indexes,
      links: [...byIdentity.values()]
        .filter((e) => e.members.length > 1 && indexes.includes(e.members[0]!) && (!e.carried.rowOrder || joining.has(e)))
        .map((e) => ({
          description: `${e.carried.label} in ${e.members.map((m) => datasets[m]!.name).join(', ')}`,
          patient: e.carried.patient,
          ...(e.carried.rowOrder ? { rowOrder: true as const } : {}),
        })),
    }));
}

/**
 * Pairs [subset, superset, label] of datasets of one table where the subset's folded filter is the
 * superset's plus conditions that read only columns the superset shows (in any field, however
 * transformed: the safe side), so that the recipient picks the subset's rows out of the
 * superset's and lines them up by order.
 */
function rowSubsets(catalogue: Catalogue, datasets: Dataset[]): [number, number, string][] {
  const found: [number, number, string][] = [];
  datasets.forEach((sub, a) => {
    const subConjuncts = filterConjunctExprs(sub.where);
    if (subConjuncts === undefined) return;
    datasets.forEach((sup, b) => {
      if (a === b || sup.table !== sub.table) return;
      const supKeys = filterConjuncts(sup.where);
      if (supKeys === 'none') return;
      const extra = subConjuncts.filter((c) => !supKeys.includes(canonicalKey(c)));
      // The same rows (no extra condition) are the row order link; a superset must hold all of the subset's other conditions.
      if (extra.length === 0 || subConjuncts.length - extra.length !== supKeys.length) return;
      const shown = columnsRead(sup);
      const tellsApart = extra.every((c) => {
        const read = exposures(c);
        return read.length > 0 && read.every((e) => shown.has(sourceKey(e.column)));
      });
      if (tellsApart) {
        const table = tableOf(catalogue, sub.table).name;
        found.push([a, b, `rows in the same order: the ${table} rows of ${sub.name} are those of ${sup.name} that its own columns select`]);
      }
    });
  });
  return found;
}

/** The linked datasets of a group that show quasi-identifiers: the ones whose combination is measured. */
export function measuredMembers(catalogue: Catalogue, group: LinkedGroup): Dataset[] {
  return group.datasets.filter((d) => measuredQuasiIdentifierFields(catalogue, d).length > 0);
}

/** A pseudonym key used over different sources in different datasets. */
export interface SharedKey {
  keyName: string;
  /** The first dataset and source the key is used with. */
  first: { dataset: string; source: string };
  /** The later use over another source. */
  dataset: number;
  field: number;
  source: string;
}

/**
 * One pseudonym key over different sources (nhs_number in one dataset, the patient key in
 * another): the pseudonyms do not join as they are, but one key for two identifiers means that
 * whoever holds or learns a mapping for one can make it for the other; keys should be one per
 * purpose. Reported at each later use over a source not seen with that key before.
 */
export function sharedKeys(definition: ExtractDefinition, catalogue: Catalogue): SharedKey[] {
  const seen = new Map<string, { dataset: string; source: string; sources: Set<string> }>();
  const found: SharedKey[] = [];
  definition.datasets.forEach((dataset, d) => {
    for (const k of linkageKeys(catalogue, dataset)) {
      if (k.key === undefined) continue;
      const first = seen.get(k.key);
      if (!first) {
        seen.set(k.key, { dataset: dataset.name, source: k.source, sources: new Set([k.source]) });
        continue;
      }
      if (first.sources.has(k.source) || first.dataset === dataset.name) {
        first.sources.add(k.source);
        continue;
      }
      first.sources.add(k.source);
      found.push({ keyName: k.keyName ?? '', first: { dataset: first.dataset, source: first.source }, dataset: d, field: dataset.fields.indexOf(k.field), source: k.source });
    }
  });
  return found;
}

/**
 * Two datasets of one table with different filters (so no row-order link) whose fields read the
 * same columns — the same value under another name, or a transform of it (`value_numeric` and
 * `value_numeric + 0`): a recipient joins their rows on those values where they are unique, and
 * the joined rows carry both datasets' quasi-identifiers (adversarial review 2026-12-03: a reading
 * and a date difference joined a district to an age band and sex, groups of one, each dataset
 * k >= 10 alone). Only pairs not linked already (by a key, row order or a subset) and whose join
 * adds quasi-identifiers each lacks. Full mode: in delta mode record ids link every dataset of a
 * table already.
 */
export interface SharedFieldPair {
  a: Dataset;
  b: Dataset;
  /** The fields of each that read a column a field of the other reads. */
  sharedA: Field[];
  sharedB: Field[];
}

export function sharedFieldPairs(definition: ExtractDefinition, catalogue: Catalogue): SharedFieldPair[] {
  if (definition.mode === 'delta') return [];
  const groups = linkedGroups(definition, catalogue);
  const together = (a: number, b: number) => groups.some((g) => g.indexes.includes(a) && g.indexes.includes(b));
  const datasets = definition.datasets;
  const read = datasets.map(columnsRead);
  const qi = datasets.map((d) => new Set(measuredQuasiIdentifierFields(catalogue, d).map((f) => canonicalKey(f.value))));
  const adds = (x: Set<string>, y: Set<string>) => [...x].some((k) => !y.has(k));
  const pairs: SharedFieldPair[] = [];
  datasets.forEach((a, i) => {
    datasets.forEach((b, j) => {
      if (j <= i || a.table !== b.table || tableOf(catalogue, a.table).patientColumn === undefined || together(i, j)) return;
      const sharedA = a.fields.filter((f) => f.sources.some((s) => read[j]!.has(sourceKey(s))));
      const sharedB = b.fields.filter((f) => f.sources.some((s) => read[i]!.has(sourceKey(s))));
      // Only a join that tells the recipient more than either dataset does: quasi-identifiers of each the other lacks.
      if (sharedA.length > 0 && sharedB.length > 0 && adds(qi[i]!, qi[j]!) && adds(qi[j]!, qi[i]!)) pairs.push({ a, b, sharedA, sharedB });
    });
  });
  return pairs;
}

/** A column as a field reads it: its relation path, table and name. */
function sourceKey(s: { path: readonly string[]; table: string; column: string }): string {
  return `${s.path.join('.')}/${s.table}.${s.column}`;
}

/** Every column a dataset's fields read, however transformed. */
function columnsRead(dataset: Dataset): Set<string> {
  return new Set(dataset.fields.flatMap((f) => f.sources.map(sourceKey)));
}
