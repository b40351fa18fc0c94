import type { Catalogue } from '../catalogue/catalogue.js';
import { createHash } from 'node:crypto';
import { allStatements, ddlScript, generateDdl, type Ddl } from '../catalogue/ddl.js';
import { ExdefError } from '../failure.js';
import { qualifiedName } from '../sql/identifier.js';
import type { Database } from './database.js';

/** Which of the catalogue's tables exist in the database. */
export async function existingTables(db: Database, catalogue: Catalogue): Promise<Set<string>> {
  const rows = await db.query<{ schema: string; name: string }>(
    `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables WHERE table_schema = ANY($1::text[])`,
    [[...new Set(catalogue.tables.map((t) => t.schema))]],
  );
  const present = new Set(rows.map((r) => `${r.schema}.${r.name}`));
  return new Set(catalogue.tables.filter((t) => present.has(`${t.schema}.${t.name}`)).map((t) => t.name));
}

/** pgcrypto provides hmac() for pseudonyms; both engines ship it as an extension. */
export async function ensurePgcrypto(db: Database): Promise<void> {
  try {
    await db.exec('CREATE EXTENSION IF NOT EXISTS pgcrypto');
  } catch (error) {
    throw new ExdefError(`cannot enable the pgcrypto extension in ${db.target}: ${(error as Error).message}`, {
      exitCode: 2,
      step: 'create schema',
      hints: ['ask the database owner to run CREATE EXTENSION pgcrypto'],
    });
  }
}

export type SchemaPhase = keyof Ddl;

/** Runs DDL phases in order. */
export async function runDdl(db: Database, ddl: Ddl, phases: readonly SchemaPhase[]): Promise<void> {
  for (const phase of phases) {
    for (const statement of ddl[phase]) {
      try {
        await db.exec(statement);
      } catch (error) {
        throw new ExdefError(`creating the schema failed (${phase}): ${(error as Error).message}`, {
          exitCode: 2,
          step: 'create schema',
          cause: error,
        });
      }
    }
  }
}

/** What identifies the schema exdef creates for a catalogue: the digest of its DDL. */
export function schemaDigest(catalogue: Catalogue): string {
  return createHash('sha256').update(ddlScript(generateDdl(catalogue))).digest('hex');
}

/**
 * Creates the catalogue's schema when it is missing. Returns false when every table already
 * existed. A schema that is only partly there is an error: exdef does not guess how to finish it.
 * A database that its opening created with this catalogue's schema (PGlite's schema template)
 * was created here in effect: true, with nothing left to run.
 */
export async function ensureSchema(db: Database, catalogue: Catalogue): Promise<boolean> {
  if (db.createdWithSchema !== undefined && db.createdWithSchema === schemaDigest(catalogue)) return true;
  const present = await existingTables(db, catalogue);
  if (present.size === catalogue.tables.length) return false;
  if (present.size > 0) {
    const missing = catalogue.tables.filter((t) => !present.has(t.name)).map((t) => `${t.schema}.${t.name}`);
    throw new ExdefError(`${db.target} has part of the schema: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing`, {
      exitCode: 2,
      step: 'create schema',
      hints: ['run `exdef db init --replace` to drop and recreate it (this deletes its data)'],
    });
  }
  await ensurePgcrypto(db);
  const ddl = generateDdl(catalogue);
  // One transaction: the schema appears whole or not at all, and there is one commit rather than
  // one per statement (on a new PGlite database made by initdb, about 4 s became about 1 s).
  await db.withSession(async (session) => {
    await session.exec('BEGIN');
    try {
      for (const statement of allStatements(ddl)) await session.exec(statement);
      await session.exec('COMMIT');
    } catch (error) {
      await session.exec('ROLLBACK').catch(() => undefined);
      throw error;
    }
  });
  return true;
}

/** Drops the catalogue's tables (and exdef's trigger functions) so the schema can be made anew. */
export async function dropSchema(db: Database, catalogue: Catalogue): Promise<void> {
  for (const table of [...catalogue.tables].reverse()) {
    await db.exec(`DROP TABLE IF EXISTS ${qualifiedName(table.schema, table.name)} CASCADE`);
  }
  for (const schema of new Set(catalogue.tables.map((t) => t.schema))) {
    await db.exec(`DROP FUNCTION IF EXISTS ${qualifiedName(schema, 'exdef_touch')}() CASCADE`);
  }
}

export async function countRows(db: Database, schema: string, table: string): Promise<number> {
  const rows = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${qualifiedName(schema, table)}`);
  return Number(rows[0]?.n ?? 0);
}

/** Creates whichever terminology tables are missing (the rest of the schema is left alone). */
export async function ensureTerminologyTables(db: Database, catalogue: Catalogue): Promise<void> {
  const present = await existingTables(db, catalogue);
  const missing = new Set(catalogue.tables.filter((t) => t.schema === 'terminology' && !present.has(t.name)).map((t) => t.name));
  if (missing.size === 0) return;
  await runDdl(db, generateDdl(catalogue, missing), ['schemas', 'tables', 'primaryKeys', 'indexes']);
}
