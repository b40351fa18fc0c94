import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase } from '../../src/db/open-database.js';
import type { Database } from '../../src/db/database.js';
import { inCi } from '../../src/ci-environment.js';

export type EngineName = 'pglite' | 'postgres';

/**
 * The engines every database test runs on: PGlite always; real PostgreSQL when
 * EXDEF_TEST_DATABASE_URL names a server (an administrative connection: each test file gets a
 * database of its own). Under CI (CI set to any true value) a missing server fails the run instead of skipping.
 */
export function testEngines(): EngineName[] {
  const url = process.env['EXDEF_TEST_DATABASE_URL'];
  if (!url && inCi()) {
    throw new Error('CI is set but EXDEF_TEST_DATABASE_URL is not set: the real-PostgreSQL tests must run in CI (use bash .ci/run)');
  }
  return url ? ['pglite', 'postgres'] : ['pglite'];
}

export function adminUrl(): string {
  const url = process.env['EXDEF_TEST_DATABASE_URL'];
  if (!url) throw new Error('EXDEF_TEST_DATABASE_URL is not set');
  return url;
}

/** A fresh, empty database on the engine; `drop()` removes it. */
export interface ScratchDatabase {
  engine: EngineName;
  db: Database;
  /** What to pass as --database to the CLI for this database. */
  url: string;
  drop(): Promise<void>;
}

export async function scratchDatabase(engine: EngineName, options: { maxConnections?: number } = {}): Promise<ScratchDatabase> {
  if (engine === 'pglite') {
    const db = await openDatabase({ url: 'memory:' });
    return { engine, db, url: 'memory:', drop: () => db.close() };
  }
  const admin = new URL(adminUrl());
  const name = `exdef_test_${randomBytes(5).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const url = new URL(admin.toString());
  url.pathname = `/${name}`;
  const db = await openDatabase({ url: url.toString(), maxConnections: options.maxConnections ?? 12 });
  return {
    engine,
    db,
    url: url.toString(),
    async drop() {
      await db.close();
      const c = new pg.Client({ connectionString: admin.toString() });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
