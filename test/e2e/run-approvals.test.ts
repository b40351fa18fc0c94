/**
 * Practices as data controllers, end to end on both engines (issue 14 items 1, 2 and 5): two of
 * three practices approve phm-warehouse (per-practice folders), the run extracts exactly their
 * data and names the third in its log file and manifest; a revocation leaves a practice out of
 * the next run. The refusals (nobody approved, a tampered approval, an untrusted key, an expired
 * approval, a changed definition) fail before any database is opened, so they run once.
 */
import { createHmac } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateEd25519KeyPair } from '../../src/approval/ed25519-keygen.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/resources.js';
import { approvedProvider, type TestProvider } from '../support/approvals.js';
import { runCli } from '../support/cli.js';
import { testEngines, type EngineName } from '../support/engines.js';
import { makeWorkDir, runLog, seededTarget, writeKeysFile, type RunTarget } from '../support/run-harness.js';
import { parseCsv, readLogFile, zipMember, zipMembers } from '../support/run-output.js';
import type { CsvDialect } from '../../src/execute/csv.js';

const PHM = join(packageRoot, 'definitions', 'phm-warehouse.exdef.yaml');
const TODAY = '2026-11-21';
const KEY = 'approvals-test-icb-key-0123456789abcdef';

interface Manifest {
  practices: string[];
  excluded: { practice: string; reason: string }[];
  files: { path: string; practice?: string }[];
  csv: CsvDialect;
}

function run(provider: string, target: { url: string }, out: string, keys: string, extra: string[] = []) {
  return runCli(['run', PHM, '--database', target.url, '--out', out, '--today', TODAY, '--keys', keys, '--provider', provider, '--force', '--json', ...extra]);
}

/** The pseudonyms (person_key) of the patients registered at each practice. */
async function personKeysByPractice(target: RunTarget): Promise<Map<string, Set<string>>> {
  const rows = await target.use((db) =>
    db.query<{ nhs: string; practice: string }>('SELECT DISTINCT p.nhs_number AS nhs, r.practice_ods AS practice FROM reporting.patient p JOIN reporting.registration r ON r.patient_id = p.patient_id'),
  );
  const byPractice = new Map<string, Set<string>>();
  for (const r of rows) {
    if (!byPractice.has(r.practice)) byPractice.set(r.practice, new Set());
    byPractice.get(r.practice)!.add(createHmac('sha256', KEY).update(r.nhs).digest('hex'));
  }
  return byPractice;
}

describe.each(testEngines())('exdef run honours the practices\' approvals on %s', (engine: EngineName) => {
  const work = makeWorkDir(`exdef-approvals-${engine}-`);
  let target: RunTarget;
  let provider: TestProvider;
  let keys: string;

  beforeAll(async () => {
    keys = writeKeysFile(join(work.dir, 'keys.yaml'), { 'phm-icb-key': KEY });
    target = await seededTarget(engine, work.dir, { patients: 300, seed: 14 });
    provider = approvedProvider([], { work: work.dir });
  }, 120_000);
  afterAll(async () => {
    await target?.drop();
    work.remove();
  });

  it('extracts only the approved practices, each folder holding only its own patients, and names the third; a revocation leaves a practice out of the next run', async () => {
    // A81001 approves through the CLI (as a practice would); A81002 through the same files the test support writes.
    const approve = runCli(['approve', PHM, '--practice', 'A81001', '--by', 'Dr Jane Smith', '--role', 'Caldicott Guardian', '--key', provider.keyFile, '--provider', provider.file, '--today', TODAY]);
    expect(approve.status, approve.stderr).toBe(0);
    provider.approve(PHM, ['A81002']);

    const out = join(work.dir, 'out');
    const first = run(provider.file, target, out, keys);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).toContain('warning: practice A81003 is left out: no approval');
    const zip = (JSON.parse(first.stdout) as { output: string }).output;
    const manifest = JSON.parse(zipMember(zip, 'manifest.json').toString('utf8')) as Manifest;
    expect(manifest.practices).toEqual(['A81001', 'A81002']);
    expect(manifest.excluded).toEqual([{ practice: 'A81003', reason: 'no approval' }]);
    const members = zipMembers(zip);
    expect(new Set(members.filter((m) => m.includes('/')).map((m) => m.split('/')[0]))).toEqual(new Set(['A81001', 'A81002']));
    expect(readLogFile(runLog(out, TODAY)!)).toMatchObject({ status: 'COMPLETE', excluded: ['A81003 (no approval)'] });

    // Rows: a folder holds only patients registered at its practice; no patient of A81003 alone anywhere.
    const keysBy = await personKeysByPractice(target);
    const onlyAtA81003 = [...keysBy.get('A81003')!].filter((k) => !keysBy.get('A81001')!.has(k) && !keysBy.get('A81002')!.has(k));
    expect(onlyAtA81003.length, 'the seed has patients registered only at A81003').toBeGreaterThan(10);
    let rows = 0;
    for (const member of members.filter((m) => m.endsWith('.csv'))) {
      const [practice] = member.split('/');
      const bytes = zipMember(zip, member);
      const text = bytes.toString('utf8');
      const [header, ...records] = parseCsv(bytes, manifest.csv);
      expect(header![0]).toBe('person_key');
      for (const record of records) {
        const personKey = record[0]!;
        expect(keysBy.get(practice!)!.has(personKey), `${member}: ${personKey} is a patient of ${practice}`).toBe(true);
        rows++;
      }
      for (const k of onlyAtA81003) expect(text).not.toContain(k);
    }
    expect(rows).toBeGreaterThan(100);

    // A81002 revokes: the next run leaves it out, and says why.
    const revoke = runCli(['revoke', PHM, '--practice', 'A81002', '--by', 'Sam Patel', '--role', 'Practice Manager', '--key', provider.keyFile, '--provider', provider.file]);
    expect(revoke.status, revoke.stderr).toBe(0);
    const listed = runCli(['approvals', PHM, '--provider', provider.file, '--today', TODAY, '--json']);
    expect(listed.status, listed.stderr).toBe(0);
    const practices = (JSON.parse(listed.stdout) as { practices: { practice: string; approved: boolean; reason: string }[] }).practices;
    expect(practices.map((p) => [p.practice, p.approved])).toEqual([['A81001', true], ['A81002', false], ['A81003', false]]);
    expect(practices[1]!.reason).toMatch(/^approval revoked: on \d{4}-\d\d-\d\d by Sam Patel \(Practice Manager\)$/);

    const second = run(provider.file, target, join(work.dir, 'out-revoked'), keys);
    expect(second.status, second.stderr).toBe(0);
    const zip2 = (JSON.parse(second.stdout) as { output: string }).output;
    const manifest2 = JSON.parse(zipMember(zip2, 'manifest.json').toString('utf8')) as Manifest;
    expect(manifest2.practices).toEqual(['A81001']);
    expect(manifest2.excluded.map((e) => e.practice)).toEqual(['A81002', 'A81003']);
    expect(manifest2.excluded[0]!.reason).toContain('approval revoked');
    expect(new Set(zipMembers(zip2).filter((m) => m.includes('/')).map((m) => m.split('/')[0]))).toEqual(new Set(['A81001']));
  }, 120_000);
});

describe('exdef run refuses a definition no practice validly approved (before any database is opened)', () => {
  const work = makeWorkDir('exdef-approvals-refused-');
  let provider: TestProvider;
  let keys: string;
  beforeAll(() => {
    keys = writeKeysFile(join(work.dir, 'keys.yaml'), { 'phm-icb-key': KEY });
    provider = approvedProvider([], { work: work.dir });
  });
  afterAll(() => work.remove());
  // Nothing listens on port 1: a run that got as far as the database would fail with exit 2.
  const nowhere = { url: 'postgres://exdef@127.0.0.1:1/reporting' };

  const refused = (name: string, definition = PHM, today = TODAY) => {
    const out = join(work.dir, name);
    const cli = runCli(['run', definition, '--database', nowhere.url, '--out', out, '--today', today, '--keys', keys, '--provider', provider.file, '--force']);
    expect(cli.status, cli.stderr).toBe(1);
    expect(cli.stderr).toMatch(/^error \(approvals\): no practice has approved phm-warehouse version \d+ \(fingerprint [0-9a-f]{12}\) for /m);
    expect(cli.stderr).not.toMatch(/connecting|ECONNREFUSED/);
    // Nothing but the FAILED log.
    expect(readdirSync(out).sort()).toEqual(['logs']);
    const logs = readdirSync(join(out, 'logs'));
    const log = readFileSync(join(out, 'logs', logs.find((f) => f.includes('failed'))!), 'utf8');
    expect(readLogFile(log)).toMatchObject({ status: 'FAILED' });
    return { stderr: cli.stderr, log };
  };

  it('no approval, an untrusted key, a tampered file, an expired approval and a changed definition are each refused with their reason', () => {
    expect(refused('none').log).toMatch(/A81001 no approval; A81002 no approval; A81003 no approval/);

    // Signed by a key allowed_signers does not trust.
    const stranger = join(work.dir, 'stranger.key');
    writeFileSync(stranger, generateEd25519KeyPair().private, { mode: 0o600 });
    const untrusted = runCli(['approve', PHM, '--practice', 'A81001', '--by', 'Mallory', '--role', 'Nobody', '--key', stranger, '--provider', provider.file, '--today', TODAY]);
    expect(untrusted.status, untrusted.stderr).toBe(0);
    expect(untrusted.stderr).toMatch(/^warning: .*allowed_signers does not trust SHA256:\S+ for A81001/m);
    expect(refused('untrusted').stderr).toMatch(/A81001 approval signed by an untrusted key: its key SHA256:\S+ is not trusted for A81001/);

    // A trusted approval, then any byte of it changed.
    provider.approve(PHM, ['A81002']);
    const file = readdirSync(provider.directory).find((f) => f.includes('.A81002.') && f.endsWith('.approval'))!;
    const original = readFileSync(join(provider.directory, file));
    const tampered = Buffer.from(original);
    const at = original.indexOf('expires: ') + 'expires: 202'.length;
    tampered[at] = tampered[at]! + 1; // 2026 -> 2027 (or later): a longer approval than was signed
    writeFileSync(join(provider.directory, file), tampered);
    expect(refused('tampered').stderr).toMatch(/A81002 approval invalid or tampered: the file does not match its signature \(changed after signing\)/);
    writeFileSync(join(provider.directory, file), original);

    // Expired: the run's extract date is after the approval's last day (the review 2026-09-15 + 3 months).
    expect(refused('expired', PHM, '2026-12-16').stderr).toMatch(/A81002 approval expired: its last day was 2026-12-15/);

    // A changed definition (new fingerprint) runs for nobody until approved again.
    const changed = join(work.dir, 'phm-warehouse.exdef.yaml');
    writeFileSync(changed, readFileSync(PHM, 'utf8').replace('age_band(date_of_birth, 10)', 'age_band(date_of_birth, 20)'));
    expect(readFileSync(changed, 'utf8')).not.toBe(readFileSync(PHM, 'utf8'));
    expect(refused('changed', changed).stderr).toMatch(/A81002 approved a different fingerprint: approves version 1 \(fingerprint [0-9a-f]{12}\), not this definition's data/);

    // The reviewer's report shows the approvals of the definition it reviews (lint, report need none).
    const report = runCli(['report', PHM, '--format', 'markdown', '--provider', provider.file, '--today', TODAY]);
    expect(report.status, report.stderr).toBe(0);
    expect(report.stdout).toContain("## Practices' approvals");
    expect(report.stdout).toMatch(/\| A81001 \| \*\*left out\*\* \| approval signed by an untrusted key/);
    expect(report.stdout).toMatch(/\| A81002 \| extracted \| approved by Test Approver/);
    expect(report.stdout).toMatch(/\| A81003 \| \*\*left out\*\* \| no approval \|/);
  }, 60_000);
});
