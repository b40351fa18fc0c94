import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../src/db/database.js';
import { openPGlite } from '../../../src/db/pglite-database.js';
import { packageRoot } from '../../../src/resources.js';

describe('COPY TO STDOUT on an embedded database in a directory (through a file there)', () => {
  const work = mkdtempSync(join(tmpdir(), 'exdef-copy-out-'));
  const dir = join(work, 'db');
  let db: Database;
  const leftovers = () => readdirSync(dir).filter((name) => name.startsWith('exdef-copy-'));

  beforeAll(async () => {
    db = await openPGlite({ dataDir: dir });
    await db.exec(`CREATE TABLE t (id int, name text, seen date);
      INSERT INTO t VALUES (1, 'plain', '2026-01-02'), (2, 'a "quoted", comma', NULL), (3, E'two\\nlines', '2026-03-04'), (4, 'Zoë ✓', '2026-05-06')`);
  });
  afterAll(async () => {
    await db.close();
    rmSync(work, { recursive: true, force: true });
  });

  it("gives PostgreSQL's own CSV, the row count, and leaves no file behind", async () => {
    const copy = db.copyOut!(`COPY (SELECT id, name, seen FROM t WHERE id <= current_setting('server_version_num')::int ORDER BY id) TO STDOUT WITH (FORMAT csv, HEADER true)`);
    expect(await text(copy.stream)).toBe('id,name,seen\n1,plain,2026-01-02\n2,"a ""quoted"", comma",\n3,"two\nlines",2026-03-04\n4,Zoë ✓,2026-05-06\n');
    expect(copy.rows()).toBe(4);
    expect(leftovers()).toEqual([]);
  });

  it('keeps the data directory (patient records, and the CSV while it is copied) to its owner: 0700', () => {
    expect((statSync(dir).mode & 0o777).toString(8)).toBe('700');
  });

  it('tightens a data directory made before to 0700 when it is opened', async () => {
    const old = join(work, 'old');
    mkdirSync(old, { mode: 0o755 });
    chmodSync(old, 0o755);
    const opened = await openPGlite({ dataDir: old });
    await opened.close();
    expect((statSync(old).mode & 0o777).toString(8)).toBe('700');
  });

  it('fails the stream when the query fails, and leaves no file behind', async () => {
    const copy = db.copyOut!('COPY (SELECT no_such_column FROM t) TO STDOUT WITH (FORMAT csv)');
    await expect(text(copy.stream)).rejects.toThrow(/no_such_column/);
    expect(leftovers()).toEqual([]);
  });

  it("keeps the file to its owner while it is read (0600: PGlite would make it 0644), and removes it once read", async () => {
    await db.exec('CREATE TABLE big AS SELECT n, repeat(md5(n::text), 4) AS filler FROM generate_series(1, 30000) AS n');
    const copy = db.copyOut!('COPY (SELECT n, filler FROM big ORDER BY n) TO STDOUT WITH (FORMAT csv)');
    const chunks = copy.stream[Symbol.asyncIterator]();
    expect((await chunks.next()).done).toBe(false);
    expect(leftovers()).toHaveLength(1);
    expect((statSync(join(dir, leftovers()[0]!)).mode & 0o777).toString(8)).toBe('600');
    while (!(await chunks.next()).done);
    expect(copy.rows()).toBe(30000);
    expect(leftovers()).toEqual([]);
  });

  it('removes the file when the process exits while reading it (a run interrupted by a signal exits at once)', () => {
    const other = join(work, 'exiting');
    const script = `
      import { readdirSync } from 'node:fs';
      import { openPGlite } from ${JSON.stringify(join(packageRoot, 'dist', 'src', 'db', 'pglite-database.js'))};
      const db = await openPGlite({ dataDir: ${JSON.stringify(other)} });
      await db.exec('CREATE TABLE big AS SELECT n, repeat(md5(n::text), 4) AS filler FROM generate_series(1, 30000) AS n');
      const chunks = db.copyOut('COPY (SELECT n, filler FROM big) TO STDOUT WITH (FORMAT csv)').stream[Symbol.asyncIterator]();
      await chunks.next();
      process.stdout.write(JSON.stringify(readdirSync(${JSON.stringify(other)}).filter((name) => name.startsWith('exdef-copy-'))));
      process.exit(1);`;
    let printed = '';
    try {
      execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      printed = (error as { stdout: string }).stdout;
    }
    expect(JSON.parse(printed), 'the file existed while it was read').toHaveLength(1);
    expect(readdirSync(other).filter((name) => name.startsWith('exdef-copy-')), 'and is gone after exit').toEqual([]);
  });

  it('is refused for anything but COPY (query) TO STDOUT', () => {
    expect(() => db.copyOut!('SELECT 1')).toThrow(/internal/);
  });

  it("removes a killed process's files when the database is next opened", async () => {
    await db.close();
    writeFileSync(join(dir, 'exdef-copy-99999-1.csv'), 'left over');
    db = await openPGlite({ dataDir: dir });
    expect(leftovers()).toEqual([]);
  });

  it('an in-memory database has none (the executor reads through a cursor there)', async () => {
    const memory = await openPGlite();
    try {
      expect(memory.copyOut).toBeUndefined();
    } finally {
      await memory.close();
    }
  });
});
