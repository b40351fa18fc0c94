import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inCi } from '../../../src/ci-environment.js';
import type { Database } from '../../../src/db/database.js';
import { openPGlite } from '../../../src/db/pglite-database.js';
import { needsInitdb, pgliteTemplate, pgliteTemplatePath } from '../../../src/db/pglite-template.js';

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

describe('a new embedded database starts from the build template', () => {
  const work = mkdtempSync(join(tmpdir(), 'exdef-template-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('the build made the template for the installed PGlite (named by its version)', () => {
    expect(pgliteTemplatePath()).toMatch(/pglite-template-\d+\.\d+\.\d+\.tar\.gz$/);
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
