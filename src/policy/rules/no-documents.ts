import type { RuleModule } from '../rule.js';
import { columnUses } from '../column-uses.js';
import { protectedTableUses } from '../table-uses.js';

export const noDocuments: RuleModule = {
  meta: {
    id: 'no-documents',
    category: 'hard',
    description: 'Documents (letters, scans, reports) are never extracted, and never used in filters: not their content, and no row of a document table.',
    rationale:
      'The IM1 Data Protection Policy: "Free-text and documents are not able to be included as there is no mechanism to ensure this type of legal information is not exported, leading to a legal breach."',
    source: 'IM1 Data Protection Policy (other legally restricted information)',
    triggers:
      'A field or a filter reads a column classified document (document.content); or a dataset reads from a table the catalogue classifies `class: document` (document in the reference catalogue), or a field or filter (the population filter included, at any depth) reaches one through a relation path or tests it with exists(...).',
    defaultSeverity: 'error',
    hard: true,
    messages: {
      field: '`{column}` is a document, which is never extracted (field {where})',
      filter: '`{column}` is a document, which cannot be used in a filter either ({where})',
      from: 'dataset {where} reads `{table}`, a document table: no row of it is extracted, not even its dates or keys',
      relation: '`{name}` leads to `{table}`, a document table, which a definition never reads ({where})',
      exists: 'exists({name}) tests `{table}`, a document table: whether a patient has documents is not extracted either ({where})',
    },
    examples: {
      failing: { yaml: 'datasets:\n  - name: letters\n    from: document\n    fields:\n      - name: letter\n        value: content\n        justification: The letter is needed by the specialist service.' },
      passing: { yaml: 'datasets:\n  - name: referrals\n    from: referral\n    fields:\n      - name: referral_month\n        value: month(referral_date)\n        justification: Counts of referrals per month show the workload.', note: 'Coded records, not documents, say what happened.' },
    },
  },
  check({ definition, catalogue, report }) {
    for (const use of protectedTableUses(definition, catalogue)) {
      if (use.classification !== 'document') continue;
      report({
        messageId: use.route,
        params: { table: use.table, name: use.name, where: use.where },
        ...(use.span ? { span: use.span } : {}),
        hints: ['remove it: documents cannot be checked for what they contain, and their existence, dates and titles say what they are about'],
      });
    }
    for (const use of columnUses(definition, catalogue)) {
      if (use.classification !== 'document') continue;
      report({ messageId: use.role, params: { column: use.name, where: use.where }, ...(use.span ? { span: use.span } : {}), hints: ['remove it: documents cannot be checked for what they contain'] });
    }
  },
};
