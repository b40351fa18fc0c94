/**
 * The throwaway OpenSSH server of .ci/sshd.sh, as the SFTP delivery tests see it: where it listens,
 * the client key it admits, its host key, and the directory (on this machine) the SFTP user writes.
 * Under CI a missing server fails the tests; elsewhere they are skipped
 * (`source .ci/sshd.sh && sshd_throwaway_start` before vitest runs them).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
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
 * The pids of the sshd processes serving this test process's own connections to the server (and
 * their children): a test cuts a transfer by killing them, or stalls it by stopping them, without
 * touching the connections of another test file running at the same time. Found by matching the
 * TCP sockets in /proc: ours to the server's port, theirs from it; only this server's processes.
 */
export function sessionProcesses(server: SftpServer): number[] {
  const tcp = tcpSockets();
  const ours = new Set(socketInodes('self').flatMap((inode) => {
    const socket = tcp.get(inode);
    return socket && socket.remotePort === server.port ? [socket.localPort] : [];
  }));
  const all = execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number) as [number, number]);
  const descendants = (parent: number): number[] => all.filter(([, ppid]) => ppid === parent).flatMap(([pid]) => [pid, ...descendants(pid)]);
  const serving = descendants(server.pid).filter((pid) =>
    socketInodes(String(pid)).some((inode) => {
      const socket = tcp.get(inode);
      return socket !== undefined && socket.localPort === server.port && ours.has(socket.remotePort);
    }),
  );
  return [...new Set(serving.flatMap((pid) => [pid, ...descendants(pid)]))];
}

/** Sends `signal` to every process serving this test process's connections to the server. */
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

/** TCP sockets by inode (IPv4 and IPv6), with their ports. */
function tcpSockets(): Map<string, { localPort: number; remotePort: number }> {
  const sockets = new Map<string, { localPort: number; remotePort: number }>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.trim().split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const port = (address: string) => parseInt(address.split(':').at(-1)!, 16);
      sockets.set(fields[9]!, { localPort: port(fields[1]!), remotePort: port(fields[2]!) });
    }
  }
  return sockets;
}

/** The inodes of the sockets a process holds open. */
function socketInodes(pid: string): string[] {
  try {
    return readdirSync(`/proc/${pid}/fd`).flatMap((fd) => {
      try {
        const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        return match ? [match[1]!] : [];
      } catch {
        return [];
      }
    });
  } catch {
    return [];
  }
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
