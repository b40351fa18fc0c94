import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSignedRecord, type Approval } from '../../../src/approval/approval-file.js';
import { generateEd25519KeyPair } from '../../../src/approval/ed25519-keygen.js';
import { readSigningKey, type SigningKey } from '../../../src/approval/sshsig.js';
import { checkTrust } from '../../../src/cli/commands/approve.js';
import { ExdefError } from '../../../src/failure.js';
import type { ProviderConfig } from '../../../src/provider/provider-config.js';

const APPROVAL: Approval = { kind: 'approval', definition: 'chis', version: 3, title: 'CHIS feed', fingerprint: 'f'.repeat(64), digest: 'd'.repeat(64), practice: 'A81001', approvedBy: 'Dr Jane Smith', role: 'Caldicott Guardian', approvedAt: '2026-11-01T10:00:00.000Z', reviewed: '2026-10-01', expires: '2027-01-01' };

let dir: string;
let key: SigningKey;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'exdef-approval-file-'));
  writeFileSync(join(dir, 'key'), generateEd25519KeyPair('approver').private, { mode: 0o600 });
  key = readSigningKey(join(dir, 'key'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('writing a signed record', () => {
  it('makes the approvals directories 0700 and the record and its signature 0600, even under umask 000', () => {
    const directory = join(dir, 'provider', 'approvals');
    const previous = process.umask(0);
    let file: string;
    try {
      file = writeSignedRecord(directory, APPROVAL, key);
      writeSignedRecord(directory, { kind: 'revocation', definition: 'chis', practice: 'A81001', revokedBy: 'x', role: 'y', revokedAt: '2026-11-02T00:00:00.000Z' }, key);
    } finally {
      process.umask(previous);
    }
    const mode = (path: string) => statSync(path).mode & 0o777;
    expect(mode(join(dir, 'provider'))).toBe(0o700);
    expect(mode(directory)).toBe(0o700);
    expect(readdirSync(directory)).toHaveLength(4);
    for (const name of readdirSync(directory)) expect([name, mode(join(directory, name))]).toEqual([name, 0o600]);
    expect(file.endsWith('.approval')).toBe(true);
  });

  it('an approvals directory that cannot be made (under /proc) is one line, exit 2, at once', () => {
    const started = Date.now();
    let thrown: unknown;
    try {
      writeSignedRecord('/proc/x/approvals', APPROVAL, key);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ExdefError);
    expect((thrown as ExdefError).exitCode).toBe(2);
    expect((thrown as Error).message).toBe('cannot make the approvals directory /proc/x/approvals: it cannot be made there');
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe("exdef approve's trust check", () => {
  const provider = (signers: string): ProviderConfig => {
    const file = join(dir, `allowed_signers.${Math.random().toString(36).slice(2)}`);
    writeFileSync(file, signers);
    return { approvals: { directory: join(dir, 'approvals'), allowedSigners: file } } as ProviderConfig;
  };
  const now = new Date('2026-12-03T06:48:00Z');

  it('is not checked (trusted: null) without a provider, never reported as trusted', () => {
    expect(checkTrust(undefined, key, 'A81001', 'approval', now)).toEqual({ trusted: null });
    expect(checkTrust({ approvals: { directory: dir, allowedSigners: join(dir, 'missing') } } as ProviderConfig, key, 'A81001', 'approval', now)).toMatchObject({ trusted: null, warning: expect.stringMatching(/cannot read the allowed signers file/) });
  });

  it('says a key whose line is there but not yet valid (or expired) is that, instead of asking for the line again', () => {
    expect(checkTrust(provider(`A81001 namespaces="exdef-approval@nhs" ${key.publicKey}\n`), key, 'A81001', 'approval', now)).toEqual({ trusted: true });
    const early = checkTrust(provider(`A81001 namespaces="exdef-approval@nhs",valid-after="20261210" ${key.publicKey}\n`), key, 'A81001', 'approval', now);
    expect(early.trusted).toBe(false);
    expect(early.warning).toMatch(/:1 trusts SHA256:\S+ for A81001 only from valid-after="20261210": the key is not yet valid/);
    expect(early.warning).not.toMatch(/is added/);
    const late = checkTrust(provider(`A81001 namespaces="exdef-approval@nhs",valid-before="20261201" ${key.publicKey}\n`), key, 'A81001', 'approval', now);
    expect(late.warning).toMatch(/only until valid-before="20261201": the key has expired/);
    // A revocation counts whatever the line's dates (approval-status.ts).
    expect(checkTrust(provider(`A81001 namespaces="exdef-approval@nhs",valid-before="20261201" ${key.publicKey}\n`), key, 'A81001', 'revocation', now)).toEqual({ trusted: true });
    // No line at all: the line to add.
    expect(checkTrust(provider(`A81002 namespaces="exdef-approval@nhs" ${key.publicKey}\n`), key, 'A81001', 'approval', now).warning).toMatch(/does not trust SHA256:\S+ for A81001: runs ignore this record until a line "A81001 namespaces=/);
  });
});
