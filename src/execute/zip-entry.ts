/**
 * A ZIP entry packed while its CSV is written: the bytes pass once through SHA-256 (for the
 * manifest), CRC-32 and a count (for the ZIP headers) and, unless stored, zlib's raw deflate, whose
 * asynchronous form runs on libuv's thread pool, so compressing takes the second core while the
 * main thread reads the database. The packed file holds the entry's data as it goes into the ZIP,
 * followed by a fixed trailer with what the headers need; writeZip (zip.ts) then only copies it.
 *
 * Deflate's output depends only on the bytes, the level and the zlib (Node's own), never on how
 * the bytes arrived in chunks, so the package is the same whichever dataset finished first.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { crc32, createDeflateRaw, deflateRawSync } from 'node:zlib';
import type { Compression } from '../ir/extract-definition.js';

export type { Compression };

/** The default: deflate level 1, about 200 MB/s of CSV on one core here, faster than COPY sends it. */
export const DEFAULT_COMPRESSION: Compression = 'fast';

/** ZIP compression methods: 0 stored, 8 deflated. */
export type ZipMethod = 0 | 8;

const LEVELS: Record<Exclude<Compression, 'store'>, number> = { fast: 1, default: 6, best: 9 };

/** What the ZIP's headers say of an entry. */
export interface EntryData {
  method: ZipMethod;
  crc32: number;
  /** Uncompressed bytes. */
  size: number;
  compressedSize: number;
}

/** The stages that pack bytes (SHA-256, CRC-32, size, deflate) and what they measured. */
export interface EntryPacker {
  /** In order, after the CSV's bytes and before the file they are written to. */
  stages: Transform[];
  /** Once the stages have finished. */
  measured(): { bytes: number; sha256: string };
  /** Once the stages have finished: what the ZIP's headers say of the entry. */
  entry(): EntryData;
}

const TRAILER_MAGIC = Buffer.from('exdefzip', 'latin1');
/** crc32 u32, size u64, compressed size u64, method u16, two zero bytes, magic. */
const TRAILER_LENGTH = 4 + 8 + 8 + 2 + 2 + TRAILER_MAGIC.length;
/** Output chunks of the deflater: fewer, larger writes than zlib's 16 KiB. */
const DEFLATE_CHUNK = 64 * 1024;

/** zlib's level for a compression, or none for store. */
export function deflateLevel(compression: Compression): number | undefined {
  return compression === 'store' ? undefined : LEVELS[compression];
}

/**
 * Stages that turn a CSV's bytes into a packed entry file (piped into a write stream of its own),
 * or, without the trailer, into an entry's data streamed straight into a ZIP. A failure in any
 * stage fails the pipeline they are part of.
 */
export function entryPacker(compression: Compression, options: { trailer: boolean } = { trailer: true }): EntryPacker {
  const hash = createHash('sha256');
  let crc = 0;
  let size = 0;
  let compressedSize = 0;
  const level = deflateLevel(compression);
  const measure = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      crc = crc32(chunk, crc);
      size += chunk.length;
      done(null, chunk);
    },
  });
  const seal = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      compressedSize += chunk.length;
      done(null, chunk);
    },
    flush(done) {
      done(null, options.trailer ? trailer(entry()) : undefined);
    },
  });
  const entry = (): EntryData => ({ method: level === undefined ? 0 : 8, crc32: crc, size, compressedSize });
  const stages = level === undefined ? [measure, seal] : [measure, createDeflateRaw({ level, chunkSize: DEFLATE_CHUNK }), seal];
  let sha256: string | undefined;
  return {
    stages,
    measured: () => ({ bytes: size, sha256: (sha256 ??= hash.digest('hex')) }),
    entry,
  };
}

/** Packs bytes held in memory (the manifest): the entry's data and what the headers need. */
export function packBuffer(bytes: Buffer, compression: Compression): { entry: EntryData; data: Buffer } {
  const level = deflateLevel(compression);
  const data = level === undefined ? bytes : deflateRawSync(bytes, { level });
  return { entry: { method: level === undefined ? 0 : 8, crc32: crc32(bytes), size: bytes.length, compressedSize: data.length }, data };
}

/** What a packed entry file says of itself (its data is the first compressedSize bytes). */
export async function readPackedEntry(path: string): Promise<EntryData> {
  const handle = await open(path, 'r');
  try {
    const { size: length } = await handle.stat();
    const bytes = Buffer.alloc(TRAILER_LENGTH);
    if (length >= TRAILER_LENGTH) await handle.read(bytes, 0, TRAILER_LENGTH, length - TRAILER_LENGTH);
    const entry = length >= TRAILER_LENGTH && bytes.subarray(TRAILER_LENGTH - TRAILER_MAGIC.length).equals(TRAILER_MAGIC) ? fromTrailer(bytes) : undefined;
    if (!entry || entry.compressedSize !== length - TRAILER_LENGTH) throw new Error(`internal: ${path} is not a complete packed ZIP entry`);
    return entry;
  } finally {
    await handle.close();
  }
}

function trailer(entry: EntryData): Buffer {
  const bytes = Buffer.alloc(TRAILER_LENGTH);
  bytes.writeUInt32LE(entry.crc32, 0);
  bytes.writeBigUInt64LE(BigInt(entry.size), 4);
  bytes.writeBigUInt64LE(BigInt(entry.compressedSize), 12);
  bytes.writeUInt16LE(entry.method, 20);
  TRAILER_MAGIC.copy(bytes, 24);
  return bytes;
}

function fromTrailer(bytes: Buffer): EntryData | undefined {
  const method = bytes.readUInt16LE(20);
  if (method !== 0 && method !== 8) return undefined;
  return { method, crc32: bytes.readUInt32LE(0), size: Number(bytes.readBigUInt64LE(4)), compressedSize: Number(bytes.readBigUInt64LE(12)) };
}
