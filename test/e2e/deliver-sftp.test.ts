/**
 * SFTP delivery against a real OpenSSH server (.ci/sshd.sh): what arrives, under which names, and
 * each fault — a wrong host key, a wrong client key, a directory not writable, a connection cut or
 * stalled mid-upload, a full disk — ending in one line that names its step, with nothing under a final name.
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDeliveryConfig } from '../../src/deliver/delivery-config.js';
import { deliverOutbox } from '../../src/deliver/deliver-outbox.js';
import { enqueue, pendingItems, receipts } from '../../src/deliver/outbox.js';
import { DeliveryError, sendFiles, type OutgoingFile, type SftpOptions } from '../../src/deliver/sftp.js';
import { inCi } from '../../src/ci-environment.js';
import { ExdefError } from '../../src/failure.js';
import { destinationOn, remoteDirectory, sessionProcesses, sftpServer, signalSessions } from '../support/sftp-server.js';

const server = sftpServer();
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe.skipIf(!server)('SFTP delivery to OpenSSH', () => {
  const s = server!;
  let local: string;
  let n = 0;
  const options = (over: Partial<SftpOptions> = {}): SftpOptions => ({
    clientKey: readFileSync(s.key),
    clientKeyFile: s.key,
    connectTimeoutSeconds: 10,
    stallTimeoutSeconds: 10,
    ...over,
  });
  const file = (name: string, content: Buffer | string, kind: OutgoingFile['kind'] = 'data', remote = name): OutgoingFile => {
    const path = join(local, `${n++}-${name.replace(/\//g, '_')}`);
    writeFileSync(path, content);
    return { local: path, remote, sha256: sha256(path), kind };
  };
  /** What the server directory holds, recursively, by relative name. */
  const listing = (dir: string, prefix = ''): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listing(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`])).sort();
  const failure = async (promise: Promise<unknown>): Promise<ExdefError> => {
    try {
      await promise;
    } catch (error) {
      expect(error).toBeInstanceOf(ExdefError);
      expect((error as Error).message).not.toMatch(/PRIVATE KEY|\n/);
      return error as ExdefError;
    }
    throw new Error('the delivery succeeded');
  };

  beforeAll(() => {
    local = mkdtempSync(join(tmpdir(), 'exdef-sftp-test-'));
  });
  afterAll(() => rmSync(local, { recursive: true, force: true }));

  it('uploads under temporary names and renames: the ZIP, the manifest, and the log into logs/; files 0600', async () => {
    const dir = remoteDirectory(s, `happy-${randomBytes(3).toString('hex')}`);
    const zip = file('x_20261202T010000Z_full.zip', randomBytes(300_000));
    const manifest = file('x_20261202T010000Z_full.manifest.json', '{"manifest":1}\n');
    const log = file('log', 'Status: COMPLETE\n', 'log', 'logs/im1_bulk_log_2026-12-02.txt');
    const sent = await sendFiles(destinationOn(s, dir), [zip, manifest, log], options());
    expect(listing(dir)).toEqual(['logs/im1_bulk_log_2026-12-02.txt', 'x_20261202T010000Z_full.manifest.json', 'x_20261202T010000Z_full.zip']);
    expect(sha256(join(dir, 'x_20261202T010000Z_full.zip'))).toBe(zip.sha256);
    expect(readFileSync(join(dir, 'logs/im1_bulk_log_2026-12-02.txt'), 'utf8')).toBe('Status: COMPLETE\n');
    expect(statSync(join(dir, 'x_20261202T010000Z_full.zip')).mode & 0o777).toBe(0o600);
    expect(sent.map((f) => [f.remote, f.alreadyThere])).toEqual([
      [`${dir}/x_20261202T010000Z_full.zip`, false],
      [`${dir}/x_20261202T010000Z_full.manifest.json`, false],
      [`${dir}/logs/im1_bulk_log_2026-12-02.txt`, false],
    ]);

    // Sent again (a retry after a lost reply): the same files are recognised, nothing is rewritten.
    const before = statSync(join(dir, 'x_20261202T010000Z_full.zip')).mtimeMs;
    const again = await sendFiles(destinationOn(s, dir), [zip, manifest, log], options());
    expect(again.every((f) => f.alreadyThere)).toBe(true);
    expect(statSync(join(dir, 'x_20261202T010000Z_full.zip')).mtimeMs).toBe(before);

    // A different file under a data file's name is refused and left alone; a log of the same date goes beside.
    const other = file('x_20261202T010000Z_full.zip', randomBytes(300_000));
    const refused = await failure(sendFiles(destinationOn(s, dir), [other], options()));
    expect(refused.step).toBe('upload x_20261202T010000Z_full.zip');
    expect(refused.message).toMatch(/already exists .* never overwritten/);
    expect(sha256(join(dir, 'x_20261202T010000Z_full.zip'))).toBe(zip.sha256);
    const secondLog = file('log', 'Status: COMPLETE\nsecond\n', 'log', 'logs/im1_bulk_log_2026-12-02.txt');
    const [placed] = await sendFiles(destinationOn(s, dir), [secondLog], options());
    expect(placed!.remote).toBe(`${dir}/logs/im1_bulk_log_2026-12-02-2.txt`);
    expect(readFileSync(join(dir, 'logs/im1_bulk_log_2026-12-02.txt'), 'utf8')).toBe('Status: COMPLETE\n');
    expect(listing(dir).filter((f) => f.includes('.partial'))).toEqual([]);
  });

  it('refuses a server whose host key is not the pinned one (fingerprint or public key), before authenticating', async () => {
    const dir = remoteDirectory(s, `hostkey-${randomBytes(3).toString('hex')}`);
    const keyFile = join(local, `other-host-${n++}`);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile]);
    const otherPublic = readFileSync(`${keyFile}.pub`, 'utf8').trim();
    const otherFingerprint = execFileSync('ssh-keygen', ['-lf', `${keyFile}.pub`], { encoding: 'utf8' }).split(' ')[1]!;
    for (const pin of [otherFingerprint, otherPublic]) {
      const error = await failure(sendFiles(destinationOn(s, dir, pin), [file('a.zip', 'x')], options()));
      expect(error.step).toBe('host key');
      expect(error.message).toContain(`presented the host key ${s.hostKeyFingerprint}, not the pinned ${otherFingerprint}: refused`);
      expect((error as DeliveryError).retryable).toBe(false);
    }
    const rsaKey = join(local, `rsa-host-${n++}`);
    execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', rsaKey]);
    const otherType = await failure(sendFiles(destinationOn(s, dir, readFileSync(`${rsaKey}.pub`, 'utf8').trim()), [file('a.zip', 'x')], options()));
    expect([otherType.step, otherType.message]).toEqual(['host key', `${s.user}@${s.host}:${s.port} offers no ssh-rsa host key, the type of the pinned key: refused`]);
    expect(readdirSync(dir)).toEqual([]);
    // The server's own public key line is a valid pin too.
    await sendFiles(destinationOn(s, dir, s.hostKey), [file('b.zip', 'y')], options());
    expect(listing(dir)).toEqual(['b.zip']);
  });

  it('names the step when the client key is refused, is not ed25519, the directory cannot be written, or nothing answers', async () => {
    const dir = remoteDirectory(s, `auth-${randomBytes(3).toString('hex')}`);
    const stranger = join(local, `stranger-${n++}`);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', stranger]);
    const refused = await failure(sendFiles(destinationOn(s, dir), [file('a.zip', 'x')], options({ clientKey: readFileSync(stranger), clientKeyFile: stranger })));
    expect(refused.step).toBe('authenticate');
    expect(refused.message).toBe(`${s.user}@${s.host}:${s.port} refused the client key ${stranger} for user ${s.user}`);

    const rsa = join(local, `rsa-${n++}`);
    execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', rsa]);
    const notEd25519 = await failure(sendFiles(destinationOn(s, dir), [file('a.zip', 'x')], options({ clientKey: readFileSync(rsa), clientKeyFile: rsa })));
    expect([notEd25519.step, notEd25519.exitCode]).toEqual(['client key', 2]);
    expect(notEd25519.message).toMatch(/is a ssh-rsa key: delivery authenticates with an ed25519 private key/);

    const locked = remoteDirectory(s, `locked-${randomBytes(3).toString('hex')}`, false);
    const denied = await failure(sendFiles(destinationOn(s, locked), [file('a.zip', 'x')], options()));
    expect(denied.step).toBe('upload a.zip');
    expect(denied.message).toMatch(/^permission denied for .*\.a\.zip\.partial on /);
    expect(readdirSync(locked)).toEqual([]);

    const missing = await failure(sendFiles(destinationOn(s, `${s.root}/no-such-dir`), [file('a.zip', 'x')], options()));
    expect(missing.message).toMatch(/the target directory .*no-such-dir on .* is not there/);

    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const started = Date.now();
      const mute = await failure(sendFiles({ ...destinationOn(s, dir), port: (silent.address() as AddressInfo).port }, [file('a.zip', 'x')], options({ connectTimeoutSeconds: 1 })));
      expect([mute.step, mute.message, (mute as DeliveryError).retryable]).toEqual(['connect', `${s.user}@${s.host}:${(silent.address() as AddressInfo).port} did not complete the SSH handshake within 1 s`, true]);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      silent.close();
    }

    const closed = await failure(sendFiles({ ...destinationOn(s, dir), port: 1 }, [file('a.zip', 'x')], options()));
    expect([closed.step, (closed as DeliveryError).retryable]).toEqual(['connect', true]);
    expect(closed.message).toMatch(/connection was refused/);
  });

  it('a full disk on the server (a 64 KiB tmpfs as the target directory; needs root to mount it: skipped without, except under CI) ends in one line naming the upload, retryable, with nothing under a final name', async (context) => {
    const dir = remoteDirectory(s, `full-${randomBytes(3).toString('hex')}`);
    try {
      const uid = Number(execFileSync('id', ['-u', s.user], { encoding: 'utf8' }).trim());
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=64k,mode=0700,uid=${uid}`, 'tmpfs', dir], { stdio: 'ignore' });
    } catch (error) {
      if (inCi()) throw new Error(`CI: a 64 KiB tmpfs must be mountable for the server's full-disk test (${error instanceof Error ? error.message : String(error)})`);
      context.skip('a small tmpfs cannot be mounted here (root and mount privileges needed)');
    }
    try {
      const big = file('extract.zip', randomBytes(256 * 1024));
      const full = await failure(sendFiles(destinationOn(s, dir), [big], options()));
      expect(full.step).toBe('upload extract.zip');
      expect(full.message).toMatch(/full disk or (a )?quota/);
      expect((full as DeliveryError).retryable, 'space may be freed: the outbox retries it').toBe(true);
      expect(readdirSync(dir).filter((name) => !name.endsWith('.partial')), 'nothing under a final name').toEqual([]);
    } finally {
      execFileSync('umount', [dir], { stdio: 'ignore' });
    }
  });

  it('a connection cut mid-upload leaves no file under its final name, and a later send completes it', async () => {
    const dir = remoteDirectory(s, `cut-${randomBytes(3).toString('hex')}`);
    const big = file('big_20261202T010000Z_full.zip', randomBytes(24_000_000));
    let killed = 0;
    const error = await failure(
      sendFiles(destinationOn(s, dir), [big], options({
        onProgress: (_name, bytes) => {
          if (bytes > 2_000_000 && killed === 0) killed = signalSessions(s, 'SIGKILL');
        },
      })),
    );
    expect(killed).toBeGreaterThan(0);
    expect(error.step).toBe('upload big_20261202T010000Z_full.zip');
    expect((error as DeliveryError).retryable).toBe(true);
    expect(existsSync(join(dir, 'big_20261202T010000Z_full.zip'))).toBe(false);
    await sendFiles(destinationOn(s, dir), [big], options());
    expect(sha256(join(dir, 'big_20261202T010000Z_full.zip'))).toBe(big.sha256);
    expect(readdirSync(dir)).toEqual(['big_20261202T010000Z_full.zip']);
  });

  it('a transfer that stalls (the server stopped) ends after the stall timeout, naming the step', async () => {
    const dir = remoteDirectory(s, `stall-${randomBytes(3).toString('hex')}`);
    const big = file('stall_20261202T010000Z_full.zip', randomBytes(24_000_000));
    let stopped: number[] = [];
    const started = Date.now();
    try {
      const error = await failure(
        sendFiles(destinationOn(s, dir), [big], options({
          stallTimeoutSeconds: 2,
          onProgress: (_name, bytes) => {
            if (bytes > 2_000_000 && stopped.length === 0) {
              stopped = sessionProcesses(s);
              for (const pid of stopped) process.kill(pid, 'SIGSTOP');
            }
          },
        })),
      );
      expect(stopped.length).toBeGreaterThan(0);
      expect(error.step).toBe('upload stall_20261202T010000Z_full.zip');
      expect(error.message).toMatch(/^no progress for 2 s on .* \(the connection stalled\); the connection is closed$/);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(existsSync(join(dir, 'stall_20261202T010000Z_full.zip'))).toBe(false);
    } finally {
      for (const pid of stopped) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
  });

  it('through the outbox: a transfer cut mid-upload stays pending, nothing under a final name, and the next delivery completes it', async () => {
    const dir = remoteDirectory(s, `outbox-cut-${randomBytes(3).toString('hex')}`);
    const made = mkdtempSync(join(local, 'made-'));
    const output = join(made, 'chis_20261202T010000Z_delta.zip');
    writeFileSync(output, randomBytes(24_000_000));
    writeFileSync(join(made, 'im1_bulk_log_2026-12-02.txt'), 'Status: COMPLETE\n');
    const config = parseDeliveryConfig({ client_key: s.key, outbox: join(made, 'outbox'), retries: 0 }, join(made, 'provider.yaml'));
    await enqueue(config.outbox, {
      output,
      log: join(made, 'im1_bulk_log_2026-12-02.txt'),
      manifest: { manifest: 1 },
      definition: { id: 'chis', version: 1, fingerprint: 'f' },
      mode: 'delta',
      extractDate: '2026-12-02',
      snapshot: '2026-12-02T01:00:00.000Z',
      encrypted: false,
      destination: destinationOn(s, dir),
    });
    let killed = 0;
    const events = { step: () => undefined, warn: () => undefined };
    const cut = await deliverOutbox({
      config,
      events,
      send: (d, files, o) =>
        sendFiles(d, files, {
          ...o,
          onProgress: (_name, bytes) => {
            if (bytes > 2_000_000 && killed === 0) killed = signalSessions(s, 'SIGKILL');
          },
        }),
    });
    expect(killed).toBeGreaterThan(0);
    expect(cut.failed.map((f) => f.step)).toEqual(['upload chis_20261202T010000Z_delta.zip']);
    expect(pendingItems(config.outbox)).toHaveLength(1);
    expect(readdirSync(dir).filter((f) => !f.startsWith('.'))).toEqual([]);

    const done = await deliverOutbox({ config, events });
    expect(done.failed).toEqual([]);
    expect(pendingItems(config.outbox)).toEqual([]);
    expect(listing(dir)).toEqual(['chis_20261202T010000Z_delta.manifest.json', 'chis_20261202T010000Z_delta.zip', 'logs/im1_bulk_log_2026-12-02.txt']);
    expect(sha256(join(dir, 'chis_20261202T010000Z_delta.zip'))).toBe(sha256(output));
    expect(receipts(config.outbox)[0]!.attempts).toBe(2);
  });
});
