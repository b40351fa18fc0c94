import { linkSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import type { Catalogue } from '../catalogue/catalogue.js';
import type { Database, Session } from '../db/database.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { hasErrors } from '../diagnostics/diagnostic.js';
import { disclosureChecks, linkedDisclosureChecks, type DisclosureCheck, type LinkedDisclosureCheck } from '../disclosure/disclosure-checks.js';
import { ExdefError, isExdefError } from '../failure.js';
import type { ExtractDefinition, Frequency } from '../ir/extract-definition.js';
import { compileDefinitionFile } from '../pipeline/compile-definition.js';
import { prepareLint, type LintContext } from '../pipeline/lint-definition.js';
import { bindParameters, type RunValues } from '../sql/bind-parameters.js';
import type { CompiledPlan } from '../sql/compile-extract.js';
import { type PopulationRow } from '../sql/population-change.js';
import { terminologyDigestQuery } from '../sql/terminology-digest.js';
import { createHash } from 'node:crypto';
import { csvDialectProblem, type CsvDialect } from './csv.js';
import { writeDataset, type WrittenFile } from './dataset-writer.js';
import { deltaRecords, type DeltaRecords } from './delta-records.js';
import { HeldRows } from './held-rows.js';
import { certificateProblem, checkOpenssl, encryptSmime } from './encrypt.js';
import { ensureStateSchema, markUnsavedFull, newRecordKey, readHeldRecords, readPopulationState, readState, readUnsavedFull, readWithheld, writeState, type ExtractState } from './extract-state.js';
import { writeFailedLog, writeLogFile } from './log-file.js';
import { directoryProblem, makeDirectory } from './make-directory.js';
import { runFailure } from './run-failure.js';
import { loadPseudonymKeys } from './pseudonym-keys.js';
import { catalogueTableAccess, grantSelect } from '../db/role-check.js';
import { queryBound } from './copy-sql.js';
import { abandonSnapshot, beginSnapshot, DEFAULT_PREPARED_MARGIN_SECONDS, endSnapshot, joinSnapshot, lateWriterMark, lateWriterVisibility, withSessions } from './snapshot.js';
import { PRIVATE_DIRECTORY_MODE, withPrivateUmask } from './private-files.js';
import { lockRun } from './run-lock.js';
import { writeZip } from './zip.js';
import { approvedPractices, type ApprovalSource, type ExcludedPractice } from '../approval/practice-approvals.js';

/** What a person watching is told as the run goes. */
export interface RunEvents {
  warn(message: string): void;
  step(message: string): void;
  datasetStarted(dataset: string): void;
  datasetRows(dataset: string, rows: number): void;
  datasetFinished(dataset: string, files: readonly WrittenFile[], seconds: number): void;
}

export interface RunOptions {
  file: string;
  db: Database;
  catalogue: Catalogue;
  /** The output directory: the extract and logs/ go here. */
  out: string;
  /** YYYY-MM-DD: the extract date; the population and today() are judged on it. */
  extractDate: string;
  full: boolean;
  /** Run for these practices only (a subset of the definition's): always full, state untouched. */
  practices?: string[];
  /**
   * The provider's approvals (provider-config.ts): only practices whose approval of this
   * definition is valid are extracted; none given (no provider configuration) refuses the run.
   */
  approvals: ApprovalSource | undefined;
  force: boolean;
  /** A recipient certificate (PEM) to encrypt to, overriding the definition's. */
  encryptTo?: string;
  keysFile?: string;
  env: NodeJS.ProcessEnv;
  /** Datasets extracted at once (PostgreSQL only; each on its own connection, one snapshot). */
  concurrency: number;
  statementTimeoutSeconds: number;
  /**
   * The late-writer margin the provider chose (seconds): how far before now a delta window ends
   * when other sessions' transactions cannot be seen, and before a prepared transaction's PREPARE.
   * Without one, a role that cannot see other sessions is refused (lateWriterVisibility).
   */
  lateWriterMarginSeconds?: number;
  policyFile?: string;
  terminologyDir?: string;
  now?: () => Date;
  events: RunEvents;
  /**
   * Told the temporary directory while the run writes there (so a signal handler can remove it),
   * and `delivered` once the output is in place (after which an interruption is not a failed extract).
   */
  onPhase?: (phase: { work?: string; delivered: boolean }) => void;
  /** The checks already made by `prepareRun` (made here when absent). */
  prepared?: PreparedRun;
  /**
   * Called once the extract and its log are in place and before the delta state advances: `run`
   * puts the extract in the delivery outbox here (src/deliver/outbox.ts), so a state that advances
   * always has its output kept until delivered. A failure here fails the run, the state unchanged.
   */
  onPackaged?: (packaged: PackagedExtract) => Promise<void> | void;
}

/** A finished extract, as handed to `onPackaged`. */
export interface PackagedExtract {
  definition: ExtractDefinition;
  output: string;
  log: string;
  manifest: Manifest;
  encrypted: boolean;
}

export type { DisclosureCheck, LinkedDisclosureCheck } from '../disclosure/disclosure-checks.js';

export interface Manifest {
  manifest: 1;
  generator: string;
  definition: { id: string; version: number; title: string; fingerprint: string; digest: string };
  extractDate: string;
  snapshot: string;
  mode: 'full' | 'delta';
  reason: string;
  window: { start: string; end: string } | null;
  /**
   * A delta definition's run: what the recipient's copy was compared with (the last run's
   * snapshot; null for a new baseline) and what changed the meaning of the data since (a
   * terminology update, the policy's code sets, the date today() filters are judged on). A delta
   * is made by comparing the full result with what the recipient holds, so each of these arrives
   * as the upserts and deletes it causes.
   */
  comparison?: { with: string | null; changes: string[] };
  practices: string[];
  /** Practices of the definition left out (no valid approval), and why. */
  excluded: ExcludedPractice[];
  layout: 'single_zip' | 'per_practice';
  csv: CsvDialect;
  population: { patients: number };
  files: (Omit<WrittenFile, 'practice'> & { practice?: string; columns: { name: string; type: string }[] })[];
  disclosure: DisclosureCheck[];
  /** Datasets linked by a linkage key, measured as one table (the mosaic effect). */
  linkedDisclosure: LinkedDisclosureCheck[];
}

export interface RunResult {
  status: 'COMPLETE';
  definition: { id: string; version: number; fingerprint: string };
  mode: 'full' | 'delta';
  reason: string;
  extractDate: string;
  snapshot: string;
  window: { start: string; end: string } | null;
  /** The delivered file: the ZIP, or the .zip.enc. */
  output: string;
  log: string;
  encrypted: boolean;
  files: WrittenFile[];
  rows: number;
  bytes: number;
  disclosure: DisclosureCheck[];
  linkedDisclosure: LinkedDisclosureCheck[];
  seconds: number;
  warnings: string[];
  /** Set when the output is in place but the delta state could not be saved. */
  stateError?: string;
}

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


/** Steps whose failures are the user's usage errors or a run not yet due: they write no log. */
const NOT_LOGGED = new Set(['schedule', 'practices', 'output', 'lock']);

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
 * The checks of a run that need no database, in the order they are cheap: the output directory
 * (exists or can be made, and written), the definition (lint; errors refuse the run), the CSV
 * dialect, the practices, the pseudonym keys and the recipient certificate. `exdef run` calls it
 * before it opens (or seeds) a database, so a mistake is found in a second, not after a minute.
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
  const { practices, excluded } = selectApproved(o, plan, selected);
  for (const p of excluded) warn(`practice ${p.practice} is left out: ${p.reason}`);
  return { plan, definition, policy: prepared.context.policy, dialect, practices, excluded, keys, certificate, warnings };
}

const GENERATOR = 'exdef 0.1';

/**
 * Runs an approved definition into `out`: lint (a definition with errors never runs), compile,
 * one read-only repeatable-read snapshot for every dataset, CSVs streamed to a temporary
 * directory, the disclosure check, a ZIP with manifest.json (encrypted to the recipient's
 * certificate when there is one), renamed into place only when complete, the seed-000 log file,
 * and only then the delta state. A failure leaves nothing under a final name, the state as it
 * was, and a FAILED log where it can be written.
 */
export async function runExtract(o: RunOptions): Promise<RunResult> {
  return withPrivateUmask(() => extract(o));
}

async function extract(o: RunOptions): Promise<RunResult> {
  const now = o.now ?? (() => new Date());
  const started = now();
  const warnings: string[] = [];
  const warn = (message: string) => {
    warnings.push(message);
    o.events.warn(message);
  };
  const out = resolve(o.out);
  let work: string | undefined;
  let filesGenerated = 0;
  /** Releases the run's lock on its definition (run-lock.ts), once taken. */
  let unlock: (() => Promise<void>) | undefined;
  /** What the run is doing, for the message when it fails. */
  let step = 'linting the definition';
  const events: RunEvents = {
    ...o.events,
    step(message) {
      step = message;
      o.events.step(message);
    },
    datasetStarted(dataset) {
      step = `extracting dataset ${dataset}`;
      o.events.datasetStarted(dataset);
    },
  };
  const fail = (raw: unknown): never => {
    const error = runFailure(raw, step, o.db.target, o.statementTimeoutSeconds);
    if (work) rmSync(work, { recursive: true, force: true });
    // A run the schedule does not allow yet is not a failed extract: nothing was due, so no log;
    // nor is a usage error (an --out that cannot be written, a --practice not in the definition),
    // nor a run refused because another run of the definition is going (the log is that run's).
    if (isExdefError(error) && NOT_LOGGED.has(error.step ?? '')) throw error;
    const reason = isExdefError(error) ? error.message : `internal error: ${(error as Error).message}`;
    writeFailedLog(out, o.extractDate, { started, completed: now(), files: filesGenerated, reason });
    throw error;
  };

  try {
    const prepared = o.prepared ?? (await prepareRun(o));
    for (const warning of prepared.warnings) warnings.push(warning);
    const { plan, definition, policy, dialect, practices, excluded, keys, certificate } = prepared;

    // ------------------------------------------------------------------ the database and the state
    events.step(`connecting to ${o.db.target}`);
    await checkTables(o.db, o.catalogue);
    await checkLateWriterVisibility(o.db, o.lateWriterMarginSeconds);
    await ensureStateSchema(o.db);
    // Runs that save the state never overlap; a run for named practices leaves the state alone.
    if (!o.practices) unlock = await lockRun(o.db, definition.id);
    const state = await readState(o.db, definition.id);
    const unsavedFull = state && definition.mode === 'delta' ? await readUnsavedFull(o.db, definition.id) : undefined;
    let decision = decideMode(o, definition, plan, state);
    if (decision.mode === 'delta' && unsavedFull) {
      decision = {
        mode: 'full',
        reason:
          unsavedFull.mode === 'full'
            ? `the full extract of ${unsavedFull.snapshot} may have been delivered without its state being saved: it is repeated, so that no delta follows it against the state before it`
            : `the delta of ${unsavedFull.snapshot} may have been delivered without its state being saved: a full extract follows, since what the recipient holds is not known (that delta, or the state before it)`,
      };
    }
    if (state && !o.force && !o.practices) checkSchedule(definition.schedule.frequency, state, o.extractDate);
    // What the recipient holds, by dataset: a delta sends a delete marker only for one of these.
    const { held, olderFormat } = decision.mode === 'delta' ? await readHeldRecords(o.db, definition.id) : { held: new Map<string, HeldRows>(), olderFormat: false };
    if (decision.mode === 'delta' && plan.datasets.some((d) => !held.has(d.name))) {
      decision = {
        mode: 'full',
        reason: olderFormat
          ? 'the state was saved by an earlier exdef, which kept the ids of the rows the recipient holds but not their content: a full extract is the new baseline that deltas are compared with'
          : 'the state does not record which rows the recipient holds (it was saved by an earlier exdef): a full extract starts again',
      };
    }
    if (definition.output.delivery.kind === 'sftp' && !o.onPackaged) {
      warn(`the definition delivers by SFTP to ${definition.output.delivery.host}: exdef run writes the extract to ${out}; the transfer is your delivery job's (with the host key the definition names)`);
    }
    const windowWarning = outsideRunWindow(definition, now());
    if (windowWarning) warn(windowWarning);
    const recordKey = decision.mode === 'delta' || o.practices ? (state?.recordKey ?? newRecordKey()) : newRecordKey();
    // Patients withheld under on_opt_back_in: no_backfill stay withheld in a new baseline too
    // (--full, a new fingerprint, the full after an interrupted run): it sends no more of their
    // history than a delta would, and the state keeps them withheld.
    const carriesState = state !== undefined && definition.mode === 'delta' && !o.practices;
    const previous = carriesState ? await readPopulationState(o.db, definition.id) : undefined;
    const withheldBefore = carriesState ? await readWithheld(o.db, definition.id) : new Map<number, number>();

    work = join(out, `.exdef-run-${process.pid}-${randomBytes(4).toString('hex')}`);
    mkdirSync(work, { mode: PRIVATE_DIRECTORY_MODE });
    o.onPhase?.({ work, delivered: false });

    // ------------------------------------------------------------------ one snapshot
    const mark = await lateWriterMark(o.db, o.lateWriterMarginSeconds);
    if (mark.hiddenSessions > 0) {
      if (o.lateWriterMarginSeconds === undefined) throw cannotSeeSessions((await lateWriterVisibility(o.db)).role);
      warn(
        `${mark.hiddenSessions} other session${mark.hiddenSessions === 1 ? "'s" : "s'"} transactions cannot be seen (grant pg_read_all_stats to the extract user): the delta window ends ${o.lateWriterMarginSeconds} s before now, as --late-writer-margin says, so that a late commit is not missed`,
      );
    }
    if (mark.prepared > 0) {
      warn(
        `${mark.prepared} prepared (two-phase) transaction${mark.prepared === 1 ? ' is' : 's are'} pending in the database, the oldest prepared at ${mark.oldestPrepared}: the delta window ends ${o.lateWriterMarginSeconds ?? DEFAULT_PREPARED_MARGIN_SECONDS} s before that, so that its rows are not missed when it commits`,
      );
    }
    const windowEnd = decision.mode === 'delta' && state && mark.windowEnd < state.windowEnd ? state.windowEnd : mark.windowEnd;
    const window = decision.mode === 'delta' && state ? { start: state.windowEnd, end: windowEnd } : null;

    let records = new Map<string, DeltaRecords>();
    let withheld = new Map<number, number>();
    let terminology: string | undefined;
    const policyDigest = createHash('sha256').update(JSON.stringify(plan.parameters.filter((p) => p.source === 'policy'))).digest('hex').slice(0, 16);
    const datasetCount = plan.datasets.length;
    const sessions = o.db.engine === 'postgres' ? Math.max(1, Math.min(o.concurrency, datasetCount)) : 1;
    const settings = { statementTimeoutSeconds: o.statementTimeoutSeconds, ...(o.db.engine === 'postgres' ? { clientCheckSeconds: CLIENT_CHECK_SECONDS } : {}) };
    const extracted = await withSessions(o.db, sessions, async ([leader, ...workers]) => {
      const snapshot = await beginSnapshot(leader!, settings, { export: workers.length > 0 });
      const joined: Session[] = [];
      try {
        for (const worker of workers) {
          await joinSnapshot(worker, snapshot.exported!, settings);
          joined.push(worker);
        }
        const base: RunValues = {
          snapshotDate: o.extractDate,
          recordKey,
          keys,
          ...(window ? { window } : {}),
          ...(o.practices || excluded.length > 0 ? { practices } : {}),
        };
        events.step('reading the population');
        const population = (await queryBound<{ patient_id: string; practice: string; opted_out: boolean }>(leader!, plan.population.sql, bindParameters(plan, plan.population, base))).map(
          (r): PopulationRow => ({ patientId: String(r.patient_id), practice: r.practice, optedOut: r.opted_out }),
        );
        const values: RunValues = base;
        if (definition.mode === 'delta') {
          if (!o.practices) terminology = (await queryBound<{ digest: string }>(leader!, terminologyDigestQuery(o.catalogue).sql, []))[0]?.digest;
          // Every dataset of a delta definition is its full query compared with what the recipient
          // holds (delta-records.ts); in a full run that is nothing, so every row is an upsert.
          const members = new Set(population.filter((p) => !p.optedOut).map((p) => Number(p.patientId)));
          withheld = previous ? withheldPatients(population, previous, withheldBefore, plan.guards.population.onOptBackIn, Date.parse(state!.windowEnd) * 1000) : new Map();
          records = new Map(
            plan.datasets.map((d) => [
              d.name,
              deltaRecords(decision.mode === 'delta' ? held.get(d.name)! : HeldRows.empty(), {
                practices: definition.population.practices,
                perPractice: plan.definition.layout === 'per_practice',
                fields: d.columns.filter((c) => c.role === 'field').length,
                ...(definition.population.onLeave === 'keep' ? { keepDeparted: members } : {}),
                ...(withheld.size > 0 ? { withheldSince: withheld } : {}),
              }),
            ]),
          );
        }

        events.step('measuring k-anonymity on the data');
        const disclosure = await disclosureChecks(leader!, plan, definition, values, policy.thresholds.kAnonymity, policy.thresholds.pseudonymisedBelowK);
        for (const check of disclosure) {
          if (check.outcome === 'warn') warn(check.note);
        }
        const linkedDisclosure = await linkedDisclosureChecks(leader!, plan, definition, values, policy.thresholds.kAnonymity);
        const failed = [...disclosure, ...linkedDisclosure].filter((c) => c.outcome === 'fail');
        if (failed.length > 0) {
          throw new ExdefError(failed.map((c) => c.note).join('; '), {
            exitCode: 1,
            step: 'disclosure check',
            hints: [
              'generalise the quasi-identifiers (year(), age_band(), postcode_district()), drop one, or widen the population',
              ...(failed.some((c) => 'datasets' in c) ? ['or stop linking the datasets: a pseudonym key of its own per dataset (or none) where they need not be joined'] : []),
            ],
          });
        }

        const files = await extractDatasets(o.db.engine, [leader!, ...joined], plan, values, dialect, work!, practices, events, records, definition.output.compression);
        for (const session of [leader!, ...joined]) await endSnapshot(session);
        return { snapshot, population, files, disclosure, linkedDisclosure };
      } catch (error) {
        for (const session of [leader!, ...joined]) await abandonSnapshot(session);
        throw error;
      }
    });

    // ------------------------------------------------------------------ the package
    filesGenerated = extracted.files.length;
    const meaningChanges = decision.mode === 'delta' && state ? changesOfMeaning(definition, state, { extractDate: o.extractDate, terminology, policy: policyDigest }) : [];
    if (meaningChanges.length > 0) decision = { ...decision, reason: `${decision.reason}; ${meaningChanges.join('; ')}` };
    const manifest: Manifest = {
      manifest: 1,
      generator: GENERATOR,
      definition: { id: plan.definition.id, version: plan.definition.version, title: plan.definition.title, fingerprint: plan.definition.fingerprint, digest: plan.definition.digest },
      extractDate: o.extractDate,
      snapshot: extracted.snapshot.time,
      mode: decision.mode,
      reason: decision.reason,
      window,
      ...(definition.mode === 'delta' ? { comparison: { with: decision.mode === 'delta' ? state!.lastSnapshot : null, changes: meaningChanges } } : {}),
      practices,
      excluded,
      layout: plan.definition.layout,
      csv: dialect,
      population: { patients: extracted.population.filter((p) => !p.optedOut).length },
      files: extracted.files.map((f) => {
        const dataset = plan.datasets.find((d) => d.name === f.dataset)!;
        return { ...f, columns: dataset.columns.filter((c) => c.role !== 'practice' && c.role !== 'held').map((c) => ({ name: c.name, type: c.role === 'field' ? c.type : 'text' })) };
      }),
      disclosure: extracted.disclosure,
      linkedDisclosure: extracted.linkedDisclosure,
    };
    events.step('packaging');
    const name = `${definition.id}_${extracted.snapshot.time.slice(0, 19).replace(/[-:]/g, '')}Z_${decision.mode}.zip`;
    const zipTemporary = join(work, name);
    await writeZip(zipTemporary, [...extracted.files.map((f) => ({ name: f.path, packed: join(work!, f.path) })), { name: 'manifest.json', text: `${JSON.stringify(manifest, null, 2)}\n` }], {
      mtime: new Date(extracted.snapshot.time),
      ...(definition.output.compression ? { compression: definition.output.compression } : {}),
    });
    let delivered = zipTemporary;
    if (certificate) {
      events.step('encrypting (S/MIME, AES-256)');
      delivered = `${zipTemporary}.enc`;
      await encryptSmime(zipTemporary, delivered, certificate);
    }
    // An extract that reaches the recipient without its state saved leaves what it holds unknown: a
    // full is repeated, a delta is followed by a full (never by a delta compared with the state
    // before it). Marked first, cleared with the state (extract-state.ts).
    if (definition.mode === 'delta' && !o.practices) await markUnsavedFull(o.db, definition.id, extracted.snapshot.time, decision.mode);
    const output = placeUnder(delivered, out);
    o.onPhase?.({ delivered: true });
    rmSync(work, { recursive: true, force: true });
    work = undefined;
    const log = writeLogFile(out, o.extractDate, { status: 'COMPLETE', started, completed: now(), errors: 0, files: filesGenerated, excluded });
    if (o.onPackaged) {
      step = 'placing the extract in the outbox';
      await o.onPackaged({ definition, output, log, manifest, encrypted: certificate !== undefined });
    }

    // ------------------------------------------------------------------ the state, last
    const result: RunResult = {
      status: 'COMPLETE',
      definition: { id: plan.definition.id, version: plan.definition.version, fingerprint: plan.definition.fingerprint },
      mode: decision.mode,
      reason: decision.reason,
      extractDate: o.extractDate,
      snapshot: extracted.snapshot.time,
      window,
      output,
      log,
      encrypted: certificate !== undefined,
      files: extracted.files,
      rows: extracted.files.reduce((n, f) => n + f.rows, 0),
      bytes: statSync(output).size,
      disclosure: extracted.disclosure,
      linkedDisclosure: extracted.linkedDisclosure,
      seconds: (now().getTime() - started.getTime()) / 1000,
      warnings,
    };
    if (!o.practices) {
      try {
        await writeState(
          o.db,
          {
            definitionId: definition.id,
            fingerprint: plan.definition.fingerprint,
            recordKey,
            windowEnd,
            lastSnapshot: extracted.snapshot.time,
            lastExtractDate: o.extractDate,
            lastMode: decision.mode,
            runs: (state?.runs ?? 0) + 1,
            ...(terminology ? { terminology } : {}),
            policy: policyDigest,
          },
          definition.mode === 'delta' ? extracted.population : undefined,
          new Map([...records].map(([dataset, r]) => [dataset, r.next.sorted()])),
          withheld,
        );
      } catch (error) {
        result.stateError = `the extract is complete, but its state could not be saved (${(error as Error).message}): the next run repeats this one`;
      }
    }
    return result;
  } catch (error) {
    return fail(error);
  } finally {
    await unlock?.().catch(() => undefined);
  }
}

/**
 * Moves the finished file into `out` under its name — or, when a file of that name is there (two
 * runs in one second), under `name-2`, `name-3`, ...: a hard link never replaces an existing file,
 * so two runs can never overwrite each other's delivery. Returns the final path.
 */
function placeUnder(file: string, out: string): string {
  const name = basename(file);
  const dot = name.indexOf('.');
  for (let n = 1; ; n++) {
    const candidate = join(out, n === 1 ? name : `${name.slice(0, dot)}-${n}${name.slice(dot)}`);
    try {
      linkSync(file, candidate);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST' && n < 100) continue;
      throw error;
    }
    rmSync(file);
    return candidate;
  }
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

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Each practice is the controller of its rows: only those whose approval of exactly this
 * definition (fingerprint and digest) is valid on the extract date are extracted. None approved
 * refuses the run (exit 1, a FAILED log naming each practice and why).
 */
function selectApproved(o: Pick<RunOptions, 'approvals' | 'extractDate'>, plan: CompiledPlan, selected: string[]): { practices: string[]; excluded: ExcludedPractice[] } {
  const d = plan.definition;
  if (!o.approvals) {
    throw new ExdefError('no provider configuration: a run extracts only the practices that approved the definition, and the provider configuration says where approvals are and whose keys are trusted', {
      exitCode: 2,
      step: 'approvals',
      hints: ['give it with --provider FILE or EXDEF_PROVIDER, or put exdef.provider.yaml in the working directory (docs/production.md, "Approvals")'],
    });
  }
  const decision = approvedPractices(o.approvals, { id: d.id, version: d.version, fingerprint: d.fingerprint, digest: d.digest }, selected, o.extractDate);
  if (decision.practices.length === 0) {
    throw new ExdefError(
      `no practice has approved ${d.id} version ${d.version} (fingerprint ${d.fingerprint.slice(0, 12)}) for ${o.extractDate}: ${decision.excluded.map((p) => `${p.practice} ${p.reason}`).join('; ')}`,
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

/** The reporting tables the catalogue names must be there: a missing one is a clear error, before anything runs. */
async function checkTables(db: Database, catalogue: Catalogue): Promise<void> {
  const { missing, unreadable } = await catalogueTableAccess(db, catalogue);
  if (missing.length > 0) {
    throw new ExdefError(`${db.target} has no table ${missing.join(', ')}`, {
      exitCode: 2,
      step: 'database',
      hints: ['create the reporting schema with `exdef db init` (and load SNOMED CT with `exdef terminology import`), or name the right database with --database'],
    });
  }
  if (unreadable.length > 0) {
    const [{ role } = { role: 'the extract role' }] = await db.query<{ role: string }>('SELECT current_user AS role');
    throw new ExdefError(`the database role ${role} may not read ${unreadable.join(', ')}`, {
      exitCode: 2,
      step: 'database',
      hints: [`as an administrator: ${grantSelect(unreadable, role)} (exdef db check lists everything the role lacks)`],
    });
  }
}

/**
 * What changed the meaning of the data since the last run, besides the rows themselves: each is
 * sent as the upserts and deletes it causes (the delta is a comparison with what the recipient
 * holds), and the manifest names it.
 */
function changesOfMeaning(definition: ExtractDefinition, state: ExtractState, now: { extractDate: string; terminology: string | undefined; policy: string }): string[] {
  const changes: string[] = [];
  if (state.terminology && now.terminology && state.terminology !== now.terminology) {
    changes.push('the terminology changed since the last run (a new release or refset membership): rows its code sets now select are sent and rows they no longer select are deleted');
  }
  if (state.policy && state.policy !== now.policy) {
    changes.push("the policy's sensitive code sets changed since the last run: rows they now exclude are deleted and rows they release are sent");
  }
  // The population (registrations, opt-outs, deaths on the date) and any today() filter are judged on the extract date.
  if (state.lastExtractDate !== now.extractDate) {
    const filters = datasetsReadTheDate(definition) ? 'the population and the filters relative to today()' : 'the population';
    changes.push(`${filters} are judged on ${now.extractDate} (the last run on ${state.lastExtractDate}): rows that no longer qualify on that date are deleted and rows that now do are sent`);
  }
  return changes;
}

/** Whether a dataset's filter or fields read the extract date (today(), an age): functions in the IR are plain data. */
function datasetsReadTheDate(definition: ExtractDefinition): boolean {
  return /"(today|age_years|age_band)"/.test(JSON.stringify(definition.datasets));
}

/**
 * Patients back from an opt-out whose earlier rows are not sent (on_opt_back_in: no_backfill),
 * with the instant (µs) before which a row of theirs counts as earlier: the end of the window of
 * the run before they came back. A patient stays withheld until they opt out again (and then from
 * their next return): one out of the population for a while — a night their practice's approval
 * lapsed, a registration that ended and began again — is not backfilled when they are back.
 */
function withheldPatients(
  now: readonly PopulationRow[],
  previous: { members: readonly { patientId: string }[]; optedOut: readonly string[] },
  before: ReadonlyMap<number, number>,
  onOptBackIn: 'backfill' | 'no_backfill',
  sinceUs: number,
): Map<number, number> {
  const withheld = new Map<number, number>();
  if (onOptBackIn === 'backfill') return withheld;
  const members = new Set(previous.members.map((m) => m.patientId));
  const optedOut = new Set(previous.optedOut);
  const present = new Set(now.map((row) => Number(row.patientId)));
  for (const [patient, since] of before) {
    if (!present.has(patient)) withheld.set(patient, since);
  }
  for (const row of now) {
    if (row.optedOut) continue;
    const patient = Number(row.patientId);
    const since = before.get(patient);
    if (since !== undefined) withheld.set(patient, since);
    else if (!members.has(row.patientId) && optedOut.has(row.patientId)) withheld.set(patient, sinceUs);
  }
  return withheld;
}

function decideMode(o: RunOptions, definition: ExtractDefinition, plan: CompiledPlan, state: ExtractState | undefined): { mode: 'full' | 'delta'; reason: string } {
  if (definition.mode === 'full') return { mode: 'full', reason: 'the definition is a full extract' };
  if (o.practices) return { mode: 'full', reason: 'a run for some practices only is a full extract, and leaves the delta state alone' };
  if (o.full) return { mode: 'full', reason: 'a full extract was asked for (--full)' };
  if (!state) return { mode: 'full', reason: 'the first run of this definition is a full extract' };
  if (state.fingerprint !== plan.definition.fingerprint) return { mode: 'full', reason: 'the definition changed since the last run (a new fingerprint): it starts again with a full extract' };
  return { mode: 'delta', reason: `the changes since the last run (${state.lastSnapshot})` };
}

const MIN_DAYS: Record<Frequency, number> = { hourly: 1, twice_daily: 1, daily: 1, weekly: 7, fortnightly: 14, monthly: 28, quarterly: 90 };

/** A run more often than the schedule allows is refused (seed 000: at most once per 24 hours). */
function checkSchedule(frequency: Frequency, state: ExtractState, extractDate: string): void {
  const days = (Date.parse(`${extractDate}T00:00:00Z`) - Date.parse(`${state.lastExtractDate}T00:00:00Z`)) / 86_400_000;
  if (days < MIN_DAYS[frequency]) {
    throw new ExdefError(
      `${state.definitionId} last ran for ${state.lastExtractDate}; its schedule is ${frequency.replace('_', ' ')}, so the next run is due ${addDays(state.lastExtractDate, MIN_DAYS[frequency])}`,
      { exitCode: 1, step: 'schedule', hints: ['add --force to run it anyway (e.g. to replace a failed delivery)'] },
    );
  }
}

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** A warning when the run starts outside the definition's window (UK time). */
function outsideRunWindow(definition: ExtractDefinition, at: Date): string | undefined {
  const window = definition.schedule.window;
  if (!window) return undefined;
  const time = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', hour: '2-digit', minute: '2-digit', hour12: false }).format(at);
  const inside = window.start <= window.end ? time >= window.start && time < window.end : time >= window.start || time < window.end;
  return inside ? undefined : `this run starts at ${time} UK time, outside the definition's window ${window.start}-${window.end}`;
}

/** Every dataset to CSV, up to one per session at a time, all in the one snapshot. */
async function extractDatasets(
  engine: Database['engine'],
  sessions: Session[],
  plan: CompiledPlan,
  values: RunValues,
  dialect: CsvDialect,
  work: string,
  practices: string[],
  events: RunEvents,
  records: ReadonlyMap<string, DeltaRecords>,
  compression: ExtractDefinition['output']['compression'],
): Promise<WrittenFile[]> {
  const queue = [...plan.datasets];
  const results = new Map<string, WrittenFile[]>();
  let failed = false;
  const worker = async (session: Session) => {
    for (;;) {
      const dataset = failed ? undefined : queue.shift();
      if (!dataset) return;
      // A delta definition's delta is its full query compared with what the recipient holds.
      const query = dataset.full;
      events.datasetStarted(dataset.name);
      const t0 = Date.now();
      const files = await writeDataset({
        session,
        engine,
        dataset: dataset.name,
        query,
        params: bindParameters(plan, query, values),
        columns: dataset.columns,
        dialect,
        directory: work,
        ...(plan.definition.layout === 'per_practice' ? { practices } : {}),
        onRows: (rows) => events.datasetRows(dataset.name, rows),
        ...(records.has(dataset.name) ? { delta: records.get(dataset.name)! } : {}),
        ...(compression ? { compression } : {}),
      });
      results.set(dataset.name, files);
      events.datasetFinished(dataset.name, files, (Date.now() - t0) / 1000);
    }
  };
  // Every worker stops taking datasets after a failure, and all have stopped before it is reported.
  const settled = await Promise.allSettled(
    sessions.map((s) =>
      worker(s).catch((error: unknown) => {
        failed = true;
        throw error;
      }),
    ),
  );
  const rejected = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
  // Folder by folder (per practice), then by dataset in the definition's order.
  const order = new Map(plan.datasets.map((d, i) => [d.name, i]));
  return plan.datasets
    .flatMap((d) => results.get(d.name) ?? [])
    .sort((a, b) => (a.practice ?? '').localeCompare(b.practice ?? '') || order.get(a.dataset)! - order.get(b.dataset)!);
}

/** A killed run's queries notice the lost client within this many seconds (PostgreSQL 14+). */
const CLIENT_CHECK_SECONDS = 5;

/**
 * A role that cannot see other sessions' transactions cannot place the delta window safely: a row
 * written in a transaction open across the run would be in no delta. Refused before anything is
 * read, unless the provider chose a margin that stands in for what cannot be seen.
 */
async function checkLateWriterVisibility(db: Database, marginSeconds: number | undefined): Promise<void> {
  if (marginSeconds !== undefined) return;
  const visibility = await lateWriterVisibility(db);
  if (!visibility.seesAllSessions) throw cannotSeeSessions(visibility.role);
}

function cannotSeeSessions(role: string): ExdefError {
  return new ExdefError(
    `the database role ${role} cannot see other sessions' transactions, so a row written by a transaction open during the run could be in no delta: grant it pg_read_all_stats, or choose a late-writer margin`,
    {
      exitCode: 2,
      step: 'database',
      hints: [`as an administrator: GRANT pg_read_all_stats TO ${role}; (exdef db check lists what the role lacks)`, 'or: --late-writer-margin SECONDS, longer than any writing transaction runs (each delta window then ends that long before the run)'],
    },
  );
}
