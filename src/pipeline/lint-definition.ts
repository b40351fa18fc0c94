import type { Catalogue } from '../catalogue/catalogue.js';
import { hasErrors, type Diagnostic } from '../diagnostics/diagnostic.js';
import { loadCodeSetIndex, type CodeSetIndex } from '../policy/code-sets.js';
import { loadPolicy, type Policy } from '../policy/policy.js';
import { refusedValueReporter } from '../policy/refused-values.js';
import { RULES } from '../policy/rules/index.js';
import { runPolicy } from '../policy/run-policy.js';
import { checkDefinitionFile, checkDefinitionText, type CheckedDefinition } from './check-definition.js';

/** What linting needs besides the definitions: the catalogue, the policy, the terminology, a date. */
export interface LintContext {
  catalogue: Catalogue;
  policy: Policy;
  codeSets: CodeSetIndex;
  /** YYYY-MM-DD: the date every date check is made on. */
  today: string;
  /**
   * YYYY-MM-DD: for a run, the clock's date. Exemptions expire on the later of it and today: a
   * past --today narrows what a run may do, never widens it.
   */
  exemptionDate?: string;
}

export const ruleCatalogue = {
  ids: RULES.map((r) => r.meta.id),
  isHard: (id: string) => RULES.some((r) => r.meta.id === id && r.meta.hard),
  category: (id: string) => RULES.find((r) => r.meta.id === id)?.meta.category,
};

/**
 * Loads the policy (the default one, extended by `policyFile`) and the terminology code sets are
 * evaluated in (the shipped sample unless `terminologyDir` names an RF2 release).
 */
export async function prepareLint(options: { catalogue: Catalogue; today: string; policyFile?: string; terminologyDir?: string }): Promise<{ context?: LintContext; diagnostics: Diagnostic[] }> {
  const loaded = loadPolicy(ruleCatalogue, options.policyFile);
  if (!loaded.policy) return { diagnostics: loaded.diagnostics };
  const codeSets = await loadCodeSetIndex(loaded.policy.sensitiveCodeSets, options.terminologyDir);
  const diagnostics = [...loaded.diagnostics, ...codeSets.diagnostics];
  if (!codeSets.index || hasErrors(diagnostics)) return { diagnostics };
  return { context: { catalogue: options.catalogue, policy: loaded.policy, codeSets: codeSets.index, today: options.today }, diagnostics };
}

/** Parse, validate, resolve and check one definition against the policy. */
export function lintDefinitionFile(path: string, context: LintContext): CheckedDefinition {
  return withPolicy(checkDefinitionFile(path, { catalogue: context.catalogue, refused: refusedValueReporter(context.policy) }), context);
}

export function lintDefinitionText(path: string, text: string, context: LintContext): CheckedDefinition {
  return withPolicy(checkDefinitionText(path, text, { catalogue: context.catalogue, refused: refusedValueReporter(context.policy) }), context);
}

function withPolicy(checked: CheckedDefinition, context: LintContext): CheckedDefinition {
  if (!checked.definition) return checked;
  const findings = runPolicy(checked.definition, { policy: context.policy, catalogue: context.catalogue, today: context.today, ...(context.exemptionDate ? { exemptionDate: context.exemptionDate } : {}), codeSets: context.codeSets });
  return { ...checked, diagnostics: [...checked.diagnostics, ...findings] };
}
