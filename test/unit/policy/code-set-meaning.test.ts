import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { findTable } from '../../../src/catalogue/catalogue.js';
import { referenceCatalogue } from '../../../src/catalogue/load-catalogue.js';
import type { Diagnostic } from '../../../src/diagnostics/diagnostic.js';
import type { IrExpr } from '../../../src/ir/expression.js';
import { parseExpressionText } from '../../../src/parse/parse-expression.js';
import { ruleCatalogue } from '../../../src/pipeline/lint-definition.js';
import { codeSetMeaning, type CodeColumnSelection } from '../../../src/policy/code-set-meaning.js';
import { loadCodeSetIndex, type CodeSetIndex } from '../../../src/policy/code-sets.js';
import { complement, entryOf, intersect, leafSelection, NOTHING, subtract, unite, type ConceptLeaf } from '../../../src/policy/concept-selection.js';
import { loadPolicy } from '../../../src/policy/policy.js';
import { resolveExpression } from '../../../src/resolve/resolve-expression.js';
import { sourceFile, spanOf } from '../../../src/source/source-file.js';

/**
 * The evaluator behind sensitive-codes: what each code column test selects, read through the
 * boolean structure, with the written parts (leaves) that put each concept in or kept it out.
 * Facts of the sample terminology: 86406008 HIV infection has one child, 62479008 AIDS; the
 * hiv_sti refset 999004381000000103 holds both, 165816005, three STIs and one dm+d product.
 */

const catalogue = referenceCatalogue();
let index: CodeSetIndex;
beforeAll(async () => {
  index = (await loadCodeSetIndex(loadPolicy(ruleCatalogue).policy!.sensitiveCodeSets)).index!;
});

function resolve(text: string, table = 'observation'): IrExpr {
  const file = sourceFile('t', text);
  const { expression, diagnostics } = parseExpressionText(text, (s, e) => spanOf(file, s, e + 1));
  const problems: Diagnostic[] = [...diagnostics];
  const resolved = expression ? resolveExpression({ catalogue, diagnostics: problems }, findTable(catalogue, table)!, expression) : undefined;
  expect(problems.map((d) => d.message), text).toEqual([]);
  return resolved!;
}

function meaning(text: string, role: 'filter' | 'field' = 'filter', table = 'observation'): CodeColumnSelection[] {
  return codeSetMeaning(resolve(text, table), index, role);
}

/** The concepts selected (sorted), or `all but ...` after a complement. */
function selected(s: CodeColumnSelection): string {
  const listed = [...s.selection.listed].filter(([, e]) => e.selected === !s.selection.rest).map(([c]) => c).sort();
  return s.selection.rest ? `all but ${listed.join(' ')}` : listed.join(' ');
}

/** The text of each leaf that put a concept in. */
function why(text: string, s: CodeColumnSelection, concept: string): string[] {
  const leaves = new Map(s.leaves.map((l) => [l.id, l]));
  return [...entryOf(s.selection, concept).why].map((id) => {
    const leaf = leaves.get(id)!;
    return text.slice(leaf.span!.start.offset, leaf.span!.end.offset);
  });
}

const HIV = '62479008 86406008';

describe('the selection algebra', () => {
  const leaf = (id: number): ConceptLeaf => ({ id, kind: 'concept', concept: String(id) });
  const a = leafSelection(leaf(1), ['x', 'y']);
  const b = leafSelection(leaf(2), ['y', 'z']);

  it('unites, intersects and subtracts pointwise, keeping the reasons that decide each concept', () => {
    expect([...unite(a, b).listed].filter(([, e]) => e.selected).map(([c]) => c).sort()).toEqual(['x', 'y', 'z']);
    expect([...entryOf(unite(a, b), 'y').why].sort()).toEqual([1, 2]);
    expect([...intersect(a, b).listed].filter(([, e]) => e.selected).map(([c]) => c)).toEqual(['y']);
    const minus = subtract(a, b);
    expect(entryOf(minus, 'x')).toEqual({ selected: true, why: new Set([1]) });
    // y is out because b took it out: the reason is b's leaf.
    expect(entryOf(minus, 'y')).toEqual({ selected: false, why: new Set([2]) });
  });

  it('a complement selects what was not listed, and turns reasons to be out into reasons to be in', () => {
    const c = complement(subtract(a, b));
    expect(entryOf(c, 'y')).toEqual({ selected: true, why: new Set([2]) });
    expect(entryOf(c, 'anything').selected).toBe(true);
    expect(entryOf(complement(c), 'anything').selected).toBe(false);
    expect(entryOf(NOTHING, 'x').selected).toBe(false);
  });
});

describe('code set meaning', () => {
  it('evaluates ECL at any depth: a refset in the operand of <<, an OR inside MINUS', () => {
    const [s] = meaning('code in << (^ 999004381000000103)');
    expect(selected(s!)).toBe('105629000 15628003 165816005 62479008 76272004 86406008 999900221000000108');
    const text = 'code in ((<< 73211009 OR << 86406008) MINUS 62479008)';
    const [m] = meaning(text);
    expect(selected(m!)).toBe('313436004 44054006 46635009 73211009 86406008');
    expect(why(text, m!, '86406008')).toEqual(['<< 86406008']);
    // AIDS is out, because of the concept written after MINUS.
    expect(entryOf(m!.selection, '62479008').selected).toBe(false);
    expect(why(text, m!, '62479008')).toEqual(['62479008']);
  });

  it('a concept reached through a refset or the hierarchy carries the concept written, with its operator', () => {
    const text = 'code in ^ (999004381000000103 OR 999900021000000103)';
    const [s] = meaning(text);
    expect(why(text, s!, '165816005')).toEqual(['999004381000000103']);
    expect(why(text, s!, '73211009')).toEqual(['999900021000000103']);
    const nested = 'code in < (73211009 OR 118199002)';
    expect(why(nested, meaning(nested)[0]!, '38628009')).toEqual(['118199002']);
  });

  it('AND keeps the reasons of both sides', () => {
    const text = 'code in (<< 64572001 AND ^ 999004381000000103)';
    const [s] = meaning(text);
    expect(selected(s!)).toBe('105629000 15628003 62479008 76272004 86406008');
    expect(why(text, s!, '86406008').sort()).toEqual(['<< 64572001', '^ 999004381000000103']);
  });

  it('reads not, not in, <> and double negation as the rows are finally wanted', () => {
    expect(selected(meaning('code not in << 86406008')[0]!)).toBe(`all but ${HIV}`);
    expect(selected(meaning('not (code not in << 86406008)')[0]!)).toBe(HIV);
    expect(selected(meaning('not not code in << 86406008')[0]!)).toBe(HIV);
    expect(selected(meaning('not (code <> 86406008)')[0]!)).toBe('86406008');
    expect(selected(meaning('(code <> 86406008) = false')[0]!)).toBe('86406008');
    expect(selected(meaning('(code in << 86406008) <> true')[0]!)).toBe(`all but ${HIV}`);
    // The reason survives both complements: the concept written.
    const text = 'not (code not in << 86406008)';
    expect(why(text, meaning(text)[0]!, '62479008')).toEqual(['<< 86406008']);
  });

  it('combines the tests of one column through and/or, other conditions left open', () => {
    const [s] = meaning('code in << 64572001 and not code in (<< 126877002 OR << 13645005 OR << 195967001 OR << 363346000 OR << 414916001 OR << 49601007 OR << 93461009)');
    expect(selected(s!)).toBe('105629000 15628003 40733004 62479008 64572001 76272004 86406008');
    expect(s!.tests).toBe(2);
    // An OR with a condition on another column lets every code through; the HIV ones still for their leaf.
    const text = "code in << 86406008 or effective_date >= date '2026-01-01'";
    const [o] = meaning(text);
    expect(o!.selection.rest).toBe(true);
    expect(why(text, o!, '62479008')).toEqual(['<< 86406008']);
  });

  it('reads ranges and lists of ids on code columns, on medication and referral tables too', () => {
    const [r] = meaning('code between 86405105 and 86406106');
    expect(selected(r!)).toBe('86406008');
    expect(r!.leaves[0]!.kind).toBe('range');
    expect(selected(meaning('code not between 86405105 and 86406106')[0]!)).toBe('all but 86406008');
    expect(selected(meaning('dmd_code in (999900151000000109, 999900221000000108)', 'filter', 'medication_issue')[0]!)).toBe('999900151000000109 999900221000000108');
    const [ref] = meaning('code = 714812005', 'filter', 'referral');
    expect(ref!.column).toBe('code');
    expect(selected(ref!)).toBe('714812005');
    expect(selected(meaning('86406008 = coalesce(code, 73211009)')[0]!)).toBe('86406008');
  });

  it('looks inside exists(...) at any depth, with the polarity it has there', () => {
    const found = meaning('not exists(observations where code not in << 86406008)', 'filter', 'patient');
    expect(found.map((s) => [s.rows.join('.'), s.reading, selected(s)])).toEqual([['observations', 'excluded', HIV]]);
    // Beside a not exists over the same relation, the rows looked for are those its test leaves.
    const eliminated = meaning('exists(observations where code in << 40733004) and not exists(observations where code in << 86406008)', 'filter', 'patient');
    expect(eliminated.map((s) => [s.reading, selected(s)])).toEqual([
      ['selected', '105629000 15628003 40733004 76272004'],
      ['excluded', `all but ${HIV}`],
    ]);
    const deeper = meaning('exists(consultations where exists(observations where code in << 86406008))', 'filter', 'patient');
    expect(deeper.map((s) => [s.rows.join('.'), selected(s)])).toEqual([['consultations.observations', HIV]]);
  });

  it('reads a field both ways, and a boolean in an opaque place (is null, coalesce) both ways', () => {
    expect(meaning('code <> 86406008', 'field').map(selected)).toEqual(['all but 86406008', '86406008']);
    expect(meaning('(code in << 86406008) is null').map(selected)).toEqual([HIV, `all but ${HIV}`]);
    expect(meaning('coalesce(code in << 86406008, false)', 'field').map(selected)).toEqual([HIV, `all but ${HIV}`]);
    // Two tests compared with each other: neither side's polarity is known, so each is read both ways.
    expect(meaning('(code in << 86406008) = (code in << 46635009)').map(selected)).toEqual([HIV, `all but ${HIV}`, '46635009', 'all but 46635009']);
  });

  it('sees through the same injective function on both sides (a pseudonym under the same key)', () => {
    const [s] = meaning("pseudonym(code, 'k') = pseudonym(86406008, 'k')");
    expect(s!.column).toBe('code');
    expect(selected(s!)).toBe('86406008');
    expect(selected(meaning("pseudonym(code, 'k') <> pseudonym(86406008, 'k')")[0]!)).toBe('all but 86406008');
    // The id as text, as arithmetic, under coalesce: the same constant.
    expect(selected(meaning("pseudonym(code, 'k') = pseudonym('86406008', 'k')")[0]!)).toBe('86406008');
    const sum = "pseudonym(code, 'k') = pseudonym(86406000 + 8, 'k')";
    expect(why(sum, meaning(sum)[0]!, '86406008')).toEqual(['86406000 + 8']);
    expect(selected(meaning("pseudonym(coalesce(code, 0), 'k') = pseudonym(86406008, 'k')")[0]!)).toBe('86406008');
    expect(selected(meaning("pseudonym(code, 'k') in (pseudonym(73211009, 'k'), pseudonym(165816005, 'k'))")[0]!)).toBe('165816005 73211009');
    expect(selected(meaning("pseudonym(dmd_code, 'k') = pseudonym(999900221000000108, 'k')", 'filter', 'medication_issue')[0]!)).toBe('999900221000000108');
  });

  it('a code column under a function it cannot see through may select any concept; ids written beside it are named', () => {
    const all = index.between(undefined, undefined).length;
    // Another key: a different function. Every concept may pass, 86406008 for the id written.
    const text = "pseudonym(code, 'k') = pseudonym(86406008, 'j')";
    const [s] = meaning(text);
    expect(s!.column).toBe('code');
    expect([...s!.selection.listed.values()].filter((e) => e.selected).length).toBe(all);
    expect(s!.leaves.map((l) => l.kind).sort()).toEqual(['any', 'concept']);
    expect(why(text, s!, '86406008')).toContain('86406008');
    // Under the same key it is `code = value_unit`: another column, no concept named (as `code = patient.ethnicity_code`).
    expect(meaning("pseudonym(code, 'k') = pseudonym(value_unit, 'k')")).toEqual([]);
    // Compared with another column under another function: any concept, for no concept's sake.
    const [o] = meaning("pseudonym(code, 'k') = pseudonym(value_unit, 'j')");
    expect(o!.leaves.map((l) => l.kind)).toEqual(['any']);
    expect([...o!.selection.listed.values()].filter((e) => e.selected).length).toBe(all);
    // Not injective (lower), between, ordering: read the same way.
    expect(meaning("lower(pseudonym(code, 'k')) = lower(pseudonym(86406008, 'k'))")[0]!.leaves.map((l) => l.concept ?? l.kind).sort()).toEqual(['86406008', 'any']);
    expect(meaning("pseudonym(code, 'k') between pseudonym(1, 'k') and pseudonym(86406008, 'k')")[0]!.leaves.map((l) => l.concept ?? l.kind).sort()).toEqual(['1', '86406008', 'any']);
    // Narrowed by a test the evaluator reads, on the same column.
    expect(selected(meaning("pseudonym(code, 'k') = value_unit and code in << 86406008")[0]!)).toBe(HIV);
    // The pseudonym key is a name, not a concept.
    expect(meaning("pseudonym(code, '86406008') = pseudonym(value_unit, '165816005')")[0]!.leaves.map((l) => l.kind)).toEqual(['any']);
  });

  it('leaves a test that names no concept alone', () => {
    expect(meaning('code = patient.ethnicity_code')).toEqual([]);
    expect(meaning("effective_date >= date '2026-01-01'")).toEqual([]);
  });
});

describe('concepts a record can carry', () => {
  it('leaves out the root, the metadata hierarchy, refsets and inactive concepts', () => {
    for (const id of ['138875005', '900000000000441003', '116680003', '900000000000455006', '999004381000000103', '999900021000000103', '999900031000000101', '1']) {
      expect(index.recordable(id), id).toBe(false);
    }
    for (const id of ['73211009', '86406008', '404684003', '999900221000000108']) expect(index.recordable(id), id).toBe(true);
    // 105 concepts: one inactive, the root and 14 in the metadata hierarchy.
    expect(index.recordableConcepts).toBe(89);
  });
});

describe('against a brute-force reading of the filter', () => {
  /** Atoms over the code column, and one condition on another column (u). */
  const ATOMS = [
    'code in << 64572001',
    'code in << 86406008',
    'code in ^ 999004381000000103',
    'code in (<< 40733004 MINUS 86406008)',
    'code = 73211009',
    'code <> 62479008',
    'code in (73211009, 165816005)',
    'code between 62470007 and 86406106',
    "pseudonym(code, 'k') = pseudonym(165816005, 'k')",
    "effective_date >= date '2026-01-01'",
  ];
  const formula: fc.Arbitrary<string> = fc.letrec<{ f: string }>((tie) => ({
    f: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constantFrom(...ATOMS),
      tie('f').map((a) => `not (${a})`),
      tie('f').map((a) => `(${a}) = false`),
      fc.tuple(tie('f'), tie('f')).map(([a, b]) => `(${a}) and (${b})`),
      fc.tuple(tie('f'), tie('f')).map(([a, b]) => `(${a}) or (${b})`),
    ),
  })).f;

  /** Whether the filter holds for a row with this code and this truth of the other condition. */
  function holds(node: IrExpr, code: string, other: boolean): boolean {
    switch (node.kind) {
      case 'not':
        return !holds(node.operand, code, other);
      case 'literal':
        return node.value === true;
      case 'inCodeSet':
        return index.evaluate(node.codeSet).has(code) !== node.negated;
      case 'inList':
        return node.items.some((i) => i.kind === 'literal' && i.value === code) !== node.negated;
      case 'between': {
        const [v, lo, hi] = [BigInt(code), BigInt(String((node.low as { value: string }).value)), BigInt(String((node.high as { value: string }).value))];
        return (v >= lo && v <= hi) !== node.negated;
      }
      case 'binary':
        if (node.op === 'and') return holds(node.left, code, other) && holds(node.right, code, other);
        if (node.op === 'or') return holds(node.left, code, other) || holds(node.right, code, other);
        if (node.left.type === 'boolean') return (holds(node.left, code, other) === holds(node.right, code, other)) === (node.op === '=');
        if (node.left.kind === 'column' && node.left.column === 'effective_date') return other;
        if (node.left.kind === 'call' && node.right.kind === 'call') return (String((node.right.args[0] as { value: string }).value) === code) === (node.op === '=');
        return (String((node.right as { value: string }).value) === code) === (node.op === '=');
      default:
        throw new Error(`unexpected ${node.kind}`);
    }
  }

  it('selects every concept a row can have and pass the filter (exactly, when nothing else is tested)', () => {
    const concepts = index.between(undefined, undefined);
    fc.assert(
      fc.property(formula, (text) => {
        const expression = resolve(text);
        const [s] = codeSetMeaning(expression, index, 'filter');
        const usesOther = text.includes('effective_date');
        if (!s) return; // only the other condition
        for (const code of concepts) {
          const truly = holds(expression, code, false) || holds(expression, code, true);
          const ours = entryOf(s.selection, code).selected;
          // Other conditions are left open, so the reading may select more, never less.
          if (truly) expect(ours, `${text}: ${code}`).toBe(true);
          else if (!usesOther) expect(ours, `${text}: ${code}`).toBe(false);
        }
      }),
      { numRuns: 150 },
    );
  });
});
