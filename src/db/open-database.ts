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
    `unsupported database ${JSON.stringify(url.replace(/:[^:@/]*@/, ':***@'))}: use postgres://user@host:port/database, pglite:DIR or memory:`,
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
