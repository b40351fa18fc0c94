/**
 * Adversarial review of issue 14 item 5 (ws-review-a): in a delta definition with per-practice
 * layout, a practice that revokes (or whose approval expires) after a run still has rows the
 * recipient holds. Decided: the revocation withdraws them. The next run's comparison writes a
 * deletion for each, in that practice's folder, and nothing else there: no row of it is sent, and
 * the recipient, told to delete what it holds from that practice, learns nothing it did not have
 * (docs/run.md). Dropping the deletions instead would leave the practice's rows at the recipient
 * for ever, the state having forgotten them.
 */
import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { expect, it } from 'vitest';
import { RecordRouter, type CsvDialect } from '../../src/execute/csv.js';
import { deltaRecordFilter, deltaRecords } from '../../src/execute/delta-records.js';
import { HeldRowList } from '../../src/execute/held-rows.js';

const rid = (n: number) => createHash('sha256').update(String(n)).digest('hex').slice(0, 32);
const DIALECT: CsvDialect = { delimiter: ',', quote: '"', header: false, lineEnding: 'lf' };

it('a delta run that leaves a practice out writes into its folder only the deletions of the rows the recipient holds from it', async () => {
  const definitionPractices = ['A81001', 'A81002', 'A81003'];
  // The recipient holds one row of A81001 and one of A81003 (extracted while A81003 approved).
  const held = new HeldRowList();
  held.addHex(Buffer.from(rid(1)), 0, 1, 1, 101, 0);
  held.addHex(Buffer.from(rid(3)), 0, 3, 3, 103, 2);
  // A81003 has revoked: this run's full query (practices A81001, A81002) returns no rows at all here.
  const records = deltaRecords(held.sorted(), { practices: definitionPractices, perPractice: true, fields: 2 });
  const opened = new Map<string, string[]>();
  const router = new RecordRouter({
    dialect: DIALECT,
    keys: ['A81001', 'A81002'],
    open: (key) => {
      const lines: string[] = [];
      opened.set(key, lines);
      return new Writable({
        write(chunk: Buffer, _e, callback) {
          lines.push(chunk.toString('latin1'));
          callback();
        },
      });
    },
  });
  await pipeline(Readable.from([Buffer.alloc(0)]), deltaRecordFilter(DIALECT, records), router);
  expect(opened.get('A81001')?.join('') ?? '').toContain(`${rid(1)},delete`);
  const left = (opened.get('A81003') ?? []).join('').split('\n').filter((line) => line !== '');
  expect(left, `folders: ${JSON.stringify(Object.fromEntries(opened))}`).toEqual([`,,${rid(3)},delete`]);
});
