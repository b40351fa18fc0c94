// One embedded-database measurement in its own process (its peak RSS is its own). Prints one JSON line.
//   node bench/cases/embedded.js floor-create|floor-open|exdef-create|exdef-create-initdb DIR
// floor-*: bare PGlite (with pgcrypto, as exdef loads it) creating a database (its initdb) or
// opening an existing one, then `SELECT 1`. exdef-create: what `exdef db init` does on a new
// directory (the build's template unpacked, the reporting schema created); -initdb the same
// without the template. Module loading, engine start and shutdown are all included.
import { existsSync } from 'node:fs';
const started = performance.now();
const [mode, dir] = process.argv.slice(2);

if (mode === 'floor-create' || mode === 'floor-open') {
  if (mode === 'floor-open' && !existsSync(`${dir}/PG_VERSION`)) throw new Error(`floor-open needs an existing database in ${dir}`);
  const { PGlite } = await import('@electric-sql/pglite');
  const { pgcrypto } = await import('@electric-sql/pglite/contrib/pgcrypto');
  const pglite = await PGlite.create({ dataDir: dir, extensions: { pgcrypto } });
  await pglite.query('SELECT 1');
  await pglite.close();
} else if (mode === 'exdef-create' || mode === 'exdef-create-initdb') {
  const { openPGlite } = await import('../../dist/src/db/pglite-database.js');
  const { ensureSchema } = await import('../../dist/src/db/reporting-schema.js');
  const { referenceCatalogue } = await import('../../dist/src/catalogue/load-catalogue.js');
  const db = await openPGlite({ dataDir: dir, initdb: mode === 'exdef-create-initdb' });
  await ensureSchema(db, referenceCatalogue());
  await db.close();
} else {
  throw new Error(`unknown mode ${mode}`);
}
console.log(JSON.stringify({ seconds: (performance.now() - started) / 1000, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
