import { createHash } from 'node:crypto';
import type { Catalogue } from '../../catalogue/catalogue.js';
import { canonical } from '../../ir/fingerprint.js';
import type { Policy } from '../../policy/policy.js';

/**
 * What a run's guards were built from, as the manifest records it: the catalogue and the policy,
 * each by name and a sha256 of its meaning (not its file's layout or comments). The definition's
 * fingerprint — what practices approve — does not cover them, so an auditor or the recipient can
 * see that two extracts were made under the same rules, or not.
 */
export interface RulesUsed {
  catalogue: { name: string; digest: string };
  policy: { name: string; digest: string };
}

export function rulesUsed(catalogue: Catalogue, policy: Policy): RulesUsed {
  return {
    catalogue: { name: catalogue.name, digest: digestOf({ population: catalogue.population, tables: catalogue.tables }) },
    policy: {
      name: policy.name,
      digest: digestOf({
        sets: policy.sensitiveCodeSets.map((s) => [s.name, s.text]),
        terms: policy.sensitiveTerms,
        severity: policy.severity,
        exemptable: policy.exemptable,
        thresholds: policy.thresholds,
      }),
    },
  };
}

/** sha256 of a value's meaning: canonical() as the definition's fingerprint takes it (keys sorted, source positions left out). */
function digestOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(canonical(value))).digest('hex');
}
