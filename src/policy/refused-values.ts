import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { RefusedValueReporter } from '../source/schema-validation.js';
import type { Policy } from './policy.js';
import { formatMessage } from './rule.js';
import { RULES } from './rules/index.js';
import { effectiveSeverity } from './run-policy.js';

/**
 * Values the format's schema refuses on purpose (x-refused: record_viewer, patient_facing, ...)
 * are reported as findings of the rule behind them, with its severity under the policy.
 */
export function refusedValueReporter(policy: Policy): RefusedValueReporter {
  return (path, value, reason, span) => {
    if (path.join('.') !== 'use_case') return undefined;
    const rule = RULES.find((r) => r.meta.id === 'supported-use-case')!;
    const severity = effectiveSeverity(rule, policy);
    if (severity === 'off') return undefined;
    const diagnostic: Diagnostic = {
      code: rule.meta.id,
      severity,
      stage: 'policy',
      message: formatMessage(rule.meta.messages['refused']!, { value, reason }),
      params: { value, reason },
      span,
    };
    return diagnostic;
  };
}
