import type { Ecl, IrExpr } from '../../ir/expression.js';
import type { Span } from '../../source/source-file.js';
import type { CodeSetIndex } from '../code-sets.js';
import { codeSetMeaning, coverSpans, type CodeColumnSelection } from '../code-set-meaning.js';
import type { ConceptLeaf } from '../concept-selection.js';
import { expressionSites } from '../expression-sites.js';
import type { Finding, RuleModule } from '../rule.js';

/** Which sensitive sets each concept is in, and the concepts the policy's sets are written with. */
interface Sensitivity {
  setsOf: Map<string, string[]>;
  /** Concept ids written in the sensitive sets' ECL (refsets, hierarchy roots): naming one names the set. */
  written: Set<string>;
}

function sensitivity(index: CodeSetIndex): Sensitivity {
  const setsOf = new Map<string, string[]>();
  const written = new Set<string>();
  // Only what a set is made of: not what MINUS takes out of it, nor either side of an AND that only narrows it.
  const walk = (ecl: Ecl): void => {
    if (ecl.kind === 'concept') written.add(ecl.id);
    else if ('operand' in ecl) walk(ecl.operand);
    else if (ecl.kind === 'or') {
      walk(ecl.left);
      walk(ecl.right);
    } else if (ecl.kind === 'minus') walk(ecl.left);
  };
  for (const { set, concepts } of index.sensitive) {
    walk(set.ecl);
    for (const c of concepts) setsOf.set(c, [...(setsOf.get(c) ?? []), set.name]);
  }
  return { setsOf, written };
}

/** One finding before it is reported: what, where and which set (findings are merged by place and set). */
interface Judged {
  messageId: 'asks' | 'mostly' | 'negated' | 'broad';
  set?: string;
  sets?: string[];
  count?: number;
  remaining?: number;
  span?: Span;
}

/**
 * The decision on one selection of a code column: the set asks for sensitive concepts when a
 * concept or range the definition wrote puts a sensitive concept in it (whatever else surrounds
 * it), or when it holds sensitive concepts and too few others (the policy's
 * code_set_min_remaining, and at least as many as the sensitive ones); a written sensitive part
 * that only keeps sensitive concepts out has no effect; a broad set that holds some is information.
 */
function judge(selection: CodeColumnSelection, index: CodeSetIndex, known: Sensitivity, minimum: number): Judged[] {
  const leaves = new Map(selection.leaves.map((l) => [l.id, l]));
  const names = (leaf: ConceptLeaf | undefined): boolean =>
    leaf !== undefined && (leaf.kind === 'range' || known.setsOf.has(leaf.concept!) || known.written.has(leaf.concept!));
  const asks = new Map<number, Set<string>>();
  const unattributed = new Map<string, string[]>();
  const { listed, rest } = selection.selection;
  for (const [concept, entry] of listed) {
    const sets = known.setsOf.get(concept);
    if (!entry.selected || !sets) continue;
    const namers = [...entry.why].filter((id) => names(leaves.get(id)));
    if (namers.length === 0) unattributed.set(concept, sets);
    for (const id of namers) {
      const named = asks.get(id) ?? new Set<string>();
      for (const set of sets) named.add(set);
      asks.set(id, named);
    }
  }
  // After a complement every concept not written is selected, for no reason of the definition's.
  if (rest) for (const [concept, sets] of known.setsOf) if (!listed.has(concept)) unattributed.set(concept, sets);

  const judged: Judged[] = [];
  for (const [id, sets] of asks) {
    const leaf = leaves.get(id)!;
    for (const set of sets) judged.push({ messageId: 'asks', set, ...(leaf.span ? { span: leaf.span } : {}) });
  }
  // Keeping some of a set out of a selection that asks for the set anyway is part of the ask, not an exclusion.
  const asked = new Set([...asks.values()].flatMap((sets) => [...sets]));
  for (const leaf of selection.leaves) {
    if (!names(leaf) || asks.has(leaf.id)) continue;
    const keptOut = [...listed].filter(([, entry]) => !entry.selected && entry.why.has(leaf.id)).map(([concept]) => known.setsOf.get(concept));
    if (keptOut.length === 0 || keptOut.some((sets) => sets === undefined)) continue;
    for (const set of new Set(keptOut.flat() as string[])) if (!asked.has(set)) judged.push({ messageId: 'negated', set, ...(leaf.span ? { span: leaf.span } : {}) });
  }
  if (asks.size > 0 || unattributed.size === 0) return judged;

  // Only concepts a record can carry count: metadata, refset and inactive concepts pad nothing.
  const active = (c: string) => index.recordable(c);
  const sensitiveOf = (concepts: Iterable<string>) => new Map([...concepts].flatMap((c) => (known.setsOf.has(c) ? [[c, known.setsOf.get(c)!] as const] : [])));
  const tooFew = (remaining: number, sensitive: number) => remaining < Math.max(minimum, sensitive);
  const mostly = (sensitive: Map<string, string[]>, remaining: number, span: Span | undefined): Judged[] =>
    [...new Set([...sensitive.values()].flat())].map((set) => ({
      messageId: 'mostly' as const,
      set,
      count: [...sensitive.values()].filter((s) => s.includes(set)).length,
      remaining,
      ...(span ? { span } : {}),
    }));

  // Each written part on its own: `<< 40733004 OR << 73211009` pads a sliver with an honest set.
  const reached = new Map<number, string[]>();
  for (const [concept, entry] of listed) {
    if (!entry.selected) continue;
    for (const id of entry.why) {
      const list = reached.get(id);
      if (list) list.push(concept);
      else reached.set(id, [concept]);
    }
  }
  const slivers = new Map<string, { leaves: ConceptLeaf[]; sensitive: Map<string, string[]>; remaining: number }>();
  for (const [id, concepts] of reached) {
    const sensitive = sensitiveOf(concepts);
    const remaining = concepts.filter((c) => !known.setsOf.has(c) && active(c)).length;
    if (sensitive.size === 0 || !tooFew(remaining, sensitive.size)) continue;
    // Parts that reach the same concepts (both sides of an AND) are one finding, over both.
    const key = [...concepts].sort().join(' ');
    const group = slivers.get(key) ?? { leaves: [], sensitive, remaining };
    group.leaves.push(leaves.get(id)!);
    slivers.set(key, group);
  }
  for (const group of slivers.values()) {
    // A test lint cannot read (`any`) is blamed only when nothing written is.
    const written = group.leaves.filter((l) => l.kind !== 'any');
    const blamed = written.length > 0 ? written : group.leaves;
    judged.push(...mostly(group.sensitive, group.remaining, coverSpans(blamed.flatMap((l) => (l.span ? [l.span] : [])))));
  }
  if (slivers.size > 0) return judged;

  // The set as a whole: a complement or a combination of tests can leave a sliver no part holds.
  const sensitive = [...unattributed.keys()].filter(active).length;
  let remaining: number;
  if (rest) {
    const out = [...listed].filter(([c, entry]) => !entry.selected && active(c)).length;
    remaining = index.recordableConcepts - out - sensitive;
  } else {
    remaining = [...listed].filter(([c, entry]) => entry.selected && !known.setsOf.has(c) && active(c)).length;
  }
  if (tooFew(remaining, sensitive)) judged.push(...mostly(unattributed, remaining, selection.span));
  else if (!rest) judged.push({ messageId: 'broad', sets: [...new Set([...unattributed.values()].flat())], count: unattributed.size, ...(selection.span ? { span: selection.span } : {}) });
  return judged;
}

const RANK: Record<Judged['messageId'], number> = { asks: 3, mostly: 2, negated: 1, broad: 0 };

/** Text as compared with a sensitive term: lower case, every run of punctuation or spacing one space. */
function normaliseTerm(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
}

/**
 * The sensitive terms a text literal holds, with their set: each term as whole words, and a term of
 * several words also written without its spaces ('SexualHealth', 's-e-x-u-a-l health').
 */
function termsIn(literal: string, terms: readonly { set: string; term: string }[]): { set: string; term: string }[] {
  const text = ` ${normaliseTerm(literal)} `;
  const compact = text.replace(/ /g, '');
  return terms.filter(({ term }) => text.includes(` ${term} `) || (term.includes(' ') && compact.includes(term.replace(/ /g, ''))));
}

/** Whether a text column is read in the expression (outside exists bodies). */
function readsText(e: IrExpr): boolean {
  if (e.kind === 'column') return e.type === 'text';
  if (e.kind === 'exists') return false;
  return childrenOf(e).some(readsText);
}

function childrenOf(e: IrExpr): IrExpr[] {
  switch (e.kind) {
    case 'call':
      return e.args;
    case 'not':
    case 'negate':
    case 'isNull':
    case 'inCodeSet':
      return [e.operand];
    case 'binary':
      return [e.left, e.right];
    case 'inList':
      return [e.operand, ...e.items];
    case 'between':
      return [e.operand, e.low, e.high];
    default:
      return [];
  }
}

/**
 * Text literals naming a sensitive category that a text column is tested for, where the rows
 * wanted are those that match (a field shows its test both ways): `lower(target_service) in
 * ('sexual health', ...)`. `not in`, `<>` and not read as they are finally wanted.
 */
function sensitiveTextTests(expression: IrExpr, role: 'filter' | 'field', terms: readonly { set: string; term: string }[]): { set: string; term: string; span?: Span }[] {
  const found: { set: string; term: string; span?: Span }[] = [];
  const both = new Set<number>([1, -1]);
  const flip = (p: ReadonlySet<number>) => new Set([...p].map((x) => -x));
  const literalHits = (items: IrExpr[], positive: boolean | undefined, pols: ReadonlySet<number>) => {
    if (positive !== undefined && !pols.has(positive ? 1 : -1)) return;
    for (const item of items) {
      if (item.kind !== 'literal' || typeof item.value !== 'string') continue;
      for (const hit of termsIn(item.value, terms)) found.push({ ...hit, ...(item.span ? { span: item.span } : {}) });
    }
  };
  const scan = (node: IrExpr, pols: ReadonlySet<number>): void => {
    switch (node.kind) {
      case 'not':
        return scan(node.operand, flip(pols));
      case 'exists':
        if (node.where) scan(node.where, pols);
        return;
      case 'inList':
        if (readsText(node.operand)) literalHits(node.items, !node.negated, pols);
        return [node.operand, ...node.items].forEach((c) => scan(c, both));
      case 'between':
        if (readsText(node.operand)) literalHits([node.low, node.high], undefined, pols);
        return [node.operand, node.low, node.high].forEach((c) => scan(c, both));
      case 'binary': {
        if (node.op === 'and' || node.op === 'or') {
          scan(node.left, pols);
          return scan(node.right, pols);
        }
        if ((node.op === '=' || node.op === '<>') && node.left.type === 'boolean') {
          const literal = node.left.kind === 'literal' ? node.left : node.right.kind === 'literal' ? node.right : undefined;
          const other = literal === node.left ? node.right : node.left;
          if (literal && typeof literal.value === 'boolean') return scan(other, (node.op === '=') === literal.value ? pols : flip(pols));
          scan(node.left, both);
          return scan(node.right, both);
        }
        if (['=', '<>', '<', '<=', '>', '>='].includes(node.op)) {
          const positive = node.op === '=' ? true : node.op === '<>' ? false : undefined;
          if (readsText(node.left)) literalHits([node.right], positive, pols);
          if (readsText(node.right)) literalHits([node.left], positive, pols);
        }
        scan(node.left, both);
        return scan(node.right, both);
      }
      default:
        for (const c of childrenOf(node)) scan(c, both);
    }
  };
  scan(expression, role === 'field' ? both : new Set([1]));
  return found;
}

export const sensitiveCodes: RuleModule = {
  meta: {
    id: 'sensitive-codes',
    category: 'sensitive-codes',
    description:
      "A definition does not ask for the policy's sensitive codes (gender reassignment, sexuality, HIV/STI, termination of pregnancy, assisted fertilisation) unless an exemption names the set and a legal basis; they are excluded at run time whatever the filter says.",
    rationale:
      'The IM1 Data Protection Policy: "Unless there is a clear legal basis, the following information is not available via bulk extracts": gender reassignment (refsets 999004351000000109, 1955851000000101), sexuality (descendants of 118199002, 365957000, 118200004, 171023003), HIV status (refset 999004381000000103) and the RCGP sensitive dataset (termination of pregnancy, assisted fertilisation). "Without an explicit justification, no sensitive medical records will be included (e.g. codes on RCGP exclusion lists)" (NHS Act 2006 s251). The sets are data, in the policy file. A set is judged by what it selects, not how it is written: hiding a sensitive set inside an OR under MINUS, in the operand of ^ or <<, behind a double negation or in a range of ids selects the same concepts. A broad set whose non-sensitive part is a sliver (fewer than code_set_min_remaining concepts, or fewer than the sensitive ones) is a sensitive set in disguise.',
    source: 'IM1 Data Protection Policy (sensitive medical records; information not available via bulk extracts)',
    triggers:
      "Lint reads every test of a code column (observation and referral `code`, medication_issue `dmd_code`, in the population filter, dataset filters, fields and exists(...) at any depth) as the set of concepts it selects in the loaded terminology: ECL at any depth (<<, <, ^ with parenthesised operands, AND, OR, MINUS), `in (...)` lists, `=` and `<>`, `between` (a range selects every known concept id in it), the same injective function on both sides of `=` (`pseudonym(code, 'k') = pseudonym(86406008, 'k')` is `code = 86406008`; the id may be text or arithmetic), combined through and, or, not, `not in`, `<>`, `= false` and double negation, as the rows are finally wanted (`exists(r where P) and not exists(r where Q)` looks for rows of P left after Q). An error when a concept or range the definition wrote (a sensitive concept, a policy refset or hierarchy root, or any range) puts a sensitive concept in the selected set, or when the set holds sensitive concepts and, without them, keeps fewer than thresholds.code_set_min_remaining (5) active concepts or fewer than the sensitive ones it holds (`<< X MINUS << Y` leaving a sliver); only concepts a record can carry count (active, not the root, the metadata hierarchy under 900000000000441003 or a reference set), so a complement padded with metadata is still a sliver. A code column under a function lint cannot see through (another pseudonym key, lower(...), an ordering of hashes) may select any concept: judged as a broad set, except that every concept id written on the other side of the comparison is asked for. The same categories in uncoded text: a text column (a referral's target_service, an appointment's slot type or clinician role, a consultation's type) compared with a literal holding one of the policy's sensitive_terms ('sexual health', 'GUM', 'IVF'; case, spacing and punctuation ignored, whole words, a phrase also without its spaces), where the matching rows are wanted, is an error: it asks for the category. Whatever a filter writes (a range, a prefix, a case change), the run removes every row whose text in a column the catalogue marks sensitive_terms holds such a term (look-alike letters of other scripts read as Latin, accents and invisible characters dropped; a text still holding a letter beyond plain Latin is treated as naming one: the guard fails closed), at any depth, as it removes sensitive codes. A field shows its test both ways, so it is read both ways. Information when a broad set merely contains sensitive descendants. A warning when a written sensitive part only keeps sensitive codes out, as it has no effect.",
    defaultSeverity: 'error',
    hard: false,
    optionSchema: { type: 'object', properties: { code_set_min_remaining: { type: 'integer', minimum: 1 } } },
    messages: {
      asks: 'this code set asks for {title} codes (sensitive set `{set}`), which are never extracted without an exemption naming the set and its legal basis',
      mostly:
        'this code set holds {count} {title} concept{plural} (sensitive set `{set}`) and only {remaining} {others} besides sensitive ones: what it asks for is the sensitive codes, which are never extracted without an exemption naming the set and its legal basis',
      broad: '{count} concept{plural} of this code set {verb} sensitive ({sets}) and will be excluded at run time',
      term: "this tests uncoded text for '{term}', which names {title} (sensitive set `{set}`, policy sensitive_terms): it asks for the sensitive category without a code (the run removes every row whose text names it, so it would select nothing); it needs an exemption naming the set and its legal basis",
      negated: 'excluding {title} codes (sensitive set `{set}`) has no effect: they are removed at run time whatever a filter says, so this filter excludes nobody because of them',
    },
    examples: {
      failing: {
        yaml: "datasets:\n  - name: readings\n    from: observation\n    where: not (code not in ((<< 73211009 |Diabetes mellitus| OR ^ 999004381000000103) MINUS << 44054006))\n    fields:\n      - name: condition_code\n        value: code\n        justification: Identifies the condition recorded.",
        note: 'The HIV/STI refset is hidden inside an OR under MINUS, behind a double negation: lint reads the set by the concepts it selects, and reports the refset written.',
      },
      passing: {
        yaml: "datasets:\n  - name: readings\n    from: observation\n    where: code in << 73211009 |Diabetes mellitus|\n    fields:\n      - name: condition_code\n        value: code\n        justification: Identifies the condition recorded.",
      },
    },
  },
  check({ definition, codeSets, report, policy }) {
    // "Sexuality" reads as "sexuality" mid-sentence; "HIV status" keeps its capitals.
    const titles = new Map(policy.sensitiveCodeSets.map((s) => [s.name, /^[A-Z][a-z]/.test(s.title) ? s.title[0]!.toLowerCase() + s.title.slice(1) : s.title]));
    const known = sensitivity(codeSets);
    const terms = Object.entries(policy.sensitiveTerms ?? {}).flatMap(([set, list]) => list.map((t) => ({ set, term: normaliseTerm(t) }))).filter((t) => t.term.length > 0);
    const minimum = policy.thresholds.codeSetMinRemaining;
    for (const site of expressionSites(definition)) {
      // A field is read both ways, and one written part can be judged from several readings: keep
      // the strongest finding for each place and set.
      const found = new Map<string, Judged>();
      for (const selection of codeSetMeaning(site.expression, codeSets, site.role)) {
        for (const j of judge(selection, codeSets, known, minimum)) {
          const key = `${j.span?.start.offset ?? ''}:${j.span?.end.offset ?? ''}|${j.set ?? ''}`;
          const before = found.get(key);
          if (!before || RANK[j.messageId] > RANK[before.messageId]) found.set(key, j);
        }
      }
      const inOrder = [...found.values()].sort((a, b) => (a.span?.start.offset ?? -1) - (b.span?.start.offset ?? -1));
      for (const j of inOrder) report(finding(j, titles));
      // The same categories asked for in uncoded text (the run removes such rows too, but asking is the finding).
      const seen = new Set<string>();
      for (const hit of sensitiveTextTests(site.expression, site.role, terms)) {
        const key = `${hit.span?.start.offset ?? ''}|${hit.set}`;
        if (seen.has(key)) continue;
        seen.add(key);
        report({
          messageId: 'term',
          params: { term: hit.term, set: hit.set, title: titles.get(hit.set) ?? hit.set },
          ...(hit.span ? { span: hit.span } : {}),
          scope: { codeSet: hit.set },
          hints: ['remove this test, or add an exemption the policy allows for the set; terms are listed under sensitive_terms in the policy'],
        });
      }
    }
  },
};

function finding(j: Judged, titles: Map<string, string>): Finding {
  const at: Partial<Finding> = j.span ? { span: j.span } : {};
  const set = j.set ?? '';
  const title = titles.get(set) ?? set;
  const exemption = `remove these codes, or add an exemption the policy allows: { rule: sensitive-codes, code_set: ${set}, datasets: [...], legal_basis: { article_6: ..., article_9: ..., notice or approval: ... }, justification: ..., expires: YYYY-MM-DD }`;
  switch (j.messageId) {
    case 'asks':
      return { messageId: 'asks', params: { set, title }, ...at, scope: { codeSet: set }, hints: [exemption] };
    case 'mostly': {
      const count = j.count ?? 0;
      const remaining = j.remaining ?? 0;
      return {
        messageId: 'mostly',
        params: { set, title, count, plural: count === 1 ? '' : 's', remaining, others: remaining === 1 ? 'other concept' : 'other concepts' },
        ...at,
        scope: { codeSet: set },
        hints: [exemption, 'a broad set keeps at least thresholds.code_set_min_remaining other concepts, and as many as the sensitive ones it holds'],
      };
    }
    case 'negated':
      return { messageId: 'negated', params: { set, title }, ...at, severity: 'warning', hints: ['remove the condition: exdef keeps sensitive codes out of every extract on its own'] };
    case 'broad': {
      const count = j.count ?? 0;
      return { messageId: 'broad', params: { count, plural: count === 1 ? '' : 's', verb: count === 1 ? 'is' : 'are', sets: (j.sets ?? []).join(', ') }, ...at, severity: 'info' };
    }
  }
}
