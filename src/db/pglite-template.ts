/**
 * A new embedded database starts from a prebuilt data directory instead of running initdb.
 *
 * PGlite creates a database by running PostgreSQL's initdb (a second WASM module) inside the
 * process: about three times the time and twice the memory of opening an existing one. The build
 * runs initdb once, with the extensions exdef loads, and keeps the result as a gzipped tarball
 * (`dist/assets/pglite-template-<version>.tar.gz`); a new database, in memory or in an empty
 * directory, is unpacked from it. The file is named by the PGlite version that made it, and a
 * template for any other version is never used: a missing or stale template means initdb, so the
 * template can make creation faster but never different.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pgcrypto } from '@electric-sql/pglite/contrib/pgcrypto';
import { resources } from '../resources.js';

let installedVersion: string | undefined;

/** The installed PGlite's version (its package.json, found from its entry point: the package does not export it), read once. */
function pgliteVersion(): string {
  return (installedVersion ??= readPgliteVersion());
}

function readPgliteVersion(): string {
  let dir = dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const { name, version } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
      if (name === '@electric-sql/pglite' && version) return version;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('internal: cannot find the version of @electric-sql/pglite');
    dir = parent;
  }
}

export function pgliteTemplatePath(): string {
  return join(resources.compiledAssets, `pglite-template-${pgliteVersion()}.tar.gz`);
}

/** The template for the installed PGlite, or undefined when the build has not made one (initdb runs instead). */
export function pgliteTemplate(): Blob | undefined {
  const path = pgliteTemplatePath();
  if (!existsSync(path)) return undefined;
  return new Blob([readFileSync(path)], { type: 'application/x-gzip' });
}

/** Whether `dataDir` holds no database yet (PGlite would run initdb there). */
export function needsInitdb(dataDir: string | undefined): boolean {
  return dataDir === undefined || !existsSync(join(dataDir, 'PG_VERSION'));
}

/** Run by the build: initdb once, kept as the template. Skipped when the template for this version exists. */
export async function buildPgliteTemplate(): Promise<string> {
  const target = pgliteTemplatePath();
  if (existsSync(target)) return target;
  const pglite = await PGlite.create({ extensions: { pgcrypto } });
  try {
    await pglite.query('SELECT 1');
    const dump = await pglite.dumpDataDir('gzip');
    const partial = `${target}.partial`;
    writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
    renameSync(partial, target);
  } finally {
    await pglite.close();
  }
  return target;
}
