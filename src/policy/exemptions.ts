import type { Exemption } from '../ir/extract-definition.js';
import type { Policy } from './policy.js';
import { RULES } from './rules/index.js';

/**
 * Why an exemption is not valid (empty when it is): it must name a rule that exists and can be
 * exempted (not a hard rule), give a legal basis and a justification, name one of the policy's
 * code sets when it is from sensitive-codes, and not have expired.
 */
export function exemptionProblems(exemption: Exemption, policy: Policy, today: string): ExemptionProblem[] {
  const problems: ExemptionProblem[] = [];
  const rule = RULES.find((r) => r.meta.id === exemption.rule);
  if (!rule) problems.push({ kind: 'unknown-rule' });
  else if (rule.meta.hard) problems.push({ kind: 'hard-rule' });
  if (!exemption.legalBasis?.trim()) problems.push({ kind: 'no-legal-basis' });
  if (!exemption.justification?.trim()) problems.push({ kind: 'no-justification' });
  if (exemption.rule === 'sensitive-codes') {
    if (exemption.codeSet === undefined) problems.push({ kind: 'no-code-set' });
    else if (!policy.sensitiveCodeSets.some((s) => s.name === exemption.codeSet)) problems.push({ kind: 'unknown-code-set' });
  }
  if (exemption.expires !== undefined && exemption.expires < today) problems.push({ kind: 'expired' });
  return problems;
}

export type ExemptionProblem = {
  kind: 'unknown-rule' | 'hard-rule' | 'no-legal-basis' | 'no-justification' | 'no-code-set' | 'unknown-code-set' | 'expired';
};
