/**
 * COPY TO STDOUT for an embedded database in a directory, through a file in that directory.
 *
 * PGlite's COPY TO '/dev/blob' hands back the whole result at once, and reading rows through a
 * cursor pays for every field twice (PostgreSQL's wire protocol, then PGlite's parser in
 * JavaScript): about 100k rows/s. PGlite runs as the superuser, so PostgreSQL's own COPY can
 * write the result to a file of its data directory, which is a directory on this machine: about
 * 700k rows/s, in PostgreSQL's exact CSV, in flat memory. The file is then streamed and deleted.
 * It costs disk, not memory: the dataset's CSV, once more, while it is read.
 *
 * The file holds an extract in plain text, so it is this user's alone (created 0600 before COPY
 * opens it: PGlite itself would create it 0644 whatever the umask) and never outlives the process
 * that wrote it: removed when it has been read, and on exit (a run interrupted by a signal exits
 * without finishing its streams); only a killed process leaves one, which the next open of the
 * directory removes under its lock (removeCopyLeftovers).
 */
import { closeSync, createReadStream, openSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { PGlite } from '@electric-sql/pglite';
import type { CopyOut } from './database.js';

const PREFIX = 'exdef-copy-';
let copyCounter = 0;

/** The files being written or read now, removed on exit if still there. */
const inFlight = new Set<string>();
let removingOnExit = false;
function track(path: string): void {
  if (!removingOnExit) {
    removingOnExit = true;
    process.on('exit', () => {
      for (const file of inFlight) rmSync(file, { force: true });
    });
  }
  inFlight.add(path);
}

/** Runs `COPY (query) TO STDOUT options` (as copy-sql.ts writes it) into a file of `dataDir`, streamed as it is read. */
export function copyOutThroughFile(pglite: PGlite, dataDir: string, sql: string): CopyOut {
  const at = sql.lastIndexOf(') TO STDOUT');
  if (!sql.startsWith('COPY (') || at === -1) throw new Error('internal: copyOut takes COPY (query) TO STDOUT');
  // A new name every time: PGlite's file system caches the names it has seen, and this one is deleted behind its back.
  const name = `${PREFIX}${process.pid}-${++copyCounter}.csv`;
  let rows = 0;
  const file = join(dataDir, name);
  async function* bytes(): AsyncGenerator<Buffer> {
    track(file);
    try {
      // Made here, private, before COPY opens it (which truncates it and keeps its mode).
      closeSync(openSync(file, 'wx', 0o600));
      const [setting] = (await pglite.query<{ dir: string }>("SELECT current_setting('data_directory') AS dir")).rows;
      const target = `${setting!.dir}/${name}`.replace(/'/g, "''");
      const result = await pglite.query(`${sql.slice(0, at)}) TO '${target}'${sql.slice(at + ') TO STDOUT'.length)}`);
      rows = result.affectedRows ?? 0;
      for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) yield chunk as Buffer;
    } finally {
      rmSync(file, { force: true });
      inFlight.delete(file);
    }
  }
  return { stream: Readable.from(bytes(), { objectMode: false }), rows: () => rows };
}

/** Files a killed process left behind (called with the directory's lock held: no one else is writing them). */
export function removeCopyLeftovers(dataDir: string): void {
  for (const entry of readdirSync(dataDir)) {
    if (entry.startsWith(PREFIX) && entry.endsWith('.csv')) rmSync(join(dataDir, entry), { force: true });
  }
}
