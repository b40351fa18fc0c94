// exdef run against psql \copy of the same query, on a seeded PostgreSQL database. Prints one JSON line.
//   node bench/cases/run-throughput.js setup PATIENTS          → creates and seeds a database, prints its URL
//   node bench/cases/run-throughput.js exdef URL ROWS [COMPRESSION]          → one exdef run of a dataset of about ROWS rows (its own process: its own peak RSS)
//   node bench/cases/run-throughput.js psql URL ROWS           → psql \copy of the same query, then `zip` of its output (timed apart)
//   node bench/cases/run-throughput.js exdef-command URL ROWS [COMPRESSION] → the `exdef run` command a user types, wall time and peak RSS (/usr/bin/time)
//   node bench/cases/run-throughput.js drop URL
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { referenceCatalogue } from '../../dist/src/catalogue/load-catalogue.js';
import { openDatabase } from '../../dist/src/db/open-database.js';
import { settingName, withSettingParameters } from '../../dist/src/execute/copy-sql.js';
import { runExtract } from '../../dist/src/execute/run-extract.js';
import { generateEd25519KeyPair } from '../../dist/src/approval/ed25519-keygen.js';
import { approveDefinition, definitionToApprove } from '../../dist/src/approval/approve-definition.js';
import { readSigningKey } from '../../dist/src/approval/sshsig.js';
import { checkDefinitionText } from '../../dist/src/pipeline/check-definition.js';
import { ruleCatalogue } from '../../dist/src/pipeline/lint-definition.js';
import { loadPolicy } from '../../dist/src/policy/policy.js';
import { seedDatabase } from '../../dist/src/seed/seed-database.js';
import { bindParameters } from '../../dist/src/sql/bind-parameters.js';
import { compileExtract } from '../../dist/src/sql/compile-extract.js';

const AS_OF = '2026-11-21';
const [mode, a, b, c] = process.argv.slice(2);

/** A direct-care definition with one dataset of 8 columns over observation, about `rows` rows. */
async function definitionText(url, rows, compression) {
  const db = await openDatabase({ url });
  const practices = (await db.query('SELECT ods_code FROM reporting.practice ORDER BY 1')).map((r) => r.ods_code);
  const [{ total }] = await db.query('SELECT count(*)::bigint::text AS total, max(observation_id)::text AS max FROM reporting.observation');
  // Observations of the population are about 90% of all: cut by key at the share that gives `rows`.
  const [{ cut }] = await db.query('SELECT (max(observation_id) * least(1.0, $1::numeric / ($2::numeric * 0.9)))::bigint::text AS cut FROM reporting.observation', [String(rows), total]);
  await db.close();
  return `exdef: 1
id: bench-observations
title: Benchmark extract of observations
version: 1
owner: { organisation: Benchmark, contact: bench@example.nhs.uk }
use_case: direct_care_planning
care_type: direct
intended_use: Measures how fast exdef extracts a large dataset against psql on the same query.
legal_basis:
  article_6: 6(1)(e) public task
  article_9: 9(2)(h) provision of health care
  statement: Direct care by the practice; the benchmark runs on synthetic data only.
dpia: DPIA-2026-900
risk:
  singling_out: Identifies patients by design, for direct care; synthetic data only.
  linkability: Not shared outside the practice; synthetic data only.
review: { last_reviewed: 2026-11-01, reviewer: Benchmark }
population:
  registration: permanent
  deceased: exclude
  type1_opt_out: override
  type1_opt_out_justification: Type 1 opt-out does not apply to direct care by the practice.
  practices: [${practices.join(', ')}]
mode: full
schedule: { frequency: daily, window: 01:00-05:00 }
output: { csv: { delimiter: ',', quote: '"', header: true, line_ending: lf }, layout: single_zip${compression ? `, compression: ${compression}` : ''} }
datasets:
  - name: observations
    from: observation
    where: observation_id <= ${cut}
    fields:
      - { name: nhs_number, value: patient.nhs_number, justification: Identifies the patient the practice is caring for. }
      - { name: code, value: code, justification: The observation recorded for the patient in the record. }
      - { name: effective_date, value: effective_date, justification: When the observation was clinically effective. }
      - { name: recorded_at, value: recorded_at, justification: When the observation was entered in the record. }
      - { name: value, value: value_numeric, justification: The measured value of the observation where there is one. }
      - { name: unit, value: value_unit, justification: The unit of the measured value of the observation. }
      - { name: practice, value: practice_ods, justification: The practice where the observation was recorded. }
      - { name: consultation, value: consultation_id, justification: Groups observations recorded in one consultation. }
`;
}

/** A definition of about `rows` rows in a directory of its own, approved by every practice with a key made for the benchmark, and a provider file naming the approvals. */
async function approvedRun(url, rows, compression) {
  const dir = mkdtempSync(join(tmpdir(), 'exdef-bench-run-'));
  const file = join(dir, 'bench.exdef.yaml');
  writeFileSync(file, await definitionText(url, rows, compression));
  const pair = generateEd25519KeyPair();
  writeFileSync(join(dir, 'approver.key'), pair.private, { mode: 0o600 });
  writeFileSync(join(dir, 'allowed_signers'), `* namespaces="exdef-approval@nhs" ${pair.public}\n`);
  writeFileSync(join(dir, 'exdef.provider.yaml'), 'approvals:\n  directory: approvals\n  allowed_signers: allowed_signers\n');
  const approvals = { directory: join(dir, 'approvals'), allowedSigners: join(dir, 'allowed_signers') };
  const toApprove = definitionToApprove(file, referenceCatalogue());
  for (const practice of toApprove.practices) {
    approveDefinition({ definition: toApprove, practice, by: 'Benchmark', role: 'Benchmark', key: readSigningKey(join(dir, 'approver.key')), directory: approvals.directory, now: new Date(), today: AS_OF });
  }
  return { dir, file, approvals };
}

if (mode === 'setup') {
  const patients = Number(a);
  const admin = new URL(process.env.EXDEF_BENCH_DATABASE_URL);
  const name = `exdef_bench_run_${process.pid}`;
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const url = new URL(admin.toString());
  url.pathname = `/${name}`;
  const db = await openDatabase({ url: url.toString(), maxConnections: 12 });
  await seedDatabase(db, referenceCatalogue(), { practices: Math.max(3, Math.round(patients / 5000)), patients, seed: 1, asOf: AS_OF });
  await db.exec('ANALYZE');
  await db.close();
  console.log(JSON.stringify({ url: url.toString() }));
} else if (mode === 'drop') {
  const admin = new URL(process.env.EXDEF_BENCH_DATABASE_URL);
  const name = new URL(a).pathname.slice(1);
  const c = new pg.Client({ connectionString: admin.toString() });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await c.end();
  console.log(JSON.stringify({ dropped: name }));
} else if (mode === 'exdef') {
  const [url, rows] = [a, Number(b)];
  const { dir, file, approvals } = await approvedRun(url, rows, c);
  const db = await openDatabase({ url, maxConnections: 2 });
  const seconds = {};
  const t0 = performance.now();
  const steps = [['start', t0]];
  const result = await runExtract({
    file,
    approvals,
    db,
    catalogue: referenceCatalogue(),
    out: join(dir, 'out'),
    extractDate: AS_OF,
    full: false,
    force: true,
    env: {},
    concurrency: 1,
    statementTimeoutSeconds: 3600,
    events: { warn() {}, step(name) { steps.push([name, performance.now()]); }, datasetStarted() {}, datasetRows() {}, datasetFinished(_d, _f, s) { seconds.dataset = s; } },
  });
  const total = (performance.now() - t0) / 1000;
  steps.push(['end', performance.now()]);
  // Where the time went: each step's seconds, until the next step began.
  const phases = Object.fromEntries(steps.slice(0, -1).map(([name, at], i) => [name, Number(((steps[i + 1][1] - at) / 1000).toFixed(2))]));
  await db.close();
  const csvBytes = result.files.reduce((n, f) => n + f.bytes, 0);
  rmSync(dir, { recursive: true, force: true });
  console.log(JSON.stringify({ rows: result.rows, csvBytes, zipBytes: result.bytes, datasetSeconds: seconds.dataset, totalSeconds: total, phases, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
} else if (mode === 'exdef-command') {
  // What a user waits for: node's start, module loading, lint, approvals, the snapshot, the data, the ZIP.
  const [url, rows] = [a, Number(b)];
  const { dir, file } = await approvedRun(url, rows, c);
  const cli = new URL('../../bin/run.js', import.meta.url).pathname;
  // EXDEF_BENCH_CPU_PROF=DIR: a CPU profile of the command into DIR.
  const profile = process.env.EXDEF_BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.EXDEF_BENCH_CPU_PROF}`] : [];
  const args = ['-f', '%e %M %U %S', process.execPath, ...profile, cli, 'run', file, '--database', url, '--provider', join(dir, 'exdef.provider.yaml'), '--out', join(dir, 'out'), '--today', AS_OF, '--force', '--json'];
  const t0 = performance.now();
  const run = spawnSync('/usr/bin/time', args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const seconds = (performance.now() - t0) / 1000;
  if (run.status !== 0) throw new Error(`exdef run failed (exit ${run.status}): ${run.stderr}`);
  const [, maxRssKb, user, system] = run.stderr.trim().split('\n').pop().split(' ').map(Number);
  const summary = JSON.parse(run.stdout);
  const csvBytes = summary.files.reduce((n, f) => n + f.bytes, 0);
  const zipBytes = statSync(summary.output).size;
  rmSync(dir, { recursive: true, force: true });
  console.log(JSON.stringify({ rows: summary.rows, csvBytes, zipBytes, seconds, cpuSeconds: user + system, maxRssMb: maxRssKb / 1024 }));
} else if (mode === 'psql') {
  const [url, rows] = [a, Number(b)];
  const dir = mkdtempSync(join(tmpdir(), 'exdef-bench-psql-'));
  const catalogue = referenceCatalogue();
  const definition = checkDefinitionText('bench.exdef.yaml', await definitionText(url, rows), { catalogue }).definition;
  const plan = compileExtract(definition, { catalogue, policy: loadPolicy(ruleCatalogue).policy, today: AS_OF });
  const query = plan.datasets[0].full;
  const values = bindParameters(plan, query, { snapshotDate: AS_OF, recordKey: 'x'.repeat(32), keys: new Map() });
  // The same statement exdef runs, its values bound the same way (written as literals here: a benchmark, not a run).
  const literal = (v) => `'${v.replace(/'/g, "''")}'`;
  const setConfig = `SELECT 1${values.map((v, i) => `, set_config('${settingName(i + 1)}', ${literal(v)}, true)`).join('')}`;
  const out = join(dir, 'observations.csv');
  const script = [
    'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;',
    "SELECT set_config('jit', 'off', true), set_config('work_mem', '64MB', true);",
    `${setConfig};`,
    `\\copy (${withSettingParameters(query.sql, values.length)}) to '${out}' with (format csv, header)`,
    'COMMIT;',
  ].join('\n');
  writeFileSync(join(dir, 'copy.sql'), script);
  const t0 = performance.now();
  const run = spawnSync('psql', [url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', join(dir, 'copy.sql')], { encoding: 'utf8' });
  const seconds = (performance.now() - t0) / 1000;
  if (run.status !== 0) throw new Error(`psql failed: ${run.stderr}`);
  const bytes = statSync(out).size;
  // The second baseline: Info-ZIP at its default level (-6) and at its fastest (-1), of psql's file.
  const zipped = {};
  for (const level of ['6', '1']) {
    const z0 = performance.now();
    const zip = spawnSync('zip', ['-q', `-${level}`, '-j', join(dir, `observations-${level}.zip`), out], { encoding: 'utf8' });
    if (zip.status !== 0) throw new Error(`zip failed: ${zip.stderr}`);
    zipped[level] = { seconds: (performance.now() - z0) / 1000, bytes: statSync(join(dir, `observations-${level}.zip`)).size };
  }
  rmSync(dir, { recursive: true, force: true });
  console.log(JSON.stringify({ seconds, bytes, zipSeconds: zipped['6'].seconds, zipBytes: zipped['6'].bytes, zipFastSeconds: zipped['1'].seconds, zipFastBytes: zipped['1'].bytes }));
}
