import { Args, Flags } from '@oclif/core';
import { countBySeverity } from '../../diagnostics/diagnostic.js';
import { formatLintResults, LINT_FORMAT_HELP, LINT_FORMATS, type LintFormat } from '../../diagnostics/formats/index.js';
import type { LintFileResult } from '../../diagnostics/formats/lint-result.js';
import { ExdefError } from '../../failure.js';
import { duplicateDefinitionIds } from '../../pipeline/duplicate-definition-ids.js';
import { lintDefinitionFile } from '../../pipeline/lint-definition.js';
import { definitionFiles } from '../definition-files.js';
import { ExdefCommand } from '../exdef-command.js';
import { lintContextForCommand, todayFromFlag } from '../lint-context-for-cli.js';
import { catalogueForCommand } from '../load-catalogue-for-cli.js';
import { catalogueFlag } from '../shared-flags.js';

export default class Lint extends ExdefCommand {
  static override summary = 'Check definitions against the format, the catalogue and the IM1 policy';
  static override description =
    'Parses each definition (YAML or the exdef language), validates it against the format, checks every name and type against the catalogue, and applies every rule of the IM1 data-protection policy (`exdef rules` lists them, `exdef explain RULE` explains one). Each finding is reported at file:line:col with a hint. Exit code 0 when there are no errors (and warnings are within --max-warnings), 1 when there are findings, 2 for usage errors.';
  static override strict = false;
  static override examples = [
    { description: 'Lint one definition', command: '<%= config.bin %> lint definitions/chis-immunisations.exdef.yaml' },
    { description: 'Lint a directory, with dates checked as of a fixed day', command: '<%= config.bin %> lint definitions/ --today 2026-11-21' },
    { description: 'Machine-readable output for CI, failing on any warning', command: "<%= config.bin %> lint 'definitions/**/*.exdef*' --format json --max-warnings 0" },
  ];
  static override args = {
    files: Args.string({ description: 'Definition files, directories or glob patterns', required: true }),
  };
  static override flags = {
    today: Flags.string({ description: 'The date every date check is made on (YYYY-MM-DD; default: today)', helpValue: 'DATE' }),
    format: Flags.string({
      description: `Output format: ${LINT_FORMATS.map((name) => `${name} (${LINT_FORMAT_HELP[name]})`).join(', ')}; see docs/ci.md`,
      options: [...LINT_FORMATS],
      default: 'stylish',
    }),
    'max-warnings': Flags.integer({ description: 'Fail (exit 1) when there are more warnings than this', min: 0, helpValue: 'N' }),
    quiet: Flags.boolean({ description: 'Report errors only' }),
    policy: Flags.string({ description: "An organisation's policy file, applied on top of the IM1 policy", helpValue: 'FILE' }),
    terminology: Flags.string({ description: 'SNOMED CT RF2 snapshot directory to evaluate code sets in (default: the shipped sample)', helpValue: 'DIR' }),
    catalogue: catalogueFlag,
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Lint);
    const today = todayFromFlag(flags.today);
    const files = definitionFiles(argv as string[]);
    if (files.length === 0) throw new ExdefError(`no definition files (*.exdef.yaml, *.exdef) match ${(argv as string[]).join(' ')}`, { exitCode: 2 });
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
    if (tooManyWarnings && flags.format === 'stylish') this.say(`too many warnings: ${counts.warning} (--max-warnings ${flags['max-warnings']})`);
    if (counts.error > 0 || tooManyWarnings) this.exit(1);
  }
}
