import { noticeProblem } from '../legal-basis.js';
import { problemSpan, quoteText, textProblems, textSimilarity, type TextKind, type TextProblem } from '../meaningful-text.js';
import type { Policy } from '../policy.js';
import type { RuleModule } from '../rule.js';

type Definition = import('../../ir/extract-definition.js').ExtractDefinition;

const REQUIRED: {
  pointer: string;
  what: string;
  present: (d: Definition) => boolean;
  text?: (d: Definition) => string | undefined;
  kind?: TextKind;
  /** A stricter check than the kind's (the notice must be a reference with a number). */
  problem?: (text: string, policy: Policy) => TextProblem | undefined;
}[] = [
  { pointer: '/intended_use', what: 'the intended use of the data (intended_use)', present: (d) => !!d.intendedUse?.trim(), text: (d) => d.intendedUse, kind: 'statement' },
  { pointer: '/legal_basis/article_6', what: 'the UK GDPR Article 6 lawful basis (legal_basis.article_6)', present: (d) => !!d.legalBasis.article6?.trim(), text: (d) => d.legalBasis.article6, kind: 'reference' },
  { pointer: '/legal_basis/article_9', what: 'the UK GDPR Article 9 condition for health data (legal_basis.article_9)', present: (d) => !!d.legalBasis.article9?.trim(), text: (d) => d.legalBasis.article9, kind: 'reference' },
  { pointer: '/legal_basis/statement', what: 'a statement of the legal basis and purpose (legal_basis.statement)', present: (d) => !!d.legalBasis.statement?.trim(), text: (d) => d.legalBasis.statement, kind: 'statement' },
  { pointer: '/dpia', what: 'the DPIA reference (dpia)', present: (d) => !!d.dpia?.trim(), text: (d) => d.dpia, kind: 'reference' },
  { pointer: '/risk/singling_out', what: 'a statement on the risk of singling out (risk.singling_out)', present: (d) => !!d.risk.singlingOut?.trim(), text: (d) => d.risk.singlingOut, kind: 'statement' },
  { pointer: '/risk/linkability', what: 'a statement on the risk of linkability (risk.linkability)', present: (d) => !!d.risk.linkability?.trim(), text: (d) => d.risk.linkability, kind: 'statement' },
  { pointer: '/review/last_reviewed', what: 'the date of the last review (review.last_reviewed)', present: (d) => !!d.review.lastReviewed },
  { pointer: '/review/reviewer', what: 'who reviewed it (review.reviewer)', present: (d) => !!d.review.reviewer?.trim(), text: (d) => d.review.reviewer, kind: 'name' },
  {
    pointer: '/legal_basis/data_provision_notice',
    what: 'the statutory data provision notice (legal_basis.data_provision_notice)',
    present: () => true,
    text: (d) => d.legalBasis.dataProvisionNotice,
    kind: 'reference',
    // The notice unlocks identifiers, the Type 1 override and the National Data Opt-out (legal-basis.ts statutoryNotice).
    problem: (text, policy) => (text.trim() ? noticeProblem(text, policy) : textProblems(text, 'reference', policy)[0]),
  },
];

/** Statements that each say a different thing: one pasted into another says nothing new. */
const DISTINCT: [string, string][] = [
  ['/risk/singling_out', '/risk/linkability'],
  ['/intended_use', '/risk/singling_out'],
  ['/intended_use', '/risk/linkability'],
  ['/legal_basis/statement', '/risk/singling_out'],
  ['/legal_basis/statement', '/risk/linkability'],
];

export const governanceComplete: RuleModule = {
  meta: {
    id: 'governance-complete',
    category: 'governance',
    description: 'A definition states its intended use, legal basis (Articles 6 and 9 and a statement), DPIA, singling-out and linkability statements, and its last review.',
    rationale:
      'The IM1 Data Protection Policy, "Data Protection Obligations": all consumers must "provide a definition of the intended use of the data", "outline the legal basis for extraction", "provide a DPIA", and "give special consideration to, and provide a statement on the risk of a) singling out b) linkability". Extracts are reviewed every 3 months (IM1 contractual standard im1_bulk_001).',
    source: 'IM1 Data Protection Policy (Data Protection Obligations; Anonymisation & Minimisation)',
    triggers:
      'Any of intended_use, legal_basis.article_6, legal_basis.article_9, legal_basis.statement, dpia, risk.singling_out, risk.linkability, review.last_reviewed or review.reviewer is missing or blank; or, as a reader sees it (hidden characters removed, look-alike letters folded), is a placeholder (n/a, TBC, none, "-", TODO..., a <...> or [insert ...] slot), hides zero-width, invisible or bidirectional-control characters, is a stock phrase, lorem ipsum or keyboard mashing; or a statement (intended use, legal basis statement, risk statements) is shorter than statement_min_length (30) characters, has fewer than statement_min_words (5) distinct real words or repeats itself; or a reference (dpia, the Article 6 and 9 conditions, data_provision_notice) names no document (no number and fewer than three words), says the document does not exist yet (pending, awaiting, requested, applied for, application, draft, proposed, submitted, in progress, to be ..., not yet, to follow, TBC) or points elsewhere (see ...); or a data_provision_notice has no reference number (an invalid notice also counts as none for direct-identifiers-need-basis, type1-opt-out and national-data-opt-out); or any of these texts starts with a placeholder (N/A ..., TBC ..., "- ...") or puts off saying it (to be confirmed, not yet, will be provided in a later version, ... later); or the reviewer names nobody (Nobody yet, unknown, vacant, to be appointed); or a risk statement is a near copy (near_duplicate_similarity) of the other risk statement, the intended use or the legal basis statement.',
    defaultSeverity: 'error',
    hard: false,
    messages: {
      missing: 'the governance of this extract is missing {what}',
      placeholder: 'the governance of this extract has a placeholder for {what}: "{text}"',
      placeholderWhy: 'the governance of this extract has a placeholder for {what}: "{text}" {detail}',
      meaningless: 'the governance of this extract does not state {what}: "{text}" {detail}',
      duplicate: 'the governance of this extract repeats {other} as {what}: each states a different thing',
    },
    optionSchema: {
      type: 'object',
      properties: { statement_min_length: { type: 'integer' }, statement_min_words: { type: 'integer' }, near_duplicate_similarity: { type: 'number' } },
    },
    examples: {
      failing: { yaml: 'risk:\n  singling_out: Year of birth and district only; groups are large.', note: 'No linkability statement.' },
      passing: {
        yaml: 'risk:\n  singling_out: Year of birth and district only; groups are large.\n  linkability: The pseudonym is keyed per recipient, so feeds cannot be joined.',
      },
    },
  },
  check({ definition, policy, report, spanAt }) {
    for (const item of REQUIRED) {
      const text = item.text?.(definition);
      const problem = text === undefined || !item.kind ? undefined : item.problem ? item.problem(text, policy) : textProblems(text, item.kind, policy)[0];
      const written = item.pointer.slice(1).replace('/', '.');
      if (problem && problem.kind !== 'blank') {
        const span = problemSpan(definition, item.pointer, problem, (p) => definition.source.spans[p]);
        const placeholder = problem.kind === 'placeholder';
        report({
          messageId: placeholder ? (problem.phrase ? 'placeholderWhy' : 'placeholder') : 'meaningless',
          params: { what: item.what, text: quoteText(text!), detail: `(${problem.detail})` },
          ...(span ? { span } : {}),
          hints: [problem.kind === 'hidden' ? 'retype the text without the hidden characters' : placeholder ? `replace the placeholder with the real ${written}` : `write the real ${written}: what a reviewer can check`],
        });
        continue;
      }
      if (item.present(definition) && problem?.kind !== 'blank') continue;
      // Where the value is (blank), else where its block is, else the governance block's first key.
      const span = definition.source.spans[item.pointer] ?? definition.source.keySpans[item.pointer.split('/').slice(0, 2).join('/')] ?? spanAt('/use_case', 'key');
      report({ messageId: 'missing', params: { what: item.what }, ...(span ? { span } : {}), hints: [`add ${written} to the definition`] });
    }
    const texts = new Map(REQUIRED.filter((r) => r.kind === 'statement').map((r) => [r.pointer, { what: r.what, text: r.text?.(definition)?.trim() }]));
    for (const [first, second] of DISTINCT) {
      const a = texts.get(first);
      const b = texts.get(second);
      if (!a?.text || !b?.text) continue;
      if (textSimilarity(a.text, b.text) < policy.thresholds.nearDuplicateSimilarity) continue;
      const span = definition.source.spans[second];
      report({ messageId: 'duplicate', params: { what: b.what, other: a.what }, ...(span ? { span } : {}), hints: [`write ${second.slice(1).replace('/', '.')} for what it asks`] });
    }
  },
};
