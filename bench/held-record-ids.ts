/**
 * Memory and time of the recipient's record-id set at a million ids (src/execute/record-id-set.ts):
 * a full run that sends 1M upserts, then a delta that sends 10,000 and withdraws 10,000, with a
 * lookup per deletion. Run: node --expose-gc --import tsx bench/held-record-ids.ts [ids]
 */
import { createHash } from 'node:crypto';
import { RecordIdList, RecordIdSet } from '../src/execute/record-id-set.js';

const n = Number(process.argv[2] ?? 1_000_000);
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const base = process.memoryUsage();
let peak = { rss: 0, heapUsed: 0, arrayBuffers: 0 };
const sample = () => {
  const m = process.memoryUsage();
  peak = { rss: Math.max(peak.rss, m.rss), heapUsed: Math.max(peak.heapUsed, m.heapUsed), arrayBuffers: Math.max(peak.arrayBuffers, m.arrayBuffers) };
};
const id = (i: number) => Buffer.from(createHash('sha256').update(String(i)).digest('hex').slice(0, 32), 'latin1');

let t = Date.now();
const sent = new RecordIdList();
for (let i = 0; i < n; i++) {
  sent.addHex(id(i), 0);
  if (i % 100_000 === 0) sample();
}
const collectMs = Date.now() - t;
t = Date.now();
const full = RecordIdSet.of(sent);
sample();
const sortMs = Date.now() - t;

t = Date.now();
const upserts = new RecordIdList();
const withdrawn = new RecordIdList();
let found = 0;
for (let i = 0; i < 10_000; i++) {
  upserts.addHex(id(n + i), 0);
  const gone = id(i * 7);
  if (full.hasHex(gone.toString('latin1'))) {
    found++;
    withdrawn.addHex(gone, 0);
  }
}
const lookupMs = Date.now() - t;
t = Date.now();
const next = full.apply(upserts, withdrawn);
sample();
const applyMs = Date.now() - t;
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;
console.log(
  JSON.stringify({
    ids: n,
    setBytes: full.ids.length,
    afterDelta: next.size,
    withdrawnFound: found,
    collectMs, sortMs, lookupMs, applyMs,
    peakAboveBaseline: { rss: mb(peak.rss - base.rss), heapUsed: mb(peak.heapUsed - base.heapUsed), arrayBuffers: mb(peak.arrayBuffers - base.arrayBuffers) },
  }),
);
