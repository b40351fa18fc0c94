import { processAlive } from '../../process-alive.js';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { approvalDate, approvedPractices, type ExcludedPractice } from '../../approval/practice-approvals.js';
import { recipientDigest } from '../../approval/recipient.js';
import { catalogueIdentity, type CatalogueIdentity } from '../../catalogue/catalogue-digest.js';
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { hasErrors } from '../../diagnostics/diagnostic.js';
import { ExdefError } from '../../failure.js';
import type { ExtractDefinition } from '../../ir/extract-definition.js';
import { compileDefinitionFile } from '../../pipeline/compile-definition.js';
import { prepareLint, type LintContext } from '../../pipeline/lint-definition.js';
import type { CompiledPlan } from '../../sql/compile-extract.js';
import { csvDialectProblem, type CsvDialect } from '../csv.js';
import { certificateProblem, checkOpenssl } from '../encrypt.js';
import { directoryProblem, makeDirectory } from '../make-directory.js';
import { PRIVATE_DIRECTORY_MODE } from '../private-files.js';
import { loadPseudonymKeys } from '../pseudonym-keys.js';
import type { RunOptions } from './run-options.js';

/** A definition refused before anything ran: lint errors, with the diagnostics to print. */
export class RunRefused extends ExdefError {
  constructor(
    message: string,
    readonly diagnostics: Diagnostic[],
    exitCode: 1 | 2 = 1,
  ) {
    super(message, { exitCode, step: 'lint' });
  }
}

/** Everything a run needs that is checked without a database: cheap, so checked first. */
export interface PreparedRun {
  plan: CompiledPlan;
  definition: ExtractDefinition;
  policy: LintContext['policy'];
  dialect: CsvDialect;
  /** The practices extracted: asked for (--practice) or all the definition's, and approved. */
  practices: string[];
  excluded: ExcludedPractice[];
  keys: ReturnType<typeof loadPseudonymKeys>['keys'];
  certificate: string | undefined;
  warnings: string[];
}

/**
 * The prepare stage: the checks of a run that need no database, in the order they are cheap: the
 * output directory (exists or can be made, and written), the definition (lint; errors refuse the
 * run), the CSV dialect, the practices, the pseudonym keys and the recipient certificate. `exdef
 * run` calls it before it opens (or seeds) a database, so a mistake is found in a second, not
 * after a minute.
 */
export async function prepareRun(o: Omit<RunOptions, 'db' | 'prepared'>): Promise<PreparedRun> {
  const warnings: string[] = [];
  const warn = (message: string) => {
    warnings.push(message);
    o.events.warn(message);
  };
  prepareOutputDirectory(resolve(o.out));
  o.events.step(`linting ${o.file}`);
  const prepared = await prepareLint({
    catalogue: o.catalogue,
    today: o.extractDate,
    ...(o.policyFile ? { policyFile: o.policyFile } : {}),
    ...(o.terminologyDir ? { terminologyDir: o.terminologyDir } : {}),
  });
  if (!prepared.context) throw new RunRefused('the policy or the terminology is not usable', prepared.diagnostics, 2);
  // An exemption that has expired by the clock stays expired whatever --today says.
  const compiled = compileDefinitionFile(o.file, { ...prepared.context, exemptionDate: (o.now ?? (() => new Date()))().toISOString().slice(0, 10) });
  const errors = compiled.diagnostics.filter((d) => d.severity === 'error');
  if (!compiled.plan || !compiled.definition || hasErrors(compiled.diagnostics)) {
    throw new RunRefused(`${o.file} has ${errors.length} lint error${errors.length === 1 ? '' : 's'}: it is not run`, compiled.diagnostics);
  }
  for (const d of compiled.diagnostics.filter((x) => x.severity === 'warning')) warn(`${d.message} [${d.code}]`);
  const plan = compiled.plan;
  const definition = compiled.definition;
  const dialect: CsvDialect = { ...definition.output.csv };
  const dialectProblem = csvDialectProblem(dialect);
  if (dialectProblem) throw new ExdefError(`${o.file}: the CSV dialect cannot be written: ${dialectProblem}`, { exitCode: 1, step: 'csv' });
  const selected = selectPractices(definition, o.practices);
  const { keys, warnings: keyWarnings } = loadPseudonymKeys(plan.keys, { ...(o.keysFile ? { file: o.keysFile } : {}), env: o.env });
  keyWarnings.forEach(warn);
  const certificate = await recipientCertificate(o, definition);
  const { practices, excluded } = selectApproved(o, plan, selected, recipientDigest(o.file, definition), catalogueIdentity(o.catalogue));
  for (const p of excluded) warn(`practice ${p.practice} is left out: ${p.reason}`);
  return { plan, definition, policy: prepared.context.policy, dialect, practices, excluded, keys, certificate, warnings };
}

/** The output directory exists (or is made) and can be written; stale temporary directories of killed runs are removed. */
function prepareOutputDirectory(out: string): void {
  try {
    makeDirectory(out, PRIVATE_DIRECTORY_MODE);
    const probe = join(out, `.exdef-probe-${process.pid}`);
    writeFileSync(probe, '');
    rmSync(probe);
  } catch (error) {
    throw new ExdefError(`cannot write to the output directory ${out}: ${directoryProblem(error as NodeJS.ErrnoException)}`, { exitCode: 2, step: 'output' });
  }
  for (const entry of readdirSync(out)) {
    const match = /^\.exdef-run-(\d+)-[0-9a-f]+$/.exec(entry);
    if (match && !processAlive(Number(match[1]))) rmSync(join(out, entry), { recursive: true, force: true });
  }
}


/**
 * Each practice is the controller of its rows: only those whose approval of exactly this
 * definition (fingerprint and digest) is valid on the extract date are extracted. None approved
 * refuses the run (exit 1, a FAILED log naming each practice and why).
 */
function selectApproved(
  o: Pick<RunOptions, 'approvals' | 'extractDate' | 'now'>,
  plan: CompiledPlan,
  selected: string[],
  recipient: string | undefined,
  catalogue: CatalogueIdentity,
): { practices: string[]; excluded: ExcludedPractice[] } {
  const d = plan.definition;
  if (!o.approvals) {
    throw new ExdefError('no provider configuration: a run extracts only the practices that approved the definition, and the provider configuration says where approvals are and whose keys are trusted', {
      exitCode: 2,
      step: 'approvals',
      hints: ['give it with --provider FILE or EXDEF_PROVIDER, or put exdef.provider.yaml in the working directory (docs/production.md, "Approvals")'],
    });
  }
  // Judged on the later of --today and the clock's date: a past --today never revives an expired
  // approval. And on the recipient certificate's bytes (the practices approved delivery to it),
  // and the catalogue's meaning (they approved the data it reads).
  const date = approvalDate(o.extractDate, (o.now ?? (() => new Date()))());
  const decision = approvedPractices(o.approvals, { id: d.id, version: d.version, fingerprint: d.fingerprint, digest: d.digest, recipient, catalogue }, selected, date);
  if (decision.practices.length === 0) {
    throw new ExdefError(
      `no practice has approved ${d.id} version ${d.version} (fingerprint ${d.fingerprint.slice(0, 12)}) for ${date}${date === o.extractDate ? '' : ` (the clock's date, later than --today ${o.extractDate})`}: ${decision.excluded.map((p) => `${p.practice} ${p.reason}`).join('; ')}`,
      { exitCode: 1, step: 'approvals', hints: ['each practice approves it with `exdef approve FILE --practice ODS --by NAME --role ROLE --key KEY`; `exdef approvals FILE` lists the approvals and their state'] },
    );
  }
  return decision;
}

function selectPractices(definition: ExtractDefinition, asked: string[] | undefined): string[] {
  const all = definition.population.practices;
  if (!asked) return [...all];
  const unknown = asked.filter((p) => !all.includes(p));
  if (unknown.length > 0) throw new ExdefError(`--practice ${unknown.join(', ')}: not a practice of this definition (${all.join(', ')})`, { exitCode: 2, step: 'practices' });
  return all.filter((p) => asked.includes(p));
}

async function recipientCertificate(o: Pick<RunOptions, 'encryptTo' | 'file'>, definition: ExtractDefinition): Promise<string | undefined> {
  const written = definition.output.encryption?.certificate;
  const named = written === undefined ? undefined : isAbsolute(written) ? written : join(dirname(o.file), written);
  // The practices approved this definition, recipient included: --encrypt-to may name the same
  // certificate, never another one.
  if (o.encryptTo && named && !sameFileContent(o.encryptTo, named)) {
    throw new ExdefError(`--encrypt-to ${o.encryptTo} is not the recipient certificate the definition names (${written}): the practices approved the extract to that recipient`, {
      exitCode: 2,
      step: 'encryption',
      hints: ['leave out --encrypt-to; to send to another recipient, change output.encryption.certificate and have the practices approve the new version'],
    });
  }
  const path = o.encryptTo ?? named;
  if (!path) return undefined;
  const openssl = await checkOpenssl();
  if (openssl) throw new ExdefError(openssl, { exitCode: 2, step: 'encryption' });
  const problem = await certificateProblem(path);
  if (problem) throw new ExdefError(`the recipient certificate ${path}: ${problem}`, { exitCode: 2, step: 'encryption' });
  return path;
}

/** Whether two files hold the same bytes (an unreadable one never matches). */
function sameFileContent(a: string, b: string): boolean {
  try {
    return readFileSync(a).equals(readFileSync(b));
  } catch {
    return false;
  }
}

