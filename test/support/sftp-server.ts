/**
 * The throwaway OpenSSH server of .ci/sshd.sh, as the SFTP delivery tests see it: where it listens,
 * the client key it admits, its host key, and the directory (on this machine) the SFTP user writes.
 * Under CI a missing server fails the tests; elsewhere they are skipped
 * (`source .ci/sshd.sh && sshd_throwaway_start` before vitest runs them).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readFileSync } from 'node:fs';
import { inCi } from '../../src/ci-environment.js';
import type { SftpDestination } from '../../src/deliver/sftp.js';

export interface SftpServer {
  host: string;
  port: number;
  user: string;
  /** The client's private key file (0600). */
  key: string;
  hostKeyFingerprint: string;
  hostKey: string;
  /** The directory the SFTP user may write (the same path on the server). */
  root: string;
  /** The listening sshd's pid: every connection is served by a child of it. */
  pid: number;
}

/** The server, or undefined (tests skip) outside CI when it was not started; under CI its absence throws. */
export function sftpServer(): SftpServer | undefined {
  const env = process.env;
  const names = ['HOST', 'PORT', 'USER', 'KEY', 'HOSTKEY_FINGERPRINT', 'HOSTKEY', 'ROOT', 'PIDFILE'];
  const missing = names.filter((n) => !env[`EXDEF_TEST_SFTP_${n}`]);
  if (missing.length > 0) {
    if (inCi()) throw new Error(`CI is set but EXDEF_TEST_SFTP_${missing[0]} is not: the SFTP delivery tests must run against the throwaway sshd in CI (use bash .ci/run)`);
    return undefined;
  }
  return {
    host: env['EXDEF_TEST_SFTP_HOST']!,
    port: Number(env['EXDEF_TEST_SFTP_PORT']),
    user: env['EXDEF_TEST_SFTP_USER']!,
    key: env['EXDEF_TEST_SFTP_KEY']!,
    hostKeyFingerprint: env['EXDEF_TEST_SFTP_HOSTKEY_FINGERPRINT']!,
    hostKey: env['EXDEF_TEST_SFTP_HOSTKEY']!,
    root: env['EXDEF_TEST_SFTP_ROOT']!,
    pid: Number(readFileSync(env['EXDEF_TEST_SFTP_PIDFILE']!, 'utf8').trim()),
  };
}

/** A destination on the server: `directory` under its writable root. */
export function destinationOn(server: SftpServer, directory: string, hostKey = server.hostKeyFingerprint): SftpDestination {
  return { host: server.host, port: server.port, user: server.user, directory, hostKey };
}

/**
 * The pids of the sshd processes serving connections now (children of the listener and theirs):
 * a test cuts a transfer by killing them, or stalls it by stopping them. Only this server's own
 * processes, found by parent id.
 */
export function sessionProcesses(server: SftpServer): number[] {
  const all = execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number) as [number, number]);
  const found: number[] = [];
  const walk = (parent: number) => {
    for (const [pid, ppid] of all) {
      if (ppid === parent) {
        found.push(pid);
        walk(pid);
      }
    }
  };
  walk(server.pid);
  return found;
}

/** Sends `signal` to every process serving a connection of the server. */
export function signalSessions(server: SftpServer, signal: NodeJS.Signals): number {
  const pids = sessionProcesses(server);
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // gone already
    }
  }
  return pids.length;
}

/** A fresh directory under the server's root that the SFTP user owns (writable: 0700; or not: 0555, owned by us). */
export function remoteDirectory(server: SftpServer, name: string, writable = true): string {
  const path = `${server.root}/${name}`;
  mkdirSync(path, { recursive: true, mode: writable ? 0o700 : 0o555 });
  if (writable && process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', server.user], { encoding: 'utf8' }).trim());
    chownSync(path, uid, -1);
  }
  if (!writable) chmodSync(path, 0o555);
  return path;
}
