/**
 * A record id as written in a delta definition's output: 32 hex digits (128 bits of an HMAC of the
 * row's key, see src/sql/dataset-query.ts), held in memory as four 32-bit words (the hex read
 * eight digits a word), 16 bytes, so that millions of them need no object each (held-rows.ts).
 */
export const RECORD_ID_BYTES = 16;
export const RECORD_ID_HEX = RECORD_ID_BYTES * 2;

/** Words (uint32) per id. */
const WORDS = RECORD_ID_BYTES / 4;

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
