import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { markUnsavedFull, newRecordKey } from './extract-state.js';
import { PRIVATE_DIRECTORY_MODE, withPrivateUmask } from './private-files.js';
import { commitState } from './run/commit-state.js';
import { extractInSnapshot, type Extracted } from './run/extract.js';
import { failRun } from './run/fail.js';
import { loadHoldings, loadSavedState } from './run/load-state.js';
import { rulesUsed } from './run/rules-digest.js';
import { buildManifest } from './run/manifest.js';
import { packageExtract } from './run/package.js';
import { changesOfMeaning, outsideRunWindow, planRun } from './run/plan.js';
import { prepareRun } from './run/prepare.js';
import type { RunEvents, RunOptions, RunResult } from './run/run-options.js';

export type { DisclosureCheck, LinkedDisclosureCheck } from '../disclosure/disclosure-checks.js';
export type { Manifest } from './run/manifest.js';
export { prepareRun, RunRefused, type PreparedRun } from './run/prepare.js';
export type { PackagedExtract, RunEvents, RunOptions, RunResult } from './run/run-options.js';

/**
 * Runs an approved definition into `out`, as a sequence of stages over plain data (src/execute/run/):
 *
 *   prepare (no database) → load the saved state → plan → extract (one snapshot) → package →
 *   onPackaged (the command's outbox) → commit the state
 *
 * A definition with lint errors never runs; nothing is placed under a final name until it is
 * complete; the state advances only after the output is in place. Any failure takes the one
 * failure path (run/fail.ts): the temporary directory removed, a FAILED log where it can be
 * written, the state as it was.
 */
export async function runExtract(o: RunOptions): Promise<RunResult> {
  return withPrivateUmask(() => run(o));
}

async function run(o: RunOptions): Promise<RunResult> {
  const now = o.now ?? (() => new Date());
  const started = now();
  const warnings: string[] = [];
  const warn = (message: string) => {
    warnings.push(message);
    o.events.warn(message);
  };
  const out = resolve(o.out);
  let work: string | undefined;
  let extracted: Extracted | undefined;
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

  try {
    // ------------------------------------------------------------------ prepare: no database
    const prepared = o.prepared ?? (await prepareRun(o));
    warnings.push(...prepared.warnings);
    const { plan: compiled, definition } = prepared;

    // ------------------------------------------------------------------ the saved state, and the plan
    events.step(`connecting to ${o.db.target}`);
    const saved = await loadSavedState(o.db, o.catalogue, definition);
    unlock = saved.unlock;
    const plan = planRun({
      definition,
      fingerprint: compiled.definition.fingerprint,
      layout: compiled.definition.layout,
      datasets: compiled.datasets.map((d) => d.name),
      request: { extractDate: o.extractDate, full: o.full, force: o.force, ...(o.practices ? { practices: prepared.practices } : {}) },
      state: saved.state,
      unsaved: saved.unsaved,
      held: saved.held,
    });
    if (definition.output.delivery.kind === 'sftp' && !o.onPackaged) {
      warn(`the definition delivers by SFTP to ${definition.output.delivery.host}: exdef run writes the extract to ${out}; the transfer is your delivery job's (with the host key the definition names)`);
    }
    const windowWarning = outsideRunWindow(definition, now());
    if (windowWarning) warn(windowWarning);
    const holdings = await loadHoldings(o.db, definition.id, plan);
    const recordKey = plan.recordKey === 'state' ? saved.state!.recordKey : newRecordKey();

    // ------------------------------------------------------------------ extract: one snapshot
    work = join(out, `.exdef-run-${process.pid}-${randomBytes(4).toString('hex')}`);
    mkdirSync(work, { mode: PRIVATE_DIRECTORY_MODE });
    o.onPhase?.({ work, delivered: false });
    extracted = await extractInSnapshot({
      db: o.db,
      catalogue: o.catalogue,
      prepared,
      plan,
      holdings,
      recordKey,
      extractDate: o.extractDate,
      narrowed: o.practices !== undefined,
      work,
      concurrency: o.concurrency,
      statementTimeoutSeconds: o.statementTimeoutSeconds,
      events,
      warn,
    });

    // ------------------------------------------------------------------ package
    const policy = createHash('sha256').update(JSON.stringify(compiled.parameters.filter((p) => p.source === 'policy'))).digest('hex').slice(0, 16);
    const changes = plan.mode === 'delta' && saved.state ? changesOfMeaning(definition, saved.state, { extractDate: o.extractDate, terminology: extracted.terminology, policy }) : [];
    const manifest = buildManifest({
      plan: compiled,
      runPlan: plan,
      extractDate: o.extractDate,
      snapshot: extracted.snapshot,
      practices: prepared.practices,
      excluded: prepared.excluded,
      dialect: prepared.dialect,
      patients: extracted.patients,
      files: extracted.files,
      disclosure: extracted.disclosure,
      linkedDisclosure: extracted.linkedDisclosure,
      changes,
      rules: rulesUsed(o.catalogue, prepared.policy),
    });
    const snapshot = extracted.snapshot;
    const packaged = await packageExtract({
      definition,
      manifest,
      extracted,
      work,
      out,
      extractDate: o.extractDate,
      certificate: prepared.certificate,
      excluded: prepared.excluded,
      started,
      now,
      events,
      // An extract that reaches the recipient without its state saved leaves what it holds unknown:
      // a full is repeated, a delta or a re-send is followed by a full (never by a delta compared
      // with the state before it). Marked first, cleared with the state (extract-state.ts).
      ...(definition.mode === 'delta' && plan.commit !== 'nothing' ? { beforePlacing: () => markUnsavedFull(o.db, definition.id, snapshot, plan.commit === 'resent' ? 'resend' : plan.mode) } : {}),
      onPlaced: () => o.onPhase?.({ delivered: true }),
    });
    work = undefined;
    if (o.onPackaged) {
      step = 'placing the extract in the outbox';
      await o.onPackaged({ definition, output: packaged.output, log: packaged.log, manifest, encrypted: packaged.encrypted });
    }

    // ------------------------------------------------------------------ commit the state, last
    const stateError = await commitState(o.db, { definition, fingerprint: compiled.definition.fingerprint, plan, state: saved.state, recordKey, extractDate: o.extractDate, extracted, policy });
    return {
      status: 'COMPLETE',
      definition: { id: compiled.definition.id, version: compiled.definition.version, fingerprint: compiled.definition.fingerprint },
      mode: manifest.mode,
      reason: manifest.reason,
      extractDate: o.extractDate,
      snapshot,
      ...(manifest.scope ? { scope: manifest.scope } : {}),
      output: packaged.output,
      log: packaged.log,
      encrypted: packaged.encrypted,
      files: extracted.files,
      rows: extracted.files.reduce((n, f) => n + f.rows, 0),
      bytes: packaged.bytes,
      disclosure: extracted.disclosure,
      linkedDisclosure: extracted.linkedDisclosure,
      seconds: (now().getTime() - started.getTime()) / 1000,
      warnings,
      ...(stateError ? { stateError } : {}),
    };
  } catch (error) {
    throw failRun(error, {
      out,
      extractDate: o.extractDate,
      started,
      completed: now(),
      files: extracted?.files.length ?? 0,
      ...(work ? { work } : {}),
      step,
      target: o.db.target,
      statementTimeoutSeconds: o.statementTimeoutSeconds,
      warn,
    });
  } finally {
    await unlock?.().catch(() => undefined);
  }
}
