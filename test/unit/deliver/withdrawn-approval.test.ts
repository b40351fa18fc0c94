/**
 * An extract waiting in the outbox is sent only while every practice whose data it holds still has
 * a valid approval: a revocation signed after the run holds it back (not sent, not retried, the
 * newer extracts of its definition behind it), and `discardItems` takes it and them out for good,
 * deleting their files. (Adversarial review 2026-12-03: approve, run --no-deliver, revoke, then
 * `exdef deliver` sent the revoked practice's data.)
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definitionToApprove, revokeApprovals } from '../../../src/approval/approve-definition.js';
import { referenceCatalogue } from '../../../src/catalogue/load-catalogue.js';
import { parseDeliveryConfig, type DeliveryConfig } from '../../../src/deliver/delivery-config.js';
import { deliverOutbox } from '../../../src/deliver/deliver-outbox.js';
import { discardedDirectory, discardItems, enqueue, pendingItems, type FinishedExtract } from '../../../src/deliver/outbox.js';
import type { SftpDestination } from '../../../src/deliver/sftp.js';
import { approvedProvider } from '../../support/approvals.js';
import { indirectCareDefinition } from '../../support/indirect-definition.js';

const destination: SftpDestination = { host: 'sftp.example.nhs.uk', port: 22, user: 'exdef', directory: '/incoming', hostKey: 'SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s' };
const events = { step: () => undefined, warn: () => undefined };

describe('an extract whose practice withdrew its approval after the run', () => {
  let work: string;
  let file: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'exdef-withdrawn-'));
    file = join(work, 'withdrawn.exdef.yaml');
    writeFileSync(
      file,
      indirectCareDefinition({
        id: 'withdrawn-probe',
        title: 'Withdrawn probe',
        singlingOut: 'Only the sex of each patient is sent, which thousands of patients share.',
        linkability: 'No pseudonym or key is sent, so the datasets cannot be joined to each other.',
        datasets: '  - name: people\n    from: patient\n    fields:\n      - name: sex\n        value: sex\n        justification: Prevalence and risk models differ by sex.\n',
      }),
    );
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  /** An outbox of the provider's, with `count` extracts of the definition holding A81001..A81003. */
  async function outboxWith(name: string, count: number): Promise<{ config: DeliveryConfig; provider: ReturnType<typeof approvedProvider> }> {
    const provider = approvedProvider(file, { work: join(work, name) });
    const dir = join(work, name);
    const made = join(dir, 'made');
    mkdirSync(made, { recursive: true });
    writeFileSync(join(dir, 'key'), 'not read by the fake client', { mode: 0o600 });
    const parsed = parseDeliveryConfig({ outbox: 'outbox', client_key: 'key', retries: 0 }, join(dir, 'exdef.provider.yaml'));
    const config = { ...parsed, approvals: { directory: provider.directory, allowedSigners: provider.allowedSigners } };
    const d = definitionToApprove(file, referenceCatalogue());
    for (let i = 0; i < count; i++) {
      const output = join(made, `withdrawn-probe_${i}_delta.zip`);
      const log = join(made, `im1_bulk_log_${i}.txt`);
      writeFileSync(output, `zip ${i}`, { mode: 0o600 });
      writeFileSync(log, 'Status: COMPLETE\n', { mode: 0o600 });
      const extract: FinishedExtract = {
        output,
        log,
        manifest: { manifest: 1, practices: ['A81001', 'A81002', 'A81003'] },
        definition: { id: d.id, version: d.version, fingerprint: d.fingerprint },
        mode: 'delta',
        extractDate: '2026-12-02',
        snapshot: new Date(Date.UTC(2026, 11, 2, 0, 0, i)).toISOString(),
        encrypted: false,
        destination,
      };
      await enqueue(config.outbox, extract, new Date(Date.UTC(2026, 11, 2, 0, 0, i)));
    }
    return { config, provider };
  }

  const sendAll = async (config: DeliveryConfig) => {
    const sent: string[] = [];
    const report = await deliverOutbox({
      config,
      events,
      sleep: async () => undefined,
      send: async (_d, files) => {
        sent.push(files[0]!.remote);
        return files.map((f) => ({ remote: f.remote, bytes: 1, sha256: f.sha256, alreadyThere: false }));
      },
    });
    return { report, sent };
  };

  it('is sent while every practice approves', async () => {
    const { config } = await outboxWith('approved', 1);
    const { report, sent } = await sendAll(config);
    expect(report.failed).toEqual([]);
    expect(sent).toHaveLength(1);
  });

  it('is not sent once one practice revokes; the newer extract waits behind it; discarding takes both out and deletes their files', async () => {
    const { config, provider } = await outboxWith('revoked', 2);
    revokeApprovals({ definition: definitionToApprove(file, referenceCatalogue()), practice: 'A81002', by: 'Dr Practice', role: 'Caldicott Guardian', key: provider.key, directory: provider.directory, now: new Date() });
    const { report, sent } = await sendAll(config);
    expect(sent).toEqual([]);
    expect(report.failed).toHaveLength(1);
    expect(report.failed[0]).toMatchObject({ step: 'approvals' });
    expect(report.failed[0]!.message).toMatch(/A81002: .*revoked/);
    expect(report.failed[0]!.message).not.toMatch(/A81001|A81003/);
    expect(report.waiting).toHaveLength(1);
    // Tried again, still not sent.
    expect((await sendAll(config)).sent).toEqual([]);

    const [oldest] = pendingItems(config.outbox);
    const discarded = discardItems(config.outbox, oldest!.id, 'A81002 revoked');
    expect(discarded).toHaveLength(2);
    expect(pendingItems(config.outbox)).toEqual([]);
    for (const item of discarded) {
      expect(readdirSync(join(discardedDirectory(config.outbox), item.id)).sort()).toEqual(['attempts.json', 'discarded.json', 'item.json'].filter((n) => n !== 'attempts.json' || existsSync(join(discardedDirectory(config.outbox), item.id, n))).sort());
    }
    expect(() => discardItems(config.outbox, 'no-such-item', 'x')).toThrow(/no pending extract no-such-item/);
  });
});
