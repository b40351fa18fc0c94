import { createHash } from 'node:crypto';
import type { Catalogue } from '../../catalogue/catalogue.js';
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

/** sha256 of a value's JSON, keys sorted at every level, source positions left out. */
function digestOf(value: unknown): string {
  const canonical = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canonical);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.keys(v)
          .filter((k) => k !== 'span')
          .sort()
          .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return createHash('sha256').update(JSON.stringify(canonical(value))).digest('hex');
}
