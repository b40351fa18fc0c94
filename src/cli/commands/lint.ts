import { Args, Flags } from '@oclif/core';
import { LINT_FORMAT_HELP, LINT_FORMATS } from '../../diagnostics/formats/index.js';
import { ExdefCommand } from '../exdef-command.js';
import { runLint } from '../run-lint.js';
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
    if ((await runLint(argv as string[], flags)) !== 0) this.exit(1);
  }
}
