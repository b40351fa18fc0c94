/**
 * The extract's package: one ZIP file holding every CSV file and the manifest. Entries come
 * packed already (zip-entry.ts: deflated on the thread pool as the CSV was written, so packaging
 * only copies their bytes), from a file (deflated as it is read), or from text. Inputs are read
 * one at a time, so a run with thousands of practice files never holds thousands of open files.
 * The bytes depend only on the entries, the mtime and the compression level: entries in the given
 * order, fixed permissions, no wall-clock time, sizes in the local headers (no data descriptors).
 * ZIP64 records are written where a size, an offset or the number of entries needs them.
 * Also the SHA-256 of a file, streamed, for the manifest and the run log.
 */
import { createHash } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import { lstat, open, rm, stat, type FileHandle } from 'node:fs/promises';
import { Writable, type Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ExdefError } from '../failure.js';
import { PRIVATE_FILE_MODE } from './private-files.js';
import { DEFAULT_COMPRESSION, entryPacker, packBuffer, readPackedEntry, type Compression, type EntryData } from './zip-entry.js';

/**
 * One file in the ZIP: `name` is its path inside (`A81001/people.csv`); from a file, from text, or
 * `packed`: a file written through entryPacker (zip-entry.ts), copied as it is.
 */
export interface ZipEntry {
  name: string;
  file?: string;
  text?: string;
  packed?: string;
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
  /** How the file and text entries are deflated (default fast); packed entries are as packed. */
  compression?: Compression;
}

const DEFAULT_MTIME = new Date('2000-01-01T00:00:00Z');
/** A regular file, read-write for its owner, readable by others (inside the ZIP only). */
const ENTRY_MODE = 0o100644;
/** The ZIP holds patient data: only its owner may read it. */
const ZIP_FILE_MODE = PRIVATE_FILE_MODE;
const MAX_32 = 0xffffffff;
const MAX_16 = 0xffff;
/**
 * Entries this large get ZIP64 local headers. Below 4 GiB by a margin, because a file entry's
 * header is written before its deflated size is known, and deflate may add a little to data that
 * does not compress (5 bytes in 16 KiB); the same rule for every entry keeps the bytes the same.
 */
const ZIP64_ENTRY_SIZE = 0xff000000;
/** Reads and writes of entry data. */
const COPY_CHUNK = 1 << 20;
/** UTF-8 names (general purpose bit 11). */
const FLAG_UTF8 = 0x0800;
/** Version made by: Unix (3), ZIP specification 4.5. */
const MADE_BY = (3 << 8) | 45;

/**
 * Writes the entries to a ZIP file at `path` (created or truncated; the caller picks a temporary
 * name and renames). Rejects with an ExdefError naming the file and the cause (a full disk, no
 * permission, a missing input) and then has closed every file it opened and removed the partial
 * file.
 */
export async function writeZip(path: string, entries: readonly ZipEntry[], options: ZipOptions = {}): Promise<{ bytes: number }> {
  checkEntries(entries);
  const compression = options.compression ?? DEFAULT_COMPRESSION;
  // Sizes first: a file entry's ZIP64 header depends on its size, and a missing input fails before
  // the ZIP file exists. stat holds no file open.
  const sizes = await Promise.all(entries.map((entry) => (entry.file === undefined ? undefined : inputSize(entry.file))));
  const packed = await Promise.all(entries.map((entry) => (entry.packed === undefined ? undefined : packedEntry(entry.packed))));

  let handle: FileHandle;
  try {
    handle = await open(path, 'w', ZIP_FILE_MODE);
  } catch (error) {
    throw cannotWrite(path, error);
  }
  const zip = new ZipWriter(path, handle, options.mtime ?? DEFAULT_MTIME, options.forceZip64 ?? false);
  try {
    for (const [i, entry] of entries.entries()) {
      if (entry.text !== undefined) await zip.addBuffer(entry.name, Buffer.from(entry.text, 'utf8'), compression);
      else if (entry.packed !== undefined) await zip.addPacked(entry.name, entry.packed, packed[i]!);
      else await zip.addFile(entry.name, entry.file!, sizes[i]!, compression);
    }
    await zip.finish();
    await handle.close();
  } catch (error) {
    await handle.close().catch(() => undefined);
    // Only a regular file is ours to remove (never, say, a device given as the path).
    const made = await lstat(path).catch(() => undefined);
    if (made?.isFile()) await rm(path, { force: true }).catch(() => undefined);
    throw error instanceof ExdefError ? error : cannotWrite(path, error);
  }
  return { bytes: zip.offset };
}

/** An entry's place and headers, kept for the central directory. */
interface Written extends EntryData {
  name: Buffer;
  offset: number;
  zip64: boolean;
}

/** Writes a ZIP file front to back (positional writes, so a file entry's header can be completed after its data). */
class ZipWriter {
  offset = 0;
  readonly #path: string;
  readonly #handle: FileHandle;
  readonly #written: Written[] = [];
  readonly #unixTime: number;
  readonly #dosTime: number;
  readonly #dosDate: number;
  readonly #forceZip64: boolean;

  constructor(path: string, handle: FileHandle, mtime: Date, forceZip64: boolean) {
    this.#path = path;
    this.#handle = handle;
    this.#forceZip64 = forceZip64;
    this.#unixTime = Math.floor(mtime.getTime() / 1000);
    this.#dosTime = (mtime.getHours() << 11) | (mtime.getMinutes() << 5) | Math.floor(mtime.getSeconds() / 2);
    this.#dosDate = ((mtime.getFullYear() - 1980) << 9) | ((mtime.getMonth() + 1) << 5) | mtime.getDate();
  }

  async addBuffer(name: string, bytes: Buffer, compression: Compression): Promise<void> {
    const { entry, data } = packBuffer(bytes, compression);
    await this.#header(name, entry);
    await this.#write(data);
  }

  /** A packed entry file: its header, then its data copied as it is. */
  async addPacked(name: string, file: string, entry: EntryData): Promise<void> {
    await this.#header(name, entry);
    if (entry.compressedSize === 0) return;
    const input = createReadStream(file, { start: 0, end: entry.compressedSize - 1, highWaterMark: COPY_CHUNK });
    const copied = await this.#stream(input, file, []);
    if (copied !== entry.compressedSize) throw this.#changed(file, copied, entry.compressedSize);
  }

  /** A file deflated as it is read; its header is written first and completed after. */
  async addFile(name: string, file: string, size: number, compression: Compression): Promise<void> {
    const packer = entryPacker(compression, { trailer: false });
    const provisional: EntryData = { method: compression === 'store' ? 0 : 8, crc32: 0, size, compressedSize: size };
    const at = this.offset;
    const zip64 = await this.#header(name, provisional);
    const input = createReadStream(file, { highWaterMark: COPY_CHUNK });
    await this.#stream(input, file, packer.stages);
    const entry = packer.entry();
    if (entry.size !== size) throw this.#changed(file, entry.size, size);
    if (!zip64 && this.#needsZip64(entry)) throw new Error(`internal: ${file} deflated past what its ZIP header can hold`);
    this.#written[this.#written.length - 1] = { ...this.#written[this.#written.length - 1]!, ...entry };
    await this.#writeAt(this.#localHeader(Buffer.from(name, 'utf8'), entry, zip64), at);
  }

  /** The central directory and its end records (ZIP64 where the counts or offsets need them). */
  async finish(): Promise<void> {
    const start = this.offset;
    const records = this.#written.map((entry) => this.#centralRecord(entry));
    await this.#write(Buffer.concat(records));
    const size = this.offset - start;
    const count = this.#written.length;
    const zip64 = this.#forceZip64 || count >= MAX_16 || start >= MAX_32 || size >= MAX_32;
    const tail: Buffer[] = [];
    if (zip64) {
      const record = Buffer.alloc(56);
      record.writeUInt32LE(0x06064b50, 0);
      record.writeBigUInt64LE(44n, 4);
      record.writeUInt16LE(MADE_BY, 12);
      record.writeUInt16LE(45, 14);
      record.writeBigUInt64LE(BigInt(count), 24);
      record.writeBigUInt64LE(BigInt(count), 32);
      record.writeBigUInt64LE(BigInt(size), 40);
      record.writeBigUInt64LE(BigInt(start), 48);
      const locator = Buffer.alloc(20);
      locator.writeUInt32LE(0x07064b50, 0);
      locator.writeBigUInt64LE(BigInt(this.offset), 8);
      locator.writeUInt32LE(1, 16);
      tail.push(record, locator);
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(zip64 ? MAX_16 : count, 8);
    end.writeUInt16LE(zip64 ? MAX_16 : count, 10);
    end.writeUInt32LE(zip64 ? MAX_32 : size, 12);
    end.writeUInt32LE(zip64 ? MAX_32 : start, 16);
    tail.push(end);
    await this.#write(Buffer.concat(tail));
  }

  #needsZip64(entry: EntryData): boolean {
    return this.#forceZip64 || entry.size >= ZIP64_ENTRY_SIZE || entry.compressedSize >= ZIP64_ENTRY_SIZE;
  }

  /** Writes a local header; says whether it is ZIP64. */
  async #header(name: string, entry: EntryData): Promise<boolean> {
    const zip64 = this.#needsZip64(entry);
    const bytes = Buffer.from(name, 'utf8');
    this.#written.push({ ...entry, name: bytes, offset: this.offset, zip64 });
    await this.#write(this.#localHeader(bytes, entry, zip64));
    return zip64;
  }

  #localHeader(name: Buffer, entry: EntryData, zip64: boolean): Buffer {
    const extra: Buffer[] = [];
    if (zip64) extra.push(zip64Extra([entry.size, entry.compressedSize]));
    extra.push(this.#timestampExtra());
    const extras = Buffer.concat(extra);
    const header = Buffer.alloc(30);
    header.writeUInt32LE(0x04034b50, 0);
    header.writeUInt16LE(versionNeeded(entry, zip64), 4);
    header.writeUInt16LE(FLAG_UTF8, 6);
    header.writeUInt16LE(entry.method, 8);
    header.writeUInt16LE(this.#dosTime, 10);
    header.writeUInt16LE(this.#dosDate, 12);
    header.writeUInt32LE(entry.crc32, 14);
    header.writeUInt32LE(zip64 ? MAX_32 : entry.compressedSize, 18);
    header.writeUInt32LE(zip64 ? MAX_32 : entry.size, 22);
    header.writeUInt16LE(name.length, 26);
    header.writeUInt16LE(extras.length, 28);
    return Buffer.concat([header, name, extras]);
  }

  #centralRecord(entry: Written): Buffer {
    // A large offset needs ZIP64 here only; such a record gives all three values in its extra field.
    const zip64 = entry.zip64 || entry.offset >= MAX_32;
    const extra: Buffer[] = [];
    if (zip64) extra.push(zip64Extra([entry.size, entry.compressedSize, entry.offset]));
    extra.push(this.#timestampExtra());
    const extras = Buffer.concat(extra);
    const record = Buffer.alloc(46);
    record.writeUInt32LE(0x02014b50, 0);
    record.writeUInt16LE(MADE_BY, 4);
    record.writeUInt16LE(versionNeeded(entry, zip64), 6);
    record.writeUInt16LE(FLAG_UTF8, 8);
    record.writeUInt16LE(entry.method, 10);
    record.writeUInt16LE(this.#dosTime, 12);
    record.writeUInt16LE(this.#dosDate, 14);
    record.writeUInt32LE(entry.crc32, 16);
    record.writeUInt32LE(zip64 ? MAX_32 : entry.compressedSize, 20);
    record.writeUInt32LE(zip64 ? MAX_32 : entry.size, 24);
    record.writeUInt16LE(entry.name.length, 28);
    record.writeUInt16LE(extras.length, 30);
    record.writeUInt32LE((ENTRY_MODE << 16) >>> 0, 38);
    record.writeUInt32LE(zip64 ? MAX_32 : entry.offset, 42);
    return Buffer.concat([record, entry.name, extras]);
  }

  /** The extended timestamp (0x5455): the modification time in UTC seconds. */
  #timestampExtra(): Buffer {
    const extra = Buffer.alloc(9);
    extra.writeUInt16LE(0x5455, 0);
    extra.writeUInt16LE(5, 2);
    extra.writeUInt8(1, 4);
    extra.writeInt32LE(this.#unixTime, 5);
    return extra;
  }

  #changed(file: string, read: number, expected: number): ExdefError {
    return new ExdefError(`cannot write the ZIP file ${this.#path}: ${file} changed while it was read (an unexpected number of bytes: ${read}, not ${expected})`, { step: 'zip' });
  }

  /** An input through the stages into the ZIP; a failure to read names the input. Gives the bytes written. */
  async #stream(input: ReadStream, file: string, stages: Transform[]): Promise<number> {
    let bytes = 0;
    let writeFailure: unknown;
    const sink = new Writable({
      highWaterMark: COPY_CHUNK,
      write: (chunk: Buffer, _encoding, done) => {
        bytes += chunk.length;
        this.#write(chunk).then(
          () => done(),
          (error: Error) => done((writeFailure = error)),
        );
      },
    });
    try {
      await pipeline([input as Readable, ...stages, sink]);
      return bytes;
    } catch (error) {
      // The pipeline destroys every stream with the first error: only one the input raised is a read failure.
      if (error !== writeFailure && input.errored === error) throw new ExdefError(`cannot read ${file} into the ZIP file: ${fileProblem(error as NodeJS.ErrnoException)}`, { step: 'zip', cause: error });
      throw error;
    }
  }

  async #write(bytes: Buffer): Promise<void> {
    await this.#writeAt(bytes, this.offset);
    this.offset += bytes.length;
  }

  async #writeAt(bytes: Buffer, position: number): Promise<void> {
    let done = 0;
    while (done < bytes.length) {
      const { bytesWritten } = await this.#handle.write(bytes, done, bytes.length - done, position + done);
      done += bytesWritten;
    }
  }
}

/** The ZIP64 extended information (0x0001): the given values, 8 bytes each. */
function zip64Extra(values: number[]): Buffer {
  const extra = Buffer.alloc(4 + 8 * values.length);
  extra.writeUInt16LE(0x0001, 0);
  extra.writeUInt16LE(8 * values.length, 2);
  values.forEach((value, i) => extra.writeBigUInt64LE(BigInt(value), 4 + 8 * i));
  return extra;
}

/** 4.5 for ZIP64, 2.0 for deflate, 1.0 for a stored entry. */
function versionNeeded(entry: EntryData, zip64: boolean): number {
  return zip64 ? 45 : entry.method === 8 ? 20 : 10;
}

function cannotWrite(path: string, error: unknown): ExdefError {
  return new ExdefError(`cannot write the ZIP file ${path}: ${fileProblem(error as NodeJS.ErrnoException)}`, { step: 'zip', cause: error });
}

async function packedEntry(file: string): Promise<EntryData> {
  try {
    return await readPackedEntry(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === undefined) throw error;
    throw new ExdefError(`cannot read ${file} into the ZIP file: ${fileProblem(error as NodeJS.ErrnoException)}`, { step: 'zip', cause: error });
  }
}

function checkEntries(entries: readonly ZipEntry[]): void {
  const names = new Set<string>();
  for (const entry of entries) {
    if ([entry.file, entry.text, entry.packed].filter((source) => source !== undefined).length !== 1) throw new Error(`internal: the ZIP entry ${entry.name} needs a file or a text or a packed entry, exactly one`);
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
