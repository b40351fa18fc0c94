/**
 * Delta runs in-process, for tests that make many of them (run-delta-comparison, the 60-night
 * property test): a seeded database opened once, `runExtract` called as `exdef run` calls it,
 * a crash injected through the run's own events (a step that throws, or the moment the output is
 * in place), and a recipient that applies every delivery in order, as test/support/run-harness.ts
 * does, to be compared with a fresh full extract of the same snapshot.
 */
import { approvedProvider } from './approvals.js';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Catalogue } from '../../src/catalogue/catalogue.js';
import { loadCatalogue } from '../../src/catalogue/load-catalogue.js';
import type { Database } from '../../src/db/database.js';
import { runExtract, type RunEvents, type RunResult } from '../../src/execute/run-extract.js';
import { resources } from '../../src/resources.js';
import { seedDatabase } from '../../src/seed/seed-database.js';
import { scratchDatabase, type EngineName } from './engines.js';
import { applyExtract, readExtract, type AppliedExtract, type CsvRow, type RunTarget } from './run-harness.js';

/**
 * chis-immunisations made into a definition whose fresh full extract a delta chain must equal: every
 * age, a patient back from an opt-out backfilled, `on_leave` as given, and only immunisations of the
 * last 15 months (a today() window).
 */
export function comparisonDefinition(id: string, onLeave: 'delete' | 'keep'): string {
  const text = readFileSync(join(resources.definitions, 'chis-immunisations.exdef.yaml'), 'utf8')
    .replace('id: chis-immunisations', `id: ${id}`)
    // Reviewed the day before the chains start, so that its approvals (at most three months after the review) hold for all sixty nights.
    .replace(/last_reviewed: \d{4}-\d{2}-\d{2}/, 'last_reviewed: 2026-11-20')
    .replace('on_opt_back_in: no_backfill', `on_opt_back_in: backfill\n  on_leave: ${onLeave}`)
    .replace('  where: age_years(date_of_birth) < 20\n', '')
    .replace(/where: code in << 33879002 \|Administration of vaccine to produce active immunity\|/, `$& and effective_date >= today() - interval '15 months'`);
  expect(text).toContain('last_reviewed: 2026-11-20');
  expect(text).toContain(`on_leave: ${onLeave}`);
  expect(text).toContain("interval '15 months'");
  expect(text).not.toContain('age_years');
  return text;
}

export function referenceCatalogue(): Catalogue {
  const { catalogue } = loadCatalogue();
  if (!catalogue) throw new Error('the reference catalogue does not load');
  return catalogue;
}

export async function seedSmall(db: Database, options: { patients: number; seed: number; asOf: string }): Promise<void> {
  await seedDatabase(db, referenceCatalogue(), { practices: 3, patients: options.patients, seed: options.seed, asOf: options.asOf, replace: true });
}

/**
 * A seeded database for in-process runs, opened once for the whole test file (PGlite in memory,
 * or a scratch database on the test server): cheaper than run-harness's seededTarget, whose
 * PGlite directory is reopened for every call so that CLI runs can take it in between.
 */
export async function inProcessTarget(engine: EngineName, options: { patients: number; seed: number; asOf: string }): Promise<RunTarget> {
  const scratch = await scratchDatabase(engine, { maxConnections: 12 });
  await seedSmall(scratch.db, options);
  return { engine, url: scratch.url, use: (fn) => fn(scratch.db), drop: () => scratch.drop() };
}

/** Where a run is made to fail: the first step whose message starts with `step`, or just after the output is in place (`delivered`). */
export type Crash = { step: string } | 'delivered';

export class InjectedCrash extends Error {}

export interface InProcessRun {
  definition: string;
  db: Database;
  out: string;
  today: string;
  keysFile?: string;
  full?: boolean;
  /** A re-send: a full extract for these practices, with the state's record key, which a delta definition's state records as sent. */
  practices?: string[];
  crash?: Crash;
  /** An organisation's policy file (--policy). */
  policyFile?: string;
}

/** `exdef run` in this process (no CLI start-up): the run's result, or its error. */
export async function runInProcess(o: InProcessRun): Promise<RunResult> {
  const crash = o.crash;
  const events: RunEvents = {
    warn: () => undefined,
    step: (message) => {
      if (crash !== undefined && crash !== 'delivered' && message.startsWith(crash.step)) throw new InjectedCrash(`injected crash at "${message}"`);
    },
    datasetStarted: () => undefined,
    datasetRows: () => undefined,
    datasetFinished: () => undefined,
  };
  return runExtract({
    file: o.definition,
    db: o.db,
    catalogue: referenceCatalogue(),
    out: o.out,
    extractDate: o.today,
    full: o.full ?? false,
    ...(o.practices ? { practices: o.practices } : {}),
    force: false,
    approvals: approvedProvider(o.definition),
    ...(o.keysFile ? { keysFile: o.keysFile } : {}),
    ...(o.policyFile ? { policyFile: o.policyFile } : {}),
    env: {},
    concurrency: 2,
    statementTimeoutSeconds: 120,
    events,
    onPhase: (phase) => {
      if (crash === 'delivered' && phase.delivered) throw new InjectedCrash('injected crash just after the output was put in place');
    },
  });
}

/** The ZIPs in a directory, by name. */
export function deliveries(dir: string): Set<string> {
  try {
    return new Set(readdirSync(dir).filter((f) => f.endsWith('.zip')));
  } catch {
    return new Set();
  }
}

/**
 * A recipient: applies every ZIP that appears in the delivery directory, in the order they
 * appear (a run that crashed after putting its output in place has delivered it all the same),
 * as docs/run.md says: a delta's upserts and deletes; a full extract replaces everything, unless
 * its manifest has a `scope` (a re-send of some practices), whose rows are upserts.
 */
export class Recipient {
  held: AppliedExtract | undefined;
  readonly #seen = new Set<string>();
  readonly applied: { file: string; mode: 'full' | 'delta'; reason: string }[] = [];

  constructor(readonly dir: string) {}

  /** Applies what arrived since the last call; returns how many deliveries that was. */
  receive(): number {
    const arrived = [...deliveries(this.dir)].filter((f) => !this.#seen.has(f)).sort();
    for (const file of arrived) {
      this.#seen.add(file);
      const extract = readExtract(join(this.dir, file));
      // A full extract of some practices only (manifest.scope, a --practice re-send) replaces what it
      // carries and nothing else: its rows are applied as upserts, every other row kept — in
      // per-practice layout, every other practice's folder too.
      const scoped = (extract.manifest as { scope?: { practices: string[] } }).scope !== undefined;
      const applied = applyExtract(this.held, scoped ? { ...extract, manifest: { ...extract.manifest, mode: 'delta' } } : extract);
      this.held = scoped ? new Map([...(this.held ?? []), ...applied]) : applied;
      this.applied.push({ file, mode: extract.manifest.mode, reason: extract.manifest.reason });
    }
    return arrived.length;
  }
}

/** An applied extract as a plain object with sorted keys (for toEqual with a readable diff). */
export function asObject(held: AppliedExtract | undefined): Record<string, Record<string, CsvRow>> {
  return Object.fromEntries([...(held ?? new Map())].sort(([a], [b]) => a.localeCompare(b)).map(([dataset, rows]) => [dataset, Object.fromEntries([...rows].sort(([p], [q]) => p.localeCompare(q)))]));
}

/** The recipient's copy equals a full extract (a reference run's ZIP), row for row. */
export function expectCopyEqualsFull(recipient: Recipient, fullZip: string, message: string): void {
  const full = applyExtract(undefined, readExtract(fullZip));
  expect(asObject(recipient.held), message).toEqual(asObject(full));
}
