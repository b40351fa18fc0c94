import type { RuleModule } from '../rule.js';

export const scheduleAtMostDaily: RuleModule = {
  meta: {
    id: 'schedule-at-most-daily',
    category: 'schedule',
    description: 'An extract runs at most once a day.',
    rationale: 'The IM1 Bulk Extract guide: "Subsequent exports can be scheduled up to once per 24 hours." The IM1 Data Protection Policy: "Frequency of extract: Daily". IM1 requires providers to throttle bulk extracts (the IM1 Interface Mechanism Standard, im1_use_001).',
    source: 'IM1 Bulk Extract guide (Requesting a Bulk Extract); IM1 Data Protection Policy; IM1 Interface Mechanism Standard (im1_use_001)',
    triggers: 'schedule.frequency is hourly or twice_daily.',
    defaultSeverity: 'error',
    hard: false,
    messages: { tooOften: 'schedule.frequency {frequency} runs more than once a day; IM1 Bulk extracts run at most daily' },
    examples: {
      failing: { yaml: 'schedule:\n  frequency: hourly\n  window: 01:00-05:00' },
      passing: { yaml: 'schedule:\n  frequency: daily\n  window: 01:00-05:00' },
    },
  },
  check({ definition, report, spanAt }) {
    const frequency = definition.schedule.frequency;
    if (frequency !== 'hourly' && frequency !== 'twice_daily') return;
    const span = spanAt('/schedule/frequency');
    report({ messageId: 'tooOften', params: { frequency }, ...(span ? { span } : {}), hints: ['use daily (or less often); a delta extract sends only what changed since the last run'] });
  },
};
