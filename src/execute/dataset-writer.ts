import { createWriteStream, mkdirSync } from 'node:fs';
import { PRIVATE_DIRECTORY_MODE, PRIVATE_FILE_MODE } from './private-files.js';
import { join } from 'node:path';
import { PassThrough, Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Engine, Session } from '../db/database.js';
import type { CompiledQuery } from '../sql/compile-extract.js';
import type { OutputColumn } from '../sql/dataset-query.js';
import { bindAsSettings, withSettingParameters } from './copy-sql.js';
import { copyOptionsSql, CsvFormatter, crlfTransform, RecordRouter, type CsvDialect } from './csv.js';
import { deltaRecordFilter, type DeltaRecords } from './delta-records.js';
import { testHold } from './test-hold.js';
import { DEFAULT_COMPRESSION, entryPacker, type Compression } from './zip-entry.js';

/**
 * One CSV file of the extract, as the manifest lists it. On disk, under the run's directory at
 * its path, is the file packed as a ZIP entry (zip-entry.ts), which writeZip copies as it is.
 */
export interface WrittenFile {
  /** Its path inside the ZIP: `people.csv`, or `A81001/people.csv` in per-practice layout. */
  path: string;
  dataset: string;
  practice?: string;
  rows: number;
  bytes: number;
  sha256: string;
}

export interface DatasetJob {
  session: Session;
  engine: Engine;
  dataset: string;
  query: CompiledQuery;
  /** The bound values of the query's parameters, in `$n` order. */
  params: readonly string[];
  columns: readonly OutputColumn[];
  dialect: CsvDialect;
  /** The run's temporary directory. */
  directory: string;
  /** Per-practice layout: every practice in scope gets a file, with a header at least. */
  practices?: readonly string[];
  /** Called with rows written so far (approximately, as bytes arrive), for progress. */
  onRows?: (rows: number) => void;
  /**
   * A delta definition's output (record_id and change_type last): deletions of rows the recipient
   * does not hold are left out, and what is written is recorded here for the state.
   */
  delta?: DeltaRecords;
  /** How the files are deflated as they are written (default fast). */
  compression?: Compression;
}

/** Rows fetched per round trip on PGlite. */
const CURSOR_BATCH = 5000;

/**
 * Streams one dataset query to CSV on disk in flat memory: through COPY TO STDOUT (the values
 * bound as transaction settings, see copy-sql.ts) on PostgreSQL and on an embedded database in a
 * directory (through a file there, pglite-copy-out.ts: about 3x its cursor), and on an in-memory
 * PGlite through a cursor and a formatter that writes exactly the bytes COPY would. Line endings are converted after, so both
 * paths share everything downstream; per-practice layout routes each record to its practice's
 * file by the query's first column. Every file is hashed and packed as a ZIP entry as it is
 * written (deflated on the thread pool, zip-entry.ts), so packaging the run only copies bytes.
 * A delta's records pass the delta filter first (delta-records.ts).
 */
export async function writeDataset(job: DatasetJob): Promise<WrittenFile[]> {
  const source = job.session.copyOut ? await copySource(job) : cursorSource(job);
  let stream: Readable = source.stream;
  if (job.delta) {
    const filtered = source.stream.pipe(deltaRecordFilter(job.dialect, job.delta));
    source.stream.on('error', (error) => filtered.destroy(error));
    stream = filtered;
  }
  const held = testHold(job.dataset);
  if (held) {
    const from = stream;
    stream = from.pipe(held);
    from.on('error', (error) => held.destroy(error));
  }
  const counted = stream.pipe(newlineCounter(job.onRows));
  stream.on('error', (error) => counted.destroy(error));
  if (!job.practices) {
    const path = `${job.dataset}.csv`;
    const file = await writeFile(counted, join(job.directory, path), job);
    // The rows written: in a delta, without the deletions the filter left out.
    return [{ path, dataset: job.dataset, rows: job.delta ? job.delta.written : source.rows(), ...file }];
  }
  return routeByPractice(job, counted);
}

interface Source {
  stream: Readable;
  /** Data rows (without the header), once the stream has ended. */
  rows(): number;
}

/** COPY (query) TO STDOUT with the definition's dialect, but LF line endings (converted later). */
async function copySource(job: DatasetJob): Promise<Source> {
  if (!job.session.copyOut) throw new Error('internal: this session cannot COPY TO STDOUT');
  const count = job.query.parameters.length;
  await bindAsSettings(job.session, job.params);
  const copy = job.session.copyOut(`COPY (${withSettingParameters(job.query.sql, count)}) TO STDOUT ${copyOptionsSql({ ...job.dialect, lineEnding: 'lf' })}`);
  return { stream: copy.stream, rows: () => copy.rows() };
}

/** Rows through a cursor, formatted exactly as COPY formats them. */
function cursorSource(job: DatasetJob): Source {
  const names = job.columns.map((c) => c.name);
  const formatter = new CsvFormatter(job.dialect, names.length);
  let rows = 0;
  async function* lines(): AsyncGenerator<string> {
    if (job.dialect.header) yield formatter.header(names);
    for await (const batch of job.session.cursor(job.query.sql, job.params, CURSOR_BATCH)) {
      let text = '';
      for (const row of batch) text += formatter.row(names.map((n) => (row[n] ?? null) as string | null));
      rows += batch.length;
      yield text;
    }
  }
  return { stream: Readable.from(lines(), { objectMode: false }), rows: () => rows };
}

/** Bytes → (CRLF) → sha256, CRC-32 and size → deflate → packed entry file. */
async function writeFile(input: Readable, path: string, job: DatasetJob): Promise<{ bytes: number; sha256: string }> {
  const packer = entryPacker(job.compression ?? DEFAULT_COMPRESSION);
  const stages: (Readable | Transform | Writable)[] = [input];
  if (job.dialect.lineEnding === 'crlf') stages.push(crlfTransform(job.dialect.quote));
  stages.push(...packer.stages, createWriteStream(path, { highWaterMark: 1 << 20, mode: PRIVATE_FILE_MODE }));
  await pipeline(stages as [Readable, ...Transform[], Writable]);
  return packer.measured();
}

/** Per-practice layout: one file per practice, named by its ODS code; a practice without rows gets a header-only file. */
async function routeByPractice(job: DatasetJob, input: Readable): Promise<WrittenFile[]> {
  const written = new Map<string, Promise<{ bytes: number; sha256: string }>>();
  const openFile = (practice: string): Writable => {
    if (!/^[A-Z][A-Z0-9]{2,7}$/.test(practice)) throw new Error(`internal: unexpected practice code ${JSON.stringify(practice)} in the routing column`);
    mkdirSync(join(job.directory, practice), { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
    const head = new PassThrough();
    const done = writeFile(head, join(job.directory, practice, `${job.dataset}.csv`), job);
    // Observed here so a failure elsewhere (which destroys every output) is never an unhandled rejection.
    done.catch(() => undefined);
    written.set(practice, done);
    return head;
  };
  const router = new RecordRouter({ dialect: job.dialect, open: openFile, keys: job.practices ?? [] });
  try {
    await pipeline(input, router);
  } finally {
    await Promise.allSettled(written.values());
  }
  const files: WrittenFile[] = [];
  const rowsByPractice = router.rowsByKey();
  for (const [practice, promise] of [...written].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    files.push({ path: `${practice}/${job.dataset}.csv`, dataset: job.dataset, practice, rows: rowsByPractice.get(practice) ?? 0, ...(await promise) });
  }
  return files;
}

/** Counts LF bytes as they pass (rows, near enough, for a progress display). */
function newlineCounter(onRows: ((rows: number) => void) | undefined): Transform {
  let lines = 0;
  let last = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (onRows) {
        let at = chunk.indexOf(10);
        while (at >= 0) {
          lines++;
          at = chunk.indexOf(10, at + 1);
        }
        const now = Date.now();
        if (now - last > 200) {
          last = now;
          onRows(lines);
        }
      }
      done(null, chunk);
    },
    flush(done) {
      onRows?.(lines);
      done();
    },
  });
}
