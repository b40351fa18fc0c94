import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { CsvFormatter, type CsvDialect } from '../../../src/execute/csv.js';
import { deltaRecordFilter, deltaRecords, type DeltaRules } from '../../../src/execute/delta-records.js';
import { HeldRows } from '../../../src/execute/held-rows.js';
import { hexToId } from '../../../src/execute/record-id.js';

/** A record id as the compiler makes them: 32 hex digits. */
const rid = (n: number | string) => createHash('sha256').update(String(n)).digest('hex').slice(0, 32);

describe('record ids', () => {
  it('takes only 32 lower-case hex digits as an id', () => {
    const words = new Uint32Array(4);
    expect(hexToId(Buffer.from(rid(1)), 0, words, 0)).toBe(true);
    expect(hexToId(Buffer.from('z'.repeat(32)), 0, words, 0)).toBe(false);
    expect(hexToId(Buffer.from(rid(1).toUpperCase()), 0, words, 0)).toBe(false);
    expect(hexToId(Buffer.from(rid(1).slice(0, 31)), 0, words, 0)).toBe(false);
  });
});

const DIALECTS: CsvDialect[] = [
  { delimiter: ',', quote: '"', header: true, lineEnding: 'lf' },
  { delimiter: '|', quote: "'", header: false, lineEnding: 'crlf' },
  { delimiter: '\t', quote: '"', header: true, lineEnding: 'lf' },
];

/** Output through the filter, fed in chunks of `size` bytes (so records and tails split anywhere). */
async function filtered(input: string, dialect: CsvDialect, held: HeldRows, size: number, rules: Partial<DeltaRules> = {}) {
  const records = deltaRecords(held, { practices: ['A81001', 'A81002'], perPractice: false, fields: 2, ...rules });
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

type FullRow = [string | null, string | null, string, string];
const row = (code: string | null, note: string | null, id: string, patient = 1, changed = 0, practice = 'A81001'): FullRow => [code, note, id, `${patient}.${changed}.${practice}`];

/** Runs the full rows through an empty state (a baseline) and returns what the recipient then holds. */
async function baseline(dialect: CsvDialect, rows: FullRow[]): Promise<HeldRows> {
  const f = new CsvFormatter(dialect, 5);
  const header = dialect.header ? f.header(['code', 'note', 'record_id', 'change_type', '__held']) : '';
  const { records } = await filtered(header + rows.map((r) => f.row([r[0], r[1], r[2], 'upsert', r[3]])).join(''), dialect, HeldRows.empty(), 1 << 16);
  return records.next.sorted();
}

describe('the delta filter (delta by comparison)', () => {
  for (const dialect of DIALECTS) {
    it(`sends new and changed rows, deletes held rows the full result lost, whatever the chunking (delimiter ${JSON.stringify(dialect.delimiter)})`, async () => {
      const f = new CsvFormatter(dialect, 5);
      const f4 = new CsvFormatter(dialect, 4);
      // Values with delimiters, quotes, line breaks and multi-byte characters, so a record boundary is not a plain LF.
      const before: FullRow[] = [row('1', `a${dialect.delimiter}b\n"c"`, rid(1)), row('2', 'kept', rid(2)), row('3', 'gone', rid(3)), row('é', 'x', rid(4))];
      const held = await baseline(dialect, before);
      expect(held.size).toBe(4);
      const now: FullRow[] = [row('1', `a${dialect.delimiter}b\n"c"`, rid(1)), row('2', 'changed', rid(2)), row('é', 'x', rid(4)), row('x\r\ny', '', rid(7))];
      const header = dialect.header ? f.header(['code', 'note', 'record_id', 'change_type', '__held']) : '';
      const text = header + now.map((r) => f.row([r[0], r[1], r[2], 'upsert', r[3]])).join('');
      const expected =
        (dialect.header ? f4.header(['code', 'note', 'record_id', 'change_type']) : '') +
        [now[1]!, now[3]!].map((r) => f4.row([r[0], r[1], r[2], 'upsert'])).join('') +
        f4.row([null, null, rid(3), 'delete']);
      for (const size of [1, 2, 7, 40, 41, 42, 1 << 16]) {
        const { text: written, records } = await filtered(text, dialect, held, size);
        expect(written, `chunks of ${size}`).toBe(expected);
        expect(records).toMatchObject({ upserts: 2, deletes: 1, unchanged: 2, written: 3 });
        expect(records.next.sorted().idsHex().sort()).toEqual([rid(1), rid(2), rid(4), rid(7)].sort());
      }
    });
  }

  it('on_leave: keep leaves the held rows of a patient who left the population held and unsent; delete withdraws them', async () => {
    const dialect = DIALECTS[0]!;
    const held = await baseline(dialect, [row('1', 'a', rid(1), 10), row('2', 'b', rid(2), 20), row('3', 'c', rid(3), 20)]);
    // Patient 20 left: none of their rows are in the full result. Patient 10's row 1 was soft-deleted.
    const text = 'code,note,record_id,change_type,__held\n';
    const kept = await filtered(text, dialect, held, 3, { keepDeparted: new Set([10]) });
    expect(kept.text).toBe(`code,note,record_id,change_type\n,,${rid(1)},delete\n`);
    expect(kept.records.next.sorted().idsHex().sort()).toEqual([rid(2), rid(3)].sort());
    const deleted = await filtered(text, dialect, held, 3);
    expect(deleted.text.split('\n').filter((l) => l.endsWith(',delete')).length).toBe(3);
    expect(deleted.records.next.size).toBe(0);
  });

  it('on_opt_back_in: no_backfill withholds the unsent rows of a returning patient from before their return', async () => {
    const dialect = { ...DIALECTS[0]!, header: false };
    const f = new CsvFormatter(dialect, 5);
    const rows = [row('1', 'old', rid(1), 7, 100), row('2', 'new', rid(2), 7, 300), row('3', 'other', rid(3), 8, 100)];
    const text = rows.map((r) => f.row([r[0], r[1], r[2], 'upsert', r[3]])).join('');
    const { text: written, records } = await filtered(text, dialect, HeldRows.empty(), 5, { withheldSince: new Map([[7, 200]]) });
    expect(written).toBe(`2,new,${rid(2)},upsert\n3,other,${rid(3)},upsert\n`);
    expect(records.withheld).toBe(1);
  });

  it('per-practice layout: a delete marker goes to the practice the row was sent for, also when the row moved', async () => {
    const dialect = { ...DIALECTS[0]!, header: false };
    const f = new CsvFormatter(dialect, 6);
    const line = (p: string, r: FullRow) => f.row([p, r[0], r[1], r[2], 'upsert', r[3]]);
    const rules = { perPractice: true };
    const first = await filtered(line('A81001', row('1', 'a', rid(1))) + line('A81002', row('2', 'b', rid(2), 2, 0, 'A81002')), dialect, HeldRows.empty(), 9, rules);
    const held = first.records.next.sorted();
    const { text } = await filtered(line('A81002', row('1', 'a', rid(1), 1, 0, 'A81002')), dialect, held, 9, rules);
    expect(text).toBe(`A81001,,,${rid(1)},delete\nA81002,1,a,${rid(1)},upsert\nA81002,,,${rid(2)},delete\n`);
  });

  it('passes each record on as soon as it is complete (a header is on disk before the query answers)', async () => {
    const dialect = DIALECTS[0]!;
    const filter = deltaRecordFilter(dialect, deltaRecords(HeldRows.empty(), { practices: [], perPractice: false, fields: 1 }));
    const seen: string[] = [];
    filter.on('data', (chunk: Buffer) => seen.push(chunk.toString()));
    filter.write('code,record_id,change_type,__held\n1,');
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual(['code,record_id,change_type\n']);
    filter.end(`${rid(1)},upsert,1.0.A81001\n`);
    await new Promise((r) => filter.on('end', r));
    expect(seen.join('')).toBe(`code,record_id,change_type\n1,${rid(1)},upsert\n`);
  });

  it('refuses a record that does not end in a record id, a change type and its held column (a compiler bug)', async () => {
    const dialect = DIALECTS[0]!;
    await expect(filtered(`a,b\n1,${rid(1)},changed,1.0.X\n`, { ...dialect, header: true }, HeldRows.empty(), 5)).rejects.toThrow(/does not end in a record id/);
    await expect(filtered(`1,${rid(1)},upsert,1.0.X`, { ...dialect, header: false }, HeldRows.empty(), 5)).rejects.toThrow(/ends inside a record/);
  });
});
