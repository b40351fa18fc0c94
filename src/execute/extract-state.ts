import { randomBytes } from 'node:crypto';
import type { Database, Session } from '../db/database.js';
import { ExdefError } from '../failure.js';
import type { PopulationRow, PopulationState } from '../sql/population-change.js';
import { HELD_ROW_BYTES, HeldRows } from './held-rows.js';
import { CREATE_BIND_TABLE, queryBound } from './copy-sql.js';

/**
 * What the executor remembers between runs of a definition, in a schema of its own in the
 * reporting database (created when missing): when it last ran successfully, with which
 * fingerprint and snapshot, the key that makes record ids opaque, and
 * (for delta definitions) the population it extracted and the record ids the recipient holds,
 * per dataset. State advances only after a run's output is complete and in place, all of it in
 * one transaction.
 */
export const STATE_SCHEMA = 'exdef_state';

export interface ExtractState {
  definitionId: string;
  /** The data fingerprint of the definition the state was made with. */
  fingerprint: string;
  /** Record ids are an HMAC under this key (made at each full run of a delta definition). */
  recordKey: string;
  /** The snapshot time (ISO 8601) and extract date of the last successful run. */
  lastSnapshot: string;
  lastExtractDate: string;
  lastMode: 'full' | 'delta';
  /** Successful runs so far. */
  runs: number;
  /**
   * What the code sets were evaluated against at the last run: a digest of the terminology tables
   * and the policy's sensitive sets (a delta run says in its manifest when either changed).
   */
  terminology?: string;
  policy?: string;
  /**
   * The output layout the recipient's copy was sent in (single_zip or per_practice; absent in a
   * state saved before exdef kept it): not in the fingerprint, but a delta in another layout would
   * not fit what the recipient holds, so a change of layout starts again with a full extract.
   */
  layout?: 'single_zip' | 'per_practice';
}

/**
 * The format of held_record_ids.ids: 1, record ids only (exdef before delta by comparison); 2,
 * HeldRows (id, content hash, patient, practice). A state in format 1 cannot be compared with, so
 * the next run is a new baseline.
 */
const HELD_FORMAT = 2;

const DDL = [
  `CREATE SCHEMA IF NOT EXISTS ${STATE_SCHEMA}`,
  // window_end: the end of the last run's time window, when deltas were read by time (before
  // deltas by comparison); kept so that a state of either exdef reads in the other, and written
  // with the snapshot time.
  `CREATE TABLE IF NOT EXISTS ${STATE_SCHEMA}.extract_state (
     definition_id text PRIMARY KEY,
     fingerprint text NOT NULL,
     record_key text NOT NULL,
     window_end timestamptz NOT NULL,
     last_snapshot timestamptz NOT NULL,
     last_extract_date date NOT NULL,
     last_mode text NOT NULL CHECK (last_mode IN ('full', 'delta')),
     runs integer NOT NULL,
     updated_at timestamptz NOT NULL DEFAULT now()
   )`,
  `CREATE TABLE IF NOT EXISTS ${STATE_SCHEMA}.population_member (
     definition_id text NOT NULL REFERENCES ${STATE_SCHEMA}.extract_state (definition_id) ON DELETE CASCADE,
     patient_id bigint NOT NULL,
     practice text NOT NULL,
     opted_out boolean NOT NULL,
     PRIMARY KEY (definition_id, patient_id)
   )`,
  // What the recipient holds (held-rows.ts; `format` HELD_FORMAT): per row its record id, content
  // hash, patient and practice, sorted by id, in chunks of HELD_CHUNK_ROWS so no single value grows
  // without bound. Every dataset of a delta definition has at least chunk 0 (empty when it holds
  // nothing), so "no rows" means "not known".
  `CREATE TABLE IF NOT EXISTS ${STATE_SCHEMA}.held_record_ids (
     definition_id text NOT NULL REFERENCES ${STATE_SCHEMA}.extract_state (definition_id) ON DELETE CASCADE,
     dataset text NOT NULL,
     chunk integer NOT NULL,
     ids bytea NOT NULL,
     PRIMARY KEY (definition_id, dataset, chunk)
   )`,
  `ALTER TABLE ${STATE_SCHEMA}.held_record_ids ADD COLUMN IF NOT EXISTS format smallint NOT NULL DEFAULT 1`,
  `ALTER TABLE ${STATE_SCHEMA}.extract_state ADD COLUMN IF NOT EXISTS terminology text`,
  `ALTER TABLE ${STATE_SCHEMA}.extract_state ADD COLUMN IF NOT EXISTS policy text`,
  `ALTER TABLE ${STATE_SCHEMA}.extract_state ADD COLUMN IF NOT EXISTS layout text`,
  // Patients back from an opt-out under on_opt_back_in: no_backfill, and the instant (µs since
  // 1970) before which their rows are not sent.
  `CREATE TABLE IF NOT EXISTS ${STATE_SCHEMA}.withheld_patient (
     definition_id text NOT NULL REFERENCES ${STATE_SCHEMA}.extract_state (definition_id) ON DELETE CASCADE,
     patient_id bigint NOT NULL,
     since_us bigint NOT NULL,
     PRIMARY KEY (definition_id, patient_id)
   )`,
  // A full extract placed in the output before its state is saved: if the state is never saved
  // (the connection lost, the process killed), the recipient holds that full but the state does
  // not say so, and the next run must repeat the full rather than send a delta against old state.
  `CREATE TABLE IF NOT EXISTS ${STATE_SCHEMA}.unsaved_full (
     definition_id text PRIMARY KEY,
     snapshot timestamptz NOT NULL,
     marked_at timestamptz NOT NULL DEFAULT now()
   )`,
  // The mode of the extract placed without its state saved (a delta, too, leaves the holdings unknown).
  `ALTER TABLE ${STATE_SCHEMA}.unsaved_full ADD COLUMN IF NOT EXISTS mode text NOT NULL DEFAULT 'full'`,
];

/** Held rows per stored chunk: about 1 MiB. */
const HELD_CHUNK_ROWS = 29_127;

/** Creates the state schema when missing; a database where exdef may not create it is a clear error. */
export async function ensureStateSchema(db: Database): Promise<void> {
  try {
    const [present] = await db.query<{ n: string; c: string }>(
      `SELECT (SELECT count(*) FROM information_schema.tables WHERE table_schema = $1
                 AND table_name IN ('extract_state', 'population_member', 'held_record_ids', 'unsaved_full', 'withheld_patient'))::text AS n,
              (SELECT count(*) FROM information_schema.columns WHERE table_schema = $1
                 AND ((table_name = 'held_record_ids' AND column_name = 'format') OR (table_name = 'extract_state' AND column_name IN ('terminology', 'policy', 'layout')) OR (table_name = 'unsaved_full' AND column_name = 'mode')))::text AS c`,
      [STATE_SCHEMA],
    );
    if (present?.n === '5' && present.c === '5') return;
    for (const statement of DDL) await db.exec(statement);
  } catch (error) {
    throw new ExdefError(`cannot create the executor's state schema ${STATE_SCHEMA} in ${db.target}: ${(error as Error).message}`, {
      exitCode: 2,
      step: 'state',
      hints: [`exdef keeps each definition's last run there; grant the user CREATE on the database, or create the schema ${STATE_SCHEMA} owned by it`],
    });
  }
}

export async function readState(db: Database, definitionId: string): Promise<ExtractState | undefined> {
  const [row] = await db.query<Record<string, string>>(
    `SELECT definition_id, fingerprint, record_key,
            to_char(last_snapshot AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS last_snapshot,
            to_char(last_extract_date, 'YYYY-MM-DD') AS last_extract_date, last_mode, runs::text AS runs, terminology, policy, layout
       FROM ${STATE_SCHEMA}.extract_state WHERE definition_id = $1`,
    [definitionId],
  );
  if (!row) return undefined;
  return {
    definitionId: row['definition_id']!,
    fingerprint: row['fingerprint']!,
    recordKey: row['record_key']!,
    lastSnapshot: row['last_snapshot']!,
    lastExtractDate: row['last_extract_date']!,
    lastMode: row['last_mode'] as 'full' | 'delta',
    runs: Number(row['runs']),
    ...(row['terminology'] ? { terminology: row['terminology'] } : {}),
    ...(row['policy'] ? { policy: row['policy'] } : {}),
    ...(row['layout'] === 'single_zip' || row['layout'] === 'per_practice' ? { layout: row['layout'] } : {}),
  };
}

/** The population the last successful run of a delta definition extracted. */
export async function readPopulationState(db: Database, definitionId: string): Promise<PopulationState> {
  const rows = await db.query<{ patient_id: string; practice: string; opted_out: boolean }>(
    `SELECT patient_id::text AS patient_id, practice, opted_out FROM ${STATE_SCHEMA}.population_member WHERE definition_id = $1 ORDER BY patient_id`,
    [definitionId],
  );
  return {
    members: rows.filter((r) => !r.opted_out).map((r) => ({ patientId: r.patient_id, practice: r.practice })),
    optedOut: rows.filter((r) => r.opted_out).map((r) => r.patient_id),
  };
}

/**
 * What the recipient holds after the last successful run, by dataset. A dataset without any
 * stored chunk in the current format is missing from `held`: what it holds is not known (a state
 * made before exdef kept it, or in an older format, which `olderFormat` says), and the caller
 * starts again with a full extract rather than guess.
 */
export async function readHeldRecords(db: Session, definitionId: string): Promise<{ held: Map<string, HeldRows>; olderFormat: boolean }> {
  const rows = await db.query<{ dataset: string; ids: Uint8Array; format: number }>(
    `SELECT dataset, ids, format FROM ${STATE_SCHEMA}.held_record_ids WHERE definition_id = $1 ORDER BY dataset, chunk`,
    [definitionId],
  );
  const chunks = new Map<string, Buffer[]>();
  let olderFormat = false;
  for (const row of rows) {
    if (Number(row.format) !== HELD_FORMAT) {
      olderFormat = true;
      continue;
    }
    const list = chunks.get(row.dataset) ?? [];
    list.push(Buffer.from(row.ids.buffer, row.ids.byteOffset, row.ids.byteLength));
    chunks.set(row.dataset, list);
  }
  return {
    held: new Map([...chunks].map(([dataset, list]) => [dataset, HeldRows.fromBytes(list.length === 1 ? list[0]! : Buffer.concat(list))])),
    olderFormat,
  };
}

/**
 * Which datasets the state records held rows of in the current format, and whether it holds some
 * in an older one: what the plan stage needs to know before the rows themselves are read.
 */
export async function readHeldDatasets(db: Database, definitionId: string): Promise<{ datasets: Set<string>; olderFormat: boolean }> {
  const rows = await db.query<{ dataset: string; format: number }>(
    `SELECT DISTINCT dataset, format FROM ${STATE_SCHEMA}.held_record_ids WHERE definition_id = $1`,
    [definitionId],
  );
  return {
    datasets: new Set(rows.filter((r) => Number(r.format) === HELD_FORMAT).map((r) => r.dataset)),
    olderFormat: rows.some((r) => Number(r.format) !== HELD_FORMAT),
  };
}

/** Patients back from an opt-out whose earlier rows are not sent (on_opt_back_in: no_backfill): patient → µs since 1970. */
export async function readWithheld(db: Database, definitionId: string): Promise<Map<number, number>> {
  const rows = await db.query<{ patient_id: string; since_us: string }>(
    `SELECT patient_id::text AS patient_id, since_us::text AS since_us FROM ${STATE_SCHEMA}.withheld_patient WHERE definition_id = $1`,
    [definitionId],
  );
  return new Map(rows.map((r) => [Number(r.patient_id), Number(r.since_us)]));
}

/**
 * What was placed in the output before the state learnt of it: a full extract, a delta, or a
 * re-send of some practices (`resend`, written by exdef since re-sends are recorded; an earlier
 * exdef reading it still follows it with a full).
 */
export type UnsavedMode = 'full' | 'delta' | 'resend';

/**
 * Marks that an extract of `definitionId` (snapshot `snapshot`) is being placed in the output
 * before its state is saved; writeState (writeResent for a re-send) clears the mark in the
 * transaction that saves the state.
 */
export async function markUnsavedFull(db: Database, definitionId: string, snapshot: string, mode: UnsavedMode = 'full'): Promise<void> {
  await db.query(
    `INSERT INTO ${STATE_SCHEMA}.unsaved_full (definition_id, snapshot, mode) VALUES ($1, $2::timestamptz, $3)
     ON CONFLICT (definition_id) DO UPDATE SET snapshot = EXCLUDED.snapshot, mode = EXCLUDED.mode, marked_at = now()`,
    [definitionId, snapshot, mode],
  );
}

/** The snapshot of a full extract that was delivered (or may have been) without its state saved. */
export async function readUnsavedFull(db: Database, definitionId: string): Promise<{ snapshot: string; mode: UnsavedMode } | undefined> {
  const [row] = await db.query<{ snapshot: string; mode: string }>(
    `SELECT to_char(snapshot AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS snapshot, mode FROM ${STATE_SCHEMA}.unsaved_full WHERE definition_id = $1`,
    [definitionId],
  );
  return row ? { snapshot: row.snapshot, mode: row.mode === 'delta' || row.mode === 'resend' ? row.mode : 'full' } : undefined;
}

/** A fresh record key: 32 random bytes as hex. */
export function newRecordKey(): string {
  return randomBytes(32).toString('hex');
}

/**
 * Records a successful run, in one transaction: the state row, and for a delta definition the
 * population it extracted and the record ids the recipient now holds (replacing the previous ones).
 */
export async function writeState(
  db: Database,
  state: ExtractState,
  population: readonly PopulationRow[] | undefined,
  held?: ReadonlyMap<string, HeldRows>,
  withheld?: ReadonlyMap<number, number>,
): Promise<void> {
  await db.withSession(async (session: Session) => {
    await session.exec(CREATE_BIND_TABLE);
    await session.exec('BEGIN');
    try {
      // The record key is a secret: its values go as COPY data (bindAsSettings), never as bind
      // parameters a server log could show.
      await queryBound(
        session,
        `INSERT INTO ${STATE_SCHEMA}.extract_state (definition_id, fingerprint, record_key, window_end, last_snapshot, last_extract_date, last_mode, runs, terminology, policy, layout, updated_at)
         VALUES ($1, $2, $3, $4::timestamptz, $5::timestamptz, $6::date, $7, $8::integer, nullif($9, ''), nullif($10, ''), nullif($11, ''), now())
         ON CONFLICT (definition_id) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, record_key = EXCLUDED.record_key, window_end = EXCLUDED.window_end,
           last_snapshot = EXCLUDED.last_snapshot, last_extract_date = EXCLUDED.last_extract_date, last_mode = EXCLUDED.last_mode, runs = EXCLUDED.runs,
           terminology = EXCLUDED.terminology, policy = EXCLUDED.policy, layout = EXCLUDED.layout, updated_at = now()`,
        [state.definitionId, state.fingerprint, state.recordKey, state.lastSnapshot, state.lastSnapshot, state.lastExtractDate, state.lastMode, String(state.runs), state.terminology ?? '', state.policy ?? '', state.layout ?? ''],
      );
      await session.query(`DELETE FROM ${STATE_SCHEMA}.unsaved_full WHERE definition_id = $1`, [state.definitionId]);
      await session.query(`DELETE FROM ${STATE_SCHEMA}.population_member WHERE definition_id = $1`, [state.definitionId]);
      if (population && population.length > 0) {
        await session.copyIn(
          { schema: STATE_SCHEMA, table: 'population_member', columns: ['definition_id', 'patient_id', 'practice', 'opted_out'] },
          batches(state.definitionId, population),
        );
      }
      await session.query(`DELETE FROM ${STATE_SCHEMA}.held_record_ids WHERE definition_id = $1`, [state.definitionId]);
      for (const [dataset, rows] of held ?? []) await insertHeld(session, state.definitionId, dataset, rows);
      await replaceWithheld(session, state.definitionId, withheld);
      await session.exec('COMMIT');
    } catch (error) {
      await session.exec('ROLLBACK').catch(() => undefined);
      throw error;
    }
  });
}

/** A re-send of some practices, as the state records it (writeResent). */
export interface Resent {
  definitionId: string;
  /** The practices re-sent (the manifest's scope). */
  practices: readonly string[];
  /** Whether the output is in per-practice layout (HeldRows.merge). */
  perPractice: boolean;
  /** The population of those practices the re-send read. */
  population: readonly PopulationRow[];
  /** Per dataset, the rows it sent, sorted. */
  sent: ReadonlyMap<string, HeldRows>;
  /** The patients withheld under no_backfill after it (the re-send keeps those of other practices). */
  withheld: ReadonlyMap<number, number>;
}

/**
 * Records a re-send of some practices of a delta definition, in one transaction: the recipient,
 * which applies it as upserts and keeps every other row, now holds the rows held before and the
 * rows re-sent (HeldRows.merge), so those become the held rows; the re-sent practices' part of
 * the population is replaced by the one the re-send read; the withheld patients are those it
 * kept; its "placed, not yet saved" mark is cleared. The rest of the state — fingerprint, record
 * key, last snapshot, extract date and mode, the count of runs, terminology, policy, layout — is
 * not moved: a re-send is no run of the definition's schedule, and the next delta is still
 * compared with the last run's baseline (now with what the re-send sent, too).
 */
export async function writeResent(db: Database, r: Resent): Promise<void> {
  await db.withSession(async (session: Session) => {
    await session.exec('BEGIN');
    try {
      const { held } = await readHeldRecords(session, r.definitionId);
      for (const [dataset, sent] of r.sent) {
        await session.query(`DELETE FROM ${STATE_SCHEMA}.held_record_ids WHERE definition_id = $1 AND dataset = $2`, [r.definitionId, dataset]);
        await insertHeld(session, r.definitionId, dataset, HeldRows.merge(held.get(dataset) ?? HeldRows.empty(), sent, r.perPractice));
      }
      // A patient now at a re-sent practice may be listed at another one: the re-send's row replaces it.
      await session.query(`DELETE FROM ${STATE_SCHEMA}.population_member WHERE definition_id = $1 AND (practice = ANY($2::text[]) OR patient_id = ANY($3::bigint[]))`, [
        r.definitionId,
        r.practices,
        r.population.map((p) => p.patientId),
      ]);
      if (r.population.length > 0) {
        await session.copyIn({ schema: STATE_SCHEMA, table: 'population_member', columns: ['definition_id', 'patient_id', 'practice', 'opted_out'] }, batches(r.definitionId, r.population));
      }
      await replaceWithheld(session, r.definitionId, r.withheld);
      await session.query(`DELETE FROM ${STATE_SCHEMA}.unsaved_full WHERE definition_id = $1`, [r.definitionId]);
      await session.exec('COMMIT');
    } catch (error) {
      await session.exec('ROLLBACK').catch(() => undefined);
      throw error;
    }
  });
}

/** One dataset's held rows, in chunks of HELD_CHUNK_ROWS (at least chunk 0, empty when it holds nothing). */
async function insertHeld(session: Session, definitionId: string, dataset: string, rows: HeldRows): Promise<void> {
  const step = HELD_CHUNK_ROWS * HELD_ROW_BYTES;
  const bytes = rows.bytes;
  for (let chunk = 0, at = 0; chunk === 0 || at < bytes.length; chunk++, at += step) {
    await session.query(
      `INSERT INTO ${STATE_SCHEMA}.held_record_ids (definition_id, dataset, chunk, ids, format) VALUES ($1, $2, $3::integer, decode($4, 'hex'), $5::smallint)`,
      [definitionId, dataset, String(chunk), bytes.subarray(at, at + step).toString('hex'), String(HELD_FORMAT)],
    );
  }
}

async function replaceWithheld(session: Session, definitionId: string, withheld: ReadonlyMap<number, number> | undefined): Promise<void> {
  await session.query(`DELETE FROM ${STATE_SCHEMA}.withheld_patient WHERE definition_id = $1`, [definitionId]);
  if (withheld && withheld.size > 0) {
    await session.query(
      `INSERT INTO ${STATE_SCHEMA}.withheld_patient (definition_id, patient_id, since_us) SELECT $1, p, s FROM unnest($2::bigint[], $3::bigint[]) AS w(p, s)`,
      [definitionId, `{${[...withheld.keys()].join(',')}}`, `{${[...withheld.values()].join(',')}}`],
    );
  }
}

/** COPY text-format lines (values are ids, ODS codes and booleans: nothing to escape but checked). */
function* batches(definitionId: string, rows: readonly PopulationRow[]): Generator<string> {
  const safe = (v: string) => {
    if (/[\t\n\r\\]/.test(v)) throw new Error(`internal: unexpected character in state value ${JSON.stringify(v)}`);
    return v;
  };
  const id = safe(definitionId);
  let chunk = '';
  for (const row of rows) {
    chunk += `${id}\t${safe(row.patientId)}\t${safe(row.practice)}\t${row.optedOut ? 't' : 'f'}\n`;
    if (chunk.length > 1 << 20) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}
