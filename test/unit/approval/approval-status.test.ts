import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { generateEd25519KeyPair } from '../../../src/approval/ed25519-keygen.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matchPatternList, parseAllowedSigners } from '../../../src/approval/allowed-signers.js';
import { approveDefinition, revokeApprovals, type DefinitionToApprove } from '../../../src/approval/approve-definition.js';
import { readSignedRecords, writeSignedRecord, type Approval } from '../../../src/approval/approval-file.js';
import { decidePractices, judgeRecords, latestExpiry } from '../../../src/approval/approval-status.js';
import { readSigningKey, type SigningKey } from '../../../src/approval/sshsig.js';
import { findProviderConfig, loadProviderConfig } from '../../../src/provider/provider-config.js';

const DEFINITION: DefinitionToApprove = { id: 'chis', version: 3, title: 'CHIS feed', fingerprint: 'f'.repeat(64), digest: 'd'.repeat(64), reviewed: '2026-10-01', practices: ['A81001', 'A81002', 'A81003'] };

let dir: string;
let trusted: SigningKey;
let stranger: SigningKey;
const newKey = (name: string) => {
  const file = join(dir, name);
  writeFileSync(file, generateEd25519KeyPair(name).private, { mode: 0o600 });
  return readSigningKey(file);
};
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'exdef-approval-status-'));
  trusted = newKey('trusted');
  stranger = newKey('stranger');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fresh approvals directory and allowed_signers trusting `trusted` for A81001 and A81002 (and `extra` lines). */
function fresh(name: string, extra = '') {
  const directory = join(dir, name);
  const signers = parseAllowedSigners(`# practices' approvers\nA81001,A81002 namespaces="exdef-approval@nhs" ${trusted.publicKey} jane\n${extra}`, 'allowed_signers');
  const judge = (date: string, definition: DefinitionToApprove | undefined = DEFINITION, now?: Date) => judgeRecords(readSignedRecords(directory), signers, date, definition, now);
  return { directory, judge };
}

const approve = (directory: string, practice: string, o: { key?: SigningKey; at?: string; definition?: DefinitionToApprove; expires?: string } = {}) =>
  approveDefinition({ definition: o.definition ?? DEFINITION, practice, by: 'Dr Jane Smith', role: 'Caldicott Guardian', key: o.key ?? trusted, directory, now: new Date(o.at ?? '2026-11-01T10:00:00Z'), ...(o.expires ? { expires: o.expires } : {}) });

describe('approval states', () => {
  it('valid through its last day (three months after the review), expired the day after, with the date', () => {
    const { directory, judge } = fresh('expiry');
    const { approval } = approve(directory, 'A81001');
    expect(approval.expires).toBe('2027-01-01');
    expect(judge('2027-01-01')[0]).toMatchObject({ state: 'valid' });
    expect(judge('2027-01-02')[0]).toMatchObject({ state: 'expired', reason: 'its last day was 2027-01-01' });
  });

  it('for another fingerprint or another version of the definition; untrusted keys and practices; a revocation after it', () => {
    const { directory, judge } = fresh('states');
    approve(directory, 'A81001');
    approve(directory, 'A81002', { key: stranger });
    approve(directory, 'A81003'); // trusted key, but not for A81003
    expect(judge('2026-11-21').map((s) => s.state)).toEqual(['valid', 'untrusted', 'untrusted']);
    expect(judge('2026-11-21', { ...DEFINITION, fingerprint: 'e'.repeat(64) })[0]).toMatchObject({ state: 'other-fingerprint' });
    expect(judge('2026-11-21', { ...DEFINITION, version: 4, digest: 'c'.repeat(64) })[0]).toMatchObject({ state: 'other-version' });
    // A revocation by an untrusted key is ignored; a trusted one revokes what was signed before it.
    revokeApprovals({ definition: DEFINITION, practice: 'A81001', by: 'Mallory', role: 'x', key: stranger, directory, now: new Date('2026-11-02T00:00:00Z') });
    expect(judge('2026-11-21').find((s) => s.kind === 'approval' && s.practice === 'A81001')).toMatchObject({ state: 'valid' });
    revokeApprovals({ definition: DEFINITION, practice: 'A81001', by: 'Sam Patel', role: 'Practice Manager', key: trusted, directory, now: new Date('2026-11-03T00:00:00Z') });
    expect(judge('2026-11-21').find((s) => s.kind === 'approval' && s.practice === 'A81001')).toMatchObject({ state: 'revoked', reason: 'on 2026-11-03 by Sam Patel (Practice Manager)' });
    // Approved again after the revocation: valid again.
    approve(directory, 'A81001', { at: '2026-11-04T00:00:00Z' });
    const decisions = decidePractices(DEFINITION, DEFINITION.practices, judge('2026-11-21'));
    expect(decisions.map((d) => [d.practice, d.approved, d.reason.split(':')[0]])).toEqual([
      ['A81001', true, 'approved by Dr Jane Smith (Caldicott Guardian) on 2026-11-04, until 2027-01-01'],
      ['A81002', false, 'approval signed by an untrusted key'],
      ['A81003', false, 'approval signed by an untrusted key'],
    ]);
  });

  it('holds for the catalogue it names only: another catalogue, or an approval naming none, is another version', () => {
    const { directory, judge } = fresh('catalogue');
    const reference = { name: 'reference', digest: 'a'.repeat(64) };
    approve(directory, 'A81001', { definition: { ...DEFINITION, catalogue: reference } });
    approve(directory, 'A81002'); // signed without a catalogue, as an earlier exdef did
    const run = (catalogue: { name: string; digest: string }) => judge('2026-11-21', { ...DEFINITION, catalogue }).map((s) => [s.practice, s.state, s.reason]);
    expect(run(reference)[0]).toEqual(['A81001', 'valid', expect.stringMatching(/^approved by Dr Jane Smith/)]);
    expect(run(reference)[1]).toEqual(['A81002', 'other-version', 'names no catalogue (signed by an earlier exdef): it holds for none, so A81002 approves again']);
    // The provider's catalogue changed after the approval (a renamed opt-out value, a dropped confidential flag).
    expect(run({ name: 'reference', digest: 'b'.repeat(64) })[0]).toEqual([
      'A81001',
      'other-version',
      `approves reading the data through the catalogue reference (sha256 aaaaaaaaaaaa), not reference (sha256 bbbbbbbbbbbb): the catalogue changed what the definition's fields and guards read`,
    ]);
    // The file says which catalogue, and a changed name or digest breaks its signature like any byte.
    const file = readSignedRecords(directory).find((f) => f.record?.practice === 'A81001')!;
    expect(readFileSync(file.file, 'utf8')).toContain(`catalogue_sha256: ${'a'.repeat(64)}`);
    // A listing without a catalogue to judge by does not check it.
    expect(judge('2026-11-21').map((s) => s.state)).toEqual(['valid', 'valid']);
  });

  it('any byte changed, a missing signature, or an expiry beyond the review cycle makes an approval invalid', () => {
    const { directory, judge } = fresh('invalid');
    const { file } = approve(directory, 'A81001');
    const original = readFileSync(file);
    fc.assert(
      fc.property(fc.nat({ max: original.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, delta) => {
        const changed = Buffer.from(original);
        changed[at] = (changed[at]! + delta) % 256;
        writeFileSync(file, changed);
        expect(judge('2026-11-21')[0]!.state).toBe('invalid');
      }),
      { numRuns: 40 },
    );
    writeFileSync(file, original);
    expect(judge('2026-11-21')[0]!.state).toBe('valid');
    rmSync(`${file}.sig`);
    expect(judge('2026-11-21')[0]).toMatchObject({ state: 'invalid', reason: 'the file has no signature (.sig): it is ignored' });
    // Signed with a trusted key, but claiming longer than the review allows: written by hand, not by exdef approve.
    const long: Approval = { kind: 'approval', definition: 'chis', version: 3, title: 't', fingerprint: DEFINITION.fingerprint, digest: DEFINITION.digest, practice: 'A81002', approvedBy: 'x', role: 'y', approvedAt: '2026-11-01T00:00:00.000Z', reviewed: '2026-10-01', expires: '2027-01-02' };
    writeSignedRecord(directory, long, trusted);
    expect(judge('2026-11-21').find((s) => s.practice === 'A81002')).toMatchObject({ state: 'invalid' });
    // A timestamp written otherwise would compare wrongly with a revocation's: refused.
    writeSignedRecord(directory, { ...long, practice: 'A81003', expires: '2027-01-01', approvedAt: '2026-11-01' }, trusted);
    expect(judge('2026-11-21').find((s) => s.practice === undefined)?.reason).toMatch(/approved_at "2026-11-01" is not written as exdef writes it/);
  });

  it('a practice with no approval is named as such', () => {
    const { judge } = fresh('empty');
    expect(decidePractices(DEFINITION, ['A81001'], judge('2026-11-21'))).toEqual([{ practice: 'A81001', approved: false, reason: 'no approval' }]);
  });
});

describe("a key's allowed_signers dates", () => {
  it('are judged on the clock, not on the run\'s date: a future --today does not bring a not-yet-valid key forward', () => {
    // The stranger's key is trusted for A81003 from 2026-11-10 at 23:59 UTC only.
    const { directory, judge } = fresh('key-dates', `A81003 namespaces="exdef-approval@nhs",valid-after="202611102359Z" ${stranger.publicKey} new CG\n`);
    approve(directory, 'A81003', { key: stranger });
    const status = (date: string, now: string) => judge(date, DEFINITION, new Date(now))[0]!;
    // A run for 2026-11-21 (--today), on 2026-11-03 by the clock: the key is not valid yet.
    expect(status('2026-11-21', '2026-11-03T06:48:00Z')).toMatchObject({ state: 'untrusted', reason: expect.stringMatching(/is not yet valid for A81003: line 3 of allowed_signers says valid-after="202611102359Z"/) });
    // The same day as valid-after, before its time of day: still not valid.
    expect(status('2026-11-10', '2026-11-10T12:00:00Z').state).toBe('untrusted');
    expect(status('2026-11-10', '2026-11-10T23:59:00Z').state).toBe('valid');
    // The approval's own expiry stays judged on the run's date.
    expect(status('2027-01-02', '2026-11-21T00:00:00Z').state).toBe('expired');
  });
});

describe('a revocation that cannot be read or verified', () => {
  const revoke = (directory: string, at: string, key = trusted) => revokeApprovals({ definition: DEFINITION, practice: 'A81001', by: 'Sam Patel', role: 'Practice Manager', key, directory, now: new Date(at) }).file;

  it('leaves its practice out (fail closed), naming the file and why; the other practices are not affected', () => {
    const { directory, judge } = fresh('unverified-revocation');
    approve(directory, 'A81001');
    approve(directory, 'A81002');
    const file = revoke(directory, '2026-11-02T00:00:00Z');
    const decide = () => decidePractices(DEFINITION, ['A81001', 'A81002'], judge('2026-11-21'));
    expect(decide().map((d) => d.approved)).toEqual([false, true]);
    // Its signature lost: unverifiable, so A81001 stays out, saying why.
    const signature = readFileSync(`${file}.sig`, 'utf8');
    rmSync(`${file}.sig`);
    expect(decide()[0]).toEqual({ practice: 'A81001', approved: false, reason: `a revocation that cannot be verified: ${file}: has no signature (.sig)`, approval: file });
    expect(decide()[1]!.approved).toBe(true);
    expect(judge('2026-11-21').find((s) => s.file === file)).toMatchObject({ kind: 'revocation', state: 'invalid', practice: 'A81001', reason: expect.stringMatching(/runs of chis leave A81001 out until it can be verified/) });
    // A garbled signature, or a changed record: the same.
    writeFileSync(`${file}.sig`, signature.replace(/\n[A-Za-z0-9+/]{10}/, '\nAAAAAAAAAA'));
    expect(decide()[0]!.reason).toMatch(/^a revocation that cannot be verified: .*\.revocation: (its signature is unusable|does not match its signature)/);
    writeFileSync(`${file}.sig`, signature);
    expect(decide()[0]!.reason).toMatch(/^approval revoked/);
    // Not readable at all (here: not a regular file), so only its name says whose it is.
    rmSync(file);
    rmSync(`${file}.sig`);
    mkdirSync(file);
    expect(decide()[0]).toMatchObject({ approved: false, reason: `a revocation that cannot be verified: ${file}: is not a regular file` });
    expect(judge('2026-11-21').find((s) => s.file === file)).toMatchObject({ kind: 'revocation', definition: 'chis', practice: 'A81001', state: 'invalid' });
    // Of another definition: not this one's concern.
    expect(decidePractices({ ...DEFINITION, id: 'other' }, ['A81001'], judge('2026-11-21', undefined))[0]!.reason).toBe('no approval');
  });

  it('a correctly signed revocation by an untrusted key is still ignored (anyone could make one)', () => {
    const { directory, judge } = fresh('untrusted-revocation');
    approve(directory, 'A81001');
    revoke(directory, '2026-11-02T00:00:00Z', stranger);
    expect(decidePractices(DEFINITION, ['A81001'], judge('2026-11-21'))[0]!.approved).toBe(true);
  });
});

describe('the expiry rule', () => {
  it('the default and latest expiry is three months after the review (clamped to month ends), never earlier than the review', () => {
    expect(latestExpiry('2026-11-30')).toBe('2027-02-28');
    fc.assert(
      fc.property(fc.date({ min: new Date('2020-01-01'), max: new Date('2035-12-31'), noInvalidDate: true }), (d) => {
        const reviewed = d.toISOString().slice(0, 10);
        const last = latestExpiry(reviewed);
        const days = (Date.parse(last) - Date.parse(reviewed)) / 86_400_000;
        expect(days).toBeGreaterThanOrEqual(89);
        expect(days).toBeLessThanOrEqual(92);
      }),
    );
  });

  it('approve refuses an expiry after the review cycle, a review over three months old, a practice not in the definition, and no review', () => {
    const directory = join(dir, 'refusals');
    expect(() => approve(directory, 'A81001', { expires: '2027-01-02' })).toThrow(/--expires 2027-01-02 is after 2027-01-01, 3 months after the review of 2026-10-01/);
    expect(approve(directory, 'A81001', { expires: '2026-12-01' }).approval.expires).toBe('2026-12-01');
    expect(() => approve(directory, 'A81001', { at: '2027-01-02T00:00:00Z' })).toThrow(/last reviewed on 2026-10-01, more than 3 months ago/);
    expect(() => approve(directory, 'B99999')).toThrow(/--practice B99999 is not a practice of chis/);
    expect(() => approve(directory, 'A81001', { definition: { ...DEFINITION, reviewed: undefined } })).toThrow(/has no review.last_reviewed/);
  });

  it('a review dated in the future gives no longer than three months from the signing day, and a record claiming longer is invalid', () => {
    const { directory, judge } = fresh('future-review');
    const future = { ...DEFINITION, reviewed: '2027-11-01' };
    // Signed on 2026-11-01 for a definition "reviewed" a year later: three months from the signing day.
    expect(approve(directory, 'A81001', { definition: future }).approval.expires).toBe('2027-02-01');
    expect(() => approve(directory, 'A81001', { definition: future, expires: '2027-02-02' })).toThrow(/--expires 2027-02-02 is after 2027-02-01, 3 months after today, 2026-11-01 \(the review is dated 2027-11-01, in the future\)/);
    expect(judge('2027-01-15', future)[0]).toMatchObject({ state: 'valid' });
    // Signed by hand (or by an older exdef) until three months after the future review: invalid.
    const long: Approval = { kind: 'approval', definition: 'chis', version: 3, title: 't', fingerprint: future.fingerprint, digest: future.digest, practice: 'A81002', approvedBy: 'x', role: 'y', approvedAt: '2026-11-01T00:00:00.000Z', reviewed: '2027-11-01', expires: '2028-02-01' };
    writeSignedRecord(directory, long, trusted);
    expect(judge('2027-01-15', future).find((s) => s.practice === 'A81002')).toMatchObject({ state: 'invalid', reason: 'its expiry 2028-02-01 is more than 3 months after its signing on 2026-11-01 (the review of 2027-11-01 is later)' });
    expect(latestExpiry('2027-11-01', '2026-11-01')).toBe('2027-02-01');
    expect(latestExpiry('2026-10-01', '2026-11-01')).toBe('2027-01-01');
  });
});

describe('allowed_signers', () => {
  it('reads principals, options and comments as ssh-keygen does, and names the line of a mistake', () => {
    const [signer] = parseAllowedSigners(`"A81001,A8100?,!A81009" cert-authority,namespaces="a,b",valid-after="20260101" ssh-ed25519 AAAAC3Nz key holder\n`, 'f');
    expect(signer).toMatchObject({ principals: ['A81001', 'A8100?', '!A81009'], certAuthority: true, namespaces: ['a', 'b'], validAfter: '20260101', comment: 'key holder', line: 1 });
    expect(matchPatternList(signer!.principals, 'A81005')).toBe(true);
    expect(matchPatternList(signer!.principals, 'A81009')).toBe(false);
    expect(matchPatternList(['*'], 'A81001')).toBe(true);
    expect(() => parseAllowedSigners('\n\nA81001 frobnicate ssh-ed25519 AAAA\n', 'signers')).toThrow(/^signers:3:8: unknown option "frobnicate"/);
    expect(() => parseAllowedSigners('A81001\n', 'signers')).toThrow(/^signers:1:1: expected: principals/);
  });
});

describe('the provider configuration', () => {
  it('paths relative to the file; --provider, then EXDEF_PROVIDER, then ./exdef.provider.yaml', () => {
    const config = join(dir, 'exdef.provider.yaml');
    writeFileSync(config, 'approvals:\n  directory: approvals\n  allowed_signers: /etc/exdef/allowed_signers\ndelivery:\n  host: sftp.example\n');
    const loaded = loadProviderConfig(config);
    expect(loaded.approvals).toEqual({ directory: join(dir, 'approvals'), allowedSigners: '/etc/exdef/allowed_signers' });
    expect(loaded.raw['delivery']).toEqual({ host: 'sftp.example' });
    expect(findProviderConfig('p.yaml', { EXDEF_PROVIDER: 'e.yaml' }, dir)).toBe(join(dir, 'p.yaml'));
    expect(findProviderConfig(undefined, { EXDEF_PROVIDER: 'e.yaml' }, dir)).toBe(join(dir, 'e.yaml'));
    expect(findProviderConfig(undefined, {}, dir)).toBe(config);
    expect(findProviderConfig(undefined, {}, tmpdir())).toBeUndefined();
  });

  it('an unknown section or key, or a missing path, is one line naming file:line:col', () => {
    const config = join(dir, 'bad.yaml');
    writeFileSync(config, 'approvals:\n  directory: a\n  allowed_signers: b\ndelivry: {}\n');
    expect(() => loadProviderConfig(config)).toThrow(new RegExp(`^${config}:4:1: unknown section "delivry"`));
    writeFileSync(config, 'approvals:\n  directory: a\n  signers: b\n');
    expect(() => loadProviderConfig(config)).toThrow(new RegExp(`^${config}:3:3: unknown key approvals.signers`));
    writeFileSync(config, 'approvals:\n  directory: a\n');
    expect(() => loadProviderConfig(config)).toThrow(/approvals.allowed_signers is missing/);
  });
});
