import { catalogueIdentity, sha256Of, type CatalogueIdentity } from '../../catalogue/catalogue-digest.js';
import type { Catalogue } from '../../catalogue/catalogue.js';
import type { Policy } from '../../policy/policy.js';

/**
 * What a run's guards were built from, as the manifest records it: the catalogue and the policy,
 * each by name and a sha256 of its meaning (not its file's layout or comments). Approvals name
 * the catalogue too (a run under another catalogue is not approved); the policy can only be made
 * stricter than the IM1 policy, and the manifest shows which one a run was made under.
 */
export interface RulesUsed {
  catalogue: CatalogueIdentity;
  policy: { name: string; digest: string };
}

export function rulesUsed(catalogue: Catalogue, policy: Policy): RulesUsed {
  return {
    catalogue: catalogueIdentity(catalogue),
    policy: {
      name: policy.name,
      digest: sha256Of({
        sets: policy.sensitiveCodeSets.map((s) => [s.name, s.text]),
        terms: policy.sensitiveTerms,
        severity: policy.severity,
        exemptable: policy.exemptable,
        thresholds: policy.thresholds,
      }),
    },
  };
}
