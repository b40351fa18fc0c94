import { Transform, type TransformCallback } from 'node:stream';
import { RecordScanner, type CsvDialect } from './csv.js';
import { hexToId, RECORD_ID_HEX, RecordIdList, type RecordIdSet } from './record-id-set.js';

/** What one dataset's delta output did to the recipient's copy, as the filter saw it. */
export interface DeltaRecords {
  /** The record ids the recipient holds before this run: a delete marker goes out only for one of these. */
  held: RecordIdSet;
  /** Ids sent as upserts by this run. */
  sent: RecordIdList;
  /** Ids withdrawn by this run's delete markers. */
  withdrawn: RecordIdList;
  /** Delete markers left out: rows the recipient never had. */
  suppressed: number;
  /** Data records written (the header not counted). */
  written: number;
}

export function deltaRecords(held: RecordIdSet): DeltaRecords {
  return { held, sent: new RecordIdList(), withdrawn: new RecordIdList(), suppressed: 0, written: 0 };
}

const UPSERT = Buffer.from('upsert');
const DELETE = Buffer.from('delete');
/** `<delimiter><record_id><delimiter><change_type>\n`: the end of every record of a delta dataset. */
const TAIL = 1 + RECORD_ID_HEX + 1 + UPSERT.length + 1;

/**
 * Filters a delta dataset's CSV (COPY's bytes, LF record endings) on its way to disk: a delete
 * marker whose record id the recipient does not hold is left out, so a row it never had — one
 * that was confidential, sensitive or outside the population whenever it changed — leaves no
 * trace (no line, no count in the manifest). Every upsert and every kept deletion is recorded in
 * `records`, from which the state's next set is made. The last two fields of every record are the
 * record id (32 hex digits) and the change type, which are never quoted: the dialect's delimiter
 * and quote are never letters or digits (csvDialectProblem).
 */
export function deltaRecordFilter(dialect: CsvDialect, records: DeltaRecords): Transform {
  const delimiter = dialect.delimiter.charCodeAt(0);
  const scanner = new RecordScanner(dialect.quote.charCodeAt(0));
  let headerPending = dialect.header;
  /** The start of a record that continues into the next chunk. */
  let carry: Buffer[] = [];
  let carryLength = 0;
  const id = new Uint32Array(4);

  /** Whether to write the record whose last TAIL bytes are `tail[at..]`. */
  const keep = (tail: Buffer, at: number): boolean => {
    const type = tail.subarray(at + 2 + RECORD_ID_HEX, at + TAIL - 1);
    const upsert = type.equals(UPSERT);
    if (tail[at] !== delimiter || tail[at + 1 + RECORD_ID_HEX] !== delimiter || (!upsert && !type.equals(DELETE)) || !hexToId(tail, at + 1, id, 0)) {
      throw new Error(`internal: a delta record does not end in a record id and a change type: …${JSON.stringify(tail.subarray(at, at + TAIL).toString('latin1'))}`);
    }
    if (upsert) {
      records.sent.addHex(tail, at + 1);
    } else if (records.held.has(id)) {
      records.withdrawn.addHex(tail, at + 1);
    } else {
      records.suppressed++;
      return false;
    }
    records.written++;
    return true;
  };

  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      const out: Buffer[] = [];
      try {
        scanner.start(chunk);
        let from = 0;
        // The start, in this chunk, of a run of records that are all written (-1: none yet).
        let run = -1;
        for (let end = scanner.recordEnd(0); end !== -1; end = scanner.recordEnd(end + 1)) {
          const next = end + 1;
          let written: boolean;
          if (headerPending) {
            headerPending = false;
            written = true;
          } else if (next - from >= TAIL) {
            written = keep(chunk, next - TAIL);
          } else {
            const whole = Buffer.concat([...carry, chunk.subarray(from, next)]);
            if (whole.length < TAIL) throw new Error('internal: a delta record is shorter than its record id and change type');
            written = keep(whole, whole.length - TAIL);
          }
          if (written) {
            if (carryLength > 0) out.push(...carry);
            if (run === -1) run = from;
          } else if (run !== -1) {
            out.push(chunk.subarray(run, from));
            run = -1;
          }
          carry = [];
          carryLength = 0;
          from = next;
        }
        if (run !== -1) out.push(chunk.subarray(run, from));
        if (from < chunk.length) {
          // Copied: the source may reuse its buffer once this chunk is handled.
          carry.push(Buffer.from(chunk.subarray(from)));
          carryLength += chunk.length - from;
        }
      } catch (error) {
        callback(error as Error);
        return;
      }
      callback(null, out.length === 0 ? undefined : out.length === 1 ? out[0] : Buffer.concat(out));
    },
    flush(callback: TransformCallback) {
      callback(carryLength > 0 ? new Error('internal: the delta output ends inside a record') : null);
    },
  });
}
