import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { keyValidity, matchPatternList, parseAllowedSigners, signerTime, trustingSigners } from '../../../src/approval/allowed-signers.js';
import { generateEd25519KeyPair } from '../../../src/approval/ed25519-keygen.js';
import { readSigningKey, signSshsig } from '../../../src/approval/sshsig.js';
import { inCi } from '../../../src/ci-environment.js';

const NAMESPACE = 'exdef-approval@nhs';
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHzXUhoVoLvUgmMKdn40fncf05FBoq4GQVFWvBi8eP8F';
const line = (options: string, principals = 'A81001') => parseAllowedSigners(`${principals} ${options} ${KEY} holder\n`, 'allowed_signers');
const trusts = (options: string, at: Date | string, namespace = NAMESPACE) => trustingSigners(line(options), KEY, 'A81001', namespace, at).length > 0;

// Times of day are read in the process's zone, as ssh-keygen reads them in the system's.
const zone = process.env['TZ'];
const inZone = (tz: string) => {
  process.env['TZ'] = tz;
};
afterEach(() => {
  if (zone === undefined) delete process.env['TZ'];
  else process.env['TZ'] = zone;
});

describe('allowed_signers namespaces', () => {
  it('a negated namespace pattern refuses, as ssh\'s match_pattern_list does', () => {
    expect(trusts('namespaces="*,!exdef-approval@nhs"', '2026-12-03T12:00:00Z')).toBe(false);
    expect(trusts('namespaces="!exdef-approval@nhs,*"', '2026-12-03T12:00:00Z')).toBe(false);
    expect(trusts('namespaces="*,!git"', '2026-12-03T12:00:00Z')).toBe(true);
    expect(trusts('namespaces="exdef-*"', '2026-12-03T12:00:00Z')).toBe(true);
    expect(trusts('namespaces="git,file"', '2026-12-03T12:00:00Z')).toBe(false);
    expect(matchPatternList(['A8100?', '!A81009'], 'A81005')).toBe(true);
    expect(matchPatternList(['A8100?', '!A81009'], 'A81009')).toBe(false);
  });
});

describe('allowed_signers valid-after / valid-before', () => {
  it('is an instant with its time of day: a key valid from 23:59 UTC is not valid at 06:48 the same day', () => {
    expect(trusts('valid-after="202612032359Z"', new Date('2026-12-03T06:48:24Z'))).toBe(false);
    expect(trusts('valid-after="202612032359Z"', new Date('2026-12-03T23:59:00Z'))).toBe(true);
    expect(trusts('valid-before="20261203120000Z"', new Date('2026-12-03T12:00:00Z'))).toBe(true);
    expect(trusts('valid-before="20261203120000Z"', new Date('2026-12-03T12:00:01Z'))).toBe(false);
    expect(keyValidity(line('valid-after="20261210Z"')[0]!, new Date('2026-12-03T06:48:00Z'))).toBe('not-yet-valid');
    expect(keyValidity(line('valid-before="20261201Z"')[0]!, new Date('2026-12-03T06:48:00Z'))).toBe('expired');
  });

  it('without Z, in the local zone\'s standard time (mktime with tm_isdst = 0), and ending UTC like Z', () => {
    inZone('Europe/London');
    // Winter: GMT. Summer: still GMT, not BST, as ssh-keygen has it (checked against it below).
    expect(signerTime('20270101')).toBe(Date.parse('2027-01-01T00:00:00Z') / 1000);
    expect(signerTime('20270701')).toBe(Date.parse('2027-07-01T00:00:00Z') / 1000);
    inZone('America/New_York');
    expect(signerTime('202707011230')).toBe(Date.parse('2027-07-01T17:30:00Z') / 1000);
    expect(signerTime('202707011230UTC')).toBe(Date.parse('2027-07-01T12:30:00Z') / 1000);
    expect(signerTime('202707011230z')).toBe(Date.parse('2027-07-01T12:30:00Z') / 1000);
    for (const wrong of ['2026-12-01', '202612', '2026120112', '20261301', '20261200', '202612012460Z', '20261201 ']) expect(signerTime(wrong), wrong).toBeUndefined();
    expect(() => line('valid-after="20261301"')).toThrow(/valid-after "20261301" is not a time as ssh-keygen writes it/);
  });
});

const SSH_KEYGEN = '/usr/bin/ssh-keygen';
describe.runIf(existsSync(SSH_KEYGEN) || inCi())('valid-after / valid-before, checked by ssh-keygen -Y verify itself', () => {
  let dir: string;
  let keyFile: string;
  let publicLine: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'exdef-allowed-signers-'));
    const pair = generateEd25519KeyPair('dated');
    keyFile = join(dir, 'key');
    writeFileSync(keyFile, pair.private, { mode: 0o600 });
    publicLine = pair.public;
    writeFileSync(join(dir, 'message'), 'exdef_approval: 1\n');
    writeFileSync(join(dir, 'message.sig'), signSshsig(Buffer.from('exdef_approval: 1\n'), NAMESPACE, readSigningKey(keyFile)));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exdef trusts the key at exactly the instants ssh-keygen does, in UTC and in local time across a DST change', () => {
    const cases: [string, string, string][] = [
      ['UTC', 'valid-after="202612032359Z"', '20261203064824Z'],
      ['UTC', 'valid-after="202612032359Z"', '20261203235900Z'],
      ['UTC', 'valid-before="20261203"', '20261203000000Z'],
      ['UTC', 'valid-before="20261203"', '20261203000001Z'],
      ['Europe/London', 'valid-after="20270701"', '20270630233000Z'],
      ['Europe/London', 'valid-after="20270701"', '20270701000000Z'],
      ['Europe/London', 'valid-after="20270101"', '20261231235959Z'],
      ['Europe/London', 'valid-after="20270101"', '20270101000000Z'],
      ['America/New_York', 'valid-before="202707011230"', '20270701173000Z'],
      ['America/New_York', 'valid-before="202707011230"', '20270701173001Z'],
      ['Australia/Sydney', 'valid-after="20270115"', '20270114130000Z'],
      ['Australia/Sydney', 'valid-after="20270115"', '20270114135959Z'],
    ];
    for (const [tz, options, verifyTime] of cases) {
      writeFileSync(join(dir, 'allowed_signers'), `A81001 namespaces="${NAMESPACE}",${options} ${publicLine}\n`);
      const keygen = spawnSync(SSH_KEYGEN, ['-Y', 'verify', '-f', join(dir, 'allowed_signers'), '-I', 'A81001', '-n', NAMESPACE, '-s', join(dir, 'message.sig'), `-Overify-time=${verifyTime}`], {
        input: 'exdef_approval: 1\n',
        encoding: 'utf8',
        env: { ...process.env, TZ: tz },
      });
      inZone(tz);
      const at = new Date(verifyTime.replace(/^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z'));
      expect(trusts(`namespaces="${NAMESPACE}",${options}`, at), `${tz} ${options} at ${verifyTime}: ${keygen.stderr}`).toBe(keygen.status === 0);
    }
  });
});
