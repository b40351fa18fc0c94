/**
 * The record ids a recipient holds, per dataset of a delta definition: what lets a run send a
 * delete marker only for a row the recipient was sent, so that a row it never had (a new
 * confidential or sensitive row, a row of a patient outside the population) leaves no trace.
 *
 * A record id is 32 hex digits (128 bits of an HMAC, see src/sql/dataset-query.ts). Millions of
 * them are kept as one sorted typed array, 16 bytes an id (four 32-bit words, the hex read eight
 * digits a word) — 16 MB for a million, no object per id — looked up by binary search; a run's
 * changes are sorted by radix and merged in linearly.
 */
export const RECORD_ID_BYTES = 16;
export const RECORD_ID_HEX = RECORD_ID_BYTES * 2;

/** Words (uint32) per id: ids are compared as four words, the order the set is sorted in. */
const WORDS = RECORD_ID_BYTES / 4;

export class RecordIdSet {
  /** `words` holds the ids sorted by compareIds, without duplicates, four words each. */
  private constructor(private readonly words: Uint32Array) {}

  static empty(): RecordIdSet {
    return new RecordIdSet(new Uint32Array(0));
  }

  /**
   * From stored bytes (see `ids`); checks the order, since a set that is not sorted would answer
   * wrongly. The bytes are copied into aligned memory.
   */
  static fromSorted(ids: Buffer): RecordIdSet {
    if (ids.length % RECORD_ID_BYTES !== 0) throw new Error(`internal: a record id set of ${ids.length} bytes is not a whole number of ids`);
    const words = new Uint32Array(ids.length / 4);
    Buffer.from(words.buffer).set(ids);
    for (let at = WORDS; at < words.length; at += WORDS) {
      if (compareIds(words, at - WORDS, words, at) >= 0) throw new Error('internal: a stored record id set is not sorted');
    }
    return new RecordIdSet(words);
  }

  /** Exactly the ids of `sent`: a full extract (a new baseline) replaces whatever was held. */
  static of(sent: RecordIdList): RecordIdSet {
    return new RecordIdSet(sent.sorted());
  }

  /** The set as bytes to store: the ids in the set's order (machine byte order within each word). */
  get ids(): Buffer {
    return Buffer.from(this.words.buffer, this.words.byteOffset, this.words.byteLength);
  }

  get size(): number {
    return this.words.length / WORDS;
  }

  /** Whether the id whose four words are `id[at..at+4]` is in the set. */
  has(id: Uint32Array, at = 0): boolean {
    let lo = 0;
    let hi = this.size - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const order = compareIds(this.words, mid * WORDS, id, at);
      if (order === 0) return true;
      if (order < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }

  /** The ids as written in the output (32 hex digits), in the set's order. */
  toHex(): string[] {
    const hex: string[] = [];
    for (let i = 0; i < this.words.length; i += WORDS) {
      let id = '';
      for (let x = 0; x < WORDS; x++) id += this.words[i + x]!.toString(16).padStart(8, '0');
      hex.push(id);
    }
    return hex;
  }

  hasHex(hex: string): boolean {
    const id = new Uint32Array(WORDS);
    return hexToId(Buffer.from(hex, 'latin1'), 0, id, 0) && this.has(id);
  }

  /**
   * What the recipient holds after applying a run that withdrew `withdrawn` and sent `sent`
   * (deletions first: in the output a row's `delete` sorts before its `upsert`).
   */
  apply(sent: RecordIdList, withdrawn: RecordIdList): RecordIdSet {
    const a = this.words;
    const s = sent.sorted();
    const w = withdrawn.sorted();
    const out = new Uint32Array(a.length + s.length);
    let length = 0;
    let i = 0;
    let j = 0;
    let k = 0;
    while (i < a.length || j < s.length) {
      // The smaller of the next held and the next sent id (once when they are equal).
      if (j >= s.length || (i < a.length && compareIds(a, i, s, j) < 0)) {
        while (k < w.length && compareIds(w, k, a, i) < 0) k += WORDS;
        if (!(k < w.length && compareIds(w, k, a, i) === 0)) {
          for (let x = 0; x < WORDS; x++) out[length + x] = a[i + x]!;
          length += WORDS;
        }
        i += WORDS;
      } else {
        if (i < a.length && compareIds(a, i, s, j) === 0) i += WORDS;
        for (let x = 0; x < WORDS; x++) out[length + x] = s[j + x]!;
        length += WORDS;
        j += WORDS;
      }
    }
    return new RecordIdSet(out.slice(0, length));
  }
}

/** The order of ids: word by word. Any fixed total order serves; this one is fast in JavaScript. */
function compareIds(x: Uint32Array, xi: number, y: Uint32Array, yi: number): number {
  for (let n = 0; n < WORDS; n++) {
    const d = x[xi + n]! - y[yi + n]!;
    if (d !== 0) return d;
  }
  return 0;
}

/** Ids collected as a run writes them, in any order: four words each, in a growing array. */
export class RecordIdList {
  #words = new Uint32Array(WORDS * 1024);
  #length = 0;

  get size(): number {
    return this.#length / WORDS;
  }

  /** Adds the id written as 32 lower-case hex digits at `text[at..at+32]`; false when it is not one. */
  addHex(text: Buffer, at: number): boolean {
    if (this.#length + WORDS > this.#words.length) {
      const grown = new Uint32Array(this.#words.length * 2);
      grown.set(this.#words.subarray(0, this.#length));
      this.#words = grown;
    }
    if (!hexToId(text, at, this.#words, this.#length)) return false;
    this.#length += WORDS;
    return true;
  }

  /** The ids sorted by compareIds, without duplicates: an LSD radix sort on 16-bit digits, no object per id. */
  sorted(): Uint32Array {
    const n = this.size;
    let from = this.#words.slice(0, this.#length);
    if (n <= 1) return from;
    let to = new Uint32Array(this.#length);
    const count = new Uint32Array(65_537);
    for (let digit = 0; digit < WORDS * 2; digit++) {
      // Least significant first: the low half of the last word, ..., the high half of the first.
      const word = WORDS - 1 - (digit >> 1);
      const shift = digit & 1 ? 16 : 0;
      count.fill(0);
      for (let i = word; i < from.length; i += WORDS) count[((from[i]! >>> shift) & 0xffff) + 1]!++;
      for (let b = 0; b < 65_536; b++) count[b + 1]! += count[b]!;
      for (let i = 0; i < from.length; i += WORDS) {
        const d = count[(from[i + word]! >>> shift) & 0xffff]!++ * WORDS;
        to[d] = from[i]!;
        to[d + 1] = from[i + 1]!;
        to[d + 2] = from[i + 2]!;
        to[d + 3] = from[i + 3]!;
      }
      [from, to] = [to, from];
    }
    // Drop repeats (a row is not sent twice in one run, but a set must not hold one twice).
    let length = WORDS;
    for (let i = WORDS; i < from.length; i += WORDS) {
      if (compareIds(from, length - WORDS, from, i) !== 0) {
        if (length !== i) from.copyWithin(length, i, i + WORDS);
        length += WORDS;
      }
    }
    return from.slice(0, length);
  }
}

const HEX = new Int8Array(256).fill(-1);
for (let c = 0; c < 10; c++) HEX[0x30 + c] = c;
for (let c = 0; c < 6; c++) HEX[0x61 + c] = 10 + c;

/** 32 lower-case hex digits at `text[at..]` as four words at `out[outAt..]`; false when they are not. */
export function hexToId(text: Buffer, at: number, out: Uint32Array, outAt: number): boolean {
  if (at + RECORD_ID_HEX > text.length) return false;
  for (let w = 0; w < WORDS; w++) {
    let word = 0;
    for (let d = 0; d < 8; d++) {
      const v = HEX[text[at + w * 8 + d]!]!;
      if (v < 0) return false;
      word = (word << 4) | v;
    }
    out[outAt + w] = word >>> 0;
  }
  return true;
}
