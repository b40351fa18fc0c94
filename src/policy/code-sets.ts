import { readPrebuilt, SAMPLE_TERMINOLOGY_ASSET, sampleTerminologyDigest, terminologyFromJson } from '../assets/prebuilt.js';
import type { Ecl } from '../ir/expression.js';
import { resources } from '../resources.js';
import type { Terminology } from '../terminology/import-terminology.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { SensitiveCodeSet } from './policy.js';

/** A sensitive code set of the policy with the concepts it holds in the loaded terminology. */
export interface ResolvedSensitiveSet {
  set: SensitiveCodeSet;
  concepts: ReadonlySet<string>;
}

/**
 * Code sets as sets of concepts, in the terminology lint was given: what a filter selects, and
 * whether it lies inside a sensitive set.
 */
export interface CodeSetIndex {
  /** What terminology this is, for messages ("the sample terminology (105 concepts)"). */
  description: string;
  evaluate(ecl: Ecl): ReadonlySet<string>;
  concept(id: string): { known: boolean; active: boolean; fsn?: string };
  /** The concepts below a concept in the is-a hierarchy (not itself); empty for an unknown id. */
  descendants(id: string): ReadonlySet<string>;
  /** The active members of a simple reference set; empty when the id is no refset. */
  members(refset: string): ReadonlySet<string>;
  /**
   * The known concepts whose ids lie in a numeric range (bounds included, either may be open):
   * what `code between a and b` selects. Ids are numbers to SQL, so the range is numeric.
   */
  between(low: bigint | undefined, high: bigint | undefined): string[];
  /** How many active concepts the terminology holds. */
  activeConcepts: number;
  /**
   * Whether a concept can be the code of a record: known, active, not the root, not in the
   * metadata hierarchy (|SNOMED CT Model Component| and below: attributes, refsets, modules) and
   * not a reference set. Only these count when lint asks what a code set leaves besides
   * sensitive concepts: padding a sliver with concepts no record carries pads nothing.
   */
  recordable(id: string): boolean;
  /** How many concepts are recordable (what "everything except" leaves). */
  recordableConcepts: number;
  sensitive: readonly ResolvedSensitiveSet[];
}

/** |SNOMED CT Concept|, the root: a record is never coded with it. */
const ROOT = '138875005';
/** |SNOMED CT Model Component|: the metadata hierarchy (attributes, reference sets, modules, description types). */
const METADATA = '900000000000441003';

export function buildCodeSetIndex(terminology: Terminology, sets: readonly SensitiveCodeSet[], description: string): CodeSetIndex {
  const index = new Map<string, number>();
  terminology.ids.forEach((id, i) => index.set(id, i));
  const children: number[][] = terminology.ids.map(() => []);
  terminology.parents.forEach((parents, child) => {
    for (const parent of parents) children[parent]!.push(child);
  });
  const descendantCache = new Map<string, ReadonlySet<string>>();
  const descendants = (id: string): ReadonlySet<string> => {
    let found = descendantCache.get(id);
    if (found) return found;
    const start = index.get(id);
    const result = new Set<string>();
    if (start !== undefined) {
      const stack = [...children[start]!];
      while (stack.length > 0) {
        const next = stack.pop()!;
        const nextId = terminology.ids[next]!;
        if (result.has(nextId)) continue;
        result.add(nextId);
        stack.push(...children[next]!);
      }
    }
    found = result;
    descendantCache.set(id, found);
    return found;
  };
  const members = (refset: string): Set<string> => {
    const result = new Set<string>();
    for (const [member, active] of terminology.refsets.get(refset) ?? []) if (active) result.add(member);
    return result;
  };
  const evaluate = (ecl: Ecl): Set<string> => {
    switch (ecl.kind) {
      case 'concept':
        return new Set([ecl.id]);
      case 'descendantOrSelf':
      case 'descendant': {
        const result = new Set<string>();
        for (const focus of evaluate(ecl.operand)) {
          if (ecl.kind === 'descendantOrSelf') result.add(focus);
          for (const d of descendants(focus)) result.add(d);
        }
        return result;
      }
      case 'memberOf': {
        const result = new Set<string>();
        for (const refset of evaluate(ecl.operand)) for (const m of members(refset)) result.add(m);
        return result;
      }
      case 'or': {
        const result = evaluate(ecl.left);
        for (const c of evaluate(ecl.right)) result.add(c);
        return result;
      }
      case 'and': {
        const right = evaluate(ecl.right);
        return new Set([...evaluate(ecl.left)].filter((c) => right.has(c)));
      }
      case 'minus': {
        const right = evaluate(ecl.right);
        return new Set([...evaluate(ecl.left)].filter((c) => !right.has(c)));
      }
    }
  };
  // Concepts no record carries: the root, the metadata hierarchy and every reference set.
  const notRecorded = new Set<string>([ROOT, METADATA, ...descendants(METADATA), ...terminology.refsets.keys()]);
  const recordable = (id: string): boolean => {
    const i = index.get(id);
    return i !== undefined && terminology.active[i] === true && !notRecorded.has(id);
  };
  // Sorted once, on first use: only a range on a code column needs it.
  let numeric: { id: string; value: bigint }[] | undefined;
  const between = (low: bigint | undefined, high: bigint | undefined): string[] => {
    numeric ??= terminology.ids.map((id) => ({ id, value: BigInt(id) })).sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
    let lo = 0;
    let hi = numeric.length;
    if (low !== undefined) {
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (numeric[mid]!.value < low) lo = mid + 1;
        else hi = mid;
      }
    }
    const found: string[] = [];
    for (let i = lo; i < numeric.length && (high === undefined || numeric[i]!.value <= high); i++) found.push(numeric[i]!.id);
    return found;
  };
  return {
    description,
    evaluate,
    descendants,
    members,
    between,
    activeConcepts: terminology.active.filter(Boolean).length,
    recordable,
    recordableConcepts: terminology.ids.filter(recordable).length,
    concept(id) {
      const i = index.get(id);
      if (i === undefined) return { known: false, active: false };
      const fsn = terminology.fsn[i];
      return fsn ? { known: true, active: terminology.active[i]!, fsn } : { known: true, active: terminology.active[i]! };
    },
    sensitive: sets.map((set) => ({ set, concepts: evaluate(set.ecl) })),
  };
}

/** The sample terminology as the build read it, when its RF2 files have not changed since. */
async function prebuiltSample(): Promise<{ terminology?: Terminology; diagnostics: Diagnostic[] }> {
  const json = readPrebuilt<Parameters<typeof terminologyFromJson>[0]>(SAMPLE_TERMINOLOGY_ASSET, sampleTerminologyDigest(), 'terminology');
  return json ? { terminology: terminologyFromJson(json), diagnostics: [] } : readTerminology(resources.sampleTerminology);
}

/** Reads an RF2 release; the reader (streams, readline) is loaded only when one is read rather than the prebuilt sample. */
async function readTerminology(dir: string): Promise<{ terminology?: Terminology; diagnostics: Diagnostic[] }> {
  const { readTerminology: read } = await import('../terminology/import-terminology.js');
  return read(dir);
}

const cache = new Map<string, Promise<{ terminology?: Terminology; diagnostics: Diagnostic[] }>>();

/** The code-set index over an RF2 directory (the shipped sample when none is given). */
export async function loadCodeSetIndex(sets: readonly SensitiveCodeSet[], dir: string = resources.sampleTerminology): Promise<{ index?: CodeSetIndex; diagnostics: Diagnostic[] }> {
  let loading = cache.get(dir);
  if (!loading) {
    loading = dir === resources.sampleTerminology ? prebuiltSample() : readTerminology(dir);
    cache.set(dir, loading);
  }
  const { terminology, diagnostics } = await loading;
  if (!terminology) return { diagnostics };
  const description = dir === resources.sampleTerminology ? `the sample terminology (${terminology.ids.length} concepts)` : `the terminology in ${dir} (${terminology.ids.length} concepts)`;
  return { index: buildCodeSetIndex(terminology, sets, description), diagnostics: diagnostics.filter((d) => d.severity !== 'warning' || d.code !== 'rf2-no-descriptions') };
}
