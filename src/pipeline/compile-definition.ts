import { defineCodes } from '../diagnostics/define-codes.js';
import { hasErrors, type Diagnostic } from '../diagnostics/diagnostic.js';
import { CompileError } from '../sql/compile-error.js';
import { compileExtract, type CompiledPlan } from '../sql/compile-extract.js';
import { lintDefinitionFile, type LintContext } from './lint-definition.js';
import type { CheckedDefinition } from './check-definition.js';

export const compileCodes = defineCodes({
  'cannot-compile': {
    severity: 'error',
    stage: 'compile',
    message: (p: { reason: string }) => p.reason,
  },
});

export interface CompiledDefinition extends CheckedDefinition {
  plan?: CompiledPlan;
}

/**
 * Lints a definition and, when it has no errors, compiles it. A definition with lint errors is
 * never compiled: the SQL exists only for definitions the policy accepts.
 */
export function compileDefinitionFile(path: string, context: LintContext): CompiledDefinition {
  const checked = lintDefinitionFile(path, context);
  if (!checked.definition || hasErrors(checked.diagnostics)) return checked;
  try {
    // Exemptions are judged on the later of today and a run's clock (see LintContext.exemptionDate).
    const exemptionDate = context.exemptionDate !== undefined && context.exemptionDate > context.today ? context.exemptionDate : context.today;
    const plan = compileExtract(checked.definition, { catalogue: context.catalogue, policy: context.policy, today: exemptionDate });
    return { ...checked, plan };
  } catch (error) {
    if (!(error instanceof CompileError)) throw error;
    const diagnostic: Diagnostic = compileCodes.make('cannot-compile', { reason: error.message }, error.span, error.hints);
    if (!diagnostic.span) diagnostic.span = { file: path, start: { offset: 0, line: 1, column: 1 }, end: { offset: 0, line: 1, column: 1 } };
    return { ...checked, diagnostics: [...checked.diagnostics, diagnostic] };
  }
}
