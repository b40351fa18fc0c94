import type { RuleModule } from '../rule.js';
import { isPlaceholder } from './justification-meaningful.js';

type Definition = import('../../ir/extract-definition.js').ExtractDefinition;

const REQUIRED: { pointer: string; what: string; present: (d: Definition) => boolean; text?: (d: Definition) => string | undefined }[] = [
  { pointer: '/intended_use', what: 'the intended use of the data (intended_use)', present: (d) => !!d.intendedUse?.trim(), text: (d) => d.intendedUse },
  { pointer: '/legal_basis/article_6', what: 'the UK GDPR Article 6 lawful basis (legal_basis.article_6)', present: (d) => !!d.legalBasis.article6?.trim(), text: (d) => d.legalBasis.article6 },
  { pointer: '/legal_basis/article_9', what: 'the UK GDPR Article 9 condition for health data (legal_basis.article_9)', present: (d) => !!d.legalBasis.article9?.trim(), text: (d) => d.legalBasis.article9 },
  { pointer: '/legal_basis/statement', what: 'a statement of the legal basis and purpose (legal_basis.statement)', present: (d) => !!d.legalBasis.statement?.trim(), text: (d) => d.legalBasis.statement },
  { pointer: '/dpia', what: 'the DPIA reference (dpia)', present: (d) => !!d.dpia?.trim(), text: (d) => d.dpia },
  { pointer: '/risk/singling_out', what: 'a statement on the risk of singling out (risk.singling_out)', present: (d) => !!d.risk.singlingOut?.trim(), text: (d) => d.risk.singlingOut },
  { pointer: '/risk/linkability', what: 'a statement on the risk of linkability (risk.linkability)', present: (d) => !!d.risk.linkability?.trim(), text: (d) => d.risk.linkability },
  { pointer: '/review/last_reviewed', what: 'the date of the last review (review.last_reviewed)', present: (d) => !!d.review.lastReviewed },
  { pointer: '/review/reviewer', what: 'who reviewed it (review.reviewer)', present: (d) => !!d.review.reviewer?.trim(), text: (d) => d.review.reviewer },
];

export const governanceComplete: RuleModule = {
  meta: {
    id: 'governance-complete',
    category: 'governance',
    description: 'A definition states its intended use, legal basis (Articles 6 and 9 and a statement), DPIA, singling-out and linkability statements, and its last review.',
    rationale:
      'Seed 002, "Data Protection Obligations": all consumers must "provide a definition of the intended use of the data", "outline the legal basis for extraction", "provide a DPIA", and "give special consideration to, and provide a statement on the risk of a) singling out b) linkability". Extracts are reviewed every 3 months (IM1 contractual standard im1_bulk_001).',
    source: 'seed 002 (Data Protection Obligations; Anonymisation & Minimisation)',
    triggers: 'Any of intended_use, legal_basis.article_6, legal_basis.article_9, legal_basis.statement, dpia, risk.singling_out, risk.linkability, review.last_reviewed or review.reviewer is missing or blank, or is still a placeholder (text starting TODO, TBD or FIXME, or a whole <...> slot, as `exdef init` writes them).',
    defaultSeverity: 'error',
    hard: false,
    messages: { missing: 'the governance of this extract is missing {what}', placeholder: 'the governance of this extract has a placeholder for {what}: "{text}"' },
    examples: {
      failing: { yaml: 'risk:\n  singling_out: Year of birth and district only; groups are large.', note: 'No linkability statement.' },
      passing: {
        yaml: 'risk:\n  singling_out: Year of birth and district only; groups are large.\n  linkability: The pseudonym is keyed per recipient, so feeds cannot be joined.',
      },
    },
  },
  check({ definition, report, spanAt }) {
    for (const item of REQUIRED) {
      const text = item.text?.(definition);
      if (item.present(definition) && text !== undefined && isPlaceholder(text)) {
        const span = definition.source.spans[item.pointer];
        report({ messageId: 'placeholder', params: { what: item.what, text: text.trim() }, ...(span ? { span } : {}), hints: [`replace the placeholder with the real ${item.pointer.slice(1).replace('/', '.')}`] });
        continue;
      }
      if (item.present(definition)) continue;
      // Where the value is (blank), else where its block is, else the governance block's first key.
      const span = definition.source.spans[item.pointer] ?? definition.source.keySpans[item.pointer.split('/').slice(0, 2).join('/')] ?? spanAt('/use_case', 'key');
      report({ messageId: 'missing', params: { what: item.what }, ...(span ? { span } : {}), hints: [`add ${item.pointer.slice(1).replace('/', '.')} to the definition`] });
    }
  },
};
