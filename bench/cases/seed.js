// One seeding measurement in its own process (so its peak RSS is its own). Prints one JSON line.
//   node bench/cases/seed.js generate|postgres|pglite PATIENTS
import pg from 'pg';
import { referenceCatalogue } from '../../dist/src/catalogue/load-catalogue.js';
import { openDatabase } from '../../dist/src/db/open-database.js';
import { parseIsoDate } from '../../dist/src/seed/calendar.js';
import { generatePatient } from '../../dist/src/seed/patient-history.js';
import { seedDatabase, syntheticPractices } from '../../dist/src/seed/seed-database.js';
import { emptyTrapCounts } from '../../dist/src/seed/seed-tables.js';

const [mode, patientsText] = process.argv.slice(2);
const patients = Number(patientsText);
const practices = Math.max(3, Math.round(patients / 5000));
const started = performance.now();
let rows = 0;

if (mode === 'generate') {
  const settings = { seed: 1, asOf: parseIsoDate('2026-11-21'), practices: syntheticPractices(practices, 1) };
  const ids = {};
  let bytes = 0;
  const writer = { nextId: (t) => (ids[t] = (ids[t] ?? 0) + 1), write: (_t, line) => { rows++; bytes += line.length; }, traps: emptyTrapCounts() };
  for (let i = 0; i < patients; i++) generatePatient(settings, i, writer);
} else {
  let url = 'memory:';
  let dropDatabase = async () => undefined;
  if (mode === 'postgres') {
    const admin = new URL(process.env.EXDEF_BENCH_DATABASE_URL);
    const name = `exdef_bench_seed_${process.pid}`;
    const client = new pg.Client({ connectionString: admin.toString() });
    await client.connect();
    await client.query(`CREATE DATABASE ${name}`);
    await client.end();
    const target = new URL(admin.toString());
    target.pathname = `/${name}`;
    url = target.toString();
    dropDatabase = async () => {
      const c = new pg.Client({ connectionString: admin.toString() });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    };
  }
  const db = await openDatabase({ url, maxConnections: 12 });
  const t0 = performance.now();
  const summary = await seedDatabase(db, referenceCatalogue(), { practices, patients, seed: 1, asOf: '2026-11-21' });
  rows = Object.values(summary.rows).reduce((a, b) => a + b, 0);
  const seconds = (performance.now() - t0) / 1000;
  await db.close();
  await dropDatabase();
  console.log(JSON.stringify({ seconds, rows, observations: summary.rows.observation, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
  process.exit(0);
}
const seconds = (performance.now() - started) / 1000;
console.log(JSON.stringify({ seconds, rows, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
