import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { inCi } from '../../../src/ci-environment.js';
import type { Database } from '../../../src/db/database.js';
import { openPGlite } from '../../../src/db/pglite-database.js';
import { extractTar, needsInitdb, pgliteSchemaTemplatePath, pgliteTemplate, pgliteTemplatePath } from '../../../src/db/pglite-template.js';
import { existingTables, ensureSchema, schemaDigest } from '../../../src/db/reporting-schema.js';
import { referenceCatalogue } from '../../../src/catalogue/load-catalogue.js';

/** What initdb decides and a database's users could notice: settings, databases, roles, extensions available, the catalogue's shape. */
async function clusterFingerprint(db: Database): Promise<unknown> {
  const settings = await db.query(
    "SELECT name, setting FROM pg_settings WHERE source NOT IN ('session', 'client') AND name NOT IN ('data_directory', 'config_file', 'hba_file', 'ident_file') ORDER BY name",
  );
  const databases = await db.query('SELECT datname, encoding, datcollate, datctype FROM pg_database ORDER BY datname');
  const roles = await db.query('SELECT rolname, rolsuper FROM pg_roles ORDER BY rolname');
  const extensions = await db.query('SELECT name, default_version FROM pg_available_extensions ORDER BY name');
  const relations = await db.query("SELECT count(*)::int AS n FROM pg_class WHERE relnamespace = 'pg_catalog'::regnamespace");
  await db.exec('CREATE EXTENSION IF NOT EXISTS pgcrypto');
  const digest = await db.query("SELECT encode(digest('exdef', 'sha256'), 'hex') AS d");
  return { settings, databases, roles, extensions, relations, digest };
}

/** The shape of exdef's schemas: columns, constraints, indexes, triggers and their function. */
async function schemaFingerprint(db: Database): Promise<unknown> {
  const schemas = "('reporting', 'terminology')";
  return {
    columns: await db.query(`SELECT table_schema, table_name, column_name, ordinal_position, data_type, is_nullable, column_default FROM information_schema.columns WHERE table_schema IN ${schemas} ORDER BY 1, 2, 4`),
    constraints: await db.query(`SELECT conrelid::regclass::text AS rel, conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE connamespace::regnamespace::text IN ${schemas} ORDER BY 1, 2`),
    indexes: await db.query(`SELECT schemaname, tablename, indexname, indexdef FROM pg_indexes WHERE schemaname IN ${schemas} ORDER BY 1, 2, 3`),
    triggers: await db.query(`SELECT event_object_schema, event_object_table, trigger_name, action_timing, event_manipulation, action_statement FROM information_schema.triggers WHERE trigger_schema IN ${schemas} ORDER BY 1, 2, 3, 5`),
    functions: await db.query(`SELECT pronamespace::regnamespace::text AS schema, proname, prosrc FROM pg_proc WHERE pronamespace::regnamespace::text IN ${schemas} ORDER BY 1, 2`),
  };
}

describe('a new embedded database starts from the build template', () => {
  const work = mkdtempSync(join(tmpdir(), 'exdef-template-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('the build made the template for the installed PGlite (named by its version)', () => {
    expect(pgliteTemplatePath()).toMatch(/pglite-template-\d+\.\d+\.\d+-[0-9a-f]{12}\.tar\.gz$/);
    if (!existsSync(pgliteTemplatePath()) && !inCi()) return; // a test run without `npm run build`
    expect(pgliteTemplate()?.size).toBeGreaterThan(1_000_000);
  });

  it('is the same cluster initdb makes: settings, databases, roles, extensions, catalogue', async () => {
    if (!pgliteTemplate() && !inCi()) return;
    const fromTemplate = await openPGlite({ dataDir: join(work, 'template') });
    const fromInitdb = await openPGlite({ dataDir: join(work, 'initdb'), initdb: true });
    try {
      expect(await clusterFingerprint(fromTemplate)).toEqual(await clusterFingerprint(fromInitdb));
    } finally {
      await fromTemplate.close();
      await fromInitdb.close();
    }
  });

  it('is unpacked onto disk: the new directory holds the database and nothing of the unpacking', async () => {
    if (!pgliteTemplate() && !inCi()) return;
    const dir = join(work, 'unpacked');
    const db = await openPGlite({ dataDir: dir });
    try {
      expect(await db.query("SELECT extname FROM pg_extension WHERE extname = 'pgcrypto'")).toEqual([{ extname: 'pgcrypto' }]);
    } finally {
      await db.close();
    }
    expect(readFileSync(join(dir, 'PG_VERSION'), 'utf8').trim()).toMatch(/^\d+$/);
    expect(readdirSync(dir).filter((name) => name.startsWith('.'))).toEqual([]);
  });

  it('for db init, holds the reference schema exactly as its DDL makes it: init is an unpack and an open', async () => {
    const catalogue = referenceCatalogue();
    if (!existsSync(pgliteSchemaTemplatePath(schemaDigest(catalogue))) && !inCi()) return;
    const unpacked = await openPGlite({ dataDir: join(work, 'schema-template'), schemaFor: catalogue });
    const made = await openPGlite({ dataDir: join(work, 'schema-ddl') });
    try {
      expect(unpacked.createdWithSchema).toBe(schemaDigest(catalogue));
      expect(made.createdWithSchema).toBeUndefined();
      expect(await ensureSchema(unpacked, catalogue)).toBe(true);
      expect(await ensureSchema(made, catalogue)).toBe(true);
      expect(await schemaFingerprint(unpacked)).toEqual(await schemaFingerprint(made));
      expect((await existingTables(unpacked, catalogue)).size).toBe(catalogue.tables.length);
    } finally {
      await unpacked.close();
      await made.close();
    }
  });

  it('for another catalogue, is the plain template: the schema is made from that catalogue', async () => {
    const reference = referenceCatalogue();
    const other = { ...reference, tables: reference.tables.filter((t) => t.name !== 'document') };
    const db = await openPGlite({ dataDir: join(work, 'other-catalogue'), schemaFor: other });
    try {
      expect(db.createdWithSchema).toBeUndefined();
      expect((await existingTables(db, reference)).size).toBe(0);
      expect(await ensureSchema(db, other)).toBe(true);
      expect([...(await existingTables(db, reference))].sort()).toEqual(other.tables.map((t) => t.name).sort());
    } finally {
      await db.close();
    }
  });

  it('is used only for a directory with no database: an existing one is opened, its data kept', async () => {
    const dir = join(work, 'kept');
    expect(needsInitdb(dir)).toBe(true);
    expect(needsInitdb(undefined)).toBe(true);
    const first = await openPGlite({ dataDir: dir });
    await first.exec('CREATE TABLE kept (x int); INSERT INTO kept VALUES (42)');
    await first.close();
    expect(needsInitdb(dir)).toBe(false);
    const again = await openPGlite({ dataDir: dir });
    try {
      expect(await again.query('SELECT x FROM kept')).toEqual([{ x: 42 }]);
    } finally {
      await again.close();
    }
  });
});

/** A tar header block as ustar writes it (name, octal size, type flag, checksum). */
function tarHeader(name: string, size: number, type: '0' | '5', corruptChecksum = false): Buffer {
  const block = Buffer.alloc(512);
  block.write(name, 0);
  block.write('0000600\0', 100);
  block.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  block.write(type, 156);
  block.write('ustar\0', 257);
  block.write('        ', 148);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${(sum + (corruptChecksum ? 1 : 0)).toString(8).padStart(6, '0')}\0 `, 148);
  return block;
}

function tarFile(name: string, content: string): Buffer[] {
  const data = Buffer.from(content);
  return [tarHeader(name, data.length, '0'), data, Buffer.alloc((512 - (data.length % 512)) % 512)];
}

/** The archive as a stream of small, unaligned chunks (as gunzip gives them). */
function chunked(parts: Buffer[], size = 100): Readable {
  const all = Buffer.concat(parts);
  const chunks: Buffer[] = [];
  for (let i = 0; i < all.length; i += size) chunks.push(all.subarray(i, i + size));
  return Readable.from(chunks);
}

describe('extractTar (the template unpacker)', () => {
  const work = mkdtempSync(join(tmpdir(), 'exdef-untar-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const end = Buffer.alloc(1024);

  it('writes directories and files, whatever the chunking, and stops at the end blocks', async () => {
    const root = join(work, 'ok');
    const big = 'x'.repeat(1300);
    await extractTar(chunked([tarHeader('/base', 0, '5'), ...tarFile('/base/1/a', 'alpha\n'), ...tarFile('/PG_VERSION', '17\n'), ...tarFile('/big', big), ...tarFile('/empty', ''), end]), root);
    expect(readFileSync(join(root, 'base', '1', 'a'), 'utf8')).toBe('alpha\n');
    expect(readFileSync(join(root, 'PG_VERSION'), 'utf8')).toBe('17\n');
    expect(readFileSync(join(root, 'big'), 'utf8')).toBe(big);
    expect(readFileSync(join(root, 'empty'), 'utf8')).toBe('');
  });

  it('refuses a truncated archive, a bad checksum and a path that leaves the directory', async () => {
    await expect(extractTar(chunked(tarFile('/a', 'abc').slice(0, 2)), join(work, 'truncated'))).rejects.toThrow(/truncated/);
    await expect(extractTar(chunked([tarHeader('/a', 0, '0', true), end]), join(work, 'checksum'))).rejects.toThrow(/checksum/);
    await expect(extractTar(chunked([...tarFile('/../escape', 'x'), end]), join(work, 'escape'))).rejects.toThrow(/unexpected entry/);
    expect(existsSync(join(work, 'escape'))).toBe(false);
    await expect(extractTar(chunked([tarHeader('/link', 0, '2' as '0'), end]), join(work, 'link'))).rejects.toThrow(/neither a file nor a directory/);
  });
});
