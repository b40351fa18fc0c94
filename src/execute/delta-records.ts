import { Transform, type TransformCallback } from 'node:stream';
import { RecordScanner, type CsvDialect } from './csv.js';
import { HeldRowList, HeldRows, NO_PRACTICE, rowHash } from './held-rows.js';
import { hexToId, RECORD_ID_HEX } from './record-id.js';

/**
 * One dataset of a delta definition's run: what the recipient held before it, what the run's
 * comparison decided, and what the recipient holds after it (`next`, saved with the state).
 */
export interface DeltaRecords {
  /** The rows the recipient holds before this run (empty for a full extract: a new baseline). */
  held: HeldRows;
  /** The rows it holds after: every row of the full result, and the rows of departed patients kept under on_leave: keep. */
  next: HeldRowList;
  /** How the comparison treats a row the full result no longer has. */
  rules: DeltaRules;
  /** Upserts written: new record ids, or held ones whose content changed. */
  upserts: number;
  /** Delete markers written. */
  deletes: number;
  /** Held rows sent again unchanged: left out. */
  unchanged: number;
  /** Rows of a patient back from an opt-out (on_opt_back_in: no_backfill) from before they came back: not sent. */
  withheld: number;
  /** Rows of departed patients left as they were (on_leave: keep). */
  kept: number;
  /** Data records written (the header not counted). */
  written: number;
}

export interface DeltaRules {
  /** The definition's practices, in order: a held row records the index of its practice. */
  practices: readonly string[];
  /** Per-practice layout: each record starts with its practice, and so must a delete marker. */
  perPractice: boolean;
  /** The dataset's fields (the columns between the practice and the record id). */
  fields: number;
  /** on_leave: keep — the patients in the population now; a held row of anyone else stays held, unsent. */
  keepDeparted?: ReadonlySet<number>;
  /** on_opt_back_in: no_backfill — patients back from an opt-out, with the instant (µs) before which their rows are not sent. */
  withheldSince?: ReadonlyMap<number, number>;
}

export function deltaRecords(held: HeldRows, rules: DeltaRules): DeltaRecords {
  return { held, next: new HeldRowList(), rules, upserts: 0, deletes: 0, unchanged: 0, withheld: 0, kept: 0, written: 0 };
}

const UPSERT = Buffer.from('upsert');
const LF = Buffer.from('\n');

/**
 * The delta of a delta definition's dataset, made by comparison: the dataset's FULL query passes
 * through on its way to disk (COPY's bytes, LF record endings; every record ends in its record id,
 * the change type `upsert` and the hidden HELD_COLUMN of dataset-query.ts, which is cut off here),
 * and each record is compared with what the recipient holds (`records.held`): a new record id, or
 * a held one whose content hash differs, is written as an upsert; an unchanged one is left out;
 * at the end, a delete marker is written for every held id the full result did not have (unless
 * its patient left the population and the definition keeps departed patients' rows).
 *
 * So the recipient's copy, with the delta applied, equals the full extract whatever made it
 * differ — rows changed, soft-deleted, aged out of a today() filter, newly selected or no longer
 * selected by a code set after a terminology update, patients who left or came back, rows
 * committed late by a writer that was open during the last run. A row the recipient never had
 * leaves no trace. The record id and change type are never quoted: the dialect's delimiter and
 * quote are never letters or digits (csvDialectProblem); nor is the hidden column.
 */
export function deltaRecordFilter(dialect: CsvDialect, records: DeltaRecords): Transform {
  const delimiter = dialect.delimiter.charCodeAt(0);
  const d = dialect.delimiter;
  const scanner = new RecordScanner(dialect.quote.charCodeAt(0));
  const { held, next, rules } = records;
  const seen = new Uint8Array(held.size);
  let headerPending = dialect.header;
  /** The start of a record that continues into the next chunk. */
  let carry: Buffer[] = [];
  let carryLength = 0;
  const id = new Uint32Array(4);
  const hash = new Uint32Array(2);
  const practiceIndex = new Map(rules.practices.map((p, i) => [p, i]));
  const emptyFields = d.repeat(Math.max(0, rules.fields - 1));
  const deleteMarker = (i: number): Buffer => {
    const practice = rules.perPractice ? `${rules.practices[held.practice(i)] ?? ''}${d}` : '';
    records.deletes++;
    records.written++;
    return Buffer.from(`${practice}${emptyFields}${d}${held.idHex(i)}${d}delete\n`, 'latin1');
  };

  /** The record `r` (ending in LF): what to write of it. */
  const compare = (r: Buffer, out: Buffer[]): void => {
    const end = r.length - 1;
    const hiddenAt = r.lastIndexOf(delimiter, end - 1);
    const typeAt = hiddenAt - UPSERT.length - 1;
    const idAt = typeAt - RECORD_ID_HEX - 1;
    if (idAt < 0 || r[typeAt] !== delimiter || r[idAt] !== delimiter || !r.subarray(typeAt + 1, hiddenAt).equals(UPSERT) || !hexToId(r, idAt + 1, id, 0)) {
      throw new Error(`internal: a delta record does not end in a record id, a change type and its held column: ${JSON.stringify(r.subarray(Math.max(0, idAt)).toString('latin1'))}`);
    }
    const [patientText, changedText, practice] = r.subarray(hiddenAt + 1, end).toString('latin1').split('.');
    const patient = Number(patientText);
    const changed = Number(changedText);
    rowHash(r, 0, hiddenAt, hash);
    const at = held.indexOf(id);
    if (at >= 0) {
      seen[at] = 1;
      if (held.hashEquals(at, hash[0]!, hash[1]!)) {
        records.unchanged++;
      } else {
        // Moved to another practice's folder: the old folder's copy is withdrawn.
        if (rules.perPractice && held.practice(at) !== (practiceIndex.get(practice ?? '') ?? NO_PRACTICE)) out.push(deleteMarker(at));
        write(r, hiddenAt, out);
      }
    } else {
      const since = rules.withheldSince?.get(patient);
      if (since !== undefined && changed <= since) {
        records.withheld++;
        return;
      }
      write(r, hiddenAt, out);
    }
    next.addHex(r, idAt + 1, hash[0]!, hash[1]!, patient, practiceIndex.get(practice ?? '') ?? NO_PRACTICE);
  };
  const write = (r: Buffer, hiddenAt: number, out: Buffer[]) => {
    out.push(r.subarray(0, hiddenAt), LF);
    records.upserts++;
    records.written++;
  };

  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      const out: Buffer[] = [];
      try {
        scanner.start(chunk);
        let from = 0;
        for (let end = scanner.recordEnd(0); end !== -1; end = scanner.recordEnd(end + 1)) {
          const record = carryLength > 0 ? Buffer.concat([...carry, chunk.subarray(from, end + 1)]) : chunk.subarray(from, end + 1);
          if (headerPending) {
            headerPending = false;
            // The header without the hidden column's name.
            out.push(record.subarray(0, record.lastIndexOf(delimiter)), LF);
          } else {
            compare(record, out);
          }
          carry = [];
          carryLength = 0;
          from = end + 1;
        }
        if (from < chunk.length) {
          // Copied: the source may reuse its buffer once this chunk is handled.
          carry.push(Buffer.from(chunk.subarray(from)));
          carryLength += chunk.length - from;
        }
      } catch (error) {
        callback(error as Error);
        return;
      }
      callback(null, out.length === 0 ? undefined : Buffer.concat(out));
    },
    flush(callback: TransformCallback) {
      if (carryLength > 0) {
        callback(new Error('internal: the delta output ends inside a record'));
        return;
      }
      const out: Buffer[] = [];
      for (let i = 0; i < held.size; i++) {
        if (seen[i]) continue;
        const patient = held.patient(i);
        if (rules.keepDeparted && patient !== 0 && !rules.keepDeparted.has(patient)) {
          held.copyTo(i, next);
          records.kept++;
          continue;
        }
        out.push(deleteMarker(i));
      }
      callback(null, out.length === 0 ? undefined : Buffer.concat(out));
    },
  });
}
