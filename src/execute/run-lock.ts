import type { Database } from '../db/database.js';
import { ExdefError } from '../failure.js';

/**
 * Runs of one definition are mutually exclusive: two at once would both deliver, and the state
 * saved last would not describe what the recipient holds. On PostgreSQL a session-level advisory
 * lock keyed by the definition id is held on a connection of its own for the whole run, so it is
 * released by the server if the process dies; a second run is refused at once, naming the first.
 * On PGlite the database directory itself is locked by the process that opened it
 * (db/directory-lock.ts), so two runs cannot share it.
 */
export async function lockRun(db: Database, definitionId: string): Promise<() => Promise<void>> {
  if (db.engine === 'pglite') return async () => undefined;
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let answered!: (holder: string | undefined | null | { error: unknown }) => void;
  const answer = new Promise<string | undefined | null | { error: unknown }>((resolve) => (answered = resolve));
  const holding = db
    .withSession(async (session) => {
      const [row] = await session.query<{ ok: boolean }>("SELECT pg_try_advisory_lock(hashtextextended('exdef-run:' || $1, 0)) AS ok", [definitionId]);
      if (!row!.ok) {
        // Who holds it, for the message (pg_locks shows the pid; pg_stat_activity when it is visible to us).
        const [other] = await session.query<{ holder: string | null }>(
          `SELECT coalesce(a.application_name || ' pid ' || l.pid, 'pid ' || l.pid) AS holder
             FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended('exdef-run:' || $1, 0)
            LIMIT 1`,
          [definitionId],
        );
        answered(other?.holder ?? null);
        return;
      }
      answered(undefined);
      await released;
      await session.query("SELECT pg_advisory_unlock(hashtextextended('exdef-run:' || $1, 0))", [definitionId]);
    })
    .catch((error: unknown) => answered({ error }));
  const holder = await answer;
  if (holder !== null && typeof holder === 'object') throw holder.error;
  if (holder !== undefined) {
    await holding;
    throw new ExdefError(`another run of ${definitionId} is in progress on this database${holder ? ` (server process ${holder.replace(/^.* pid /, '')})` : ''}: runs of one definition never overlap`, {
      exitCode: 1,
      step: 'lock',
      hints: ['wait for it to finish and run again; a run whose process died releases its lock with its connection'],
    });
  }
  return async () => {
    release();
    await holding;
  };
}
