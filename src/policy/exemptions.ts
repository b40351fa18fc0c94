import type { Exemption, ExtractDefinition } from '../ir/extract-definition.js';
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

/** A sensitive set a valid exemption lets through, and where: only in these datasets (and, when named, fields). */
export interface ReleasedSet {
  set: string;
  datasets: string[];
  fields?: string[];
}

/**
 * The sensitive sets the definition's valid exemptions release, each with its scope. The compiler
 * lifts a set's guard only inside that scope; everywhere else (the population, other datasets) the
 * set stays excluded.
 */
export function releasedSensitiveSets(definition: ExtractDefinition, policy: Policy, today: string): ReleasedSet[] {
  return definition.exemptions
    .filter((e) => e.rule === 'sensitive-codes' && e.codeSet !== undefined && exemptionProblems(e, policy, today).length === 0)
    .map((e) => ({
      set: e.codeSet!,
      datasets: e.datasets ?? definition.datasets.map((d) => d.name),
      ...(e.fields ? { fields: e.fields } : {}),
    }));
}
