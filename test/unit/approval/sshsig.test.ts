import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import ssh2 from 'ssh2';
import { generateEd25519KeyPair } from '../../../src/approval/ed25519-keygen.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSshsig, readSigningKey, signSshsig, verifySshsig } from '../../../src/approval/sshsig.js';
import { inCi } from '../../../src/ci-environment.js';

const SSH_KEYGEN = '/usr/bin/ssh-keygen';
const NAMESPACE = 'exdef-approval@nhs';
// Under CI the real ssh-keygen must be there: the test never skips.
const haveKeygen = existsSync(SSH_KEYGEN) || inCi();

describe.runIf(haveKeygen)('SSHSIG signatures, checked by OpenSSH itself', () => {
  let dir: string;
  let keyFile: string;
  let publicLine: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'exdef-sshsig-'));
    const pair = generateEd25519KeyPair('approver@test');
    keyFile = join(dir, 'key');
    writeFileSync(keyFile, pair.private, { mode: 0o600 });
    publicLine = pair.public;
    writeFileSync(join(dir, 'allowed_signers'), `A81001 namespaces="${NAMESPACE}" ${pair.public}\n`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const keygenVerify = (message: Buffer, signature: string, principal = 'A81001', namespace = NAMESPACE) => {
    writeFileSync(join(dir, 'msg.sig'), signature);
    return spawnSync(SSH_KEYGEN, ['-Y', 'verify', '-f', join(dir, 'allowed_signers'), '-I', principal, '-n', namespace, '-s', join(dir, 'msg.sig')], { input: message, encoding: 'utf8' });
  };

  it('ssh-keygen -Y verify accepts what exdef signs, for any message', () => {
    const key = readSigningKey(keyFile);
    expect(key.publicKey).toBe(publicLine.split(' ').slice(0, 2).join(' '));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const message = Buffer.from(bytes);
        const result = keygenVerify(message, signSshsig(message, NAMESPACE, key));
        expect(result.status, result.stderr).toBe(0);
        expect(result.stdout).toContain('Good "exdef-approval@nhs" signature for A81001');
      }),
      { numRuns: 8 },
    );
  });

  it('ssh-keygen refuses the signature for a changed message, another namespace or another principal', () => {
    const key = readSigningKey(keyFile);
    const message = Buffer.from('exdef_approval: 1\npractice: A81001\n');
    const signature = signSshsig(message, NAMESPACE, key);
    expect(keygenVerify(Buffer.from('exdef_approval: 1\npractice: A81002\n'), signature).status).not.toBe(0);
    expect(keygenVerify(message, signature, 'A81002').status).not.toBe(0);
    expect(keygenVerify(message, signSshsig(message, 'file', key), 'A81001').status).not.toBe(0);
  });

  it('exdef verifies what ssh-keygen -Y sign writes, and refuses it when any byte of the message changes', () => {
    const message = Buffer.from('definition: chis-immunisations\nversion: 3\n');
    const file = join(dir, 'record');
    writeFileSync(file, message);
    execFileSync(SSH_KEYGEN, ['-q', '-Y', 'sign', '-f', keyFile, '-n', NAMESPACE, file], { stdio: 'ignore' });
    const parsed = parseSshsig(readFileSync(`${file}.sig`, 'utf8'));
    if (typeof parsed === 'string') throw new Error(parsed);
    expect(parsed.publicKey).toBe(readSigningKey(keyFile).publicKey);
    expect(verifySshsig(message, NAMESPACE, parsed)).toBe(true);
    expect(verifySshsig(message, 'file', parsed)).toBe(false);
    fc.assert(
      fc.property(fc.nat({ max: message.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, delta) => {
        const changed = Buffer.from(message);
        changed[at] = (changed[at]! + delta) % 256;
        expect(verifySshsig(changed, NAMESPACE, parsed)).toBe(false);
      }),
    );
  });

  it('refuses keys other than ed25519 with one line, and reads a malformed signature as a reason', () => {
    const rsa = ssh2.utils.generateKeyPairSync('ecdsa', { bits: 256 });
    writeFileSync(join(dir, 'ecdsa'), rsa.private, { mode: 0o600 });
    expect(() => readSigningKey(join(dir, 'ecdsa'))).toThrow(/ecdsa-sha2-nistp256 key: approvals are signed with ed25519 keys only/);
    expect(() => readSigningKey(`${keyFile}.missing`)).toThrow(/cannot read the key/);
    const signature = signSshsig(Buffer.from('x'), NAMESPACE, readSigningKey(keyFile));
    const lines = signature.trimEnd().split('\n');
    const truncated = [...lines.slice(0, -2), lines.at(-2)!.slice(0, 20), lines.at(-1)!].join('\n');
    expect(parseSshsig(truncated)).toMatch(/truncated|malformed|not base64/);
    expect(parseSshsig('hello')).toMatch(/not an SSH signature/);
  });
});
