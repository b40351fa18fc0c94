import { findTable } from '../../catalogue/catalogue.js';
import type { RuleModule } from '../rule.js';
import { columnUses } from '../column-uses.js';

export const confidentialNever: RuleModule = {
  meta: {
    id: 'confidential-never',
    category: 'hard',
    description: 'Items marked confidential from third-party organisations are never extracted, and the confidential flag is never read by a definition.',
    rationale:
      'The IM1 Bulk Extract guide: "a full patient record will be sent, except for: Data that is marked as Confidential from Third Party Organisations". The IM1 Data Protection Policy lists "Items marked as confidential from third parties" among information not available via bulk extracts. The compiler excludes confidential rows from every table; reading the flag would reveal which items are confidential.',
    source: 'IM1 Bulk Extract guide (Included Patient Records); IM1 Data Protection Policy',
    triggers: "A field or a filter reads a table's confidential flag (observation.confidential, referral.confidential, ...).",
    defaultSeverity: 'error',
    hard: true,
    messages: { read: '`{column}` marks items confidential from third parties: confidential items are never extracted and the flag is not readable ({where})' },
    examples: {
      failing: { yaml: 'datasets:\n  - name: readings\n    from: observation\n    where: code in << 75367002 and not confidential\n    fields:\n      - name: reading_code\n        value: code\n        justification: Tells systolic from diastolic readings.\n      - name: reading_month\n        value: month(effective_date)\n        justification: The month is precise enough for recency of control.\n' },
      passing: { yaml: 'datasets:\n  - name: readings\n    from: observation\n    where: code in << 75367002\n    fields:\n      - name: reading_code\n        value: code\n        justification: Tells systolic from diastolic readings.\n      - name: reading_month\n        value: month(effective_date)\n        justification: The month is precise enough for recency of control.\n', note: 'Confidential items are excluded without asking.' },
    },
  },
  check({ definition, catalogue, report }) {
    for (const use of columnUses(definition, catalogue)) {
      if (findTable(catalogue, use.table)?.confidentialColumn !== use.column) continue;
      report({ messageId: 'read', params: { column: use.name, where: use.where }, ...(use.span ? { span: use.span } : {}), hints: ['remove it: exdef excludes confidential items from every extract'] });
    }
  },
};
