import { addMonths } from '../../seed/calendar.js';
import type { RuleModule } from '../rule.js';

export const reviewCurrent: RuleModule = {
  meta: {
    id: 'review-current',
    category: 'governance',
    description: 'The extract was reviewed within the last 3 months (the policy sets the period).',
    rationale:
      'The IM1 Data Protection Policy: "As per the IM1 contractual standard (requirement im1_bulk_001), bulk schemas and consumer requests will be reviewed every 3 months." The IM1 Bulk Extract guide: "We will review each IM1 Bulk integration every 3 months... Any data sets that are no longer required or can no longer be justified will be removed." An overdue review is a warning by default so that a running feed does not stop on a calendar date; a policy file can make it an error.',
    source: 'IM1 Data Protection Policy (im1_bulk_001); IM1 Bulk Extract guide (review every 3 months)',
    triggers: 'review.last_reviewed is more than review_months (3) months before --today, or after it.',
    defaultSeverity: 'warning',
    hard: false,
    messages: {
      overdue: 'the last review was on {date}, more than {months} months before {today}: the extract is due for IG review',
      future: 'the last review is dated {date}, after {today}',
    },
    optionSchema: { type: 'object', properties: { review_months: { type: 'integer', minimum: 1 } } },
    examples: {
      failing: { yaml: 'review:\n  last_reviewed: 2026-01-15\n  reviewer: ICB Data Protection Officer', note: 'Linted with --today 2026-11-21.' },
      passing: { yaml: 'review:\n  last_reviewed: 2026-10-15\n  reviewer: ICB Data Protection Officer' },
    },
  },
  check({ definition, policy, today, report, spanAt }) {
    const date = definition.review.lastReviewed;
    if (!date) return;
    const months = policy.thresholds.reviewMonths;
    const span = spanAt('/review/last_reviewed');
    if (date > today) {
      report({ messageId: 'future', params: { date, today }, ...(span ? { span } : {}), hints: ['check the date of the review'] });
    } else if (addMonths(date, months) < today) {
      report({ messageId: 'overdue', params: { date, months, today }, ...(span ? { span } : {}), hints: ['review the extract with IG and update review.last_reviewed'] });
    }
  },
};
