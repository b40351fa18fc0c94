/**
 * Adversarial review of issue 13 (delta-records.ts, held-rows.ts): a held row keeps its patient
 * id as two 32-bit words; a patient id that is not a non-negative integer (the catalogue's patient
 * key is any bigint) came back as a different number, so under on_leave: keep a soft-deleted row
 * of a patient still in the population was taken for a departed patient's row: kept downstream,
 * never deleted, and the recipient's copy no longer equals a full extract.
 */
import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { CsvFormatter, type CsvDialect } from '../../src/execute/csv.js';
import { deltaRecordFilter, deltaRecords, type DeltaRules } from '../../src/execute/delta-records.js';
import { HeldRowList, HeldRows } from '../../src/execute/held-rows.js';

const rid = (n: number | string) => createHash('sha256').update(String(n)).digest('hex').slice(0, 32);
const DIALECT: CsvDialect = { delimiter: ',', quote: '"', header: true, lineEnding: 'lf' };

async function filtered(input: string, held: HeldRows, rules: Partial<DeltaRules> = {}) {
  const records = deltaRecords(held, { practices: ['A81001', 'A81002'], perPractice: false, fields: 2, ...rules });
  const out: Buffer[] = [];
  await pipeline(
    Readable.from([Buffer.from(input, 'utf8')]),
    deltaRecordFilter(DIALECT, records),
    new Writable({
      write(chunk: Buffer, _e, done) {
        out.push(chunk);
        done();
      },
    }),
  );
  return { text: Buffer.concat(out).toString('utf8'), records };
}

const HEADER = 'code,note,record_id,change_type,__held\n';
const fullText = (rows: [string, string, string, number][]) => {
  const f = new CsvFormatter(DIALECT, 5);
  return HEADER + rows.map(([code, note, id, patient]) => f.row([code, note, id, 'upsert', `${patient}.0.A81001`])).join('');
};

describe('held rows keep the patient id they were given', () => {
  for (const patient of [-10, -1, 2 ** 40, -(2 ** 40), 2 ** 32 - 1, 2 ** 32]) {
    it(`patient ${patient} round-trips through a held row`, () => {
      const list = new HeldRowList();
      expect(list.addHex(Buffer.from(rid(1), 'latin1'), 0, 1, 2, patient, 0)).toBe(true);
      expect(list.sorted().patient(0)).toBe(patient);
    });
  }

  it('on_leave: keep deletes a soft-deleted row of a patient still in the population, whatever the sign of their id', async () => {
    const { records } = await filtered(fullText([['1', 'a', rid(1), -10], ['2', 'b', rid(2), -10]]), HeldRows.empty());
    const held = records.next.sorted();
    // Row 1 is soft-deleted; patient -10 is still a member.
    const { text } = await filtered(fullText([['2', 'b', rid(2), -10]]), held, { keepDeparted: new Set([-10]) });
    expect(text).toBe(`code,note,record_id,change_type\n,,${rid(1)},delete\n`);
  });
});
