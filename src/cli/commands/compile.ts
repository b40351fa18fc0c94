import { Args, Flags } from '@oclif/core';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { makeOutputDirectory } from '../../execute/make-directory.js';
import { join } from 'node:path';
import { hasErrors } from '../../diagnostics/diagnostic.js';
import { paletteFor, renderDiagnostics } from '../../diagnostics/render-terminal.js';
import { ExdefError } from '../../failure.js';
import { compileDefinitionFile } from '../../pipeline/compile-definition.js';
import type { CompiledPlan } from '../../sql/compile-extract.js';
import { sqlFile, type QueryFileKind } from '../../sql/render-sql.js';
import { definitionFileArgument } from '../definition-files.js';
import { ExdefCommand } from '../exdef-command.js';
import { lintContextForCommand, todayFromFlag } from '../lint-context-for-cli.js';
import { catalogueForCommand } from '../load-catalogue-for-cli.js';
import { catalogueFlag, jsonFlag } from '../shared-flags.js';
import { writeFileAtomically } from '../write-file.js';

export default class Compile extends ExdefCommand {
  static override summary = 'Compile a definition into parameterised PostgreSQL with the policy\'s guards built in';
  static override description =
    'Lints the definition (a definition with errors is never compiled), then writes one SQL query per dataset — the population, the row guards (soft-deleted, confidential, sensitive codes) and the definition\'s filters built in, every value a bound parameter — with a header naming the definition, its fingerprint and what each parameter means; a delta definition\'s queries add each row\'s record id, which a delta run compares with what the recipient holds. With -o, writes DIR/<dataset>.sql (and <dataset>.k-anonymity.sql for datasets with quasi-identifiers), DIR/population.sql and DIR/plan.json (the compiled plan the executor runs); without, prints the SQL. The compiler checks its own output: a query missing a guard is refused as an internal error (exit 2).';
  static override examples = [
    { description: 'Show the SQL of a definition', command: '<%= config.bin %> compile definitions/phm-warehouse.exdef.yaml' },
    { description: 'Write the SQL files and plan.json', command: '<%= config.bin %> compile definitions/chis-immunisations.exdef -o build/chis' },
    { description: 'The compiled plan as JSON', command: '<%= config.bin %> compile definitions/two-week-wait-audit.exdef --json' },
  ];
  static override args = {
    file: Args.string({ description: 'The definition (YAML or exdef language)', required: true }),
  };
  static override flags = {
    output: Flags.string({ char: 'o', description: 'Write the SQL files and plan.json into this directory', helpValue: 'DIR' }),
    json: jsonFlag,
    today: Flags.string({ description: 'The date lint checks and exemptions are judged on (YYYY-MM-DD; default: today)', helpValue: 'DATE' }),
    policy: Flags.string({ description: "An organisation's policy file, applied on top of the IM1 policy", helpValue: 'FILE' }),
    terminology: Flags.string({ description: 'SNOMED CT RF2 snapshot directory lint evaluates code sets in (default: the shipped sample)', helpValue: 'DIR' }),
    catalogue: catalogueFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Compile);
    const today = todayFromFlag(flags.today);
    definitionFileArgument(args.file);
    const catalogue = catalogueForCommand(flags.catalogue);
    const context = await lintContextForCommand({ catalogue, today, policy: flags.policy, terminology: flags.terminology });
    const compiled = compileDefinitionFile(args.file, context);
    const shown = compiled.diagnostics.filter((d) => d.severity !== 'info');
    if (shown.length > 0) process.stderr.write(renderDiagnostics(shown, undefined, paletteFor(process.stderr)));
    if (!compiled.plan || hasErrors(compiled.diagnostics)) {
      throw new ExdefError(`${args.file} has errors: it is not compiled`, { exitCode: 1 });
    }
    const plan = compiled.plan;
    if (flags.output) {
      const written = await writePlan(plan, flags.output);
      if (flags.json) process.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
      else this.say(`compiled ${plan.definition.id} version ${plan.definition.version}: ${written.map((f) => join(flags.output!, f)).join(', ')}`);
      return;
    }
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
      return;
    }
    const files = await Promise.all(queryFiles(plan).map(({ kind }) => sqlFile(plan, kind)));
    process.stdout.write(files.join('\n'));
  }
}

/** The SQL files of a plan: each dataset's query (and k-anonymity query), then the population. */
function queryFiles(plan: CompiledPlan): { name: string; kind: QueryFileKind }[] {
  const files: { name: string; kind: QueryFileKind }[] = [];
  for (const dataset of plan.datasets) {
    files.push({ name: `${dataset.name}.sql`, kind: { kind: 'dataset', dataset, variant: 'full' } });
    if (dataset.disclosure.kAnonymity) files.push({ name: `${dataset.name}.k-anonymity.sql`, kind: { kind: 'dataset', dataset, variant: 'k-anonymity' } });
  }
  files.push({ name: 'population.sql', kind: { kind: 'population' } });
  return files;
}

/**
 * Writes each file under a temporary name and renames it, plan.json last; SQL files a previous
 * compile wrote into the directory (named in its plan.json) and no longer part of the plan are removed.
 */
async function writePlan(plan: CompiledPlan, directory: string): Promise<string[]> {
  if (existsSync(directory) && !statSync(directory).isDirectory()) throw new ExdefError(`${directory} is a file, not a directory`, { exitCode: 2 });
  makeOutputDirectory(directory);
  const files = queryFiles(plan);
  const previous = previousFiles(join(directory, 'plan.json'));
  for (const file of files) writeFileAtomically(join(directory, file.name), await sqlFile(plan, file.kind), { exitCode: 2 });
  writeFileAtomically(join(directory, 'plan.json'), `${JSON.stringify(plan, null, 2)}\n`, { exitCode: 2 });
  for (const stale of previous) {
    if (!files.some((f) => f.name === stale)) rmSync(join(directory, stale), { force: true });
  }
  return [...files.map((f) => f.name), 'plan.json'];
}

function previousFiles(planPath: string): string[] {
  try {
    const old = JSON.parse(readFileSync(planPath, 'utf8')) as CompiledPlan;
    return queryFiles(old).map((f) => f.name);
  } catch {
    return [];
  }
}
