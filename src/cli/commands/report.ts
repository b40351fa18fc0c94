import { Args, Flags } from '@oclif/core';
import { existsSync, statSync } from 'node:fs';
import { paletteFor, renderDiagnostics } from '../../diagnostics/render-terminal.js';
import { ExdefError } from '../../failure.js';
import { ExdefCommand } from '../exdef-command.js';
import { lintContextForCommand, todayFromFlag } from '../lint-context-for-cli.js';
import { catalogueForCommand } from '../load-catalogue-for-cli.js';
import { catalogueFlag, providerFlag } from '../shared-flags.js';
import { loadProviderConfigFrom } from '../../provider/provider-config.js';
import { writeFileAtomically } from '../write-file.js';

export default class Report extends ExdefCommand {
  static override summary = "The IG reviewer's one-page review of a definition, as self-contained HTML or Markdown";
  static override description = [
    "Writes one page for the Information Governance reviewer: every lint finding first (rule, file:line:col and the rule's explanation), then the purpose and legal basis, the population in plain English with the safeguards that always apply, every dataset's fields with their classification, transform and justification, the disclosure-risk assessment, the semantic diff against the previous version (--previous), and the exact SQL of each query with its parameters.",
    'A definition with lint errors is still reported (its findings at the top; it has no SQL, since it does not compile); one that does not parse or resolve is not: its diagnostics are printed and the exit code is 2. With --database the smallest group of patients sharing each dataset\'s quasi-identifiers is measured on the data (the k-anonymity query `exdef run` runs); without it nothing touches a database.',
    'The HTML has no scripts and no external assets, and prints on A4. Exit codes: 0 the report was written (whatever it finds: the report is the product), 2 usage errors, a definition that does not resolve, or a database that cannot be used.',
  ].join('\n\n');
  static override examples = [
    { description: 'Review a definition as an HTML page', command: '<%= config.bin %> report definitions/phm-warehouse.exdef.yaml -o phm-review.html' },
    { description: 'Against the approved version, with k measured on the reporting database', command: '<%= config.bin %> report definitions/chis-immunisations.exdef.yaml --previous approved/chis-immunisations.exdef.yaml --database postgres://exdef@db/reporting -o review.html' },
    { description: 'As Markdown on stdout, for a pull request comment', command: '<%= config.bin %> report definitions/two-week-wait-audit.exdef --format markdown' },
  ];
  static override args = {
    file: Args.string({ description: 'The definition (YAML or exdef language)', required: true }),
  };
  static override flags = {
    output: Flags.string({ char: 'o', description: 'Write the report to this file (atomically); default: stdout', helpValue: 'FILE' }),
    format: Flags.string({ description: 'html (one self-contained page) or markdown', options: ['html', 'markdown'], default: 'html' }),
    previous: Flags.string({ description: 'The previously approved version: list what changed and whether it needs IG review', helpValue: 'FILE' }),
    database: Flags.string({
      description: 'Measure k-anonymity on the reporting data in this database: postgres://user@host:port/db or pglite:DIR. Only when given (the report never opens the embedded default by itself)',
      helpValue: 'URL',
    }),
    provider: providerFlag,
    today: Flags.string({ description: 'The date lint checks, exemptions and the measured extract are judged on (YYYY-MM-DD; default: today)', helpValue: 'DATE' }),
    policy: Flags.string({ description: "An organisation's policy file, applied on top of the IM1 policy", helpValue: 'FILE' }),
    terminology: Flags.string({ description: 'SNOMED CT RF2 snapshot directory lint evaluates code sets in (default: the shipped sample)', helpValue: 'DIR' }),
    catalogue: catalogueFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Report);
    const today = todayFromFlag(flags.today);
    // An in-memory database starts empty: there would be nothing to measure k-anonymity on.
    if (flags.database === 'memory:' || flags.database === 'pglite:memory') {
      throw new ExdefError(`--database ${flags.database} is an empty in-memory database with nothing to measure: give a PostgreSQL URL (postgres://user@host:port/db) or pglite:DIR holding the reporting data`, { exitCode: 2 });
    }
    for (const [label, path] of [['', args.file], ['--previous ', flags.previous]] as const) {
      if (path === undefined) continue;
      if (!existsSync(path)) throw new ExdefError(`${label}${path}: no such file`, { exitCode: 2 });
      if (statSync(path).isDirectory()) throw new ExdefError(`${label}${path} is a directory: name one definition file`, { exitCode: 2 });
    }
    if (flags.output !== undefined && existsSync(flags.output) && statSync(flags.output).isDirectory()) {
      throw new ExdefError(`-o ${flags.output} is a directory: name the report file, e.g. -o ${flags.output.replace(/\/$/, '')}/review.${flags.format === 'markdown' ? 'md' : 'html'}`, { exitCode: 2 });
    }
    const catalogue = catalogueForCommand(flags.catalogue);
    const context = await lintContextForCommand({ catalogue, today, policy: flags.policy, terminology: flags.terminology });
    const { reviewDefinitionFile } = await import('../../report/review-definition.js');
    const outcome = await reviewDefinitionFile(args.file, {
      context,
      ...(flags.previous !== undefined ? { previous: flags.previous } : {}),
      ...(flags.database !== undefined ? { database: flags.database } : {}),
    });
    if ('unusable' in outcome) {
      const { file, diagnostics } = outcome.unusable;
      process.stderr.write(renderDiagnostics(diagnostics.filter((d) => d.severity === 'error'), undefined, paletteFor(process.stderr)));
      throw new ExdefError(`${file} does not parse or resolve: there is nothing to review until it does (see above)`, { exitCode: 2 });
    }
    for (const note of outcome.notes) this.say(`note: ${note}`);
    const { report } = outcome;
    // The practices' approvals, when the provider's configuration is found (a reviewer without one sees none).
    const provider = loadProviderConfigFrom(flags.provider);
    if (provider?.approvals) {
      const { approvalDate, approvalStatuses } = await import('../../approval/practice-approvals.js');
      const { decidePractices } = await import('../../approval/approval-status.js');
      const { definitionToApprove } = await import('../../approval/approve-definition.js');
      // As a run judges them: this definition's identity and its recipient certificate's bytes.
      const identity = definitionToApprove(args.file, catalogue);
      const records = approvalStatuses(provider.approvals, approvalDate(today), identity).filter((s) => s.definition === identity.id);
      report.approvals = { provider: provider.file, date: approvalDate(today), practices: decidePractices(identity, outcome.practices, records), records };
    }
    const text = flags.format === 'markdown' ? (await import('../../report/render-markdown.js')).renderMarkdown(report) : (await import('../../report/render-html.js')).renderHtml(report);
    if (flags.output === undefined) {
      process.stdout.write(text);
      return;
    }
    writeFileAtomically(flags.output, text, { exitCode: 2 });
    const c = report.findings.counts;
    this.say(`wrote ${flags.output}: ${report.identity.id} version ${report.identity.version}, ${c.error} error${c.error === 1 ? '' : 's'}, ${c.warning} warning${c.warning === 1 ? '' : 's'}${report.diff ? `, ${report.diff.changes.length} change${report.diff.changes.length === 1 ? '' : 's'} since ${report.diff.old?.file}` : ''}`);
  }
}
