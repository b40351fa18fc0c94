// One embedded-database measurement in its own process (its peak RSS is its own). Prints one JSON line.
//   node bench/cases/embedded.js floor-create|floor-open|exdef-create-initdb DIR
//   node bench/cases/embedded.js prepare-run DIR [DEFINITION]
//   node bench/cases/embedded.js cli ARG...
//   node bench/cases/embedded.js pg-create|pg-drop NAME     (a database beside EXDEF_BENCH_DATABASE_URL's)
// floor-*: bare PGlite (with pgcrypto, as exdef loads it) creating a database (its initdb) or
// opening an existing one, then `SELECT 1`, with PGlite's own settings. exdef-create-initdb: what
// `exdef db init` did before the build's template (initdb, then the reporting schema).
// prepare-run: what `exdef run` of phm-warehouse (or DEFINITION) needs in DIR (pseudonym keys, a demo approver's
// approvals for its practices, as bin/demo.js makes them); prints the run's arguments.
// cli: the exdef command line itself, in this process (as bin/run.js runs it): module loading,
// engine start and shutdown included. Its output is kept; the dataset lines `exdef run` prints
// (`name: N rows, X MB in S s`) are summed into datasetSeconds and datasetRows.
import { existsSync, mkdirSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const started = performance.now();
const [mode, ...rest] = process.argv.slice(2);
const root = fileURLToPath(new URL('../..', import.meta.url));

function report(extra = {}) {
  return JSON.stringify({ seconds: (performance.now() - started) / 1000, maxRssMb: process.resourceUsage().maxRSS / 1024, ...extra });
}

if (mode === 'floor-create' || mode === 'floor-open') {
  const [dir] = rest;
  if (mode === 'floor-open' && !existsSync(`${dir}/PG_VERSION`)) throw new Error(`floor-open needs an existing database in ${dir}`);
  const { PGlite } = await import('@electric-sql/pglite');
  const { pgcrypto } = await import('@electric-sql/pglite/contrib/pgcrypto');
  const pglite = await PGlite.create({ dataDir: dir, extensions: { pgcrypto } });
  await pglite.query('SELECT 1');
  await pglite.close();
  console.log(report());
} else if (mode === 'exdef-create-initdb') {
  const [dir] = rest;
  const { openPGlite } = await import('../../dist/src/db/pglite-database.js');
  const { ensureSchema } = await import('../../dist/src/db/reporting-schema.js');
  const { referenceCatalogue } = await import('../../dist/src/catalogue/load-catalogue.js');
  const db = await openPGlite({ dataDir: dir, initdb: true });
  await ensureSchema(db, referenceCatalogue());
  await db.close();
  console.log(report());
} else if (mode === 'prepare-run') {
  const [dir, definitionFile] = rest;
  const { generateEd25519KeyPair } = await import('../../dist/src/approval/ed25519-keygen.js');
  const { definitionToApprove, approveDefinition } = await import('../../dist/src/approval/approve-definition.js');
  const { latestExpiry } = await import('../../dist/src/approval/approval-status.js');
  const { readSigningKey } = await import('../../dist/src/approval/sshsig.js');
  const { referenceCatalogue } = await import('../../dist/src/catalogue/load-catalogue.js');
  const definition = definitionFile ?? join(root, 'definitions', 'phm-warehouse.exdef.yaml');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keys = join(dir, 'keys.yaml');
  writeFileSync(keys, ['phm-icb-key', 'tww-audit-key', 'flu-icb-key'].map((name, i) => `${name}: bench-key-${String(i + 1).repeat(54)}`).join('\n') + '\n', { mode: 0o600 });
  const pair = generateEd25519KeyPair();
  writeFileSync(join(dir, 'approver.key'), pair.private, { mode: 0o600 });
  const approved = definitionToApprove(definition, referenceCatalogue());
  writeFileSync(join(dir, 'allowed_signers'), `${approved.practices.join(',')} namespaces="exdef-approval@nhs" ${pair.public}\n`);
  const provider = join(dir, 'exdef.provider.yaml');
  writeFileSync(provider, 'approvals:\n  directory: approvals\n  allowed_signers: allowed_signers\n');
  // As the demo does: the run's date is the last day the approvals hold if the definition's review is old.
  const today = new Date().toISOString().slice(0, 10);
  const lastDay = latestExpiry(approved.reviewed);
  const asOf = today <= lastDay ? today : lastDay;
  const key = readSigningKey(join(dir, 'approver.key'));
  for (const practice of approved.practices) {
    approveDefinition({ definition: approved, practice, by: 'Benchmark', role: 'Benchmark', key, directory: join(dir, 'approvals'), now: new Date(), today: asOf });
  }
  console.log(JSON.stringify({ args: ['run', definition, '--keys', keys, '--provider', provider, '--force', '--today', asOf] }));
} else if (mode === 'cli') {
  let stderr = '';
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = (chunk, ...args) => {
    stderr += String(chunk);
    return write(chunk, ...args);
  };
  process.on('exit', (code) => {
    let datasetSeconds = 0;
    let datasetRows = 0;
    // The seconds are printed to 0.1 s; the rate beside them comes from the exact time.
    for (const [, rows, seconds, rate] of stderr.matchAll(/^ {2}\S+: ([\d,]+) rows, [\d.]+ MB in ([\d.]+) s(?: \(([\d,]+) rows\/s\))?/gm)) {
      const n = Number(rows.replace(/,/g, ''));
      const perSecond = rate ? Number(rate.replace(/,/g, '')) : 0;
      datasetRows += n;
      datasetSeconds += n > 0 && perSecond > 0 ? n / perSecond : Number(seconds);
    }
    // Written synchronously: the process is ending.
    if (code === 0) writeSync(1, `\n${report({ datasetSeconds, datasetRows })}\n`);
  });
  const { settings } = await import('@oclif/core');
  settings.enableAutoTranspile = false;
  const { main } = await import('../../dist/src/cli/main.js');
  await main(rest, new URL('../../bin/run.js', import.meta.url));
} else if (mode === 'pg-create' || mode === 'pg-drop') {
  const [name] = rest;
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a database name: ${name}`);
  const { default: pg } = await import('pg');
  const admin = new pg.Client({ connectionString: process.env.EXDEF_BENCH_DATABASE_URL });
  await admin.connect();
  await admin.query(mode === 'pg-create' ? `CREATE DATABASE ${name}` : `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
  const url = new URL(process.env.EXDEF_BENCH_DATABASE_URL);
  url.pathname = `/${name}`;
  console.log(JSON.stringify({ url: url.toString() }));
} else {
  throw new Error(`unknown mode ${mode}`);
}
