import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../../support/certificates.js';
import { certificateProblem, checkOpenssl, encryptSmime } from '../../../src/execute/encrypt.js';
import { isExdefError } from '../../../src/failure.js';

const dir = mkdtempSync(join(tmpdir(), 'exdef-encrypt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const at = (name: string) => join(dir, name);

/** A command run in the temporary directory, as a recipient would type it. */
function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (isExdefError(error)) return error.message;
    throw error;
  }
  throw new Error('expected a failure');
}

function script(name: string, body: string): string {
  const path = at(name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

beforeAll(() => {
  // Seed 002's commands, with -subj so that req asks nothing.
  openssl('genpkey', '-algorithm', 'RSA', '-out', 'private.pem', '-pkeyopt', 'rsa_keygen_bits:2048');
  selfSignedCertificate(dir, { key: 'private.pem', certificate: 'certificate.pem', name: 'test' });
  writeFileSync(at('notes.txt'), 'not a certificate\n');
});

describe('checkOpenssl', () => {
  it('finds the installed openssl good enough', async () => {
    expect(await checkOpenssl()).toBeUndefined();
  });

  it('says when openssl is missing or too old', async () => {
    expect(await checkOpenssl({ openssl: at('no-such-openssl') })).toMatch(/no-such-openssl is not installed \(or not on PATH\): install OpenSSL 1\.1\.1 or later/);
    const old = script('old-openssl', 'echo "OpenSSL 1.0.2k-fips  26 Jan 2017"');
    expect(await checkOpenssl({ openssl: old })).toMatch(/is too old \(OpenSSL 1\.0\.2k-fips\)/);
    const libre = script('libre-openssl', 'if [ "$1" = version ]; then echo "LibreSSL 2.8.3"; else echo "Invalid command cms" >&2; exit 1; fi');
    expect(await checkOpenssl({ openssl: libre })).toMatch(/\(LibreSSL 2\.8\.3\) has no cms command/);
  });
});

describe('encryptSmime', () => {
  it('encrypts so that seed 002’s exact openssl smime -decrypt gives back the bytes', async () => {
    const zip = at('medicus-data-extract.zip');
    const content = randomBytes(4 * 1024 * 1024 + 5);
    writeFileSync(zip, content);
    await encryptSmime(zip, at('medicus-data-extract.zip.enc'), at('certificate.pem'));
    const encrypted = readFileSync(at('medicus-data-extract.zip.enc'), 'latin1');
    expect(encrypted).toMatch(/^MIME-Version: 1\.0/);
    expect(encrypted).toMatch(/smime-type=enveloped-data/);
    rmSync(zip);
    openssl('smime', '-decrypt', '-in', 'medicus-data-extract.zip.enc', '-recip', 'certificate.pem', '-inkey', 'private.pem', '-out', 'medicus-data-extract.zip');
    const decrypted = readFileSync(zip);
    expect(decrypted.length).toBe(content.length);
    expect(decrypted.equals(content)).toBe(true);
  });

  it('uses AES-256', () => {
    const info = execFileSync('openssl', ['cms', '-cmsout', '-print', '-inform', 'SMIME', '-in', at('medicus-data-extract.zip.enc')], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    expect(info).toMatch(/aes-256-cbc/);
  });

  it('does not hold the file in memory: 50 MB grow the heap (and Buffers) by far less than 20 MB', async () => {
    const big = at('big.zip');
    // Written a MiB at a time, so that no 50 MB buffer is garbage still counted in `before`.
    const fd = openSync(big, 'w');
    for (let i = 0; i < 50; i++) writeSync(fd, randomBytes(1024 * 1024));
    closeSync(fd);
    // Buffers live outside the V8 heap: count them too, or reading the file whole would pass.
    const used = () => {
      const m = process.memoryUsage();
      return m.heapUsed + m.external;
    };
    const before = used();
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, used())), 5);
    try {
      await encryptSmime(big, at('big.zip.enc'), at('certificate.pem'));
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, used());
    expect(peak - before).toBeLessThan(20 * 1024 * 1024);
    expect(readFileSync(at('big.zip.enc')).length).toBeGreaterThan(50 * 1024 * 1024 * (4 / 3));
    rmSync(big);
    rmSync(at('big.zip.enc'));
  });

  it('says clearly which certificate is missing or not a certificate, and writes nothing', async () => {
    const zip = at('small.zip');
    writeFileSync(zip, 'PK');
    const out = at('small.zip.enc');
    expect(await failure(encryptSmime(zip, out, at('absent.pem')))).toBe(`cannot encrypt: the certificate ${at('absent.pem')}: no such file`);
    expect(await failure(encryptSmime(zip, out, at('private.pem')))).toMatch(/the certificate .*private\.pem: it holds a private key, not a certificate/);
    expect(await failure(encryptSmime(zip, out, at('notes.txt')))).toMatch(/the certificate .*notes\.txt: it is not a PEM certificate/);
    writeFileSync(at('broken.pem'), '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    expect(await failure(encryptSmime(zip, out, at('broken.pem')))).toMatch(/the certificate .*broken\.pem: it is not a valid X\.509 certificate/);
    expect(existsSync(out)).toBe(false);
  });

  it('says when the input is missing or not a file', async () => {
    expect(await failure(encryptSmime(at('absent.zip'), at('x.enc'), at('certificate.pem')))).toMatch(/cannot encrypt .*absent\.zip: no such file/);
    expect(await failure(encryptSmime(dir, at('x.enc'), at('certificate.pem')))).toMatch(/not a regular file/);
  });

  it('says when openssl is not installed', async () => {
    writeFileSync(at('a.zip'), 'PK');
    expect(await failure(encryptSmime(at('a.zip'), at('a.zip.enc'), at('certificate.pem'), { openssl: at('no-such-openssl') }))).toMatch(/cannot encrypt: .*no-such-openssl is not installed/);
  });

  it('says when the disk is full', async () => {
    writeFileSync(at('full.zip'), randomBytes(256 * 1024));
    expect(await failure(encryptSmime(at('full.zip'), '/dev/full', at('certificate.pem')))).toMatch(/cannot encrypt .*full\.zip to \/dev\/full: the disk is full$/);
    expect(existsSync('/dev/full')).toBe(true);
  });

  it('removes a partial output when openssl fails or writes too little', async () => {
    writeFileSync(at('p.zip'), randomBytes(64 * 1024));
    // A stand-in openssl that writes part of the output (the argument after -out) and fails.
    const failing = script('failing-openssl', 'while [ "$1" != -out ]; do shift; done; echo partial > "$2"; echo "Error writing CMS output" >&2; exit 3');
    expect(await failure(encryptSmime(at('p.zip'), at('p.zip.enc'), at('certificate.pem'), { openssl: failing }))).toMatch(/p\.zip to .*p\.zip\.enc: openssl failed \(exit code 3\): Error writing CMS output$/);
    expect(existsSync(at('p.zip.enc'))).toBe(false);
    const short = script('short-openssl', 'while [ "$1" != -out ]; do shift; done; echo partial > "$2"; exit 0');
    expect(await failure(encryptSmime(at('p.zip'), at('p.zip.enc'), at('certificate.pem'), { openssl: short }))).toMatch(/openssl wrote only 8 bytes for 65536 bytes of input/);
    expect(existsSync(at('p.zip.enc'))).toBe(false);
  });

  it('passes paths that start with a dash as paths, not options', async () => {
    writeFileSync(at('-dash.zip'), 'PK\u0003\u0004');
    await encryptSmime(join(dir, '-dash.zip'), join(dir, '-dash.zip.enc'), join(dir, 'certificate.pem'));
    expect(existsSync(at('-dash.zip.enc'))).toBe(true);
  });
});

describe('certificateProblem', () => {
  it('accepts seed 002’s certificate', async () => {
    expect(await certificateProblem(at('certificate.pem'))).toBeUndefined();
  });

  it('reports an expired certificate with its notAfter', async () => {
    // openssl 3.0's req and x509 cannot back-date; `ca -selfsign` takes explicit dates.
    writeFileSync(at('ca.cnf'), '[ ca ]\ndefault_ca = test\n[ test ]\ndatabase = index.txt\nnew_certs_dir = .\nserial = serial\ndefault_md = sha256\npolicy = any\n[ any ]\ncommonName = supplied\n');
    writeFileSync(at('index.txt'), '');
    writeFileSync(at('serial'), '01\n');
    openssl('req', '-new', '-key', 'private.pem', '-out', 'expired.csr', '-subj', '/CN=expired');
    openssl('ca', '-batch', '-config', 'ca.cnf', '-selfsign', '-keyfile', 'private.pem', '-in', 'expired.csr', '-out', 'expired.pem', '-startdate', '20200101000000Z', '-enddate', '20210101000000Z', '-notext');
    expect(await certificateProblem(at('expired.pem'))).toBe('it expired on 2021-01-01 (notAfter Jan  1 00:00:00 2021 GMT): ask the recipient for a new certificate');
  });

  it('refuses an EC certificate, whose files openssl smime -decrypt cannot open', async () => {
    openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'ec-private.pem');
    selfSignedCertificate(dir, { key: 'ec-private.pem', certificate: 'ec-certificate.pem', name: 'ec', days: 30 });
    expect(await certificateProblem(at('ec-certificate.pem'))).toMatch(/EC key.*openssl smime -decrypt.*RSA key/);
    // Why: openssl cms encrypts to it, but the recipients' command cannot read the result.
    writeFileSync(at('ec.zip'), 'PK\u0003\u0004');
    await encryptSmime(at('ec.zip'), at('ec.zip.enc'), at('ec-certificate.pem'));
    const decrypt = spawnSync('openssl', ['smime', '-decrypt', '-in', 'ec.zip.enc', '-recip', 'ec-certificate.pem', '-inkey', 'ec-private.pem', '-out', 'ec-out.zip'], { cwd: dir });
    expect(decrypt.status).not.toBe(0);
  });

  it('refuses a short RSA key', async () => {
    openssl('genpkey', '-algorithm', 'RSA', '-out', 'short.pem', '-pkeyopt', 'rsa_keygen_bits:1024');
    selfSignedCertificate(dir, { key: 'short.pem', certificate: 'short-certificate.pem', name: 'short', days: 30 });
    expect(await certificateProblem(at('short-certificate.pem'))).toMatch(/only 1024 bits/);
  });

  it('says what is wrong with a file that is not a certificate', async () => {
    expect(await certificateProblem(at('absent.pem'))).toBe('no such file');
    expect(await certificateProblem(dir)).toBe('it is a directory, not a file');
    expect(await certificateProblem(at('private.pem'))).toMatch(/holds a private key/);
    expect(await certificateProblem(at('notes.txt'))).toMatch(/not a PEM certificate/);
  });
});
