import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { once } from 'node:events';
import { connectionError, describePostgresUrl } from './connection-error.js';
import { TEXT_PARSED_TYPES, type CopyChunk, type CopyTarget, type Database, type Row, type Session } from './database.js';
import { qualifiedName, quoteIdentifier } from '../sql/identifier.js';

const textOids = new Set<number>(Object.values(TEXT_PARSED_TYPES));
const typeParsers = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    textOids.has(oid) ? (value: string) => value : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

export interface PostgresOptions {
  url: string;
  /** Connections in the pool (the executor's cap on concurrent datasets uses it). */
  maxConnections?: number;
  applicationName?: string;
}

/** Real PostgreSQL through `pg`. Connects eagerly so a bad target fails at once, clearly. */
export async function openPostgres(options: PostgresOptions): Promise<Database> {
  const target = describePostgresUrl(options.url);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 4,
    application_name: options.applicationName ?? 'exdef',
    connectionTimeoutMillis: 15_000,
    // Every exdef session reads and writes times in UTC, ISO formatted, whatever the server's defaults.
    options: '-c TimeZone=UTC -c DateStyle=ISO,YMD -c IntervalStyle=postgres',
    types: typeParsers,
  });
  // An idle client that loses its connection emits here; without a listener Node would crash.
  pool.on('error', () => undefined);
  try {
    const client = await pool.connect();
    client.release();
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw connectionError(target, error);
  }
  let kysely: Kysely<any> | undefined;

  const sessionOf = (client: pg.PoolClient): Session => ({
    async query<R extends Row>(sql: string, params: readonly unknown[] = []) {
      const result = await client.query(sql, params as unknown[]);
      return result.rows as R[];
    },
    async exec(sql: string) {
      await client.query(sql);
    },
    cursor<R extends Row>(sql: string, params: readonly unknown[], batchSize: number) {
      return cursorRows<R>((text, values) => client.query(text, values as unknown[]).then((r) => r.rows as R[]), sql, params, batchSize);
    },
    copyIn(copyTarget: CopyTarget, chunks: AsyncIterable<CopyChunk> | Iterable<CopyChunk>) {
      return copyInto(client, copyTarget, chunks);
    },
    copyOut(sql: string) {
      const stream = client.query(copyTo(sql));
      return { stream, rows: () => Number(stream.rowCount ?? 0) };
    },
  });

  const database: Database = {
    engine: 'postgres',
    target,
    maxConnections: options.maxConnections ?? 4,
    async query<R extends Row>(sql: string, params: readonly unknown[] = []) {
      const result = await pool.query(sql, params as unknown[]);
      return result.rows as R[];
    },
    async exec(sql: string) {
      await pool.query(sql);
    },
    cursor<R extends Row>(sql: string, params: readonly unknown[], batchSize: number): AsyncIterable<R[]> {
      return {
        async *[Symbol.asyncIterator]() {
          const client = await pool.connect();
          try {
            await client.query('BEGIN');
            yield* sessionOf(client).cursor<R>(sql, params, batchSize);
            await client.query('COMMIT');
          } catch (error) {
            await client.query('ROLLBACK').catch(() => undefined);
            throw error;
          } finally {
            client.release();
          }
        },
      };
    },
    async copyIn(copyTarget, chunks) {
      const client = await pool.connect();
      try {
        return await copyInto(client, copyTarget, chunks);
      } finally {
        client.release();
      }
    },
    async withSession(fn) {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        throw connectionError(target, error);
      }
      let broken = false;
      // A connection the server ends while the client is checked out (pg_terminate_backend, a
      // restart) is reported as an 'error' event on the client as well as to the running query;
      // without a listener Node would crash. The query's own rejection carries it to the caller.
      const onError = () => {
        broken = true;
      };
      client.on('error', onError);
      try {
        return await fn(sessionOf(client));
      } catch (error) {
        broken = true;
        throw error;
      } finally {
        client.removeListener('error', onError);
        // A connection that failed mid-session may be in an aborted transaction, or in the middle
        // of a COPY nobody reads any more: discard it (the server then rolls back).
        client.release(broken);
      }
    },
    kysely() {
      kysely ??= new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
      return kysely;
    },
    async close() {
      if (kysely) await kysely.destroy();
      else await pool.end();
    },
  };
  return database;
}

async function copyInto(client: pg.PoolClient, target: CopyTarget, chunks: AsyncIterable<CopyChunk> | Iterable<CopyChunk>): Promise<number> {
  const sql = `COPY ${qualifiedName(target.schema, target.table)} (${target.columns.map(quoteIdentifier).join(', ')}) FROM STDIN`;
  const stream = client.query(copyFrom(sql));
  const finished = new Promise<void>((resolve, reject) => {
    stream.on('finish', resolve);
    stream.on('error', reject);
  });
  // Rejections of `finished` are observed below; this keeps an early error from being unhandled.
  finished.catch(() => undefined);
  try {
    for await (const chunk of chunks) {
      if (!stream.write(chunk)) {
        await Promise.race([once(stream, 'drain'), finished]);
      }
    }
    stream.end();
  } catch (error) {
    stream.destroy(error as Error);
    await finished.catch(() => undefined);
    throw error;
  }
  await finished;
  return Number(stream.rowCount ?? 0);
}

/** Rows through DECLARE/FETCH; the caller holds the transaction. */
export async function* cursorRows<R extends Row>(
  run: (sql: string, params: readonly unknown[]) => Promise<R[]>,
  sql: string,
  params: readonly unknown[],
  batchSize: number,
): AsyncGenerator<R[]> {
  const name = `exdef_cursor_${cursorCounter++}`;
  await run(`DECLARE ${name} NO SCROLL CURSOR FOR ${sql}`, params);
  try {
    for (;;) {
      const rows = await run(`FETCH FORWARD ${Math.max(1, Math.floor(batchSize))} FROM ${name}`, []);
      if (rows.length === 0) break;
      yield rows;
    }
  } finally {
    await run(`CLOSE ${name}`, []).catch(() => undefined);
  }
}
let cursorCounter = 0;
