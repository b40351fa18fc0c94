import type { RuleModule } from '../rule.js';
import { columnUses } from '../column-uses.js';

export const noFreeText: RuleModule = {
  meta: {
    id: 'no-free-text',
    category: 'hard',
    description: 'Free-text columns are never extracted, and never used in filters.',
    rationale:
      'The IM1 Data Protection Policy: "Free-text and documents are not able to be included as there is no mechanism to ensure this type of legal information is not exported, leading to a legal breach." Legal allegations against others are "covered by GP practices marking items as confidential from third parties + not extracting free text or documentation". A filter on free text leaks it too: which rows a text search selects reveals what the text says.',
    source: 'IM1 Data Protection Policy (other legally restricted information)',
    triggers: 'A field or a filter (including inside exists()) reads a column classified free_text (observation.comment, consultation.summary, referral.notes, medication_issue.dosage_text, document.title).',
    defaultSeverity: 'error',
    hard: true,
    messages: {
      field: '`{column}` is free text, which is never extracted (field {where})',
      filter: '`{column}` is free text, which cannot be used in a filter either ({where})',
    },
    examples: {
      failing: { yaml: 'datasets:\n  - name: readings\n    from: observation\n    where: comment is not null and code in << 75367002\n    fields:\n      - name: reading_code\n        value: code\n        justification: Tells systolic from diastolic readings.\n      - name: reading_month\n        value: month(effective_date)\n        justification: The month is precise enough for recency of control.\n', note: 'Filtering on a free-text comment reveals what it says.' },
      passing: { yaml: 'datasets:\n  - name: readings\n    from: observation\n    where: code in << 75367002\n    fields:\n      - name: reading_code\n        value: code\n        justification: Tells systolic from diastolic readings.\n      - name: reading_month\n        value: month(effective_date)\n        justification: The month is precise enough for recency of control.\n' },
    },
  },
  check({ definition, catalogue, report }) {
    for (const use of columnUses(definition, catalogue)) {
      if (use.classification !== 'free_text') continue;
      report({
        messageId: use.role,
        params: { column: use.name, where: use.where },
        ...(use.span ? { span: use.span } : {}),
        hints: ['remove it: free text can hold anything, including information about other people; use coded data instead'],
      });
    }
  },
};
