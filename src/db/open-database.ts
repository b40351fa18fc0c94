import { resolve } from 'node:path';
import { ExdefError } from '../failure.js';
import type { Catalogue } from '../catalogue/catalogue.js';
import type { Database } from './database.js';

/** The embedded database's directory when none is named: project-local, so a demo persists. */
export const DEFAULT_DATA_DIR = '.exdef/pglite';

export interface DatabaseChoice {
  /** `--database`: a postgres:// URL, `pglite:DIR` for an embedded database in DIR, or `memory:`. */
  url?: string | undefined;
  /** The environment to read EXDEF_DATABASE_URL and EXDEF_DATA_DIR from. */
  env?: NodeJS.ProcessEnv;
  maxConnections?: number;
  /** The catalogue whose schema the caller is about to create: a new embedded database may be made with it in place (`db init`). */
  schemaFor?: Catalogue;
}

export type DatabaseTarget =
  | { engine: 'postgres'; url: string }
  | { engine: 'pglite'; dataDir?: string };

/** Decides which database a command uses: the flag, then EXDEF_DATABASE_URL, then embedded. */
export function chooseDatabase(choice: DatabaseChoice = {}): DatabaseTarget {
  const env = choice.env ?? process.env;
  const url = choice.url ?? (env['EXDEF_DATABASE_URL'] || undefined);
  if (url === undefined) {
    return { engine: 'pglite', dataDir: resolve(env['EXDEF_DATA_DIR'] || DEFAULT_DATA_DIR) };
  }
  if (url === 'memory:' || url === 'pglite:memory') return { engine: 'pglite' };
  if (url.startsWith('pglite:')) {
    const dir = url.slice('pglite:'.length).replace(/^\/\//, '');
    if (dir === '') throw new ExdefError('`pglite:` needs a directory, e.g. --database pglite:./.exdef/pglite', { exitCode: 2 });
    return { engine: 'pglite', dataDir: resolve(dir) };
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    try {
      new URL(url);
    } catch {
      throw new ExdefError('the --database URL is not a valid URL (expected postgres://user@host:port/database)', { exitCode: 2 });
    }
    return { engine: 'postgres', url };
  }
  throw new ExdefError(
    `unsupported database ${JSON.stringify(redactConnectionText(url))}: use postgres://user@host:port/database, pglite:DIR or memory:${/(^|\s)\w+\s*=/.test(url) ? ' (libpq key=value strings are not read: write it as a URL)' : ''}`,
    { exitCode: 2 },
  );
}

/** Opens the chosen database. Engines are imported lazily so that commands without one stay fast. */
export async function openDatabase(choice: DatabaseChoice | DatabaseTarget = {}): Promise<Database> {
  const target = 'engine' in choice ? choice : chooseDatabase(choice);
  if (target.engine === 'postgres') {
    const { openPostgres } = await import('./postgres-database.js');
    const maxConnections = 'engine' in choice ? undefined : choice.maxConnections;
    return openPostgres(maxConnections === undefined ? { url: target.url } : { url: target.url, maxConnections });
  }
  const { openPGlite } = await import('./pglite-database.js');
  const schemaFor = 'engine' in choice ? undefined : choice.schemaFor;
  return openPGlite({ ...(target.dataDir === undefined ? {} : { dataDir: target.dataDir }), ...(schemaFor ? { schemaFor } : {}) });
}

/**
 * A connection string as it may be shown: every `password=...` (libpq's key=value form, quoted or
 * not) and a URL's password (all after the user's first `:` up to the last `@`, whatever
 * characters it holds) replaced by ***. Errors and logs never show a password, even of a
 * mistyped URL.
 */
export function redactConnectionText(text: string): string {
  let shown = text.replace(/(password\s*=\s*)('(?:[^'\\]|\\.)*'?|\S*)/gi, '$1***');
  const at = shown.lastIndexOf('@');
  if (at >= 0) {
    const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/*/.exec(shown)?.[0] ?? '';
    const userinfo = shown.slice(scheme.length, at);
    const colon = userinfo.indexOf(':');
    if (colon >= 0) shown = `${scheme}${userinfo.slice(0, colon)}:***${shown.slice(at)}`;
  }
  return shown;
}

