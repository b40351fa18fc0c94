// How PostgreSQL plans and runs compiled queries on a seeded database: a delta query over one day
// must use indexes, not scan all observations. Prints one JSON line.
//   node bench/cases/delta-plan.js PATIENTS
import pg from 'pg';
import { referenceCatalogue } from '../../dist/src/catalogue/load-catalogue.js';
import { openDatabase } from '../../dist/src/db/open-database.js';
import { checkDefinitionText } from '../../dist/src/pipeline/check-definition.js';
import { ruleCatalogue } from '../../dist/src/pipeline/lint-definition.js';
import { loadPolicy } from '../../dist/src/policy/policy.js';
import { seedDatabase } from '../../dist/src/seed/seed-database.js';
import { bindParameters } from '../../dist/src/sql/bind-parameters.js';
import { compileExtract } from '../../dist/src/sql/compile-extract.js';
import { enteredPatients, populationState } from '../../dist/src/sql/population-change.js';
import { readFileSync } from 'node:fs';

const patients = Number(process.argv[2]);
const practices = Math.max(3, Math.round(patients / 5000));
const AS_OF = '2026-11-21';

const admin = new URL(process.env.EXDEF_BENCH_DATABASE_URL);
const name = `exdef_bench_delta_${process.pid}`;
const client = new pg.Client({ connectionString: admin.toString() });
await client.connect();
await client.query(`CREATE DATABASE ${name}`);
// As exdef run sets for its transaction: JIT compilation costs ~0.4 s a query and these are scan-bound.
await client.query(`ALTER DATABASE ${name} SET jit = off`);
await client.end();
const url = new URL(admin.toString());
url.pathname = `/${name}`;
const db = await openDatabase({ url: url.toString(), maxConnections: 12 });

try {
  const catalogue = referenceCatalogue();
  await seedDatabase(db, catalogue, { practices, patients, seed: 1, asOf: AS_OF });
  await db.exec('ANALYZE');
  const policy = loadPolicy(ruleCatalogue).policy;
  // phm-warehouse as a delta definition over every seeded practice: three datasets, two over observation.
  const practiceList = (await db.query('SELECT ods_code FROM reporting.practice ORDER BY 1')).map((r) => r.ods_code);
  const text = readFileSync(new URL('../../definitions/phm-warehouse.exdef.yaml', import.meta.url), 'utf8')
    .replace('mode: full', 'mode: delta')
    .replace(/practices: \[[^\]]*\]/, `practices: [${practiceList.join(', ')}]`);
  const definition = checkDefinitionText('phm-delta.exdef.yaml', text, { catalogue }).definition;
  const plan = compileExtract(definition, { catalogue, policy, today: AS_OF });
  const keys = new Map(plan.keys.map((k) => [k, 'k'.repeat(64)]));
  // Yesterday's run kept the population as of yesterday; today's population decides who entered.
  const populationOn = async (date) =>
    (await db.query(plan.population.sql, bindParameters(plan, plan.population, { snapshotDate: date }))).map((r) => ({ patientId: r.patient_id, practice: r.practice, optedOut: r.opted_out }));
  const entered = enteredPatients(await populationOn(AS_OF), populationState(await populationOn('2026-11-20')), { onOptBackIn: 'no_backfill', perPractice: true });
  // One day of changes: the seed's last day of history.
  const values = { snapshotDate: AS_OF, window: { start: '2026-11-20T00:00:00Z', end: '2026-11-21T00:00:00Z' }, entered, recordKey: 'r'.repeat(32), keys };
  const results = [];
  for (const dataset of plan.datasets) {
    for (const [variant, query] of [['full', dataset.full], ['delta (1 day)', dataset.delta]]) {
      const params = bindParameters(plan, query, values);
      const [explained] = await db.query(`EXPLAIN (FORMAT JSON) ${query.sql}`, params);
      const scans = [];
      let seqScanOfTable = false;
      const walk = (node) => {
        if (node['Relation Name']) scans.push(`${node['Node Type']} on ${node['Relation Name']}`);
        // The population reads every patient and registration (as pt, r): that is the population, not the delta.
        if (node['Node Type'].includes('Seq Scan') && node['Relation Name'] === dataset.table && !['pt', 'r'].includes(node.Alias)) seqScanOfTable = true;
        for (const child of node.Plans ?? []) walk(child);
      };
      walk(explained['QUERY PLAN'][0].Plan);
      const t0 = performance.now();
      const rows = await db.query(query.sql, params);
      const seconds = (performance.now() - t0) / 1000;
      results.push({
        dataset: dataset.name,
        table: dataset.table,
        variant,
        rows: rows.length,
        seconds,
        seqScanOfTable,
        scans: [...new Set(scans.filter((s) => !s.includes('closure') && !s.includes('refset_member')))],
      });
    }
  }
  const observations = Number((await db.query('SELECT count(*)::text AS n FROM reporting.observation'))[0].n);
  console.log(JSON.stringify({ patients, observations, entered: entered.length, results, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
} finally {
  await db.close();
  const c = new pg.Client({ connectionString: admin.toString() });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await c.end();
}
