import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { afterAll, describe, expect, it } from 'vitest';
import { generateEd25519KeyPair } from '../../../src/approval/ed25519-keygen.js';
import { readSigningKey } from '../../../src/approval/sshsig.js';
import { inCi } from '../../../src/ci-environment.js';

const SSH_KEYGEN = '/usr/bin/ssh-keygen';

/** The raw 32-byte public key of a `ssh-ed25519 AAAA...` line. */
function rawPublic(line: string): Buffer {
  const blob = Buffer.from(line.split(' ')[1]!, 'base64');
  return blob.subarray(4 + 11 + 4);
}

describe('generateEd25519KeyPair', () => {
  const dir = mkdtempSync(join(tmpdir(), 'exdef-keygen-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('makes keys that ssh2 parses and exdef signs with, including those whose public key starts with a zero byte', () => {
    // ssh2's own generator loses that zero byte (about one key in 256): find such a key, then check it.
    let zeroFirst: ReturnType<typeof generateEd25519KeyPair> | undefined;
    for (let i = 0; i < 20_000 && !zeroFirst; i++) {
      const pair = generateEd25519KeyPair(`k${i}`);
      expect(rawPublic(pair.public).length).toBe(32);
      if (i < 300) {
        const parsed = ssh2.utils.parseKey(pair.private);
        expect(parsed instanceof Error ? parsed.message : 'parsed').toBe('parsed');
      }
      if (rawPublic(pair.public)[0] === 0) zeroFirst = pair;
    }
    expect(zeroFirst, 'no key with a leading zero byte in 20,000').toBeDefined();
    const file = join(dir, 'zero');
    writeFileSync(file, zeroFirst!.private, { mode: 0o600 });
    const key = readSigningKey(file);
    expect(`${key.publicKey} ${zeroFirst!.public.split(' ')[2]}`).toBe(zeroFirst!.public);
    const parsed = ssh2.utils.parseKey(zeroFirst!.public);
    expect(parsed instanceof Error ? parsed.message : 'parsed').toBe('parsed');
  });

  it.runIf(existsSync(SSH_KEYGEN) || inCi())('writes what ssh-keygen reads: the private key gives back the same public line', () => {
    for (let i = 0; i < 5; i++) {
      const pair = generateEd25519KeyPair(`approver${i}@test`);
      const file = join(dir, `k${i}`);
      writeFileSync(file, pair.private, { mode: 0o600 });
      const derived = spawnSync(SSH_KEYGEN, ['-y', '-f', file], { encoding: 'utf8' });
      expect(derived.stderr).toBe('');
      expect(derived.stdout.trim()).toBe(pair.public);
    }
  });
});
