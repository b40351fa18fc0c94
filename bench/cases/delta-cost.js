// What a delta run costs now that a delta is a comparison (every dataset's full query read in one
// snapshot, each row's id and hash compared with what the recipient holds): `exdef run` as a user
// types it, on phm-warehouse made a delta definition, on a seeded PostgreSQL database —
//   (a) the first run, a full extract (the baseline),
//   (b) a delta run the next day, after a day of changes to 1% of observations,
//   (c) a delta run the day after, with no changes.
// Each command is measured whole (module load, lint, engine start and shutdown) by /usr/bin/time.
// An oracle outside the run says what each delta must carry: the dataset's full query before and
// after, diffed in SQL by record id and content. Prints one JSON line.
//   node bench/cases/delta-cost.js PATIENTS
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { generateEd25519KeyPair } from '../../dist/src/approval/ed25519-keygen.js';
import { writeSignedRecord } from '../../dist/src/approval/approval-file.js';
import { latestExpiry } from '../../dist/src/approval/approval-status.js';
import { definitionToApprove } from '../../dist/src/approval/approve-definition.js';
import { readSigningKey } from '../../dist/src/approval/sshsig.js';
import { referenceCatalogue } from '../../dist/src/catalogue/load-catalogue.js';
import { openDatabase } from '../../dist/src/db/open-database.js';
import { withSettingParameters } from '../../dist/src/execute/copy-sql.js';
import { checkDefinitionText } from '../../dist/src/pipeline/check-definition.js';
import { ruleCatalogue } from '../../dist/src/pipeline/lint-definition.js';
import { loadPolicy } from '../../dist/src/policy/policy.js';
import { seedDatabase } from '../../dist/src/seed/seed-database.js';
import { bindParameters } from '../../dist/src/sql/bind-parameters.js';
import { compileExtract } from '../../dist/src/sql/compile-extract.js';

const patients = Number(process.argv[2]);
const practices = Math.max(3, Math.round(patients / 5000));
const SEED_AS_OF = '2026-11-21';
const DAYS = ['2026-11-21', '2026-11-22', '2026-11-23'];
const PSEUDONYM_KEY = 'b'.repeat(64);
const bin = new URL('../../bin/run.js', import.meta.url).pathname;

const admin = new URL(process.env.EXDEF_BENCH_DATABASE_URL);
const name = `exdef_bench_delta_${process.pid}`;
const url = new URL(admin.toString());
url.pathname = `/${name}`;
const work = mkdtempSync(join(tmpdir(), 'exdef-bench-delta-'));

async function onAdmin(statement) {
  const c = new pg.Client({ connectionString: admin.toString() });
  await c.connect();
  try {
    await c.query(statement);
  } finally {
    await c.end();
  }
}

/** phm-warehouse as a delta definition over every seeded practice, approved by each with a key made here. */
function approvedDefinition(practiceList) {
  const file = join(work, 'phm-delta.exdef.yaml');
  const text = readFileSync(new URL('../../definitions/phm-warehouse.exdef.yaml', import.meta.url), 'utf8')
    .replace('id: phm-warehouse', 'id: phm-warehouse-delta')
    .replace('mode: full', 'mode: delta')
    .replace(/last_reviewed: \d{4}-\d{2}-\d{2}/, `last_reviewed: ${SEED_AS_OF}`)
    .replace(/practices: \[[^\]]*\]/, `practices: [${practiceList.join(', ')}]`);
  if (!text.includes('mode: delta') || !text.includes(practiceList.at(-1))) throw new Error('phm-warehouse no longer has the shape this benchmark edits');
  writeFileSync(file, text);
  const dir = join(work, 'provider');
  mkdirSync(dir);
  const pair = generateEd25519KeyPair('exdef bench approver');
  writeFileSync(join(dir, 'approver.key'), pair.private, { mode: 0o600 });
  writeFileSync(join(dir, 'allowed_signers'), `* namespaces="exdef-approval@nhs" ${pair.public}\n`);
  writeFileSync(join(dir, 'exdef.provider.yaml'), 'approvals:\n  directory: approvals\n  allowed_signers: allowed_signers\n');
  const key = readSigningKey(join(dir, 'approver.key'));
  const d = definitionToApprove(file, referenceCatalogue());
  for (const practice of d.practices) {
    writeSignedRecord(join(dir, 'approvals'), {
      kind: 'approval', definition: d.id, version: d.version, title: d.title, fingerprint: d.fingerprint, digest: d.digest, practice,
      approvedBy: 'Benchmark', role: 'Caldicott Guardian', approvedAt: new Date().toISOString(), reviewed: d.reviewed, expires: latestExpiry(d.reviewed),
      catalogue: d.catalogue.name, catalogueDigest: d.catalogue.digest,
    }, key);
  }
  const keys = join(work, 'keys.yaml');
  writeFileSync(keys, `phm-icb-key: ${PSEUDONYM_KEY}\n`, { mode: 0o600 });
  return { file, text, provider: join(dir, 'exdef.provider.yaml'), keys };
}

/** One `exdef run` as a user types it, measured whole by /usr/bin/time -v. */
function exdefRun(definition, today) {
  const out = join(work, 'out');
  const args = [process.execPath, bin, 'run', definition.file, '--database', url.toString(), '--provider', definition.provider, '--keys', definition.keys, '--out', out, '--today', today, '--force', '--json'];
  const timing = join(work, 'time.txt');
  const run = spawnSync('/usr/bin/time', ['-v', '-o', timing, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`exdef run --today ${today} failed (exit ${run.status}): ${run.stderr.split('\n').filter((l) => l.startsWith('error')).join(' ') || run.stderr.slice(-2000)}`);
  const time = readFileSync(timing, 'utf8');
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(time);
  const rssKb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(time)[1]);
  const result = JSON.parse(run.stdout);
  // Upserts and deletes per dataset, counted in the delivered CSVs (the change type ends each record).
  const perDataset = {};
  for (const f of result.files) {
    const entry = (perDataset[f.dataset] ??= { rows: 0, upserts: 0, deletes: 0 });
    entry.rows += f.rows;
  }
  if (result.mode === 'delta') {
    for (const dataset of Object.keys(perDataset)) {
      const csv = spawnSync('unzip', ['-p', result.output, `*${dataset}.csv`], { encoding: 'latin1', maxBuffer: 1024 * 1024 * 1024 });
      for (const line of csv.stdout.split('\n')) {
        if (line.endsWith('|upsert')) perDataset[dataset].upserts++;
        else if (line.endsWith('|delete')) perDataset[dataset].deletes++;
      }
    }
  }
  return {
    today,
    mode: result.mode,
    reason: result.reason,
    rows: result.rows,
    perDataset,
    seconds: Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]),
    runSeconds: result.seconds,
    maxRssMb: rssKb / 1024,
  };
}

/** `fn` in one transaction on a connection of its own. */
const inTransaction = (fn) =>
  db.withSession(async (s) => {
    await s.exec('BEGIN');
    try {
      const result = await fn(s);
      await s.exec('COMMIT');
      return result;
    } catch (error) {
      await s.exec('ROLLBACK');
      throw error;
    }
  });

const db = await (async () => {
  await onAdmin(`CREATE DATABASE ${name}`);
  return openDatabase({ url: url.toString(), maxConnections: 12 });
})();

try {
  const catalogue = referenceCatalogue();
  const t0 = performance.now();
  await seedDatabase(db, catalogue, { practices, patients, seed: 1, asOf: SEED_AS_OF });
  await db.exec('ANALYZE');
  const seedSeconds = (performance.now() - t0) / 1000;
  const practiceList = (await db.query('SELECT ods_code FROM reporting.practice ORDER BY 1')).map((r) => r.ods_code);
  const definition = approvedDefinition(practiceList);
  const resolved = checkDefinitionText('phm-delta.exdef.yaml', definition.text, { catalogue }).definition;
  const observations = Number((await db.query('SELECT count(*)::text AS n FROM reporting.observation'))[0].n);

  /** The oracle: each dataset's full query on `day` into a table of (record id, content), outside any run. */
  const oracle = async (label, day) => {
    const plan = compileExtract(resolved, { catalogue, policy: loadPolicy(ruleCatalogue).policy, today: day });
    const [{ record_key: recordKey }] = await db.query('SELECT record_key FROM exdef_state.extract_state WHERE definition_id = $1', [resolved.id]);
    const values = { snapshotDate: day, recordKey, keys: new Map([['phm-icb-key', PSEUDONYM_KEY]]) };
    await db.exec('CREATE SCHEMA IF NOT EXISTS bench_oracle');
    for (const dataset of plan.datasets) {
      const params = bindParameters(plan, dataset.full, values);
      // Every output column but the record id, the change type and the hidden held column (its patient, updated_at and practice).
      const content = dataset.columns.map((c) => c.name).filter((c) => !['record_id', 'change_type', '__held'].includes(c)).map((c) => `quote_nullable(q.${JSON.stringify(c)}::text)`).join(", '|', ");
      await inTransaction(async (s) => {
        for (const [i, v] of params.entries()) await s.query('SELECT set_config($1, $2, true)', [`exdef.p${i + 1}`, v]);
        await s.exec(`CREATE TABLE bench_oracle.${dataset.name}_${label} AS SELECT q.record_id, md5(concat(${content})) AS content FROM (${withSettingParameters(dataset.full.sql, params.length)}) AS q`);
      });
    }
    return plan.datasets.map((d) => d.name);
  };
  const expected = async (datasets, before, after) => {
    const out = {};
    for (const d of datasets) {
      const [r] = await db.query(
        `SELECT (SELECT count(*) FROM bench_oracle.${d}_${after} a LEFT JOIN bench_oracle.${d}_${before} b USING (record_id) WHERE b.content IS DISTINCT FROM a.content)::int AS upserts,
                (SELECT count(*) FROM bench_oracle.${d}_${before} b WHERE NOT EXISTS (SELECT 1 FROM bench_oracle.${d}_${after} a WHERE a.record_id = b.record_id))::int AS deletes`,
      );
      out[d] = r;
    }
    return out;
  };
  const stateSize = async () => {
    const tables = await db.query(
      `SELECT c.relname AS name, pg_total_relation_size(c.oid)::bigint::text AS bytes FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'exdef_state' AND c.relkind = 'r' ORDER BY 1`,
    );
    const [{ held }] = await db.query(`SELECT coalesce(sum(length(ids)), 0)::bigint::text AS held FROM exdef_state.held_record_ids WHERE definition_id = $1`, [resolved.id]);
    return { bytes: tables.reduce((n, t) => n + Number(t.bytes), 0), heldBytes: Number(held), heldRows: Number(held) / 36, tables: Object.fromEntries(tables.map((t) => [t.name, Number(t.bytes)])) };
  };

  const full = exdefRun(definition, DAYS[0]);
  const stateAfterFull = await stateSize();
  const datasets = await oracle('a', DAYS[0]);

  // A day of changes to 1% of observations, at random across the table (most fall outside the
  // datasets, as in a practice's day): 0.4% new (copies of existing rows recorded today), 0.4%
  // updated (a value corrected), 0.2% soft-deleted.
  const changed = await inTransaction(async (s) => {
    const [{ max }] = await s.query('SELECT max(observation_id)::text AS max FROM reporting.observation');
    const inserted = await s.query(
      `INSERT INTO reporting.observation (observation_id, patient_id, practice_ods, consultation_id, code, effective_date, recorded_at, value_numeric, value_unit, comment, confidential, updated_at, deleted_at)
       SELECT $1::bigint + row_number() OVER (ORDER BY observation_id), patient_id, practice_ods, consultation_id, code, $2::date, now(), value_numeric, value_unit, comment, confidential, now(), NULL
       FROM reporting.observation WHERE deleted_at IS NULL AND abs(hashint8(observation_id) % 1000) BETWEEN 0 AND 3 RETURNING 1`,
      [max, DAYS[1]],
    );
    const updated = await s.query(`UPDATE reporting.observation SET value_numeric = coalesce(value_numeric, 0) + 1, updated_at = now() WHERE observation_id <= $1::bigint AND deleted_at IS NULL AND abs(hashint8(observation_id) % 1000) BETWEEN 4 AND 7 RETURNING 1`, [max]);
    const deleted = await s.query(`UPDATE reporting.observation SET deleted_at = now(), updated_at = now() WHERE observation_id <= $1::bigint AND deleted_at IS NULL AND abs(hashint8(observation_id) % 1000) BETWEEN 8 AND 9 RETURNING 1`, [max]);
    return { inserted: inserted.length, updated: updated.length, deleted: deleted.length };
  });
  await db.exec('ANALYZE reporting.observation');
  await oracle('b', DAYS[1]);
  const changes = await expected(datasets, 'a', 'b');
  const delta = exdefRun(definition, DAYS[1]);
  const stateAfterDelta = await stateSize();

  await oracle('c', DAYS[2]);
  const noChanges = await expected(datasets, 'b', 'c');
  const quiet = exdefRun(definition, DAYS[2]);
  const stateAfterQuiet = await stateSize();

  console.log(JSON.stringify({
    patients, practices, observations, seedSeconds, changed,
    runs: [
      { name: 'first run: full extract (baseline)', ...full, state: stateAfterFull },
      { name: 'delta after a day of changes to 1% of observations', ...delta, expected: changes, state: stateAfterDelta },
      { name: 'delta the next day, no changes in the data', ...quiet, expected: noChanges, state: stateAfterQuiet },
    ],
  }));
} finally {
  await db.close();
  await onAdmin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  rmSync(work, { recursive: true, force: true });
}
