import { countBySeverity } from '../diagnostics/diagnostic.js';
import { formatLintResults, type LintFormat } from '../diagnostics/formats/index.js';
import type { LintFileResult } from '../diagnostics/formats/lint-result.js';
import { ExdefError } from '../failure.js';
import { duplicateDefinitionIds } from '../pipeline/duplicate-definition-ids.js';
import { lintDefinitionFile } from '../pipeline/lint-definition.js';
import { definitionFiles } from './definition-files.js';
import { lintContextForCommand, todayFromFlag } from './lint-context-for-cli.js';
import { catalogueForCommand } from './load-catalogue-for-cli.js';

/** The flags of `exdef lint`, as parsed (by oclif, or directly: direct-command.ts). */
export interface LintFlags {
  today?: string | undefined;
  format: string;
  'max-warnings'?: number | undefined;
  quiet?: boolean | undefined;
  policy?: string | undefined;
  terminology?: string | undefined;
  catalogue?: string | undefined;
}

/**
 * `exdef lint FILES...`: lints the definitions, prints the results in the format asked for and
 * returns the exit code (0 clean, 1 findings or too many warnings). Usage problems throw an
 * ExdefError. Free of oclif, so that a plain `exdef lint` starts without it.
 */
export async function runLint(patterns: readonly string[], flags: LintFlags): Promise<0 | 1> {
  const today = todayFromFlag(flags.today);
  const files = definitionFiles(patterns);
  if (files.length === 0) throw new ExdefError(`no definition files (*.exdef.yaml, *.exdef) match ${patterns.join(' ')}`, { exitCode: 2 });
  const catalogue = catalogueForCommand(flags.catalogue);
  const context = await lintContextForCommand({ catalogue, today, policy: flags.policy, terminology: flags.terminology });
  const checked = files.map((file) => lintDefinitionFile(file, context));
  const duplicates = duplicateDefinitionIds(checked);
  const results: LintFileResult[] = checked.map((c, i) => {
    const all = [...c.diagnostics, ...duplicates.filter((d) => d.span?.file === c.parsed.file.path)];
    const diagnostics = flags.quiet ? all.filter((d) => d.severity === 'error') : all;
    return { file: files[i]!, syntax: c.parsed.syntax, diagnostics };
  });
  process.stdout.write(formatLintResults(flags.format as LintFormat, results, { maxWarnings: flags['max-warnings'] }));
  const counts = countBySeverity(results.flatMap((r) => r.diagnostics));
  const tooManyWarnings = flags['max-warnings'] !== undefined && counts.warning > flags['max-warnings'];
  if (tooManyWarnings && flags.format === 'stylish') process.stderr.write(`too many warnings: ${counts.warning} (--max-warnings ${flags['max-warnings']})\n`);
  return counts.error > 0 || tooManyWarnings ? 1 : 0;
}
