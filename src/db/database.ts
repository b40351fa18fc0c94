import type { Kysely } from 'kysely';
import type { Readable } from 'node:stream';

export type Engine = 'pglite' | 'postgres';

/** A row as the engines return it: dates, timestamps, bigints and numerics as strings (see parsers). */
export type Row = Record<string, unknown>;

/** COPY text-format data: whole lines ending in \n, as text or as its UTF-8 bytes. */
export type CopyChunk = string | Uint8Array;

/** Where rows are copied into, and the stream of COPY text-format chunks (lines ending in \n). */
export interface CopyTarget {
  schema: string;
  table: string;
  columns: readonly string[];
}

/**
 * A connection held for a sequence of statements that must run on one backend: a transaction,
 * a cursor, a COPY. On PGlite there is only one backend, so a session is the database itself.
 */
export interface Session {
  query<R extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** Runs one or more statements without parameters. */
  exec(sql: string): Promise<void>;
  /** Rows of a query in batches, through a server-side cursor, in flat memory. */
  cursor<R extends Row = Row>(sql: string, params: readonly unknown[], batchSize: number): AsyncIterable<R[]>;
  /** COPY ... FROM STDIN in text format. Returns the number of rows copied. */
  copyIn(target: CopyTarget, chunks: AsyncIterable<CopyChunk> | Iterable<CopyChunk>): Promise<number>;
  /**
   * `COPY (...) TO STDOUT ...` as a byte stream, on this session's connection (inside its
   * transaction). PostgreSQL, and PGlite in a directory (through a file there: pglite-copy-out.ts);
   * an in-memory PGlite has none, and the executor streams through cursor() instead.
   */
  copyOut?(sql: string): CopyOut;
}

export interface CopyOut {
  stream: Readable;
  /** The rows COPY reported, once the stream has ended. */
  rows(): number;
}

/** One connection layer over the two real engines exdef supports. */
export interface Database extends Session {
  readonly engine: Engine;
  /** Where the database is, for messages: never includes a password. */
  readonly target: string;
  /**
   * Set when opening this database created it with a catalogue's schema already in it (PGlite's
   * schema template): that schema's digest (schemaDigest in reporting-schema.ts).
   */
  readonly createdWithSchema?: string;
  /** On PostgreSQL, how many connections its pool may hold at once. */
  readonly maxConnections?: number;
  /** Runs `fn` on one dedicated connection (released afterwards, whatever happens). */
  withSession<T>(fn: (session: Session) => Promise<T>): Promise<T>;
  /** Kysely over the same connection(s), PostgreSQL dialect. */
  kysely(): Kysely<any>;
  close(): Promise<void>;
}

/** OIDs whose text form exdef keeps as text on both engines, so results compare equal. */
export const TEXT_PARSED_TYPES = {
  int8: 20,
  numeric: 1700,
  date: 1082,
  timestamp: 1114,
  timestamptz: 1184,
  interval: 1186,
} as const;
