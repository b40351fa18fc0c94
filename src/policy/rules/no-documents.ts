import type { RuleModule } from '../rule.js';
import { columnUses } from '../column-uses.js';

export const noDocuments: RuleModule = {
  meta: {
    id: 'no-documents',
    category: 'hard',
    description: 'Documents (letters, scans, reports) are never extracted, and never used in filters.',
    rationale:
      'Seed 002: "Free-text and documents are not able to be included as there is no mechanism to ensure this type of legal information is not exported, leading to a legal breach."',
    source: 'seed 002 (other legally restricted information)',
    triggers: 'A field or a filter reads a column classified document (document.content).',
    defaultSeverity: 'error',
    hard: true,
    messages: {
      field: '`{column}` is a document, which is never extracted (field {where})',
      filter: '`{column}` is a document, which cannot be used in a filter either ({where})',
    },
    examples: {
      failing: { yaml: 'datasets:\n  - name: letters\n    from: document\n    fields:\n      - name: letter\n        value: content\n        justification: The letter is needed by the specialist service.' },
      passing: { yaml: 'datasets:\n  - name: letters\n    from: document\n    fields:\n      - name: letter_date\n        value: month(document_date)\n        justification: Counts of letters per month show the workload.' },
    },
  },
  check({ definition, catalogue, report }) {
    for (const use of columnUses(definition, catalogue)) {
      if (use.classification !== 'document') continue;
      report({ messageId: use.role, params: { column: use.name, where: use.where }, ...(use.span ? { span: use.span } : {}), hints: ['remove it: documents cannot be checked for what they contain'] });
    }
  },
};
