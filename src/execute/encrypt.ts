/**
 * Encrypts the extract's ZIP to the recipient's certificate as S/MIME (CMS enveloped data, a
 * random AES-256 key wrapped with the certificate's RSA key), by the openssl command, so that the
 * recipient opens it exactly as seed 002 tells them:
 *
 *   openssl smime -decrypt -in x.zip.enc -recip certificate.pem -inkey private.pem -out x.zip
 *
 * openssl streams the file (-stream), so memory stays flat whatever its size and the data never
 * passes through this process. Also the checks made before a run: that openssl is there and new
 * enough, and that the certificate will do.
 */
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmod, lstat, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ExdefError } from '../failure.js';
import { PRIVATE_FILE_MODE } from './private-files.js';

export interface OpensslOptions {
  /** The openssl program (default `openssl`, found on PATH). */
  openssl?: string;
}

/** The oldest OpenSSL whose `cms -encrypt -stream -aes256` exdef relies on (and still supported by distributions). */
const MIN_OPENSSL: readonly [number, number, number] = [1, 1, 1];
const MIN_RSA_BITS = 2048;
const STDERR_LIMIT = 64 * 1024;

/** Why openssl cannot encrypt extracts here (missing, too old, no `cms`), or undefined. */
export async function checkOpenssl(options: OpensslOptions = {}): Promise<string | undefined> {
  const openssl = options.openssl ?? 'openssl';
  const version = await runOpenssl(openssl, ['version']);
  if (version.missing) return `${openssl} is not installed (or not on PATH): install OpenSSL ${MIN_OPENSSL.join('.')} or later to encrypt extracts`;
  const text = version.stdout.trim();
  const found = /^OpenSSL (\d+)\.(\d+)\.(\d+)/.exec(text);
  if (found) {
    const have = [Number(found[1]), Number(found[2]), Number(found[3])];
    if (compareVersions(have, MIN_OPENSSL) < 0) return `${openssl} is too old (${text.split(' ').slice(0, 2).join(' ')}): install OpenSSL ${MIN_OPENSSL.join('.')} or later to encrypt extracts`;
    return undefined;
  }
  // LibreSSL and others: usable if they have the cms command.
  const cms = await runOpenssl(openssl, ['cms', '-help']);
  if (cms.code !== 0) return `${openssl} (${text || 'unknown version'}) has no cms command: install OpenSSL ${MIN_OPENSSL.join('.')} or later to encrypt extracts`;
  return undefined;
}

function compareVersions(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < b.length; i++) if ((a[i] ?? 0) !== b[i]) return (a[i] ?? 0) - b[i]!;
  return 0;
}

/**
 * Why the recipient certificate cannot be used, or undefined: it must be a readable PEM X.509
 * certificate, valid now, with an RSA key of 2048 bits or more. An EC key is refused because
 * openssl encrypts to it with key agreement, which `openssl smime -decrypt` (the recipients'
 * command) cannot read. The message does not repeat the path.
 */
export async function certificateProblem(path: string): Promise<string | undefined> {
  const read = await readCertificate(path);
  if ('problem' in read) return read.problem;
  const certificate = read.certificate;
  const now = Date.now();
  const notAfter = new Date(certificate.validTo);
  const notBefore = new Date(certificate.validFrom);
  if (notAfter.getTime() < now) return `it expired on ${day(notAfter)} (notAfter ${certificate.validTo}): ask the recipient for a new certificate`;
  if (notBefore.getTime() > now) return `it is not valid until ${day(notBefore)} (notBefore ${certificate.validFrom})`;
  const key = certificate.publicKey;
  if (key.asymmetricKeyType === 'ec') {
    return 'it has an EC key, and files encrypted to an EC key cannot be opened with `openssl smime -decrypt` (the recipients’ command): ask for a certificate with an RSA key (openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048)';
  }
  if (key.asymmetricKeyType !== 'rsa') return `it has a ${key.asymmetricKeyType ?? 'unknown'} key: S/MIME encryption needs an RSA key`;
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (bits !== undefined && bits < MIN_RSA_BITS) return `its RSA key has only ${bits} bits: ask for a certificate with a key of ${MIN_RSA_BITS} bits or more`;
  return undefined;
}

function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}

async function readCertificate(path: string): Promise<{ certificate: X509Certificate } | { problem: string }> {
  let text: string;
  try {
    text = await readFile(path, 'latin1');
  } catch (error) {
    return { problem: fileProblem(error as NodeJS.ErrnoException) };
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) return { problem: 'it holds a private key, not a certificate: give the certificate (certificate.pem), and keep the private key with the recipient' };
    return { problem: 'it is not a PEM certificate (no -----BEGIN CERTIFICATE----- line)' };
  }
  try {
    return { certificate: new X509Certificate(text) };
  } catch (error) {
    return { problem: `it is not a valid X.509 certificate (${(error as Error).message})` };
  }
}

/**
 * Encrypts `input` to `output` for the certificate's holder:
 * `openssl cms -encrypt -binary -stream -aes256 -outform SMIME -in input -out output certificate`.
 * Fails with a one-line ExdefError (certificate unreadable or not one, openssl missing, disk full)
 * and then leaves no output file behind.
 */
export async function encryptSmime(input: string, output: string, certificate: string, options: OpensslOptions = {}): Promise<void> {
  const openssl = options.openssl ?? 'openssl';
  const fail = (message: string, cause?: unknown) => new ExdefError(message, { step: 'encryption', ...(cause === undefined ? {} : { cause }) });
  // Absolute paths: a name starting with '-' would otherwise read as an openssl option.
  const [inputPath, outputPath, certificatePath] = [resolve(input), resolve(output), resolve(certificate)];
  if (inputPath === outputPath) throw new Error(`internal: encryptSmime would overwrite its input ${input}`);
  const read = await readCertificate(certificatePath);
  if ('problem' in read) throw fail(`cannot encrypt: the certificate ${certificate}: ${read.problem}`);
  let size: number;
  try {
    const stats = await stat(inputPath);
    // openssl reads a directory as empty and succeeds: refuse anything but a file.
    if (!stats.isFile()) throw fail(`cannot encrypt ${input}: not a regular file`);
    size = stats.size;
  } catch (error) {
    if (error instanceof ExdefError) throw error;
    throw fail(`cannot encrypt ${input}: ${fileProblem(error as NodeJS.ErrnoException)}`, error);
  }

  // The output exists, private, before openssl writes its first byte (openssl keeps the mode it finds).
  await writeFile(outputPath, '', { mode: PRIVATE_FILE_MODE });
  await chmod(outputPath, PRIVATE_FILE_MODE);
  const run = await runOpenssl(openssl, ['cms', '-encrypt', '-binary', '-stream', '-aes256', '-outform', 'SMIME', '-in', inputPath, '-out', outputPath, certificatePath]);
  let problem: string | undefined;
  if (run.missing) problem = `cannot encrypt: ${openssl} is not installed (or not on PATH)`;
  else if (run.code !== 0) problem = `cannot encrypt ${input} to ${output}: ${opensslProblem(run.stderr, run.code, run.signal)}`;
  else {
    // openssl can end well after a read error part way; base64 makes the output ≥ 4/3 of the input.
    const written = await stat(outputPath).then((s) => s.size, () => -1);
    if (written < Math.ceil(size / 3) * 4) problem = `cannot encrypt ${input} to ${output}: openssl wrote ${written < 0 ? 'nothing' : `only ${written} bytes`} for ${size} bytes of input`;
  }
  if (problem !== undefined) {
    await removeRegularFile(outputPath);
    throw fail(problem);
  }
}

interface OpensslRun {
  missing: boolean;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs openssl without a shell, collecting (the start of) its output. */
function runOpenssl(openssl: string, args: string[]): Promise<OpensslRun> {
  return new Promise((done) => {
    const child = spawn(openssl, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      if (stdout.length < STDERR_LIMIT) stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < STDERR_LIMIT) stderr += chunk.toString('utf8');
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      done({ missing: error.code === 'ENOENT' || error.code === 'EACCES', code: null, signal: null, stdout, stderr: stderr || error.message });
    });
    child.on('close', (code, signal) => done({ missing: false, code, signal, stdout, stderr }));
  });
}

/** openssl's stderr as one line a person can act on. */
function opensslProblem(stderr: string, code: number | null, signal: NodeJS.Signals | null): string {
  if (/No space left on device/i.test(stderr)) return 'the disk is full';
  if (/Disk quota exceeded/i.test(stderr)) return 'the disk quota is used up';
  if (/Permission denied/i.test(stderr)) return 'permission denied';
  if (signal) return `openssl was stopped by ${signal}`;
  // The first line is openssl's summary; the rest are library error-stack lines.
  const first = stderr.split('\n').map((line) => line.trim()).find((line) => line !== '');
  return `openssl failed (exit code ${code})${first ? `: ${first}` : ''}`;
}

function fileProblem(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory, not a file';
    default:
      return error.message;
  }
}

async function removeRegularFile(path: string): Promise<void> {
  const found = await lstat(path).catch(() => undefined);
  if (found?.isFile()) await rm(path, { force: true }).catch(() => undefined);
}
