import { processAlive } from '../process-alive.js';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, createReadStream, linkSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, join } from 'node:path';
import { ExdefError } from '../failure.js';
import { makeDirectory } from '../execute/make-directory.js';
import { PRIVATE_DIRECTORY_MODE, PRIVATE_FILE_MODE } from '../execute/private-files.js';
import type { SentFile, SftpDestination } from './sftp.js';

/**
 * The outbox: finished extracts waiting to be delivered, so that nothing is lost between a run
 * and the partner's server. A run places its extract here (ZIP or .zip.enc, a manifest beside it,
 * the day's log file) before its delta state advances; `exdef deliver` (and `run` itself, right
 * after packaging) sends what is pending, oldest first.
 *
 *   OUTBOX/                     0700
 *     pending/<item>/           item.json, the files, attempts.json after a failed attempt
 *     discarded/<item>/         item.json and discarded.json (why): never sent, its files deleted
 *     delivered/<item>/         item.json and receipt.json (what went where, sha256, when); the
 *                               files themselves are removed once delivered
 *     deliver.lock              while a delivery is going (one at a time)
 *
 * An item is written in a directory of its own under a temporary name and renamed into pending/
 * whole, so a crash never leaves half an item to deliver.
 */
export interface OutboxFile {
  /** The file's name in the item's directory. */
  name: string;
  /** Where it goes, relative to the destination directory. */
  remote: string;
  kind: 'data' | 'log';
  bytes: number;
  sha256: string;
}

export interface OutboxItem {
  /** The item's directory name: when it was queued, then the definition id. */
  id: string;
  definition: { id: string; version: number; fingerprint: string };
  mode: 'full' | 'delta';
  extractDate: string;
  snapshot: string;
  queuedAt: string;
  destination: SftpDestination;
  files: OutboxFile[];
}

export interface Attempt {
  at: string;
  step: string;
  message: string;
}

export interface Receipt {
  item: OutboxItem;
  deliveredAt: string;
  attempts: number;
  files: SentFile[];
}

/** What a run hands the outbox: its finished files and where they go. */
export interface FinishedExtract {
  /** The ZIP or .zip.enc, as placed in the output directory. */
  output: string;
  /** The run's log file (logs/im1_bulk_log_{date}.txt). */
  log: string;
  /** The run's manifest; the delivered copy adds the package (file, bytes, sha256). */
  manifest: object;
  definition: { id: string; version: number; fingerprint: string };
  mode: 'full' | 'delta';
  extractDate: string;
  snapshot: string;
  encrypted: boolean;
  destination: SftpDestination;
}

export function pendingDirectory(outbox: string): string {
  return join(outbox, 'pending');
}

export function deliveredDirectory(outbox: string): string {
  return join(outbox, 'delivered');
}

/** Makes the outbox (0700) when missing; an outbox others can enter is closed to them. */
export function openOutbox(outbox: string): void {
  try {
    makeDirectory(outbox, PRIVATE_DIRECTORY_MODE);
    if ((statSync(outbox).mode & 0o077) !== 0) chmodSync(outbox, PRIVATE_DIRECTORY_MODE);
    makeDirectory(pendingDirectory(outbox), PRIVATE_DIRECTORY_MODE);
    makeDirectory(deliveredDirectory(outbox), PRIVATE_DIRECTORY_MODE);
  } catch (error) {
    throw new ExdefError(`cannot use the outbox ${outbox}: ${(error as Error).message}`, { exitCode: 2, step: 'outbox' });
  }
}

/**
 * Places a finished extract in the outbox: the package (hard-linked when on the same file system,
 * else copied), its manifest as NAME.manifest.json, and the log file, all 0600, then item.json;
 * the item's directory is renamed into pending/ only once it is whole. Returns the item.
 */
export async function enqueue(outbox: string, extract: FinishedExtract, now: Date = new Date()): Promise<OutboxItem> {
  openOutbox(outbox);
  const stamp = now.toISOString().replace(/[-:]/g, '');
  const id = `${stamp}-${extract.definition.id}-${randomBytes(3).toString('hex')}`;
  const incoming = join(outbox, `.incoming-${process.pid}-${id}`);
  try {
    makeDirectory(incoming, PRIVATE_DIRECTORY_MODE);
    const packageName = basename(extract.output);
    placeFile(extract.output, join(incoming, packageName));
    const base = packageName.replace(/\.zip(\.enc)?$/, '');
    const packageFile = await describe(incoming, packageName, packageName, 'data');
    const manifestName = `${base}.manifest.json`;
    const manifest = { ...extract.manifest, package: { file: packageName, bytes: packageFile.bytes, sha256: packageFile.sha256, encrypted: extract.encrypted } };
    writeFileSync(join(incoming, manifestName), `${JSON.stringify(manifest, null, 2)}\n`, { mode: PRIVATE_FILE_MODE });
    const logName = basename(extract.log);
    copyFileSync(extract.log, join(incoming, logName));
    chmodSync(join(incoming, logName), PRIVATE_FILE_MODE);
    const item: OutboxItem = {
      id,
      definition: extract.definition,
      mode: extract.mode,
      extractDate: extract.extractDate,
      snapshot: extract.snapshot,
      queuedAt: now.toISOString(),
      destination: extract.destination,
      files: [packageFile, await describe(incoming, manifestName, manifestName, 'data'), await describe(incoming, logName, `logs/${logName}`, 'log')],
    };
    writeFileSync(join(incoming, 'item.json'), `${JSON.stringify(item, null, 2)}\n`, { mode: PRIVATE_FILE_MODE });
    renameSync(incoming, join(pendingDirectory(outbox), id));
    return item;
  } catch (error) {
    rmSync(incoming, { recursive: true, force: true });
    if (error instanceof ExdefError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new ExdefError(`cannot place the extract in the outbox ${outbox}: ${code === 'ENOSPC' ? 'the disk is full' : code === 'EACCES' ? 'permission denied' : (error as Error).message}`, { exitCode: 1, step: 'outbox' });
  }
}

function placeFile(from: string, to: string): void {
  try {
    linkSync(from, to);
  } catch (error) {
    if (!['EXDEV', 'EPERM', 'EMLINK'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
    copyFileSync(from, to);
  }
  chmodSync(to, PRIVATE_FILE_MODE);
}

/** A file's size and sha256, read as a stream (a package may be gigabytes). */
async function describe(directory: string, name: string, remote: string, kind: OutboxFile['kind']): Promise<OutboxFile> {
  const path = join(directory, name);
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return { name, remote, kind, bytes: statSync(path).size, sha256: hash.digest('hex') };
}

/** The pending items, in the order they are delivered: oldest queued first (then by snapshot). */
export function pendingItems(outbox: string): OutboxItem[] {
  const directory = pendingDirectory(outbox);
  // An item that cannot be read is never passed over: a newer delta of its definition would reach
  // the recipient before it. Everything waits until it is put right.
  for (const id of entries(directory)) {
    let problem: string | undefined;
    try {
      if (!statSync(join(directory, id)).isDirectory()) continue;
      const item = JSON.parse(readFileSync(join(directory, id, 'item.json'), 'utf8')) as Partial<OutboxItem>;
      if (item.id !== id || typeof item.queuedAt !== 'string' || !item.definition || !Array.isArray(item.files)) problem = 'item.json is not an outbox item';
    } catch (error) {
      problem = `item.json ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'is missing' : (error as NodeJS.ErrnoException).code ? `cannot be read (${(error as NodeJS.ErrnoException).code})` : 'is not valid JSON'}`;
    }
    if (problem) {
      throw new ExdefError(`the outbox item ${join(directory, id)}: ${problem}; nothing is delivered, so that no later extract overtakes it`, {
        exitCode: 1,
        step: 'outbox',
        hints: ['restore it (the extract is also in the output directory) or, if it must not be delivered, move it out of pending/'],
      });
    }
  }
  return readItems(directory).sort((a, b) => a.queuedAt.localeCompare(b.queuedAt) || a.snapshot.localeCompare(b.snapshot) || a.id.localeCompare(b.id));
}

/** The receipts of delivered items, oldest delivery first. */
export function receipts(outbox: string): Receipt[] {
  const directory = deliveredDirectory(outbox);
  return entries(directory)
    .flatMap((id) => {
      try {
        return [JSON.parse(readFileSync(join(directory, id, 'receipt.json'), 'utf8')) as Receipt];
      } catch {
        return [];
      }
    })
    .sort((a, b) => a.deliveredAt.localeCompare(b.deliveredAt));
}

/** The failed attempts recorded for a pending item (newest last). */
export function attempts(outbox: string, item: OutboxItem): Attempt[] {
  try {
    return JSON.parse(readFileSync(join(pendingDirectory(outbox), item.id, 'attempts.json'), 'utf8')) as Attempt[];
  } catch {
    return [];
  }
}

export function recordAttempt(outbox: string, item: OutboxItem, attempt: Attempt): void {
  const all = [...attempts(outbox, item), attempt].slice(-20);
  const path = join(pendingDirectory(outbox), item.id, 'attempts.json');
  writeFileSync(`${path}.tmp`, `${JSON.stringify(all, null, 2)}\n`, { mode: PRIVATE_FILE_MODE });
  renameSync(`${path}.tmp`, path);
}

/** The local path of an item's file. */
export function itemFile(outbox: string, item: OutboxItem, file: OutboxFile): string {
  return join(pendingDirectory(outbox), item.id, file.name);
}

/**
 * Records a delivered item: its receipt is written, the item moves to delivered/, and its data
 * files are removed from the outbox (the partner holds them now; the output directory keeps its copy).
 */
export function markDelivered(outbox: string, item: OutboxItem, receipt: Omit<Receipt, 'item'>): Receipt {
  const full: Receipt = { item, ...receipt };
  const pending = join(pendingDirectory(outbox), item.id);
  writeFileSync(join(pending, 'receipt.json'), `${JSON.stringify(full, null, 2)}\n`, { mode: PRIVATE_FILE_MODE });
  const delivered = join(deliveredDirectory(outbox), item.id);
  renameSync(pending, delivered);
  removeDeliveredData(delivered);
  return full;
}

/**
 * Takes out of the outbox an extract that must not be sent (a practice withdrew its approval after
 * the run), with every newer pending extract of its definition (deltas made after it, which the
 * recipient could not apply without it): each moves to discarded/ with a note of why, its data
 * files deleted. The definition then needs a new baseline (`exdef run --full`). Returns them.
 */
export function discardItems(outbox: string, id: string, reason: string, now: Date = new Date()): OutboxItem[] {
  const unlock = lockOutbox(outbox);
  try {
    const pending = pendingItems(outbox);
    const at = pending.findIndex((item) => item.id === id);
    if (at === -1) throw new ExdefError(`no pending extract ${id} in the outbox ${outbox}`, { exitCode: 2, step: 'outbox', hints: ['`exdef deliver --status` lists what is pending'] });
    const first = pending[at]!;
    const discarded = pending.slice(at).filter((item) => item.definition.id === first.definition.id);
    makeDirectory(discardedDirectory(outbox), PRIVATE_DIRECTORY_MODE);
    for (const item of discarded) {
      const from = join(pendingDirectory(outbox), item.id);
      writeFileSync(join(from, 'discarded.json'), `${JSON.stringify({ discardedAt: now.toISOString(), reason: item === first ? reason : `newer than ${first.id}, which was discarded: ${reason}` }, null, 2)}\n`, { mode: PRIVATE_FILE_MODE });
      const to = join(discardedDirectory(outbox), item.id);
      renameSync(from, to);
      for (const name of entries(to)) {
        if (!['item.json', 'attempts.json', 'discarded.json'].includes(name)) rmSync(join(to, name), { force: true, recursive: true });
      }
    }
    return discarded;
  } finally {
    unlock();
  }
}

export function discardedDirectory(outbox: string): string {
  return join(outbox, 'discarded');
}

function removeDeliveredData(directory: string): void {
  for (const name of entries(directory)) {
    if (name !== 'item.json' && name !== 'receipt.json' && name !== 'attempts.json') rmSync(join(directory, name), { force: true, recursive: true });
  }
}

/**
 * One delivery at a time per outbox: deliver.lock holds the pid of the process delivering; a lock
 * left by a process that is gone is taken over. Also tidies what a crash left: half-made items and
 * data files of delivered items.
 */
export function lockOutbox(outbox: string): () => void {
  openOutbox(outbox);
  const lock = join(outbox, 'deliver.lock');
  for (let tries = 0; ; tries++) {
    try {
      writeFileSync(lock, `${process.pid}\n`, { flag: 'wx', mode: PRIVATE_FILE_MODE });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || tries > 2) throw error;
      const holder = Number(readFileSync(lock, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && processAlive(holder)) {
        throw new ExdefError(`another exdef (pid ${holder}) is delivering from the outbox ${outbox}`, { exitCode: 1, step: 'outbox', hints: ['it sends what is pending; run `exdef deliver` again once it has finished'] });
      }
      rmSync(lock, { force: true });
    }
  }
  for (const name of entries(outbox)) {
    const match = /^\.incoming-(\d+)-/.exec(name);
    if (match && !processAlive(Number(match[1]))) rmSync(join(outbox, name), { recursive: true, force: true });
  }
  for (const id of entries(deliveredDirectory(outbox))) removeDeliveredData(join(deliveredDirectory(outbox), id));
  return () => rmSync(lock, { force: true });
}


function entries(directory: string): string[] {
  try {
    return readdirSync(directory);
  } catch {
    return [];
  }
}

function readItems(directory: string): OutboxItem[] {
  return entries(directory).flatMap((id) => {
    try {
      return [JSON.parse(readFileSync(join(directory, id, 'item.json'), 'utf8')) as OutboxItem];
    } catch {
      return [];
    }
  });
}
