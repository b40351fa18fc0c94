import type { RuleModule } from '../rule.js';

function minutes(time: string): number {
  const [h, m] = time.split(':').map(Number) as [number, number];
  return h * 60 + m;
}

/** Whether every minute of [start, end) (wrapping midnight) falls within [from, to) (wrapping too). */
export function windowWithin(start: string, end: string, from: string, to: string): boolean {
  const inRange = (t: number, a: number, b: number) => (a <= b ? t >= a && t < b : t >= a || t < b);
  const [s, e, a, b] = [minutes(start), minutes(end), minutes(from), minutes(to)];
  for (let t = s; t !== e; t = (t + 1) % 1440) {
    if (!inRange(t, a, b)) return false;
  }
  return true;
}

export const scheduleOvernight: RuleModule = {
  meta: {
    id: 'schedule-overnight',
    category: 'schedule',
    description: 'The extract names a run window, overnight (by default between 19:00 and 07:00).',
    rationale: 'The IM1 Data Protection Policy: "Timing: overnight preferred to minimise any impact on Medicus servers during core working hours." The IM1 Interface Mechanism Standard requires providers to spread the processing load of extracts (im1_use_001).',
    source: 'IM1 Data Protection Policy (Data Extract Definition); IM1 Interface Mechanism Standard (im1_use_001)',
    triggers: 'schedule.window is missing, or reaches outside the overnight hours of the policy.',
    defaultSeverity: 'warning',
    hard: false,
    messages: {
      missing: 'the schedule gives no run window: say when the extract may run (overnight is preferred)',
      daytime: 'the run window {window} reaches outside the overnight hours ({from}-{to}); daytime runs load the GP system in core hours',
    },
    examples: {
      failing: { yaml: 'schedule:\n  frequency: daily\n  window: 09:00-11:00' },
      passing: { yaml: 'schedule:\n  frequency: daily\n  window: 01:00-05:00' },
    },
  },
  check({ definition, policy, report, spanAt }) {
    const window = definition.schedule.window;
    const { overnightStart: from, overnightEnd: to } = policy.thresholds;
    if (!window) {
      const span = spanAt('/schedule', 'key');
      report({ messageId: 'missing', params: {}, ...(span ? { span } : {}), hints: [`add schedule.window, e.g. 01:00-05:00`] });
    } else if (!windowWithin(window.start, window.end, from, to)) {
      const span = spanAt('/schedule/window');
      report({ messageId: 'daytime', params: { window: `${window.start}-${window.end}`, from, to }, ...(span ? { span } : {}), hints: ['move the window overnight, e.g. 01:00-05:00'] });
    }
  },
};
