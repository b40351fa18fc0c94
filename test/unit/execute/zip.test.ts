import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256File, writeZip, type ZipEntry } from '../../../src/execute/zip.js';
import { isExdefError } from '../../../src/failure.js';

const dir = mkdtempSync(join(tmpdir(), 'exdef-zip-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MTIME = new Date('2026-03-01T02:00:00Z');

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
  return path;
}

/** `unzip -p`: one entry's bytes as unzip reads them. */
function unzipped(zip: string, name: string): Buffer {
  return execFileSync('unzip', ['-p', zip, name], { maxBuffer: 256 * 1024 * 1024 });
}

/** Buffer.equals: vitest's deep equality takes seconds over megabytes. */
function expectSameBytes(actual: Buffer, expected: Buffer): void {
  expect(actual.length).toBe(expected.length);
  expect(actual.equals(expected)).toBe(true);
}

function unzipTest(zip: string): string {
  return execFileSync('unzip', ['-t', zip], { encoding: 'utf8' });
}

function openFiles(): number {
  return readdirSync('/proc/self/fd').length;
}

async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (isExdefError(error)) return error.message;
    throw error;
  }
  throw new Error('expected a failure');
}

describe('writeZip', () => {
  const people = file('in/A81001/people.csv', 'nhs_number,name\r\n9000000009,"Smith, Jo"\r\n');
  const events = file('in/B82002/events.csv', Buffer.from('code,date\r\nüñíçødé,2026-01-01\r\n'));
  const empty = file('in/empty.csv', '');
  const large = file('in/large.csv', randomBytes(3 * 1024 * 1024));
  const manifest = `${JSON.stringify({ id: 'diabetes-recall', files: 3, note: 'é€' }, null, 2)}\n`;
  const entries: ZipEntry[] = [
    { name: 'A81001/people.csv', file: people },
    { name: 'B82002/events.csv', file: events },
    { name: 'empty.csv', file: empty },
    { name: 'large.csv', file: large },
    { name: 'manifest.json', text: manifest },
  ];

  it('writes a ZIP that unzip tests clean and reads back byte for byte, in the given order', async () => {
    const zip = join(dir, 'out.zip');
    const { bytes } = await writeZip(zip, entries, { mtime: MTIME });
    expect(bytes).toBe(readFileSync(zip).length);
    expect(unzipTest(zip)).toMatch(/No errors detected/);
    expectSameBytes(unzipped(zip, 'A81001/people.csv'), readFileSync(people));
    expectSameBytes(unzipped(zip, 'B82002/events.csv'), readFileSync(events));
    expect(unzipped(zip, 'empty.csv').length).toBe(0);
    expectSameBytes(unzipped(zip, 'large.csv'), readFileSync(large));
    expect(unzipped(zip, 'manifest.json').toString('utf8')).toBe(manifest);
    expect(execFileSync('zipinfo', ['-1', zip], { encoding: 'utf8' }).trim().split('\n')).toEqual(entries.map((e) => e.name));
    const listing = execFileSync('zipinfo', [zip], { encoding: 'utf8' });
    expect(listing.match(/^-rw-r--r--/gm)).toHaveLength(entries.length);
  });

  it('gives the same bytes for the same inputs, whatever the files’ own times', async () => {
    const first = join(dir, 'first.zip');
    const second = join(dir, 'second.zip');
    await writeZip(first, entries, { mtime: MTIME });
    utimesSync(people, new Date(), new Date());
    await writeZip(second, entries, { mtime: MTIME });
    expect(readFileSync(second).equals(readFileSync(first))).toBe(true);
    const unset = [join(dir, 'unset-1.zip'), join(dir, 'unset-2.zip')];
    await writeZip(unset[0]!, entries);
    await writeZip(unset[1]!, entries);
    expect(readFileSync(unset[1]!).equals(readFileSync(unset[0]!))).toBe(true);
    expect((await sha256File(first)).sha256).not.toBe((await sha256File(unset[0]!)).sha256);
  });

  it('is readable in ZIP64 form, as entries past 4 GiB are written', async () => {
    const zip = join(dir, 'zip64.zip');
    await writeZip(zip, entries, { mtime: MTIME, forceZip64: true });
    expect(unzipTest(zip)).toMatch(/No errors detected/);
    expectSameBytes(unzipped(zip, 'large.csv'), readFileSync(large));
    const details = execFileSync('zipinfo', ['-v', zip], { encoding: 'utf8' });
    expect(details).toMatch(/PKWARE 64-bit sizes/);
    expect(details).toMatch(/minimum software version required to extract:\s+4\.5/);
    // The ZIP64 end-of-central-directory record and its locator.
    expect(readFileSync(zip).includes(Buffer.from([0x50, 0x4b, 0x06, 0x06]))).toBe(true);
    expect(readFileSync(zip).includes(Buffer.from([0x50, 0x4b, 0x06, 0x07]))).toBe(true);
  });

  it('opens one input at a time, however many entries', async () => {
    const many: ZipEntry[] = [];
    for (let i = 0; i < 1500; i++) many.push({ name: `P${String(i).padStart(5, '0')}/people.csv`, file: file(`many/${i}.csv`, `a,b\r\n${i},x\r\n`) });
    const before = openFiles();
    let most = before;
    const sampler = setInterval(() => (most = Math.max(most, openFiles())), 1);
    try {
      await writeZip(join(dir, 'many.zip'), many, { mtime: MTIME });
    } finally {
      clearInterval(sampler);
    }
    expect(most - before).toBeLessThan(10);
    expect(unzipTest(join(dir, 'many.zip'))).toMatch(/No errors detected/);
    expect(unzipped(join(dir, 'many.zip'), 'P01499/people.csv').toString()).toBe('a,b\r\n1499,x\r\n');
  });

  it('says which input is missing, before writing anything', async () => {
    const zip = join(dir, 'missing.zip');
    const message = await failure(writeZip(zip, [{ name: 'a.csv', file: join(dir, 'in', 'absent.csv') }], { mtime: MTIME }));
    expect(message).toMatch(/cannot read .*absent\.csv into the ZIP file: no such file or directory/);
    expect(existsSync(zip)).toBe(false);
  });

  it('reports a full disk clearly and leaves no stream open', async () => {
    const before = openFiles();
    const message = await failure(writeZip('/dev/full', entries, { mtime: MTIME }));
    expect(message).toBe('cannot write the ZIP file /dev/full: the disk is full');
    expect(openFiles()).toBeLessThanOrEqual(before);
    expect(existsSync('/dev/full')).toBe(true);
  });

  it('reports a missing directory clearly', async () => {
    const message = await failure(writeZip(join(dir, 'no-such-dir', 'x.zip'), entries, { mtime: MTIME }));
    expect(message).toMatch(/cannot write the ZIP file .*x\.zip: no such file or directory/);
  });

  it('fails, closes its files and removes the partial ZIP when an input changes under it', async () => {
    const big = file('in/big.csv', randomBytes(24 * 1024 * 1024));
    const shrinking = file('in/shrinking.csv', 'x'.repeat(100_000));
    const zip = join(dir, 'changed.zip');
    const before = openFiles();
    const writing = writeZip(zip, [{ name: 'big.csv', file: big }, { name: 'shrinking.csv', file: shrinking }], { mtime: MTIME });
    // Sizes are taken first; the big entry takes long enough to shrink the second meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 20));
    truncateSync(shrinking, 10);
    expect(await failure(writing)).toMatch(/cannot write the ZIP file .*changed\.zip: .*unexpected number of bytes/);
    expect(existsSync(zip)).toBe(false);
    expect(openFiles()).toBeLessThanOrEqual(before);
  });

  it('refuses entries that are not plain relative paths, or are named twice', async () => {
    await expect(writeZip(join(dir, 'bad.zip'), [{ name: '../x.csv', text: '' }])).rejects.toThrow(/not a relative path/);
    await expect(writeZip(join(dir, 'bad.zip'), [{ name: '/x.csv', text: '' }])).rejects.toThrow(/not a relative path/);
    await expect(writeZip(join(dir, 'bad.zip'), [{ name: 'a\\b.csv', text: '' }])).rejects.toThrow(/not a relative path/);
    await expect(writeZip(join(dir, 'bad.zip'), [{ name: 'x', text: '' }, { name: 'x', text: '' }])).rejects.toThrow(/two ZIP entries are named x/);
    await expect(writeZip(join(dir, 'bad.zip'), [{ name: 'x', text: '', file: people }])).rejects.toThrow(/a file or a text/);
  });
});

describe('sha256File', () => {
  it('hashes a file as a stream', async () => {
    const content = randomBytes(5 * 1024 * 1024 + 7);
    const path = file('hash.bin', content);
    expect(await sha256File(path)).toEqual({ sha256: createHash('sha256').update(content).digest('hex'), bytes: content.length });
    expect((await sha256File(path)).sha256).toBe(execFileSync('sha256sum', [path], { encoding: 'utf8' }).split(' ')[0]);
    expect(await sha256File(file('zero.bin', ''))).toEqual({ sha256: createHash('sha256').digest('hex'), bytes: 0 });
    await expect(sha256File(join(dir, 'absent.bin'))).rejects.toThrow(/cannot read .*absent\.bin: no such file or directory/);
  });
});
