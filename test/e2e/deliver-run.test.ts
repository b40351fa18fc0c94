/**
 * `exdef run` with `output.delivery: sftp`, end to end on both engines against the throwaway
 * OpenSSH server: the ZIP, its manifest and logs/im1_bulk_log_{date}.txt arrive in the SFTP
 * directory; a delta chain whose deliveries fail (the directory not writable) waits in the outbox
 * in order while the state advances, `exdef deliver` sends it once the server is put right, and the
 * deltas applied in order equal a full extract.
 */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resources } from '../../src/resources.js';
import { runCli } from '../support/cli.js';
import { testEngines } from '../support/engines.js';
import { approvedProvider } from '../support/approvals.js';
import { approvalsSection, deliverCli, deliveringDefinition, pendingInOutbox, providerConfig, runDelivering } from '../support/delivery-harness.js';
import { applyExtract, errorLine, fieldLines, makeWorkDir, readExtract, runOk, seededTarget, spawnRun, waitFor, writeKeysFile, type AppliedExtract, type RunTarget } from '../support/run-harness.js';
import { remoteDirectory, sftpServer } from '../support/sftp-server.js';

const server = sftpServer();
const CHIS = join(resources.definitions, 'chis-immunisations.exdef.yaml');
const PHM = join(resources.definitions, 'phm-warehouse.exdef.yaml');
const VACCINES = ['86198006', '38598009', '999900071000000104', '999900081000000102', '999900091000000100'];
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

for (const engine of testEngines()) {
  describe.skipIf(!server)(`run delivers by SFTP (${engine})`, () => {
    const s = server!;
    let work: ReturnType<typeof makeWorkDir>;
    let target: RunTarget;
    let keys: string;
    let remote: string;
    let definition: string;
    let provider: { file: string; outbox: string };
    let day = 21;
    const nextDay = () => `2026-11-${++day}`;
    const run = (today: string) => runDelivering({ definition, target, out: join(work.dir, 'out'), today, keys, provider: provider.file });
    const zipsOnServer = () => readdirSync(remote).filter((f) => f.endsWith('.zip')).sort();

    beforeAll(async () => {
      work = makeWorkDir(`exdef-deliver-${engine}-`);
      keys = writeKeysFile(join(work.dir, 'keys.yaml'), { unused: 'k'.repeat(40) });
      target = await seededTarget(engine, work.dir, { patients: 150, seed: 23 });
      remote = remoteDirectory(s, `run-${engine}-${process.pid}`);
      definition = deliveringDefinition(CHIS, join(work.dir, 'chis-delivered.exdef.yaml'), s, remote);
      provider = providerConfig(work.dir, s);
    });
    afterAll(async () => {
      chmodSync(remote, 0o700);
      await target?.drop();
      work?.remove();
    });

    /** Changes of every kind to immunisations of children at the definition's practices: an insert, a deletion, an update. */
    const change = (k: number) =>
      target.use(async (db) => {
        const rows = await db.query<{ id: string; patient: string; practice: string }>(
          `SELECT o.observation_id::text AS id, o.patient_id::text AS patient, o.practice_ods AS practice
             FROM reporting.observation o JOIN reporting.patient p ON p.patient_id = o.patient_id
            WHERE o.code::text = ANY($1) AND o.deleted_at IS NULL AND NOT o.confidential AND o.practice_ods IN ('A81001', 'A81002')
              AND p.date_of_birth > DATE '2010-01-01'
            ORDER BY o.observation_id LIMIT 3 OFFSET $2`,
          [VACCINES, k * 3],
        );
        expect(rows).toHaveLength(3);
        const [{ next }] = (await db.query<{ next: string }>('SELECT (max(observation_id) + 1)::text AS next FROM reporting.observation')) as [{ next: string }];
        await db.query(
          `INSERT INTO reporting.observation (observation_id, patient_id, practice_ods, consultation_id, code, effective_date, recorded_at, value_numeric, value_unit, comment, confidential, updated_at, deleted_at)
           VALUES ($1::bigint, $2::bigint, $3, NULL, 38598009, DATE '2026-11-20', now(), NULL, NULL, NULL, false, now(), NULL)`,
          [next, rows[0]!.patient, rows[0]!.practice],
        );
        await db.query('UPDATE reporting.observation SET deleted_at = now(), updated_at = now() WHERE observation_id = $1::bigint', [rows[1]!.id]);
        await db.query("UPDATE reporting.observation SET effective_date = effective_date - 1, updated_at = now() WHERE observation_id = $1::bigint", [rows[2]!.id]);
      });

    it('a run delivers the ZIP, its manifest and logs/im1_bulk_log_{date}.txt, and keeps a receipt', () => {
      const today = nextDay();
      const result = run(today);
      expect(result.status, result.stderr).toBe(0);
      const summary = JSON.parse(result.stdout) as { output: string; log: string; delivery: { delivered: boolean; outbox: string } };
      expect(summary.delivery).toMatchObject({ delivered: true, outbox: provider.outbox });
      const zip = readdirSync(remote).find((f) => f.endsWith('.zip'))!;
      const base = zip.replace(/\.zip$/, '');
      expect(readdirSync(remote).sort()).toEqual([zip, `${base}.manifest.json`, 'logs'].sort());
      expect(readdirSync(join(remote, 'logs'))).toEqual([`im1_bulk_log_${today}.txt`]);
      expect(sha256(join(remote, zip))).toBe(sha256(summary.output));
      expect(readFileSync(join(remote, 'logs', `im1_bulk_log_${today}.txt`), 'utf8')).toBe(readFileSync(summary.log, 'utf8'));
      expect(readFileSync(join(remote, 'logs', `im1_bulk_log_${today}.txt`), 'utf8')).toMatch(/^Status: COMPLETE\n/);
      const manifest = JSON.parse(readFileSync(join(remote, `${base}.manifest.json`), 'utf8')) as { definition: { id: string }; mode: string; package: { file: string; sha256: string; bytes: number } };
      expect(manifest).toMatchObject({ definition: { id: 'chis-immunisations' }, mode: 'full', package: { file: zip, sha256: sha256(summary.output) } });
      expect(pendingInOutbox(provider.outbox)).toEqual([]);
      const delivered = readdirSync(join(provider.outbox, 'delivered'));
      expect(delivered).toHaveLength(1);
      expect(readdirSync(join(provider.outbox, 'delivered', delivered[0]!)).sort()).toEqual(['item.json', 'receipt.json']);
    });

    it('approved by two of its three practices: the server receives their folders only, and the log names the third', () => {
      const dir = join(work.dir, 'two-of-three');
      mkdirSync(dir, { recursive: true });
      const phmRemote = remoteDirectory(s, `phm-${engine}-${process.pid}`);
      const phm = deliveringDefinition(PHM, join(dir, 'phm-warehouse.exdef.yaml'), s, phmRemote);
      const approvals = approvedProvider(phm, { work: dir, practices: ['A81001', 'A81002'] });
      const twoOfThree = providerConfig(dir, s, {}, approvals);
      const phmKeys = writeKeysFile(join(dir, 'keys.yaml'), { 'phm-icb-key': 'p'.repeat(40) });
      const today = nextDay();
      const result = runDelivering({ definition: phm, target, out: join(dir, 'out'), today, keys: phmKeys, provider: twoOfThree.file });
      expect(result.status, result.stderr).toBe(0);
      const zips = readdirSync(phmRemote).filter((f) => f.endsWith('.zip'));
      expect(zips).toHaveLength(1);
      const delivered = readExtract(join(phmRemote, zips[0]!));
      const folders = new Set([...delivered.datasets.keys()].map((name) => name.split('/')[0]));
      expect([...folders].sort()).toEqual(['A81001', 'A81002']);
      expect([...delivered.datasets.values()].some((rows) => rows.length > 0)).toBe(true);
      const log = readFileSync(join(phmRemote, 'logs', `im1_bulk_log_${today}.txt`), 'utf8');
      expect(log).toMatch(/^Status: COMPLETE\n/);
      expect(log).toMatch(/^Practice left out: A81003 \(.*\)$/m);
      expect((delivered.manifest as unknown as { excluded: { practice: string }[] }).excluded.map((e) => e.practice)).toEqual(['A81003']);
    });

    it('a delta chain delivered through outages waits in the outbox in order, and arrives whole', async () => {
      const out = join(work.dir, 'out');
      // Outage: the partner's directory is not writable. The state advances (the outbox holds the extract).
      chmodSync(remote, 0o555);
      await change(1);
      const failed = run(nextDay());
      expect(failed.status).toBe(1);
      expect(errorLine(failed.stderr)).toMatch(/^error \(delivery\): upload chis-immunisations_\S+_delta\.zip: permission denied .* the extract is complete and safe in the outbox .*`exdef deliver` sends it/);
      expect(pendingInOutbox(provider.outbox)).toHaveLength(1);
      await change(2);
      const waiting = run(nextDay());
      expect(waiting.status).toBe(1);
      expect(pendingInOutbox(provider.outbox)).toHaveLength(2);
      expect(zipsOnServer()).toHaveLength(1);
      expect(readdirSync(remote).filter((f) => f.includes('.partial'))).toEqual([]);
      const listed = deliverCli(provider.file, ['--status']);
      expect(JSON.parse(listed.stdout).pending.map((p: { mode: string; attempts: unknown[] }) => [p.mode, p.attempts.length > 0])).toEqual([
        ['delta', true],
        ['delta', false],
      ]);

      // Put right: exdef deliver sends both, the older first.
      chmodSync(remote, 0o700);
      const sent = deliverCli(provider.file);
      expect(sent.status, sent.stderr).toBe(0);
      const report = JSON.parse(sent.stdout) as { delivered: { snapshot: string; mode: string }[] };
      expect(report.delivered.map((d) => d.mode)).toEqual(['delta', 'delta']);
      expect(report.delivered[0]!.snapshot < report.delivered[1]!.snapshot).toBe(true);
      expect(pendingInOutbox(provider.outbox)).toEqual([]);
      await change(3);
      expect(run(nextDay()).status).toBe(0);

      // The recipient applies what arrived, in order (names carry the snapshot time): a full extract's rows.
      const arrived = zipsOnServer();
      expect(arrived.map((z) => z.replace(/^.*_/, ''))).toEqual(['full.zip', 'delta.zip', 'delta.zip', 'delta.zip']);
      let held: AppliedExtract | undefined;
      for (const zip of arrived) held = applyExtract(held, readExtract(join(remote, zip)));
      const deltaRows = arrived.slice(1).reduce((n, z) => n + [...readExtract(join(remote, z)).datasets.values()].reduce((m, rows) => m + rows.length, 0), 0);
      expect(deltaRows).toBeGreaterThan(0);
      const full = runOk({ definition: CHIS, target, out: join(work.dir, 'full'), today: `2026-11-${day}`, keys, extra: ['--full', '--force'] });
      const expected = readExtract(full.output);
      for (const [dataset, rows] of expected.datasets) expect(fieldLines(held!.get(dataset)!.values()), dataset).toEqual(fieldLines(rows));
      expect(existsSync(out)).toBe(true);
    });

    it.skipIf(engine !== 'pglite')('no client key refuses the run before the database (exit 2); --no-deliver queues; exdef deliver sends', () => {
      const keyless = join(work.dir, 'keyless.provider.yaml');
      writeFileSync(keyless, [...approvalsSection(), 'delivery:', '  outbox: outbox', ''].join('\n'));
      const refused = runDelivering({ definition, target, out: join(work.dir, 'out'), today: nextDay(), keys, provider: keyless });
      expect(refused.status).toBe(2);
      expect(errorLine(refused.stderr)).toMatch(/^error \(client key\): no SFTP client key: name it in the provider configuration \(\S+keyless\.provider\.yaml\) as delivery\.client_key$/);
      expect(JSON.parse(refused.stdout.trim().split('\n').at(-1)!)).toMatchObject({ error: { code: 'usage', exitCode: 2, step: 'client key' } });

      const nothing = runCli(['deliver', '--provider', provider.file]);
      expect([nothing.status, nothing.stdout]).toEqual([0, `nothing to deliver (the outbox ${provider.outbox} is empty)\n`]);

      const before = zipsOnServer().length;
      const queued = runDelivering({ definition, target, out: join(work.dir, 'out'), today: `2026-11-${day}`, keys, provider: provider.file, extra: ['--no-deliver'] });
      expect(queued.status, queued.stderr).toBe(0);
      expect(JSON.parse(queued.stdout).delivery).toEqual({ outbox: provider.outbox, delivered: false });
      expect(pendingInOutbox(provider.outbox)).toHaveLength(1);
      expect(zipsOnServer()).toHaveLength(before);
      const sent = runCli(['deliver', '--provider', provider.file]);
      expect(sent.status, sent.stderr).toBe(0);
      expect(sent.stdout).toMatch(/^delivered: chis-immunisations (full|delta) extract of \S+: \S+_(full|delta)\.zip, \S+_(full|delta)\.manifest\.json, .*logs\/im1_bulk_log_2026-11-\d\d\.txt\n$/);
      expect(zipsOnServer()).toHaveLength(before + 1);
    });

    it.skipIf(engine !== 'pglite')('a run interrupted while it delivers exits 1, the extract complete and pending in the outbox', async () => {
      // A server that accepts the connection and never speaks: the run waits in the SSH handshake.
      let connected = false;
      const silent = createServer(() => {
        connected = true;
      });
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      try {
        const port = (silent.address() as AddressInfo).port;
        const mute = join(work.dir, 'mute.exdef.yaml');
        writeFileSync(mute, readFileSync(definition, 'utf8').replace(`port: ${s.port}`, `port: ${port}`));
        const outbox = join(work.dir, 'mute-outbox');
        const muteProvider = join(work.dir, 'mute.provider.yaml');
        writeFileSync(muteProvider, [...approvalsSection(), 'delivery:', '  client_key: client_ed25519', `  outbox: ${outbox}`, '  connect_timeout_seconds: 60', ''].join('\n'));
        const running = spawnRun({ definition: mute, target, out: join(work.dir, 'mute-out'), today: nextDay(), keys, extra: ['--provider', muteProvider, '--force'] });
        await waitFor('the delivery to connect', () => (connected ? true : undefined), 60_000, 50);
        running.child.kill('SIGTERM');
        const exited = await running.exited;
        expect(exited.code).toBe(1);
        expect(running.stderr()).toMatch(/^error \(delivery\): interrupted \(SIGTERM\) — the extract is complete and safe in the outbox \S+mute-outbox; `exdef deliver` sends it$/m);
        expect(pendingInOutbox(outbox)).toHaveLength(1);
      } finally {
        silent.close();
      }
    });
  });
}
