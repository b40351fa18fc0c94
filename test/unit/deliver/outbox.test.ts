/**
 * The outbox and its delivery loop, with the SFTP client replaced by a fake that fails on a
 * generated schedule: whatever fails and whenever, each definition's extracts reach the server in
 * the order they were made, none twice, a newer one never before an older one, and everything
 * arrives once the failures stop. Files and directories are private; an item is whole or absent.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDeliveryConfig, type DeliveryConfig } from '../../../src/deliver/delivery-config.js';
import { deliverOutbox } from '../../../src/deliver/deliver-outbox.js';
import { enqueue, pendingItems, receipts, type FinishedExtract } from '../../../src/deliver/outbox.js';
import { DeliveryError, type OutgoingFile, type SentFile, type SftpDestination } from '../../../src/deliver/sftp.js';

let root: string;
let counter = 0;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'exdef-outbox-test-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const destination: SftpDestination = { host: 'sftp.example.nhs.uk', port: 22, user: 'exdef', directory: '/incoming', hostKey: 'SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s' };

function freshOutbox(): { config: DeliveryConfig; made: string } {
  const dir = join(root, `case-${counter++}`);
  const made = join(dir, 'made');
  rmSync(dir, { recursive: true, force: true });
  const key = join(dir, 'key');
  const config = parseDeliveryConfig({ outbox: 'outbox', client_key: 'key', retries: 2, backoff_seconds: 5 }, join(dir, 'exdef.provider.yaml'));
  mkdirSync(made, { recursive: true });
  writeFileSync(key, 'not read by the fake client', { mode: 0o600 });
  return { config, made };
}

/** A finished extract of `definition` at `second` past midnight, as a run hands it over. */
function finished(made: string, definition: string, second: number): FinishedExtract {
  const snapshot = new Date(Date.UTC(2026, 11, 2, 0, 0, second)).toISOString();
  const output = join(made, `${definition}_${second}_delta.zip`);
  const log = join(made, `im1_bulk_log_${second}.txt`);
  writeFileSync(output, `zip of ${definition} at ${second}`, { mode: 0o600 });
  writeFileSync(log, 'Status: COMPLETE\n', { mode: 0o600 });
  return { output, log, manifest: { manifest: 1 }, definition: { id: definition, version: 1, fingerprint: 'f' }, mode: 'delta', extractDate: '2026-12-02', snapshot, encrypted: false, destination };
}

describe('the outbox', () => {
  it('holds an item whole, private, with its manifest and log beside the package', async () => {
    const { config, made } = freshOutbox();
    const item = await enqueue(config.outbox, finished(made, 'phm', 1), new Date('2026-12-02T00:00:01Z'));
    expect(item.files.map((f) => [f.name, f.remote, f.kind])).toEqual([
      ['phm_1_delta.zip', 'phm_1_delta.zip', 'data'],
      ['phm_1_delta.manifest.json', 'phm_1_delta.manifest.json', 'data'],
      ['im1_bulk_log_1.txt', 'logs/im1_bulk_log_1.txt', 'log'],
    ]);
    expect(statSync(config.outbox).mode & 0o777).toBe(0o700);
    const dir = join(config.outbox, 'pending', item.id);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    for (const name of readdirSync(dir)) expect(statSync(join(dir, name)).mode & 0o777, name).toBe(0o600);
    expect(readdirSync(config.outbox).filter((n) => n.startsWith('.incoming'))).toEqual([]);
    expect(pendingItems(config.outbox).map((i) => i.id)).toEqual([item.id]);
  });

  it('an encrypted package keeps its .zip.enc name; its manifest says so, with the sha256 of what is sent', async () => {
    const { config, made } = freshOutbox();
    const extract = finished(made, 'phm', 3);
    const encrypted = join(made, 'phm_3_delta.zip.enc');
    writeFileSync(encrypted, 'MIME-Version: 1.0\nS/MIME bytes', { mode: 0o600 });
    const item = await enqueue(config.outbox, { ...extract, output: encrypted, encrypted: true });
    expect(item.files.map((f) => f.remote)).toEqual(['phm_3_delta.zip.enc', 'phm_3_delta.manifest.json', 'logs/im1_bulk_log_3.txt']);
    const manifest = JSON.parse(readFileSync(join(config.outbox, 'pending', item.id, 'phm_3_delta.manifest.json'), 'utf8'));
    expect(manifest.package).toEqual({ file: 'phm_3_delta.zip.enc', bytes: Buffer.byteLength('MIME-Version: 1.0\nS/MIME bytes'), sha256: createHash('sha256').update('MIME-Version: 1.0\nS/MIME bytes').digest('hex'), encrypted: true });
    expect(item.files[0]!.sha256).toBe(manifest.package.sha256);
  });

  it('a missing file leaves no item behind (nothing half-made to deliver)', async () => {
    const { config, made } = freshOutbox();
    const extract = finished(made, 'phm', 2);
    await expect(enqueue(config.outbox, { ...extract, log: join(made, 'no-such-log.txt') })).rejects.toThrow(/cannot place the extract in the outbox/);
    expect(pendingItems(config.outbox)).toEqual([]);
    expect(readdirSync(config.outbox).filter((n) => n.startsWith('.incoming'))).toEqual([]);
  });

  it('retries with exponential backoff, then keeps the item and holds back newer items of its definition only', async () => {
    const { config, made } = freshOutbox();
    await enqueue(config.outbox, finished(made, 'a', 1), new Date('2026-12-02T00:00:01Z'));
    await enqueue(config.outbox, finished(made, 'b', 2), new Date('2026-12-02T00:00:02Z'));
    await enqueue(config.outbox, finished(made, 'a', 3), new Date('2026-12-02T00:00:03Z'));
    const sleeps: number[] = [];
    const sent: string[] = [];
    const report = await deliverOutbox({
      config,
      events: { step: () => undefined, warn: () => undefined },
      sleep: async (ms) => void sleeps.push(ms),
      send: async (_d, files) => {
        if (files[0]!.remote.startsWith('a_1')) throw new DeliveryError('connect', 'the connection was refused', true);
        sent.push(files[0]!.remote);
        return files.map((f) => ({ remote: f.remote, bytes: 1, sha256: f.sha256, alreadyThere: false }));
      },
    });
    expect(sleeps).toEqual([5000, 10000]);
    expect(sent).toEqual(['b_2_delta.zip']);
    expect(report.failed.map((f) => [f.definition, f.step, f.attempts])).toEqual([['a', 'connect', 3]]);
    expect(report.waiting.map((w) => w.definition)).toEqual(['a']);
    expect(pendingItems(config.outbox).map((i) => i.definition.id)).toEqual(['a', 'a']);
    const [receipt] = receipts(config.outbox);
    expect(receipt!.item.definition.id).toBe('b');
    expect(readdirSync(join(config.outbox, 'delivered', receipt!.item.id)).sort()).toEqual(['item.json', 'receipt.json']);

    // A refusal that waiting cannot mend (a host key) is not retried.
    const refusedSleeps: number[] = [];
    const again = await deliverOutbox({
      config,
      events: { step: () => undefined, warn: () => undefined },
      sleep: async (ms) => void refusedSleeps.push(ms),
      send: async () => {
        throw new DeliveryError('host key', 'presented another key', false);
      },
    });
    expect(refusedSleeps).toEqual([]);
    expect(again.failed.map((f) => [f.step, f.attempts])).toEqual([['host key', 4]]);
  });

  it('whatever fails and when, each definition arrives in order, once, and whole once failures stop', async () => {
    type Outcome = 'ok' | 'retryable' | 'refused';
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom('a', 'b', 'c'), { minLength: 1, maxLength: 7 }),
        fc.array(fc.constantFrom<Outcome>('ok', 'retryable', 'refused'), { maxLength: 25 }),
        async (definitions, schedule) => {
          const { config, made } = freshOutbox();
          for (const [i, d] of definitions.entries()) await enqueue(config.outbox, finished(made, d, i), new Date(Date.UTC(2026, 11, 2, 0, 0, i)));
          const outcomes = [...schedule];
          const arrived: string[] = [];
          const send = async (_d: SftpDestination, files: readonly OutgoingFile[]): Promise<SentFile[]> => {
            const outcome = outcomes.shift() ?? 'ok';
            if (outcome !== 'ok') throw new DeliveryError('upload x', 'failed', outcome === 'retryable');
            arrived.push(files[0]!.remote);
            return files.map((f) => ({ remote: f.remote, bytes: 1, sha256: f.sha256, alreadyThere: false }));
          };
          for (let round = 0; round < 30 && pendingItems(config.outbox).length > 0; round++) {
            const report = await deliverOutbox({ config, send, sleep: async () => undefined, events: { step: () => undefined, warn: () => undefined } });
            for (const failure of report.failed) {
              expect(report.delivered.filter((d) => d.definition === failure.definition && d.snapshot > pendingItems(config.outbox).find((p) => p.id === failure.item)!.snapshot)).toEqual([]);
            }
          }
          expect(pendingItems(config.outbox)).toEqual([]);
          expect(arrived).toHaveLength(definitions.length);
          expect(new Set(arrived).size).toBe(definitions.length);
          for (const d of ['a', 'b', 'c']) {
            const order = arrived.filter((name) => name.startsWith(`${d}_`)).map((name) => Number(name.split('_')[1]));
            expect(order).toEqual([...order].sort((x, y) => x - y));
          }
          expect(receipts(config.outbox)).toHaveLength(definitions.length);
        },
      ),
      { numRuns: 40 },
    );
  });
});
