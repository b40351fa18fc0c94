// Throughput of the CSV stream stages that every extracted byte goes through, over 64 MB of
// COPY-like CSV in 64 KiB chunks (best of three runs; the first warms the JIT). Prints one JSON line.
//   node bench/cases/csv-streams.js passthrough|crlf|router
// passthrough is the baseline: the same chunks through an identity Transform into a sink.
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CsvFormatter, crlfTransform, RecordRouter } from '../../dist/src/execute/csv.js';

const mode = process.argv[2];
const COMMA = { delimiter: ',', quote: '"', header: false, lineEnding: 'lf' };
const keyed = mode === 'router';

/** About `bytes` of COPY-like CSV: 8 columns (9 keyed by practice), one in seven values quoted with a line break. */
function syntheticCopy(bytes) {
  const formatter = new CsvFormatter(COMMA, keyed ? 9 : 8);
  const parts = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const row = [String(9000000000 + i), '2024-03-01', i % 7 === 0 ? 'Smith, "Jo"\nline 2' : 'Jones', null, 'Ünïcödé tëxt', String(i * 3.5), '1234567890', 'some description here'];
    const line = formatter.row(keyed ? [`A8${String(1000 + Math.floor(i / 5000)).padStart(4, '0')}`, ...row] : row);
    parts.push(line);
    size += line.length;
  }
  return Buffer.from(parts.join(''));
}

const whole = syntheticCopy(64 * 1024 * 1024);
const input = [];
for (let at = 0; at < whole.length; at += 64 * 1024) input.push(whole.subarray(at, at + 64 * 1024));
const discard = () => new Writable({ write: (_chunk, _encoding, callback) => callback() });

const stages = {
  passthrough: (source) => pipeline(source, new Transform({ transform: (chunk, _encoding, callback) => callback(null, chunk) }), discard()),
  crlf: (source) => pipeline(source, crlfTransform('"'), discard()),
  router: (source) => pipeline(source, new RecordRouter({ dialect: COMMA, open: () => discard() })),
};
const run = stages[mode];
if (!run) throw new Error(`mode: passthrough, crlf or router, not ${mode}`);

let best = Number.POSITIVE_INFINITY;
for (let round = 0; round < 3; round++) {
  const start = performance.now();
  await run(Readable.from(input, { objectMode: false }));
  best = Math.min(best, (performance.now() - start) / 1000);
}
console.log(JSON.stringify({ seconds: best, bytes: whole.length, maxRssMb: process.resourceUsage().maxRSS / 1024 }));
