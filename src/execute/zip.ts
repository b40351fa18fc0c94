/**
 * The extract's package: one ZIP file holding every CSV file (read from disk one at a time, so a
 * run with thousands of practice files never holds thousands of open files) and the manifest.
 * The bytes depend only on the entries and the mtime: entries in the given order, fixed
 * permissions, no wall-clock time. yazl streams it and switches to ZIP64 past 4 GiB or 65,535
 * entries. Also the SHA-256 of a file, streamed, for the manifest and the run log.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, type ReadStream } from 'node:fs';
import { PRIVATE_FILE_MODE } from './private-files.js';
import { lstat, rm, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import yazl from 'yazl';
import { ExdefError } from '../failure.js';

/** One file in the ZIP: `name` is its path inside (`A81001/people.csv`); from a file or from text. */
export interface ZipEntry {
  name: string;
  file?: string;
  text?: string;
}

export interface ZipOptions {
  /**
   * The modification time of every entry (default 2000-01-01T00:00:00Z). A ZIP stores it twice:
   * exactly (UTC, the extended-timestamp field Info-ZIP and 7-Zip read) and as local wall-clock
   * time (the DOS field Windows reads), so the bytes also depend on the process's time zone.
   */
  mtime?: Date;
  /** Write ZIP64 records even when not needed: what every entry past 4 GiB gets (for tests). */
  forceZip64?: boolean;
}

const DEFAULT_MTIME = new Date('2000-01-01T00:00:00Z');
/** A regular file, read-write for its owner, readable by others (inside the ZIP only). */
const ENTRY_MODE = 0o100644;
/** The ZIP holds patient data: only its owner may read it. */
const ZIP_FILE_MODE = PRIVATE_FILE_MODE;

/**
 * Writes the entries to a ZIP file at `path` (created or truncated; the caller picks a temporary
 * name and renames). Rejects with an ExdefError naming the file and the cause (a full disk, no
 * permission, a missing input) and then has closed every stream it opened and removed the partial
 * file.
 */
export async function writeZip(path: string, entries: readonly ZipEntry[], options: ZipOptions = {}): Promise<{ bytes: number }> {
  checkEntries(entries);
  const mtime = options.mtime ?? DEFAULT_MTIME;
  const entryOptions = { mtime, mode: ENTRY_MODE, forceZip64Format: options.forceZip64 ?? false };
  // Sizes first: yazl writes ZIP64 local headers only for entries it knows are large, and a missing
  // input fails before the ZIP file exists. stat holds no file open.
  const sizes = await Promise.all(entries.map((entry) => (entry.file === undefined ? undefined : inputSize(entry.file))));

  const zip = new yazl.ZipFile();
  const output = createWriteStream(path, { mode: ZIP_FILE_MODE });
  const reading = new Set<ReadStream>();
  let failure: ExdefError | undefined;

  const outcome = new Promise<void>((resolve, reject) => {
    const fail = (error: ExdefError) => {
      if (failure) return;
      failure = error;
      const open = [...reading];
      for (const input of open) input.destroy();
      zip.outputStream.unpipe(output);
      (zip.outputStream as Readable).destroy();
      output.destroy();
      // Rejected only once every file it opened is closed: the ZIP and any input being read.
      const closed = (stream: NodeJS.EventEmitter & { closed: boolean }) => (stream.closed ? Promise.resolve() : new Promise<void>((done) => stream.once('close', () => done())));
      void Promise.all([closed(output), ...open.map(closed)]).then(() => reject(error));
    };
    zip.on('error', (error: Error) => fail(new ExdefError(`cannot write the ZIP file ${path}: ${error.message}`, { step: 'zip', cause: error })));
    output.on('error', (error: NodeJS.ErrnoException) => fail(new ExdefError(`cannot write the ZIP file ${path}: ${fileProblem(error)}`, { step: 'zip', cause: error })));
    output.on('close', () => {
      if (!failure) resolve();
    });
    entries.forEach((entry, i) => {
      if (entry.text !== undefined) {
        zip.addBuffer(Buffer.from(entry.text, 'utf8'), entry.name, entryOptions);
        return;
      }
      const file = entry.file!;
      zip.addReadStreamLazy(entry.name, { ...entryOptions, size: sizes[i]! }, (callback) => {
        // After a failure yazl may still ask for the next entry: open nothing more.
        if (failure) {
          callback(failure, undefined as unknown as NodeJS.ReadableStream);
          return;
        }
        const input = createReadStream(file);
        reading.add(input);
        input.on('error', (error: NodeJS.ErrnoException) => fail(new ExdefError(`cannot read ${file} into the ZIP file: ${fileProblem(error)}`, { step: 'zip', cause: error })));
        input.on('close', () => reading.delete(input));
        callback(null, input);
      });
    });
    zip.end({ forceZip64Format: options.forceZip64 ?? false, comment: '' });
    zip.outputStream.pipe(output);
  });

  try {
    await outcome;
  } catch (error) {
    // Only a regular file is ours to remove (never, say, a device given as the path).
    const made = await lstat(path).catch(() => undefined);
    if (made?.isFile()) await rm(path, { force: true }).catch(() => undefined);
    throw error;
  }
  return { bytes: output.bytesWritten };
}

function checkEntries(entries: readonly ZipEntry[]): void {
  const names = new Set<string>();
  for (const entry of entries) {
    if ((entry.file === undefined) === (entry.text === undefined)) throw new Error(`internal: the ZIP entry ${entry.name} needs a file or a text, not both or neither`);
    if (!/^[^/\\]+(\/[^/\\]+)*$/.test(entry.name) || entry.name.split('/').some((part) => part === '.' || part === '..')) {
      throw new Error(`internal: ${JSON.stringify(entry.name)} is not a relative path for a ZIP entry`);
    }
    if (names.has(entry.name)) throw new Error(`internal: two ZIP entries are named ${entry.name}`);
    names.add(entry.name);
  }
}

async function inputSize(file: string): Promise<number> {
  let stats;
  try {
    stats = await stat(file);
  } catch (error) {
    throw new ExdefError(`cannot read ${file} into the ZIP file: ${fileProblem(error as NodeJS.ErrnoException)}`, { step: 'zip', cause: error });
  }
  if (!stats.isFile()) throw new ExdefError(`cannot read ${file} into the ZIP file: not a regular file`, { step: 'zip' });
  return stats.size;
}

/** A file system error as a person would say it. */
function fileProblem(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ENOSPC':
      return 'the disk is full';
    case 'EDQUOT':
      return 'the disk quota is used up';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOENT':
      return 'no such file or directory';
    case 'EISDIR':
      return 'it is a directory';
    case 'EROFS':
      return 'the file system is read-only';
    default:
      return error.message;
  }
}

/** The SHA-256 (hex) and size of a file, read as a stream. */
export async function sha256File(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    for await (const chunk of createReadStream(path)) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
  } catch (error) {
    throw new ExdefError(`cannot read ${path}: ${fileProblem(error as NodeJS.ErrnoException)}`, { step: 'zip', cause: error });
  }
  return { sha256: hash.digest('hex'), bytes };
}
