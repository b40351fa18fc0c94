/**
 * CSV exactly as PostgreSQL's `COPY ... TO STDOUT (FORMAT csv)` writes it, so an extract's files
 * are byte-identical whether PostgreSQL streamed them (COPY) or exdef formatted rows from a PGlite
 * cursor (CsvFormatter); plus the byte streams that finish COPY's output: LF → CRLF record endings
 * (crlfTransform) and one file per practice (RecordRouter).
 *
 * The quoting rules are those of CopyAttributeOutCSV in src/backend/commands/copyto.c, unchanged
 * from PostgreSQL 15 to 18: NULL is written as nothing; a value is quoted when it is empty (the
 * NULL text), contains the delimiter, the quote, CR or LF, or is `\.` in a single-column file; a
 * quote inside a quoted value is doubled (ESCAPE defaults to QUOTE); records end in LF.
 */
import { Transform, Writable, type TransformCallback } from 'node:stream';
import { finished } from 'node:stream/promises';

/** How a definition asks for its CSV files; delimiter and quote are one character each. */
export interface CsvDialect {
  delimiter: string;
  quote: string;
  header: boolean;
  lineEnding: 'crlf' | 'lf';
}

const LF = 0x0a;
const CR = 0x0d;
const END_OF_DATA = '\\.';

/**
 * Why COPY cannot write this dialect, or undefined. COPY's own rules (copy.c, ProcessCopyOptions):
 * delimiter and quote are one single-byte character, the delimiter is not CR or LF, and they
 * differ. exdef adds: printable ASCII or TAB only; no TAB quote; no letter or digit, because an
 * organisation code (the routing key RecordRouter relies on being unquoted) is letters and digits;
 * no `.` or `\` delimiter, so that a record `\.` can only be one field (RecordRouter relies on it).
 */
export function csvDialectProblem(d: CsvDialect): string | undefined {
  const problem = characterProblem('delimiter', d.delimiter) ?? characterProblem('quote character', d.quote);
  if (problem) return problem;
  if (d.quote === '\t') return 'the quote character cannot be a tab';
  if (d.delimiter === '.' || d.delimiter === '\\') return `the delimiter cannot be '${d.delimiter}': a field \\. would be ambiguous`;
  if (d.delimiter === d.quote) return `the delimiter and the quote character must differ (both are ${showCharacter(d.delimiter)})`;
  if (d.lineEnding !== 'crlf' && d.lineEnding !== 'lf') return `the line ending must be crlf or lf, not ${JSON.stringify(d.lineEnding)}`;
  if (typeof d.header !== 'boolean') return 'header must be true or false';
  return undefined;
}

function characterProblem(role: string, c: unknown): string | undefined {
  if (typeof c !== 'string' || c.length === 0) return `the ${role} must be one character`;
  if ([...c].length !== 1) return `the ${role} must be one character, not ${JSON.stringify(c)}`;
  if (c === '\n' || c === '\r') return `the ${role} cannot be a line break`;
  const code = c.charCodeAt(0);
  if (code > 0x7f) return `the ${role} ${JSON.stringify(c)} is not an ASCII character (PostgreSQL's COPY takes a single one-byte character)`;
  if ((code < 0x20 && c !== '\t') || code === 0x7f) return `the ${role} cannot be a control character (U+${code.toString(16).padStart(4, '0').toUpperCase()})`;
  if (/[A-Za-z0-9]/.test(c)) return `the ${role} cannot be a letter or digit (${showCharacter(c)}): organisation codes and values would be ambiguous`;
  return undefined;
}

function showCharacter(c: string): string {
  return c === '\t' ? 'TAB' : `'${c}'`;
}

/**
 * The options clause of `COPY (...) TO STDOUT` for a dialect. The one place a definition's value
 * enters SQL text, so each character is checked again against a whitelist and written as a
 * literal that means the same whatever standard_conforming_strings says.
 */
export function copyOptionsSql(d: CsvDialect): string {
  const problem = csvDialectProblem(d);
  if (problem) throw new Error(`internal: a CSV dialect COPY cannot write reached copyOptionsSql: ${problem}`);
  return `(FORMAT csv, HEADER ${d.header ? 'true' : 'false'}, DELIMITER ${sqlCharacter(d.delimiter)}, QUOTE ${sqlCharacter(d.quote)}, ENCODING 'UTF8')`;
}

function sqlCharacter(c: string): string {
  if (c === '\t') return "E'\\t'";
  if (c === "'") return "''''";
  if (c === '\\') return "E'\\\\'";
  if (!/^[\x20-\x7e]$/.test(c)) throw new Error(`internal: refusing to write ${JSON.stringify(c)} into COPY options`);
  return `'${c}'`;
}

/** One character as a RegExp class member, whatever it is. */
function classEscape(c: string): string {
  return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
}

/** Formats rows as COPY (FORMAT csv) would for the same values: text with LF record endings. */
export class CsvFormatter {
  readonly #delimiter: string;
  readonly #quote: string;
  readonly #doubledQuote: string;
  readonly #needsQuotes: RegExp;
  readonly #columns: number;

  constructor(dialect: CsvDialect, columns: number) {
    const problem = csvDialectProblem(dialect);
    if (problem) throw new Error(`internal: CsvFormatter given a dialect COPY cannot write: ${problem}`);
    if (!Number.isInteger(columns) || columns < 1) throw new Error(`internal: CsvFormatter needs at least one column, not ${columns}`);
    this.#delimiter = dialect.delimiter;
    this.#quote = dialect.quote;
    this.#doubledQuote = dialect.quote + dialect.quote;
    this.#needsQuotes = new RegExp(`[${classEscape(dialect.delimiter)}${classEscape(dialect.quote)}\\n\\r]`);
    this.#columns = columns;
  }

  /** The header record: column names quoted by the same rules as values (COPY does so). */
  header(names: readonly string[]): string {
    this.#checkWidth(names.length, 'header names');
    return names.map((name) => this.#field(name)).join(this.#delimiter) + '\n';
  }

  row(values: readonly (string | null)[]): string {
    this.#checkWidth(values.length, 'values');
    let record = '';
    for (let i = 0; i < values.length; i++) {
      if (i > 0) record += this.#delimiter;
      const value = values[i];
      if (value === null || value === undefined) continue;
      // A JS number or boolean would print unlike PostgreSQL (true vs t, 1e-7 vs 1e-07).
      if (typeof value !== 'string') throw new Error(`internal: CsvFormatter takes PostgreSQL's text output, not a ${typeof value} (column ${i + 1}): select it as text`);
      record += this.#field(value);
    }
    return record + '\n';
  }

  #field(value: string): string {
    // '' is the NULL text, so COPY quotes it to tell it apart; `\.` alone on a line would read
    // as the end-of-data marker of old clients.
    if (value === '' || (value === END_OF_DATA && this.#columns === 1) || this.#needsQuotes.test(value)) {
      return this.#quote + value.split(this.#quote).join(this.#doubledQuote) + this.#quote;
    }
    return value;
  }

  #checkWidth(width: number, what: string): void {
    if (width !== this.#columns) throw new Error(`internal: CsvFormatter for ${this.#columns} columns given ${width} ${what}`);
  }
}

/**
 * Finds the LFs that end records in one chunk of COPY CSV output, skipping LFs inside quoted
 * fields. Quotes toggle the state one by one, which is exact because the escape character is the
 * quote (a doubled quote toggles twice), whichever chunk each half lands in. Byte search is safe
 * in UTF-8: every byte of a multi-byte character is ≥ 0x80, and the quote is ASCII.
 */
export class RecordScanner {
  inQuotes = false;
  #chunk: Buffer = Buffer.alloc(0);
  // The next quote and LF at or after the last position asked about; -1 when there is none.
  #nextQuote = -1;
  #nextLf = -1;

  constructor(private readonly quote: number) {}

  start(chunk: Buffer): void {
    this.#chunk = chunk;
    this.#nextQuote = chunk.indexOf(this.quote);
    this.#nextLf = chunk.indexOf(LF);
  }

  /** The index of the LF ending the record that `from` is in, or -1 when the chunk ends first. */
  recordEnd(from: number): number {
    let pos = from;
    for (;;) {
      let quote = this.#nextQuote;
      if (quote !== -1 && quote < pos) quote = this.#nextQuote = this.#chunk.indexOf(this.quote, pos);
      if (this.inQuotes) {
        if (quote === -1) return -1;
        this.inQuotes = false;
        pos = quote + 1;
        continue;
      }
      let lf = this.#nextLf;
      if (lf !== -1 && lf < pos) lf = this.#nextLf = this.#chunk.indexOf(LF, pos);
      if (lf !== -1 && (quote === -1 || lf < quote)) return lf;
      if (quote === -1) return -1;
      this.inQuotes = true;
      pos = quote + 1;
    }
  }
}

/**
 * Turns COPY's record-ending LFs into CRLF, leaving LFs inside quoted fields alone, in a byte
 * stream split anywhere. `quote` is the dialect's quote character.
 */
export function crlfTransform(quote: string): Transform {
  if (quote.length !== 1 || quote.charCodeAt(0) > 0x7e) throw new Error(`internal: crlfTransform needs an ASCII quote, not ${JSON.stringify(quote)}`);
  const scanner = new RecordScanner(quote.charCodeAt(0));
  const ends: number[] = [];
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      scanner.start(chunk);
      ends.length = 0;
      for (let end = scanner.recordEnd(0); end !== -1; end = scanner.recordEnd(end + 1)) ends.push(end);
      if (ends.length === 0) {
        callback(null, chunk);
        return;
      }
      const out = Buffer.allocUnsafe(chunk.length + ends.length);
      let from = 0;
      let at = 0;
      for (const end of ends) {
        at += chunk.copy(out, at, from, end);
        out[at++] = CR;
        out[at++] = LF;
        from = end + 1;
      }
      chunk.copy(out, at, from);
      callback(null, out);
    },
  });
}

/** A routing key: an organisation (ODS) code, used by the caller as a folder name. */
const ROUTING_KEY = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;
const MAX_KEY_BYTES = 32;
const MAX_HEADER_BYTES = 1024 * 1024;

export interface RecordRouterOptions {
  /** The COPY's dialect (its line ending does not matter: COPY and the outputs use LF). */
  dialect: CsvDialect;
  /** The output for a key; called once per key, the first time a record (or `keys`) names it. */
  open: (key: string) => Writable;
  /** Keys that get an output even when no record names them (a header-only file each). */
  keys?: readonly string[];
}

/**
 * Splits one COPY CSV byte stream whose first column is a routing key (an organisation code:
 * never quoted, never containing the delimiter) into one output per key. Each output gets the
 * records without their first field, after the header (also without its first field) when the
 * dialect has one: exactly what COPY would have written for that key's rows alone (so a lone `\.`
 * gets quoted when a single column remains), with COPY's LF endings — pipe each output through
 * crlfTransform for CRLF.
 * Waits for every slow output (back-pressure); `end()` ends every output and finishes when they
 * have all finished.
 */
export class RecordRouter extends Writable {
  readonly #dialect: CsvDialect;
  readonly #open: (key: string) => Writable;
  readonly #keys: readonly string[];
  readonly #delimiter: number;
  readonly #quote: number;
  readonly #scanner: RecordScanner;
  readonly #outputs = new Map<string, Writable>();
  readonly #rows = new Map<string, number>();
  #header: Buffer | undefined;
  #headerPending: boolean;
  /** Bytes kept from the end of the last chunk: the start of a record, read again with the next. */
  #carry: Buffer | undefined;
  /**
   * A record of #currentKey continues into the next chunk: 'fresh' when its fields are all in
   * #carry still, 'emitted' when some went out already (and the quote state carries over).
   */
  #midRecord: 'none' | 'fresh' | 'emitted' = 'none';
  #currentKey = '';
  #currentKeyBytes: Buffer = Buffer.alloc(0);
  #current: Writable | undefined;

  constructor(options: RecordRouterOptions) {
    super({ decodeStrings: true });
    const problem = csvDialectProblem(options.dialect);
    if (problem) throw new Error(`internal: RecordRouter given a dialect COPY cannot write: ${problem}`);
    this.#dialect = options.dialect;
    this.#open = options.open;
    this.#keys = options.keys ?? [];
    this.#delimiter = options.dialect.delimiter.charCodeAt(0);
    this.#quote = options.dialect.quote.charCodeAt(0);
    this.#scanner = new RecordScanner(this.#quote);
    this.#headerPending = options.dialect.header;
  }

  /** Data records written per key so far (every opened key is present, with 0 if it had none). */
  rowsByKey(): ReadonlyMap<string, number> {
    return this.#rows;
  }

  override _write(input: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    let chunk = input;
    if (this.#carry) {
      chunk = Buffer.concat([this.#carry, input]);
      this.#carry = undefined;
    }
    let writes: [Writable, Buffer][];
    try {
      writes = this.#route(chunk);
    } catch (error) {
      callback(error as Error);
      return;
    }
    const slow: Writable[] = [];
    for (const [output, bytes] of writes) {
      if (!output.write(bytes) && !slow.includes(output)) slow.push(output);
    }
    if (slow.length === 0) callback();
    else void Promise.all(slow.map(drained)).then(() => callback());
  }

  /** Splits one chunk into (output, bytes) writes, in order; keeps an unfinished record start. */
  #route(chunk: Buffer): [Writable, Buffer][] {
    const scanner = this.#scanner;
    scanner.start(chunk);
    // A record loses its key and delimiter (≥ 2 bytes) and a lone `\.` gains two quotes, so only
    // a `\.` whose key came in an earlier chunk makes the output longer than the input (by 2).
    const out = Buffer.allocUnsafe(chunk.length + 2);
    const writes: [Writable, Buffer][] = [];
    let at = 0;
    let spanStart = 0;
    let spanOutput = this.#current;
    const flushSpan = () => {
      if (spanOutput && at > spanStart) writes.push([spanOutput, out.subarray(spanStart, at)]);
      spanStart = at;
      spanOutput = this.#current;
    };
    let pos = 0;
    if (this.#headerPending) {
      const end = scanner.recordEnd(0);
      if (end === -1) {
        if (chunk.length > MAX_HEADER_BYTES) throw new Error('the COPY output has no end to its header record');
        scanner.inQuotes = false;
        this.#carry = Buffer.from(chunk);
        return writes;
      }
      this.#header = this.#withoutFirstField(chunk.subarray(0, end));
      this.#headerPending = false;
      pos = end + 1;
    }
    if (this.#midRecord !== 'emitted') scanner.inQuotes = false;
    while (pos < chunk.length) {
      let restStart = pos;
      // Whether part of this record's fields went out with an earlier chunk.
      const emitted = this.#midRecord === 'emitted';
      if (this.#midRecord === 'none') {
        const delimiter = chunk.indexOf(this.#delimiter, pos);
        if (delimiter === -1 || delimiter - pos > MAX_KEY_BYTES) {
          if (chunk.length - pos > MAX_KEY_BYTES) throw new Error(`cannot route a record: it does not start with an organisation code (${showBytes(chunk, pos)})`);
          this.#carry = Buffer.from(chunk.subarray(pos));
          break;
        }
        if (this.#current === undefined || !sameBytes(chunk, pos, delimiter, this.#currentKeyBytes)) {
          this.#switchTo(chunk.toString('latin1', pos, delimiter));
          flushSpan();
        }
        restStart = delimiter + 1;
      }
      this.#midRecord = 'none';
      const end = scanner.recordEnd(restStart);
      if (end === -1) {
        if (!emitted && chunk.length - restStart <= END_OF_DATA.length) {
          // Too short to tell whether it is a lone `\.`: read it again, from the field's start
          // (outside quotes), with the next chunk.
          this.#carry = Buffer.from(chunk.subarray(restStart));
          scanner.inQuotes = false;
          this.#midRecord = 'fresh';
        } else {
          at += chunk.copy(out, at, restStart);
          this.#midRecord = 'emitted';
        }
        break;
      }
      // Fields `\.` and nothing else: a single column (the delimiter is neither `\` nor `.`).
      if (!emitted && end - restStart === 2 && chunk[restStart] === 0x5c && chunk[restStart + 1] === 0x2e) {
        out[at++] = this.#quote;
        out[at++] = 0x5c;
        out[at++] = 0x2e;
        out[at++] = this.#quote;
      } else {
        at += chunk.copy(out, at, restStart, end);
      }
      out[at++] = LF;
      this.#rows.set(this.#currentKey, (this.#rows.get(this.#currentKey) ?? 0) + 1);
      pos = end + 1;
    }
    if (at > out.length) throw new Error('internal: RecordRouter overran its output buffer');
    flushSpan();
    return writes;
  }

  #switchTo(key: string): void {
    if (!ROUTING_KEY.test(key)) throw new Error(`cannot route a record: its first field ${JSON.stringify(key)} is not an organisation code (letters, digits, - and _)`);
    this.#currentKey = key;
    this.#currentKeyBytes = Buffer.from(key, 'latin1');
    this.#current = this.#outputFor(key);
  }

  #outputFor(key: string): Writable {
    let output = this.#outputs.get(key);
    if (output) return output;
    output = this.#open(key);
    this.#outputs.set(key, output);
    this.#rows.set(key, 0);
    output.on('error', (error: Error) => this.destroy(error));
    if (this.#header) output.write(this.#header);
    return output;
  }

  /** The header record less its first field (which may be quoted), ending in LF. */
  #withoutFirstField(record: Buffer): Buffer {
    let i = 0;
    if (record[0] === this.#quote) {
      for (i = 1; i < record.length; i++) {
        if (record[i] === this.#quote) {
          if (record[i + 1] === this.#quote) i++;
          else break;
        }
      }
      i++;
    } else {
      i = record.indexOf(this.#delimiter);
    }
    if (i < 0 || record[i] !== this.#delimiter) throw new Error('cannot route: the COPY header has no column after the routing key');
    let rest = record.subarray(i + 1);
    if (rest.toString('latin1') === END_OF_DATA) rest = Buffer.from(this.#dialect.quote + END_OF_DATA + this.#dialect.quote);
    return Buffer.concat([rest, Buffer.of(LF)]);
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.#headerPending && this.#carry) {
      callback(new Error('the COPY output ended inside its header record'));
      return;
    }
    if (this.#carry || this.#midRecord !== 'none') {
      callback(new Error('the COPY output ended in the middle of a record'));
      return;
    }
    try {
      for (const key of this.#keys) {
        if (!ROUTING_KEY.test(key)) throw new Error(`internal: ${JSON.stringify(key)} is not a routing key`);
        this.#outputFor(key);
      }
    } catch (error) {
      callback(error as Error);
      return;
    }
    const outputs = [...this.#outputs.values()];
    for (const output of outputs) output.end();
    // The writable side only: a PassThrough output finishes once it has taken every byte.
    Promise.all(outputs.map((output) => finished(output, { readable: false }))).then(
      () => callback(),
      (error: Error) => callback(error),
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // A failed route leaves no output open (each may hold a file descriptor).
    for (const output of this.#outputs.values()) if (!output.writableFinished) output.destroy();
    callback(error);
  }
}

/** Resolves when the output can take more, or will take nothing more (its error is handled elsewhere). */
function drained(output: Writable): Promise<void> {
  if (output.destroyed || !output.writableNeedDrain) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      output.off('drain', done);
      output.off('close', done);
      output.off('error', done);
      resolve();
    };
    output.on('drain', done);
    output.on('close', done);
    output.on('error', done);
  });
}

function sameBytes(chunk: Buffer, start: number, end: number, key: Buffer): boolean {
  if (end - start !== key.length) return false;
  for (let i = 0; i < key.length; i++) if (chunk[start + i] !== key[i]) return false;
  return true;
}

function showBytes(chunk: Buffer, pos: number): string {
  return JSON.stringify(chunk.toString('utf8', pos, Math.min(chunk.length, pos + 40)));
}
