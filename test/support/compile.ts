import { CONFUSABLE_FROM, CONFUSABLE_TO, DROPPED, OTHER_SCRIPTS } from '../../src/sql/confusables.js';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { referenceCatalogue } from '../../src/catalogue/load-catalogue.js';
import type { ExtractDefinition } from '../../src/ir/extract-definition.js';
import { checkDefinitionText } from '../../src/pipeline/check-definition.js';
import { compileDefinitionFile } from '../../src/pipeline/compile-definition.js';
import { prepareLint, ruleCatalogue, type LintContext } from '../../src/pipeline/lint-definition.js';
import { loadPolicy } from '../../src/policy/policy.js';
import { resources } from '../../src/resources.js';
import { compileExtract, type CompiledPlan } from '../../src/sql/compile-extract.js';

export const TODAY = '2026-11-21';

let context: LintContext | undefined;

/** The lint context of the CLI's defaults: the reference catalogue, the IM1 policy, the sample terminology. */
export async function lintContext(): Promise<LintContext> {
  if (!context) {
    const prepared = await prepareLint({ catalogue: referenceCatalogue(), today: TODAY });
    if (!prepared.context) throw new Error(prepared.diagnostics.map((d) => d.message).join('; '));
    context = prepared.context;
  }
  return context;
}

/** The definitions shipped in definitions/, as paths relative to the package root (YAML first). */
export function shippedDefinitions(): string[] {
  return readdirSync(resources.definitions)
    .filter((f) => f.endsWith('.exdef.yaml') || f.endsWith('.exdef'))
    .sort()
    .map((f) => relative(process.cwd(), join(resources.definitions, f)));
}

/** Lints and compiles a file as `exdef compile` does; throws with the errors when it does not compile. */
export async function compileFile(path: string): Promise<CompiledPlan> {
  const compiled = compileDefinitionFile(path, await lintContext());
  const errors = compiled.diagnostics.filter((d) => d.severity === 'error');
  if (!compiled.plan || errors.length > 0) throw new Error(`${path} does not compile: ${errors.map((d) => d.message).join('; ')}`);
  return compiled.plan;
}

/** Resolves a definition text (no lint) and compiles it with the IM1 policy. */
export function compileText(text: string, path = 'test.exdef.yaml'): { definition: ExtractDefinition; plan: CompiledPlan } {
  const catalogue = referenceCatalogue();
  const checked = checkDefinitionText(path, text, { catalogue });
  const errors = checked.diagnostics.filter((d) => d.severity === 'error');
  if (!checked.definition || errors.length > 0) throw new Error(`${path} does not resolve: ${errors.map((d) => d.message).join('; ')}`);
  const policy = loadPolicy(ruleCatalogue).policy!;
  return { definition: checked.definition, plan: compileExtract(checked.definition, { catalogue, policy, today: TODAY }) };
}

/** The string literals the compiler itself writes into SQL (formats, time zones, hash names): nothing else may appear. */
export const COMPILER_LITERALS = new Set([
  'UTC', 'month', 'UTF8', 'sha256', 'hex', 'YYYY-MM-DD', 'YYYY-MM-DD"T"HH24:MI:SS"Z"', '90+', '-', '\\s+', 'g', '[0-9][A-Z]{2}$', '', 'true', 'false', 'upsert', 'delete', '|', '.', '0', '[^a-z0-9]+', ' ',
  // The sensitive-terms guard's look-alike letters and the accents it drops (src/sql/confusables.ts).
  CONFUSABLE_FROM, CONFUSABLE_TO, DROPPED, OTHER_SCRIPTS,
]);

/** Every '...' string literal in an SQL text (outside double-quoted identifiers). */
export function sqlStringLiterals(sqlText: string): string[] {
  const found: string[] = [];
  const pattern = /"(?:[^"]|"")*"|'((?:[^']|'')*)'/g;
  for (const match of sqlText.matchAll(pattern)) if (match[1] !== undefined) found.push(match[1].replace(/''/g, "'"));
  return found;
}
