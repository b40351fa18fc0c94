/**
 * What the semantic diff reports: plain data, serialisable as it is (`exdef diff --json`).
 *
 * Every change has a class, the most serious that applies:
 * - `needs-ig-review`: the scope or identifiability of the extract grows (a new field, a finer
 *   transform, a wider population, a new recipient or purpose), so the IG reviewer approves again;
 * - `needs-new-baseline`: the data produced changes (the definition's fingerprint changes), so the
 *   next delta run starts again with a full extract;
 * - `no-effect`: neither (governance texts, justifications, the version number, the CSV dialect).
 * A change that both widens scope and changes the fingerprint is classed `needs-ig-review`;
 * `changesFingerprint` says whether it also forces a new baseline.
 */
export type ChangeClass = 'needs-ig-review' | 'needs-new-baseline' | 'no-effect';

/** Most serious first. */
export const CHANGE_CLASSES: readonly ChangeClass[] = ['needs-ig-review', 'needs-new-baseline', 'no-effect'];

const RANK: Record<ChangeClass, number> = { 'needs-ig-review': 3, 'needs-new-baseline': 2, 'no-effect': 1 };

export function classRank(c: ChangeClass): number {
  return RANK[c];
}

/** The more serious of two classes (or of a list; undefined for none). */
export function mostSerious(classes: Iterable<ChangeClass>): ChangeClass | undefined {
  let worst: ChangeClass | undefined;
  for (const c of classes) if (worst === undefined || RANK[c] > RANK[worst]) worst = c;
  return worst;
}

/** Stable ids of the kinds of change (CI may match on them; docs list them). */
export const CHANGE_KINDS = [
  // identity and governance
  'id-changed',
  'title-changed',
  'version-changed',
  'owner-changed',
  'use-case-changed',
  'care-type-changed',
  'governance-changed',
  'legal-basis-added',
  'legal-basis-changed',
  'legal-basis-weakened',
  'processing-location-changed',
  // population
  'population-widened',
  'population-narrowed',
  'population-changed',
  'population-filter-rewritten',
  'practices-added',
  'practices-removed',
  'practices-reordered',
  // mode, schedule, output
  'mode-changed',
  'schedule-changed',
  'output-changed',
  'encryption-changed',
  'delivery-changed',
  // datasets
  'dataset-added',
  'dataset-removed',
  'dataset-renamed',
  'dataset-reordered',
  'dataset-table-changed',
  'dataset-filter-added',
  'dataset-filter-removed',
  'dataset-filter-widened',
  'dataset-filter-narrowed',
  'dataset-filter-changed',
  'dataset-filter-rewritten',
  'dataset-description-changed',
  // fields
  'field-added',
  'field-removed',
  'field-renamed',
  'field-reordered',
  'field-value-changed',
  'transform-finer',
  'transform-coarser',
  'pseudonym-key-changed',
  'justification-changed',
  // exemptions
  'exemption-added',
  'exemption-removed',
  'exemption-fields-added',
  'exemption-fields-removed',
  'exemption-datasets-added',
  'exemption-datasets-removed',
  'exemption-expiry-changed',
  'exemption-text-changed',
  // whole files (exdef diff --base)
  'definition-added',
  'definition-removed',
  // safety nets: a difference no detector itemised (should not happen; conservative classes)
  'definition-changed',
  'data-changed',
] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

export interface DefinitionChange {
  kind: ChangeKind;
  class: ChangeClass;
  /** Where, in the YAML format's key names with dataset and field names: `datasets.people.fields.sex`. */
  path: string;
  dataset?: string;
  field?: string;
  /** The value before and after, as readable text (expressions in canonical exdef syntax); absent when there was none. */
  before?: string;
  after?: string;
  /** Whether this change alone changes the definition's fingerprint (forces a full extract). */
  changesFingerprint: boolean;
  /** One line of plain English: what changed and why it is classed so. */
  explanation: string;
}

/** Which definition a side of the diff is. */
export interface DefinitionIdentity {
  id: string;
  version: number;
  fingerprint: string;
}

export interface DefinitionDiff {
  old: DefinitionIdentity;
  new: DefinitionIdentity;
  /** fingerprint(old) !== fingerprint(new): the next delta run is a full extract. */
  fingerprintChanged: boolean;
  /** Most serious first, then in the order of the definition. */
  changes: DefinitionChange[];
  counts: Record<ChangeClass, number>;
  /** The most serious class among the changes, or `none` when nothing changed in meaning. */
  class: ChangeClass | 'none';
}

export function countByClass(changes: readonly DefinitionChange[]): Record<ChangeClass, number> {
  const counts: Record<ChangeClass, number> = { 'needs-ig-review': 0, 'needs-new-baseline': 0, 'no-effect': 0 };
  for (const c of changes) counts[c.class]++;
  return counts;
}
