import type { Ecl } from '../ir/expression.js';
import type { Span } from '../source/source-file.js';
import type { CodeSetIndex } from './code-sets.js';

/**
 * One thing a definition wrote that selects concepts: a concept id (alone, under <<, <, ^, in a
 * list, after =) or a range of ids. Findings are reported at its span.
 */
export interface ConceptLeaf {
  id: number;
  /**
   * `any`: a test lint cannot see through (a code column inside a function compared with a value
   * it cannot read as a concept); it may select any concept, so it is judged as a broad set.
   */
  kind: 'concept' | 'range' | 'any';
  /** The concept written (kind concept). */
  concept?: string;
  /** The bounds written (kind range); an open side is undefined. */
  low?: string;
  high?: string;
  /** The written part: the concept with the <<, <, ^ applied to it, or the range test. */
  span?: Span;
}

/** Whether one concept is selected, and which leaves put it in (or kept it out). */
export interface ConceptEntry {
  selected: boolean;
  why: ReadonlySet<number>;
}

/**
 * A set of concepts with its provenance (why-provenance, per concept). Concepts not listed in
 * `listed` are selected when `rest` is true (after a complement: "everything except ...") and
 * carry no reason: nothing written named them. Plain data: a complement is O(1), so
 * `code not in (...)` over a full terminology stays cheap.
 */
export interface ConceptSelection {
  rest: boolean;
  listed: ReadonlyMap<string, ConceptEntry>;
}

const NO_REASON: ReadonlySet<number> = new Set();

export const NOTHING: ConceptSelection = { rest: false, listed: new Map() };
export const EVERYTHING: ConceptSelection = { rest: true, listed: new Map() };

/** The entry of one concept (listed, or the default). */
export function entryOf(selection: ConceptSelection, concept: string): ConceptEntry {
  return selection.listed.get(concept) ?? { selected: selection.rest, why: NO_REASON };
}

/** Everything the selection leaves out is selected and the reverse; a reason to be in becomes a reason to be out. */
export function complement(selection: ConceptSelection): ConceptSelection {
  const listed = new Map<string, ConceptEntry>();
  for (const [concept, entry] of selection.listed) listed.set(concept, { selected: !entry.selected, why: entry.why });
  return { rest: !selection.rest, listed };
}

function union(a: ReadonlySet<number>, b: ReadonlySet<number>): ReadonlySet<number> {
  if (a.size === 0) return b;
  if (b.size === 0) return a;
  return new Set([...a, ...b]);
}

/** Pointwise combination: a concept is selected by `op` of both sides, for the reasons of the sides that decide it. */
function combine(a: ConceptSelection, b: ConceptSelection, both: boolean): ConceptSelection {
  const listed = new Map<string, ConceptEntry>();
  const at = (x: ConceptEntry, y: ConceptEntry): ConceptEntry => {
    const selected = both ? x.selected && y.selected : x.selected || y.selected;
    // In an AND a concept is in for both sides' reasons and out for the reasons of a side that
    // leaves it out; in an OR the reverse.
    const why = selected === both ? union(x.why, y.why) : union(x.selected === selected ? x.why : NO_REASON, y.selected === selected ? y.why : NO_REASON);
    return { selected, why };
  };
  for (const [concept, entry] of a.listed) listed.set(concept, at(entry, entryOf(b, concept)));
  for (const [concept, entry] of b.listed) if (!a.listed.has(concept)) listed.set(concept, at(entryOf(a, concept), entry));
  return { rest: both ? a.rest && b.rest : a.rest || b.rest, listed };
}

export function intersect(a: ConceptSelection, b: ConceptSelection): ConceptSelection {
  return combine(a, b, true);
}

export function unite(a: ConceptSelection, b: ConceptSelection): ConceptSelection {
  return combine(a, b, false);
}

export function subtract(a: ConceptSelection, b: ConceptSelection): ConceptSelection {
  return combine(a, complement(b), true);
}

/** The concepts a leaf selects by itself, each for that leaf. */
export function leafSelection(leaf: ConceptLeaf, concepts: Iterable<string>): ConceptSelection {
  const why = new Set([leaf.id]);
  const listed = new Map<string, ConceptEntry>();
  for (const c of concepts) listed.set(c, { selected: true, why });
  return { rest: false, listed };
}

/**
 * An ECL code set as a selection, against the terminology. Each concept written becomes a leaf
 * (`newLeaf`), spanning the <<, <, ^ applied to it; a concept reached through the hierarchy or a
 * refset carries the leaves that reached it, and a concept removed by MINUS carries the leaves
 * that removed it.
 */
export function eclSelection(ecl: Ecl, index: CodeSetIndex, newLeaf: (leaf: Omit<ConceptLeaf, 'id'>) => ConceptLeaf): ConceptSelection {
  const visit = (node: Ecl, focus: Span | undefined): ConceptSelection => {
    switch (node.kind) {
      case 'concept': {
        const span = focus ?? node.span;
        const leaf = newLeaf({ kind: 'concept', concept: node.id, ...(span ? { span } : {}) });
        return leafSelection(leaf, [node.id]);
      }
      case 'descendantOrSelf':
      case 'descendant':
      case 'memberOf': {
        const operand = visit(node.operand, focus ?? node.span);
        // ECL has no complement: an operand is always a finite set.
        if (operand.rest) throw new Error('internal: an ECL operand selects everything');
        const reach = (c: string): Iterable<string> =>
          node.kind === 'memberOf' ? index.members(c) : node.kind === 'descendant' ? index.descendants(c) : [c, ...index.descendants(c)];
        const listed = new Map<string, ConceptEntry>();
        for (const [concept, entry] of operand.listed) {
          if (!entry.selected) continue;
          for (const r of reach(concept)) {
            const before = listed.get(r);
            listed.set(r, { selected: true, why: before ? union(before.why, entry.why) : entry.why });
          }
        }
        // A concept kept out of the operand for a reason keeps what it would have reached out for that reason.
        for (const [concept, entry] of operand.listed) {
          if (entry.selected || entry.why.size === 0) continue;
          for (const r of reach(concept)) {
            const before = listed.get(r);
            if (before?.selected) continue;
            listed.set(r, { selected: false, why: before ? union(before.why, entry.why) : entry.why });
          }
        }
        return { rest: false, listed };
      }
      case 'or':
        return unite(visit(node.left, undefined), visit(node.right, undefined));
      case 'and':
        return intersect(visit(node.left, undefined), visit(node.right, undefined));
      case 'minus':
        return subtract(visit(node.left, undefined), visit(node.right, undefined));
    }
  };
  return visit(ecl, undefined);
}
