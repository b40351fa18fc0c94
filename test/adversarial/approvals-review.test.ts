/**
 * Adversarial review of issue 14's approvals (ws-review-a).
 *
 * 1. A past `--today` revives an approval the clock says has expired: docs/run.md promises "a past
 *    --today never widens what a run may do", yet the approvals step judges expiry (and the keys'
 *    valid-before) on the extract date alone. Fixed: judged on the later of --today and the clock.
 * 2. A revocation is ignored once the key that signed it leaves its allowed_signers validity window
 *    (a rotated key with valid-before): the approval it revoked, signed by another still-trusted
 *    key, holds again. A revocation only ever removes data, so it counts whenever its key was
 *    trusted for the practice.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateEd25519KeyPair } from '../../src/approval/ed25519-keygen.js';
import { afterAll, describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../support/certificates.js';
import { writeSignedRecord, type Approval } from '../../src/approval/approval-file.js';
import { approvedPractices } from '../../src/approval/practice-approvals.js';
import { readSigningKey, type SigningKey } from '../../src/approval/sshsig.js';
import { definitionToApprove } from '../../src/approval/approve-definition.js';
import { referenceCatalogue } from '../../src/catalogue/load-catalogue.js';
import { packageRoot } from '../../src/resources.js';
import { addMonths } from '../../src/seed/calendar.js';
import { runCli } from '../support/cli.js';
import { makeWorkDir, writeKeysFile } from '../support/run-harness.js';

const work = makeWorkDir('exdef-review-a-');
afterAll(() => work.remove());

function key(name: string): { key: SigningKey; publicLine: string } {
  const pair = generateEd25519KeyPair(name);
  const file = join(work.dir, `${name}.key`);
  writeFileSync(file, pair.private, { mode: 0o600 });
  return { key: readSigningKey(file), publicLine: pair.public };
}

const NS = 'namespaces="exdef-approval@nhs"';

function approval(d: ReturnType<typeof definitionToApprove>, practice: string, approvedAt: string, reviewed: string, expires: string): Approval {
  return {
    kind: 'approval',
    definition: d.id,
    version: d.version,
    title: d.title,
    fingerprint: d.fingerprint,
    digest: d.digest,
    practice,
    approvedBy: 'Dr A',
    role: 'Caldicott Guardian',
    approvedAt,
    reviewed,
    expires,
    ...(d.catalogue ? { catalogue: d.catalogue.name, catalogueDigest: d.catalogue.digest } : {}),
  };
}

describe('approvals under review', () => {
  // Issue 14 review, finding 1, fixed: approvals are judged on the later of --today and the clock
  // (practice-approvals.ts approvalDate). The suite's clock stops at the last date the fixtures'
  // approvals hold (test/support/world-clock.mjs), so the shipped definitions still run after it.
  it('a past --today does not revive an approval that has expired by the clock', () => {
    const clock = new Date().toISOString().slice(0, 10);
    // Reviewed four months ago: every approval of it ended a month ago, by the clock.
    const reviewed = addMonths(clock, -4);
    const dir = join(work.dir, 'expired');
    mkdirSync(dir, { recursive: true });
    const definition = join(dir, 'phm-warehouse.exdef.yaml');
    const text = readFileSync(join(packageRoot, 'definitions', 'phm-warehouse.exdef.yaml'), 'utf8');
    expect(text).toMatch(/last_reviewed: \d{4}-\d\d-\d\d/);
    writeFileSync(definition, text.replace(/last_reviewed: \d{4}-\d\d-\d\d/, `last_reviewed: ${reviewed}`));
    const d = definitionToApprove(definition, referenceCatalogue());
    const signer = key('expired-approver');
    writeFileSync(join(dir, 'allowed_signers'), `* ${NS} ${signer.publicLine}\n`);
    writeFileSync(join(dir, 'exdef.provider.yaml'), 'approvals:\n  directory: approvals\n  allowed_signers: allowed_signers\n');
    const expires = addMonths(reviewed, 3);
    expect(expires < clock).toBe(true);
    for (const practice of d.practices) writeSignedRecord(join(dir, 'approvals'), approval(d, practice, `${reviewed}T09:00:00.000Z`, reviewed, expires), signer.key);
    const keys = writeKeysFile(join(dir, 'keys.yaml'), { 'phm-icb-key': 'review-a-icb-key-0123456789abcdef0123' });
    // --today a day before the approvals' last day: the approvals must still be judged expired.
    const today = addMonths(reviewed, 2);
    const result = runCli(['run', definition, '--today', today, '--keys', keys, '--provider', join(dir, 'exdef.provider.yaml'), '--out', join(dir, 'out'), '--database', 'postgres://exdef@127.0.0.1:1/none', '--force']);
    expect(result.stderr).toContain('error (approvals)');
    expect(result.stderr).toContain('expired');
    expect(result.status).toBe(1);
  }, 60_000);

  it('a revocation still counts after the key that signed it left its valid-before window', () => {
    const definition = join(packageRoot, 'definitions', 'phm-warehouse.exdef.yaml');
    const d = definitionToApprove(definition, referenceCatalogue());
    const reviewed = d.reviewed!;
    const dir = join(work.dir, 'rotated');
    mkdirSync(dir, { recursive: true });
    const k1 = key('guardian-2026');
    const k2 = key('deputy-temporary');
    // K1 is trusted for A81001 without limit; K2, a deputy's key, until the day after it signs the revocation.
    const revokedOn = addMonths(reviewed, 1);
    const revokedAt = `${revokedOn}T10:00:00.000Z`;
    const k2Until = new Date(Date.parse(`${revokedOn}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10).replace(/-/g, '');
    writeFileSync(join(dir, 'allowed_signers'), `A81001 ${NS} ${k1.publicLine}\nA81001 ${NS},valid-before="${k2Until}" ${k2.publicLine}\n`);
    const approvals = join(dir, 'approvals');
    writeSignedRecord(approvals, approval(d, 'A81001', `${reviewed}T09:00:00.000Z`, reviewed, addMonths(reviewed, 3)), k1.key);
    writeSignedRecord(approvals, { kind: 'revocation', definition: d.id, practice: 'A81001', revokedBy: 'Dr B', role: 'Deputy Caldicott Guardian', revokedAt }, k2.key);
    const source = { directory: approvals, allowedSigners: join(dir, 'allowed_signers') };
    // On the day it was signed, the revocation leaves A81001 out.
    const then = approvedPractices(source, d, ['A81001'], revokedOn);
    expect(then.practices).toEqual([]);
    // Two months after the review: K2 is no longer valid for new signatures, but its revocation stands.
    const later = approvedPractices(source, d, ['A81001'], addMonths(reviewed, 2));
    expect(later.practices).toEqual([]);
    expect(later.excluded[0]?.reason).toContain('revoked');
  });

  it('exdef revoke does not claim a revocation that leaves the practice approved (an approval stamped after it)', () => {
    const definition = join(packageRoot, 'definitions', 'phm-warehouse.exdef.yaml');
    const d = definitionToApprove(definition, referenceCatalogue());
    const dir = join(work.dir, 'skewed');
    mkdirSync(dir, { recursive: true });
    const pair = generateEd25519KeyPair('guardian');
    const keyFile = join(dir, 'guardian.key');
    writeFileSync(keyFile, pair.private, { mode: 0o600 });
    writeFileSync(join(dir, 'allowed_signers'), `A81001 ${NS} ${pair.public}\n`);
    writeFileSync(join(dir, 'exdef.provider.yaml'), 'approvals:\n  directory: approvals\n  allowed_signers: allowed_signers\n');
    const clock = new Date();
    const today = clock.toISOString().slice(0, 10);
    // Signed on a machine whose clock ran a day ahead (the review date keeps it inside its three months).
    const ahead = new Date(clock.getTime() + 86_400_000).toISOString();
    writeSignedRecord(join(dir, 'approvals'), approval(d, 'A81001', ahead, d.reviewed!, addMonths(d.reviewed!, 3)), readSigningKey(keyFile));
    const revoke = runCli(['revoke', definition, '--practice', 'A81001', '--by', 'Dr A', '--role', 'Caldicott Guardian', '--key', keyFile, '--provider', join(dir, 'exdef.provider.yaml')]);
    const source = { directory: join(dir, 'approvals'), allowedSigners: join(dir, 'allowed_signers') };
    const after = approvedPractices(source, d, ['A81001'], today < addMonths(d.reviewed!, 3) ? today : d.reviewed!);
    // Either the revocation takes effect, or `exdef revoke` fails saying why it does not.
    if (after.practices.includes('A81001')) {
      expect(revoke.status, revoke.stdout).toBe(1);
      expect(revoke.stderr).toMatch(/still holds|after this revocation/);
    }
  }, 60_000);
});

describe('allowed_signers dates', () => {
  it('refuses a valid-after / valid-before that is not written as ssh-keygen writes it, instead of trusting a key early', async () => {
    const { parseAllowedSigners, trustingSigners } = await import('../../src/approval/allowed-signers.js');
    const k = key('dated');
    const publicKey = k.publicLine.split(' ').slice(0, 2).join(' ');
    // The operator means "from 1 December 2026" but writes the date with dashes (ssh-keygen rejects the line).
    const text = `A81001 namespaces="exdef-approval@nhs",valid-after="2026-12-01" ${k.publicLine}\n`;
    let signers;
    try {
      signers = parseAllowedSigners(text, 'allowed_signers');
    } catch (error) {
      expect((error as Error).message).toMatch(/^allowed_signers:1:\d+: .*valid-after/);
      return;
    }
    // Parsed: then the key must not be trusted in November.
    expect(trustingSigners(signers, publicKey, 'A81001', 'exdef-approval@nhs', '2026-11-15')).toEqual([]);
  });
});

describe('the approvals directory', () => {
  it('a FIFO named like an approval (or its .sig) is judged invalid, never read: a run does not hang on it', async () => {
    const { execFileSync, spawnSync } = await import('node:child_process');
    const dir = join(work.dir, 'fifo');
    mkdirSync(dir, { recursive: true });
    execFileSync('mkfifo', [join(dir, 'x.A81001.v1.approval')]);
    writeFileSync(join(dir, 'y.A81002.v1.approval'), 'exdef_approval: 1\n');
    execFileSync('mkfifo', [join(dir, 'y.A81002.v1.approval.sig')]);
    const module = join(packageRoot, 'dist', 'src', 'approval', 'approval-file.js');
    const script = `import(${JSON.stringify(module)}).then((m) => console.log(JSON.stringify(m.readSignedRecords(${JSON.stringify(dir)}).map((f) => f.problem))))`;
    const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 5000 });
    expect(result.signal, 'readSignedRecords hung on a FIFO').toBeNull();
    const problems = JSON.parse(result.stdout) as string[];
    expect(problems).toHaveLength(2);
    for (const p of problems) expect(p).toMatch(/not a regular file/);
  }, 20_000);
});

describe('the approved recipient', () => {
  it('--encrypt-to cannot replace the recipient certificate an approved definition names', async () => {
    const { execFileSync } = await import('node:child_process');
    const dir = join(work.dir, 'recipient');
    mkdirSync(dir, { recursive: true });
    for (const who of ['recipient', 'someone-else']) {
      execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-out', join(dir, `${who}.key`), '-pkeyopt', 'rsa_keygen_bits:2048'], { stdio: 'ignore' });
      selfSignedCertificate(dir, { key: `${who}.key`, certificate: `${who}.pem`, name: who, days: 2 });
    }
    const text = readFileSync(join(packageRoot, 'definitions', 'phm-warehouse.exdef.yaml'), 'utf8');
    expect(text).toContain('  layout: per_practice\n');
    const definition = join(dir, 'phm-warehouse.exdef.yaml');
    writeFileSync(definition, text.replace('  layout: per_practice\n', '  layout: per_practice\n  encryption:\n    certificate: recipient.pem\n'));
    const d = definitionToApprove(definition, referenceCatalogue());
    const signer = key('recipient-approver');
    writeFileSync(join(dir, 'allowed_signers'), `* ${NS} ${signer.publicLine}\n`);
    writeFileSync(join(dir, 'exdef.provider.yaml'), 'approvals:\n  directory: approvals\n  allowed_signers: allowed_signers\n');
    for (const practice of d.practices) writeSignedRecord(join(dir, 'approvals'), approval(d, practice, new Date().toISOString(), d.reviewed!, addMonths(d.reviewed!, 3)), signer.key);
    const keys = writeKeysFile(join(dir, 'keys.yaml'), { 'phm-icb-key': 'review-a-icb-key-0123456789abcdef0123' });
    const result = runCli(['run', definition, '--today', d.reviewed!, '--keys', keys, '--provider', join(dir, 'exdef.provider.yaml'), '--out', join(dir, 'out'), '--encrypt-to', join(dir, 'someone-else.pem'), '--database', 'postgres://exdef@127.0.0.1:1/none', '--force']);
    // Refused before any database is opened (the unreachable database is never reached).
    expect(result.stderr).toContain('error (encryption)');
    expect(result.status).toBe(2);
  }, 60_000);

  it('a recipient certificate replaced behind an unchanged definition is not approved: an approval binds the certificate\'s bytes', async () => {
    const { execFileSync } = await import('node:child_process');
    const { approveDefinition } = await import('../../src/approval/approve-definition.js');
    const dir = join(work.dir, 'swapped-recipient');
    mkdirSync(dir, { recursive: true });
    for (const who of ['recipient', 'someone-else']) {
      execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-out', join(dir, `${who}.key`), '-pkeyopt', 'rsa_keygen_bits:2048'], { stdio: 'ignore' });
      selfSignedCertificate(dir, { key: `${who}.key`, certificate: `${who}.pem`, name: who, days: 2 });
    }
    const text = readFileSync(join(packageRoot, 'definitions', 'phm-warehouse.exdef.yaml'), 'utf8');
    const definition = join(dir, 'phm-warehouse.exdef.yaml');
    writeFileSync(definition, text.replace('  layout: per_practice\n', '  layout: per_practice\n  encryption:\n    certificate: recipient.pem\n'));
    const d = definitionToApprove(definition, referenceCatalogue());
    expect(d.recipient).toMatch(/^[0-9a-f]{64}$/);
    const signer = key('swapped-approver');
    writeFileSync(join(dir, 'allowed_signers'), `* ${NS} ${signer.publicLine}\n`);
    writeFileSync(join(dir, 'exdef.provider.yaml'), 'approvals:\n  directory: approvals\n  allowed_signers: allowed_signers\n');
    const approvals = join(dir, 'approvals');
    for (const practice of d.practices) {
      const { file } = approveDefinition({ definition: d, practice, by: 'Dr A', role: 'Caldicott Guardian', key: signer.key, directory: approvals, now: new Date(), today: d.reviewed! });
      expect(readFileSync(file, 'utf8')).toContain(`recipient_certificate_sha256: ${d.recipient}`);
    }
    const source = { directory: approvals, allowedSigners: join(dir, 'allowed_signers') };
    expect(approvedPractices(source, d, d.practices, d.reviewed!).practices).toEqual(d.practices);
    // The same definition file, another certificate behind its name.
    writeFileSync(join(dir, 'recipient.pem'), readFileSync(join(dir, 'someone-else.pem')));
    const swapped = definitionToApprove(definition, referenceCatalogue());
    expect([swapped.fingerprint, swapped.digest]).toEqual([d.fingerprint, d.digest]);
    const decision = approvedPractices(source, swapped, swapped.practices, d.reviewed!);
    expect(decision.practices).toEqual([]);
    expect(decision.excluded[0]!.reason).toContain('approved a different version');
    // And a run says so before any database is opened.
    const keys = writeKeysFile(join(dir, 'keys.yaml'), { 'phm-icb-key': 'review-a-icb-key-0123456789abcdef0123' });
    const result = runCli(['run', definition, '--today', d.reviewed!, '--keys', keys, '--provider', join(dir, 'exdef.provider.yaml'), '--out', join(dir, 'out'), '--database', 'postgres://exdef@127.0.0.1:1/none', '--force']);
    expect(result.stderr).toContain('error (approvals)');
    expect(result.stderr).toContain('the recipient changed');
    expect(result.status).toBe(1);
  }, 60_000);
});
