import { PGlite } from '@electric-sql/pglite';
import { pgcrypto } from '@electric-sql/pglite/contrib/pgcrypto';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import { Kysely, PostgresDialect } from 'kysely';
import { chmodSync, statSync } from 'node:fs';
import { makeDirectory } from '../execute/make-directory.js';
import pg from 'pg';
import { ExdefError, isExdefError } from '../failure.js';
import { lockDirectory } from './directory-lock.js';
import { copyOutThroughFile, removeCopyLeftovers } from './pglite-copy-out.js';
import type { Catalogue } from '../catalogue/catalogue.js';
import { needsInitdb, pgliteSchemaTemplatePath, pgliteTemplate, unpackPgliteTemplate } from './pglite-template.js';
import { schemaDigest } from './reporting-schema.js';
import { qualifiedName, quoteIdentifier } from '../sql/identifier.js';
import { TEXT_PARSED_TYPES, type CopyChunk, type CopyTarget, type Database, type Row, type Session } from './database.js';
import { cursorRows } from './postgres-database.js';

export interface PGliteOptions {
  /** A directory for a file-backed database, or undefined for one in memory. */
  dataDir?: string;
  /** Create a new database by initdb even when the build's template exists (to compare the two). */
  initdb?: boolean;
  /**
   * The catalogue whose schema is about to be created (`db init`): a new database in a directory
   * is then unpacked from the build's template that holds that schema already, when there is one.
   */
  schemaFor?: Catalogue;
}

const textParsers = Object.fromEntries(Object.values(TEXT_PARSED_TYPES).map((oid) => [oid, (value: string) => value]));

/**
 * Server settings for every embedded database, given at start so that they hold for a database
 * made before them too. PostgreSQL's defaults size a server; PGlite allocates its buffer pool and
 * its sort memory inside the WASM heap, which never shrinks, so the default 128 MB of
 * shared_buffers alone was a third of the process. The operating system's page cache still holds
 * the database files, so reads that miss this pool are memory copies, not disk reads.
 */
const PGLITE_SETTINGS = ['shared_buffers=16MB', 'maintenance_work_mem=16MB'];

/**
 * Bytes gathered before each COPY FROM '/dev/blob' (PGlite's COPY takes a whole blob at once, and
 * copies it twice on the way in). Every table being loaded holds one batch: the seed loads eleven.
 */
const COPY_BATCH_BYTES = 1024 * 1024;

/**
 * The bytes of one COPY batch as the Blob PGlite's COPY FROM '/dev/blob' takes, handed over as
 * they are. A Blob made from parts copies them, and its arrayBuffer() copies them again on the
 * libuv thread pool: allocations on four other threads' malloc arenas, which kept about 100 MB
 * that the process no longer used while a practice was seeded.
 */
class BytesBlob extends Blob {
  readonly #content: Uint8Array<ArrayBuffer>;

  /** PGlite reads only arrayBuffer() (its _handleBlob); the Blob itself is left empty. */
  constructor(content: Uint8Array<ArrayBuffer>) {
    super([]);
    this.#content = content;
  }

  override async arrayBuffer(): Promise<ArrayBuffer> {
    return this.#content.buffer;
  }
}

/** The embedded engine: PostgreSQL compiled to WASM, in this process. */
export async function openPGlite(options: PGliteOptions = {}): Promise<Database> {
  const target = options.dataDir ? `embedded PGlite database at ${options.dataDir}` : 'in-memory PGlite database';
  let pglite: PGlite;
  let unlock = () => undefined as void;
  let createdWithSchema: string | undefined;
  try {
    if (options.dataDir) {
      // Not mkdirSync's recursive form, which never returns for a directory under /proc.
      // 0700, as PostgreSQL wants its own data directory: it holds patient records (and, while a
      // COPY runs, a dataset's CSV). One made before exdef did this is tightened when it is ours.
      makeDirectory(options.dataDir, 0o700);
      keepToOwner(options.dataDir);
      unlock = lockDirectory(options.dataDir, target);
      removeCopyLeftovers(options.dataDir);
    }
    // A new database is unpacked from the build's template rather than made by initdb
    // (pglite-template.ts): onto disk before PGlite starts, or through loadDataDir in memory.
    let template: Blob | undefined;
    if (needsInitdb(options.dataDir) && !options.initdb) {
      if (options.dataDir) {
        const digest = options.schemaFor ? schemaDigest(options.schemaFor) : undefined;
        if (digest && (await unpackPgliteTemplate(options.dataDir, pgliteSchemaTemplatePath(digest)))) createdWithSchema = digest;
        else await unpackPgliteTemplate(options.dataDir);
      } else {
        template = pgliteTemplate();
      }
    }
    pglite = await PGlite.create({
      ...(options.dataDir ? { dataDir: options.dataDir } : {}),
      ...(template ? { loadDataDir: template } : {}),
      extensions: { pgcrypto },
      parsers: textParsers,
      startParams: [...PGlite.defaultStartParams, ...PGLITE_SETTINGS.flatMap((setting) => ['-c', setting])],
    });
    await pglite.exec("SET TimeZone TO 'UTC'; SET DateStyle TO 'ISO, YMD'; SET IntervalStyle TO 'postgres'");
  } catch (error) {
    unlock();
    if (isExdefError(error)) throw error;
    throw new ExdefError(`cannot open the ${target}: ${(error as Error).message}`, { exitCode: 2, step: 'connect', cause: error });
  }
  let kysely: Kysely<any> | undefined;
  const dataDir = options.dataDir;

  const session: Session = {
    async query<R extends Row>(sql: string, params: readonly unknown[] = []) {
      const result = await pglite.query<R>(sql, params as unknown[]);
      return result.rows;
    },
    async exec(sql: string) {
      await pglite.exec(sql);
    },
    cursor<R extends Row>(sql: string, params: readonly unknown[], batchSize: number) {
      return cursorRows<R>((text, values) => pglite.query<R>(text, values as unknown[]).then((r) => r.rows), sql, params, batchSize);
    },
    // In memory, the file would be in memory too: there the cursor is the flat-memory path.
    ...(dataDir === undefined ? {} : { copyOut: (sql: string) => copyOutThroughFile(pglite, dataDir, sql) }),
    async copyIn(copyTarget: CopyTarget, chunks: AsyncIterable<CopyChunk> | Iterable<CopyChunk>) {
      const sql = `COPY ${qualifiedName(copyTarget.schema, copyTarget.table)} (${copyTarget.columns.map(quoteIdentifier).join(', ')}) FROM '/dev/blob'`;
      let parts: Uint8Array[] = [];
      let size = 0;
      let rows = 0;
      const flush = async () => {
        if (parts.length === 0) return;
        const batch = new Uint8Array(size);
        let at = 0;
        for (const part of parts) {
          batch.set(part, at);
          at += part.byteLength;
        }
        parts = [];
        size = 0;
        const result = await pglite.query(sql, [], { blob: new BytesBlob(batch) });
        rows += result.affectedRows ?? 0;
      };
      for await (const chunk of chunks) {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
        parts.push(bytes);
        size += bytes.byteLength;
        if (size >= COPY_BATCH_BYTES) await flush();
      }
      await flush();
      return rows;
    },
  };

  return {
    engine: 'pglite',
    target,
    ...(createdWithSchema === undefined ? {} : { createdWithSchema }),
    ...session,
    cursor<R extends Row>(sql: string, params: readonly unknown[], batchSize: number): AsyncIterable<R[]> {
      return {
        async *[Symbol.asyncIterator]() {
          await pglite.exec('BEGIN');
          try {
            yield* session.cursor<R>(sql, params, batchSize);
            await pglite.exec('COMMIT');
          } catch (error) {
            await pglite.exec('ROLLBACK').catch(() => undefined);
            throw error;
          }
        },
      };
    },
    async withSession(fn) {
      return fn(session);
    },
    kysely() {
      kysely ??= new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool(createPgConfig(pglite)) }) });
      return kysely;
    },
    async close() {
      if (kysely) await kysely.destroy().catch(() => undefined);
      try {
        await pglite.close();
      } finally {
        unlock();
      }
    },
  };
}

/** Removes group and other access from a directory this process owns (another's is left as it is, and its owner's to mind). */
function keepToOwner(dir: string): void {
  const stat = statSync(dir);
  if ((stat.mode & 0o077) !== 0 && stat.uid === process.getuid?.()) chmodSync(dir, stat.mode & 0o700);
}
