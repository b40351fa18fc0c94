import type { ExtractDefinition } from '../../ir/extract-definition.js';
import type { Catalogue } from '../../catalogue/catalogue.js';
import type { Database, Session } from '../../db/database.js';
import { disclosureChecks, linkedDisclosureChecks, type DisclosureCheck, type LinkedDisclosureCheck } from '../../disclosure/disclosure-checks.js';
import { ExdefError } from '../../failure.js';
import { bindParameters, type RunValues } from '../../sql/bind-parameters.js';
import type { CompiledPlan } from '../../sql/compile-extract.js';
import { optBackInQuery, optBackInValues } from '../../sql/opt-back-in.js';
import type { PopulationRow } from '../../sql/population-change.js';
import { terminologyDigestQuery } from '../../sql/terminology-digest.js';
import { missingSources, sensitiveSetSources, sourceSizes } from '../../sql/terminology-coverage.js';
import type { SensitiveCodeSet } from '../../policy/policy.js';
import { queryBound } from '../copy-sql.js';
import type { CsvDialect } from '../csv.js';
import { writeDataset, type WrittenFile } from '../dataset-writer.js';
import { deltaRecords, type DeltaRecords } from '../delta-records.js';
import { HeldRows } from '../held-rows.js';
import { abandonSnapshot, beginSnapshot, endSnapshot, joinSnapshot, withSessions } from '../snapshot.js';
import type { Holdings } from './load-state.js';
import type { RunPlan } from './plan.js';
import type { PreparedRun } from './prepare.js';
import type { RunEvents } from './run-options.js';
import { returningPatients, withheldPatients } from './withheld.js';

/** A killed run's queries notice the lost client within this many seconds (PostgreSQL 14+). */
const CLIENT_CHECK_SECONDS = 5;

export interface ExtractInput {
  db: Database;
  catalogue: Catalogue;
  prepared: PreparedRun;
  plan: RunPlan;
  holdings: Holdings;
  /** The record key the run's record ids are made with (plan.recordKey: the state's, or a new one). */
  recordKey: string;
  extractDate: string;
  /** Whether the run is for some practices only (the practices parameter is bound to prepared.practices). */
  narrowed: boolean;
  /** The temporary directory the CSVs are written to. */
  work: string;
  concurrency: number;
  statementTimeoutSeconds: number;
  events: RunEvents;
  warn(message: string): void;
}

/** What the extract stage read, in its one snapshot. */
export interface Extracted {
  snapshot: string;
  /** The patients in the population on the extract date, opted-out ones not counted (the manifest's figure). */
  patients: number;
  /** A delta definition's population, patient by patient (its state keeps it); empty for a full definition, which only counts it. */
  population: PopulationRow[];
  files: WrittenFile[];
  disclosure: DisclosureCheck[];
  linkedDisclosure: LinkedDisclosureCheck[];
  /** A delta definition: per dataset, what the comparison found and what the recipient holds after. */
  records: Map<string, DeltaRecords>;
  /** Patients withheld under no_backfill (µs instants), as the state keeps them. */
  withheld: Map<number, number>;
  /** The terminology digest (a delta definition's run of the whole definition). */
  terminology?: string;
}

/**
 * The extract stage: one read-only repeatable-read snapshot for everything the run reads — the
 * population, the terminology digest, when withheld patients came back, the k-anonymity measures
 * (a failure refuses the run before a row is written) and every dataset, streamed to CSV in the
 * temporary directory (a delta definition's rows compared on the way with what the recipient holds).
 */
export async function extractInSnapshot(x: ExtractInput): Promise<Extracted> {
  const { db, prepared, plan, holdings, events } = x;
  const { plan: compiled, definition, policy } = prepared;
  const datasetSessions = db.engine === 'postgres' ? Math.max(1, Math.min(x.concurrency, compiled.datasets.length)) : 1;
  // A full definition on PostgreSQL with a connection to spare (fewer datasets than --concurrency)
  // counts its population on it, in the same snapshot, while the datasets are read; otherwise on
  // the first connection before them. A run never holds more than --concurrency reading connections.
  const countAside = db.engine === 'postgres' && definition.mode !== 'delta' && datasetSessions < x.concurrency;
  const settings = { statementTimeoutSeconds: x.statementTimeoutSeconds, ...(db.engine === 'postgres' ? { clientCheckSeconds: CLIENT_CHECK_SECONDS, workMemMb: 64 } : {}) };
  return withSessions(db, datasetSessions + (countAside ? 1 : 0), async (held) => {
    const counter = countAside ? held.pop() : undefined;
    const [leader, ...workers] = held;
    const snapshot = await beginSnapshot(leader!, settings, { export: workers.length > 0 || counter !== undefined });
    const joined: Session[] = [];
    let counting: Promise<number> | undefined;
    try {
      for (const worker of [...workers, ...(counter ? [counter] : [])]) {
        await joinSnapshot(worker, snapshot.exported!, settings);
        joined.push(worker);
      }
      const values: RunValues = {
        snapshotDate: x.extractDate,
        recordKey: x.recordKey,
        keys: prepared.keys,
        ...(x.narrowed || prepared.excluded.length > 0 ? { practices: prepared.practices } : {}),
      };
      await checkTerminology(leader!, x.catalogue, policy.sensitiveCodeSets, events);
      events.step('reading the population');
      const populationValues = bindParameters(compiled, compiled.population, values);
      // A full definition needs only the count (the manifest's); a delta definition keeps every member in its state.
      const population =
        definition.mode === 'delta'
          ? (await queryBound<{ patient_id: string; practice: string; opted_out: boolean }>(leader!, compiled.population.sql, populationValues)).map(
              (r): PopulationRow => ({ patientId: String(r.patient_id), practice: r.practice, optedOut: r.opted_out }),
            )
          : [];
      const countPopulation = async (session: Session) =>
        Number((await queryBound<{ patients: string }>(session, populationCountSql(compiled.population.sql), populationValues))[0]?.patients ?? 0);
      if (counter) {
        counting = countPopulation(counter);
        // Awaited once the datasets are read; on a failure before that, its rejection is dropped here (the session is rolled back).
        counting.catch(() => undefined);
      }
      const patients = definition.mode === 'delta' ? population.filter((p) => !p.optedOut).length : counter ? undefined : await countPopulation(leader!);
      let records = new Map<string, DeltaRecords>();
      let withheld = new Map<number, number>();
      let terminology: string | undefined;
      if (definition.mode === 'delta') {
        if (!plan.scope) terminology = (await queryBound<{ digest: string }>(leader!, terminologyDigestQuery(x.catalogue).sql, []))[0]?.digest;
        if (holdings.previous) {
          const snapshotUs = Date.parse(snapshot.time) * 1000;
          const onOptBackIn = compiled.guards.population.onOptBackIn;
          const returning = onOptBackIn === 'no_backfill' ? returningPatients(population, holdings.previous) : [];
          const optedBackIn = returning.length > 0 ? await optBackInTimes(leader!, x.catalogue, compiled, returning) : new Map<number, number>();
          withheld = withheldPatients({ now: population, previous: holdings.previous, before: holdings.withheld, onOptBackIn, optedBackIn, snapshotUs });
        }
        // Every dataset of a delta definition is its full query compared with what the recipient
        // holds (delta-records.ts); in a full run that is nothing, so every row is an upsert.
        const members = new Set(population.filter((p) => !p.optedOut).map((p) => Number(p.patientId)));
        records = new Map(
          compiled.datasets.map((d) => [
            d.name,
            deltaRecords(holdings.held.get(d.name) ?? HeldRows.empty(), {
              practices: definition.population.practices,
              perPractice: compiled.definition.layout === 'per_practice',
              fields: d.columns.filter((c) => c.role === 'field').length,
              ...(definition.population.onLeave === 'keep' ? { keepDeparted: members } : {}),
              ...(withheld.size > 0 ? { withheldSince: withheld } : {}),
            }),
          ]),
        );
      }

      events.step('measuring k-anonymity on the data');
      const disclosure = await disclosureChecks(leader!, compiled, definition, values, policy.thresholds.kAnonymity, policy.thresholds.pseudonymisedBelowK);
      for (const check of disclosure) {
        if (check.outcome === 'warn') x.warn(check.note);
      }
      const linkedDisclosure = await linkedDisclosureChecks(leader!, compiled, definition, values, policy.thresholds.kAnonymity);
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

      const files = await extractDatasets(db.engine, [leader!, ...joined.filter((s) => s !== counter)], compiled, values, prepared.dialect, x.work, prepared.practices, events, records, prepared.definition.output.compression);
      const counted = patients ?? (await counting!);
      for (const session of [leader!, ...joined]) await endSnapshot(session);
      return { snapshot: snapshot.time, patients: counted, population, files, disclosure, linkedDisclosure, records, withheld, ...(terminology ? { terminology } : {}) };
    } catch (error) {
      for (const session of [leader!, ...joined]) await abandonSnapshot(session);
      throw error;
    }
  });
}

/** The population query counted on the server: its members that are not opted out (the rows need not travel). */
export function populationCountSql(populationSql: string): string {
  return `SELECT count(*) FILTER (WHERE NOT population.opted_out)::bigint AS patients FROM (${populationSql}) AS population`;
}

/** When each of `patients` came back from their applied opt-outs (µs), read in the snapshot. */
async function optBackInTimes(session: Session, catalogue: Catalogue, plan: CompiledPlan, patients: readonly string[]): Promise<Map<number, number>> {
  const applied = { type1: plan.guards.population.type1OptOut, nationalDataOptOut: plan.guards.population.nationalDataOptOut };
  const rows = await queryBound<{ patient_id: string; ended_us: string }>(session, optBackInQuery(catalogue).sql, optBackInValues(catalogue, applied, patients));
  return new Map(rows.map((r) => [Number(r.patient_id), Number(r.ended_us)]));
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

/**
 * The sensitive-code guard is evaluated in the terminology tables: a reference set with no members
 * (a release imported without the UK refsets) or a missing concept makes its set select nothing,
 * and the guard would then let every row of it through. A run refuses before reading a row.
 */
async function checkTerminology(session: Session, catalogue: Catalogue, sets: readonly SensitiveCodeSet[], events: RunEvents): Promise<void> {
  events.step('checking the terminology the sensitive-code guard is built from');
  const sources = sensitiveSetSources(sets);
  const missing = missingSources(sources, await sourceSizes((text, values) => queryBound(session, text, values), catalogue, sources));
  if (missing.length > 0) {
    throw new ExdefError(`the terminology cannot hold back sensitive codes: ${missing.join('; ')}`, {
      exitCode: 2,
      step: 'terminology',
      hints: ['import a release that has them (`exdef terminology import DIR`: the UK Clinical Edition with its simple reference sets, der2_Refset_Simple*), then run again'],
    });
  }
}

