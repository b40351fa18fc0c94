import { CREATE_BIND_TABLE } from './copy-sql.js';
import type { Database, Session } from '../db/database.js';

const ISO_US = `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'`;

export interface SnapshotSettings {
  statementTimeoutSeconds: number;
  /**
   * PostgreSQL: how often a running query checks that its client is still there, so that a
   * killed run's queries end within seconds instead of running to the statement timeout.
   */
  clientCheckSeconds?: number;
  /**
   * Memory for each sort and hash (PostgreSQL's work_mem), in MB. 64 on PostgreSQL; left at the
   * default 4 on the embedded database, whose WebAssembly heap keeps whatever it once grew to
   * (a 516k-row extract peaked 420-432 MB at 64, 348-376 MB at 4, at the same speed).
   */
  workMemMb?: number;
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
  await session.query("SELECT set_config('statement_timeout', $1, true), set_config('jit', 'off', true)", [`${Math.round(settings.statementTimeoutSeconds * 1000)}`]);
  if (settings.workMemMb) await session.query("SELECT set_config('work_mem', $1, true)", [`${settings.workMemMb}MB`]);
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
