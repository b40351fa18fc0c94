import { PGlite } from '@electric-sql/pglite';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyOptionsSql, crlfTransform, csvDialectProblem, CsvFormatter, RecordRouter, type CsvDialect } from '../../../src/execute/csv.js';
import { scratchDatabase, testEngines, type EngineName } from '../../support/engines.js';

const COMMA: CsvDialect = { delimiter: ',', quote: '"', header: true, lineEnding: 'lf' };

/** Every character a dialect may use: printable ASCII that is not a letter or digit, and TAB. */
const DIALECT_CHARACTERS = ['\t', ...Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)).filter((c) => !/[A-Za-z0-9]/.test(c))];
const DELIMITERS = DIALECT_CHARACTERS.filter((c) => c !== '.' && c !== '\\');
const QUOTES = DIALECT_CHARACTERS.filter((c) => c !== '\t');

const dialectArb: fc.Arbitrary<CsvDialect> = fc
  .record({
    delimiter: fc.oneof(fc.constantFrom(',', '\t', ';', '|'), fc.constantFrom(...DELIMITERS)),
    quote: fc.oneof(fc.constantFrom('"', "'"), fc.constantFrom(...QUOTES)),
    header: fc.boolean(),
    lineEnding: fc.constantFrom('crlf' as const, 'lf' as const),
  })
  .filter((d) => d.delimiter !== d.quote);

/** Text that exercises every quoting rule of the dialect: its own characters, line breaks, `\.`, UTF-8. */
function textArb(d: CsvDialect): fc.Arbitrary<string> {
  const unit = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom('a', 'Z', '7', ' ', 'é', '€', '😀', '\u00a0') },
    { weight: 3, arbitrary: fc.constantFrom(d.delimiter, d.quote, '\n', '\r', '\\', '.', '"', ',', "'", '\t') },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }).filter((c) => c !== '\u0000') },
  );
  return fc.oneof(
    { weight: 6, arbitrary: fc.string({ unit, maxLength: 12 }) },
    { weight: 1, arbitrary: fc.constantFrom('', '\\.', '\\.\n', ' \\.', '\\', '.', d.quote, d.quote + d.quote, d.delimiter, '\r\n') },
  );
}

const valueArb = (d: CsvDialect): fc.Arbitrary<string | null> => fc.oneof({ weight: 5, arbitrary: textArb(d) }, { weight: 1, arbitrary: fc.constant(null) });

/** A column name PostgreSQL keeps as given: not empty, no NUL, well under 63 bytes. */
const nameArb = (d: CsvDialect): fc.Arbitrary<string> => fc.oneof(textArb(d).filter((n) => n.length > 0 && Buffer.byteLength(n) <= 40), fc.constantFrom('\\.', 'ods_code', 'value'));

interface Table {
  dialect: CsvDialect;
  names: string[];
  rows: (string | null)[][];
}

const tableArb = (maxColumns: number): fc.Arbitrary<Table> =>
  dialectArb.chain((dialect) =>
    fc.integer({ min: 1, max: maxColumns }).chain((width) =>
      fc.record({
        dialect: fc.constant(dialect),
        names: fc.array(nameArb(dialect), { minLength: width, maxLength: width }),
        rows: fc.array(fc.array(valueArb(dialect), { minLength: width, maxLength: width }), { maxLength: 8 }),
      }),
    ),
  );

function formatted(t: Table): string {
  const formatter = new CsvFormatter(t.dialect, t.names.length);
  return (t.dialect.header ? formatter.header(t.names) : '') + t.rows.map((r) => formatter.row(r)).join('');
}

/** A column alias in the test's own SQL (names are test data, not values). */
function alias(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

const MAX_COLUMNS = 4;

/** COPY on one engine, with values bound as parameters into a temporary table. */
interface CopyEngine {
  query(sql: string, params?: unknown[]): Promise<void>;
  /** The bytes of COPY (select) TO STDOUT / '/dev/blob' with these options. */
  copy(select: string, options: string): Promise<Buffer>;
  close(): Promise<void>;
}

async function openCopyEngine(engine: EngineName): Promise<CopyEngine> {
  if (engine === 'pglite') {
    // The Database interface does not expose PGlite's COPY TO '/dev/blob': use the engine itself.
    const pglite = await PGlite.create();
    return {
      async query(sql, params = []) {
        await pglite.query(sql, params);
      },
      async copy(select, options) {
        const result = await pglite.query(`COPY (${select}) TO '/dev/blob' ${options}`);
        return result.blob ? Buffer.from(await result.blob.arrayBuffer()) : Buffer.alloc(0);
      },
      close: () => pglite.close(),
    };
  }
  const scratch = await scratchDatabase(engine);
  const client = new pg.Client({ connectionString: scratch.url });
  await client.connect();
  return {
    async query(sql, params = []) {
      await client.query(sql, params);
    },
    async copy(select, options) {
      const chunks: Buffer[] = [];
      for await (const chunk of client.query(copyTo(`COPY (${select}) TO STDOUT ${options}`))) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    },
    async close() {
      await client.end();
      await scratch.drop();
    },
  };
}

/** What COPY writes for the table: its values pass as bound arrays, never in the SQL text. */
async function copyOf(engine: CopyEngine, t: Table, key?: (row: number) => string): Promise<Buffer> {
  await engine.query('TRUNCATE vals');
  const columns = Array.from({ length: MAX_COLUMNS }, (_, c) => t.rows.map((r) => (c < r.length ? r[c]! : null)));
  await engine.query('INSERT INTO vals SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])', [
    t.rows.map((_, i) => i),
    t.rows.map((_, i) => (key ? key(i) : null)),
    ...columns,
  ]);
  const selected = [...(key ? ['k AS ods_code'] : []), ...t.names.map((name, c) => `c${c + 1} AS ${alias(name)}`)];
  return engine.copy(`SELECT ${selected.join(', ')} FROM vals ORDER BY ord`, copyOptionsSql(t.dialect));
}

describe('CSV dialects', () => {
  it('accepts what COPY accepts and exdef allows, and says why not otherwise', () => {
    expect(csvDialectProblem(COMMA)).toBeUndefined();
    expect(csvDialectProblem({ ...COMMA, delimiter: '\t', quote: "'" })).toBeUndefined();
    for (const c of DELIMITERS) expect(csvDialectProblem({ ...COMMA, delimiter: c, quote: c === '"' ? "'" : '"' })).toBeUndefined();
    for (const c of QUOTES) expect(csvDialectProblem({ ...COMMA, delimiter: c === ',' ? ';' : ',', quote: c })).toBeUndefined();
    const problem = (d: Partial<CsvDialect>) => csvDialectProblem({ ...COMMA, ...d });
    expect(problem({ delimiter: ';;' })).toMatch(/delimiter must be one character, not ";;"/);
    expect(problem({ delimiter: '' })).toMatch(/delimiter must be one character/);
    expect(problem({ delimiter: 'é' })).toMatch(/not an ASCII character/);
    expect(problem({ delimiter: '😀' })).toMatch(/not an ASCII character/);
    expect(problem({ delimiter: 'e\u0301' })).toMatch(/must be one character/);
    expect(problem({ delimiter: '\n' })).toMatch(/cannot be a line break/);
    expect(problem({ quote: '\r' })).toMatch(/quote character cannot be a line break/);
    expect(problem({ delimiter: '\u0001' })).toMatch(/control character \(U\+0001\)/);
    expect(problem({ delimiter: '\u007f' })).toMatch(/control character \(U\+007F\)/);
    expect(problem({ quote: '\t' })).toMatch(/quote character cannot be a tab/);
    expect(problem({ delimiter: '"' })).toMatch(/must differ \(both are '"'\)/);
    expect(problem({ delimiter: 'x' })).toMatch(/cannot be a letter or digit \('x'\)/);
    expect(problem({ quote: '0' })).toMatch(/cannot be a letter or digit/);
    expect(problem({ delimiter: '.' })).toMatch(/delimiter cannot be '\.'/);
    expect(problem({ delimiter: '\\' })).toMatch(/delimiter cannot be '\\'/);
    expect(problem({ lineEnding: 'cr' as 'lf' })).toMatch(/line ending must be crlf or lf/);
  });

  it('renders COPY options with each character as a literal safe under any standard_conforming_strings', () => {
    expect(copyOptionsSql(COMMA)).toBe(`(FORMAT csv, HEADER true, DELIMITER ',', QUOTE '"', ENCODING 'UTF8')`);
    expect(copyOptionsSql({ ...COMMA, header: false, delimiter: '\t', quote: "'" })).toBe(`(FORMAT csv, HEADER false, DELIMITER E'\\t', QUOTE '''', ENCODING 'UTF8')`);
    expect(copyOptionsSql({ ...COMMA, quote: '\\' })).toBe(`(FORMAT csv, HEADER true, DELIMITER ',', QUOTE E'\\\\', ENCODING 'UTF8')`);
    expect(() => copyOptionsSql({ ...COMMA, delimiter: "',QUOTE '" })).toThrow(/internal: .*one character/);
    expect(() => copyOptionsSql({ ...COMMA, quote: '\n' })).toThrow(/internal/);
  });

  it('formats COPY’s special cases', () => {
    const f = new CsvFormatter(COMMA, 4);
    expect(f.header(['a', 'b,c', 'd"e', 'f'])).toBe('a,"b,c","d""e",f\n');
    expect(f.row([null, '', 'x\ny', '\\.'])).toBe(',"","x\ny",\\.\n');
    expect(f.row(['\r', ' ', '"', 'é'])).toBe('"\r", ,"""",é\n');
    const single = new CsvFormatter(COMMA, 1);
    expect(single.row(['\\.'])).toBe('"\\."\n');
    expect(single.row([null])).toBe('\n');
    expect(single.header(['\\.'])).toBe('"\\."\n');
    expect(() => f.row(['a'])).toThrow(/internal: CsvFormatter for 4 columns given 1 values/);
    expect(() => f.row(['a', true as unknown as string, null, null])).toThrow(/text output, not a boolean \(column 2\)/);
  });
});

for (const engineName of testEngines()) {
  describe(`CSV as COPY writes it, on ${engineName}`, () => {
    let engine: CopyEngine;
    beforeAll(async () => {
      engine = await openCopyEngine(engineName);
      await engine.query('CREATE TEMP TABLE vals (ord int, k text, c1 text, c2 text, c3 text, c4 text)');
    });
    afterAll(async () => {
      await engine?.close();
    });

    it('CsvFormatter gives the bytes of COPY ... (FORMAT csv) for random values and dialects', async () => {
      await fc.assert(
        fc.asyncProperty(tableArb(MAX_COLUMNS), async (t) => {
          expect(Buffer.from(formatted(t)).toString('utf8')).toBe((await copyOf(engine, t)).toString('utf8'));
        }),
        { numRuns: 300 },
      );
    });

    it('every character a dialect may use is accepted by COPY and means itself', async () => {
      for (const c of DIALECT_CHARACTERS) {
        for (const [delimiter, quote] of [[c, c === '"' ? "'" : '"'], [c === ',' ? ';' : ',', c]] as const) {
          if (csvDialectProblem({ ...COMMA, delimiter, quote })) continue;
          const t: Table = { dialect: { delimiter, quote, header: true, lineEnding: 'lf' }, names: ['a', `b${c}`], rows: [[`x${c}y`, null], ['', `${quote}${delimiter}`]] };
          expect((await copyOf(engine, t)).toString('utf8')).toBe(formatted(t));
        }
      }
    });

    it('COPY itself refuses what csvDialectProblem names as COPY rules', async () => {
      const refused = async (options: string) => expect(engine.copy('SELECT c1 FROM vals', options)).rejects.toThrow(/COPY|quote|delimiter/i);
      await refused(`(FORMAT csv, DELIMITER 'é')`);
      await refused(`(FORMAT csv, DELIMITER E'\\n')`);
      await refused(`(FORMAT csv, DELIMITER E'\\r')`);
      await refused(`(FORMAT csv, DELIMITER ';;')`);
      await refused(`(FORMAT csv, DELIMITER '"', QUOTE '"')`);
    });

    it('RecordRouter splits a real COPY into the files COPY would write per practice', async () => {
      await fc.assert(
        fc.asyncProperty(tableArb(3), fc.array(fc.constantFrom('A81001', 'B82002', 'Y00001'), { minLength: 8, maxLength: 8 }), fc.integer({ min: 1, max: 64 }), async (t, keys, chunkSize) => {
          const copied = await copyOf(engine, t, (i) => keys[i]!);
          const routed = await route(t.dialect, chunks(copied, chunkSize));
          expect(routed.files).toEqual(expectedFiles(t, (i) => keys[i]!));
        }),
        { numRuns: 100 },
      );
    });
  });
}

/** Splits bytes into chunks of `size` (the last shorter). */
function chunks(bytes: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let p = 0; p < bytes.length; p += size) out.push(bytes.subarray(p, p + size));
  return out;
}

function splitAt(bytes: Buffer, points: number[]): Buffer[] {
  const cuts = [...new Set(points.map((p) => Math.min(p, bytes.length)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const cut of cuts) {
    out.push(bytes.subarray(from, cut));
    from = cut;
  }
  out.push(bytes.subarray(from));
  return out;
}

/** CsvFormatter's records, each ending in CRLF. */
function crlfRecords(formatter: CsvFormatter, rows: (string | null)[][]): string {
  return rows.map((r) => formatter.row(r).slice(0, -1) + '\r\n').join('');
}

/** What each practice's file should hold: COPY of its rows alone. */
function expectedFiles(t: Table, keyOf: (row: number) => string): Map<string, string> {
  const formatter = new CsvFormatter(t.dialect, t.names.length);
  const header = t.dialect.header ? formatter.header(t.names) : '';
  const byKey = new Map<string, (string | null)[][]>();
  t.rows.forEach((row, i) => byKey.set(keyOf(i), [...(byKey.get(keyOf(i)) ?? []), row]));
  return new Map([...byKey].map(([key, rows]) => [key, header + rows.map((r) => formatter.row(r)).join('')]));
}

/** COPY-like input with the key first, as CsvFormatter (≡ COPY) writes it. */
function routedInput(t: Table, keyOf: (row: number) => string): Buffer {
  const formatter = new CsvFormatter(t.dialect, t.names.length + 1);
  return Buffer.from((t.dialect.header ? formatter.header(['ods_code', ...t.names]) : '') + t.rows.map((r, i) => formatter.row([keyOf(i), ...r])).join(''));
}

class Collector extends Writable {
  readonly parts: Buffer[] = [];
  constructor(private readonly delayMs = 0, highWaterMark = 16 * 1024) {
    super({ highWaterMark });
  }
  override _write(chunk: Buffer, _e: BufferEncoding, callback: () => void): void {
    this.parts.push(chunk);
    if (this.delayMs > 0) setTimeout(callback, this.delayMs);
    else callback();
  }
  text(): string {
    return Buffer.concat(this.parts).toString('utf8');
  }
}

async function route(dialect: CsvDialect, input: Buffer[], options: { keys?: string[] } = {}) {
  const outputs = new Map<string, Collector>();
  const opened: string[] = [];
  const router = new RecordRouter({
    dialect,
    ...(options.keys ? { keys: options.keys } : {}),
    open(key) {
      opened.push(key);
      const output = new Collector();
      outputs.set(key, output);
      return output;
    },
  });
  await pipeline(Readable.from(input, { objectMode: false }), router);
  return { files: new Map([...outputs].map(([key, output]) => [key, output.text()])), rows: router.rowsByKey(), opened, outputs: [...outputs.values()] };
}

describe('crlfTransform', () => {
  async function transform(quote: string, input: Buffer[]): Promise<Buffer> {
    const out: Buffer[] = [];
    await pipeline(
      Readable.from(input, { objectMode: false }),
      crlfTransform(quote),
      new Writable({
        write(chunk: Buffer, _e, callback) {
          out.push(chunk);
          callback();
        },
      }),
    );
    return Buffer.concat(out);
  }

  const crlfOf = (t: Table) => {
    const formatter = new CsvFormatter(t.dialect, t.names.length);
    return (t.dialect.header ? formatter.header(t.names).slice(0, -1) + '\r\n' : '') + crlfRecords(formatter, t.rows);
  };

  it('ends records in CRLF and leaves line breaks in quoted values alone, split at every point', async () => {
    await fc.assert(
      fc.asyncProperty(tableArb(3), async (t) => {
        const input = Buffer.from(formatted(t));
        const expected = crlfOf(t);
        for (let cut = 0; cut <= input.length; cut++) {
          expect((await transform(t.dialect.quote, [input.subarray(0, cut), input.subarray(cut)])).toString('utf8')).toBe(expected);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('is right whatever the chunks, and a CSV parser reads back the values', async () => {
    await fc.assert(
      fc.asyncProperty(tableArb(4), fc.array(fc.nat(600), { maxLength: 12 }), async (t, points) => {
        const input = Buffer.from(formatted(t));
        const output = await transform(t.dialect.quote, splitAt(input, points));
        expect(output.toString('utf8')).toBe(crlfOf(t));
        const parsed = parse(output, { delimiter: t.dialect.delimiter, quote: t.dialect.quote, escape: t.dialect.quote, record_delimiter: '\r\n', relax_column_count: false, encoding: 'utf8' }) as string[][];
        const expected = [...(t.dialect.header ? [t.names] : []), ...t.rows.map((r) => r.map((v) => v ?? ''))];
        expect(parsed).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps a doubled quote split between chunks, and multi-byte characters split between chunks', async () => {
    const input = Buffer.from('"a""\nb",é€😀\n"",x\n');
    for (let cut = 0; cut <= input.length; cut++) {
      for (let second = cut; second <= input.length; second++) {
        const output = await transform('"', [input.subarray(0, cut), input.subarray(cut, second), input.subarray(second)]);
        expect(output.toString('utf8')).toBe('"a""\nb",é€😀\r\n"",x\r\n');
      }
    }
  });

  it('passes empty input and chunks through', async () => {
    expect((await transform('"', [])).length).toBe(0);
    expect((await transform('"', [Buffer.alloc(0), Buffer.from('a\n')])).toString()).toBe('a\r\n');
  });
});

/** About `bytes` of COPY-like CSV: 9 columns, one in seven values quoted with a line break. */
function syntheticCopy(bytes: number, keyed: boolean): Buffer {
  const formatter = new CsvFormatter(COMMA, keyed ? 9 : 8);
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const row = [String(9000000000 + i), '2024-03-01', i % 7 === 0 ? 'Smith, "Jo"\nline 2' : 'Jones', null, 'Ünïcödé tëxt', String(i * 3.5), '1234567890', 'some description here'];
    const line = formatter.row(keyed ? [`A8${String(1000 + Math.floor(i / 5000)).padStart(4, '0')}`, ...row] : row);
    parts.push(line);
    size += line.length;
  }
  return Buffer.from(parts.join(''));
}

describe('RecordRouter', () => {
  it('routes each record, less its key, to its practice, after the header less its key', async () => {
    const input = Buffer.from('ods_code,nhs_number,note\nA81001,111,"x\ny"\nA81001,222,\nB82002,333,""\nA81001,444,"a,""b"""\n');
    const { files, rows, opened } = await route({ ...COMMA, lineEnding: 'crlf' }, [input]);
    expect(opened).toEqual(['A81001', 'B82002']);
    expect(files.get('A81001')).toBe('nhs_number,note\n111,"x\ny"\n222,\n444,"a,""b"""\n');
    expect(files.get('B82002')).toBe('nhs_number,note\n333,""\n');
    expect(Object.fromEntries(rows)).toEqual({ A81001: 3, B82002: 1 });
  });

  it('gives the files of COPY per practice for random tables, keys and chunk splits', async () => {
    await fc.assert(
      fc.asyncProperty(tableArb(3), fc.array(fc.constantFrom('A81001', 'B82002', 'C83003', 'Y00001'), { minLength: 8, maxLength: 8 }), fc.array(fc.nat(500), { maxLength: 10 }), async (t, keys, points) => {
        const keyOf = (i: number) => keys[i]!;
        const { files, rows } = await route(t.dialect, splitAt(routedInput(t, keyOf), points));
        expect(files).toEqual(expectedFiles(t, keyOf));
        expect(Object.fromEntries(rows)).toEqual(Object.fromEntries([...expectedFiles(t, keyOf).keys()].map((k) => [k, t.rows.filter((_, i) => keyOf(i) === k).length])));
      }),
      { numRuns: 300 },
    );
  });

  it('is right when split at every point, including a lone \\. in a single column', async () => {
    for (const header of [true, false]) {
      const t: Table = { dialect: { ...COMMA, header }, names: ['\\.'], rows: [['\\.'], [null], ['\\.\n'], [''], ['"'], ['\\.']] };
      const keyOf = (i: number) => (i < 3 ? 'A81001' : 'B82002');
      const input = routedInput(t, keyOf);
      const expected = expectedFiles(t, keyOf);
      expect(expected.get('A81001')).toContain('"\\."');
      for (let cut = 0; cut <= input.length; cut++) {
        expect((await route(t.dialect, [input.subarray(0, cut), input.subarray(cut)])).files).toEqual(expected);
      }
    }
  });

  it('handles rows that are not grouped by key', async () => {
    const { files } = await route({ ...COMMA, header: false }, [Buffer.from('A1,1\nB2,2\nA1,3\nB2,4\n')]);
    expect(files).toEqual(new Map([['A1', '1\n3\n'], ['B2', '2\n4\n']]));
  });

  it('opens nothing for empty input, and gives header-only files for the keys it must', async () => {
    expect((await route(COMMA, [])).opened).toEqual([]);
    expect((await route(COMMA, [Buffer.from('ods_code,a,b\n')])).opened).toEqual([]);
    const withKeys = await route(COMMA, [Buffer.from('ods_code,a,b\nA81001,1,2\n')], { keys: ['A81001', 'B82002'] });
    expect(withKeys.files).toEqual(new Map([['A81001', 'a,b\n1,2\n'], ['B82002', 'a,b\n']]));
    expect(Object.fromEntries(withKeys.rows)).toEqual({ A81001: 1, B82002: 0 });
    const noHeader = await route({ ...COMMA, header: false }, [], { keys: ['A81001'] });
    expect(noHeader.files).toEqual(new Map([['A81001', '']]));
  });

  it('respects back-pressure: a slow output holds the input back', async () => {
    const input = syntheticCopy(2 * 1024 * 1024, true);
    const outputs: Collector[] = [];
    let maxBuffered = 0;
    const router = new RecordRouter({
      dialect: { ...COMMA, header: false },
      open() {
        const output = new Collector(1, 1024);
        outputs.push(output);
        return output;
      },
    });
    let read = 0;
    const source = new Readable({
      read() {
        for (const output of outputs) maxBuffered = Math.max(maxBuffered, output.writableLength);
        this.push(read < input.length ? input.subarray(read, (read += 16 * 1024)) : null);
      },
    });
    await pipeline(source, router);
    expect(Buffer.concat(outputs.flatMap((o) => o.parts)).length).toBeGreaterThan(input.length * 0.8);
    // Without back-pressure the whole input would pile up in the slow outputs.
    expect(maxBuffered).toBeLessThanOrEqual(64 * 1024);
  });

  it('ends every output and finishes after they have, so files are complete', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'exdef-router-'));
    try {
      const router = new RecordRouter({ dialect: COMMA, open: (key) => createWriteStream(join(dir, `${key}.csv`)) });
      await pipeline(Readable.from([Buffer.from('ods_code,v\nA1,x\nB2,y\n')]), router);
      expect(readFileSync(join(dir, 'A1.csv'), 'utf8')).toBe('v\nx\n');
      expect(readFileSync(join(dir, 'B2.csv'), 'utf8')).toBe('v\ny\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails clearly on a bad key, a truncated stream or a failing output, and closes its outputs', async () => {
    await expect(route(COMMA, [Buffer.from('k,v\n"A1",x\n')])).rejects.toThrow(/first field "\\"A1\\"" is not an organisation code/);
    await expect(route(COMMA, [Buffer.from('k,v\n../x,1\n')])).rejects.toThrow(/not an organisation code/);
    await expect(route({ ...COMMA, header: false }, [Buffer.from('A1,"x\n')])).rejects.toThrow(/ended in the middle of a record/);
    await expect(route({ ...COMMA, header: false }, [Buffer.from('A'.repeat(100))])).rejects.toThrow(/does not start with an organisation code/);
    const failing = new Writable({
      write(_c, _e, callback) {
        callback(new Error('ENOSPC: no space left on device'));
      },
    });
    const other = new Collector();
    const router = new RecordRouter({ dialect: { ...COMMA, header: false }, open: (key) => (key === 'B2' ? failing : other) });
    await expect(pipeline(Readable.from([Buffer.from('A1,1\n'), Buffer.from('B2,2\n'), Buffer.from('A1,3\n')]), router)).rejects.toThrow(/ENOSPC/);
    expect(other.destroyed).toBe(true);
  });
});
