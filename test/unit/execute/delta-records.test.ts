import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { CsvFormatter, type CsvDialect } from '../../../src/execute/csv.js';
import { deltaRecordFilter, deltaRecords } from '../../../src/execute/delta-records.js';
import { RecordIdList, RecordIdSet } from '../../../src/execute/record-id-set.js';

/** A record id as the compiler makes them: 32 hex digits. */
const rid = (n: number | string) => createHash('sha256').update(String(n)).digest('hex').slice(0, 32);

const listOf = (ids: string[]) => {
  const list = new RecordIdList();
  for (const id of ids) expect(list.addHex(Buffer.from(id, 'latin1'), 0)).toBe(true);
  return list;
};
const setOf = (ids: string[]) => RecordIdSet.of(listOf(ids));
const hexes = (set: RecordIdSet) => [...set.toHex()].sort();

describe('RecordIdSet', () => {
  it('keeps ids sorted and unique, and finds exactly those it holds', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => rid(i));
    const set = setOf([...ids, ids[3]!, ids[4999]!]);
    expect(set.size).toBe(5000);
    expect(hexes(set)).toEqual([...ids].sort());
    expect(set.toHex(), 'one id per entry, in the set\'s order').toHaveLength(5000);
    for (const id of ids) expect(set.hasHex(id)).toBe(true);
    for (let i = 5000; i < 6000; i++) expect(set.hasHex(rid(i))).toBe(false);
    expect(RecordIdSet.empty().hasHex(rid(1))).toBe(false);
  });

  it('applies a run: withdrawn ids leave, sent ids join (a row withdrawn and sent again is held)', () => {
    const held = setOf([rid(1), rid(2), rid(3), rid(4)]);
    const next = held.apply(listOf([rid(5), rid(2), rid(6)]), listOf([rid(1), rid(2), rid(7)]));
    expect(hexes(next)).toEqual([rid(2), rid(3), rid(4), rid(5), rid(6)].sort());
    expect(hexes(RecordIdSet.empty().apply(listOf([]), listOf([rid(1)])))).toEqual([]);
  });

  it('refuses stored bytes that are not a sorted set', () => {
    const sorted = setOf([rid(1), rid(2)]).ids;
    expect(RecordIdSet.fromSorted(Buffer.from(sorted)).toHex()).toEqual(setOf([rid(2), rid(1)]).toHex());
    const swapped = Buffer.concat([sorted.subarray(16), sorted.subarray(0, 16)]);
    expect(() => RecordIdSet.fromSorted(swapped)).toThrow(/not sorted/);
    expect(() => RecordIdSet.fromSorted(Buffer.concat([sorted.subarray(0, 16), sorted.subarray(0, 16)]))).toThrow(/not sorted/);
    expect(() => RecordIdSet.fromSorted(sorted.subarray(0, 20))).toThrow(/whole number/);
  });

  it('takes only 32 lower-case hex digits as an id', () => {
    const list = new RecordIdList();
    expect(list.addHex(Buffer.from('z'.repeat(32)), 0)).toBe(false);
    expect(list.addHex(Buffer.from(rid(1).slice(0, 31)), 0)).toBe(false);
    expect(list.size).toBe(0);
  });
});

const DIALECTS: CsvDialect[] = [
  { delimiter: ',', quote: '"', header: true, lineEnding: 'lf' },
  { delimiter: '|', quote: "'", header: false, lineEnding: 'crlf' },
  { delimiter: '\t', quote: '"', header: true, lineEnding: 'lf' },
];

/** Output through the filter, fed in chunks of `size` bytes (so records and tails split anywhere). */
async function filtered(input: string, dialect: CsvDialect, held: RecordIdSet, size: number) {
  const records = deltaRecords(held);
  const bytes = Buffer.from(input, 'utf8');
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
  const out: Buffer[] = [];
  await pipeline(
    Readable.from(chunks),
    deltaRecordFilter(dialect, records),
    new Writable({
      write(chunk: Buffer, _e, done) {
        out.push(chunk);
        done();
      },
    }),
  );
  return { text: Buffer.concat(out).toString('utf8'), records };
}

describe('the delta filter', () => {
  for (const dialect of DIALECTS) {
    it(`leaves out deletions of rows the recipient never had, whatever the chunking (delimiter ${JSON.stringify(dialect.delimiter)})`, async () => {
      const f = new CsvFormatter(dialect, 4);
      const header = dialect.header ? f.header(['code', 'note', 'record_id', 'change_type']) : '';
      // Values with delimiters, quotes, line breaks and multi-byte characters, so a record boundary is not a plain LF.
      const rows: [string | null, string | null, string, 'upsert' | 'delete'][] = [
        ['1', `a${dialect.delimiter}b\n"c"`, rid(1), 'upsert'],
        [null, null, rid(2), 'delete'], // held: kept
        [null, null, rid(3), 'delete'], // never sent: left out
        ['é', 'upsert', rid(4), 'upsert'],
        [null, null, rid(5), 'delete'], // never sent: left out
        [null, null, rid(6), 'delete'], // held: kept
        ['x\r\ny', '', rid(7), 'upsert'],
      ];
      const text = header + rows.map((r) => f.row(r)).join('');
      const expected = header + rows.filter((r) => r[3] === 'upsert' || r[2] === rid(2) || r[2] === rid(6)).map((r) => f.row(r)).join('');
      const held = setOf([rid(2), rid(6), rid(9)]);
      for (const size of [1, 2, 7, 40, 41, 42, 1 << 16]) {
        const { text: written, records } = await filtered(text, dialect, held, size);
        expect(written, `chunks of ${size}`).toBe(expected);
        expect(records.written).toBe(5);
        expect(records.suppressed).toBe(2);
        expect(hexes(held.apply(records.sent, records.withdrawn))).toEqual([rid(1), rid(4), rid(7), rid(9)].sort());
      }
    });
  }

  it('passes each record on as soon as it is complete (a header is on disk before the query answers)', async () => {
    const dialect = DIALECTS[0]!;
    const filter = deltaRecordFilter(dialect, deltaRecords(RecordIdSet.empty()));
    const seen: string[] = [];
    filter.on('data', (chunk: Buffer) => seen.push(chunk.toString()));
    filter.write('code,record_id,change_type\n1,');
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual(['code,record_id,change_type\n']);
    filter.end(`${rid(1)},upsert\n`);
    await new Promise((r) => filter.on('end', r));
    expect(seen.join('')).toBe(`code,record_id,change_type\n1,${rid(1)},upsert\n`);
  });

  it('refuses a record that does not end in a record id and a change type (a compiler bug)', async () => {
    const dialect = DIALECTS[0]!;
    await expect(filtered(`a,b\n1,${rid(1)},changed\n`, { ...dialect, header: true }, RecordIdSet.empty(), 5)).rejects.toThrow(/does not end in a record id/);
    await expect(filtered(`1,${rid(1)},upsert`, { ...dialect, header: false }, RecordIdSet.empty(), 5)).rejects.toThrow(/ends inside a record/);
  });
});
