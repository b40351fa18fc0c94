import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lockDirectory } from '../../../src/db/directory-lock.js';
import { openDatabase } from '../../../src/db/open-database.js';
import { packageRoot } from '../../../src/resources.js';

const work = mkdtempSync(join(tmpdir(), 'exdef-dirlock-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Another process holding the lock of `dir` until killed; resolves once it holds it. */
async function holder(dir: string) {
  mkdirSync(dir, { recursive: true });
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '-e', `import('${join(packageRoot, 'src/db/directory-lock.ts')}').then((m) => { m.lockDirectory(${JSON.stringify(dir)}, 'x'); console.log('locked'); setInterval(() => {}, 1000); })`],
    { cwd: packageRoot, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
    child.on('exit', (code) => reject(new Error(`the holder exited (${code})`)));
  });
  return child;
}

describe('one process at a time in an embedded database directory', () => {
  it('a second process is refused, naming the first; a lock left by a killed process is taken over', async () => {
    const dir = join(work, 'a');
    const child = await holder(dir);
    try {
      expect(() => lockDirectory(dir, 'embedded PGlite database at a')).toThrow(new RegExp(`in use by another exdef process \\(pid ${child.pid}\\)`));
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => child.on('exit', r));
    }
    expect(existsSync(join(dir, '.exdef.lock')), 'kill -9 leaves the lock file').toBe(true);
    const release = lockDirectory(dir, 'embedded PGlite database at a');
    release();
    expect(existsSync(join(dir, '.exdef.lock'))).toBe(false);
  }, 60_000);

  it('opening the embedded database takes the lock and closing it gives it back', async () => {
    const dir = join(work, 'b');
    const db = await openDatabase({ url: `pglite:${dir}` });
    try {
      expect(existsSync(join(dir, '.exdef.lock'))).toBe(true);
    } finally {
      await db.close();
    }
    expect(existsSync(join(dir, '.exdef.lock'))).toBe(false);
  }, 60_000);
});
