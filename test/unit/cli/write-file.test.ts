/**
 * `-o FILE` of report, test, convert, compile and fmt: whatever is at the path, the write either
 * lands where the user meant or ends in one clear line with exit code 2 — never an internal error,
 * and never a rename that replaces a device, a pipe or a link with a regular file.
 */
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileAtomically, writeNewFile } from '../../../src/cli/write-file.js';
import { ExdefError } from '../../../src/failure.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'exdef-write-file-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const failure = (write: () => void) => {
  try {
    write();
  } catch (error) {
    expect(error).toBeInstanceOf(ExdefError);
    return { message: (error as ExdefError).message, exitCode: (error as ExdefError).exitCode };
  }
  throw new Error('the write did not fail');
};

describe('writing an output file', () => {
  it('a path through a file, a directory, a missing directory: one line, exit 2, nothing left behind', () => {
    const file = join(dir, 'afile');
    writeFileSync(file, 'x');
    expect(failure(() => writeFileAtomically(join(file, 'x.html'), 'report'))).toEqual({ message: `cannot write ${join(file, 'x.html')}: a file is in the way (a part of the path is not a directory)`, exitCode: 2 });
    expect(failure(() => writeNewFile(join(file, 'x.exdef.yaml'), 'text', { exists: 'exists' }))).toMatchObject({ message: expect.stringContaining('a file is in the way'), exitCode: 2 });
    mkdirSync(join(dir, 'folder'));
    expect(failure(() => writeFileAtomically(join(dir, 'folder'), 'report'))).toEqual({ message: `cannot write ${join(dir, 'folder')}: it is a directory`, exitCode: 2 });
    expect(failure(() => writeFileAtomically(join(dir, 'none', 'x.html'), 'report'))).toMatchObject({ message: expect.stringContaining('no such directory'), exitCode: 2 });
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('writes through a symbolic link (the link stays, its target gets the text), and makes the file a dangling link names', () => {
    const target = join(dir, 'target.html');
    writeFileSync(target, 'old');
    const link = join(dir, 'link.html');
    symlinkSync(target, link);
    writeFileAtomically(link, 'new');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe('new');
    const dangling = join(dir, 'dangling.html');
    symlinkSync('made-by-link.html', dangling);
    writeFileAtomically(dangling, 'made');
    expect(lstatSync(dangling).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'made-by-link.html'), 'utf8')).toBe('made');
  });

  it('streams into a FIFO (its reader gets every byte, the FIFO stays) and says the disk is full for /dev/full', async () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const reader = spawn('cat', [fifo]);
    let read = '';
    reader.stdout.on('data', (chunk: Buffer) => (read += chunk.toString()));
    const closed = new Promise((done) => reader.on('close', done));
    const text = 'row\n'.repeat(50_000);
    writeFileAtomically(fifo, text);
    await closed;
    expect(read).toBe(text);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(failure(() => writeFileAtomically('/dev/full', 'report'))).toEqual({ message: 'cannot write /dev/full: the disk is full', exitCode: 2 });
    expect(lstatSync('/dev/full').isCharacterDevice()).toBe(true);
  });
});
