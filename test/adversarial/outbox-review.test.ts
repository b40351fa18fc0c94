/**
 * Adversarial review of issue 14 item 4 (ws-review-a): "an undelivered older delta is always
 * delivered before a newer one". A pending item whose item.json cannot be read (a disk error, an
 * edit gone wrong) was skipped without a word, so the newer delta of the same definition went out
 * ahead of it and the recipient's chain broke silently. Now the delivery stops and names it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { deliverOutbox } from '../../src/deliver/deliver-outbox.js';
import { enqueue, pendingDirectory } from '../../src/deliver/outbox.js';
import type { OutgoingFile, SentFile } from '../../src/deliver/sftp.js';

const dir = mkdtempSync(join(tmpdir(), 'exdef-review-outbox-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('an unreadable older item is never overtaken by a newer delta of its definition', async () => {
  const outbox = join(dir, 'outbox');
  const destination = { host: '127.0.0.1', port: 22, user: 'u', directory: '/in', hostKey: 'SHA256:x' };
  const items = [];
  for (const [n, snapshot] of ['2026-11-01T01:00:00.000Z', '2026-11-02T01:00:00.000Z'].entries()) {
    const output = join(dir, `chis_${n}_delta.zip`);
    const log = join(dir, `im1_bulk_log_${n}.txt`);
    writeFileSync(output, `zip ${n}`);
    writeFileSync(log, `log ${n}`);
    items.push(
      await enqueue(
        outbox,
        { output, log, manifest: {}, definition: { id: 'chis-immunisations', version: 1, fingerprint: 'f' }, mode: 'delta', extractDate: snapshot.slice(0, 10), snapshot, encrypted: false, destination },
        new Date(Date.parse(snapshot) + 60_000),
      ),
    );
  }
  // The older item's record is damaged.
  writeFileSync(join(pendingDirectory(outbox), items[0]!.id, 'item.json'), '{"id": "trunc');
  const sent: string[] = [];
  const send = async (_d: unknown, files: readonly OutgoingFile[]): Promise<SentFile[]> => {
    sent.push(...files.map((f) => f.remote));
    return files.map((f) => ({ remote: f.remote, bytes: 1, sha256: f.sha256, alreadyThere: false }));
  };
  const keyFile = join(dir, 'client.key');
  writeFileSync(keyFile, 'not used', { mode: 0o600 });
  let report;
  try {
    report = await deliverOutbox({ config: { configFile: undefined, clientKey: keyFile, outbox, retries: 0, backoffSeconds: 0, connectTimeoutSeconds: 1, stallTimeoutSeconds: 1 }, events: { step() {}, warn() {} }, send, sleep: async () => {} });
  } catch (error) {
    expect((error as Error).message).toContain(items[0]!.id);
  }
  expect(sent, `delivered ${JSON.stringify(report?.delivered)}`).not.toContain('chis_1_delta.zip');
});
