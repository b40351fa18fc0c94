import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HELD_ROW_BYTES, HeldRowList, HeldRows, NO_PRACTICE, rowHash } from '../../../src/execute/held-rows.js';
import { hexToId } from '../../../src/execute/record-id.js';

const rid = (n: number | string) => createHash('sha256').update(String(n)).digest('hex').slice(0, 32);

describe('HeldRows', () => {
  it('sorts any rows by id (one row per id) and finds each with its hash, patient and practice', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 0, max: 3 })), { maxLength: 300 }), (rows) => {
        const list = new HeldRowList();
        const first = new Map<string, [number, number]>();
        for (const [n, patient, practice] of rows) {
          expect(list.addHex(Buffer.from(rid(n), 'latin1'), 0, n, n + 1, patient, practice)).toBe(true);
          if (!first.has(rid(n))) first.set(rid(n), [patient, practice]);
        }
        const held = list.sorted();
        expect(held.idsHex()).toEqual([...first.keys()].sort((a, b) => (a < b ? -1 : 1)));
        const again = HeldRows.fromBytes(Buffer.from(held.bytes));
        for (const [id, [patient, practice]] of first) {
          const words = new Uint32Array(4);
          expect(hexToId(Buffer.from(id, 'latin1'), 0, words, 0)).toBe(true);
          const at = again.indexOf(words);
          expect(at).toBeGreaterThanOrEqual(0);
          expect(again.patient(at)).toBe(patient);
          expect(again.practice(at)).toBe(practice);
        }
      }),
    );
  });

  it('refuses stored bytes that are not whole rows or not sorted', () => {
    const list = new HeldRowList();
    list.addHex(Buffer.from(rid(1)), 0, 1, 2, 3, NO_PRACTICE);
    list.addHex(Buffer.from(rid(2)), 0, 1, 2, 3, 0);
    const bytes = Buffer.from(list.sorted().bytes);
    expect(() => HeldRows.fromBytes(bytes.subarray(0, HELD_ROW_BYTES + 4))).toThrow(/whole number/);
    const swapped = Buffer.concat([bytes.subarray(HELD_ROW_BYTES), bytes.subarray(0, HELD_ROW_BYTES)]);
    expect(() => HeldRows.fromBytes(swapped)).toThrow(/not sorted/);
    expect(list.addHex(Buffer.from('z'.repeat(32)), 0, 0, 0, 0, 0)).toBe(false);
  });

  it('merges a re-send into the held rows: every row of both, a row in both as sent — in per-practice layout, as held when sent in another folder', () => {
    const row = fc.tuple(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 1 }));
    fc.assert(
      fc.property(fc.array(row, { maxLength: 40 }), fc.array(row, { maxLength: 40 }), fc.boolean(), (heldRows, sentRows, perPractice) => {
        const make = (rows: [number, number, number][], tag: number) => {
          const list = new HeldRowList();
          for (const [n, hash, practice] of rows) list.addHex(Buffer.from(rid(n)), 0, hash, tag, n, practice);
          return list.sorted();
        };
        const held = make(heldRows, 1);
        const sent = make(sentRows, 2);
        const merged = HeldRows.merge(held, sent, perPractice);
        const words = (rows: HeldRows, id: string) => {
          const w = new Uint32Array(4);
          hexToId(Buffer.from(id), 0, w, 0);
          const at = rows.indexOf(w);
          return at < 0 ? undefined : { practice: rows.practice(at), held: rows.hashEquals(at, heldRows.find(([n]) => rid(n) === id)?.[1] ?? -1, 1) };
        };
        const ids = [...new Set([...held.idsHex(), ...sent.idsHex()])].sort();
        expect(merged.idsHex()).toEqual(ids);
        for (const id of ids) {
          const before = words(held, id);
          const now = words(sent, id);
          const kept = words(merged, id)!;
          const expectHeld = now === undefined || (perPractice && before !== undefined && before.practice !== now.practice);
          expect(kept.held, id).toBe(expectHeld);
          expect(kept.practice).toBe((expectHeld ? before : now)!.practice);
        }
        expect(HeldRows.fromBytes(Buffer.from(merged.bytes)).size).toBe(ids.length);
      }),
    );
    expect(HeldRows.merge(HeldRows.empty(), HeldRows.empty(), false).size).toBe(0);
  });

  it('hashes a changed row differently', () => {
    const a = new Uint32Array(2);
    const b = new Uint32Array(2);
    rowHash(Buffer.from('1,2026-01-01,x'), 0, 14, a);
    rowHash(Buffer.from('1,2026-01-02,x'), 0, 14, b);
    expect([...a]).not.toEqual([...b]);
  });
});
