import { Args, Flags } from '@oclif/core';
import { paletteFor, plain } from '../../diagnostics/render-terminal.js';
import { formatTestReport, type TestReport, type TestReportFormat } from '../../definition-test/format-test-report.js';
import { definitionTestCodes, parseDefinitionTestFile } from '../../definition-test/parse-definition-test.js';
import { closeTestBench, openTestBench, runDefinitionTest } from '../../definition-test/run-definition-test.js';
import { testTargets } from '../../definition-test/test-files.js';
import { ExdefCommand } from '../exdef-command.js';
import { lintContextForCommand, todayFromFlag } from '../lint-context-for-cli.js';
import { catalogueForCommand } from '../load-catalogue-for-cli.js';
import { catalogueFlag } from '../shared-flags.js';
import { writeFileAtomically } from '../write-file.js';

const FORMATS = ['stylish', 'junit', 'json'] as const;

export default class Test extends ExdefCommand {
  static override summary = 'Run definition tests: described patients in, the rows each dataset must and must not produce checked';
  static override description =
    'A definition NAME.exdef.yaml (or NAME.exdef) may have a companion test NAME.test.yaml: a few patients described in plain terms, the extract date (`today`), and per dataset the rows the extract must produce, the rows it must not, and optionally an exact count (docs/testing.md). Each test runs against every definition file of that NAME, in an in-memory database holding only its patients and the terminology: the definition is linted (errors fail the test, except the governance paperwork — governance-complete, review-current — which is noted as not yet approvable), compiled and extracted exactly as `exdef run` would on that date, with fixed test pseudonym keys. FILES may be test files, definition files (their companion test is run) or directories; with none, every *.test.yaml under definitions/. Exit code 0 when every test passes, 1 when one fails, 2 for usage errors, test files that cannot be read and a report that cannot be written.';
  static override strict = false;
  static override examples = [
    { description: 'Run every companion test under definitions/', command: '<%= config.bin %> test' },
    { description: 'Test one definition (its companion test, against this syntax only)', command: '<%= config.bin %> test definitions/chis-immunisations.exdef' },
    { description: 'Every expectation of one test, passed or failed', command: '<%= config.bin %> test definitions/diabetes-recall.test.yaml --verbose' },
    { description: 'JUnit XML for CI', command: '<%= config.bin %> test definitions/ --format junit -o reports/exdef-test.xml' },
  ];
  static override args = {
    files: Args.string({ description: 'Test files (NAME.test.yaml), definition files or directories (default: definitions/)' }),
  };
  static override flags = {
    format: Flags.string({ description: 'Report format: stylish (for people), junit (JUnit XML for CI), json', options: [...FORMATS], default: 'stylish' }),
    verbose: Flags.boolean({ char: 'v', description: 'List every expectation checked, passed ones too (stylish format)' }),
    output: Flags.string({ char: 'o', description: 'Write the report to this file instead of stdout', helpValue: 'FILE' }),
    policy: Flags.string({ description: "An organisation's policy file, applied on top of the IM1 policy", helpValue: 'FILE' }),
    terminology: Flags.string({ description: 'SNOMED CT RF2 snapshot directory: lint evaluates code sets in it and the test database holds it (default: the shipped sample)', helpValue: 'DIR' }),
    catalogue: catalogueFlag,
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Test);
    const targets = testTargets(argv as string[]);
    const catalogue = catalogueForCommand(flags.catalogue);
    const context = await lintContextForCommand({ catalogue, today: todayFromFlag(undefined), policy: flags.policy, terminology: flags.terminology });
    const report: TestReport = { results: [], unusable: [] };
    const runnable = [];
    for (const target of targets) {
      const parsed = parseDefinitionTestFile(target.testFile);
      if (!parsed.test) {
        report.unusable.push({ testFile: target.testFile, diagnostics: parsed.diagnostics.filter((d) => d.severity === 'error') });
      } else if (target.definitionFiles.length === 0) {
        report.unusable.push({
          testFile: target.testFile,
          diagnostics: [definitionTestCodes.make('test-without-definition', { test: target.testFile, stem: target.testFile.replace(/\.test\.ya?ml$/i, '') })],
        });
      } else {
        runnable.push({ test: parsed.test, definitionFiles: target.definitionFiles });
      }
    }
    if (runnable.length > 0) {
      const bench = await openTestBench({ context, terminologyDir: flags.terminology });
      try {
        for (const { test, definitionFiles } of runnable) {
          for (const definitionFile of definitionFiles) report.results.push(await runDefinitionTest(bench, test, definitionFile));
        }
      } finally {
        await closeTestBench(bench);
      }
    }
    const format = flags.format as TestReportFormat;
    if (flags.output) {
      const options = { verbose: flags.verbose };
      // Exit 1 means a failed test, so a report that cannot be written is a usage error.
      writeFileAtomically(flags.output, formatTestReport(report, format, plain, options), { exitCode: 2 });
      // The file is for CI; a person watching still gets the summary.
      if (format !== 'stylish') process.stderr.write(formatTestReport(report, 'stylish', paletteFor(process.stderr), options));
    } else {
      process.stdout.write(formatTestReport(report, format, format === 'stylish' ? paletteFor(process.stdout) : plain, { verbose: flags.verbose }));
    }
    if (report.unusable.length > 0) this.exit(2);
    if (report.results.some((r) => r.status === 'failed')) this.exit(1);
  }
}
