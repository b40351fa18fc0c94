import { hexToId, RECORD_ID_BYTES } from './record-id.js';

/**
 * What the recipient of a delta definition holds, per dataset: for every row it was sent, the
 * record id, a 64-bit hash of the row as sent, the patient it belongs to and the practice it was
 * sent for. A delta run compares the full result with this (delta-records.ts): an upsert is a
 * new id or a changed hash, a delete marker a held id the full result no longer has.
 *
 * Kept as one typed array, nine 32-bit words a row (36 bytes, no object per row), sorted by
 * record id and looked up by binary search; a run's rows are sorted by radix on their ids.
 */
export const HELD_ROW_WORDS = 9;
export const HELD_ROW_BYTES = HELD_ROW_WORDS * 4;
/** Word offsets within a row. */
const ID = 0;
const HASH = 4;
const PATIENT = 6;
const PRACTICE = 8;
const ID_WORDS = RECORD_ID_BYTES / 4;
/** The practice index of a row held for no practice of the definition. */
export const NO_PRACTICE = 0xffffffff;

export class HeldRows {
  private constructor(private readonly words: Uint32Array) {}

  static empty(): HeldRows {
    return new HeldRows(new Uint32Array(0));
  }

  /** From stored bytes (see `bytes`); the order is checked, since an unsorted set would answer wrongly. */
  static fromBytes(bytes: Buffer): HeldRows {
    if (bytes.length % HELD_ROW_BYTES !== 0) throw new Error(`internal: held rows of ${bytes.length} bytes are not a whole number of rows`);
    const words = new Uint32Array(bytes.length / 4);
    Buffer.from(words.buffer).set(bytes);
    for (let at = HELD_ROW_WORDS; at < words.length; at += HELD_ROW_WORDS) {
      if (compareIds(words, at - HELD_ROW_WORDS, words, at) >= 0) throw new Error('internal: stored held rows are not sorted');
    }
    return new HeldRows(words);
  }

  /** The rows as bytes to store (machine byte order within each word). */
  get bytes(): Buffer {
    return Buffer.from(this.words.buffer, this.words.byteOffset, this.words.byteLength);
  }

  get size(): number {
    return this.words.length / HELD_ROW_WORDS;
  }

  /** The index of the row whose id is the four words `id[at..]`, or -1. */
  indexOf(id: Uint32Array, at = 0): number {
    let lo = 0;
    let hi = this.size - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const order = compareIds(this.words, mid * HELD_ROW_WORDS, id, at);
      if (order === 0) return mid;
      if (order < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  hashEquals(i: number, h0: number, h1: number): boolean {
    const at = i * HELD_ROW_WORDS + HASH;
    return this.words[at] === h0 && this.words[at + 1] === h1;
  }

  /** The row's patient id (0: a table without patients); the high word is signed, as addHex stores it (a bigint key may be negative). */
  patient(i: number): number {
    const at = i * HELD_ROW_WORDS + PATIENT;
    return (this.words[at]! | 0) * 0x1_0000_0000 + this.words[at + 1]!;
  }

  practice(i: number): number {
    return this.words[i * HELD_ROW_WORDS + PRACTICE]!;
  }

  idHex(i: number): string {
    let hex = '';
    for (let w = 0; w < ID_WORDS; w++) hex += this.words[i * HELD_ROW_WORDS + ID + w]!.toString(16).padStart(8, '0');
    return hex;
  }

  /** The held record ids, as written in the output (tests and tools). */
  idsHex(): string[] {
    return Array.from({ length: this.size }, (_, i) => this.idHex(i));
  }

  /**
   * What the recipient holds after a re-send of some practices (a full extract of them, which it
   * applies as upserts, keeping every other row): every row held before, and every row `sent`, a
   * row in both as sent. Except, in per-practice layout, a row sent in another practice's folder
   * than the one it is held in: the recipient then holds both copies, and the one kept here is the
   * old, so that the next delta withdraws it from its folder (its hash differs from the row's now)
   * and sends the row again in its own.
   */
  static merge(held: HeldRows, sent: HeldRows, perPractice: boolean): HeldRows {
    const a = held.words;
    const b = sent.words;
    const out = new Uint32Array(a.length + b.length);
    let i = 0;
    let j = 0;
    let length = 0;
    const take = (from: Uint32Array, at: number) => {
      out.set(from.subarray(at, at + HELD_ROW_WORDS), length);
      length += HELD_ROW_WORDS;
    };
    while (i < a.length || j < b.length) {
      const order = i >= a.length ? 1 : j >= b.length ? -1 : compareIds(a, i, b, j);
      if (order < 0) {
        take(a, i);
        i += HELD_ROW_WORDS;
      } else if (order > 0) {
        take(b, j);
        j += HELD_ROW_WORDS;
      } else {
        const moved = perPractice && a[i + PRACTICE] !== b[j + PRACTICE];
        if (moved) take(a, i);
        else take(b, j);
        i += HELD_ROW_WORDS;
        j += HELD_ROW_WORDS;
      }
    }
    return new HeldRows(out.subarray(0, length));
  }

  /** Copies row i into `list` unchanged (a row kept held though not sent again). */
  copyTo(i: number, list: HeldRowList): void {
    list.push(this.words, i * HELD_ROW_WORDS);
  }
}

/** Rows collected as a run sends them, in any order. */
export class HeldRowList {
  #words = new Uint32Array(HELD_ROW_WORDS * 1024);
  #length = 0;
  readonly #row = new Uint32Array(HELD_ROW_WORDS);

  get size(): number {
    return this.#length / HELD_ROW_WORDS;
  }

  /** Adds the row whose id is 32 lower-case hex digits at `text[at..]`; false when they are not. */
  addHex(text: Buffer, at: number, h0: number, h1: number, patient: number, practice: number): boolean {
    const row = this.#row;
    if (!hexToId(text, at, row, ID)) return false;
    row[HASH] = h0;
    row[HASH + 1] = h1;
    row[PATIENT] = Math.floor(patient / 0x1_0000_0000);
    row[PATIENT + 1] = patient >>> 0;
    row[PRACTICE] = practice;
    this.push(row, 0);
    return true;
  }

  push(words: Uint32Array, at: number): void {
    if (this.#length + HELD_ROW_WORDS > this.#words.length) {
      const grown = new Uint32Array(this.#words.length * 2);
      grown.set(this.#words.subarray(0, this.#length));
      this.#words = grown;
    }
    this.#words.set(words.subarray(at, at + HELD_ROW_WORDS), this.#length);
    this.#length += HELD_ROW_WORDS;
  }

  /** The rows sorted by id (an LSD radix sort of row indices on 16-bit digits), one row per id. */
  sorted(): HeldRows {
    const n = this.size;
    const words = this.#words;
    let from = new Uint32Array(n);
    for (let i = 0; i < n; i++) from[i] = i;
    let to = new Uint32Array(n);
    const count = new Uint32Array(65_537);
    for (let digit = 0; digit < ID_WORDS * 2 && n > 1; digit++) {
      const word = ID + ID_WORDS - 1 - (digit >> 1);
      const shift = digit & 1 ? 16 : 0;
      count.fill(0);
      for (let i = 0; i < n; i++) count[((words[from[i]! * HELD_ROW_WORDS + word]! >>> shift) & 0xffff) + 1]!++;
      for (let b = 0; b < 65_536; b++) count[b + 1]! += count[b]!;
      for (let i = 0; i < n; i++) to[count[(words[from[i]! * HELD_ROW_WORDS + word]! >>> shift) & 0xffff]!++] = from[i]!;
      [from, to] = [to, from];
    }
    const out = new Uint32Array(n * HELD_ROW_WORDS);
    let length = 0;
    for (let i = 0; i < n; i++) {
      const at = from[i]! * HELD_ROW_WORDS;
      if (length > 0 && compareIds(out, length - HELD_ROW_WORDS, words, at) === 0) continue;
      out.set(words.subarray(at, at + HELD_ROW_WORDS), length);
      length += HELD_ROW_WORDS;
    }
    return HeldRows.fromBytes(Buffer.from(out.buffer, 0, length * 4));
  }
}

function compareIds(x: Uint32Array, xi: number, y: Uint32Array, yi: number): number {
  for (let n = 0; n < ID_WORDS; n++) {
    const d = x[xi + n]! - y[yi + n]!;
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * A 64-bit hash of `bytes[from..to)` as two 32-bit words: not cryptographic (the state sits beside
 * the data it describes), only to tell a changed row from an unchanged one.
 */
export function rowHash(bytes: Buffer, from: number, to: number, out: Uint32Array): void {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = from; i < to; i++) {
    const c = bytes[i]!;
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  out[0] = a >>> 0;
  out[1] = (b ^ (to - from)) >>> 0;
}
