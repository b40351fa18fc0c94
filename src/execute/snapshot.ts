import { CREATE_BIND_TABLE } from './copy-sql.js';
import type { Database, Session } from '../db/database.js';

const ISO_US = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`;

/**
 * Whether the extract role sees what the late-writer mark needs: other sessions' transaction
 * start times in pg_stat_activity, which PostgreSQL shows only to superusers and members of
 * pg_read_all_stats (other roles' sessions show NULLs). Prepared transactions (pg_prepared_xacts)
 * are visible to every role.
 */
export async function lateWriterVisibility(db: Database): Promise<{ role: string; seesAllSessions: boolean }> {
  if (db.engine === 'pglite') return { role: 'postgres', seesAllSessions: true };
  const [row] = await db.query<{ role: string; sees: boolean }>(
    `SELECT current_user AS role,
            coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = current_user), false)
              OR pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') AS sees`,
  );
  return { role: row!.role, seesAllSessions: row!.sees };
}

/** What the late-writer mark found, for the run's messages and manifest. */
export interface LateWriterMark {
  /** Where the delta window ends (ISO 8601, UTC). */
  windowEnd: string;
  /** Other sessions of this database whose transactions this role cannot see. */
  hiddenSessions: number;
  /** The start of the oldest transaction open in another session, when one is. */
  oldestOpen?: string;
  /** Prepared (two-phase) transactions pending in this database, and when the oldest was prepared. */
  prepared: number;
  oldestPrepared?: string;
}

/**
 * Where a delta window may end without losing a row committed late.
 *
 * `updated_at` is the writing transaction's start time (now()), not its commit time. A writer that
 * started before our snapshot but commits after it writes rows our snapshot cannot see, stamped
 * before our snapshot. So the window ends just before the start of the oldest transaction still
 * open in this database when we look — read BEFORE the snapshot is taken, so that a writer that
 * commits in between is either seen by the snapshot or was counted here. Rows stamped after the
 * window's end are left for the next run (some are read twice, as upserts: never lost).
 *
 * Two cases need a margin (`marginSeconds`):
 * - sessions whose transactions this role cannot see (it lacks pg_read_all_stats): the window
 *   ends the margin before now. The run refuses this case unless the provider chose the margin
 *   (lateWriterVisibility, checked first);
 * - prepared (two-phase) transactions: PostgreSQL records when one was prepared, not when it
 *   began, so the window ends the margin before the oldest was prepared (one hour when no
 *   margin was chosen): a two-phase writer is assumed to prepare within the margin of starting.
 */
export async function lateWriterMark(db: Database, marginSeconds: number | undefined): Promise<LateWriterMark> {
  if (db.engine === 'pglite') {
    // One process, one backend: no other transaction can be open.
    const [row] = await db.query<{ end: string }>(`SELECT to_char((clock_timestamp() - interval '1 microsecond') AT TIME ZONE 'UTC', ${ISO_US}) AS "end"`);
    return { windowEnd: row!.end, hiddenSessions: 0, prepared: 0 };
  }
  const [row] = await db.query<{ end: string; oldest: string | null; hidden: string; prepared: string; oldest_prepared: string | null }>(
    `WITH others AS (
       -- Every other session of this database that may write: a session this role may not see
       -- shows NULL for backend_type, state and xact_start.
       SELECT xact_start, backend_type FROM pg_stat_activity
        WHERE pid <> pg_backend_pid()
          AND datid = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND coalesce(backend_type, '') NOT IN ('autovacuum worker', 'autovacuum launcher', 'walsender')
     ), prepared AS (
       SELECT min(prepared) AS oldest, count(*) AS n FROM pg_prepared_xacts WHERE database = current_database()
     ), mark AS (
       SELECT clock_timestamp() AS now,
              (SELECT min(xact_start) FROM others) AS oldest,
              (SELECT count(*) FROM others WHERE backend_type IS NULL) AS hidden,
              (SELECT oldest FROM prepared) AS oldest_prepared,
              (SELECT n FROM prepared) AS prepared,
              make_interval(secs => $1::double precision) AS margin
     )
     SELECT to_char((least(now, oldest,
                           CASE WHEN hidden > 0 THEN now - margin END,
                           oldest_prepared - margin) - interval '1 microsecond') AT TIME ZONE 'UTC', ${ISO_US}) AS "end",
            to_char(oldest AT TIME ZONE 'UTC', ${ISO_US}) AS oldest, hidden::text AS hidden,
            prepared::text AS prepared, to_char(oldest_prepared AT TIME ZONE 'UTC', ${ISO_US}) AS oldest_prepared
       FROM mark`,
    [String(marginSeconds ?? DEFAULT_PREPARED_MARGIN_SECONDS)],
  );
  return {
    windowEnd: row!.end,
    hiddenSessions: Number(row!.hidden),
    prepared: Number(row!.prepared),
    ...(row!.oldest ? { oldestOpen: row!.oldest } : {}),
    ...(row!.oldest_prepared ? { oldestPrepared: row!.oldest_prepared } : {}),
  };
}

/** The margin before a prepared transaction's PREPARE when the provider chose none: an hour. */
export const DEFAULT_PREPARED_MARGIN_SECONDS = 3600;

export interface SnapshotSettings {
  statementTimeoutSeconds: number;
  /**
   * PostgreSQL: how often a running query checks that its client is still there, so that a
   * killed run's queries end within seconds instead of running to the statement timeout.
   */
  clientCheckSeconds?: number;
}

/**
 * Starts the run's one consistent, read-only snapshot on `session` and returns its time (ISO
 * 8601, UTC) and, when `export` is asked, an identifier other sessions import it with.
 */
export async function beginSnapshot(session: Session, settings: SnapshotSettings, options: { export: boolean }): Promise<{ time: string; exported?: string }> {
  await session.exec(CREATE_BIND_TABLE);
  await session.exec('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  await applySettings(session, settings);
  const [row] = await session.query<{ time: string; exported: string | null }>(
    `SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', ${ISO_US}) AS time, ${options.export ? 'pg_export_snapshot()' : 'NULL'} AS exported`,
  );
  return { time: row!.time, ...(row!.exported ? { exported: row!.exported } : {}) };
}

/** Joins another session to an exported snapshot (PostgreSQL only). */
export async function joinSnapshot(session: Session, exported: string, settings: SnapshotSettings): Promise<void> {
  await session.exec(CREATE_BIND_TABLE);
  await session.exec('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  // SET TRANSACTION SNAPSHOT must come before any query of the transaction, and takes a literal
  // only: the identifier comes from pg_export_snapshot() and is checked for its form first.
  if (!/^[0-9A-F]+-[0-9A-F]+-[0-9]+$/i.test(exported)) throw new Error(`internal: unexpected snapshot identifier ${JSON.stringify(exported)}`);
  await session.exec(`SET TRANSACTION SNAPSHOT '${exported}'`);
  await applySettings(session, settings);
}

async function applySettings(session: Session, settings: SnapshotSettings): Promise<void> {
  // A statement timeout protects the provider's database; JIT compilation costs ~0.4 s a query and
  // these queries are scan-bound; sorts and hashes of a large extract get room in memory.
  await session.query(
    "SELECT set_config('statement_timeout', $1, true), set_config('jit', 'off', true), set_config('work_mem', '64MB', true)",
    [`${Math.round(settings.statementTimeoutSeconds * 1000)}`],
  );
  if (settings.clientCheckSeconds) {
    await session.query("SELECT set_config('client_connection_check_interval', $1, true)", [`${Math.round(settings.clientCheckSeconds * 1000)}`]);
  }
}

export async function endSnapshot(session: Session): Promise<void> {
  await session.exec('COMMIT');
}

/**
 * Rolls back after a failure. A connection stuck mid-COPY (the output side failed: a full disk)
 * would queue the ROLLBACK behind a COPY nobody reads: after a short wait the session is given up,
 * and releasing it broken closes the connection, which rolls back on the server.
 */
export async function abandonSnapshot(session: Session): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, 2000);
  });
  await Promise.race([session.exec('ROLLBACK').catch(() => undefined), gaveUp]);
  clearTimeout(timer);
}

/** Runs `fn` with `count` sessions of the database (1 on PGlite), released afterwards. */
export async function withSessions<T>(db: Database, count: number, fn: (sessions: Session[]) => Promise<T>): Promise<T> {
  const take = async (held: Session[]): Promise<T> => {
    if (held.length >= count) return fn(held);
    return db.withSession((session) => take([...held, session]));
  };
  return take([]);
}
