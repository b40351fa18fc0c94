import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { posix } from 'node:path';
import type { Client, ConnectConfig, SFTPWrapper, Stats } from 'ssh2';
import { ExdefError } from '../failure.js';
import { checkClientKey, hostKeyAlgorithms, hostKeyFingerprint, pinnedFingerprint } from './ssh-keys.js';

/** Where a definition delivers: `output.delivery.sftp` (the client key is the provider's, never here). */
export interface SftpDestination {
  host: string;
  port: number;
  user: string;
  directory: string;
  /** The server's host key as pinned: its public key line (`ssh-ed25519 AAAA...`) or its fingerprint (`SHA256:...`). */
  hostKey: string;
}

/** One file to send: `remote` is relative to the destination directory (`x.zip`, `logs/im1_bulk_log_...txt`). */
export interface OutgoingFile {
  local: string;
  remote: string;
  /** Its sha256 (hex), as recorded when the file was queued: a file already on the server with it is this file. */
  sha256: string;
  /**
   * `data` files never take a name that holds another file (refused); a `log` file, whose name is
   * fixed by the extract date, goes beside it as NAME-2.txt, NAME-3.txt, ...
   */
  kind: 'data' | 'log';
}

export interface SentFile {
  /** The path on the server. */
  remote: string;
  bytes: number;
  sha256: string;
  /** True when the file was found there already, complete (an earlier attempt renamed it and lost the reply). */
  alreadyThere: boolean;
}

export interface SftpOptions {
  /** The client's private key (OpenSSH ed25519, no passphrase). */
  clientKey: Buffer;
  /** Where the key came from, for messages. */
  clientKeyFile: string;
  connectTimeoutSeconds: number;
  /** Any SFTP step that makes no progress this long ends the connection. */
  stallTimeoutSeconds: number;
  onProgress?: (file: string, bytes: number, total: number) => void;
}

/**
 * A delivery that failed: one line naming the step (`connect`, `host key`, `authenticate`,
 * `upload FILE`, `rename FILE`). `retryable` failures (the network, a timeout, the server failing
 * a write) may pass; a refused host key or client key, a permission or a name already taken do not.
 */
export class DeliveryError extends ExdefError {
  constructor(
    step: string,
    message: string,
    readonly retryable: boolean,
    hints: string[] = [],
  ) {
    super(message, { exitCode: 1, step, hints });
  }
}

/**
 * Sends `files` to the destination in order over one SSH connection: the client authenticates with
 * its ed25519 key, the server's host key must match the pin (an unknown or changed key is refused,
 * never trusted on first use), and each file is written under a temporary name
 * (`.NAME.partial`, 0600) and renamed to NAME once complete — a name already taken is never
 * overwritten. Directories under the destination (`logs/`) are made when missing; the destination
 * itself must exist.
 */
export async function sendFiles(destination: SftpDestination, files: readonly OutgoingFile[], options: SftpOptions): Promise<SentFile[]> {
  await checkClientKey(options.clientKey, options.clientKeyFile);
  const { Client } = (await import('ssh2')).default;
  const session = await connect(new Client(), destination, options);
  try {
    const sent: SentFile[] = [];
    await session.step(`stat ${destination.directory}`, () => session.stat(destination.directory)).then(
      (stats) => {
        if (!stats?.isDirectory()) throw new DeliveryError('upload', `the target directory ${destination.directory} on ${where(destination)} is not there (or is not a directory)`, false);
      },
      (error: unknown) => {
        throw sftpFailure('upload', error, `the target directory ${destination.directory}`, destination);
      },
    );
    for (const file of files) sent.push(await sendFile(session, destination, file, options));
    return sent;
  } finally {
    session.close();
  }
}

/** A connected SFTP session whose every step is watched for stalls and for the connection dropping. */
interface Session {
  step<T>(name: string, run: (touch: () => void) => Promise<T>): Promise<T>;
  stat(path: string): Promise<Stats | undefined>;
  sftp: SFTPWrapper;
  close(): void;
}

function where(d: SftpDestination): string {
  return `${d.user}@${d.host}:${d.port}`;
}

async function connect(client: Client, destination: SftpDestination, options: SftpOptions): Promise<Session> {
  const pinned = pinnedFingerprint(destination.hostKey);
  let presented: string | undefined;
  let hostKeyRefused = false;
  let closed: Error | undefined;
  const closeListeners = new Set<(error: Error) => void>();
  const onClosed = (error: Error) => {
    closed ??= error;
    for (const listener of closeListeners) listener(closed);
  };
  const config: ConnectConfig = {
    host: destination.host,
    port: destination.port,
    username: destination.user,
    privateKey: options.clientKey,
    readyTimeout: options.connectTimeoutSeconds * 1000,
    keepaliveInterval: Math.max(1000, Math.floor((options.stallTimeoutSeconds * 1000) / 3)),
    keepaliveCountMax: 3,
    tryKeyboard: false,
    // A pinned key line names its type: ask for that type, so a server with several host keys shows the pinned one.
    ...(hostKeyAlgorithms(destination.hostKey) ? { algorithms: { serverHostKey: hostKeyAlgorithms(destination.hostKey)! } } : {}),
    hostVerifier: (blob: Buffer) => {
      presented = hostKeyFingerprint(blob);
      hostKeyRefused = presented !== pinned;
      return !hostKeyRefused;
    },
  };
  await new Promise<void>((resolvePromise, reject) => {
    // Settled once; the listener stays, so a late socket error after a refusal is not unhandled.
    let settled = false;
    const fail = (error: Error & { level?: string; code?: string }) => {
      if (settled) return;
      settled = true;
      client.end();
      if (hostKeyRefused) {
        reject(
          new DeliveryError(
            'host key',
            `${where(destination)} presented the host key ${presented}, not the pinned ${pinned}: refused (an unknown or changed host key may be a machine in the middle)`,
            false,
            ['if the partner changed its server key, check the new fingerprint with them and pin it in the definition (output.delivery.sftp.host_key)'],
          ),
        );
      } else if (error.level === 'handshake' && /host key/i.test(error.message)) {
        reject(new DeliveryError('host key', `${where(destination)} offers no ${destination.hostKey.trim().split(/\s+/)[0]} host key, the type of the pinned key: refused`, false));
      } else if (error.level === 'client-authentication') {
        reject(
          new DeliveryError('authenticate', `${where(destination)} refused the client key ${options.clientKeyFile} for user ${destination.user}`, false, [
            "the partner adds the key's public half (.pub) to the user's authorized_keys",
          ]),
        );
      } else if (error.level === 'client-timeout') {
        reject(new DeliveryError('connect', `${where(destination)} did not complete the SSH handshake within ${options.connectTimeoutSeconds} s`, true));
      } else {
        reject(new DeliveryError('connect', `cannot connect to ${where(destination)}: ${networkProblem(error)}`, true));
      }
    };
    client.on('error', fail);
    client.once('ready', () => {
      if (settled) return;
      settled = true;
      client.removeListener('error', fail);
      resolvePromise();
    });
    try {
      client.connect(config);
    } catch (error) {
      fail(error as Error);
    }
  });
  client.on('error', (error: Error) => onClosed(new Error(networkProblem(error))));
  client.on('close', () => onClosed(new Error('the connection was closed')));
  const sftp = await new Promise<SFTPWrapper>((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new DeliveryError('connect', `${where(destination)} did not open the SFTP subsystem within ${options.connectTimeoutSeconds} s`, true)), options.connectTimeoutSeconds * 1000);
    client.sftp((error, wrapper) => {
      clearTimeout(timer);
      if (error) reject(new DeliveryError('connect', `${where(destination)} refused the SFTP subsystem: ${error.message}`, false));
      else resolvePromise(wrapper);
    });
  });
  // A channel error reaches the pending request's callback (or the close listeners); never unhandled.
  sftp.on('error', (error: Error) => onClosed(new Error(networkProblem(error))));
  const stallMs = options.stallTimeoutSeconds * 1000;
  const session: Session = {
    sftp,
    close: () => client.end(),
    step<T>(name: string, run: (touch: () => void) => Promise<T>): Promise<T> {
      return new Promise<T>((resolvePromise, reject) => {
        let last = Date.now();
        const touch = () => {
          last = Date.now();
        };
        const onClose = (error: Error) => finish(() => reject(new DeliveryError(name, `${error.message} (${where(destination)})`, true)));
        const watchdog = setInterval(() => {
          if (Date.now() - last < stallMs) return;
          finish(() => reject(new DeliveryError(name, `no progress for ${options.stallTimeoutSeconds} s on ${where(destination)} (the connection stalled); the connection is closed`, true)));
          client.destroy();
        }, Math.min(1000, stallMs / 4));
        const finish = (settle: () => void) => {
          clearInterval(watchdog);
          closeListeners.delete(onClose);
          settle();
        };
        if (closed) return onClose(closed);
        closeListeners.add(onClose);
        run(touch).then(
          (value) => finish(() => resolvePromise(value)),
          (error: unknown) => finish(() => reject(closed && !(error instanceof DeliveryError) ? new DeliveryError(name, `${closed.message} (${where(destination)})`, true) : error)),
        );
      });
    },
    stat: (path) =>
      new Promise<Stats | undefined>((resolvePromise, reject) => {
        sftp.stat(path, (error, stats) => {
          if (!error) resolvePromise(stats);
          else if ((error as { code?: number }).code === 2) resolvePromise(undefined);
          else reject(error);
        });
      }),
  };
  return session;
}

async function sendFile(session: Session, destination: SftpDestination, file: OutgoingFile, options: SftpOptions): Promise<SentFile> {
  const bytes = statSync(file.local).size;
  const wanted = posix.join(destination.directory, file.remote);
  const name = file.remote;
  const upload = `upload ${name}`;
  await ensureDirectory(session, destination, posix.dirname(wanted));
  // The final name: free, or holding this very file (a retry after the rename's reply was lost).
  let target = wanted;
  for (let n = 2; ; n++) {
    const existing = await session.step(upload, () => session.stat(target)).catch((error: unknown) => {
      throw sftpFailure(upload, error, target, destination);
    });
    if (!existing) break;
    if (existing.size === bytes && (await remoteSha256(session, upload, target, destination)) === file.sha256) {
      return { remote: target, bytes, sha256: file.sha256, alreadyThere: true };
    }
    if (file.kind === 'data') {
      throw new DeliveryError(upload, `${target} already exists on ${where(destination)} and is not this file; a delivered file is never overwritten, so this extract waits in the outbox`, false, [
        'ask the partner whether that file should be there (the name carries the snapshot time, so it is not an earlier delivery of this extract)',
      ]);
    }
    const dot = wanted.lastIndexOf('.');
    target = `${wanted.slice(0, dot)}-${n}${wanted.slice(dot)}`;
    if (n > 99) throw new DeliveryError(upload, `${wanted} and 98 more names are taken on ${where(destination)}`, false);
  }
  const temporary = posix.join(posix.dirname(target), `.${posix.basename(target)}.partial`);
  await session
    .step(upload, (touch) =>
      new Promise<void>((resolvePromise, reject) => {
        session.sftp.fastPut(
          file.local,
          temporary,
          {
            mode: 0o600,
            step: (total) => {
              touch();
              options.onProgress?.(name, total, bytes);
            },
          },
          (error) => (error ? reject(error) : resolvePromise()),
        );
      }),
    )
    .catch((error: unknown) => {
      throw sftpFailure(upload, error, temporary, destination);
    });
  const written = await session.step(upload, () => session.stat(temporary)).catch((error: unknown) => {
    throw sftpFailure(upload, error, temporary, destination);
  });
  if (written?.size !== bytes) {
    throw new DeliveryError(upload, `the server holds ${written?.size ?? 0} of its ${bytes} bytes after the transfer (a full disk or quota?)`, true);
  }
  const rename = `rename ${name}`;
  await session
    .step(rename, () => new Promise<void>((resolvePromise, reject) => session.sftp.rename(temporary, target, (error) => (error ? reject(error) : resolvePromise()))))
    .catch(async (error: unknown) => {
      // The plain SFTP rename never replaces a file: when the name was taken meanwhile, say so.
      if ((error as { code?: number }).code === 4 && (await session.stat(target).catch(() => undefined))) {
        throw new DeliveryError(rename, `${target} appeared on ${where(destination)} during the upload; it is not overwritten`, false);
      }
      throw sftpFailure(rename, error, target, destination);
    });
  return { remote: target, bytes, sha256: file.sha256, alreadyThere: false };
}

async function ensureDirectory(session: Session, destination: SftpDestination, directory: string): Promise<void> {
  if (directory === destination.directory || posix.relative(destination.directory, directory).startsWith('..')) return;
  await ensureDirectory(session, destination, posix.dirname(directory));
  const step = `upload ${posix.relative(destination.directory, directory)}/`;
  const existing = await session.step(step, () => session.stat(directory)).catch((error: unknown) => {
    throw sftpFailure(step, error, directory, destination);
  });
  if (existing?.isDirectory()) return;
  if (existing) throw new DeliveryError(step, `${directory} on ${where(destination)} is a file, not a directory`, false);
  await session
    .step(step, () => new Promise<void>((resolvePromise, reject) => session.sftp.mkdir(directory, { mode: 0o700 }, (error) => (error ? reject(error) : resolvePromise()))))
    .catch(async (error: unknown) => {
      if ((await session.stat(directory).catch(() => undefined))?.isDirectory()) return;
      throw sftpFailure(step, error, directory, destination);
    });
}

async function remoteSha256(session: Session, step: string, path: string, destination: SftpDestination): Promise<string> {
  return session
    .step(step, (touch) =>
      new Promise<string>((resolvePromise, reject) => {
        const hash = createHash('sha256');
        session.sftp
          .createReadStream(path)
          .on('data', (chunk: Buffer) => {
            touch();
            hash.update(chunk);
          })
          .on('error', reject)
          .on('end', () => resolvePromise(hash.digest('hex')));
      }),
    )
    .catch((error: unknown) => {
      throw sftpFailure(step, error, path, destination);
    });
}

/** An SFTP status (or a lost connection) as one line naming the step; never the key or the data. */
function sftpFailure(step: string, error: unknown, path: string, destination: SftpDestination): DeliveryError {
  if (error instanceof DeliveryError) return error;
  const code = (error as { code?: number | string }).code;
  const message = (error as Error).message ?? String(error);
  if (code === 3) return new DeliveryError(step, `permission denied for ${path} on ${where(destination)} (user ${destination.user})`, false, ['the partner gives the user write access to the target directory']);
  if (code === 2) return new DeliveryError(step, `${path} is not there on ${where(destination)}`, false);
  if (code === 4) {
    return new DeliveryError(step, `the server failed the request for ${path} on ${where(destination)} (SFTP "Failure": often a full disk or a quota)`, true, [
      'the partner frees space or raises the quota; `exdef deliver` then sends what is waiting',
    ]);
  }
  if (message === 'No response from server') return new DeliveryError(step, `the connection to ${where(destination)} was lost`, true);
  return new DeliveryError(step, `${networkProblem(error as Error)} (${where(destination)})`, true);
}

/** A socket-level failure in plain words. */
function networkProblem(error: Error & { code?: string | number }): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'the connection was refused (nothing listens on that port)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'the host name does not resolve';
    case 'ETIMEDOUT':
      return 'the connection timed out';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'the connection was reset';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'the host cannot be reached';
    default:
      return (error.message || 'the connection failed').split('\n')[0]!;
  }
}
