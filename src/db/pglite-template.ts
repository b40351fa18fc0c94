/**
 * A new embedded database starts from a prebuilt data directory instead of running initdb.
 *
 * PGlite creates a database by running PostgreSQL's initdb (a second WASM module) inside the
 * process: about three times the time and twice the memory of opening an existing one. The build
 * runs initdb once, then the statements every exdef database gets anyway (TEMPLATE_RECIPE), and
 * keeps the result as a gzipped tarball (`dist/assets/pglite-template-<version>-<recipe>.tar.gz`).
 * A new database in an empty directory is unpacked from it onto disk here, streaming, and then
 * opened like any existing database; one in memory is handed to PGlite's loadDataDir. The file is
 * named by the PGlite version that made it and a digest of the recipe, and a template for any other
 * version or recipe is never used: a missing or stale template means initdb, so the template can
 * make creation faster but never different.
 *
 * `exdef db init` goes one step further: the build also keeps the template with the reference
 * catalogue's schema created in it, named by the digest of that DDL (schemaDigest), and a new
 * database for a catalogue with the same digest is unpacked from it, so that init is an unpack and
 * an open. For any other catalogue the schema is created as before, on the plain template.
 */
import { closeSync, createReadStream, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { PGlite } from '@electric-sql/pglite';
import { pgcrypto } from '@electric-sql/pglite/contrib/pgcrypto';
import { allStatements, generateDdl } from '../catalogue/ddl.js';
import type { Catalogue } from '../catalogue/catalogue.js';
import { resources } from '../resources.js';
import { schemaDigest } from './reporting-schema.js';

/**
 * Run after initdb when the template is built. exdef creates pgcrypto in every database it uses
 * (reporting-schema.ts); done here, a new database does not load the extension's library (about
 * 40 MB of WASM code) just to create it.
 */
const TEMPLATE_RECIPE = ['CREATE EXTENSION IF NOT EXISTS pgcrypto'] as const;

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

const TEMPLATE_PREFIX = 'pglite-template-';

function templateName(): string {
  const recipe = createHash('sha256').update(JSON.stringify(TEMPLATE_RECIPE)).digest('hex').slice(0, 12);
  return `${TEMPLATE_PREFIX}${pgliteVersion()}-${recipe}`;
}

export function pgliteTemplatePath(): string {
  return join(resources.compiledAssets, `${templateName()}.tar.gz`);
}

/** The template that also holds the schema whose DDL has this digest (see schemaDigest). */
export function pgliteSchemaTemplatePath(digest: string): string {
  return join(resources.compiledAssets, `${templateName()}-schema-${digest.slice(0, 16)}.tar.gz`);
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

/** The directory a template is unpacked into before its entries are moved into the data directory. */
const UNPACKING = '.exdef-template-unpacking';

/**
 * Makes a database in `dataDir` (which holds none: see needsInitdb) from the build's template,
 * streaming the tarball onto disk. Returns false when there is no template for the installed
 * PGlite (the caller lets PGlite run initdb). The entries are unpacked aside, then moved in with
 * PG_VERSION last, so an interrupted unpack never looks like a database: the next open starts over.
 */
export async function unpackPgliteTemplate(dataDir: string, template = pgliteTemplatePath()): Promise<boolean> {
  if (!existsSync(template)) return false;
  const staging = join(dataDir, UNPACKING);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { mode: 0o700 });
  await extractTar(createReadStream(template).pipe(createGunzip()), staging);
  const entries = readdirSync(staging).sort((a, b) => Number(a === 'PG_VERSION') - Number(b === 'PG_VERSION'));
  for (const entry of entries) {
    // Left by an unpack that was interrupted while moving (there is no PG_VERSION, so no database).
    rmSync(join(dataDir, entry), { recursive: true, force: true });
    renameSync(join(staging, entry), join(dataDir, entry));
  }
  rmSync(staging, { recursive: true, force: true });
  return true;
}

const BLOCK = 512;

/**
 * Unpacks a ustar stream of directories and regular files (what PGlite's dumpDataDir writes) into
 * `root`, one block of the stream in memory at a time. Anything else in it is a broken template.
 */
export async function extractTar(stream: AsyncIterable<Buffer>, root: string): Promise<void> {
  const header = Buffer.alloc(BLOCK);
  let headerBytes = 0;
  let file: { fd: number; remaining: number } | undefined;
  let skip = 0;
  let ended = false;
  try {
    for await (const chunk of stream) {
      let data = chunk;
      while (data.length > 0 && !ended) {
        if (file) {
          const n = Math.min(file.remaining, data.length);
          writeSync(file.fd, data, 0, n);
          file.remaining -= n;
          data = data.subarray(n);
          if (file.remaining === 0) {
            closeSync(file.fd);
            file = undefined;
          }
        } else if (skip > 0) {
          const n = Math.min(skip, data.length);
          skip -= n;
          data = data.subarray(n);
        } else {
          const n = Math.min(BLOCK - headerBytes, data.length);
          data.copy(header, headerBytes, 0, n);
          headerBytes += n;
          data = data.subarray(n);
          if (headerBytes < BLOCK) continue;
          headerBytes = 0;
          const entry = readHeader(header);
          if (entry === undefined) {
            ended = true;
            break;
          }
          const path = join(root, entry.name);
          if (entry.type === 'directory') {
            mkdirSync(path, { recursive: true, mode: 0o700 });
            continue;
          }
          mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
          const fd = openSync(path, 'wx', 0o600);
          skip = (BLOCK - (entry.size % BLOCK)) % BLOCK;
          if (entry.size === 0) closeSync(fd);
          else file = { fd, remaining: entry.size };
        }
      }
    }
  } finally {
    if (file) closeSync(file.fd);
  }
  if (!ended || file || skip > 0) throw new Error('internal: the PGlite template is truncated');
}

/** A header block: undefined for the end of the archive (a block of zeros). */
function readHeader(block: Buffer): { name: string; type: 'file' | 'directory'; size: number } | undefined {
  if (block.every((byte) => byte === 0)) return undefined;
  const text = (start: number, length: number) => {
    const field = block.subarray(start, start + length);
    const end = field.indexOf(0);
    return field.subarray(0, end === -1 ? length : end).toString('utf8');
  };
  const octal = (start: number, length: number) => Number.parseInt(text(start, length).trim() || '0', 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  if (sum !== octal(148, 8)) throw new Error('internal: the PGlite template is corrupt (a header checksum does not match)');
  const name = text(0, 100).replace(/^\/+/, '');
  if (text(345, 131) !== '' || name === '' || name.split('/').some((part) => part === '..' || part === '.')) {
    throw new Error(`internal: unexpected entry ${JSON.stringify(name)} in the PGlite template`);
  }
  const flag = String.fromCharCode(block[156]!);
  if (flag === '5') return { name, type: 'directory', size: 0 };
  if (flag === '0' || flag === '\0') return { name, type: 'file', size: octal(124, 12) };
  throw new Error(`internal: entry ${JSON.stringify(name)} of the PGlite template is neither a file nor a directory`);
}

/**
 * Run by the build: initdb once, then the recipe, kept as the template; then that template with
 * `catalogue`'s schema created in it (as ensureSchema creates it), kept as the schema template.
 * Each is skipped when it exists already; templates of other versions, recipes or schemas are removed.
 */
export async function buildPgliteTemplates(catalogue: Catalogue): Promise<string[]> {
  const plain = pgliteTemplatePath();
  const withSchema = pgliteSchemaTemplatePath(schemaDigest(catalogue));
  for (const entry of existsSync(resources.compiledAssets) ? readdirSync(resources.compiledAssets) : []) {
    const path = join(resources.compiledAssets, entry);
    if (entry.startsWith(TEMPLATE_PREFIX) && path !== plain && path !== withSchema) rmSync(path, { force: true });
  }
  if (!existsSync(plain)) {
    await dumpTemplate(plain, {}, TEMPLATE_RECIPE);
  }
  if (!existsSync(withSchema)) {
    const template = new Blob([readFileSync(plain)], { type: 'application/x-gzip' });
    // One transaction, as ensureSchema runs it.
    await dumpTemplate(withSchema, { loadDataDir: template }, ['BEGIN', ...allStatements(generateDdl(catalogue)), 'COMMIT']);
  }
  return [plain, withSchema];
}

async function dumpTemplate(target: string, start: { loadDataDir?: Blob }, statements: readonly string[]): Promise<void> {
  const pglite = await PGlite.create({ ...start, extensions: { pgcrypto } });
  try {
    for (const statement of statements) await pglite.exec(statement);
    await pglite.exec('CHECKPOINT');
    const dump = await pglite.dumpDataDir('gzip');
    const partial = `${target}.partial`;
    writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
    renameSync(partial, target);
  } finally {
    await pglite.close();
  }
}
